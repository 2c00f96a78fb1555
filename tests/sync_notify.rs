//! FHIR Subscriptions (rest-hook): the box subscribes to its bed's encounters and its patient's
//! records, and a change on the server reaches the store at once, long before the next poll.
//! Notifications are bare pings that must carry the secret the box put in its Subscriptions.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::fhir::{self, Bed, FhirServer};
use serde_json::Value;

#[test]
fn a_change_on_the_server_arrives_by_notification() {
    let server = FhirServer::start();
    let (patient, encounter, _) = server.admit_synthea("Sina");
    let port = fhir::free_port();
    let bed = Bed::with(
        &server.base,
        &format!(
            "notify_listen = \"127.0.0.1:{port}\"\nnotify_url = \"http://127.0.0.1:{port}/fhir-notify\""
        ),
        fhir::BED,
    );
    // Polls so rare that only a notification can explain a quick update.
    let text = std::fs::read_to_string(&bed.config).unwrap();
    std::fs::write(
        &bed.config,
        text.replace("poll_seconds = 2", "poll_seconds = 600"),
    )
    .unwrap();

    let mut child = common::bedside()
        .args(["sync", "--config"])
        .arg(&bed.config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(8))
            .unwrap_or_else(|_| panic!("no pass within 8 s: {what}"))
    };

    let first = next("the first load");
    assert_eq!(first["patient_present"], true, "{first}");
    let observations = first["counts"]["Observation"].as_u64().unwrap();
    assert!(
        server.count("Subscription?status=active") >= 2,
        "the bed and the patient are subscribed"
    );

    // A knock without the secret does nothing.
    let knock = ureq::post(&format!("http://127.0.0.1:{port}/fhir-notify"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_empty()
        .unwrap();
    assert_eq!(knock.status().as_u16(), 401);
    assert!(
        rx.recv_timeout(Duration::from_secs(1)).is_err(),
        "no pass for a stranger"
    );

    server.seed(&["observe", "--patient", &patient, "--value", "91"]);
    let changed = next("the new observation");
    assert_eq!(
        changed["counts"]["Observation"].as_u64().unwrap(),
        observations + 1,
        "{changed}"
    );

    server.seed(&["discharge", "--encounter", &encounter]);
    let mut gone = next("the discharge");
    while gone["purged"] != true {
        gone = next("the discharge");
    }
    assert_eq!(gone["patient_present"], false);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        server.count("Subscription"),
        1,
        "only the bed's subscription is left once the patient is gone"
    );
    let _ = child.kill();
    let _ = child.wait();
}
