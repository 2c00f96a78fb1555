//! Built-in demo content: a synthetic patient admitted to a demo bed, so the appliance can be
//! shown and tested with no hospital around. The patient is Synthea's Sina Yundt
//! (`assets/demo/sina-yundt.json`, Apache-2.0, see `assets/SOURCES.md`): nobody real. Around
//! them, the same inpatient's day `make run` puts on its demo server (`assets/demo/ward.json`,
//! read by `scripts/fhir_seed.py ward` too): the care team, today's and tomorrow's plan, a diet,
//! this morning's doses, the day they are expected home.

use serde_json::Value;

use crate::domain::patient::Patient;
use crate::fhir::{self, FhirError};

/// The demo patient's Synthea transaction bundle, as generated.
pub const BUNDLE: &str = include_str!("../assets/demo/sina-yundt.json");
/// The inpatient's day around the patient (see the file's `about`).
const WARD: &str = include_str!("../assets/demo/ward.json");
/// The attending doctor, with a photo: HL7's example practitioner.
const DOCTOR: &str = include_str!("../assets/demo/practitioner-f005.json");

/// The demo patient's record for My health as of now (see [`record_at`]).
pub fn record() -> Result<crate::domain::record::Record, FhirError> {
    record_at(&jiff::Zoned::now())
}

/// The demo patient's record for My health at `now`: the bundle's resources chosen by the same
/// rules sync applies to a server's (active medicines, active problems, vital signs and labs,
/// ...), with the patient's most recent encounter standing in for the current admission, and
/// the ward's day around `now`.
pub fn record_at(now: &jiff::Zoned) -> Result<crate::domain::record::Record, FhirError> {
    let mut everything = fhir::bundle::all_resources(BUNDLE)?;
    let patient = first_id(&everything, "Patient").ok_or(FhirError::Missing("Patient"))?;
    let encounter = latest_encounter(&everything).ok_or(FhirError::Missing("Encounter"))?;
    let day = ward(now.timestamp(), &patient, &encounter, &everything)?;
    for resource in &mut everything {
        if resource["resourceType"] == "Encounter" && resource["id"] == encounter.as_str() {
            // The day they are expected to go home: the admission's planned end.
            resource["period"]["end"] = Value::from(timed("@day+2T11:00", now.timestamp()));
        }
    }
    everything.extend(day);
    Ok(record_from(&everything, now))
}

/// A patient's record from a Synthea transaction bundle, selected as [`record_at`] describes
/// (without a ward's day: what the bundle holds).
pub fn record_from_bundle(bundle: &str) -> Result<crate::domain::record::Record, FhirError> {
    Ok(record_from(
        &fhir::bundle::all_resources(bundle)?,
        &jiff::Zoned::now(),
    ))
}

fn record_from(everything: &[Value], now: &jiff::Zoned) -> crate::domain::record::Record {
    use crate::sync::plan;
    let window = plan::Window::at(now);
    let queries = plan::queries();
    let mut by_kind: std::collections::HashMap<String, Vec<Value>> = Default::default();
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
        "Patient",
        "RelatedPerson",
        "Task",
        "DocumentReference",
        "Questionnaire",
        "QuestionnaireResponse",
    ] {
        let mut list: Vec<Value> = everything
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
    fhir::record::build(|kind| by_kind.get(kind).cloned().unwrap_or_default(), now)
}

fn first_id(resources: &[Value], kind: &str) -> Option<String> {
    resources
        .iter()
        .find(|r| r["resourceType"] == kind)
        .and_then(|r| r["id"].as_str())
        .map(str::to_owned)
}

/// The encounter that stands in for the admission: the most recent.
fn latest_encounter(resources: &[Value]) -> Option<String> {
    resources
        .iter()
        .filter(|r| r["resourceType"] == "Encounter")
        .max_by_key(|e| e["period"]["start"].as_str().unwrap_or("").to_owned())
        .and_then(|e| e["id"].as_str())
        .map(str::to_owned)
}

/// The ward's day for `patient` in `encounter` around `now`: the template's resources with
/// their times and references made real, the doctor, and a dose of each active medicine
/// given an hour and a half ago.
fn ward(
    now: jiff::Timestamp,
    patient: &str,
    encounter: &str,
    bundle: &[Value],
) -> Result<Vec<Value>, FhirError> {
    let template: Value = serde_json::from_str(WARD).map_err(FhirError::Json)?;
    let mut doctor: Value = serde_json::from_str(DOCTOR).map_err(FhirError::Json)?;
    if let Some(d) = doctor.as_object_mut() {
        d.remove("text");
    }
    let mut day = vec![doctor];
    for resource in template["resources"].as_array().into_iter().flatten() {
        day.push(filled(resource, now, patient, encounter));
    }
    for request in bundle
        .iter()
        .filter(|r| r["resourceType"] == "MedicationRequest" && r["status"] == "active")
    {
        let id = request["id"].as_str().unwrap_or_default();
        day.push(serde_json::json!({
            "resourceType": "MedicationAdministration",
            "id": format!("demo-dose-{id}"),
            "status": "completed",
            "medicationCodeableConcept": request.get("medicationCodeableConcept")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({"text": "Medicine"})),
            "subject": {"reference": format!("Patient/{patient}")},
            "context": {"reference": format!("Encounter/{encounter}")},
            "request": {"reference": format!("MedicationRequest/{id}")},
            "effectiveDateTime": timed("@now-90m", now),
        }));
    }
    Ok(day)
}

fn filled(value: &Value, now: jiff::Timestamp, patient: &str, encounter: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), filled(v, now, patient, encounter)))
                .collect(),
        ),
        Value::Array(list) => Value::Array(
            list.iter()
                .map(|v| filled(v, now, patient, encounter))
                .collect(),
        ),
        Value::String(text) if text.starts_with("@now") || text.starts_with("@day") => {
            Value::from(timed(text, now))
        }
        Value::String(text) if text.starts_with("@media/") => Value::from(format!(
            "file://{}/{}",
            media_dir(),
            &text["@media/".len()..]
        )),
        Value::String(text) => Value::from(
            text.replace("/@patient", &format!("/{patient}"))
                .replace("/@encounter", &format!("/{encounter}")),
        ),
        other => other.clone(),
    }
}

/// Where the demo's media are (`make run` makes them): `BEDSIDE_DEMO_MEDIA`, else
/// `target/demo/tv` in the source tree this was built from.
fn media_dir() -> String {
    std::env::var("BEDSIDE_DEMO_MEDIA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/demo/tv").to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// `@now+80m`, `@now-1.5h`, `@day+1T09:30` (UTC) as an instant, to the second.
fn timed(text: &str, now: jiff::Timestamp) -> String {
    let utc = now.to_zoned(jiff::tz::TimeZone::UTC);
    let at = if let Some(offset) = text.strip_prefix("@now") {
        let (amount, unit) = offset.split_at(offset.len().saturating_sub(1));
        let amount: f64 = amount.parse().unwrap_or(0.0);
        let minutes = if unit == "h" { amount * 60.0 } else { amount };
        now + jiff::SignedDuration::from_secs_f64(minutes * 60.0)
    } else {
        let rest = text.strip_prefix("@day").unwrap_or_default();
        let (days, clock) = rest.split_once('T').unwrap_or((rest, "00:00"));
        let (hour, minute) = clock.split_once(':').unwrap_or((clock, "0"));
        let start = utc.start_of_day().map_or(now, |d| d.timestamp());
        start
            + jiff::SignedDuration::from_hours(days.parse().unwrap_or(0)).saturating_mul(24)
            + jiff::SignedDuration::from_hours(hour.parse().unwrap_or(0))
            + jiff::SignedDuration::from_mins(minute.parse().unwrap_or(0))
    };
    jiff::Timestamp::from_second(at.as_second())
        .unwrap_or(at)
        .to_string()
}

/// The demo patient, read from the bundle the same way a real Patient resource is read.
pub fn patient() -> Result<Patient, FhirError> {
    let resources = fhir::bundle::resources_of(BUNDLE, "Patient")?;
    let resource = resources.first().ok_or(FhirError::Missing("Patient"))?;
    fhir::patient::from_json(resource)
}

#[cfg(test)]
mod tests {
    use crate::domain::record::Section;

    #[test]
    fn the_demo_patient_is_sina() {
        assert_eq!(super::patient().unwrap().preferred_first_name, "Sina");
    }

    #[test]
    fn times_in_the_ward_template_are_relative_to_now_in_utc() {
        let now: jiff::Timestamp = "2026-11-25T09:01:30Z".parse().unwrap();
        assert_eq!(super::timed("@now+80m", now), "2026-11-25T10:21:30Z");
        assert_eq!(super::timed("@now-1.5h", now), "2026-11-25T07:31:30Z");
        assert_eq!(super::timed("@day+1T09:30", now), "2026-11-26T09:30:00Z");
        assert_eq!(super::timed("@day+0T14:00", now), "2026-11-25T14:00:00Z");
    }

    /// `bedside --demo` shows the same day `make run`'s synced demo patient has.
    #[test]
    fn the_demo_has_a_care_team_a_plan_and_a_diet() {
        let now = jiff::civil::datetime(2026, 11, 25, 9, 41, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap();
        let record = super::record_at(&now).unwrap();
        let team: Vec<&str> = record
            .rows(Section::CareTeam)
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(team.len(), 3, "{team:?}");
        assert!(team.iter().any(|t| t.contains("Okafor")), "{team:?}");
        assert!(
            record
                .rows(Section::CareTeam)
                .iter()
                .any(|r| r.photo.is_some()),
            "the doctor's photo"
        );
        let today: Vec<&str> = record
            .rows(Section::Today)
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(
            today,
            [
                "Chest X-ray",
                "Physiotherapy: walking practice",
                "Ward round with your doctor",
                "Expected to go home"
            ]
        );
        assert!(!record.rows(Section::DietAndGoals).is_empty());
    }
}
