//! Learn's catalogue in FHIR R4: what the hospital offers staff to assign, and the Task that
//! assigns it. Three kinds of resource make a catalogue (`[learn] catalogue` searches them):
//!
//! - a `DocumentReference` in the education category (SNOMED CT 311401005 or 409073007),
//!   `status` current, about no patient: its attachments are the material; the extension
//!   [`EXT_TEACH_BACK`] names the teach-back;
//! - an `ActivityDefinition` with the education code in `topic` or `code`, `status` active:
//!   `title`, `description`, the material as `relatedArtifact[].document` attachments, the
//!   teach-back as a `relatedArtifact[].resource` canonical of a Questionnaire, how long as
//!   `timingDuration` (or [`EXT_MINUTES`]);
//! - a `PlanDefinition` (a pack: "Going home after a hip replacement") with the education
//!   code in `topic` or `type`, `status` active: each of its actions (nested ones too) is an
//!   item, titled by the action, its material from the ActivityDefinition it names
//!   (`definitionCanonical`: a contained one, `#id`, or one by canonical URL) and from its own
//!   `documentation`.
//!
//! An item is known by a key: `DocumentReference/<id>`, or the canonical URL of the definition
//! (`<PlanDefinition url>#<id>` for a contained ActivityDefinition or an action of its own).
//! The Task that assigns it has `focus` the DocumentReference, `instantiatesCanonical` an
//! ActivityDefinition's URL, or `instantiatesUri` any other key ([`instantiates`]); reading it
//! back, the material comes from the definition the store holds (the catalogue
//! is loaded at every full sync).

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde_json::{Value, json};

use super::learn::{
    EXT_MINUTES, EXT_TEACH_BACK, PATIENT_EDUCATION, Subject, extension, material_of_attachments,
};
use super::record::target;
use crate::domain::learn::{CatalogueItem, CatalogueKind, Material};
use crate::sync::plan::has_code;

const EDUCATION: [&str; 2] = ["311401005", "409073007"];

/// A canonical URL without its `|version`.
fn bare(canonical: &str) -> &str {
    canonical.split('|').next().unwrap_or(canonical)
}

fn is_education(concepts: &[&Value]) -> bool {
    concepts.iter().any(|c| match c {
        Value::Array(list) => list.iter().any(|c| has_code(c, &EDUCATION)),
        c => has_code(c, &EDUCATION),
    })
}

/// An item of teaching an ActivityDefinition or a PlanDefinition's action defines.
pub(super) struct Definition<'a> {
    pub key: String,
    pub title: String,
    pub description: String,
    pub attachments: Vec<&'a Value>,
    /// What may name the teach-back: canonical URLs, or `Questionnaire/<id>` references.
    pub questions: Vec<String>,
    pub minutes: Option<u32>,
    /// The topic as coded (system, code, display), for the Procedure.
    pub topic: Vec<(String, String, String)>,
    pub education: bool,
}

fn related<'a>(list: &'a Value, attachments: &mut Vec<&'a Value>, questions: &mut Vec<String>) {
    for r in list.as_array().into_iter().flatten() {
        if r["document"].is_object() {
            attachments.push(&r["document"]);
        }
        if let Some(c) = r["resource"].as_str() {
            questions.push(bare(c).to_owned());
        }
    }
}

fn minutes_of(r: &Value) -> Option<u32> {
    if let Some(m) = extension(r, EXT_MINUTES).and_then(|e| e["valueInteger"].as_u64()) {
        return Some(m.min(600) as u32);
    }
    let d = &r["timingDuration"];
    let value = d["value"].as_f64()?;
    let unit = d["code"].as_str().or(d["unit"].as_str())?;
    let minutes = match unit {
        "s" => value / 60.0,
        "min" => value,
        "h" => value * 60.0,
        _ => return None,
    };
    Some(minutes.round().clamp(1.0, 600.0) as u32)
}

/// What an ActivityDefinition defines, under `key`.
fn activity<'a>(ad: &'a Value, key: String) -> Definition<'a> {
    let mut attachments = Vec::new();
    let mut questions = Vec::new();
    related(&ad["relatedArtifact"], &mut attachments, &mut questions);
    if let Some(q) =
        extension(ad, EXT_TEACH_BACK).and_then(|e| target(&e["valueReference"], "Questionnaire"))
    {
        questions.push(format!("Questionnaire/{q}"));
    }
    let title = ad["title"]
        .as_str()
        .or(ad["name"].as_str())
        .or(ad["code"]["text"].as_str())
        .unwrap_or_default()
        .to_owned();
    let topic = ad["code"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let (s, code) = (c["system"].as_str()?, c["code"].as_str()?);
            let display = c["display"].as_str().unwrap_or(title.as_str());
            Some((s.to_owned(), code.to_owned(), display.to_owned()))
        })
        .collect();
    Definition {
        key,
        description: ad["description"]
            .as_str()
            .or(ad["usage"].as_str())
            .unwrap_or_default()
            .to_owned(),
        title,
        attachments,
        questions,
        minutes: minutes_of(ad),
        topic,
        education: is_education(&[&ad["topic"], &ad["code"]]),
    }
}

fn usable(r: &Value) -> bool {
    r["status"].as_str().is_none_or(|s| s == "active")
}

/// Every item the store's ActivityDefinitions and PlanDefinitions define, each key once (a
/// PlanDefinition's action before the same ActivityDefinition on its own).
pub(super) fn definitions<'a>(activities: &'a [Value], plans: &'a [Value]) -> Vec<Definition<'a>> {
    let by_url: HashMap<&str, &Value> = activities
        .iter()
        .filter_map(|a| Some((bare(a["url"].as_str()?), a)))
        .collect();
    let mut out: Vec<Definition> = Vec::new();
    for pd in plans.iter().filter(|p| usable(p)) {
        let base = match (pd["url"].as_str(), pd["id"].as_str()) {
            (Some(u), _) => bare(u).to_owned(),
            (None, Some(id)) => format!("PlanDefinition/{id}"),
            (None, None) => continue,
        };
        let education = is_education(&[&pd["topic"], &pd["type"]]);
        // Depth first, in the pack's order.
        let mut stack: Vec<&Value> = pd["action"].as_array().into_iter().flatten().collect();
        stack.reverse();
        while let Some(action) = stack.pop() {
            let mut nested: Vec<&Value> =
                action["action"].as_array().into_iter().flatten().collect();
            nested.reverse();
            stack.extend(nested);
            let definition = action["definitionCanonical"].as_str().map(bare);
            let mut def = match definition {
                Some(local) if local.starts_with('#') => {
                    let contained = pd["contained"].as_array().into_iter().flatten().find(|c| {
                        c["resourceType"] == "ActivityDefinition"
                            && c["id"].as_str() == Some(&local[1..])
                    });
                    match contained {
                        Some(ad) => activity(ad, format!("{base}{local}")),
                        None => continue,
                    }
                }
                Some(url) => match by_url.get(url) {
                    Some(ad) if usable(ad) => activity(ad, url.to_owned()),
                    _ => continue,
                },
                None => {
                    if action["documentation"]
                        .as_array()
                        .is_none_or(|d| d.is_empty())
                    {
                        continue;
                    }
                    // Known by its id: a position would name another action once the pack
                    // is edited, and a Task would then show the wrong material.
                    let Some(id) = action["id"].as_str().filter(|i| !i.is_empty()) else {
                        continue;
                    };
                    Definition {
                        key: format!("{base}#{id}"),
                        title: String::new(),
                        description: String::new(),
                        attachments: Vec::new(),
                        questions: Vec::new(),
                        minutes: None,
                        topic: Vec::new(),
                        education: false,
                    }
                }
            };
            related(
                &action["documentation"],
                &mut def.attachments,
                &mut def.questions,
            );
            if let Some(t) = action["title"].as_str().filter(|t| !t.trim().is_empty()) {
                t.clone_into(&mut def.title);
            }
            if let Some(d) = action["description"].as_str() {
                d.clone_into(&mut def.description);
            }
            def.education |= education;
            if def.minutes.is_none() {
                def.minutes = minutes_of(action);
            }
            if !def.title.trim().is_empty() && out.iter().all(|d| d.key != def.key) {
                out.push(def);
            }
        }
    }
    for ad in activities.iter().filter(|a| usable(a)) {
        let key = match (ad["url"].as_str(), ad["id"].as_str()) {
            (Some(u), _) => bare(u).to_owned(),
            (None, Some(id)) => format!("ActivityDefinition/{id}"),
            (None, None) => continue,
        };
        let def = activity(ad, key);
        if !def.title.trim().is_empty() && out.iter().all(|d| d.key != def.key) {
            out.push(def);
        }
    }
    out
}

/// The canonical URLs of `kind` ("ActivityDefinition" or "Questionnaire") that the catalogue
/// `found` names but does not hold: the sync loop fetches them by `url`.
pub fn canonicals_wanted(found: &[Value], kind: &str) -> Vec<String> {
    fn of_kind<'a>(found: &'a [Value], k: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        found.iter().filter(move |r| r["resourceType"] == k)
    }
    let of = |k| of_kind(found, k);
    let held: HashSet<&str> = of(kind)
        .chain(of("ActivityDefinition"))
        .filter_map(|r| r["url"].as_str().map(bare))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut want = |url: &str| {
        if !url.starts_with('#') && !held.contains(url) && !out.iter().any(|o| o == url) {
            out.push(url.to_owned());
        }
    };
    for pd in of("PlanDefinition") {
        let mut stack: Vec<&Value> = pd["action"].as_array().into_iter().flatten().collect();
        while let Some(action) = stack.pop() {
            stack.extend(action["action"].as_array().into_iter().flatten());
            if kind == "ActivityDefinition" {
                if let Some(c) = action["definitionCanonical"].as_str() {
                    want(bare(c));
                }
            } else {
                for r in action["documentation"].as_array().into_iter().flatten() {
                    if let Some(c) = r["resource"].as_str() {
                        want(bare(c));
                    }
                }
            }
        }
    }
    if kind == "Questionnaire" {
        let contained = of("PlanDefinition")
            .flat_map(|pd| pd["contained"].as_array().into_iter().flatten())
            .filter(|c| c["resourceType"] == "ActivityDefinition");
        for ad in of("ActivityDefinition").chain(contained) {
            for r in ad["relatedArtifact"].as_array().into_iter().flatten() {
                if let Some(c) = r["resource"].as_str() {
                    want(bare(c));
                }
            }
        }
    }
    out
}

/// The Questionnaires the store holds, by id and by canonical URL.
pub(super) struct Questionnaires<'a> {
    by_id: HashMap<&'a str, &'a Value>,
    by_url: HashMap<&'a str, &'a Value>,
}

impl<'a> Questionnaires<'a> {
    pub fn new(list: &'a [Value]) -> Self {
        Questionnaires {
            by_id: list
                .iter()
                .filter_map(|q| Some((q["id"].as_str()?, q)))
                .collect(),
            by_url: list
                .iter()
                .filter_map(|q| Some((bare(q["url"].as_str()?), q)))
                .collect(),
        }
    }

    /// The Questionnaire `name` names: `Questionnaire/<id>` or a canonical URL.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        match name.strip_prefix("Questionnaire/") {
            Some(id) if !id.contains('/') => self.by_id.get(id).copied(),
            _ => self.by_url.get(bare(name)).copied(),
        }
    }

    /// The first of `names` the store holds, as a Task would name it.
    fn first(&self, names: &[String]) -> Option<String> {
        names.iter().find(|n| self.get(n).is_some()).cloned()
    }
}

fn kind_of(material: &Material) -> CatalogueKind {
    match material {
        Material::Video { .. } => CatalogueKind::Video,
        Material::Pdf { .. } => CatalogueKind::Leaflet,
        _ => CatalogueKind::Document,
    }
}

/// What the hospital's catalogue offers, in title order: education DocumentReferences, and
/// the education items ActivityDefinitions and PlanDefinitions define (with material or a
/// teach-back the store holds; an item with neither is not offered).
pub fn catalogue(resources: &impl Fn(&str) -> Vec<Value>) -> Vec<CatalogueItem> {
    let mut out: Vec<CatalogueItem> = resources("DocumentReference")
        .iter()
        .filter(|d| d["status"].as_str().is_none_or(|s| s == "current"))
        // A document about one patient is never offered as teaching material for another.
        .filter(|d| d.get("subject").is_none())
        .filter(|d| {
            d["category"]
                .as_array()
                .is_some_and(|cats| cats.iter().any(|c| has_code(c, &EDUCATION)))
        })
        .filter_map(|d| {
            let attachments: Vec<&Value> = d["content"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| &c["attachment"])
                .collect();
            let (material, _) = material_of_attachments(&attachments, None);
            let title = d["description"]
                .as_str()
                .or_else(|| attachments.iter().find_map(|a| a["title"].as_str()))?
                .to_owned();
            Some(CatalogueItem {
                key: format!("DocumentReference/{}", d["id"].as_str()?),
                title,
                description: d["type"]["text"].as_str().unwrap_or_default().to_owned(),
                kind: kind_of(&material),
                questionnaire: extension(d, EXT_TEACH_BACK)
                    .and_then(|e| target(&e["valueReference"], "Questionnaire"))
                    .map(|q| format!("Questionnaire/{q}")),
                minutes: extension(d, EXT_MINUTES)
                    .and_then(|e| e["valueInteger"].as_u64())
                    .map(|m| m.min(600) as u32),
            })
        })
        .collect();
    let activities = resources("ActivityDefinition");
    let plans = resources("PlanDefinition");
    let questionnaires = resources("Questionnaire");
    let questionnaires = Questionnaires::new(&questionnaires);
    for def in definitions(&activities, &plans) {
        if !def.education {
            continue;
        }
        let (material, _) = material_of_attachments(&def.attachments, None);
        let questionnaire = questionnaires.first(&def.questions);
        if matches!(material, Material::None) && questionnaire.is_none() {
            continue;
        }
        out.push(CatalogueItem {
            key: def.key,
            title: def.title,
            description: def.description,
            kind: kind_of(&material),
            questionnaire,
            minutes: def.minutes,
        });
    }
    out.sort_by(|a, b| a.title.cmp(&b.title).then(a.key.cmp(&b.key)));
    out
}

/// Points a Task at what it assigns (a catalogue key): `focus` a DocumentReference;
/// `instantiatesCanonical` an ActivityDefinition's canonical URL (R4 types it
/// canonical(ActivityDefinition), 0..1); `instantiatesUri` anything else (a PlanDefinition's
/// action, `<url>#<id>`, or a definition without a URL).
pub fn instantiates(task: &mut Value, key: &str) {
    if key.starts_with("DocumentReference/") {
        task["focus"] = json!({"reference": key});
    } else if key.contains("://") && !key.contains('#') && key.contains("/ActivityDefinition/") {
        task["instantiatesCanonical"] = json!(key);
    } else {
        task["instantiatesUri"] = json!(key);
    }
}

/// A new education Task for the patient, assigned by staff (`by`: "Practitioner/…"), due by
/// the end of the next day, local time.
pub fn assignment_task(item: &CatalogueItem, who: &Subject, by: &str, at: Timestamp) -> Value {
    let (system, code, display) = PATIENT_EDUCATION;
    // The end of the next day where the ward is (the box's time zone).
    let tz = jiff::tz::TimeZone::system();
    let due = at
        .to_zoned(tz.clone())
        .date()
        .tomorrow()
        .ok()
        .and_then(|d| d.at(23, 59, 0, 0).to_zoned(tz).ok())
        .map_or(at, |z| z.timestamp());
    let mut task = json!({
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "code": {"coding": [{"system": system, "code": code, "display": display}],
            "text": "Patient education"},
        "description": item.title,
        "for": {"reference": format!("Patient/{}", who.patient)},
        "authoredOn": at.to_string(),
        "lastModified": at.to_string(),
        "requester": {"reference": by},
        "restriction": {"period": {"end": due.to_string()}},
    });
    instantiates(&mut task, &item.key);
    if !who.encounter.is_empty() {
        task["encounter"] = json!({"reference": format!("Encounter/{}", who.encounter)});
    }
    if let Some(q) = &item.questionnaire {
        let value = if q.starts_with("Questionnaire/") && !q.contains("://") {
            json!({"valueReference": {"reference": q}})
        } else {
            json!({"valueCanonical": q})
        };
        let mut input = json!({
            "type": {"coding": [{"system": "http://hl7.org/fhir/uv/sdc/CodeSystem/temp",
                "code": "questionnaire"}]},
        });
        input
            .as_object_mut()
            .unwrap()
            .extend(value.as_object().unwrap().clone());
        task["input"] = json!([input]);
    }
    if let Some(m) = item.minutes {
        task["extension"] = json!([{"url": EXT_MINUTES, "valueInteger": m}]);
    }
    task
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const EDU: &str = r#"{"coding": [{"system": "http://snomed.info/sct", "code": "311401005"}]}"#;

    fn edu() -> Value {
        serde_json::from_str(EDU).unwrap()
    }

    fn markdown(text: &str) -> Value {
        json!({"contentType": "text/markdown", "title": text,
            "data": base64::engine::general_purpose::STANDARD.encode(format!("# {text}"))})
    }

    /// A pack (PlanDefinition) with a contained ActivityDefinition, one named by URL, and an
    /// action with only its own documentation; an education ActivityDefinition on its own;
    /// one that is not education; a retired one.
    fn store() -> HashMap<&'static str, Vec<Value>> {
        let hip = json!({"resourceType": "PlanDefinition", "id": "pd1", "status": "active",
        "url": "https://h.example/PlanDefinition/hip", "topic": [edu()],
        "title": "Going home after a hip replacement",
        "contained": [{"resourceType": "ActivityDefinition", "id": "stairs",
            "status": "draft", "title": "Stairs",
            "relatedArtifact": [{"type": "documentation", "document": markdown("Stairs")}]}],
        "action": [
            {"title": "Using stairs safely", "definitionCanonical": "#stairs"},
            {"title": "Group", "action": [
                {"definitionCanonical": "https://h.example/ActivityDefinition/socks|2"},
                {"id": "car", "title": "Getting into a car",
                 "documentation": [{"type": "documentation", "document": markdown("Car")}]}
            ]},
            {"title": "Nothing to show"}
        ]});
        let socks = json!({"resourceType": "ActivityDefinition", "id": "ad1",
            "url": "https://h.example/ActivityDefinition/socks", "status": "active",
            "title": "Putting on socks with an aid",
            "timingDuration": {"value": 0.25, "unit": "h", "code": "h"},
            "relatedArtifact": [
                {"type": "documentation", "document": {"contentType": "video/mp4",
                    "url": "https://h.example/socks.mp4", "title": "Socks"}},
                {"type": "documentation",
                 "resource": "https://h.example/Questionnaire/socks|1"}]});
        let inhaler = json!({"resourceType": "ActivityDefinition", "id": "ad2",
            "url": "https://h.example/ActivityDefinition/inhaler", "status": "active",
            "title": "Using your inhaler", "topic": [edu()],
            "description": "Five steps, then a check.",
            "relatedArtifact": [{"type": "documentation", "document": {
                "contentType": "application/pdf", "url": "https://h.example/inhaler.pdf"}}]});
        let referral = json!({"resourceType": "ActivityDefinition", "id": "ad3",
            "url": "https://h.example/ActivityDefinition/referral", "status": "active",
            "title": "Referral", "relatedArtifact": [{"type": "documentation",
                "document": markdown("Referral")}]});
        let retired = json!({"resourceType": "ActivityDefinition", "id": "ad4",
            "status": "retired", "title": "Old", "topic": [edu()],
            "relatedArtifact": [{"type": "documentation", "document": markdown("Old")}]});
        let quiz = json!({"resourceType": "Questionnaire", "id": "q1",
            "url": "https://h.example/Questionnaire/socks", "status": "active",
            "title": "Socks: check", "item": [{"linkId": "a", "type": "boolean",
                "text": "Sit down first?"}]});
        HashMap::from([
            ("PlanDefinition", vec![hip]),
            (
                "ActivityDefinition",
                vec![socks, inhaler, referral, retired],
            ),
            ("Questionnaire", vec![quiz]),
        ])
    }

    fn read<'a>(store: &'a HashMap<&'static str, Vec<Value>>) -> impl Fn(&str) -> Vec<Value> + 'a {
        |kind: &str| store.get(kind).cloned().unwrap_or_default()
    }

    #[test]
    fn a_plans_actions_and_education_activities_are_offered_each_once() {
        let store = store();
        let items = catalogue(&read(&store));
        let got: Vec<(&str, &str, CatalogueKind)> = items
            .iter()
            .map(|i| (i.title.as_str(), i.key.as_str(), i.kind))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Getting into a car",
                    "https://h.example/PlanDefinition/hip#car",
                    CatalogueKind::Document
                ),
                (
                    "Putting on socks with an aid",
                    "https://h.example/ActivityDefinition/socks",
                    CatalogueKind::Video
                ),
                (
                    "Using stairs safely",
                    "https://h.example/PlanDefinition/hip#stairs",
                    CatalogueKind::Document
                ),
                (
                    "Using your inhaler",
                    "https://h.example/ActivityDefinition/inhaler",
                    CatalogueKind::Leaflet
                ),
            ],
            "no referral (not education), no retired one, no action with nothing to show"
        );
        let socks = &items[1];
        assert_eq!(socks.minutes, Some(15));
        assert_eq!(
            socks.questionnaire.as_deref(),
            Some("https://h.example/Questionnaire/socks")
        );
        assert_eq!(items[3].description, "Five steps, then a check.");
    }

    #[test]
    fn a_task_instantiates_an_activity_by_canonical_and_anything_else_by_uri() {
        let store = store();
        let items = catalogue(&read(&store));
        let who = Subject {
            patient: "p1",
            encounter: "",
        };
        let task = |title: &str| {
            let item = items.iter().find(|i| i.title == title).unwrap();
            assignment_task(item, &who, "Practitioner/n1", Timestamp::now())
        };
        let stairs = task("Using stairs safely");
        assert_eq!(
            stairs["instantiatesUri"],
            "https://h.example/PlanDefinition/hip#stairs"
        );
        assert!(stairs.get("instantiatesCanonical").is_none());
        let inhaler = task("Using your inhaler");
        assert_eq!(
            inhaler["instantiatesCanonical"],
            "https://h.example/ActivityDefinition/inhaler"
        );
    }

    #[test]
    fn what_the_catalogue_names_by_url_is_asked_for_once() {
        let mut store = store();
        // The pack found, the socks definition and its questions not yet.
        let found = vec![store.remove("PlanDefinition").unwrap().remove(0)];
        assert_eq!(
            canonicals_wanted(&found, "ActivityDefinition"),
            ["https://h.example/ActivityDefinition/socks"]
        );
        let mut found = found;
        found.push(store["ActivityDefinition"][0].clone());
        assert!(canonicals_wanted(&found, "ActivityDefinition").is_empty());
        assert_eq!(
            canonicals_wanted(&found, "Questionnaire"),
            ["https://h.example/Questionnaire/socks"]
        );
        found.push(store["Questionnaire"][0].clone());
        assert!(canonicals_wanted(&found, "Questionnaire").is_empty());
    }

    #[test]
    fn a_task_assigned_from_a_definition_reads_back_with_its_material_and_questions() {
        let mut store = store();
        let items = catalogue(&read(&store));
        let socks = items
            .iter()
            .find(|i| i.title.starts_with("Putting"))
            .unwrap();
        let who = Subject {
            patient: "p1",
            encounter: "e1",
        };
        let mut task = assignment_task(socks, &who, "Practitioner/n1", Timestamp::now());
        assert_eq!(
            task["instantiatesCanonical"],
            "https://h.example/ActivityDefinition/socks"
        );
        assert!(task.get("focus").is_none());
        assert_eq!(
            task["input"][0]["valueCanonical"],
            "https://h.example/Questionnaire/socks"
        );
        task["id"] = json!("t1");
        store.insert("Task", vec![task]);
        let list = super::super::learn::assignments(&read(&store));
        assert_eq!(list.len(), 1);
        let a = &list[0];
        assert_eq!(a.title, "Putting on socks with an aid");
        assert!(
            matches!(a.material, Material::Video { .. }),
            "{:?}",
            a.material
        );
        assert_eq!(a.quiz.as_ref().unwrap().title, "Socks: check");
        assert_eq!(a.source.as_deref(), Some(socks.key.as_str()));
        // Staff no longer see it offered.
        assert_eq!(a.minutes, Some(15));
    }

    #[test]
    fn the_official_examples_read_without_harm_and_offer_nothing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/testdata/fhir-r4/examples");
        let mut store: HashMap<&'static str, Vec<Value>> = HashMap::new();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = if name.starts_with("plandefinition-") {
                "PlanDefinition"
            } else if name.starts_with("activitydefinition-") {
                "ActivityDefinition"
            } else {
                continue;
            };
            let v: Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
            store.entry(kind).or_default().push(v);
        }
        assert!(store["PlanDefinition"].len() >= 5);
        // None of them is about patient education.
        assert!(catalogue(&read(&store)).is_empty());
        let all: Vec<Value> = store.values().flatten().cloned().collect();
        let _ = canonicals_wanted(&all, "ActivityDefinition");
        let _ = canonicals_wanted(&all, "Questionnaire");
    }
}
