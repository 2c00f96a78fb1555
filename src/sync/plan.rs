//! What the box loads about the bed's patient: one search per kind of record, with the filters
//! the server should apply and the same rules checked again here, because servers differ (one
//! ignores a parameter it does not know and answers with every CareTeam it holds). A resource is
//! kept only if it belongs to this patient (or this box) and passes its rule; sizes are capped so
//! a lying or huge server can never fill the box.

use serde_json::Value;

/// The time window the rules use, fixed at the start of a pass.
#[derive(Clone, Debug)]
pub struct Window {
    /// Start of today, local time, as an instant (`2026-11-25T00:00:00+01:00`).
    pub today: jiff::Timestamp,
    /// How far back medication administrations are loaded.
    pub given_since: jiff::Timestamp,
}

impl Window {
    pub fn now() -> Window {
        Window::at(&jiff::Zoned::now())
    }

    /// The window as of `now`.
    pub fn at(now: &jiff::Zoned) -> Window {
        let today = now
            .start_of_day()
            .map_or_else(|_| now.timestamp(), |z| z.timestamp());
        Window {
            today,
            given_since: now.timestamp() - jiff::SignedDuration::from_hours(7 * 24),
        }
    }
}

/// Whom a search is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Patient,
    /// Messages addressed to the box itself (bed-wide notices); purged with the patient too.
    Device,
}

/// One search of the chart.
pub struct Query {
    pub kind: &'static str,
    pub owner: Owner,
    /// The search parameter that names the owner (`patient`, `recipient`).
    pub owner_param: &'static str,
    /// Server-side filters for a full load. Left off in incremental passes: a change may move a
    /// resource out of the set (a medication stopped), and the box must see that to drop it.
    pub filters: fn(&Window) -> Vec<(&'static str, String)>,
    pub sort: Option<&'static str>,
    /// The most resources of this kind kept.
    pub cap: usize,
    /// The same rule as `filters`, checked here.
    pub keep: fn(&Value, &Window) -> bool,
}

/// How education assignments are tagged: SNOMED CT 311401005 "Patient education" (as R4's own
/// `servicerequest-example-edu.json`), or 409073007 "Education". As a search value, either.
pub const EDUCATION: &str = "http://snomed.info/sct|311401005,http://snomed.info/sct|409073007";
const EDUCATION_CODES: [&str; 2] = ["311401005", "409073007"];

/// The kinds referenced from the chart that are loaded too (who the nurse is, what a drug is,
/// what an education assignment points to).
pub const REFERENCED: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Medication",
    "DocumentReference",
    "Questionnaire",
];
/// The most referenced resources loaded.
pub const REFERENCED_CAP: usize = 500;

pub fn queries() -> Vec<Query> {
    fn none(_: &Window) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    fn not_in_error(r: &Value, _: &Window) -> bool {
        r["status"].as_str() != Some("entered-in-error")
    }
    vec![
        Query {
            kind: "CareTeam",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("status", "active".into())],
            sort: None,
            cap: 50,
            keep: |r, _| matches!(r["status"].as_str(), None | Some("active")),
        },
        // Family and caregivers: who may call the bed as family (domain::family).
        Query {
            kind: "RelatedPerson",
            owner: Owner::Patient,
            owner_param: "patient",
            // Not `active=true`: a RelatedPerson without `active` (most) would not match.
            filters: none,
            sort: None,
            cap: 50,
            keep: |r, _| r["active"].as_bool() != Some(false),
        },
        Query {
            kind: "Appointment",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |w| vec![("date", format!("ge{}", w.today))],
            sort: Some("date"),
            cap: 200,
            keep: |r, w| {
                not_in_error(r, w)
                    && r["start"]
                        .as_str()
                        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                        .is_some_and(|t| t >= w.today)
            },
        },
        Query {
            kind: "MedicationRequest",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("status", "active,on-hold".into())],
            sort: None,
            cap: 500,
            keep: |r, _| matches!(r["status"].as_str(), Some("active" | "on-hold")),
        },
        Query {
            kind: "MedicationAdministration",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |w| vec![("effective-time", format!("ge{}", w.given_since))],
            sort: Some("-effective-time"),
            cap: 1000,
            keep: |r, w| {
                not_in_error(r, w)
                    && r["effectiveDateTime"]
                        .as_str()
                        .or(r["effectivePeriod"]["start"].as_str())
                        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                        .is_some_and(|t| t >= w.given_since)
            },
        },
        Query {
            kind: "AllergyIntolerance",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: none,
            sort: None,
            cap: 200,
            keep: |r, _| !has_code(&r["verificationStatus"], &["entered-in-error", "refuted"]),
        },
        Query {
            kind: "Condition",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("clinical-status", "active,recurrence,relapse".into())],
            sort: None,
            cap: 500,
            keep: |r, _| {
                has_code(&r["clinicalStatus"], &["active", "recurrence", "relapse"])
                    && !has_code(&r["verificationStatus"], &["entered-in-error", "refuted"])
            },
        },
        Query {
            kind: "Observation",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("category", "vital-signs,laboratory".into())],
            sort: Some("-date"),
            cap: 2000,
            keep: |r, w| {
                not_in_error(r, w)
                    && r["category"].as_array().is_some_and(|cats| {
                        cats.iter()
                            .any(|c| has_code(c, &["vital-signs", "laboratory"]))
                    })
            },
        },
        Query {
            kind: "DiagnosticReport",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: none,
            sort: Some("-date"),
            cap: 500,
            keep: not_in_error,
        },
        Query {
            kind: "CarePlan",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("status", "active".into())],
            sort: None,
            cap: 100,
            keep: |r, _| r["status"].as_str() == Some("active"),
        },
        Query {
            kind: "Goal",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| {
                vec![(
                    "lifecycle-status",
                    "proposed,planned,accepted,active,on-hold".into(),
                )]
            },
            sort: None,
            cap: 100,
            keep: |r, _| {
                matches!(
                    r["lifecycleStatus"].as_str(),
                    Some("proposed" | "planned" | "accepted" | "active" | "on-hold")
                )
            },
        },
        Query {
            kind: "NutritionOrder",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("status", "active".into())],
            sort: None,
            cap: 50,
            keep: |r, _| r["status"].as_str() == Some("active"),
        },
        Query {
            kind: "ServiceRequest",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("category", EDUCATION.into())],
            sort: None,
            cap: 200,
            keep: |r, w| {
                not_in_error(r, w)
                    && r["category"]
                        .as_array()
                        .is_some_and(|cats| cats.iter().any(is_education))
            },
        },
        Query {
            kind: "Task",
            owner: Owner::Patient,
            owner_param: "patient",
            filters: |_| vec![("code", EDUCATION.into())],
            sort: None,
            cap: 200,
            keep: |r, w| not_in_error(r, w) && is_education(&r["code"]),
        },
        // The patient's teach-back answers (for staff, beside each assignment).
        Query {
            kind: "QuestionnaireResponse",
            owner: Owner::Patient,
            owner_param: "subject",
            filters: |_| vec![("status", "completed".into())],
            sort: None,
            cap: 200,
            keep: |r, _| r["status"].as_str() == Some("completed"),
        },
        Query {
            kind: "Communication",
            owner: Owner::Patient,
            owner_param: "recipient",
            filters: none,
            sort: Some("-sent"),
            cap: 200,
            keep: not_in_error,
        },
        Query {
            kind: "Communication",
            owner: Owner::Device,
            owner_param: "recipient",
            filters: none,
            sort: Some("-sent"),
            cap: 200,
            keep: not_in_error,
        },
    ]
}

/// Does this resource belong to `owner` (`Patient/123`, `Device/9`)? The field differs by type.
pub fn belongs(r: &Value, owner: &str) -> bool {
    let one = |v: &Value| v["reference"].as_str().is_some_and(|s| refers_to(s, owner));
    let any = |v: &Value, field: &str| {
        v.as_array()
            .is_some_and(|list| list.iter().any(|x| one(&x[field]) || one(x)))
    };
    match r["resourceType"].as_str().unwrap_or_default() {
        "AllergyIntolerance" | "NutritionOrder" | "RelatedPerson" => one(&r["patient"]),
        "Appointment" => any(&r["participant"], "actor"),
        "Task" => one(&r["for"]),
        "Communication" => any(&r["recipient"], "") || one(&r["subject"]),
        _ => one(&r["subject"]),
    }
}

/// Does a FHIR reference (relative, absolute or versioned) point at `Type/id`?
pub fn refers_to(reference: &str, target: &str) -> bool {
    let without_version = reference
        .split_once("/_history/")
        .map_or(reference, |(head, _)| head);
    without_version == target
        || without_version
            .strip_suffix(target)
            .is_some_and(|head| head.ends_with('/'))
}

/// Does a CodeableConcept (or a list of them) carry one of these codes?
pub fn has_code(concept: &Value, codes: &[&str]) -> bool {
    concept["coding"].as_array().is_some_and(|list| {
        list.iter()
            .any(|c| c["code"].as_str().is_some_and(|code| codes.contains(&code)))
    })
}

fn is_education(concept: &Value) -> bool {
    concept["coding"].as_array().is_some_and(|list| {
        list.iter().any(|c| {
            c["system"].as_str() == Some("http://snomed.info/sct")
                && c["code"]
                    .as_str()
                    .is_some_and(|code| EDUCATION_CODES.contains(&code))
        })
    })
}

/// Every `Type/id` reference of one of `kinds` found anywhere in a resource.
pub fn references(r: &Value, kinds: &[&str], out: &mut Vec<(String, String)>) {
    match r {
        Value::Object(map) => {
            if let Some(Value::String(s)) = map.get("reference") {
                let s = s.split_once("/_history/").map_or(s.as_str(), |(h, _)| h);
                let mut parts = s.rsplitn(2, '/');
                if let (Some(id), Some(head)) = (parts.next(), parts.next()) {
                    let kind = head.rsplit('/').next().unwrap_or(head);
                    if kinds.contains(&kind) && !id.is_empty() {
                        out.push((kind.to_owned(), id.to_owned()));
                    }
                }
            }
            for v in map.values() {
                references(v, kinds, out);
            }
        }
        Value::Array(list) => list.iter().for_each(|v| references(v, kinds, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_match_whole_ids_only() {
        assert!(refers_to("Patient/12", "Patient/12"));
        assert!(refers_to("http://h/fhir/Patient/12", "Patient/12"));
        assert!(refers_to("Patient/12/_history/3", "Patient/12"));
        assert!(!refers_to("Patient/112", "Patient/12"));
        assert!(!refers_to("Patient/12x", "Patient/12"));
        assert!(!refers_to("Group/12", "Patient/12"));
    }

    #[test]
    fn each_type_is_owned_through_its_own_field() {
        let p = "Patient/p";
        assert!(belongs(
            &json!({"resourceType":"Observation","subject":{"reference":"Patient/p"}}),
            p
        ));
        assert!(!belongs(
            &json!({"resourceType":"Observation","subject":{"reference":"Patient/q"}}),
            p
        ));
        assert!(
            !belongs(&json!({"resourceType":"CareTeam"}), p),
            "no subject, not ours"
        );
        assert!(belongs(
            &json!({"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p"}}),
            p
        ));
        assert!(belongs(
            &json!({"resourceType":"Appointment","participant":[
            {"actor":{"reference":"Practitioner/d"}},{"actor":{"reference":"Patient/p"}}]}),
            p
        ));
        assert!(belongs(
            &json!({"resourceType":"Task","for":{"reference":"Patient/p"}}),
            p
        ));
        assert!(belongs(
            &json!({"resourceType":"Communication","recipient":[{"reference":"Device/tv"}]}),
            "Device/tv"
        ));
    }

    #[test]
    fn rules_follow_status_and_time() {
        let w = Window::now();
        let q = queries();
        let rule = |kind: &str| q.iter().find(|x| x.kind == kind).unwrap().keep;
        assert!(rule("MedicationRequest")(&json!({"status":"active"}), &w));
        assert!(!rule("MedicationRequest")(&json!({"status":"stopped"}), &w));
        let active = json!({"clinicalStatus":{"coding":[{"code":"active"}]}});
        assert!(rule("Condition")(&active, &w));
        assert!(!rule("Condition")(
            &json!({"clinicalStatus":{"coding":[{"code":"resolved"}]}}),
            &w
        ));
        let lab = json!({"status":"final","category":[{"coding":[{"code":"laboratory"}]}]});
        assert!(rule("Observation")(&lab, &w));
        assert!(!rule("Observation")(
            &json!({"status":"final","category":[{"coding":[{"code":"social-history"}]}]}),
            &w
        ));
        assert!(!rule("Appointment")(
            &json!({"status":"booked","start":"2001-01-01T10:00:00Z"}),
            &w
        ));
        assert!(rule("Appointment")(
            &json!({"status":"booked","start":"2999-01-01T10:00:00Z"}),
            &w
        ));
    }

    #[test]
    fn references_are_found_anywhere() {
        let r = json!({"requester":{"reference":"Practitioner/d1"},
            "x":[{"member":{"reference":"http://h/fhir/PractitionerRole/r1/_history/2"}}],
            "subject":{"reference":"Patient/p"}});
        let mut out = Vec::new();
        references(&r, REFERENCED, &mut out);
        out.sort();
        assert_eq!(
            out,
            [
                ("Practitioner".into(), "d1".into()),
                ("PractitionerRole".into(), "r1".into())
            ]
        );
    }
}
