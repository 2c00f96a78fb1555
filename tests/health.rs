//! My health, loaded through the real sync path from a real FHIR server (sekmet-fhir), for
//! Synthea's elderly man with the long chart (Donnell Green), the small chart (Sina Yundt), the
//! youngest (Versie Botsford), and a hostile chart: a 300-character name, right-to-left text,
//! results without units or ranges, and hundreds of tests. Golden pictures at 1920x1080.

mod common;

use std::path::Path;

use common::fhir::{Bed, FhirServer};
use common::{Picture, assert_golden};
use serde_json::{Value, json};

const HEALTH: &str = "right,right,ok";

fn shot(bed: &Bed, keys: &str) -> Picture {
    common::config_shot(&bed.config, keys, &[])
}

/// A bed whose patient `first` was synced from a fresh server.
fn synced(first: &str) -> (FhirServer, Bed) {
    let server = FhirServer::start();
    server.admit_synthea(first);
    let bed = Bed::new(&server.base);
    bed.sync_ok();
    (server, bed)
}

#[test]
fn donnell_green_the_long_chart() {
    let (_server, bed) = synced("Donnell");
    for (name, keys) in [
        ("menu", HEALTH.to_owned()),
        ("care-team", format!("{HEALTH},ok")),
        ("today-empty", format!("{HEALTH},right,ok")),
        ("medicines", format!("{HEALTH},down,ok")),
        ("problems", format!("{HEALTH},down,down,ok")),
        ("results", format!("{HEALTH},down,down,right,ok")),
        (
            "results-end",
            format!("{HEALTH},down,down,right,ok,{}", ["down"; 60].join(",")),
        ),
        ("vitals", format!("{HEALTH},down,down,down,ok")),
        (
            "diet-and-goals",
            format!("{HEALTH},down,down,down,right,ok"),
        ),
    ] {
        assert_golden(&format!("health-donnell-{name}"), &shot(&bed, &keys));
    }
}

#[test]
fn sina_and_versie() {
    let (_s, sina) = synced("Sina");
    assert_golden("health-sina-menu", &shot(&sina, HEALTH));
    let (_v, versie) = synced("Versie");
    assert_golden("health-versie-menu", &shot(&versie, HEALTH));
    assert_golden(
        "health-versie-allergies",
        &shot(&versie, &format!("{HEALTH},down,right,ok")),
    );
}

/// A chart no one would write on purpose, as a transaction bundle.
fn hostile_bundle(dir: &Path) -> std::path::PathBuf {
    let long_name = "Maximiliana ".repeat(25); // 300 characters
    let mut entries = vec![json!({
        "fullUrl": "urn:uuid:8d3f1c9e-0000-4000-8000-000000000001",
        "resource": {"resourceType": "Patient",
            "name": [{"use": "usual", "given": [long_name.trim()], "family": "Test"},
                     {"use": "official", "given": ["سلمى"]}]},
        "request": {"method": "POST", "url": "Patient"}})];
    let subject = json!({"reference": "urn:uuid:8d3f1c9e-0000-4000-8000-000000000001"});
    let mut add = |resource: Value| {
        let kind = resource["resourceType"].as_str().unwrap().to_owned();
        entries.push(json!({"resource": resource, "request": {"method": "POST", "url": kind}}));
    };
    add(json!({"resourceType": "Condition", "subject": subject,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": "ارتفاع ضغط الدم (high blood pressure)"}, "onsetDateTime": "2020-02-03"}));
    add(json!({"resourceType": "Condition", "subject": subject,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": "A condition with a very long name that goes on and on well beyond what fits on one line of a television screen"}}));
    // 300 different tests, 4 results each: no units, no ranges, some with ranges and flags.
    for t in 0..300 {
        for k in 0..4 {
            let mut obs = json!({"resourceType": "Observation", "status": "final", "subject": subject,
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
                "code": {"coding": [{"system": "urn:test", "code": format!("T{t:03}"), "display": format!("Test number {t:03}")}]},
                "effectiveDateTime": format!("2026-11-{:02}T0{}:00:00Z", 20 + k, k),
                "valueQuantity": {"value": 10.0 + t as f64 + k as f64}});
            if t % 3 == 0 {
                obs["valueQuantity"]["unit"] = json!("mmol/L");
                obs["referenceRange"] = json!([{"low": {"value": 12}, "high": {"value": 20}}]);
            }
            add(obs);
        }
    }
    let path = dir.join("hostile.json");
    std::fs::write(
        &path,
        json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}).to_string(),
    )
    .unwrap();
    path
}

#[test]
fn a_hostile_chart_stays_readable() {
    let server = FhirServer::start();
    let dir = tempfile::tempdir().unwrap();
    let bundle = hostile_bundle(dir.path());
    let bed_id = server.seed(&["bed", "--bed", common::fhir::BED])["location"]
        .as_str()
        .unwrap()
        .to_owned();
    let patient = server.seed(&["load", bundle.to_str().unwrap()])["patient"]
        .as_str()
        .unwrap()
        .to_owned();
    server.seed(&["admit", "--patient", &patient, "--bed-id", &bed_id]);
    let bed = Bed::new(&server.base);
    let s = bed.sync_ok();
    assert_eq!(s["counts"]["Observation"], 1200, "{s}");
    assert_golden("health-hostile-home", &shot(&bed, ""));
    assert_golden("health-hostile-menu", &shot(&bed, HEALTH));
    assert_golden(
        "health-hostile-problems",
        &shot(&bed, &format!("{HEALTH},down,down,ok")),
    );
    assert_golden(
        "health-hostile-results-end",
        &shot(
            &bed,
            &format!("{HEALTH},down,down,right,ok,{}", ["down"; 299].join(",")),
        ),
    );
}

/// An inpatient's day as a hospital records it: a care team (the official example practitioner
/// with her photo, a nurse on shift, a physical therapist), appointments today and tomorrow, an
/// expected discharge date, a diet, and this morning's doses. The box syncs with its clock on
/// the golden pictures' day, so "today" is the day the pictures show.
#[test]
fn an_inpatients_day_with_the_care_team_and_the_plan() {
    let server = FhirServer::start();
    let (patient, encounter, _) = server.admit_synthea("Donnell");
    let ward = server.seed(&[
        "ward",
        "--patient",
        &patient,
        "--encounter",
        &encounter,
        "--now",
        "2026-11-25T09:01:00Z",
    ]);
    assert_eq!(ward["appointments"].as_array().unwrap().len(), 3);
    let bed = Bed::new(&server.base);
    let (code, summary, stderr) = bed.sync_once_faked(&["2026-11-25 09:30:00"]);
    assert_eq!(code, 0, "{summary}\n{stderr}");
    assert_eq!(summary["counts"]["Appointment"], 3, "{summary}");
    assert_eq!(summary["counts"]["CareTeam"], 1, "{summary}");
    assert!(
        summary["counts"]["Practitioner"].as_u64() >= Some(3),
        "the three on the team: {summary}"
    );
    for (name, keys) in [
        ("ward-care-team", format!("{HEALTH},ok")),
        ("ward-today", format!("{HEALTH},right,ok")),
        ("ward-medicines", format!("{HEALTH},down,ok")),
        ("ward-diet", format!("{HEALTH},down,down,down,right,ok")),
    ] {
        assert_golden(&format!("health-{name}"), &shot(&bed, &keys));
    }
    // The same day at 18:19: the X-ray and the physiotherapy are over. They read "Earlier
    // today" below what is still ahead, the menu counts only what is ahead, and the nurse is
    // on shift until a clock time, not "until in 41 minutes".
    for (name, keys) in [
        ("ward-evening-menu", HEALTH.to_owned()),
        ("ward-evening-today", format!("{HEALTH},right,ok")),
        ("ward-evening-care-team", format!("{HEALTH},ok")),
    ] {
        let picture = common::config_shot_at(&bed.config, "2026-11-25T18:19", &keys, &[]);
        assert_golden(&format!("health-{name}"), &picture);
    }
}

/// Large text, high contrast, captions on and the sound muted, on a bed that is not reaching
/// its backend: every status chip is up, and the greeting and the bed are never cut.
#[test]
fn large_text_with_every_status_chip_keeps_the_name_and_the_bed() {
    let (_server, bed) = synced("Sina");
    let settings = "down,right,right,ok,down,ok,down,ok,down,ok,home,mute";
    assert_golden(
        "health-sina-home-large-text-every-chip",
        &shot(&bed, settings),
    );
}
