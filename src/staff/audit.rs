//! Clinician mode's audit trail as FHIR R4 `AuditEvent`s, one per sign-in, failure, lockout,
//! sign-out and change made for the patient. They go through the outbox like anything else the
//! box sends (exactly once: the box gives each its id, delivery is a PUT to it).
//!
//! The codes are DICOM's audit vocabulary, as the FHIR R4 AuditEvent examples use it
//! (`audit-event-type` is extensible to DCM): 110114 User Authentication with subtype 110122
//! Login or 110123 Logout; 110113 Security Alert for a lockout; 110110 Patient Record for a
//! change to the patient's settings. `outcome` is R4's 0 success, 4 minor failure, 8 serious
//! failure.
//!
//! Only events about the patient's record or settings (a summary viewed, My health shown, a
//! setting changed, the PIN cleared) name the Patient in `entity`; sign-ins, failures, lockouts
//! and sign-outs name nobody but staff and the box.
//!
//! What an event never carries: the badge number or the PIN. Who failed to sign in is told by
//! `agent.altId`, the first bytes of the badge's key on this box (an HMAC under the box's
//! secret), so one badge tried five times can be told from five badges tried once.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::config::Identifier;
use crate::domain::session::staff::Ended;
use crate::domain::shell::{Audit, Audited};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";

/// Where the event happened: this box, the bed it serves, and the patient in it (if any).
pub struct Place<'a> {
    pub device: &'a Identifier,
    pub bed_name: &'a str,
    /// The Patient's server id.
    pub patient: Option<&'a str>,
}

/// The AuditEvent for `audit`, recorded at `at`.
pub fn event(audit: &Audit, at: Timestamp, place: &Place<'_>) -> Value {
    let dcm = |code: &str, display: &str| json!({"system": DCM, "code": code, "display": display});
    let (kind, subtype, action, outcome, said) = match audit.what {
        Audited::SignedIn => (
            dcm("110114", "User Authentication"),
            Some(dcm("110122", "Login")),
            "E",
            "0",
            "Staff signed in at the bedside TV",
        ),
        Audited::SignInFailed => (
            dcm("110114", "User Authentication"),
            Some(dcm("110122", "Login")),
            "E",
            "4",
            "Staff sign-in refused: wrong PIN, or a badge not allowed here",
        ),
        Audited::LockedOut => (
            dcm("110113", "Security Alert"),
            None,
            "E",
            "8",
            "Staff sign-in locked for 5 minutes after repeated wrong PINs",
        ),
        Audited::SignedOut(why) => (
            dcm("110114", "User Authentication"),
            Some(dcm("110123", "Logout")),
            "E",
            "0",
            match why {
                Ended::SignedOut => "Staff signed out",
                Ended::Idle => "Staff session ended after 2 minutes without a press",
                Ended::OtherBadge => "Staff session ended: another badge was tapped",
                Ended::Power => "Staff session ended: the TV was turned off",
                Ended::Discharge => "Staff session ended: the patient left the bed",
            },
        ),
        Audited::SummaryViewed => (
            dcm("110110", "Patient Record"),
            None,
            "R",
            "0",
            "The patient summary was opened by staff at the bedside",
        ),
        Audited::Presented => (
            dcm("110110", "Patient Record"),
            None,
            "R",
            "0",
            "My health was shown to the patient by staff",
        ),
        Audited::SettingChanged => (
            dcm("110110", "Patient Record"),
            None,
            "U",
            "0",
            "One of the patient's TV settings was changed by staff",
        ),
        Audited::PrivacyPinCleared => (
            dcm("110110", "Patient Record"),
            None,
            "U",
            "0",
            "The patient's privacy PIN was removed by staff",
        ),
        Audited::FamilyViewed => (
            dcm("110110", "Patient Record"),
            None,
            "R",
            "0",
            "The patient's family call list was opened by staff",
        ),
        Audited::FamilyAllowed => (
            dcm("110110", "Patient Record"),
            None,
            "U",
            "0",
            "Staff allowed a family member to call the patient as family again",
        ),
        Audited::FamilyBlocked => (
            dcm("110110", "Patient Record"),
            None,
            "U",
            "0",
            "Staff set a family member as not allowed to call the patient as family",
        ),
        Audited::FamilyInvited => (
            dcm("110110", "Patient Record"),
            None,
            "U",
            "0",
            "Staff asked for, or ended, a family member's invitation to call the patient",
        ),
        Audited::LearningViewed => (
            dcm("110110", "Patient Record"),
            None,
            "R",
            "0",
            "What the patient is learning, and their answers, were opened by staff",
        ),
        Audited::LearningAssigned => (
            dcm("110110", "Patient Record"),
            None,
            "C",
            "0",
            "Staff assigned the patient something to learn",
        ),
        Audited::LearningUnassigned => (
            dcm("110110", "Patient Record"),
            None,
            "U",
            "0",
            "Staff took back something the patient was to learn",
        ),
        // Shown outside the room: DICOM's Export, with the far end as the destination.
        Audited::Shared => (
            dcm("110106", "Export"),
            None,
            "R",
            "0",
            "My health was shared by staff with the far end of a video call",
        ),
    };
    let mut agent = json!({
        "type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
            "code": "humanuser",
            "display": "human user"
        }]},
        "requestor": true,
    });
    match &audit.by {
        Some(staff) => {
            agent["who"] = json!({"reference": staff.practitioner, "display": staff.name});
            agent["name"] = json!(staff.name);
        }
        None => agent["who"] = json!({"display": "Badge holder, not verified"}),
    }
    if let Some(badge) = &audit.badge {
        let short: String = badge.as_bytes()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        agent["altId"] = json!(format!("badge-key:{short}"));
    }
    let mut event = json!({
        "resourceType": "AuditEvent",
        "type": kind,
        "action": action,
        "recorded": at.to_string(),
        "outcome": outcome,
        "outcomeDesc": said,
        "agent": [agent],
        "source": {
            "site": place.bed_name,
            "observer": {
                "identifier": {"system": place.device.system, "value": place.device.value},
                "display": "Bedside TV"
            },
            "type": [{
                "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                "code": "1",
                "display": "User Device"
            }]
        }
    });
    if let Some(subtype) = subtype {
        event["subtype"] = json!([subtype]);
    }
    if let Some(with) = &audit.with {
        // Who saw it at the far end, as their call page says: the signalling server does not
        // prove it (docs/calls.md).
        if let Some(agents) = event["agent"].as_array_mut() {
            agents.push(json!({
                "type": {"coding": [dcm("110152", "Destination Role ID")]},
                "who": {"display": with},
                "name": with,
                "requestor": false,
            }));
        }
    }
    // Only what was done with the patient's record or settings names the patient: signing in
    // or out, or failing to, at their bedside is not a look at their record (their "who saw my
    // record" report must not list it).
    let about_patient = matches!(
        audit.what,
        Audited::SummaryViewed
            | Audited::Presented
            | Audited::Shared
            | Audited::FamilyViewed
            | Audited::FamilyAllowed
            | Audited::FamilyBlocked
            | Audited::FamilyInvited
            | Audited::LearningViewed
            | Audited::LearningAssigned
            | Audited::LearningUnassigned
            | Audited::SettingChanged
            | Audited::PrivacyPinCleared
    );
    if let Some(patient) = place.patient.filter(|_| about_patient) {
        event["entity"] = json!([{
            "what": {"reference": format!("Patient/{patient}")},
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person"
            },
            "role": {
                "system": "http://terminology.hl7.org/CodeSystem/object-role",
                "code": "1",
                "display": "Patient"
            }
        }]);
    }
    // The family member a change was about, when the record gives them an id (a
    // Patient.contact has none; its name stays out of the trail).
    if let Some(person) = audit
        .about
        .as_deref()
        .filter(|a| a.starts_with("RelatedPerson/"))
    {
        let entity = json!({
            "what": {"reference": person},
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person"
            }
        });
        match event["entity"].as_array_mut() {
            Some(list) => list.push(entity),
            None => event["entity"] = json!([entity]),
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::session::badge::BadgeSecret;
    use crate::domain::session::testing::nurse;

    fn place(patient: Option<&str>) -> (Identifier, Option<String>) {
        (
            Identifier {
                system: "urn:example:device".into(),
                value: "TV-3W-12A".into(),
            },
            patient.map(str::to_owned),
        )
    }

    #[test]
    fn a_sign_out_names_the_nurse_the_box_and_the_patient_and_never_the_badge_number() {
        let (device, patient) = place(Some("p1"));
        let badge = BadgeSecret::derive(b"box secret").key_of("0012345");
        let audit = Audit {
            with: None,
            about: None,
            what: Audited::SignedOut(Ended::Idle),
            by: Some(nurse()),
            badge: Some(badge),
        };
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let here = Place {
            device: &device,
            bed_name: "3 West, Room 12, Bed A",
            patient: patient.as_deref(),
        };
        let e = event(&audit, at, &here);
        assert_eq!(e["agent"][0]["who"]["reference"], "Practitioner/ana");
        assert_eq!(e["subtype"][0]["code"], "110123");
        assert!(
            e.get("entity").is_none(),
            "a sign-out is no look at the record"
        );
        let viewed = event(
            &Audit {
                with: None,
                about: None,
                what: Audited::SummaryViewed,
                ..audit.clone()
            },
            at,
            &here,
        );
        assert_eq!(viewed["entity"][0]["what"]["reference"], "Patient/p1");
        // A view shared in a call names the patient and, as a second agent, who saw it.
        let shared = event(
            &Audit {
                with: Some("Dr Kim (Interpreter)".into()),
                what: Audited::Shared,
                ..audit.clone()
            },
            at,
            &here,
        );
        assert_eq!(shared["type"]["code"], "110106");
        assert_eq!(shared["entity"][0]["what"]["reference"], "Patient/p1");
        assert_eq!(shared["agent"][0]["who"]["reference"], "Practitioner/ana");
        assert_eq!(shared["agent"][1]["name"], "Dr Kim (Interpreter)");
        assert_eq!(shared["agent"][1]["requestor"], false);
        assert_eq!(e["agent"].as_array().unwrap().len(), 1);
        // A family member set as not allowed: the patient, and the RelatedPerson.
        let blocked = event(
            &Audit {
                what: Audited::FamilyBlocked,
                about: Some("RelatedPerson/jo".into()),
                ..audit.clone()
            },
            at,
            &here,
        );
        assert_eq!(blocked["entity"][0]["what"]["reference"], "Patient/p1");
        assert_eq!(
            blocked["entity"][1]["what"]["reference"],
            "RelatedPerson/jo"
        );
        assert_eq!(blocked["action"], "U");
        assert_eq!(e["source"]["observer"]["identifier"]["value"], "TV-3W-12A");
        assert_eq!(e["recorded"], at.to_string());
        // The badge shows only as the first bytes of its key on this box.
        let alt = e["agent"][0]["altId"].as_str().unwrap();
        assert_eq!(alt.len(), "badge-key:".len() + 16, "{alt}");
        assert!(!e.to_string().contains("0012345"));
    }

    #[test]
    fn a_failure_with_nobody_known_has_an_unverified_agent_and_no_patient_when_the_bed_is_empty() {
        let (device, _) = place(None);
        let audit = Audit {
            with: None,
            about: None,
            what: Audited::LockedOut,
            by: None,
            badge: Some(BadgeSecret::random().key_of("1")),
        };
        let e = event(
            &audit,
            Timestamp::UNIX_EPOCH,
            &Place {
                device: &device,
                bed_name: "Bed",
                patient: None,
            },
        );
        assert_eq!(e["outcome"], "8");
        assert!(e["agent"][0]["who"].get("reference").is_none());
        assert!(
            e["agent"][0]["altId"]
                .as_str()
                .unwrap()
                .starts_with("badge-key:")
        );
        assert!(e.get("entity").is_none());
    }
}
