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

on_both_engines!(
    assignments_load_and_learning_reaches_the_record_once_across_kill_9,
    an_education_order_without_a_task_is_listed_and_gets_one_when_opened,
    a_plan_definition_catalogue_is_offered_assigned_and_read_back_with_its_material,
    leaflets_at_an_address_or_as_a_binary_on_the_server_are_fetched_ahead_and_read,
);

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

/// Queues what the patient did, through Learn's worker's own code; the resources PUT.
fn record(bed: &Bed, what: &Recorded, item: &Assignment) -> Vec<Value> {
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let (mut store, _) = bedside::sync::engine::open_store(&config).unwrap();
    let items = bedside::learn::queue(&mut store, what, Some(item), jiff::Timestamp::now())
        .expect("queued");
    items
        .into_iter()
        .filter(|i| i.op == "put" || i.op == "create")
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
            "Your medicines at home",
            "Clean hands stop infections"
        ],
        "all four, the one due first first"
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

/// An education ServiceRequest with something to show (`supportingInfo`: a leaflet and its
/// teach-back) and no Task is listed; opening it creates the Task (`basedOn` the request, one
/// id whoever gets there first), and finishing it records the teaching against the request.
/// A request staff take back gets a cancelled Task and leaves the list. Requests with nothing
/// to show (an educator's teaching, like R4's `servicerequest-example-edu.json`) or only
/// proposed are not listed.
fn an_education_order_without_a_task_is_listed_and_gets_one_when_opened(server: FhirServer) {
    let bed = Bed::new(&server.base);
    let (patient, encounter, _) = admitted(&server, &bed);
    // The ward's resources, by what they say (the server gave them their ids).
    let id_of = |kind: &str, field: &str, value: &str| {
        let config = bedside::config::Config::load(&bed.config).unwrap();
        let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
        let found = store
            .resources(kind)
            .unwrap()
            .into_iter()
            .find(|r| r[field] == value || r["name"][0]["family"] == value);
        format!("{kind}/{}", found.expect(value)["id"].as_str().unwrap())
    };
    let breathing_doc = id_of(
        "DocumentReference",
        "description",
        "Breathing exercises after surgery",
    );
    let wound_doc = id_of(
        "DocumentReference",
        "description",
        "Caring for your wound at home",
    );
    let quiz = id_of(
        "Questionnaire",
        "url",
        "https://bedside.example/fhir/Questionnaire/hands-teach-back",
    );
    let nurse = id_of("Practitioner", "-", "Okafor");
    let order = |id: &str, intent: &str, supporting: Value| {
        serde_json::json!({
            "resourceType": "ServiceRequest", "id": id, "status": "active", "intent": intent,
            "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "311401005",
                "display": "Patient education (procedure)"}]}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "405189009",
                "display": "Breathing exercise education"}]},
            "subject": {"reference": format!("Patient/{patient}")},
            "encounter": {"reference": format!("Encounter/{encounter}")},
            "requester": {"reference": nurse},
            "patientInstruction": "Read this, then try the exercises three times a day.",
            "supportingInfo": supporting,
        })
    };
    let leaflet = serde_json::json!([{"reference": breathing_doc}, {"reference": quiz}]);
    server.put(&order("edu-breathing", "order", leaflet.clone()));
    server.put(&order(
        "edu-wound",
        "order",
        serde_json::json!([{"reference": wound_doc}]),
    ));
    server.put(&order("edu-raced", "order", leaflet.clone()));
    server.put(&order("edu-proposed", "proposal", leaflet));
    // R4's own example, made this patient's: teaching by an educator, nothing for the TV.
    let mut educator: Value = serde_json::from_str(
        &std::fs::read_to_string(fhir::testdata(
            "fhir-r4/examples/servicerequest-example-edu.json",
        ))
        .unwrap(),
    )
    .unwrap();
    educator["status"] = "active".into();
    educator["subject"] = serde_json::json!({"reference": format!("Patient/{patient}")});
    server.put(&educator);
    bed.sync_ok();

    let list = assignments(&bed);
    assert_eq!(list.len(), 7, "the ward's four and three orders: {list:#?}");
    let breathing = list
        .iter()
        .find(|a| a.based_on.as_deref() == Some("ServiceRequest/edu-breathing"))
        .cloned()
        .expect("the breathing order is listed");
    assert!(breathing.from_request);
    assert_eq!(breathing.title, "Breathing exercises after surgery");
    assert_eq!(
        breathing.description,
        "Read this, then try the exercises three times a day."
    );
    assert_eq!(breathing.assigned_by, "Grace Okafor");
    assert_eq!(breathing.progress, Progress::New);
    assert!(matches!(
        breathing.material,
        bedside::domain::learn::Material::Document(_)
    ));
    assert!(breathing.quiz.is_some(), "the teach-back came with it");
    let wound = list
        .iter()
        .find(|a| a.based_on.as_deref() == Some("ServiceRequest/edu-wound"))
        .cloned()
        .expect("the wound order is listed");

    // Another box (the patient's last bed) made and finished the raced order's Task after
    // this box's read: opening it here must not overwrite that Task.
    let raced = list
        .iter()
        .find(|a| a.based_on.as_deref() == Some("ServiceRequest/edu-raced"))
        .cloned()
        .expect("the raced order is listed");
    server.put(
        &serde_json::json!({"resourceType": "Task", "id": raced.task,
        "status": "completed", "intent": "order",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "311401005"}]},
        "basedOn": [{"reference": "ServiceRequest/edu-raced"}],
        "for": {"reference": format!("Patient/{patient}")},
        "output": [{"type": {"text": "teaching"},
            "valueReference": {"reference": "Procedure/done-elsewhere"}}]}),
    );
    record(
        &bed,
        &Recorded::Opened {
            task: raced.task.clone(),
        },
        &raced,
    );

    // Opened (the Task is created), finished; the wound order taken back by a nurse.
    let sent = record(
        &bed,
        &Recorded::Opened {
            task: breathing.task.clone(),
        },
        &breathing,
    );
    assert_eq!(sent.len(), 1, "the Task, created");
    assert_eq!(sent[0]["id"], breathing.task.as_str());
    let mid = assignments(&bed);
    assert_eq!(mid.len(), 7, "listed once, as its new Task: {mid:#?}");
    let opened = mid.iter().find(|a| a.task == breathing.task).unwrap();
    assert!(!opened.from_request);
    assert_eq!(opened.progress, Progress::Started);
    let done = record(
        &bed,
        &Recorded::Finished {
            task: breathing.task.clone(),
            answers: Vec::new(),
        },
        opened,
    );
    assert_eq!(
        done.len(),
        2,
        "answers and the Procedure, not a second Task"
    );
    record(
        &bed,
        &Recorded::Unassigned {
            task: wound.task.clone(),
            by: nurse.clone(),
        },
        &wound,
    );
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");

    let task = server.get(&format!("Task/{}", breathing.task));
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(
        task["basedOn"][0]["reference"],
        "ServiceRequest/edu-breathing"
    );
    assert_eq!(task["focus"]["reference"], breathing_doc.as_str());
    assert_eq!(
        task["input"][0]["valueReference"]["reference"],
        quiz.as_str()
    );
    assert_eq!(task["requester"]["reference"], nurse.as_str());
    let procedure = task["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["valueReference"]["reference"].as_str())
        .find(|r| r.starts_with("Procedure/"))
        .map(|r| server.get(r))
        .expect("a Procedure");
    let based: Vec<&str> = procedure["basedOn"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["reference"].as_str())
        .collect();
    assert!(
        based.contains(&"ServiceRequest/edu-breathing"),
        "{procedure}"
    );
    let cancelled = server.get(&format!("Task/{}", wound.task));
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(
        cancelled["basedOn"][0]["reference"],
        "ServiceRequest/edu-wound"
    );
    fhir::assert_valid_fhir(&[task, procedure, cancelled]);
    assert_eq!(
        server.count(&format!(
            "Task?patient=Patient/{patient}&based-on=ServiceRequest/edu-breathing"
        )),
        1,
        "one Task for the order"
    );

    let kept = server.get(&format!("Task/{}", raced.task));
    assert_eq!(kept["status"], "completed", "never overwritten: {kept}");
    assert_eq!(
        kept["output"][0]["valueReference"]["reference"], "Procedure/done-elsewhere",
        "{kept}"
    );

    let after = assignments(&bed);
    assert_eq!(after.len(), 6, "the taken-back order has left: {after:#?}");
    let finished = after.iter().find(|a| a.task == breathing.task).unwrap();
    assert_eq!(finished.progress, Progress::Done);
    assert!(after.iter().all(|a| !a.from_request));
}

/// The catalogue as a PlanDefinition search (beside the DocumentReference one): the pack's
/// actions are offered (a contained ActivityDefinition, one fetched by its URL with its
/// teach-back named by canonical); one assigned by a nurse is a Task instantiating the
/// definition, and reads back with the definition's material and questions.
fn a_plan_definition_catalogue_is_offered_assigned_and_read_back_with_its_material(
    server: FhirServer,
) {
    use bedside::domain::learn::{CatalogueKind, Material};
    use serde_json::json;
    let bed = Bed::new(&server.base);
    let mut text = std::fs::read_to_string(&bed.config).unwrap();
    text.push_str(
        "[learn]\ncatalogue = [\"DocumentReference?category=http://snomed.info/sct|311401005\", \
         \"PlanDefinition?topic=http://snomed.info/sct|311401005&status=active\"]\n",
    );
    std::fs::write(&bed.config, text).unwrap();
    let edu = json!({"coding": [{"system": "http://snomed.info/sct", "code": "311401005"}]});
    let markdown = |t: &str| {
        use base64::Engine as _;
        json!({"contentType": "text/markdown", "title": t,
            "data": base64::engine::general_purpose::STANDARD.encode(format!("# {t}\n\nStep one."))})
    };
    server.put(
        &json!({"resourceType": "Questionnaire", "id": "socks-check",
        "url": "https://h.example/Questionnaire/socks", "status": "active",
        "title": "Socks: check what you learned",
        "item": [{"linkId": "sit", "type": "boolean", "text": "Do you sit down first?"}]}),
    );
    server.put(&json!({"resourceType": "ActivityDefinition", "id": "socks",
        "url": "https://h.example/ActivityDefinition/socks", "status": "active",
        "title": "Putting on socks with an aid",
        "timingDuration": {"value": 10, "unit": "min", "system": "http://unitsofmeasure.org",
            "code": "min"},
        "relatedArtifact": [
            {"type": "documentation", "document": markdown("Socks with an aid")},
            {"type": "documentation", "resource": "https://h.example/Questionnaire/socks"}]}));
    server.put(&json!({"resourceType": "PlanDefinition", "id": "hip",
        "url": "https://h.example/PlanDefinition/hip", "status": "active", "topic": [edu],
        "title": "Going home after a hip replacement",
        "contained": [{"resourceType": "ActivityDefinition", "id": "stairs", "status": "draft",
            "title": "Stairs",
            "relatedArtifact": [{"type": "documentation", "document": markdown("Stairs")}]}],
        "action": [
            {"title": "Using stairs safely", "definitionCanonical": "#stairs"},
            {"definitionCanonical": "https://h.example/ActivityDefinition/socks"}]}));
    admitted(&server, &bed);

    let config = bedside::config::Config::load(&bed.config).unwrap();
    let offered = {
        let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
        bedside::fhir::catalogue::catalogue(&|k: &str| store.resources(k).unwrap_or_default())
    };
    let titles: Vec<&str> = offered.iter().map(|c| c.title.as_str()).collect();
    for want in [
        "Putting on socks with an aid",
        "Using stairs safely",
        "Breathing exercises after surgery",
    ] {
        assert!(titles.contains(&want), "{want} not in {titles:?}");
    }
    let socks = offered
        .iter()
        .find(|c| c.title == "Putting on socks with an aid")
        .unwrap()
        .clone();
    assert_eq!(socks.kind, CatalogueKind::Document);
    assert_eq!(socks.minutes, Some(10));
    assert_eq!(
        socks.questionnaire.as_deref(),
        Some("https://h.example/Questionnaire/socks"),
        "the teach-back, fetched by its URL"
    );

    let nurse = {
        let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
        let p = store.resources("Practitioner").unwrap();
        format!("Practitioner/{}", p[0]["id"].as_str().unwrap())
    };
    let placeholder = assignments(&bed)[0].clone();
    let sent = record(
        &bed,
        &Recorded::Assigned {
            item: socks.clone(),
            by: nurse,
        },
        &placeholder,
    );
    fhir::assert_valid_fhir(&sent);
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    let task = server.get(&format!("Task/{}", sent[0]["id"].as_str().unwrap()));
    assert_eq!(
        task["instantiatesCanonical"],
        "https://h.example/ActivityDefinition/socks"
    );
    let list = assignments(&bed);
    let item = list
        .iter()
        .find(|a| a.title == "Putting on socks with an aid")
        .expect("assigned, and read back from the definition");
    assert!(
        matches!(&item.material, Material::Document(pages) if !pages.is_empty()),
        "{:?}",
        item.material
    );
    assert_eq!(
        item.quiz.as_ref().map(|q| q.title.as_str()),
        Some("Socks: check what you learned")
    );
    assert_eq!(item.source.as_deref(), Some(socks.key.as_str()));
}

/// Leaflets not inline: Markdown at an http address, HTML and a PDF as `Binary/<id>` on the
/// FHIR server (a relative address; the server answers with the Binary resource or its
/// content, as it likes). `bedside sync --once` fetches them into the cache; they then read
/// as pages, with the file server gone.
fn leaflets_at_an_address_or_as_a_binary_on_the_server_are_fetched_ahead_and_read(
    server: FhirServer,
) {
    use base64::Engine as _;
    use bedside::domain::learn::{Block, Material};
    use serde_json::json;
    let media = tempfile::tempdir().unwrap();
    std::fs::write(
        media.path().join("walking.md"),
        "# Walking after your operation\n\nWalk a little every day.\n",
    )
    .unwrap();
    let files = MaterialServer::start(media.path());
    let bed = Bed::new(&server.base);
    let (patient, _, _) = server.admit_synthea("Sina");
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/learn-hand-hygiene.pdf"
    ))
    .unwrap();
    server.put(&json!({"resourceType": "Binary", "id": "leaflet-pdf",
        "contentType": "application/pdf", "data": b64(&pdf)}));
    server.put(&json!({"resourceType": "Binary", "id": "leaflet-html",
        "contentType": "text/html",
        "data": b64(b"<h1>Eating well</h1><p>Small meals, often.</p>")}));
    let edu = json!({"coding": [{"system": "http://snomed.info/sct", "code": "311401005"}]});
    for (id, kind, url) in [
        (
            "walking",
            "text/markdown",
            format!("{}/walking.md", files.url),
        ),
        ("eating", "text/html", "Binary/leaflet-html".to_owned()),
        ("hands", "application/pdf", "Binary/leaflet-pdf".to_owned()),
    ] {
        server.put(
            &json!({"resourceType": "DocumentReference", "id": format!("doc-{id}"),
            "status": "current", "category": [edu], "description": id,
            "content": [{"attachment": {"contentType": kind, "url": url}}]}),
        );
        server.put(&json!({"resourceType": "Task", "id": format!("task-{id}"),
            "status": "ready", "intent": "order", "code": edu,
            "for": {"reference": format!("Patient/{patient}")},
            "focus": {"reference": format!("DocumentReference/doc-{id}")}}));
    }
    let before = assignments(&bed);
    assert!(before.is_empty(), "not synced yet");
    let (code, summary, stderr) = bed.sync_once();
    assert_eq!(code, 0, "{summary}\n{stderr}");
    let listed = assignments(&bed);
    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert!(
        listed
            .iter()
            .filter(|a| a.title != "hands")
            .all(|a| matches!(a.material, Material::Text { .. })),
        "text at an address is not at hand before the cache: {listed:#?}"
    );
    drop(files);
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
    let index = store.learn_cache().unwrap();
    assert_eq!(index.len(), 3, "{index:?}");
    let mut items = listed;
    bedside::learn::cache::localize(&mut items, &index, store.dir());
    let material = |title: &str| {
        items
            .iter()
            .find(|a| a.title == title)
            .map(|a| a.material.clone())
            .unwrap()
    };
    assert!(
        matches!(&material("walking"), Material::Document(b)
            if b.first() == Some(&Block::Heading("Walking after your operation".into()))),
        "{:?}",
        material("walking")
    );
    assert!(
        matches!(&material("eating"), Material::Document(b)
            if b.first() == Some(&Block::Heading("Eating well".into()))),
        "{:?}",
        material("eating")
    );
    match material("hands") {
        Material::Pdf {
            leaflet: Some(l), ..
        } => assert_eq!(l.pages(), 2),
        other => panic!("the PDF from the Binary is drawn: {other:?}"),
    }
}

/// A leaflet corrected at the same address reaches the box: after an hour the cache asks the
/// server whether what it has changed (If-Modified-Since; Python's file server gives
/// Last-Modified, not an ETag). Unchanged, the copy stays; changed, the new one replaces it.
#[test]
fn a_leaflet_corrected_at_its_address_is_fetched_again_within_the_hour() {
    use bedside::domain::learn::{Block, Material};
    use serde_json::json;
    let media = tempfile::tempdir().unwrap();
    let leaflet = media.path().join("walking.md");
    std::fs::write(
        &leaflet,
        "# Walking after your operation\n\nWalk a little.\n",
    )
    .unwrap();
    let files = MaterialServer::start(media.path());
    let server = FhirServer::start();
    let bed = Bed::new(&server.base);
    let (patient, _, _) = server.admit_synthea("Sina");
    let edu = json!({"coding": [{"system": "http://snomed.info/sct", "code": "311401005"}]});
    server.put(
        &json!({"resourceType": "DocumentReference", "id": "doc-walking",
        "status": "current", "category": [edu], "description": "Walking",
        "content": [{"attachment": {"contentType": "text/markdown",
            "url": format!("{}/walking.md", files.url)}}]}),
    );
    server.put(
        &json!({"resourceType": "Task", "id": "task-walking", "status": "ready",
        "intent": "order", "code": edu, "for": {"reference": format!("Patient/{patient}")},
        "focus": {"reference": "DocumentReference/doc-walking"}}),
    );
    let config = bedside::config::Config::load(&bed.config).unwrap();
    let cached = || {
        let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
        let index = store.learn_cache().unwrap();
        assert_eq!(index.len(), 1, "{index:?}");
        let mut items = assignments(&bed);
        bedside::learn::cache::localize(&mut items, &index, store.dir());
        let heading = match &items[0].material {
            Material::Document(blocks) => match blocks.first() {
                Some(Block::Heading(h)) => h.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("not read: {other:?}"),
        };
        (index[0].clone(), heading)
    };
    let run = |fake: &[&str]| {
        let (code, summary, stderr) = bed.sync_once_faked(fake);
        assert_eq!(code, 0, "{summary}\n{stderr}");
    };
    run(&[]);
    let (first, heading) = cached();
    assert_eq!(heading, "Walking after your operation");
    assert!(
        first.modified.is_some(),
        "the server's Last-Modified is kept"
    );

    // Corrected in place (a later modification time than the copy's).
    std::fs::write(
        &leaflet,
        "# Walking safely after your operation\n\nWalk a little.\n",
    )
    .unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(120);
    std::fs::File::options()
        .write(true)
        .open(&leaflet)
        .unwrap()
        .set_modified(later)
        .unwrap();
    // Within the hour the box does not ask.
    run(&[]);
    let (same, heading) = cached();
    assert_eq!(same.name, first.name);
    assert_eq!(heading, "Walking after your operation");
    // Two hours on it asks, and gets the correction under a new name.
    run(&["-f", "+2h"]);
    let (fresh, heading) = cached();
    assert_eq!(heading, "Walking safely after your operation");
    assert_ne!(fresh.name, first.name);
    let folder = bed.data_dir().join("learn-cache");
    assert!(!folder.join(&first.name).exists(), "the old copy is gone");
    // Two more hours: unchanged (304), the copy stays and is marked as checked.
    run(&["-f", "+4h"]);
    let (kept, heading) = cached();
    assert_eq!(heading, "Walking safely after your operation");
    assert_eq!(kept.name, fresh.name);
    assert!(
        kept.checked > fresh.checked + 3600,
        "{kept:?} after {fresh:?}"
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
    assert_eq!(assignments(&bed).len(), 4);
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

/// An hour-long video in the real binary, in a window with sound: fast-forwarded ten minutes,
/// then the appliance is killed (-9, a power cut) and started again; the video resumes within
/// 30 s of where it was (the place is checkpointed every 30 s of playing).
#[test]
fn an_hour_long_video_resumes_within_30_s_of_where_it_was_after_a_kill() {
    use common::display::Display;
    use common::sound::SoundServer;
    let media = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            "num-buffers=3600",
            "pattern=solid-color",
        ])
        .arg("foreground-color=0xff303030")
        .args(["!", "video/x-raw,width=320,height=180,framerate=1/1"])
        .args(["!", "x264enc", "speed-preset=ultrafast", "key-int-max=10"])
        .args([
            "!",
            "h264parse",
            "!",
            "mp4mux",
            "faststart=true",
            "!",
            "filesink",
        ])
        .arg(format!(
            "location={}",
            media.path().join("learn-walking.mp4").display()
        ))
        .status()
        .expect("gst-launch-1.0");
    assert!(made.success());
    std::fs::write(
        media.path().join("learn-walking.vtt"),
        "WEBVTT\n\n00:00:00.500 --> 00:00:09.000\nWalk a little every day.\n",
    )
    .unwrap();
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let server = FhirServer::start();
    let (patient, encounter, _) = server.admit_synthea("Sina");
    server.seed(&[
        "ward",
        "--patient",
        &patient,
        "--encounter",
        &encounter,
        "--media",
        media.path().to_str().unwrap(),
    ]);
    let bed = Bed::new(&server.base);
    bed.sync_ok();
    let log = bed.dir.path().join("bedside.log");
    let failed = |what: &str, p: &common::Picture| {
        p.write(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("target/display-failures/learn-resume-{what}.png")),
        );
    };
    // The player's bar: how many pixels of the accent (#5aa9ff) fill it, on the row with most.
    let filled = |p: &common::Picture| {
        (700..1080)
            .step_by(2)
            .map(|y| {
                (0..1920)
                    .filter(|&x| {
                        let [r, g, b] = p.pixel(x, y);
                        r.abs_diff(0x5a) < 24 && g.abs_diff(0xa9) < 24 && b.abs_diff(0xff) < 24
                    })
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    // The whole bar: the accent and the light track beside it, on the same row.
    let paused_at = |display: &Display, what: &str| {
        let paused = display.wait_for(what, Duration::from_secs(10), |p| filled(p) > 0);
        let fill = filled(&paused);
        (paused, fill)
    };
    let open_video = |display: &Display| {
        display.wait_for("Home", Duration::from_secs(20), |p| {
            p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
        });
        display.focus("Bedside");
        display.keys(&[
            "Home", "Up", "Left", "Left", "Left", "Left", "Right", "Return",
        ]);
        display.keys(&["Down", "Return"]);
        display.wait_for("the video", Duration::from_secs(15), |p| {
            p.pixel(960, 300).iter().all(|v| v.abs_diff(0x30) < 8)
        });
    };

    let appliance = display.run_bedside(&bed.config, &sound.address, &log);
    open_video(&display);
    display.keys(&["f"; 20]);
    // Plays on a moment (the place is written down at the next half minute it crosses), then
    // paused: the bar shows where.
    std::thread::sleep(Duration::from_secs(2));
    display.keys(&["Return"]);
    let (before_picture, before) = paused_at(&display, "paused, ten minutes in");
    std::thread::sleep(Duration::from_secs(1));
    drop(appliance);

    let _again = display.run_bedside(&bed.config, &sound.address, &log);
    open_video(&display);
    display.keys(&["Return"]);
    let (after_picture, after) = paused_at(&display, "paused after the restart");
    // The bar's length: from its left end (the first of the accent) along the lighter track
    // to where the dark panel starts again.
    let track = |p: &common::Picture| {
        let y = (700..1080)
            .max_by_key(|&y| {
                (0..1920)
                    .filter(|&x| p.pixel(x, y) == [0x5a, 0xa9, 0xff])
                    .count()
            })
            .unwrap();
        let left = (0..1920)
            .find(|&x| p.pixel(x, y) == [0x5a, 0xa9, 0xff])
            .unwrap_or(0);
        let right = (left..1920)
            .take_while(|&x| p.pixel(x, y).iter().any(|&v| v > 0x30))
            .last()
            .unwrap_or(left);
        (left, right)
    };
    let (left, right) = track(&before_picture);
    let length = f64::from(right.saturating_sub(left).max(1));
    let minutes = |fill: usize| fill as f64 / length * 60.0;
    eprintln!(
        "left at {:.2} min, resumed at {:.2} min ({length} px bar)",
        minutes(before),
        minutes(after)
    );
    if !(9.5..12.0).contains(&minutes(before)) {
        failed("before", &before_picture);
    }
    assert!(
        (9.5..12.0).contains(&minutes(before)),
        "ten minutes in: {before} px of {length} is {:.1} min",
        minutes(before)
    );
    if (minutes(before) - minutes(after)).abs() * 60.0 >= 30.0 {
        failed("after", &after_picture);
    }
    assert!(
        (minutes(before) - minutes(after)).abs() * 60.0 < 30.0,
        "resumed at {:.2} min, left at {:.2} min; log:\n{}",
        minutes(after),
        minutes(before),
        std::fs::read_to_string(&log).unwrap_or_default()
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
            &format!("{learning},down,down,down,down,ok"),
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

/// A static file server on loopback (Python's), serving `dir`: where a hospital keeps its
/// leaflets and videos. Stopped when dropped.
struct MaterialServer {
    child: std::process::Child,
    url: String,
}

impl MaterialServer {
    fn start(dir: &std::path::Path) -> MaterialServer {
        let port = fhir::free_port();
        let child = std::process::Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the file server starts"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        MaterialServer { child, url }
    }
}

impl Drop for MaterialServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo's PDF leaflet and the video's captions at an http URL: `bedside sync --once` fetches
/// them ahead (the leaflet drawn page by page by poppler) into the cache folder under names that
/// say nothing; with the file server gone, the real binary still shows the leaflet's pages (read
/// at the wide width, then whole); a video that is not there (404) holds nothing else up; and
/// discharge erases the folder with the rest.
#[test]
fn a_pdf_leaflet_is_fetched_ahead_drawn_and_read_with_the_server_gone() {
    let media = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/demo/learn-hand-hygiene.pdf"
        ),
        media.path().join("learn-hand-hygiene.pdf"),
    )
    .unwrap();
    std::fs::write(
        media.path().join("learn-walking.vtt"),
        "WEBVTT\n\n00:00:00.500 --> 00:00:09.000\nWalk a little every day.\n",
    )
    .unwrap();
    let files = MaterialServer::start(media.path());
    let server = FhirServer::start();
    let bed = Bed::new(&server.base);
    let (patient, encounter, _) = server.admit_synthea("Sina");
    server.seed(&[
        "ward",
        "--patient",
        &patient,
        "--encounter",
        &encounter,
        "--media",
        &files.url,
    ]);
    let (code, summary, stderr) = bed.sync_once();
    assert_eq!(code, 0, "{summary}\n{stderr}");
    assert!(
        stderr.contains("could not be fetched ahead"),
        "the missing video is said: {stderr}"
    );
    assert!(
        !stderr.contains(&files.url) && !stderr.contains("hand-hygiene"),
        "no address in the journal: {stderr}"
    );
    let folder = bed.data_dir().join("learn-cache");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        2,
        "the leaflet's pages and the captions: {names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| n.len() == 32 && n.chars().all(|c| c.is_ascii_hexdigit())),
        "random names: {names:?}"
    );
    // The store points the assignments at them.
    let config = bedside::config::Config::load(&bed.config).unwrap();
    {
        let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
        let index = store.learn_cache().unwrap();
        let mut items = assignments(&bed);
        bedside::learn::cache::localize(&mut items, &index, store.dir());
        let leaflet = items
            .iter()
            .find_map(|a| match &a.material {
                bedside::domain::learn::Material::Pdf { leaflet, .. } => leaflet.clone(),
                _ => None,
            })
            .expect("the PDF's pages are ready");
        assert_eq!(leaflet.pages(), 2);
        let video = items
            .iter()
            .find_map(|a| match &a.material {
                bedside::domain::learn::Material::Video { url, captions } => {
                    Some((url.clone(), captions.clone()))
                }
                _ => None,
            })
            .unwrap();
        assert!(
            video.0.starts_with(&files.url),
            "not fetched: plays from its address"
        );
        assert!(
            video.1.unwrap().starts_with("file://"),
            "the captions are read from the copy"
        );
    }
    drop(files);
    // Home → Learn → the fourth (due last) → its first page at the wide width.
    let wide = common::config_shot(
        &bed.config,
        "right,ok,down,down,down,ok",
        &["--wait", "600"],
    );
    common::assert_golden("learn-leaflet-wide", &wide);
    // Down twice: further down the page.
    let lower = common::config_shot(
        &bed.config,
        "right,ok,down,down,down,ok,down,down",
        &["--wait", "600"],
    );
    assert!(
        lower.pixels_differing(&wide, 40) > 20_000,
        "the page moved up the screen"
    );
    let whole = common::config_shot(
        &bed.config,
        "right,ok,down,down,down,ok,up",
        &["--wait", "600"],
    );
    common::assert_golden("learn-leaflet-whole", &whole);
    // Large text (Settings; kept in the settings file for the shots after this one, as on the
    // box): the header and footer are taller and less of the page shows at once. At the foot
    // of the first page (six steps of 360 px down) its footer line is in sight above the hint.
    let large = "down,right,right,ok,down,ok,home,up,left,ok,down,down,down,ok";
    common::assert_golden(
        "learn-leaflet-wide-large-text",
        &common::config_shot(&bed.config, large, &["--wait", "600"]),
    );
    common::assert_golden(
        "learn-leaflet-foot-large-text",
        &common::config_shot(
            &bed.config,
            "right,ok,down,down,down,ok,down,down,down,down,down,down",
            &["--wait", "600"],
        ),
    );
    server.seed(&["discharge", "--encounter", &encounter]);
    let s = bed.sync_ok();
    assert_eq!(s["patient_present"], false, "{s}");
    assert!(!folder.exists(), "the cache folder is erased at discharge");
    let (store, _) = bedside::sync::engine::open_store(&config).unwrap();
    assert!(store.learn_cache().unwrap().is_empty());
}

/// Learn on the path the appliance runs: the real binary in a real window (Xvfb), sound on
/// through a null sink, its own sync loop and Learn's cache thread. The ward is assigned while
/// it runs; the cache fetches and draws the PDF leaflet from the hospital's file server; the
/// patient reads it with the keyboard's arrows, answers its question and finishes; the Task,
/// the answers and the teaching reach the FHIR server through the outbox.
#[test]
fn a_pdf_leaflet_in_a_window_with_sound_is_fetched_read_answered_and_recorded() {
    use common::display::Display;
    use common::sound::SoundServer;
    let media = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/demo/learn-hand-hygiene.pdf"
        ),
        media.path().join("learn-hand-hygiene.pdf"),
    )
    .unwrap();
    let files = MaterialServer::start(media.path());
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let server = FhirServer::start();
    let (patient, encounter, _) = server.admit_synthea("Sina");
    let bed = Bed::new(&server.base);
    bed.sync_ok();
    let log = bed.dir.path().join("bedside.log");
    let _appliance = display.run_bedside(&bed.config, &sound.address, &log);
    display.wait_for("Home", Duration::from_secs(20), |p| {
        p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
    });
    display.focus("Bedside");
    // The care team assigns the ward's education now; the running box picks it up.
    server.seed(&[
        "ward",
        "--patient",
        &patient,
        "--encounter",
        &encounter,
        "--media",
        &files.url,
    ]);
    // A leaflet page is on screen: most of the reading area is paper (white or a pale panel).
    let page_shown = |p: &common::Picture| {
        let samples: Vec<[u8; 3]> = (200..1700)
            .step_by(50)
            .flat_map(|x| (300..880).step_by(50).map(move |y| (x, y)))
            .map(|(x, y)| p.pixel(x, y))
            .collect();
        let paper = samples
            .iter()
            .filter(|c| c.iter().all(|&v| v > 190))
            .count();
        paper * 10 > samples.len() * 4
    };
    // Home → Learn → the PDF leaflet (fourth, due last), until its page shows: the list fills
    // at the next pass, the cache fetches and draws the leaflet, the sync loop shows it, the
    // page reader reads it.
    let started = std::time::Instant::now();
    loop {
        // Home keeps the tile last focused: back to the first, then Learn beside it.
        display.keys(&[
            "Home", "Up", "Left", "Left", "Left", "Left", "Right", "Return",
        ]);
        display.keys(&["Down", "Down", "Down", "Return"]);
        std::thread::sleep(Duration::from_millis(700));
        let shown = display.picture();
        if page_shown(&shown) {
            break;
        }
        shown.write(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/display-failures/learn-leaflet.png"),
        );
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the leaflet's page never showed; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
    let first = display.picture();
    // The page moves up the screen with Down.
    display.keys(&["Down", "Down"]);
    let lower = display.wait_for("the page moved", Duration::from_secs(5), |p| {
        p.pixels_differing(&first, 40) > 20_000
    });
    // Page 2, read to its foot with OK, then on to the question: Soap and water (the
    // second option) is right; then finish.
    display.keys(&["Right"]);
    display.wait_for("page 2", Duration::from_secs(5), |p| {
        p.pixels_differing(&lower, 40) > 20_000
    });
    for _ in 0..8 {
        display.keys(&["Return"]);
        // Stop at the question (no paper on screen).
        if !page_shown(&display.picture()) {
            break;
        }
    }
    display.keys(&["Down", "Return", "Return"]);
    let started = std::time::Instant::now();
    let hands = loop {
        let tasks = server.get(&format!("Task?patient=Patient/{patient}&_count=50"));
        let done = tasks["entry"].as_array().into_iter().flatten().find(|e| {
            e["resource"]["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("A two-page leaflet"))
                && e["resource"]["status"] == "completed"
        });
        if let Some(done) = done {
            break done["resource"].clone();
        }
        if started.elapsed() > Duration::from_secs(30) {
            display.picture().write(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("target/display-failures/learn-leaflet-end.png"),
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the leaflet's Task was never completed on the server; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    // Its outputs: the answers and the teaching.
    let outputs: Vec<&str> = hands["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["valueReference"]["reference"].as_str())
        .collect();
    assert_eq!(outputs.len(), 2, "{hands}");
    let response = server.get(outputs[0]);
    assert_eq!(response["resourceType"], "QuestionnaireResponse");
    assert_eq!(response["item"][0]["linkId"], "dirty-hands");
    assert_eq!(
        response["item"][0]["answer"][0]["valueCoding"]["code"],
        "soap"
    );
    fhir::assert_valid_fhir(&[hands.clone(), response.clone()]);
    let journal = std::fs::read_to_string(&log).unwrap();
    assert!(
        journal.contains("Learn material fetched ahead"),
        "{journal}"
    );
    assert!(
        !journal.contains(&files.url) && !journal.contains("hand"),
        "nothing of what or where in the journal:\n{journal}"
    );
}
