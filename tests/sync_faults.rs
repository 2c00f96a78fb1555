//! A backend that is down, slow, broken or lying: each fault is a named error, the store keeps
//! exactly what the last good pass left, and nothing from it is believed. The faults come from
//! tests/hostile_fhir.py, a proxy in front of a real FHIR server.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::fhir::{self, Bed, FhirServer, proxy};

fn point_at(bed: &Bed, from: &str, to: &str) {
    let text = std::fs::read_to_string(&bed.config).unwrap();
    std::fs::write(&bed.config, text.replace(from, to)).unwrap();
}

#[test]
fn every_fault_is_named_and_the_store_keeps_the_last_good_state() {
    let server = FhirServer::start();
    let (patient, _, _) = server.admit_synthea("Sina");
    let proxy = proxy(&server.base);
    let via = |mode: &str| format!("http://127.0.0.1:{}/{mode}/fhir", proxy.1);

    let cases: &[(&str, &str)] = &[
        ("malformed", "malformed FHIR"),
        ("notbundle", "expected a Bundle"),
        ("wrongtype", "Observation search returned a Patient"),
        ("missingid", "without an id"),
        ("status500", "HTTP 500"),
        ("ratelimit", "retrying after 7s"),
        ("redirect", "redirect (HTTP 302) to evil.example"),
        ("foreignnext", "outside the configured FHIR base URL"),
        ("huge", "larger than"),
        ("slow", "timed out"),
    ];
    for (mode, expected) in cases {
        let bed = Bed::new(&via("ok"));
        let good = bed.sync_ok();
        // Something new for the incremental pass to fetch through the fault.
        server.seed(&["observe", "--patient", &patient]);
        point_at(&bed, &via("ok"), &via(mode));
        let started = Instant::now();
        let (code, summary, stderr) = bed.sync_once();
        assert_eq!(code, 1, "{mode}: {summary}");
        let error = summary["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(expected),
            "{mode}: `{error}` lacks `{expected}`"
        );
        assert!(
            stderr.contains(expected),
            "{mode}: the log names it: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(9),
            "{mode}: gave up in time"
        );
        let after = bed.status();
        assert_eq!(after["counts"], good["counts"], "{mode}: store unchanged");
        assert_eq!(after["patient_present"], true);
        assert!(!stderr.contains("Sina"), "{mode}: no patient names in logs");
    }
}

#[test]
fn records_of_someone_else_are_ignored() {
    let server = FhirServer::start();
    let (patient, _, _) = server.admit_synthea("Sina");
    let proxy = proxy(&server.base);
    let bed = Bed::new(&format!("http://127.0.0.1:{}/otherpatient/fhir", proxy.1));
    let s = bed.sync_ok();
    let truth = server.count(&format!(
        "Observation?patient=Patient/{patient}&category=vital-signs,laboratory"
    ));
    assert_eq!(
        s["counts"]["Observation"].as_u64().unwrap(),
        truth - 3,
        "the three relabelled records are not stored: {s}"
    );
}

#[test]
fn a_backend_that_is_down_keeps_the_chart_and_says_so() {
    let server = FhirServer::start();
    server.admit_synthea("Sina");
    let bed = Bed::new(&server.base);
    let good = bed.sync_ok();
    drop(server);
    let (code, summary, stderr) = bed.sync_once();
    assert_eq!(code, 1);
    assert!(stderr.contains("backend unreachable"), "{stderr}");
    assert_eq!(summary["counts"], good["counts"]);
    assert_eq!(
        summary["fresh_at"], good["fresh_at"],
        "freshness is not faked"
    );
}

#[test]
fn https_with_the_hospital_ca_works_and_an_unknown_ca_is_a_tls_error() {
    // A hospital CA and a server certificate it signed for 127.0.0.1, made with openssl.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| common::openssl(d, args);
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Test Hospital CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let path = |n: &str| d.join(n).to_string_lossy().into_owned();
    let (cert, key, ca) = (path("server.pem"), path("server.key"), path("ca.pem"));
    let server = FhirServer::start_with(&format!("tls_certfile: {cert}\ntls_keyfile: {key}\n"));
    let https = server.base.clone();
    // Seed over HTTPS with Python trusting the same certificate.
    let seeded = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fhir_seed.py"))
        .arg(&https)
        .args(["bed", "--bed", fhir::BED])
        .env("SSL_CERT_FILE", &ca)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );

    let trusted = Bed::with(&https, &format!("ca_file = \"{ca}\""), fhir::BED);
    let s = trusted.sync_ok();
    assert_eq!(s["patient_present"], false, "the bed is empty: {s}");

    let untrusted = Bed::with(&https, "", fhir::BED);
    let (code, summary, _) = untrusted.sync_once();
    assert_eq!(code, 1);
    let error = summary["error"].as_str().unwrap();
    assert!(
        error.starts_with("TLS") || error.contains("certificate"),
        "{error}"
    );
}
