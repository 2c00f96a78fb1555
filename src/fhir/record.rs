//! The stored chart (FHIR R4 resources) → the My health [`Record`]. A tolerant reader: a
//! resource missing what a row needs gives a shorter row, never an error and never a blank box.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;

use crate::domain::family::{Member, normalize, relationship_words};
use crate::domain::plain::{self, Flag};
use crate::domain::record::{Photo, Point, Record, Row, Section, Trend, When};

/// Builds the record from resources of the store. `resources("Observation")` gives every stored
/// Observation; `now` decides what "today" is.
pub fn build(resources: impl Fn(&str) -> Vec<Value>, now: &jiff::Zoned) -> Record {
    let practitioners: HashMap<String, Value> = by_id(resources("Practitioner"));
    let roles: HashMap<String, Value> = by_id(resources("PractitionerRole"));
    let medications: HashMap<String, Value> = by_id(resources("Medication"));
    let mut record = Record::default();
    record.set(
        Section::CareTeam,
        care_team(&resources, &practitioners, &roles),
    );
    record.set_care_team(care_team_ids(&resources, &roles, now.timestamp()));
    record.set(Section::Today, today(&resources, &practitioners, now));
    record.arrange_today(now.timestamp());
    record.set(Section::Medications, medicines(&resources, &medications));
    record.set(Section::Allergies, allergies(&resources));
    record.set(Section::Problems, problems(&resources));
    record.set(Section::Results, observations(&resources, "laboratory"));
    record.set(Section::Vitals, observations(&resources, "vital-signs"));
    record.set(Section::DietAndGoals, diet_and_goals(&resources));
    record.set_family(family(&resources, now.timestamp()));
    record.set_learn(super::learn::assignments(&resources));
    record.set_catalogue(super::catalogue::catalogue(&resources));
    record
}

/// Family and caregivers: the Patient's contacts and the RelatedPersons of the patient, whose
/// period (if any) includes `now`, that are active, and whose relationship is a person close
/// to the patient (not an employer, an insurer or an agency). The same person named in both
/// (by the same name) is listed once, as the RelatedPerson.
fn family(resources: &impl Fn(&str) -> Vec<Value>, now: Timestamp) -> Vec<Member> {
    let now_in = |period: &Value| {
        moment(period["start"].as_str()).is_none_or(|start| start <= now)
            && moment(period["end"].as_str()).is_none_or(|end| end >= now)
    };
    // The words of the relationship; None when every code it has is an organisation's (an
    // employer, an insurer, an agency): such a contact is nobody's family.
    let relationship = |r: &Value| -> Option<String> {
        let concepts: Vec<&Value> = match r {
            Value::Array(list) => list.iter().collect(),
            other => vec![other],
        };
        let codings: Vec<&Value> = concepts
            .iter()
            .flat_map(|c| c["coding"].as_array().into_iter().flatten())
            .collect();
        let person = |coding: &&Value| {
            relationship_words(coding["code"].as_str().unwrap_or_default()).is_some()
        };
        if !codings.is_empty() && !codings.iter().any(person) {
            return None;
        }
        let text = concepts
            .iter()
            .find_map(|c| c["text"].as_str().filter(|t| !t.trim().is_empty()));
        let coded = || {
            codings.iter().filter(|c| person(c)).find_map(|c| {
                c["display"].as_str().map(str::to_owned).or_else(|| {
                    relationship_words(c["code"].as_str()?)
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                })
            })
        };
        Some(
            text.map(|t| t.trim().to_owned())
                .or_else(coded)
                .unwrap_or_default(),
        )
    };
    let member = |key: String, name: &Value, rel: &Value| -> Option<Member> {
        let name = match name {
            Value::Array(_) => name_of(&serde_json::json!({"name": name}))?,
            one => name_of(&serde_json::json!({"name": [one]}))?,
        };
        let relationship = relationship(rel)?;
        Some(Member {
            relationship,
            ..Member::new(key, name, &[], None)
        })
    };
    let forms_of = |m: Member, name: &Value| -> Member {
        let n = match name {
            Value::Array(list) => list
                .iter()
                .find(|n| n["use"].as_str() == Some("official"))
                .or(list.first())
                .cloned()
                .unwrap_or_default(),
            one => one.clone(),
        };
        let given: Vec<&str> = n["given"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let with = Member::new(m.key.clone(), m.name.clone(), &given, n["family"].as_str());
        Member {
            forms: with.forms,
            ..m
        }
    };
    let mut out: Vec<Member> = Vec::new();
    for person in resources("RelatedPerson") {
        if person["active"].as_bool() == Some(false) || !now_in(&person["period"]) {
            continue;
        }
        let Some(id) = person["id"].as_str() else {
            continue;
        };
        if let Some(m) = member(
            format!("RelatedPerson/{id}"),
            &person["name"],
            &person["relationship"],
        ) {
            let m = forms_of(m, &person["name"]);
            // One person, one row: a second RelatedPerson by the same name (one per
            // relationship is common) adds its relationship to the first.
            match out
                .iter_mut()
                .find(|o| o.forms.iter().any(|f| m.forms.contains(f)))
            {
                Some(same) if !m.relationship.is_empty() => {
                    if same.relationship.is_empty() {
                        same.relationship = m.relationship;
                    } else if !same.relationship.contains(&m.relationship) {
                        same.relationship = format!("{}, {}", same.relationship, m.relationship);
                    }
                }
                Some(_) => {}
                None => out.push(m),
            }
        }
    }
    for patient in resources("Patient") {
        for contact in patient["contact"].as_array().into_iter().flatten() {
            if !now_in(&contact["period"]) {
                continue;
            }
            let Some(m) = member(String::new(), &contact["name"], &contact["relationship"]) else {
                continue;
            };
            let mut m = forms_of(m, &contact["name"]);
            m.key = format!("contact:{}", normalize(&m.name));
            if !out
                .iter()
                .any(|o| o.forms.iter().any(|f| m.forms.contains(f)))
            {
                out.push(m);
            }
        }
    }
    out.truncate(20);
    out
}

/// The Practitioner ids on the care team at `now`: CareTeam participants (a Practitioner, or a
/// PractitionerRole's practitioner) whose period has not ended; without any, the current
/// encounter's participants.
fn care_team_ids(
    resources: &impl Fn(&str) -> Vec<Value>,
    roles: &HashMap<String, Value>,
    now: jiff::Timestamp,
) -> Vec<String> {
    // A period that has not started or has ended does not count (open ends are open).
    let now_in = |period: &Value| {
        moment(period["start"].as_str()).is_none_or(|start| start <= now)
            && moment(period["end"].as_str()).is_none_or(|end| end >= now)
    };
    let mut ids: Vec<String> = Vec::new();
    for team in resources("CareTeam") {
        if !now_in(&team["period"]) {
            continue;
        }
        for p in team["participant"].as_array().into_iter().flatten() {
            if !now_in(&p["period"]) {
                continue;
            }
            let member = &p["member"];
            let id = target(member, "Practitioner").or_else(|| {
                let role = roles.get(target(member, "PractitionerRole")?)?;
                if role["active"] == Value::Bool(false) || !now_in(&role["period"]) {
                    return None;
                }
                target(&role["practitioner"], "Practitioner")
            });
            if let Some(id) = id
                && !ids.iter().any(|i| i == id)
            {
                ids.push(id.to_owned());
            }
        }
    }
    if ids.is_empty() {
        for enc in resources("Encounter") {
            for p in enc["participant"].as_array().into_iter().flatten() {
                if !now_in(&p["period"]) {
                    continue;
                }
                if let Some(id) = target(&p["individual"], "Practitioner")
                    && !ids.iter().any(|i| i == id)
                {
                    ids.push(id.to_owned());
                }
            }
        }
    }
    ids
}

pub(crate) fn by_id(list: Vec<Value>) -> HashMap<String, Value> {
    list.into_iter()
        .filter_map(|r| Some((r["id"].as_str()?.to_owned(), r)))
        .collect()
}

/// The id a reference points at, if it is of `kind`.
pub(crate) fn target<'a>(reference: &'a Value, kind: &str) -> Option<&'a str> {
    let r = reference["reference"].as_str()?;
    let r = r.split_once("/_history/").map_or(r, |(h, _)| h);
    let (head, id) = r.rsplit_once('/')?;
    (head.rsplit('/').next() == Some(kind)).then_some(id)
}

/// The words of a CodeableConcept: its text, else the first coding's display, else its code.
pub fn concept(v: &Value) -> Option<String> {
    let text = v["text"].as_str().filter(|s| !s.trim().is_empty());
    let coding = || {
        v["coding"].as_array()?.iter().find_map(|c| {
            c["display"]
                .as_str()
                .or(c["code"].as_str())
                .filter(|s| !s.trim().is_empty())
        })
    };
    text.or_else(coding)
        .map(|s| plain::without_semantic_tag(s.trim()).to_owned())
        .filter(|s| !s.is_empty())
}

pub(crate) fn name_of(person: &Value) -> Option<String> {
    let names = person["name"].as_array()?;
    let n = names
        .iter()
        .find(|n| n["use"].as_str() == Some("official"))
        .or(names.first())?;
    if let Some(t) = n["text"].as_str().filter(|t| !t.trim().is_empty()) {
        return Some(t.trim().to_owned());
    }
    let words: Vec<&str> = ["prefix", "given"]
        .iter()
        .flat_map(|k| n[*k].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .chain(n["family"].as_str())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A FHIR dateTime or date as a moment (a bare date is its start, UTC).
pub(crate) fn moment(s: Option<&str>) -> Option<Timestamp> {
    let s = s?;
    s.parse::<Timestamp>().ok().or_else(|| {
        s.get(..10)?
            .parse::<Date>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    })
}

fn date(s: Option<&str>) -> Option<Date> {
    s?.get(..10)?.parse().ok()
}

fn join(parts: &[Option<String>]) -> String {
    parts
        .iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Largest side of a photo as kept for the screen (it is shown about 100 px tall at 1080p; 4K
/// panels get enough too).
const PHOTO_SIDE: u32 = 224;

/// The first photo of a person that is inline data the screen can show (PNG or JPEG, at most
/// 2 MB encoded and 4096 px a side), decoded and made small here, on the sync thread, so the UI
/// thread only copies pixels. Photos given only as a URL are not fetched: the box never follows
/// links out of the record. A photo that does not decode is left out (the name still shows).
fn photo_of(person: &Value) -> Option<Photo> {
    use base64::Engine as _;
    person["photo"].as_array()?.iter().find_map(|a| {
        let content_type = a["contentType"].as_str()?.to_ascii_lowercase();
        let format = match content_type.as_str() {
            "image/png" => image::ImageFormat::Png,
            "image/jpeg" | "image/jpg" => image::ImageFormat::Jpeg,
            _ => return None,
        };
        let data = a["data"].as_str()?;
        if data.len() > 2 * 1024 * 1024 * 4 / 3 + 4 {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()?;
        crate::picture::thumbnail(&bytes, Some(format), PHOTO_SIDE, PHOTO_SIDE)
    })
}

fn care_team(
    resources: &impl Fn(&str) -> Vec<Value>,
    practitioners: &HashMap<String, Value>,
    roles: &HashMap<String, Value>,
) -> Vec<Row> {
    let mut rows: Vec<(String, Row)> = Vec::new();
    fn add(rows: &mut Vec<(String, Row)>, key: String, row: Row) {
        if !rows.iter().any(|(k, _)| *k == key) {
            rows.push((key, row));
        }
    }
    for team in resources("CareTeam") {
        for p in team["participant"].as_array().into_iter().flatten() {
            let member = &p["member"];
            let (person, role_text) = if let Some(id) = target(member, "Practitioner") {
                (practitioners.get(id), None)
            } else if let Some(id) = target(member, "PractitionerRole") {
                let role = roles.get(id);
                let person = role
                    .and_then(|r| target(&r["practitioner"], "Practitioner"))
                    .and_then(|id| practitioners.get(id));
                let text = role.and_then(|r| r["code"].as_array()?.iter().find_map(concept));
                (person, text)
            } else {
                (None, None)
            };
            let name = person
                .and_then(name_of)
                .or_else(|| member["display"].as_str().map(str::to_owned));
            let Some(name) = name else { continue };
            let role = p["role"]
                .as_array()
                .and_then(|list| list.iter().find_map(concept))
                .or(role_text)
                .unwrap_or_default();
            let until = moment(p["period"]["end"].as_str());
            add(
                &mut rows,
                name.clone(),
                Row {
                    title: name,
                    detail: plain::role_name(&role),
                    when: until.map_or(When::Unknown, When::ShiftEnds),
                    photo: person.and_then(photo_of),
                    ..Row::default()
                },
            );
        }
    }
    // Without a CareTeam, the people on the current encounter.
    if rows.is_empty() {
        for enc in resources("Encounter") {
            for p in enc["participant"].as_array().into_iter().flatten() {
                let Some(id) = target(&p["individual"], "Practitioner") else {
                    continue;
                };
                let name = practitioners
                    .get(id)
                    .and_then(name_of)
                    .or_else(|| p["individual"]["display"].as_str().map(str::to_owned));
                let Some(name) = name else { continue };
                let role = p["type"]
                    .as_array()
                    .and_then(|l| l.iter().find_map(concept))
                    .unwrap_or_else(|| "attending".into());
                add(
                    &mut rows,
                    id.to_owned(),
                    Row {
                        title: name,
                        detail: plain::role_name(&role),
                        photo: practitioners.get(id).and_then(photo_of),
                        ..Row::default()
                    },
                );
            }
        }
    }
    let mut rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    rows.sort_by(|a, b| a.title.cmp(&b.title));
    rows
}

fn today(
    resources: &impl Fn(&str) -> Vec<Value>,
    practitioners: &HashMap<String, Value>,
    now: &jiff::Zoned,
) -> Vec<Row> {
    let start = now
        .start_of_day()
        .map_or(now.timestamp(), |z| z.timestamp());
    let end = start + jiff::SignedDuration::from_hours(48);
    let mut rows: Vec<Row> = resources("Appointment")
        .into_iter()
        .filter(|a| {
            !matches!(
                a["status"].as_str(),
                Some("cancelled" | "entered-in-error" | "noshow")
            )
        })
        .filter_map(|a| {
            let at = moment(a["start"].as_str())?;
            if at < start || at >= end {
                return None;
            }
            let title = a["description"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| a["serviceType"].as_array()?.iter().find_map(concept))
                .or_else(|| concept(&a["appointmentType"]))
                .unwrap_or_else(|| "Appointment".into());
            let with: Vec<String> = a["participant"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let id = target(&p["actor"], "Practitioner")?;
                    practitioners
                        .get(id)
                        .and_then(name_of)
                        .or_else(|| p["actor"]["display"].as_str().map(str::to_owned))
                })
                .collect();
            let place = a["participant"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|p| {
                    target(&p["actor"], "Location")?;
                    p["actor"]["display"].as_str().map(str::to_owned)
                });
            Some(Row {
                title,
                detail: join(&[
                    (!with.is_empty()).then(|| format!("with {}", with.join(", "))),
                    place,
                ]),
                when: When::Planned(at),
                ..Row::default()
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.when
            .key()
            .cmp(&b.when.key())
            .then_with(|| a.title.cmp(&b.title))
    });
    // The day they may go home, when the encounter says.
    for enc in resources("Encounter") {
        if let Some(end) = moment(enc["period"]["end"].as_str())
            && end > now.timestamp()
        {
            rows.push(Row {
                title: "Expected to go home".into(),
                when: When::On("", end.to_zoned(now.time_zone().clone()).date()),
                ..Row::default()
            });
        }
    }
    rows
}

fn medicines(
    resources: &impl Fn(&str) -> Vec<Value>,
    medications: &HashMap<String, Value>,
) -> Vec<Row> {
    let given = resources("MedicationAdministration");
    let mut rows: Vec<Row> = resources("MedicationRequest")
        .into_iter()
        .map(|m| {
            let name = concept(&m["medicationCodeableConcept"])
                .or_else(|| {
                    let id = target(&m["medicationReference"], "Medication")?;
                    concept(&medications.get(id)?["code"])
                })
                .or_else(|| {
                    m["medicationReference"]["display"]
                        .as_str()
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "Medicine".into());
            let dosage = &m["dosageInstruction"][0];
            let dose = &dosage["doseAndRate"][0]["doseQuantity"];
            let dose = dose["value"].as_f64().map(|v| {
                let unit = dose["unit"]
                    .as_str()
                    .or(dose["code"].as_str())
                    .filter(|u| !u.trim().is_empty() && !u.starts_with('{'));
                // A bare "1" on its own says nothing: a dose without a unit is counted.
                match unit {
                    Some(unit) => format!("{} {unit}", plain::trim_number(v)),
                    None if v == 1.0 => "1 dose".to_owned(),
                    None => format!("{} doses", plain::trim_number(v)),
                }
            });
            let repeat = &dosage["timing"]["repeat"];
            let often = plain::how_often(
                repeat["frequency"].as_u64(),
                repeat["period"].as_f64(),
                repeat["periodUnit"].as_str(),
            )
            .or_else(|| dosage["text"].as_str().map(str::to_owned))
            .or_else(|| {
                dosage["asNeededBoolean"]
                    .as_bool()
                    .filter(|b| *b)
                    .map(|_| "when needed".to_owned())
            });
            let route = concept(&dosage["route"]).map(|r| r.to_lowercase());
            let reason = m["reasonCode"]
                .as_array()
                .and_then(|l| l.iter().find_map(concept))
                .map(|r| format!("for {}", r.to_lowercase()));
            let id = m["id"].as_str().unwrap_or_default();
            let last = given
                .iter()
                .filter(|a| {
                    target(&a["request"], "MedicationRequest") == Some(id)
                        || (a["request"].is_null()
                            && concept(&a["medicationCodeableConcept"]).as_deref()
                                == Some(name.as_str()))
                })
                .filter(|a| a["status"].as_str() != Some("not-done"))
                .filter_map(|a| {
                    moment(
                        a["effectiveDateTime"]
                            .as_str()
                            .or(a["effectivePeriod"]["start"].as_str()),
                    )
                })
                .max();
            Row {
                title: name,
                detail: join(&[route, often, reason]),
                value: dose.unwrap_or_default(),
                when: last.map_or(When::Unknown, |t| When::At("Last given", t)),
                ..Row::default()
            }
        })
        .collect();
    rows.sort_by_key(|r| r.title.to_lowercase());
    rows
}

fn allergies(resources: &impl Fn(&str) -> Vec<Value>) -> Vec<Row> {
    let mut rows: Vec<Row> = resources("AllergyIntolerance")
        .into_iter()
        .filter(|a| {
            !a["clinicalStatus"]["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| matches!(c["code"].as_str(), Some("inactive" | "resolved")))
        })
        .map(|a| {
            let reactions: Vec<String> = a["reaction"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["manifestation"].as_array().into_iter().flatten())
                .filter_map(concept)
                .map(|s| s.to_lowercase())
                .collect();
            let high = a["criticality"].as_str() == Some("high");
            Row {
                title: concept(&a["code"]).unwrap_or_else(|| "Allergy".into()),
                // The category is left out: records often carry a wrong one (Synthea files bee
                // venom under "food"), and the substance already says what it is.
                detail: join(&[
                    (!reactions.is_empty()).then(|| format!("causes {}", reactions.join(", ")))
                ]),
                value: if high {
                    "Serious".into()
                } else {
                    String::new()
                },
                flag: if high { Flag::Critical } else { Flag::None },
                when: date(a["recordedDate"].as_str())
                    .map_or(When::Unknown, |d| When::On("Noted", d)),
                ..Row::default()
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.flag
            .eq(&Flag::Critical)
            .cmp(&a.flag.eq(&Flag::Critical))
            .then(a.title.cmp(&b.title))
    });
    rows
}

fn problems(resources: &impl Fn(&str) -> Vec<Value>) -> Vec<Row> {
    let mut rows: Vec<Row> = resources("Condition")
        .into_iter()
        .map(|c| Row {
            title: concept(&c["code"]).unwrap_or_else(|| "Health problem".into()),
            detail: concept(&c["severity"])
                .map(|s| s.to_lowercase())
                .unwrap_or_default(),
            when: date(
                c["onsetDateTime"]
                    .as_str()
                    .or(c["onsetPeriod"]["start"].as_str())
                    .or(c["recordedDate"].as_str()),
            )
            .map_or(When::Unknown, |d| When::On("Since", d)),
            ..Row::default()
        })
        .collect();
    rows.sort_by(|a, b| {
        b.when
            .key()
            .cmp(&a.when.key())
            .then_with(|| a.title.cmp(&b.title))
    });
    rows
}

/// Names patients know for common vital signs (LOINC).
fn vital_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "85354-9" | "55284-4" => "Blood pressure",
        "8867-4" => "Heart rate",
        "9279-1" => "Breathing rate",
        "8310-5" | "8331-1" => "Temperature",
        "2708-6" | "59408-5" => "Oxygen level",
        "29463-7" => "Weight",
        "8302-2" => "Height",
        "39156-5" => "Body mass index",
        "72514-3" => "Pain score",
        _ => return None,
    })
}

/// A value as text, with its unit: "5.8 %", "120/80 mmHg", "Positive".
fn value_of(o: &Value) -> Option<(String, Option<f64>)> {
    let q = &o["valueQuantity"];
    if let Some(v) = q["value"].as_f64() {
        let unit = q["unit"].as_str().or(q["code"].as_str()).unwrap_or("");
        let unit = if unit.starts_with('{') { "" } else { unit };
        return Some((
            format!("{} {unit}", plain::trim_number(v))
                .trim()
                .to_owned(),
            Some(v),
        ));
    }
    if let Some(s) = o["valueString"].as_str() {
        return Some((s.to_owned(), None));
    }
    if let Some(c) = concept(&o["valueCodeableConcept"]) {
        return Some((c, None));
    }
    // Blood pressure is read in whole millimetres everywhere patients see it.
    if let Some((s, d)) = blood_pressure(o) {
        return Some((format!("{:.0}/{:.0} mmHg", s, d), None));
    }
    None
}

/// Systolic and diastolic from a blood pressure's components.
fn blood_pressure(o: &Value) -> Option<(f64, f64)> {
    let part = |code: &str| {
        o["component"].as_array()?.iter().find_map(|c| {
            let codes = c["code"]["coding"].as_array()?;
            codes
                .iter()
                .any(|x| x["code"].as_str() == Some(code))
                .then(|| c["valueQuantity"]["value"].as_f64())?
        })
    };
    Some((part("8480-6")?, part("8462-4")?))
}

/// The normal range of one result, as (low, high).
fn range_of(o: &Value) -> (Option<f64>, Option<f64>) {
    let range = &o["referenceRange"][0];
    (
        range["low"]["value"].as_f64(),
        range["high"]["value"].as_f64(),
    )
}

/// Every value of one test (newest first in `list`) as the trend screen shows them, oldest
/// first.
fn trend_of(list: &[(Timestamp, Value)], unit: &str, low: Option<f64>, high: Option<f64>) -> Trend {
    let mut points: Vec<Point> = list
        .iter()
        .rev()
        .filter_map(|(at, o)| {
            let (text, number) = value_of(o)?;
            let bp = blood_pressure(o);
            let (own_low, own_high) = range_of(o);
            let interpretation = o["interpretation"][0]["coding"][0]["code"].as_str();
            Some(Point {
                at: *at,
                value: number.or(bp.map(|b| b.0)),
                second: bp.map(|b| b.1),
                text,
                flag: Flag::of(number, own_low, own_high, interpretation),
            })
        })
        .collect();
    // The same moment twice (a resent result) is one point.
    points.dedup_by(|b, a| a.at == b.at && a.text == b.text);
    Trend {
        unit: unit.to_owned(),
        low,
        high,
        points,
    }
}

fn observations(resources: &impl Fn(&str) -> Vec<Value>, category: &str) -> Vec<Row> {
    // Newest first, grouped by what was measured.
    let mut all: Vec<(Timestamp, Value)> = resources("Observation")
        .into_iter()
        .filter(|o| {
            o["category"].as_array().into_iter().flatten().any(|c| {
                c["coding"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|x| x["code"].as_str() == Some(category))
            })
        })
        .filter_map(|o| {
            let at = moment(
                o["effectiveDateTime"]
                    .as_str()
                    .or(o["effectivePeriod"]["start"].as_str())
                    .or(o["issued"].as_str()),
            )?;
            Some((at, o))
        })
        .collect();
    all.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut groups: Vec<(String, Vec<(Timestamp, Value)>)> = Vec::new();
    for (at, o) in all {
        let code = o["code"]["coding"][0]["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| concept(&o["code"]))
            .unwrap_or_default();
        match groups.iter_mut().find(|(c, _)| *c == code) {
            Some((_, list)) => list.push((at, o)),
            None => groups.push((code, vec![(at, o)])),
        }
    }
    let mut rows: Vec<Row> = groups
        .into_iter()
        .filter_map(|(code, list)| {
            let (at, latest) = list.iter().find(|(_, o)| value_of(o).is_some())?;
            let (text, number) = value_of(latest)?;
            let range = &latest["referenceRange"][0];
            let (low, high) = range_of(latest);
            let interpretation = latest["interpretation"][0]["coding"][0]["code"].as_str();
            let flag = Flag::of(number, low, high, interpretation);
            let range_text = match (low, high) {
                (Some(l), Some(h)) => Some(format!(
                    "normal {}–{}",
                    plain::trim_number(l),
                    plain::trim_number(h)
                )),
                (None, Some(h)) => Some(format!("normal below {}", plain::trim_number(h))),
                (Some(l), None) => Some(format!("normal above {}", plain::trim_number(l))),
                (None, None) => range["text"].as_str().map(|t| format!("normal {t}")),
            };
            let title = vital_name(&code)
                .map(str::to_owned)
                .or_else(|| concept(&latest["code"]).map(|n| plain::lab_name(&n)))
                .unwrap_or_else(|| "Result".into());
            let unit = if blood_pressure(latest).is_some() {
                "mmHg"
            } else {
                let q = &latest["valueQuantity"];
                q["unit"]
                    .as_str()
                    .or(q["code"].as_str())
                    .filter(|u| !u.starts_with('{'))
                    .unwrap_or("")
            };
            let trend = trend_of(&list, unit, low, high);
            let times = trend.points.len();
            Some(Row {
                title,
                detail: join(&[range_text, (times > 1).then(|| format!("{times} results"))]),
                value: text,
                flag,
                when: When::At("", *at),
                trend: Some(trend),
                photo: None,
            })
        })
        .collect();
    // Newest first; the server's ids never decide the order (they are random).
    rows.sort_by(|a, b| {
        b.when
            .key()
            .cmp(&a.when.key())
            .then_with(|| a.title.cmp(&b.title))
    });
    rows
}

fn diet_and_goals(resources: &impl Fn(&str) -> Vec<Value>) -> Vec<Row> {
    let mut rows = Vec::new();
    for n in resources("NutritionOrder") {
        let kinds: Vec<String> = n["oralDiet"]["type"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(concept)
            .collect();
        let texture = n["oralDiet"]["texture"][0]["modifier"].clone();
        rows.push(Row {
            title: if kinds.is_empty() {
                "Diet".into()
            } else {
                kinds.join(", ")
            },
            detail: join(&[
                Some("Your diet".to_owned()),
                concept(&texture),
                n["oralDiet"]["instruction"].as_str().map(str::to_owned),
            ]),
            ..Row::default()
        });
    }
    for g in resources("Goal") {
        rows.push(Row {
            title: concept(&g["description"]).unwrap_or_else(|| "Goal".into()),
            detail: "Your goal".into(),
            when: date(g["target"][0]["dueDate"].as_str())
                .map_or(When::Unknown, |d| When::On("By", d)),
            ..Row::default()
        });
    }
    for c in resources("CarePlan") {
        let title = c["title"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| c["category"].as_array()?.iter().rev().find_map(concept))
            .unwrap_or_else(|| "Care plan".into());
        let activities: Vec<String> = c["activity"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| concept(&a["detail"]["code"]))
            .collect();
        rows.push(Row {
            title,
            detail: join(&[
                Some("Your care plan".to_owned()),
                (!activities.is_empty()).then(|| activities.join(", ")),
            ]),
            when: date(c["period"]["start"].as_str())
                .map_or(When::Unknown, |d| When::On("Since", d)),
            ..Row::default()
        });
    }
    // Diet, then goals, then care plans (the detail says which), each by title: never by the
    // server's random ids.
    let rank = |r: &Row| {
        ["Your diet", "Your goal", "Your care plan"]
            .iter()
            .position(|d| r.detail.starts_with(d))
            .unwrap_or(3)
    };
    rows.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.title.cmp(&b.title)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The official R4 examples: a Patient with a next of kin among its contacts, a
    /// RelatedPerson who is an emergency contact.
    #[test]
    fn family_comes_from_the_patients_contacts_and_related_persons() {
        let example = |name: &str| -> Value {
            serde_json::from_str(&crate::testdata::read(&format!("fhir-r4/examples/{name}")))
                .unwrap()
        };
        let patient = example("patient-example.json");
        let peter = example("relatedperson-example-peter.json");
        let mut gone = peter.clone();
        gone["id"] = json!("gone");
        gone["active"] = json!(false);
        let mut ended = peter.clone();
        ended["id"] = json!("ended");
        ended["period"] = json!({"start": "2012", "end": "2013-01-01"});
        let mut employer = patient.clone();
        employer["contact"][0]["relationship"][0]["coding"][0]["code"] = json!("E");
        let now: Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
        let family_of = |patients: Vec<Value>, related: Vec<Value>| {
            family(
                &|kind: &str| match kind {
                    "Patient" => patients.clone(),
                    "RelatedPerson" => related.clone(),
                    _ => Vec::new(),
                },
                now,
            )
        };
        let found = family_of(vec![patient.clone()], vec![peter.clone(), gone, ended]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].key, "RelatedPerson/peter");
        assert_eq!(found[0].name, "Peter James Chalmers");
        assert_eq!(found[0].relationship, "Emergency contact");
        assert!(found[0].answers_to("Peter Chalmers"));
        assert_eq!(found[1].relationship, "Next of kin");
        assert!(found[1].answers_to("Bénédicte du Marché"), "{:?}", found[1]);
        assert!(found[1].key.starts_with("contact:"));
        // An employer among the contacts is nobody's family; a spouse also coded as the billing
        // contact is.
        assert!(family_of(vec![employer], Vec::new()).is_empty());
        let mut spouse = patient.clone();
        spouse["contact"][0]["relationship"] = json!([
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "BP"}]},
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "SPS"}]}
        ]);
        let found = family_of(vec![spouse], Vec::new());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].relationship, "Billing contact");
        // The same person in two RelatedPersons (one per relationship) is one row.
        let mut again = peter.clone();
        again["id"] = json!("peter-2");
        again["relationship"] = json!([{"text": "Son"}]);
        let found = family_of(Vec::new(), vec![peter.clone(), again]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].relationship, "Emergency contact, Son");
    }

    fn now() -> jiff::Zoned {
        "2026-11-25T09:41:00+00:00[UTC]".parse().unwrap()
    }

    #[test]
    fn the_care_team_now_is_who_may_open_the_record() {
        let team = json!({"resourceType": "CareTeam", "id": "t", "status": "active", "participant": [
            {"member": {"reference": "Practitioner/p1"}},
            {"member": {"reference": "PractitionerRole/r1"}},
            {"member": {"reference": "Practitioner/p3"}, "period": {"end": "2026-11-24T19:00:00Z"}},
            {"member": {"reference": "Practitioner/p4"}, "period": {"end": "2026-11-25T19:00:00Z"}},
            {"member": {"reference": "Practitioner/p5"}, "period": {"start": "2026-11-25T19:00:00Z"}},
            {"member": {"reference": "PractitionerRole/r2"}}
        ]});
        let role = json!({"resourceType": "PractitionerRole", "id": "r1",
            "practitioner": {"reference": "Practitioner/p2"}});
        let inactive = json!({"resourceType": "PractitionerRole", "id": "r2", "active": false,
            "practitioner": {"reference": "Practitioner/p6"}});
        let record = build(
            |kind| match kind {
                "CareTeam" => vec![team.clone()],
                "PractitionerRole" => vec![role.clone(), inactive.clone()],
                _ => vec![],
            },
            &now(),
        );
        assert!(record.on_care_team("Practitioner/p1"));
        assert!(record.on_care_team("https://fhir.example/r4/Practitioner/p1"));
        assert!(
            record.on_care_team("Practitioner/p2"),
            "through a PractitionerRole"
        );
        assert!(
            !record.on_care_team("Practitioner/p3"),
            "their time on the team is over"
        );
        assert!(
            record.on_care_team("Practitioner/p4"),
            "on shift until 19:00"
        );
        assert!(!record.on_care_team("Practitioner/ana"));
        assert!(!record.on_care_team("Practitioner/"));
        // No CareTeam: the encounter's participants.
        let encounter = json!({"resourceType": "Encounter", "id": "e", "participant": [
            {"individual": {"reference": "Practitioner/doc"}},
            {"individual": {"reference": "Practitioner/gone"}, "period": {"end": "2026-11-24T00:00:00Z"}}]});
        let record = build(
            |kind| match kind {
                "Encounter" => vec![encounter.clone()],
                _ => vec![],
            },
            &now(),
        );
        assert!(record.on_care_team("Practitioner/doc"));
        assert!(!record.on_care_team("Practitioner/gone"));
    }

    #[test]
    fn names_read_given_name_first_unless_the_record_spells_them_out() {
        let person = |name: Value| json!({"resourceType": "Practitioner", "name": [name]});
        assert_eq!(
            name_of(&person(
                json!({"family": "Langeveld", "given": ["Anne"], "prefix": ["Dr"]})
            )),
            Some("Dr Anne Langeveld".into())
        );
        assert_eq!(
            name_of(&person(
                json!({"family": "Okafor", "given": ["Grace", "Ada"]})
            )),
            Some("Grace Ada Okafor".into())
        );
        // A hospital that writes the whole name (family first, say) is taken at its word.
        assert_eq!(
            name_of(&person(
                json!({"text": "NAKAMURA Yui", "family": "Nakamura", "given": ["Yui"]})
            )),
            Some("NAKAMURA Yui".into())
        );
    }

    fn record(resources: Vec<Value>) -> Record {
        build(
            |kind| {
                resources
                    .iter()
                    .filter(|r| r["resourceType"] == kind)
                    .cloned()
                    .collect()
            },
            &now(),
        )
    }

    #[test]
    fn labs_group_by_test_with_the_latest_value_and_a_flag() {
        let obs = |v: f64, at: &str| {
            json!({"resourceType":"Observation","status":"final",
                "category":[{"coding":[{"code":"laboratory"}]}],
                "code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose"}]},
                "effectiveDateTime": at,
                "valueQuantity":{"value":v,"unit":"mg/dL"},
                "referenceRange":[{"low":{"value":70},"high":{"value":99}}]})
        };
        let r = record(vec![
            obs(90.0, "2026-11-20T08:00:00Z"),
            obs(130.0, "2026-11-25T07:00:00Z"),
        ]);
        let rows = r.rows(Section::Results);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].title, "Glucose");
        assert_eq!(rows[0].value, "130 mg/dL");
        assert_eq!(
            rows[0].flag,
            Flag::Critical,
            "beyond the range by more than its width"
        );
        assert_eq!(rows[0].detail, "normal 70–99 · 2 results");
        assert_eq!(rows[0].when.text(&now(), Default::default()), "2 hours ago");
    }

    #[test]
    fn blood_pressure_reads_its_components() {
        let bp = json!({"resourceType":"Observation","category":[{"coding":[{"code":"vital-signs"}]}],
            "code":{"coding":[{"code":"85354-9","display":"Blood pressure panel"}]},
            "effectiveDateTime":"2026-11-25T06:00:00Z",
            "component":[
              {"code":{"coding":[{"code":"8480-6"}]},"valueQuantity":{"value":128,"unit":"mm[Hg]"}},
              {"code":{"coding":[{"code":"8462-4"}]},"valueQuantity":{"value":82,"unit":"mm[Hg]"}}]});
        let r = record(vec![bp]);
        let row = &r.rows(Section::Vitals)[0];
        assert_eq!(
            (row.title.as_str(), row.value.as_str()),
            ("Blood pressure", "128/82 mmHg")
        );
        assert_eq!(row.flag, Flag::None, "no range: no flag");
    }

    #[test]
    fn medicines_say_dose_route_how_often_reason_and_last_given() {
        let req = json!({"resourceType":"MedicationRequest","id":"m1","status":"active",
            "medicationCodeableConcept":{"text":"Metformin 500 mg tablet"},
            "reasonCode":[{"text":"Diabetes"}],
            "dosageInstruction":[{"route":{"text":"By mouth"},
                "timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}},
                "doseAndRate":[{"doseQuantity":{"value":500,"unit":"mg"}}]}]});
        let given = json!({"resourceType":"MedicationAdministration","status":"completed",
            "request":{"reference":"MedicationRequest/m1"},"effectiveDateTime":"2026-11-25T08:00:00Z"});
        let r = record(vec![req, given]);
        let row = &r.rows(Section::Medications)[0];
        assert_eq!(row.value, "500 mg");
        assert_eq!(row.detail, "by mouth · twice a day · for diabetes");
        assert_eq!(
            row.when.text(&now(), Default::default()),
            "Last given 1 hour ago"
        );
    }

    #[test]
    fn the_care_team_falls_back_to_the_encounter() {
        let doc = json!({"resourceType":"Practitioner","id":"d1",
            "name":[{"prefix":["Dr."],"given":["Ana"],"family":"Silva"}]});
        let enc = json!({"resourceType":"Encounter","participant":[{
            "type":[{"text":"primary performer"}],"individual":{"reference":"Practitioner/d1"}}]});
        let r = record(vec![doc, enc]);
        let row = &r.rows(Section::CareTeam)[0];
        assert_eq!(
            (row.title.as_str(), row.detail.as_str()),
            ("Dr. Ana Silva", "Attending doctor")
        );
    }

    #[test]
    fn empty_and_broken_resources_give_short_rows_not_errors() {
        let r = record(vec![
            json!({"resourceType":"Condition"}),
            json!({"resourceType":"AllergyIntolerance","criticality":"high"}),
            json!({"resourceType":"Observation","category":[{"coding":[{"code":"laboratory"}]}]}),
        ]);
        assert_eq!(r.rows(Section::Problems)[0].title, "Health problem");
        assert_eq!(r.rows(Section::Allergies)[0].flag, Flag::Critical);
        assert!(
            r.rows(Section::Results).is_empty(),
            "no time, no value: nothing to show"
        );
        assert!(r.rows(Section::Today).is_empty());
    }

    #[test]
    fn today_keeps_today_and_tomorrow_in_order() {
        let appt = |start: &str, what: &str| json!({"resourceType":"Appointment","status":"booked","start":start,"description":what});
        let r = record(vec![
            appt("2026-11-26T09:00:00Z", "Physiotherapy"),
            appt("2026-11-25T10:21:00Z", "Chest X-ray"),
            appt("2026-11-28T09:00:00Z", "Later"),
        ]);
        let titles: Vec<&str> = r
            .rows(Section::Today)
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(titles, ["Chest X-ray", "Physiotherapy"]);
        assert_eq!(
            r.rows(Section::Today)[0]
                .when
                .text(&now(), Default::default()),
            "In 40 minutes"
        );
    }
}
