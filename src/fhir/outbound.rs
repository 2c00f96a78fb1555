//! What the box sends to the backend, built as FHIR R4 resources. Each goes through the outbox
//! (`Store::enqueue`), which gives it its id; the shapes are checked against the official FHIR
//! R4 JSON schema in the tests.

use serde_json::{Value, json};

/// A pain score the patient entered with the remote (0 = no pain, 10 = worst imaginable), as a
/// patient-reported Observation, LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating
/// [Score] - Reported".
pub fn pain_score(patient: &str, encounter: &str, score: u8, at: jiff::Timestamp) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey"
        }]}],
        "code": {
            "coding": [{
                "system": "http://loinc.org",
                "code": "72514-3",
                "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
            }],
            "text": "Pain score"
        },
        "subject": {"reference": format!("Patient/{patient}")},
        "encounter": {"reference": format!("Encounter/{encounter}")},
        "effectiveDateTime": at.to_string(),
        "performer": [{"reference": format!("Patient/{patient}")}],
        "valueQuantity": {
            "value": score.min(10),
            "unit": "score",
            "system": "http://unitsofmeasure.org",
            "code": "{score}"
        }
    })
}

/// A rest-hook Subscription that wakes the box when something matching `criteria` changes. No
/// payload: the notification carries no patient data, only the box's secret in `header`.
pub fn subscription(id: &str, criteria: &str, end: &str, endpoint: &str, header: &str) -> Value {
    json!({
        "resourceType": "Subscription",
        "id": id,
        "status": "requested",
        "reason": "Bedside TV: wake the box when its bed or patient changes",
        "criteria": criteria,
        "end": end,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "header": [header]
        }
    })
}
