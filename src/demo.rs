//! Built-in demo content: a synthetic patient admitted to a demo bed, so the appliance can be
//! shown and tested with no hospital around. The patient is Synthea's Sina Yundt
//! (`assets/demo/sina-yundt.json`, Apache-2.0, see `assets/SOURCES.md`): nobody real.

use crate::domain::patient::Patient;
use crate::fhir::{self, FhirError};

/// The demo patient's Synthea transaction bundle, as generated.
pub const BUNDLE: &str = include_str!("../assets/demo/sina-yundt.json");

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
