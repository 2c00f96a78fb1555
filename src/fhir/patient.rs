//! FHIR Patient → [`Patient`].

use serde::Deserialize;
use serde_json::Value;

use super::FhirError;
use crate::domain::patient::Patient;

#[derive(Deserialize)]
struct PatientJson {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(default)]
    name: Vec<HumanName>,
}

#[derive(Deserialize)]
struct HumanName {
    #[serde(rename = "use")]
    use_: Option<String>,
    text: Option<String>,
    #[serde(default)]
    given: Vec<String>,
}

impl HumanName {
    /// Lower is preferred. `usual` is the name the person goes by (FHIR: "known as"); old and
    /// maiden names are never used to address someone.
    fn rank(&self) -> Option<u8> {
        match self.use_.as_deref() {
            Some("usual") => Some(0),
            Some("official") => Some(1),
            None | Some("temp") => Some(2),
            Some("nickname") => Some(3),
            Some("anonymous") => Some(4),
            Some("old") | Some("maiden") => None,
            Some(_) => Some(5),
        }
    }

    fn first_name(&self) -> Option<String> {
        let from_given = self.given.iter().map(|g| g.trim()).find(|g| !g.is_empty());
        let from_text = || self.text.as_deref()?.split_whitespace().next();
        from_given.or_else(from_text).map(str::to_owned)
    }
}

/// Reads a Patient resource. A patient without a usable name is still a patient: the header then
/// greets without a name, so `preferred_first_name` may be empty.
pub fn from_json(resource: &Value) -> Result<Patient, FhirError> {
    let p = PatientJson::deserialize(resource)?;
    if p.resource_type != "Patient" {
        return Err(FhirError::WrongType {
            expected: "Patient",
            found: p.resource_type,
        });
    }
    let mut names: Vec<&HumanName> = p.name.iter().filter(|n| n.rank().is_some()).collect();
    names.sort_by_key(|n| n.rank());
    let preferred_first_name = names
        .iter()
        .find_map(|n| n.first_name())
        .unwrap_or_default();
    Ok(Patient {
        preferred_first_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(resource: Value) -> String {
        from_json(&resource).unwrap().preferred_first_name
    }

    #[test]
    fn the_usual_name_wins_over_the_official_one() {
        let p = json!({"resourceType":"Patient","name":[
            {"use":"official","family":"Chalmers","given":["Peter","James"]},
            {"use":"usual","given":["Jim"]},
            {"use":"maiden","given":["Petra"]}]});
        assert_eq!(first(p), "Jim");
    }

    #[test]
    fn old_and_maiden_names_are_never_used() {
        let p = json!({"resourceType":"Patient","name":[{"use":"maiden","given":["Sina"]}]});
        assert_eq!(first(p), "");
    }

    #[test]
    fn falls_back_to_the_text_of_the_name() {
        let p = json!({"resourceType":"Patient","name":[{"text":"  Ana Lucía Pérez"}]});
        assert_eq!(first(p), "Ana");
    }

    #[test]
    fn the_official_fhir_example_patient_reads() {
        let text = crate::testdata::read("fhir-r4/examples/patient-example.json");
        let v: Value = serde_json::from_str(&text).unwrap();
        // Peter James Chalmers goes by "Jim" (his usual name).
        assert_eq!(first(v), "Jim");
    }

    #[test]
    fn other_resources_are_refused() {
        let err = from_json(&json!({"resourceType":"Observation"})).unwrap_err();
        assert!(err.to_string().contains("Observation"));
    }
}
