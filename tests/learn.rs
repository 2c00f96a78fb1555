//! Learn against real FHIR R4 servers on loopback: the demo ward's assignments (Tasks pointing at
//! DocumentReferences and a teach-back Questionnaire, put there by `scripts/fhir_seed.py ward`)
//! load into the store, and what the patient did (opened, answered, finished) reaches the
//! record exactly once, across `kill -9`, a nurse's change in between and a nurse's cancel.

mod common;

use std::time::Duration;

use bedside::domain::learn::{Answer, Answered, Assignment, Progress, Recorded};
use common::fhir::{self, Bed, FhirServer};
use serde_json::Value;

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

on_both_engines!(assignments_load_and_learning_reaches_the_record_once_across_kill_9);

/// Sina admitted, the ward's day seeded (with its two assignments), and one sync pass.
fn admitted(server: &FhirServer, bed: &Bed) -> (String, String, Value) {
    let (patient, encounter, _) = server.admit_synthea("Sina");
    let ward = server.seed(&["ward", "--patient", &patient, "--encounter", &encounter]);
    bed.sync_ok();
    (patient, encounter, ward)
}

fn assignments(bed: &Bed) -> Vec<Assignment> {
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
    bedside::fhir::learn::assignments(&|kind: &str| store.resources(kind).unwrap_or_default())
}

/// Queues what the patient did, as Learn's worker does.
fn record(bed: &Bed, what: &Recorded, item: &Assignment) -> Vec<Value> {
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let (mut store, _) = bedside::sync::engine::open_store(&config).unwrap();
    let admission = store.admission().unwrap().expect("admitted");
    let who = bedside::fhir::learn::Subject {
        patient: &admission.patient,
        encounter: &admission.encounter,
    };
    let items = bedside::learn::outgoing(what, Some(item), &who, jiff::Timestamp::now());
    store.enqueue_all(&admission.patient, &items).unwrap();
    items
        .into_iter()
        .filter(|i| i.op == "put")
        .map(|i| i.json)
        .collect()
}

fn falls(list: &[Assignment]) -> Assignment {
    list.iter()
        .find(|a| a.title == "Staying safe from falls")
        .cloned()
        .expect("the falls leaflet is assigned")
}

fn finished(item: &Assignment) -> Recorded {
    let answers = vec![
        Answered {
            link_id: "before-standing".into(),
            answer: Answer::Choice(0),
            correct: Some(false),
        },
        Answered {
            link_id: "glasses".into(),
            answer: Answer::Skipped,
            correct: None,
        },
        Answered {
            link_id: "first-time".into(),
            answer: Answer::Boolean(true),
            correct: Some(true),
        },
        Answered {
            link_id: "thanks".into(),
            answer: Answer::Read,
            correct: None,
        },
    ];
    Recorded::Finished {
        task: item.task.clone(),
        answers,
    }
}

fn assignments_load_and_learning_reaches_the_record_once_across_kill_9(server: FhirServer) {
    let bed = Bed::new(&server.base);
    let (patient, _, _) = admitted(&server, &bed);
    let list = assignments(&bed);
    let titles: Vec<&str> = list.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Staying safe from falls",
            "Walking after your operation",
            "Your medicines at home"
        ],
        "all three, the one due first first"
    );
    let item = falls(&list);
    assert_eq!(item.progress, Progress::New);
    assert_eq!(item.assigned_by, "Grace Okafor");
    assert_eq!(item.minutes, Some(5));
    let quiz = item.quiz.clone().expect("the teach-back came with it");
    assert_eq!(quiz.items.len(), 4);
    assert!(quiz.refused().is_empty());

    // Opened and finished, with the backend down.
    record(
        &bed,
        &Recorded::Opened {
            task: item.task.clone(),
        },
        &item,
    );
    let sent = record(&bed, &finished(&item), &item);
    assert_eq!(sent.len(), 2, "a QuestionnaireResponse and a Procedure");
    fhir::assert_valid_fhir(&sent);
    let text = std::fs::read_to_string(&bed.config).unwrap();
    let dead = text.replace(
        &server.base,
        &format!("http://127.0.0.1:{}/fhir", fhir::free_port()),
    );
    std::fs::write(&bed.config, &dead).unwrap();
    let (code, s, _) = bed.sync_once();
    assert_ne!(code, 0);
    assert_eq!(s["outbox_pending"], 4, "{s}");
    std::fs::write(&bed.config, &text).unwrap();

    // Delivery killed at different moments.
    for delay_ms in [5, 20, 40, 60, 90, 130, 200] {
        let mut child = common::bedside()
            .args(["sync", "--once", "--config"])
            .arg(&bed.config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    assert_eq!(s["outbox_delivered_total"], 4, "{s}");

    let task = server.get(&format!("Task/{}", item.task));
    assert_eq!(task["status"], "completed", "{task}");
    assert!(task["executionPeriod"]["start"].is_string());
    let outputs: Vec<&str> = task["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["valueReference"]["reference"].as_str())
        .collect();
    assert_eq!(outputs.len(), 2, "{task}");
    let responses = server.count(&format!("QuestionnaireResponse?subject=Patient/{patient}"));
    assert_eq!(responses, 1, "exactly one set of answers");
    let qr = server.get(outputs[0]);
    assert_eq!(qr["resourceType"], "QuestionnaireResponse");
    assert_eq!(qr["status"], "completed");
    assert_eq!(
        qr["questionnaire"],
        "https://bedside.example/fhir/Questionnaire/falls-teach-back"
    );
    assert_eq!(qr["source"]["reference"], format!("Patient/{patient}"));
    assert_eq!(
        qr["item"][0]["answer"][0]["valueString"],
        "Stand up quickly"
    );
    assert!(qr["item"][1].get("answer").is_none(), "skipped: no answer");
    assert_eq!(qr["item"][2]["answer"][0]["valueBoolean"], true);
    let procedure = server.get(outputs[1]);
    assert_eq!(procedure["status"], "completed");
    assert_eq!(procedure["category"]["coding"][0]["code"], "311401005");
    fhir::assert_valid_fhir(&[task, qr, procedure]);

    // The next pass brings the Task back as done.
    let after = assignments(&bed);
    assert_eq!(falls(&after).progress, Progress::Done);
    assert_eq!(
        after.last().unwrap().title,
        "Staying safe from falls",
        "done goes last"
    );
}

/// A nurse changes the Task between the box's read and its write (a version conflict: read
/// again, apply again, the nurse's note kept); a Task the nurse cancelled stays cancelled, and
/// the patient's answers still reach the record.
#[test]
fn a_nurses_change_is_kept_and_a_cancel_never_overwritten() {
    let server = FhirServer::start();
    let proxy = fhir::proxy(&server.base);
    let bed = Bed::new(&server.base);
    let (patient, _, _) = admitted(&server, &bed);
    let list = assignments(&bed);
    let item = falls(&list);
    let medicines = list
        .iter()
        .find(|a| a.title == "Your medicines at home")
        .unwrap()
        .clone();

    // The medicines leaflet: finished while a nurse adds a note (through the proxy).
    let text = std::fs::read_to_string(&bed.config).unwrap();
    let via = format!("http://127.0.0.1:{}/nursefirst/fhir", proxy.1);
    std::fs::write(&bed.config, text.replace(&server.base, &via)).unwrap();
    record(
        &bed,
        &Recorded::Finished {
            task: medicines.task.clone(),
            answers: Vec::new(),
        },
        &medicines,
    );
    let (code, s, stderr) = bed.sync_once();
    assert_eq!(code, 0, "{s}\n{stderr}");
    assert_eq!(s["outbox_pending"], 0, "{s}");
    let task = server.get(&format!("Task/{}", medicines.task));
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(
        task["note"][0]["text"], "Went through it with the patient",
        "the nurse's change is kept: {task}"
    );
    std::fs::write(&bed.config, &text).unwrap();

    // The falls leaflet: cancelled by a nurse before the patient's "done" is delivered.
    let mut cancelled = server.get(&format!("Task/{}", item.task));
    cancelled["status"] = "cancelled".into();
    cancelled.as_object_mut().unwrap().remove("meta");
    let put = ureq::put(&format!("{}/Task/{}", server.base, item.task))
        .header("Content-Type", "application/fhir+json")
        .send(cancelled.to_string())
        .unwrap();
    assert!(put.status().is_success());
    record(&bed, &finished(&item), &item);
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    let task = server.get(&format!("Task/{}", item.task));
    assert_eq!(
        task["status"], "cancelled",
        "the nurse's cancel stands: {task}"
    );
    assert_eq!(
        server.count(&format!("QuestionnaireResponse?subject=Patient/{patient}")),
        1,
        "what the patient answered is still delivered"
    );
    // A cancelled assignment leaves the list.
    let after = assignments(&bed);
    assert!(after.iter().all(|a| a.task != item.task), "{after:?}");
}

/// Discharge erases every trace of the assignments from the box.
#[test]
fn discharge_erases_the_assignments() {
    let server = FhirServer::start();
    let bed = Bed::new(&server.base);
    let (_, encounter, _) = admitted(&server, &bed);
    assert_eq!(assignments(&bed).len(), 3);
    server.seed(&["discharge", "--encounter", &encounter]);
    let s = bed.sync_ok();
    assert_eq!(s["patient_present"], false, "{s}");
    assert!(assignments(&bed).is_empty());
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
    for kind in ["Task", "DocumentReference", "Questionnaire"] {
        assert_eq!(store.resources(kind).unwrap().len(), 0, "{kind}");
    }
}

/// The demo's video assignment plays in the real binary (`bedside snapshot`, the player the
/// appliance uses, sound on), full screen, with its WebVTT captions when captions are on. The
/// clip is made here by GStreamer: a solid colour the picture is checked for.
#[test]
fn the_video_plays_full_screen_with_its_captions() {
    let media = tempfile::tempdir().unwrap();
    let clip = media.path().join("learn-walking.mp4");
    let made = std::process::Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            "num-buffers=250",
            "pattern=solid-color",
        ])
        .arg("foreground-color=0xff2080e0")
        .args(["!", "video/x-raw,width=640,height=360,framerate=25/1"])
        .args(["!", "x264enc", "speed-preset=veryfast", "key-int-max=25"])
        .args([
            "!",
            "h264parse",
            "!",
            "mp4mux",
            "faststart=true",
            "!",
            "filesink",
        ])
        .arg(format!("location={}", clip.display()))
        .status()
        .expect("gst-launch-1.0");
    assert!(made.success());
    std::fs::write(
        media.path().join("learn-walking.vtt"),
        "WEBVTT\n\n00:00:00.500 --> 00:00:09.000\nWalk a little every day.\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shot = |keys: &str| {
        let out = dir.path().join("shot.png");
        let done = common::bedside()
            .env("BEDSIDE_DEMO_MEDIA", media.path())
            .args([
                "snapshot",
                "--demo",
                "--now",
                "2026-11-25T09:41",
                "--wait",
                "2500",
            ])
            .args(["--keys", keys, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        common::Picture::read(&out)
    };
    let blue = |p: &common::Picture, x: u32, y: u32| {
        let [r, g, b] = p.pixel(x, y);
        r < 70 && (100..170).contains(&g) && b > 190
    };
    // Home → Learn → the video (second on the list).
    let playing = shot("right,ok,down,ok");
    assert!(
        blue(&playing, 960, 300),
        "the clip fills the screen: {:?}",
        playing.pixel(960, 300)
    );
    assert!(blue(&playing, 700, 950), "no caption without captions on");
    let captioned = shot("captions,right,ok,down,ok");
    assert!(blue(&captioned, 960, 300));
    let text_box = (700..1220)
        .step_by(4)
        .flat_map(|x| (905..995).step_by(4).map(move |y| (x, y)))
        .filter(|&(x, y)| {
            let [r, g, b] = captioned.pixel(x, y);
            r < 40 && g < 50 && b < 80
        })
        .count();
    assert!(
        text_box > 500,
        "the caption's dark box: {text_box} dark samples"
    );
}

/// Something past its due time: a gentle reminder on Home (gone at the next press, which still
/// does its job), and the list says it was due. Synced under faketime so "yesterday" is the
/// pictures' yesterday.
#[test]
fn an_overdue_assignment_is_recalled_on_home_and_marked_on_the_list() {
    let server = FhirServer::start();
    let (patient, encounter, _) = server.admit_synthea("Sina");
    server.seed(&[
        "ward",
        "--patient",
        &patient,
        "--encounter",
        &encounter,
        "--now",
        "2026-11-24T09:01:00Z",
    ]);
    let bed = Bed::new(&server.base);
    let (code, summary, stderr) = bed.sync_once_faked(&["2026-11-25 09:30:00"]);
    assert_eq!(code, 0, "{summary}\n{stderr}");
    let home = common::config_shot(&bed.config, "", &[]);
    common::assert_golden("learn-reminder-home", &home);
    // The next press dismisses it and moves the focus as it always does.
    let moved = common::config_shot(&bed.config, "right", &[]);
    assert!(
        moved.pixels_differing(&home, 40) > 10_000,
        "the notice is gone and the focus moved"
    );
    common::assert_golden(
        "learn-reminder-list",
        &common::config_shot(&bed.config, "right,ok", &[]),
    );
    // In the evening quiet hours (no ward quiet hours configured: 21:00 to 08:00) it waits.
    let dismissed = |now: &str| {
        let before = common::config_shot_at(&bed.config, now, "", &[]);
        let after = common::config_shot_at(&bed.config, now, "right,left", &[]);
        after.pixels_differing(&before, 40)
    };
    assert!(
        dismissed("2026-11-25T20:30") > 10_000,
        "a reminder at 20:30"
    );
    assert_eq!(dismissed("2026-11-25T22:30"), 0, "none at 22:30");
}

/// Learn for staff on the real binary, against the real server and directory: the nurse sees
/// the patient's answers (one not as hoped, marked), assigns a leaflet from the hospital's
/// catalogue and takes the video back; both reach the record, as her, through the outbox.
#[test]
fn staff_see_answers_assign_and_take_back_on_the_real_binary() {
    let slapd = common::slapd::Slapd::start();
    let server = FhirServer::start();
    let bed = Bed::new(&server.base);
    // The ward's day as of the pictures' morning, so the due days in them never change.
    let (patient, encounter, _) = server.admit_synthea("Sina");
    server.seed(&[
        "ward",
        "--patient",
        &patient,
        "--encounter",
        &encounter,
        "--now",
        "2026-11-25T08:00:00Z",
    ]);
    let (code, summary, stderr) = bed.sync_once_faked(&["2026-11-25 09:30:00"]);
    assert_eq!(code, 0, "{summary}\n{stderr}");
    let mut text = std::fs::read_to_string(&bed.config).unwrap();
    text.push_str(&slapd.section());
    std::fs::write(&bed.config, text).unwrap();
    // The patient finished the falls leaflet, one answer not as hoped; delivered and synced.
    let item = falls(&assignments(&bed));
    record(&bed, &finished(&item), &item);
    bed.sync_ok();
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    let badge = ["--badge", "0012345", "--wait", "1500"];
    // Sign out is focused on the clinician home; Learning is four rows up.
    let learning = "2,4,6,8,ok,up,up,up,up,ok";
    common::assert_golden(
        "learn-staff-list",
        &common::config_shot(&bed.config, learning, &badge),
    );
    // The done leaflet is last: its answers.
    common::assert_golden(
        "learn-staff-answers",
        &common::config_shot(
            &bed.config,
            &format!("{learning},down,down,down,ok"),
            &badge,
        ),
    );
    common::assert_golden(
        "learn-staff-catalogue",
        &common::config_shot(&bed.config, &format!("{learning},ok"), &badge),
    );
    // Assign the first the catalogue offers (breathing exercises), and take the video back.
    common::config_shot(&bed.config, &format!("{learning},ok,ok"), &badge);
    common::assert_golden(
        "learn-staff-take-back",
        &common::config_shot(&bed.config, &format!("{learning},down,ok,ok"), &badge),
    );
    common::config_shot(&bed.config, &format!("{learning},down,ok,ok,ok"), &badge);
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    let tasks = server.get(&format!("Task?patient=Patient/{patient}&_count=50"));
    let tasks: Vec<&Value> = tasks["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let assigned = tasks
        .iter()
        .find(|t| t["description"] == "Breathing exercises after surgery")
        .expect("the new assignment is on the server");
    assert_eq!(assigned["status"], "requested");
    assert_eq!(assigned["requester"]["reference"], "Practitioner/ana");
    fhir::assert_valid_fhir(&[(*assigned).clone()]);
    let walking = tasks
        .iter()
        .find(|t| t["description"] == "A one-minute video from the physiotherapy team.")
        .unwrap();
    assert_eq!(walking["status"], "cancelled", "taken back");
    let titles: Vec<String> = assignments(&bed).into_iter().map(|a| a.title).collect();
    assert!(
        titles.contains(&"Breathing exercises after surgery".to_owned()),
        "{titles:?}"
    );
    assert!(
        !titles.contains(&"Walking after your operation".to_owned()),
        "{titles:?}"
    );
    // Viewing, assigning and taking back are in the audit trail.
    let audits = server.get("AuditEvent?_count=200");
    let actions: Vec<&str> = audits["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource"]["outcomeDesc"].as_str())
        .collect();
    for what in [
        "What the patient is learning, and their answers, were opened by staff",
        "Staff assigned the patient something to learn",
        "Staff took back something the patient was to learn",
    ] {
        assert!(actions.contains(&what), "{what}: {actions:?}");
    }
}
