//! Learn in FHIR R4: education assignments read from the store, and what the box writes back
//! (the Task's progress, the teach-back answers, the teaching done).
//!
//! The profile read (docs/learn.md has a whole example):
//! - `Task`, `for` the patient, `code` SNOMED CT 311401005 "Patient education" (or 409073007
//!   "Education"), `status` requested/received/accepted/ready (new), in-progress (started) or
//!   completed (done); draft, on-hold, cancelled, rejected, failed and entered-in-error are not
//!   shown.
//! - `focus`: the `DocumentReference` with the material; its `content[]` attachments are
//!   video (`video/*`, played), Markdown (`text/markdown`) or plain text, inline in `data` or
//!   at `url`, a PDF (`application/pdf`), WebVTT captions (`text/vtt`) for the video; the one in
//!   the patient's language (`Patient.communication`) is chosen when there is one.
//! - `input[]` with a `valueReference` to a `Questionnaire`: the teach-back.
//! - `description`: the short description; `restriction.period.end`: when it is due;
//!   `requester`: who assigned it; `basedOn`: the ServiceRequest it fulfils; the extension
//!   [`EXT_MINUTES`] (valueInteger): about how many minutes it takes.
//! - A `ServiceRequest` with the education category and no Task yet, whose `supportingInfo`
//!   names the DocumentReference and/or the Questionnaire: listed as new, and given a Task by
//!   the box when first opened ([`request_task`]).
//! - Teach-back marks (extensions on `Questionnaire.item`): [`EXT_RIGHT`] on an `answerOption`
//!   (valueBoolean true: a right answer), [`EXT_ANSWER`] on a boolean or integer item (the
//!   right value), [`EXT_WHY`] (valueString: why), [`EXT_REVIEW`] (valueInteger: the section of
//!   the leaflet to look at again, the nth heading from 1, or the second of the video).

use std::collections::HashMap;

use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::catalogue::{Definition, Questionnaires, definitions};
use super::record::{by_id, concept, moment, name_of, target};
use crate::domain::learn::quiz::{Choice, ChoiceValue, Condition, Item, Kind, Quiz, Test, Within};
use crate::domain::learn::{Answer, Answered, Assignment, Given, Material, Progress, TextFormat};

const EXT: &str = "https://bedside.example/fhir/StructureDefinition/";
pub const EXT_MINUTES: &str = "https://bedside.example/fhir/StructureDefinition/learn-minutes";
pub const EXT_RIGHT: &str = "https://bedside.example/fhir/StructureDefinition/teach-back-right";
pub const EXT_ANSWER: &str = "https://bedside.example/fhir/StructureDefinition/teach-back-answer";
pub const EXT_WHY: &str = "https://bedside.example/fhir/StructureDefinition/teach-back-why";
pub const EXT_REVIEW: &str = "https://bedside.example/fhir/StructureDefinition/teach-back-review";
pub const EXT_TEACH_BACK: &str = "https://bedside.example/fhir/StructureDefinition/teach-back";

/// SNOMED CT "Patient education (procedure)": the category of the Procedure that records the
/// teaching, and the Task code read first.
pub const PATIENT_EDUCATION: (&str, &str, &str) = (
    "http://snomed.info/sct",
    "311401005",
    "Patient education (procedure)",
);

/// The most text a document may have (a leaflet, not a book): longer is cut with a note.
pub const MAX_TEXT: usize = 200_000;

pub(super) fn extension<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
    debug_assert!(url.starts_with(EXT) || url.starts_with("http"));
    v["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"].as_str() == Some(url))
}

/// The primary language subtag ("es" of "es-MX"), lower case.
fn primary(lang: &str) -> String {
    lang.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The patient's preferred language (primary subtag), if the record says.
pub fn patient_language(patient: &Value) -> Option<String> {
    let list = patient["communication"].as_array()?;
    let chosen = list
        .iter()
        .find(|c| c["preferred"].as_bool() == Some(true))
        .or(list.first())?;
    let lang = &chosen["language"];
    lang["coding"]
        .as_array()
        .and_then(|c| c.iter().find_map(|c| c["code"].as_str()))
        .map(primary)
        .filter(|l| !l.is_empty())
}

/// The Task's status as the patient's progress; None for a Task not shown.
fn progress_of(status: &str) -> Option<Progress> {
    match status {
        "requested" | "received" | "accepted" | "ready" => Some(Progress::New),
        "in-progress" => Some(Progress::Started),
        "completed" => Some(Progress::Done),
        _ => None,
    }
}

/// Every assignment in the store for the patient, in the order of what to do next: their
/// education Tasks, and the education ServiceRequests no Task fulfils yet that bring something
/// to show (see [`request_task`]).
pub fn assignments(resources: &impl Fn(&str) -> Vec<Value>) -> Vec<Assignment> {
    let documents = by_id(resources("DocumentReference"));
    let questionnaires = resources("Questionnaire");
    let questionnaires = Questionnaires::new(&questionnaires);
    let activities = resources("ActivityDefinition");
    let plans = resources("PlanDefinition");
    let definitions: HashMap<String, Definition> = definitions(&activities, &plans)
        .into_iter()
        .map(|d| (d.key.clone(), d))
        .collect();
    let practitioners = by_id(resources("Practitioner"));
    let language = resources("Patient").first().and_then(patient_language);
    let responses = resources("QuestionnaireResponse");
    let tasks = resources("Task");
    // The teach-back a Task's inputs (or a request's supportingInfo) name.
    let questionnaire_of = |refs: Option<&Vec<Value>>| {
        refs.into_iter().flatten().find_map(|r| {
            target(&r["valueReference"], "Questionnaire")
                .or_else(|| target(r, "Questionnaire"))
                .and_then(|q| questionnaires.get(&format!("Questionnaire/{q}")))
                .or_else(|| questionnaires.get(r["valueCanonical"].as_str()?))
        })
    };
    // What was assigned: the DocumentReference a reference names, else the definition the
    // canonical names (one on a Task, a list on a ServiceRequest).
    let content_of = |document: Option<&str>, canonicals: &Value| {
        if let Some(d) = document.and_then(|d| documents.get(d)) {
            return Some(Content::of_document(d));
        }
        let list = match canonicals {
            Value::Array(list) => list.iter().collect(),
            one => vec![one],
        };
        list.into_iter()
            .filter_map(Value::as_str)
            .find_map(|c| definitions.get(c.split('|').next().unwrap_or(c)))
            .map(Content::of_definition)
    };
    let build = |parts: Parts| {
        let content = parts.content.unwrap_or_default();
        let quiz = parts
            .questionnaire
            .or_else(|| content.questions.iter().find_map(|q| questionnaires.get(q)))
            .map(read_questionnaire);
        let (material, in_language) = if content.attachments.is_empty() {
            (Material::None, true)
        } else {
            material_of_attachments(&content.attachments, language.as_deref())
        };
        let title = content
            .title
            .clone()
            .or_else(|| quiz.as_ref().map(|q| q.title.clone()))
            .or_else(|| concept(parts.code))
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let assigned_by = target(parts.requester, "Practitioner")
            .and_then(|p| practitioners.get(p))
            .and_then(name_of)
            .or_else(|| parts.requester["display"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let topic = content
            .topic
            .into_iter()
            .map(|(s, c, d)| {
                let d = d.unwrap_or_else(|| title.clone());
                (s, c, d)
            })
            .collect();
        Assignment {
            task: parts.task,
            title,
            description: parts.description,
            progress: parts.progress,
            due: parts.due,
            assigned_by,
            minutes: extension(parts.carrier, EXT_MINUTES)
                .and_then(|e| e["valueInteger"].as_u64())
                .map(|m| m.min(600) as u32)
                .or(content.minutes),
            material,
            quiz,
            in_language,
            topic,
            based_on: parts.based_on,
            answers: parts.answers,
            source: content.key,
            from_request: parts.from_request,
        }
    };
    let mut out: Vec<Assignment> = tasks
        .iter()
        .filter_map(|task| {
            let progress = progress_of(task["status"].as_str()?)?;
            Some(build(Parts {
                task: task["id"].as_str()?.to_owned(),
                progress,
                content: content_of(
                    target(&task["focus"], "DocumentReference"),
                    match &task["instantiatesCanonical"] {
                        Value::Null => &task["instantiatesUri"],
                        canonical => canonical,
                    },
                ),
                questionnaire: questionnaire_of(task["input"].as_array()),
                code: &task["code"],
                requester: &task["requester"],
                description: task["description"].as_str().unwrap_or_default().to_owned(),
                due: moment(task["restriction"]["period"]["end"].as_str()),
                carrier: task,
                based_on: task["basedOn"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find_map(|b| target(b, "ServiceRequest"))
                    .map(|id| format!("ServiceRequest/{id}")),
                answers: answers_for(task, &responses),
                from_request: false,
            }))
        })
        .collect();
    // A ServiceRequest a Task (of any status: a nurse's cancel included) already fulfils is
    // that Task's business.
    let fulfilled: std::collections::HashSet<&str> = tasks
        .iter()
        .flat_map(|t| t["basedOn"].as_array().into_iter().flatten())
        .filter_map(|b| target(b, "ServiceRequest"))
        .collect();
    for request in resources("ServiceRequest") {
        let Some(id) = request["id"].as_str() else {
            continue;
        };
        if fulfilled.contains(id) || !request_shown(&request) {
            continue;
        }
        let supporting = request["supportingInfo"].as_array();
        let document = supporting
            .into_iter()
            .flatten()
            .find_map(|r| target(r, "DocumentReference"));
        let content = content_of(document, &request["instantiatesCanonical"]);
        let questionnaire = questionnaire_of(supporting);
        // Nothing to show: teaching by a person (the nurse, an educator), which the TV neither
        // lists nor could ever record as done.
        let empty = content
            .as_ref()
            .is_none_or(|c| c.attachments.is_empty() && c.questions.is_empty());
        if empty && questionnaire.is_none() {
            continue;
        }
        let description = request["patientInstruction"]
            .as_str()
            .or_else(|| {
                request["note"]
                    .as_array()?
                    .iter()
                    .find_map(|n| n["text"].as_str())
            })
            .unwrap_or_default()
            .to_owned();
        let due = moment(request["occurrenceDateTime"].as_str())
            .or_else(|| moment(request["occurrencePeriod"]["end"].as_str()));
        out.push(build(Parts {
            task: request_task_id(id),
            progress: Progress::New,
            content,
            questionnaire,
            code: &request["code"],
            requester: &request["requester"],
            description,
            due,
            carrier: &request,
            based_on: Some(format!("ServiceRequest/{id}")),
            answers: Vec::new(),
            from_request: true,
        }));
    }
    crate::domain::learn::sort(&mut out);
    out
}

/// What was assigned, from its DocumentReference or its definition.
#[derive(Default)]
struct Content<'a> {
    /// As the catalogue keys it.
    key: Option<String>,
    title: Option<String>,
    attachments: Vec<&'a Value>,
    /// What may name the teach-back, when the Task does not.
    questions: Vec<String>,
    /// (system, code, display; None: the title).
    topic: Vec<(String, String, Option<String>)>,
    minutes: Option<u32>,
}

impl<'a> Content<'a> {
    fn of_document(d: &'a Value) -> Content<'a> {
        let attachments: Vec<&Value> = d["content"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| &c["attachment"])
            .collect();
        let title = d["description"]
            .as_str()
            .or_else(|| attachments.iter().find_map(|a| a["title"].as_str()))
            .map(str::to_owned);
        let topic = d["type"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                Some((
                    c["system"].as_str()?.to_owned(),
                    c["code"].as_str()?.to_owned(),
                    c["display"].as_str().map(str::to_owned),
                ))
            })
            .collect();
        Content {
            key: d["id"].as_str().map(|id| format!("DocumentReference/{id}")),
            title,
            attachments,
            questions: Vec::new(),
            topic,
            minutes: None,
        }
    }

    fn of_definition(d: &Definition<'a>) -> Content<'a> {
        Content {
            key: Some(d.key.clone()),
            title: Some(d.title.clone()),
            attachments: d.attachments.clone(),
            questions: d.questions.clone(),
            topic: d
                .topic
                .iter()
                .map(|(s, c, t)| (s.clone(), c.clone(), Some(t.clone())))
                .collect(),
            minutes: d.minutes,
        }
    }
}

/// What an assignment is made of, from a Task or a ServiceRequest.
struct Parts<'a> {
    task: String,
    progress: Progress,
    content: Option<Content<'a>>,
    questionnaire: Option<&'a Value>,
    /// What it is about (the Task's or the request's `code`), for a title of last resort.
    code: &'a Value,
    requester: &'a Value,
    description: String,
    due: Option<Timestamp>,
    /// The resource whose extensions say how long it takes.
    carrier: &'a Value,
    based_on: Option<String>,
    answers: Vec<Given>,
    from_request: bool,
}

/// An education ServiceRequest the patient is given on the TV: active, and an order or a plan
/// (a proposal or an option is not yet anything to do).
fn request_shown(request: &Value) -> bool {
    request["status"].as_str() == Some("active")
        && !matches!(request["intent"].as_str(), Some("proposal" | "option"))
        && request["doNotPerform"].as_bool() != Some(true)
}

/// The id of the Task the box creates for an education ServiceRequest (`request`: its id):
/// the same on every box and after every restart, so it is created once whoever gets there
/// first. "edu-" and 32 hex digits of SHA-256 over "ServiceRequest/{request}".
pub fn request_task_id(request: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("ServiceRequest/{request}").as_bytes(),
    );
    let hex: String = digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("edu-{hex}")
}

/// The Task that records the patient's progress on an education ServiceRequest no Task
/// fulfilled yet (`item` is the assignment read from `request`), created by the box when the
/// patient first opens it (or staff take it back): `ready`, `basedOn` the request, its focus
/// the DocumentReference and its input the Questionnaire the request's `supportingInfo` named,
/// the request's requester, code, due date and instruction. Its id is [`request_task_id`].
pub fn request_task(request: &Value, item: &Assignment, who: &Subject, at: Timestamp) -> Value {
    let (system, code, display) = PATIENT_EDUCATION;
    let id = request["id"].as_str().unwrap_or_default();
    let mut task = json!({
        "resourceType": "Task",
        "id": request_task_id(id),
        "status": "ready",
        "intent": "order",
        "basedOn": [{"reference": format!("ServiceRequest/{id}")}],
        "code": {"coding": [{"system": system, "code": code, "display": display}],
            "text": "Patient education"},
        "for": {"reference": format!("Patient/{}", who.patient)},
        "authoredOn": at.to_string(),
        "lastModified": at.to_string(),
    });
    // R4 has no empty strings: no description rather than "".
    let description = [&item.description, &item.title]
        .into_iter()
        .find(|d| !d.trim().is_empty());
    if let Some(d) = description {
        task["description"] = json!(d);
    }
    if !who.encounter.is_empty() {
        task["encounter"] = json!({"reference": format!("Encounter/{}", who.encounter)});
    }
    if request["requester"].is_object() {
        task["requester"] = request["requester"].clone();
    }
    if let Some(due) = item.due {
        task["restriction"] = json!({"period": {"end": due.to_string()}});
    }
    if let Some(key) = &item.source {
        super::catalogue::instantiates(&mut task, key);
    }
    let questionnaire = request["supportingInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| target(r, "Questionnaire").is_some());
    if let Some(q) = questionnaire {
        task["input"] = json!([{
            "type": {"coding": [{"system": "http://hl7.org/fhir/uv/sdc/CodeSystem/temp",
                "code": "questionnaire"}]},
            "valueReference": {"reference": q["reference"]},
        }]);
    }
    if let Some(m) = item.minutes {
        task["extension"] = json!([{"url": EXT_MINUTES, "valueInteger": m}]);
    }
    task
}

/// Puts a response item where the Questionnaire has it: inside its groups (`item`), and a
/// follow-up question under its parent's answer (`answer.item`, as R4 nests them).
fn place(list: &mut Vec<Value>, within: &[Within], entry: Value) {
    let Some((outer, rest)) = within.split_first() else {
        list.push(entry);
        return;
    };
    let at = match list.iter().position(|e| e["linkId"] == outer.link_id) {
        Some(at) => at,
        None => {
            let mut node = json!({"linkId": outer.link_id});
            if !outer.text.is_empty() {
                node["text"] = json!(outer.text);
            }
            list.push(node);
            list.len() - 1
        }
    };
    let node = &mut list[at];
    let under_answer = outer.question && node["answer"].is_array();
    let slot = if under_answer {
        &mut node["answer"][0]["item"]
    } else {
        &mut node["item"]
    };
    if !slot.is_array() {
        *slot = json!([]);
    }
    if let Value::Array(children) = slot {
        place(children, rest, entry);
    }
}

/// The latest teach-back answers recorded for `task` (a QuestionnaireResponse its output names), in
/// words, with whether each was right (the box's own mark on the item, [`EXT_RIGHT`]).
fn answers_for(task: &Value, responses: &[Value]) -> Vec<Given> {
    let named: Vec<&str> = task["output"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| target(&o["valueReference"], "QuestionnaireResponse"))
        .collect();
    let latest = responses
        .iter()
        .filter(|qr| qr["id"].as_str().is_some_and(|id| named.contains(&id)))
        .max_by_key(|qr| qr["authored"].as_str().unwrap_or_default().to_owned());
    let Some(qr) = latest else {
        return Vec::new();
    };
    // Every answered item, nested ones too (in groups, under a parent's answer), in order.
    fn flatten<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
        for item in list.as_array().into_iter().flatten() {
            let nested = item.get("item").is_some()
                || item["answer"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a.get("item").is_some()));
            if item.get("answer").is_some() || !nested {
                out.push(item);
            }
            for answer in item["answer"].as_array().into_iter().flatten() {
                flatten(&answer["item"], out);
            }
            flatten(&item["item"], out);
        }
    }
    let mut all = Vec::new();
    flatten(&qr["item"], &mut all);
    let mut out = Vec::new();
    for item in all {
        let question = item["text"].as_str().unwrap_or_default().to_owned();
        let answer = item["answer"]
            .as_array()
            .and_then(|a| a.first())
            .map(|a| {
                if let Some(c) = a.get("valueCoding") {
                    c["display"]
                        .as_str()
                        .or(c["code"].as_str())
                        .unwrap_or_default()
                        .to_owned()
                } else if let Some(s) = a["valueString"].as_str() {
                    s.to_owned()
                } else if let Some(b) = a["valueBoolean"].as_bool() {
                    if b { "Yes" } else { "No" }.to_owned()
                } else if let Some(n) = a["valueInteger"].as_i64() {
                    n.to_string()
                } else {
                    String::new()
                }
            })
            .unwrap_or_default();
        if question.is_empty() && answer.is_empty() {
            continue;
        }
        // Skipped questions stay, with an empty answer: staff see what was skipped.
        let right = extension(item, EXT_RIGHT).and_then(|e| e["valueBoolean"].as_bool());
        out.push(Given {
            question,
            answer,
            right,
        });
    }
    out
}

/// A leaflet's text (inline, or fetched), read into blocks: at most [`MAX_TEXT`] bytes of it
/// (a leaflet, not a book; longer is cut with a line in the journal).
pub fn read_text(format: TextFormat, bytes: &[u8]) -> Vec<crate::domain::learn::Block> {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        tracing::warn!("an education document is longer than the box shows; cut");
    }
    format.read(&text)
}

/// The material among these attachments (a DocumentReference's content, or the documents an
/// ActivityDefinition or a PlanDefinition's action names), in the patient's language when it
/// has it; and whether it is in their language.
pub(super) fn material_of_attachments(
    attachments: &[&Value],
    language: Option<&str>,
) -> (Material, bool) {
    let kind = |a: &Value| {
        a["contentType"]
            .as_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let main = |a: &&Value| {
        let k = kind(a);
        k.starts_with("video/")
            || k == "text/markdown"
            || k == "text/plain"
            || k == "text/html"
            || k == "application/xhtml+xml"
            || k == "application/pdf"
    };
    let lang_of = |a: &Value| a["language"].as_str().map(primary);
    let candidates: Vec<&Value> = attachments.iter().copied().filter(main).collect();
    let mine = language.and_then(|l| {
        candidates
            .iter()
            .copied()
            .find(|a| lang_of(a).as_deref() == Some(l))
    });
    let in_language = match (language, mine) {
        (None, _) | (_, Some(_)) => true,
        // No language marked on any of them: nothing to say.
        (Some(_), None) => candidates.iter().all(|a| lang_of(a).is_none()),
    };
    let Some(chosen) = mine.or_else(|| candidates.first().copied()) else {
        return (Material::None, true);
    };
    let k = kind(chosen);
    let url = chosen["url"].as_str().map(str::to_owned);
    let material = if k.starts_with("video/") {
        let captions = attachments
            .iter()
            .filter(|a| kind(a) == "text/vtt")
            .find(|a| lang_of(a) == lang_of(chosen))
            .or_else(|| attachments.iter().find(|a| kind(a) == "text/vtt"))
            .and_then(|a| a["url"].as_str().map(str::to_owned));
        match url {
            Some(url) => Material::Video { url, captions },
            None => Material::None,
        }
    } else if k == "application/pdf" {
        match url {
            Some(url) => Material::Pdf { url, leaflet: None },
            None => Material::None,
        }
    } else {
        match chosen["data"].as_str().and_then(|d| {
            base64::engine::general_purpose::STANDARD
                .decode(d.trim())
                .ok()
        }) {
            Some(bytes) => {
                let format = TextFormat::of(&k).unwrap_or(TextFormat::Plain);
                Material::Document(read_text(format, &bytes))
            }
            // At an address: the cache fetches it (`learn::cache`).
            None => match url {
                Some(url) => Material::Text {
                    url,
                    format: TextFormat::of(&k).unwrap_or(TextFormat::Plain),
                },
                None => Material::None,
            },
        }
    };
    (material, in_language)
}

/// Reads a Questionnaire into the questions the box can ask, refusing item by item what a
/// remote cannot answer.
pub fn read_questionnaire(q: &Value) -> Quiz {
    let value_sets: HashMap<String, &Value> = q["contained"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["resourceType"] == "ValueSet")
        .filter_map(|r| Some((format!("#{}", r["id"].as_str()?), r)))
        .collect();
    let mut items = Vec::new();
    walk(
        q["item"].as_array().map_or(&[][..], Vec::as_slice),
        None,
        &[],
        &value_sets,
        &mut items,
    );
    // linkIds are unique in a valid Questionnaire (que-2); a question repeating the linkId of
    // an earlier item (a group's too) could not be told apart in the answers. The questions
    // come in the tree's own order (depth first), as `walk` reads them.
    fn repeats(list: &Value, seen: &mut std::collections::HashSet<String>, out: &mut Vec<bool>) {
        for item in list.as_array().into_iter().flatten() {
            let link = item["linkId"].as_str().unwrap_or_default().to_owned();
            let again = !seen.insert(link);
            if item["type"] != "group" {
                out.push(again);
            }
            repeats(&item["item"], seen, out);
        }
    }
    let mut again = Vec::new();
    repeats(
        &q["item"],
        &mut std::collections::HashSet::new(),
        &mut again,
    );
    if again.len() == items.len() {
        for (item, again) in items.iter_mut().zip(again) {
            if again {
                item.kind = Kind::Unsupported("repeats the linkId of an earlier item".to_owned());
            }
        }
    }
    Quiz {
        questionnaire: q["url"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Questionnaire/{}", q["id"].as_str().unwrap_or_default())),
        title: q["title"]
            .as_str()
            .or(q["name"].as_str())
            .unwrap_or_default()
            .to_owned(),
        items,
    }
}

fn walk(
    list: &[Value],
    group: Option<&str>,
    within: &[Within],
    sets: &HashMap<String, &Value>,
    out: &mut Vec<Item>,
) {
    for item in list {
        let text = item["text"]
            .as_str()
            .or(item["prefix"].as_str())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let link_id = item["linkId"].as_str().unwrap_or_default().to_owned();
        let kind_name = item["type"].as_str().unwrap_or_default();
        let conditions: Option<Vec<Condition>> = item["enableWhen"]
            .as_array()
            .map(|list| list.iter().map(condition).collect())
            .unwrap_or(Some(Vec::new()));
        if kind_name == "group" {
            let heading = if text.is_empty() { group } else { Some(&*text) };
            let start = out.len();
            let mut inner = within.to_vec();
            inner.push(Within {
                link_id: link_id.clone(),
                text: text.clone(),
                question: false,
            });
            walk(
                item["item"].as_array().map_or(&[][..], Vec::as_slice),
                heading,
                &inner,
                sets,
                out,
            );
            // A group's condition applies to each of its questions.
            if let Some(conds) = &conditions {
                for child in &mut out[start..] {
                    child.enable_when.extend(conds.iter().cloned());
                }
            }
            continue;
        }
        let mut kind = match kind_name {
            "display" => Kind::Display,
            "boolean" => Kind::Boolean {
                right: extension(item, EXT_ANSWER).and_then(|e| e["valueBoolean"].as_bool()),
            },
            "integer" => Kind::Integer {
                min: None,
                max: None,
                right: extension(item, EXT_ANSWER).and_then(|e| e["valueInteger"].as_i64()),
            },
            "choice" | "open-choice" => choices(item, sets),
            other => Kind::Unsupported(match other {
                "string" | "text" | "url" => "needs typing, which a TV remote cannot do".to_owned(),
                "date" | "dateTime" | "time" => {
                    "asks for a date or time, which this TV does not ask with a remote".to_owned()
                }
                "decimal" | "quantity" => {
                    "asks for a number with decimals or units, not asked with a remote".to_owned()
                }
                "attachment" | "reference" => "asks for a file or a record".to_owned(),
                "" => "has no type".to_owned(),
                _ => format!("is of the type '{other}', which this TV does not know"),
            }),
        };
        if item["repeats"].as_bool() == Some(true) && matches!(kind, Kind::Choice { .. }) {
            // Several answers at once: the remote picks one; the nurse can ask for the rest.
            tracing::debug!(link_id, "a repeating choice is asked as a single choice");
        }
        let conditions = match conditions {
            Some(c) => c,
            None => {
                kind = Kind::Unsupported(
                    "shows only under a condition this TV cannot check".to_owned(),
                );
                Vec::new()
            }
        };
        let children = item["item"].as_array().map_or(&[][..], Vec::as_slice);
        let mut inner = within.to_vec();
        inner.push(Within {
            link_id: link_id.clone(),
            text: text.clone(),
            question: true,
        });
        out.push(Item {
            link_id,
            text,
            group: group.map(str::to_owned),
            within: within.to_vec(),
            kind,
            enable_when: conditions,
            any_enables: item["enableBehavior"].as_str() == Some("any"),
            why: extension(item, EXT_WHY)
                .and_then(|e| e["valueString"].as_str().map(str::to_owned)),
            review: extension(item, EXT_REVIEW)
                .and_then(|e| e["valueInteger"].as_u64())
                .map(|n| n as u32),
        });
        // Questions nested under a question follow it (with its conditions as their own).
        walk(children, group, &inner, sets, out);
    }
}

/// FHIR's own yes / no / don't know value set, which questionnaires name without containing.
const YES_NO_DONT_KNOW: &str = "http://hl7.org/fhir/ValueSet/yesnodontknow";

fn choices(item: &Value, sets: &HashMap<String, &Value>) -> Kind {
    let mut options = Vec::new();
    let mut right = Vec::new();
    if let Some(list) = item["answerOption"].as_array() {
        for option in list {
            let value = if let Some(c) = option.get("valueCoding") {
                let code = c["code"].as_str().unwrap_or_default().to_owned();
                let display = c["display"].as_str().unwrap_or(&code).to_owned();
                ChoiceValue::Coding {
                    system: c["system"].as_str().unwrap_or_default().to_owned(),
                    code,
                    display,
                }
            } else if let Some(s) = option["valueString"].as_str() {
                ChoiceValue::String(s.to_owned())
            } else if let Some(n) = option["valueInteger"].as_i64() {
                ChoiceValue::Integer(n)
            } else {
                return Kind::Unsupported(
                    "offers answers of a kind this TV cannot show (dates or references)".into(),
                );
            };
            if extension(option, EXT_RIGHT).and_then(|e| e["valueBoolean"].as_bool()) == Some(true)
            {
                right.push(options.len());
            }
            options.push(Choice {
                label: label_of(&value),
                value,
            });
        }
    } else if let Some(set) = item["answerValueSet"].as_str() {
        let bare = set.split('|').next().unwrap_or(set);
        if bare == YES_NO_DONT_KNOW {
            let v2 = "http://terminology.hl7.org/CodeSystem/v2-0136";
            let absent = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
            for (system, code, display) in [
                (v2, "Y", "Yes"),
                (v2, "N", "No"),
                (absent, "asked-unknown", "Don't know"),
            ] {
                options.push(Choice {
                    label: display.to_owned(),
                    value: ChoiceValue::Coding {
                        system: system.to_owned(),
                        code: code.to_owned(),
                        display: display.to_owned(),
                    },
                });
            }
            return Kind::Choice { options, right };
        }
        let Some(vs) = sets.get(set) else {
            return Kind::Unsupported(
                "takes its answers from a value set this TV does not have".into(),
            );
        };
        let coded = |system: &str, c: &Value| {
            let code = c["code"].as_str().unwrap_or_default().to_owned();
            let display = c["display"].as_str().unwrap_or(&code).to_owned();
            let value = ChoiceValue::Coding {
                system: system.to_owned(),
                code,
                display,
            };
            Choice {
                label: label_of(&value),
                value,
            }
        };
        for c in vs["expansion"]["contains"].as_array().into_iter().flatten() {
            options.push(coded(c["system"].as_str().unwrap_or_default(), c));
        }
        if options.is_empty() {
            for include in vs["compose"]["include"].as_array().into_iter().flatten() {
                let system = include["system"].as_str().unwrap_or_default();
                for c in include["concept"].as_array().into_iter().flatten() {
                    options.push(coded(system, c));
                }
            }
        }
    }
    if options.is_empty() {
        return Kind::Unsupported("offers no answers to choose from".into());
    }
    Kind::Choice { options, right }
}

fn label_of(value: &ChoiceValue) -> String {
    match value {
        ChoiceValue::Coding { display, .. } => display.clone(),
        ChoiceValue::String(s) => s.clone(),
        ChoiceValue::Integer(n) => n.to_string(),
    }
}

/// A simple enableWhen; None when it is not simple enough to check here.
fn condition(c: &Value) -> Option<Condition> {
    let question = c["question"].as_str()?.to_owned();
    let op = c["operator"].as_str()?;
    let test = match op {
        "exists" => Test::Exists(c["answerBoolean"].as_bool()?),
        "=" | "!=" => {
            if let Some(b) = c["answerBoolean"].as_bool() {
                Test::EqualsBoolean(if op == "=" { b } else { !b })
            } else if let Some(code) = c["answerCoding"]["code"].as_str() {
                if op == "=" {
                    Test::EqualsCode(code.to_owned())
                } else {
                    Test::NotCode(code.to_owned())
                }
            } else if let Some(s) = c["answerString"].as_str() {
                if op == "=" {
                    Test::EqualsCode(s.to_owned())
                } else {
                    Test::NotCode(s.to_owned())
                }
            } else if op == "=" {
                Test::EqualsInteger(c["answerInteger"].as_i64()?)
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(Condition { question, test })
}

// ---- what the box writes ---------------------------------------------------------------------

/// Who and where, for what the box writes.
pub struct Subject<'a> {
    pub patient: &'a str,
    pub encounter: &'a str,
}

/// The teach-back answers as a QuestionnaireResponse, authored by the patient on the TV.
pub fn questionnaire_response(
    quiz: &Quiz,
    answers: &[Answered],
    who: &Subject,
    at: Timestamp,
) -> Value {
    let mut items = Vec::new();
    for a in answers {
        let Some(item) = quiz.items.iter().find(|i| i.link_id == a.link_id) else {
            continue;
        };
        let value = match (&item.kind, &a.answer) {
            (Kind::Choice { options, .. }, Answer::Choice(i)) => match options.get(*i) {
                Some(o) => match &o.value {
                    ChoiceValue::Coding {
                        system,
                        code,
                        display,
                    } => {
                        let mut coding = json!({"code": code, "display": display});
                        if !system.is_empty() {
                            coding["system"] = json!(system);
                        }
                        json!({ "valueCoding": coding })
                    }
                    ChoiceValue::String(s) => json!({ "valueString": s }),
                    ChoiceValue::Integer(n) => json!({ "valueInteger": n }),
                },
                None => continue,
            },
            // Text that was only read is not a question: not in the response.
            (_, Answer::Read) => continue,
            (_, Answer::Boolean(b)) => json!({ "valueBoolean": b }),
            (_, Answer::Integer(n)) => json!({ "valueInteger": n }),
            // Skipped and read items are in the response without an answer.
            _ => Value::Null,
        };
        let mut entry = json!({ "linkId": item.link_id });
        if !item.text.is_empty() {
            entry["text"] = json!(item.text);
        }
        if !value.is_null() {
            entry["answer"] = json!([value]);
        }
        if let Some(right) = a.correct {
            entry["extension"] = json!([{
                "url": EXT_RIGHT,
                "valueBoolean": right,
            }]);
        }
        place(&mut items, &item.within, entry);
    }
    // R4's `questionnaire` is a canonical URL; a Questionnaire without a url is named by its
    // relative URL (`Questionnaire/id`), which is a valid uri too.
    let questionnaire = quiz.questionnaire.clone();
    // R4 allows only CarePlan and ServiceRequest in `basedOn`: the Task points at the response
    // (`Task.output`) instead.
    let mut qr = json!({
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": {"reference": format!("Patient/{}", who.patient)},
        "authored": at.to_string(),
        "author": {"reference": format!("Patient/{}", who.patient)},
        "source": {"reference": format!("Patient/{}", who.patient)},
    });
    if !who.encounter.is_empty() {
        qr["encounter"] = json!({"reference": format!("Encounter/{}", who.encounter)});
    }
    if !items.is_empty() {
        qr["item"] = Value::Array(items);
    }
    qr
}

/// The teaching done, as a Procedure like R4's `procedure-example-education.json`.
pub fn education_procedure(assignment: &Assignment, who: &Subject, at: Timestamp) -> Value {
    let (system, code, display) = PATIENT_EDUCATION;
    let category = json!({"coding": [{"system": system, "code": code, "display": display}],
        "text": "Education"});
    let code_concept = if assignment.topic.is_empty() {
        json!({"coding": [{"system": system, "code": code, "display": display}],
            "text": assignment.title})
    } else {
        json!({"coding": assignment.topic.iter()
            .map(|(s, c, d)| json!({"system": s, "code": c, "display": d}))
            .collect::<Vec<_>>(),
            "text": assignment.title})
    };
    let mut p = json!({
        "resourceType": "Procedure",
        "status": "completed",
        "category": category,
        "code": code_concept,
        "subject": {"reference": format!("Patient/{}", who.patient)},
        "performedDateTime": at.to_string(),
        "performer": [{"actor": {"reference": format!("Patient/{}", who.patient)},
            "function": {"text": "Learner, on the bedside TV"}}],
    });
    if !who.encounter.is_empty() {
        p["encounter"] = json!({"reference": format!("Encounter/{}", who.encounter)});
    }
    // R4 allows only CarePlan and ServiceRequest in `basedOn` (the Task names the Procedure in
    // its `output`).
    if let Some(sr) = &assignment.based_on {
        p["basedOn"] = json!([{"reference": sr}]);
    }
    p
}

/// What to do to a Task the patient opened or finished, given the Task as the server has it
/// now.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskChange {
    /// PUT this (with If-Match on the version read).
    Update(Value),
    /// The Task is already there (or further): nothing to send.
    Already,
    /// Staff withdrew or paused it (cancelled, rejected, failed, on-hold, entered in error):
    /// their decision stands; nothing is sent.
    Withdrawn(String),
}

/// Cancels a Task staff took back at `at`: never one the patient finished, or one already
/// withdrawn.
pub fn cancel_task(current: &Value, at: Timestamp) -> TaskChange {
    let status = current["status"].as_str().unwrap_or_default();
    match progress_of(status) {
        Some(Progress::Done) => TaskChange::Already,
        None => TaskChange::Withdrawn(status.to_owned()),
        Some(_) => {
            let mut task = current.clone();
            if let Some(map) = task.as_object_mut() {
                map.remove("meta");
                map.remove("text");
            }
            task["status"] = json!("cancelled");
            task["statusReason"] = json!({"text": "Taken back by staff at the bedside"});
            task["lastModified"] = json!(at.to_string());
            TaskChange::Update(task)
        }
    }
}

/// Moves a Task to `to` (Started: in-progress; Done: completed) at `at`, adding `outputs`
/// (references to what the patient produced). Never moves a Task back, never overrides staff.
pub fn advance_task(
    current: &Value,
    to: Progress,
    at: Timestamp,
    outputs: &[String],
) -> TaskChange {
    let status = current["status"].as_str().unwrap_or_default();
    let now = match progress_of(status) {
        Some(p) => p,
        None => return TaskChange::Withdrawn(status.to_owned()),
    };
    if now >= to {
        return TaskChange::Already;
    }
    let mut task = current.clone();
    if let Some(map) = task.as_object_mut() {
        map.remove("meta");
        map.remove("text");
    }
    task["status"] = json!(match to {
        Progress::Done => "completed",
        _ => "in-progress",
    });
    task["lastModified"] = json!(at.to_string());
    if task["executionPeriod"]["start"].is_null() {
        task["executionPeriod"]["start"] = json!(at.to_string());
    }
    if to == Progress::Done {
        task["executionPeriod"]["end"] = json!(at.to_string());
        let mut out = task["output"].as_array().cloned().unwrap_or_default();
        for r in outputs {
            out.push(json!({
                "type": {"text": r.split('/').next().unwrap_or("Result")},
                "valueReference": {"reference": r},
            }));
        }
        if !out.is_empty() {
            task["output"] = Value::Array(out);
        }
    }
    TaskChange::Update(task)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_gives_one_task_id_a_valid_fhir_id() {
        let id = super::request_task_id("education");
        assert_eq!(id, super::request_task_id("education"));
        assert_ne!(id, super::request_task_id("education2"));
        assert_eq!(id.len(), 36);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let long = "x".repeat(64);
        assert_eq!(super::request_task_id(&long).len(), 36);
    }

    use super::*;

    fn official(name: &str) -> Value {
        let path = format!(
            "{}/../shared/testdata/fhir-r4/examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn answers_are_nested_as_the_questionnaire_nests_them_and_staff_read_them_all() {
        let q = json!({"resourceType": "Questionnaire", "id": "q", "status": "active",
        "item": [
            {"linkId": "g1", "type": "group", "text": "Your wound", "item": [
                {"linkId": "clean", "type": "boolean", "text": "Keep it dry?"},
                {"linkId": "pain", "type": "boolean", "text": "Any pain?", "item": [
                    {"linkId": "where", "type": "choice", "text": "Where?",
                     "answerOption": [{"valueString": "Here"}, {"valueString": "There"}]}
                ]}
            ]},
            {"linkId": "last", "type": "boolean", "text": "Ready?"},
            {"linkId": "last", "type": "boolean", "text": "Ready again?"}
        ]});
        let quiz = read_questionnaire(&q);
        assert_eq!(quiz.items.len(), 5);
        assert_eq!(
            quiz.refused(),
            [("last", "repeats the linkId of an earlier item")],
            "the repeated linkId is refused, the first kept"
        );
        let answered = |link: &str, answer: Answer| Answered {
            link_id: link.into(),
            answer,
            correct: None,
        };
        let answers = vec![
            answered("clean", Answer::Boolean(true)),
            answered("pain", Answer::Boolean(true)),
            answered("where", Answer::Choice(1)),
            answered("last", Answer::Skipped),
        ];
        let who = Subject {
            patient: "p",
            encounter: "e",
        };
        let qr = questionnaire_response(&quiz, &answers, &who, Timestamp::now());
        let items = &qr["item"];
        assert_eq!(items.as_array().unwrap().len(), 2, "{qr}");
        assert_eq!(items[0]["linkId"], "g1");
        assert_eq!(items[0]["text"], "Your wound");
        assert!(items[0].get("answer").is_none(), "a group has no answer");
        assert_eq!(items[0]["item"][0]["linkId"], "clean");
        let pain = &items[0]["item"][1];
        assert_eq!(pain["answer"][0]["valueBoolean"], true);
        assert_eq!(
            pain["answer"][0]["item"][0]["answer"][0]["valueString"], "There",
            "a follow-up goes under its parent's answer: {qr}"
        );
        assert!(
            pain.get("item").is_none(),
            "not beneath both item and answer"
        );
        assert_eq!(items[1]["linkId"], "last");
        // Staff see every question, nested or not, in order.
        let mut qr = qr;
        qr["id"] = json!("qr1");
        let task =
            json!({"output": [{"valueReference": {"reference": "QuestionnaireResponse/qr1"}}]});
        let given: Vec<(String, String)> = answers_for(&task, &[qr])
            .into_iter()
            .map(|g| (g.question, g.answer))
            .collect();
        assert_eq!(
            given,
            [
                ("Keep it dry?".to_owned(), "Yes".to_owned()),
                ("Any pain?".to_owned(), "Yes".to_owned()),
                ("Where?".to_owned(), "There".to_owned()),
                ("Ready?".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn the_official_questionnaires_are_read_or_refused_item_by_item() {
        for name in [
            "questionnaire-example.json",
            "questionnaire-example-gcs.json",
            "questionnaire-example-bluebook.json",
            "questionnaire-example-f201-lifelines.json",
            "questionnaire-cqf-example.json",
        ] {
            let quiz = read_questionnaire(&official(name));
            assert!(!quiz.items.is_empty(), "{name}");
            let asked = quiz.count(&vec![None; quiz.items.len()]);
            for (link, why) in quiz.refused() {
                assert!(!why.is_empty(), "{name} {link}");
            }
            assert!(
                asked > 0 || name == "questionnaire-cqf-example.json",
                "{name}: nothing to ask"
            );
        }
        // The Glasgow Coma Score's answers come from contained value sets.
        let gcs = read_questionnaire(&official("questionnaire-example-gcs.json"));
        assert!(
            gcs.items
                .iter()
                .all(|i| matches!(&i.kind, Kind::Choice { options, .. } if options.len() >= 4)),
            "{gcs:?}"
        );
        // The bluebook asks yes/no and picks, and refuses the dates and free text.
        let blue = read_questionnaire(&official("questionnaire-example-bluebook.json"));
        assert!(
            blue.items
                .iter()
                .any(|i| matches!(i.kind, Kind::Boolean { .. }))
        );
        assert!(blue.refused().iter().any(|(_, why)| why.contains("typing")));
        assert!(blue.refused().iter().any(|(_, why)| why.contains("date")));
    }

    #[test]
    fn a_task_never_goes_back_nor_overrides_staff() {
        let at: Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        let task =
            |s: &str| json!({"resourceType":"Task","id":"t","status":s,"meta":{"versionId":"2"}});
        match advance_task(&task("ready"), Progress::Started, at, &[]) {
            TaskChange::Update(t) => {
                assert_eq!(t["status"], "in-progress");
                assert_eq!(t["executionPeriod"]["start"], "2026-12-03T10:00:00Z");
                assert!(t.get("meta").is_none());
            }
            other => panic!("{other:?}"),
        }
        match advance_task(
            &task("in-progress"),
            Progress::Done,
            at,
            &["QuestionnaireResponse/q1".into()],
        ) {
            TaskChange::Update(t) => {
                assert_eq!(t["status"], "completed");
                assert_eq!(
                    t["output"][0]["valueReference"]["reference"],
                    "QuestionnaireResponse/q1"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            advance_task(&task("completed"), Progress::Started, at, &[]),
            TaskChange::Already
        );
        assert_eq!(
            advance_task(&task("in-progress"), Progress::Started, at, &[]),
            TaskChange::Already
        );
        assert_eq!(
            advance_task(&task("cancelled"), Progress::Done, at, &[]),
            TaskChange::Withdrawn("cancelled".into())
        );
    }

    fn material_of(document: &Value, language: Option<&str>) -> (Material, bool) {
        material_of_attachments(&Content::of_document(document).attachments, language)
    }

    #[test]
    fn the_patients_language_is_chosen_else_the_default_with_a_note() {
        let doc = json!({"content": [
            {"attachment": {"contentType": "text/markdown", "language": "en",
                "data": base64::engine::general_purpose::STANDARD.encode("# Hello")}},
            {"attachment": {"contentType": "text/markdown", "language": "es",
                "data": base64::engine::general_purpose::STANDARD.encode("# Hola")}},
        ]});
        let (m, ok) = material_of(&doc, Some("es"));
        assert!(ok);
        assert_eq!(
            m,
            Material::Document(vec![crate::domain::learn::Block::Heading("Hola".into())])
        );
        let (m, ok) = material_of(&doc, Some("fr"));
        assert!(!ok, "French asked, English shown: the screen says so");
        assert_eq!(
            m,
            Material::Document(vec![crate::domain::learn::Block::Heading("Hello".into())])
        );
        let (_, ok) = material_of(&doc, None);
        assert!(ok);
    }
}
