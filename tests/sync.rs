//! Sync against real FHIR R4 servers on loopback, seeded with Synthea patients loaded as they
//! are, through the real `bedside sync --once` / `bedside status` commands. The core tests run
//! against two independent engines (sekmet-fhir and Medplum's FHIR router), so nothing depends
//! on one server's quirks.

mod common;

use std::time::Duration;

use common::fhir::{self, Bed, FhirServer};
use serde_json::Value;

fn count(summary: &Value, kind: &str) -> u64 {
    summary["counts"][kind].as_u64().unwrap_or(0)
}

/// Runs a core test against each engine.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sekmet {
            $(#[test] fn $name() { super::$name(super::FhirServer::engine("sekmet")); })*
        }
        mod medplum {
            $(#[test] fn $name() { super::$name(super::FhirServer::engine("medplum")); })*
        }
    };
}

on_both_engines!(
    the_first_load_matches_the_server_and_is_encrypted_at_rest,
    changes_arrive_and_discharge_purges_and_a_new_admission_loads,
    an_outbox_item_survives_kill_9_and_is_delivered_once,
);

fn the_first_load_matches_the_server_and_is_encrypted_at_rest(server: FhirServer) {
    let (patient, _, _) = server.admit_synthea("Donnell");
    let bed = Bed::new(&server.base);
    let s = bed.sync_ok();
    assert_eq!(s["patient_present"], true, "{s}");
    assert_eq!(count(&s, "Patient"), 1);
    assert_eq!(count(&s, "Encounter"), 1, "only the current encounter");
    let p = format!("patient=Patient/{patient}");
    for (kind, search) in [
        (
            "Observation",
            format!("Observation?{p}&category=vital-signs,laboratory"),
        ),
        (
            "Condition",
            format!("Condition?{p}&clinical-status=active,recurrence,relapse"),
        ),
        (
            "MedicationRequest",
            format!("MedicationRequest?{p}&status=active,on-hold"),
        ),
        ("DiagnosticReport", format!("DiagnosticReport?{p}")),
        ("CarePlan", format!("CarePlan?{p}&status=active")),
    ] {
        let expected = server.count(&search);
        assert!(expected > 0, "the Synthea chart has {kind}");
        assert_eq!(count(&s, kind), expected, "{kind}: {s}");
    }
    assert!(
        count(&s, "Practitioner") >= 1,
        "referenced practitioners come too: {s}"
    );
    assert!(
        count(&s, "Observation") < server.count(&format!("Observation?{p}")),
        "only vital signs and labs, not every observation"
    );

    // Nothing readable on disk: not the name, not a LOINC code.
    for needle in ["Donnell", "8867-4", "SQLite format"] {
        assert_eq!(
            fhir::any_file_contains(&bed.data_dir(), needle),
            None,
            "{needle}"
        );
    }
    // `status` reads the same from the store without any network.
    drop(server);
    let st = bed.status();
    assert_eq!(st["counts"], s["counts"]);
    assert_eq!(st["patient_present"], true);
}

fn changes_arrive_and_discharge_purges_and_a_new_admission_loads(server: FhirServer) {
    let (patient, encounter, location) = server.admit_synthea("Sina");
    let bed = Bed::new(&server.base);
    let first = bed.sync_ok();
    let before = count(&first, "Observation");

    server.seed(&["observe", "--patient", &patient, "--value", "88"]);
    let second = bed.sync_ok();
    assert_eq!(count(&second, "Observation"), before + 1, "{second}");
    assert!(
        second["requests"].as_u64().unwrap() < first["requests"].as_u64().unwrap() + 5,
        "incremental, not a reload"
    );

    // Discharge: every trace goes.
    server.seed(&["discharge", "--encounter", &encounter]);
    let started = std::time::Instant::now();
    let gone = bed.sync_ok();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(gone["purged"], true, "{gone}");
    assert_eq!(gone["patient_present"], false);
    assert_eq!(gone["counts"], serde_json::json!({}));
    let wal = bed.data_dir().join("bedside.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
    let again = bed.sync_ok();
    assert_eq!(again["purged"], false, "nothing left to erase");

    // Another patient into the same bed.
    let loaded = server.seed(&["load", fhir::synthea("Versie").to_str().unwrap()]);
    let versie = loaded["patient"].as_str().unwrap();
    let admitted = server.seed(&["admit", "--patient", versie, "--bed-id", &location]);
    let s = bed.sync_ok();
    assert_eq!(s["patient_present"], true);
    assert_eq!(
        count(&s, "AllergyIntolerance"),
        server.count(&format!("AllergyIntolerance?patient=Patient/{versie}")),
        "Versie's allergies: {s}"
    );

    // Transferred to another bed: this box lets go of her.
    let other = server.seed(&["bed", "--bed", fhir::OTHER_BED]);
    server.seed(&[
        "transfer",
        "--encounter",
        admitted["encounter"].as_str().unwrap(),
        "--bed-id",
        other["location"].as_str().unwrap(),
    ]);
    let moved = bed.sync_ok();
    assert_eq!(moved["purged"], true, "{moved}");
    assert_eq!(moved["patient_present"], false);
}

/// A pain score queued while the backend is down survives kill -9 at any moment of delivery and
/// reaches the server exactly once.
fn an_outbox_item_survives_kill_9_and_is_delivered_once(server: FhirServer) {
    let (patient, encounter, _) = server.admit_synthea("Sina");
    let bed = Bed::new(&server.base);
    bed.sync_ok();
    let pain_scores = format!("Observation?patient=Patient/{patient}&code=72514-3");
    let before = server.count(&pain_scores); // Synthea charts hold pain scores of their own

    // The patient enters a pain score (the UI's path into the store), with the backend down.
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let resource =
        bedside::fhir::outbound::pain_score(&patient, &encounter, 7, jiff::Timestamp::now());
    let id = {
        let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
        let id = store.enqueue(&patient, resource).unwrap();
        let sent: Value =
            serde_json::from_str(&store.outbox_due(i64::MAX, false).unwrap()[0].json).unwrap();
        fhir::assert_valid_fhir(&[sent]);
        id
    };
    let text = std::fs::read_to_string(&bed.config).unwrap();
    let dead = text.replace(
        &server.base,
        &format!("http://127.0.0.1:{}/fhir", fhir::free_port()),
    );
    std::fs::write(&bed.config, &dead).unwrap();
    let (code, s, stderr) = bed.sync_once();
    assert_ne!(code, 0);
    assert!(stderr.contains("unreachable"), "{stderr}");
    assert_eq!(s["outbox_pending"], 1, "{s}");
    assert_eq!(
        s["patient_present"], true,
        "the chart is kept while offline"
    );
    std::fs::write(&bed.config, &text).unwrap();

    // Kill the delivering process at different moments.
    for delay_ms in [5, 20, 40, 60, 90, 130, 200] {
        let mut child = common::bedside()
            .args(["sync", "--once", "--config"])
            .arg(&bed.config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    assert_eq!(s["outbox_delivered_total"], 1, "{s}");
    let on_server = server.get(&format!("Observation/{id}"));
    assert_eq!(on_server["valueQuantity"]["value"], 7);
    assert_eq!(
        server.count(&pain_scores),
        before + 1,
        "exactly one new pain score on the server"
    );
}

#[test]
fn a_bed_the_backend_does_not_know_is_a_named_error() {
    let server = FhirServer::start();
    let bed = Bed::with(&server.base, "", "urn:example:bed|NOPE");
    let (code, s, stderr) = bed.sync_once();
    assert_eq!(code, 1);
    assert!(
        s["error"]
            .as_str()
            .unwrap()
            .contains("no Location with this identifier"),
        "{s}"
    );
    assert!(stderr.contains("urn:example:bed|NOPE"), "{stderr}");
}

#[test]
fn a_config_without_a_key_file_is_refused_by_name() {
    let bed = Bed::new("http://127.0.0.1:9/fhir");
    let text = std::fs::read_to_string(&bed.config).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("key_file"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&bed.config, without).unwrap();
    let (code, _, stderr) = bed.sync_once();
    assert_eq!(code, 2);
    assert!(stderr.contains("store.key_file"), "{stderr}");
}

#[test]
fn what_the_box_sends_is_valid_fhir_r4() {
    use bedside::fhir::outbound;
    let at = "2026-11-25T09:41:00Z".parse().unwrap();
    fhir::assert_valid_fhir(&[
        outbound::pain_score("p-1", "e-1", 0, at),
        outbound::pain_score("p-1", "e-1", 10, at),
        outbound::subscription(
            "bedside-TV-3W-12A-observation",
            "Observation?patient=Patient/p-1",
            "2026-11-25T10:41:00Z",
            "https://tv-3w-12a.example.org:8765/fhir-notify",
            "Authorization: Bearer 0123456789abcdef",
        ),
    ]);
    // The validator itself rejects what is not FHIR (so the check above can fail).
    let bad = serde_json::json!({"resourceType": "Observation", "status": "finalised", "code": {}});
    let caught = std::panic::catch_unwind(|| fhir::assert_valid_fhir(&[bad]));
    assert!(caught.is_err(), "an invalid status must be caught");
}

/// A store that cannot be read at start (a torn disk block) is set aside and rebuilt from the
/// backend; the summary says so.
#[test]
fn a_damaged_store_is_rebuilt_from_the_backend() {
    let server = FhirServer::start();
    server.admit_synthea("Sina");
    let bed = Bed::new(&server.base);
    let good = bed.sync_ok();
    let db = bed.data_dir().join("bedside.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[..4096].fill(0x5A);
    std::fs::write(&db, bytes).unwrap();
    let (code, s, stderr) = bed.sync_once();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["store_rebuilt"], true, "{s}");
    assert!(stderr.contains("set aside"), "{stderr}");
    assert_eq!(s["counts"], good["counts"], "the chart is back");
}
