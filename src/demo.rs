//! Built-in demo content: a synthetic patient admitted to a demo bed, so the appliance can be
//! shown and tested with no hospital around. The patient is Synthea's Sina Yundt
//! (`assets/demo/sina-yundt.json`, Apache-2.0, see `assets/SOURCES.md`): nobody real.

use crate::domain::patient::Patient;
use crate::fhir::{self, FhirError};

/// The demo patient's Synthea transaction bundle, as generated.
pub const BUNDLE: &str = include_str!("../assets/demo/sina-yundt.json");

/// The demo patient's record for My health: the bundle's resources chosen by the same rules
/// sync applies to a server's (active medicines, active problems, vital signs and labs, ...),
/// with the patient's most recent encounter standing in for the current admission.
pub fn record() -> Result<crate::domain::record::Record, FhirError> {
    record_from_bundle(BUNDLE)
}

/// A patient's record from a Synthea transaction bundle, selected as [`record`] describes.
pub fn record_from_bundle(bundle: &str) -> Result<crate::domain::record::Record, FhirError> {
    use crate::sync::plan;
    let window = plan::Window::now();
    let queries = plan::queries();
    let mut by_kind: std::collections::HashMap<String, Vec<serde_json::Value>> = Default::default();
    let everything = fhir::bundle::all_resources(bundle)?;
    for kind in [
        "Practitioner",
        "Encounter",
        "Observation",
        "Condition",
        "MedicationRequest",
        "AllergyIntolerance",
        "CarePlan",
        "DiagnosticReport",
        "Appointment",
        "Goal",
        "NutritionOrder",
        "MedicationAdministration",
        "CareTeam",
    ] {
        let mut list: Vec<serde_json::Value> = everything
            .iter()
            .filter(|r| r["resourceType"] == kind)
            .cloned()
            .collect();
        if let Some(q) = queries.iter().find(|q| q.kind == kind) {
            list.retain(|r| (q.keep)(r, &window));
        }
        if kind == "Encounter" {
            list.sort_by_key(|e| e["period"]["start"].as_str().unwrap_or("").to_owned());
            list = list.pop().into_iter().collect();
        }
        by_kind.insert(kind.to_owned(), list);
    }
    Ok(fhir::record::build(
        |kind| by_kind.get(kind).cloned().unwrap_or_default(),
        &jiff::Zoned::now(),
    ))
}

/// The demo patient, read from the bundle the same way a real Patient resource is read.
pub fn patient() -> Result<Patient, FhirError> {
    let resources = fhir::bundle::resources_of(BUNDLE, "Patient")?;
    let resource = resources.first().ok_or(FhirError::Missing("Patient"))?;
    fhir::patient::from_json(resource)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_patient_is_sina() {
        assert_eq!(super::patient().unwrap().preferred_first_name, "Sina");
    }
}
