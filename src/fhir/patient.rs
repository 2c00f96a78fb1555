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
    #[serde(rename = "birthDate")]
    birth_date: Option<String>,
}

#[derive(Deserialize)]
struct HumanName {
    #[serde(rename = "use")]
    use_: Option<String>,
    text: Option<String>,
    #[serde(default)]
    given: Vec<String>,
    family: Option<String>,
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

    /// The name in full: its text, else given names and family name.
    fn full(&self) -> Option<String> {
        if let Some(text) = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            return Some(text.to_owned());
        }
        let parts: Vec<&str> = self
            .given
            .iter()
            .map(|g| g.trim())
            .chain(self.family.as_deref().map(str::trim))
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
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
    // The full name staff check is the official one when there is one (the name on the wristband).
    let mut official: Vec<&HumanName> = names.clone();
    official.sort_by_key(|n| n.use_.as_deref() != Some("official"));
    let full_name = official.iter().find_map(|n| n.full()).unwrap_or_default();
    // A full date only: "1958" or "1958-03" says too little to check someone by.
    let born = p
        .birth_date
        .as_deref()
        .filter(|d| d.len() == 10)
        .and_then(|d| d.parse().ok());
    Ok(Patient {
        preferred_first_name,
        full_name,
        born,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn staff_see_the_official_full_name_and_the_date_of_birth() {
        let p = from_json(
            &json!({"resourceType":"Patient","birthDate":"1958-03-12","name":[
                {"use":"usual","given":["Sina"]},
                {"use":"official","given":["Sina","Maria"],"family":"Lind"}
            ]}),
        )
        .unwrap();
        assert_eq!(p.preferred_first_name, "Sina");
        assert_eq!(p.full_name, "Sina Maria Lind");
        assert_eq!(p.born, Some(jiff::civil::date(1958, 3, 12)));
        let partial = from_json(&json!({"resourceType":"Patient","birthDate":"1958"})).unwrap();
        assert_eq!((partial.full_name.as_str(), partial.born), ("", None));
    }

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
