//! Clinician sign-in against a real staff directory: OpenLDAP's slapd on loopback over LDAPS,
//! with a CA of the test's own. The box searches as its service account and binds as the
//! person with the PIN; offline sign-in takes over when the directory stops.

mod common;

use std::time::{Duration, Instant};

use bedside::config::LdapsUrl;
use bedside::domain::session::badge::BadgeSecret;
use bedside::domain::session::pad::{StaffPad, StaffPin};
use bedside::domain::session::staff::Verdict;
use bedside::domain::session::{Access, Staff};
use bedside::staff::StaffCheck;
use bedside::staff::directory::Directory;
use common::fhir;
use common::slapd::Slapd;

fn pin(text: &str) -> StaffPin {
    let mut pad = StaffPad::default();
    for c in text.bytes() {
        pad.push(c - b'0');
    }
    pad.take().unwrap()
}

fn ana() -> Staff {
    Staff {
        practitioner: "Practitioner/ana".into(),
        name: "Ana Ruiz".into(),
        role: "Nurse".into(),
        access: Access::Record,
    }
}

#[test]
fn the_directory_decides_badge_and_pin() {
    let slapd = Slapd::start();
    let dir = Directory::new(&slapd.config(Some(&slapd.ca()))).unwrap();
    assert_eq!(
        dir.verify("0012345", &pin("2468")),
        Verdict::Accepted(ana())
    );
    assert_eq!(
        dir.verify(" 0012345\n", &pin("2468")),
        Verdict::Accepted(ana())
    );
    assert_eq!(dir.verify("0012345", &pin("2469")), Verdict::WrongPin);
    assert_eq!(
        dir.verify("0000000", &pin("2468")),
        Verdict::Refused,
        "unknown badge"
    );
    // A title not allowed to open records signs in to device-level screens only.
    let Verdict::Accepted(porter) = dir.verify("0077777", &pin("1357")) else {
        panic!("the porter's badge and PIN are right");
    };
    assert_eq!(porter.access, Access::DeviceOnly);
    // A nurse whose entry does not put them on this bed's ward: the record only of a patient
    // whose care team they are on (the controller decides against the record in the bed).
    let mut elsewhere = slapd.config(Some(&slapd.ca()));
    elsewhere.ward = Some("3W".into());
    let Verdict::Accepted(visiting) = Directory::new(&elsewhere)
        .unwrap()
        .verify("0012345", &pin("2468"))
    else {
        panic!("Ana's badge and PIN are right");
    };
    assert_eq!(visiting.access, Access::CareTeam);
    // No Practitioner reference: audit events could not name them, so no sign-in.
    assert_eq!(dir.verify("0099999", &pin("1111")), Verdict::Refused);
    // A badge "number" that is an LDAP filter finds nobody.
    assert_eq!(dir.verify("*", &pin("2468")), Verdict::Refused);
    assert_eq!(dir.verify("0012345)(uid=*", &pin("2468")), Verdict::Refused);
}

#[test]
fn an_untrusted_certificate_or_a_stopped_directory_is_unreachable_never_accepted() {
    let mut slapd = Slapd::start();
    // Without the hospital's CA the directory's certificate is not trusted: nothing is sent.
    let untrusted = Directory::new(&slapd.config(None)).unwrap();
    assert_eq!(
        untrusted.verify("0012345", &pin("2468")),
        Verdict::Unreachable
    );
    let dir = Directory::new(&slapd.config(Some(&slapd.ca()))).unwrap();
    assert_eq!(
        dir.verify("0012345", &pin("2468")),
        Verdict::Accepted(ana()),
        "with the hospital's CA it is trusted"
    );
    slapd.stop();
    let start = Instant::now();
    assert_eq!(dir.verify("0012345", &pin("2468")), Verdict::Unreachable);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn plain_ldap_is_refused_in_the_config() {
    let err = LdapsUrl::try_from("ldap://dir.example:389".to_owned()).unwrap_err();
    assert!(err.contains("in clear"), "{err}");
    assert!(LdapsUrl::try_from("ldaps://dir.example:636".to_owned()).is_ok());
}

#[test]
fn a_recent_online_sign_in_works_offline_and_a_wrong_pin_still_fails() {
    let mut slapd = Slapd::start();
    let secret = BadgeSecret::random();
    let badge = secret.key_of("0012345");
    let dir = Directory::new(&slapd.config(Some(&slapd.ca()))).unwrap();
    let mut check = StaffCheck::new(dir, [9u8; 32], 12);
    let t0 = jiff::Timestamp::now();
    // Offline before any online sign-in: nothing to go on.
    slapd.stop();
    assert_eq!(
        check.check("0012345", badge, &pin("2468"), t0),
        Verdict::Unreachable
    );
    slapd.run();
    assert_eq!(
        check.check("0012345", badge, &pin("2468"), t0),
        Verdict::Accepted(ana())
    );
    assert_eq!(check.kept().len(), 1);
    slapd.stop();
    // What the store keeps comes back after a restart, and holds neither number nor PIN.
    let kept = check.kept_json();
    assert!(
        !kept.contains("0012345") && !kept.contains("2468"),
        "{kept}"
    );
    let dir = Directory::new(&slapd.config(Some(&slapd.ca()))).unwrap();
    let mut check = StaffCheck::new(dir, [9u8; 32], 12);
    check.restore_json(&kept, t0);
    let later = t0 + jiff::SignedDuration::from_hours(3);
    assert_eq!(
        check.check("0012345", badge, &pin("2468"), later),
        Verdict::Accepted(ana()),
        "the directory is down: the PIN checked three hours ago still works"
    );
    assert_eq!(
        check.check("0012345", badge, &pin("1111"), later),
        Verdict::WrongPin
    );
    let too_late = t0 + jiff::SignedDuration::from_hours(13);
    assert_eq!(
        check.check("0012345", badge, &pin("2468"), too_late),
        Verdict::Unreachable,
        "after twelve hours the directory must see the badge again"
    );
    assert!(check.kept().is_empty(), "expired credentials are dropped");
}

/// The real binary, as a nurse uses it: badge, PIN on the remote's digits, OK; the directory
/// answers; the clinician home shows in the staff frame; Back signs out and Home is as it was.
#[test]
fn a_nurse_signs_in_with_badge_and_pin_and_out_again_on_the_real_binary() {
    let slapd = Slapd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(dir.path(), &slapd.section());
    let badge = ["--badge", "0012345", "--wait", "1500"];
    common::assert_golden(
        "staff-pin",
        &common::config_shot(&config, "2,4", &["--badge", "0012345"]),
    );
    common::assert_golden(
        "staff-pin-wrong",
        &common::config_shot(&config, "2,4,6,9,ok", &badge),
    );
    common::assert_golden(
        "staff-clinician-home",
        &common::config_shot(&config, "2,4,6,8,ok", &badge),
    );
    // A wrong PIN, then the right one: the second try is checked too.
    let retried = common::config_shot(&config, "2,4,6,9,ok,2,4,6,8,ok", &badge);
    let golden = common::Picture::read(&common::golden_dir().join("staff-clinician-home.png"));
    assert!(
        golden.pixels_differing(&retried, common::TOLERANCE) < common::MAX_DIFFERING,
        "after a wrong PIN the right one signs in"
    );
    let home = common::config_shot(&config, "", &[]);
    let signed_out = common::config_shot(&config, "2,4,6,8,ok,back", &badge);
    assert!(
        home.pixels_differing(&signed_out, common::TOLERANCE) < common::MAX_DIFFERING,
        "after signing out the patient's Home is back as it was"
    );
    // Large text: the patient's choice, and the staff screens follow it.
    common::config_shot(&config, "down,right,right,ok,down,ok", &[]);
    common::assert_golden(
        "staff-clinician-home-large-text",
        &common::config_shot(&config, "2,4,6,8,ok", &badge),
    );
}

/// The audit trail on real parts: the real binary signs a nurse in and out against slapd, and
/// `bedside sync` delivers what it recorded to a real FHIR server as AuditEvents, once each,
/// valid against the official schema, naming the nurse, the box and the patient, and never the
/// badge number or the PIN.
#[test]
fn sign_ins_and_sign_outs_reach_the_record_as_audit_events_exactly_once() {
    let slapd = Slapd::start();
    let server = fhir::FhirServer::start();
    server.admit_synthea("Sina");
    let bed = fhir::Bed::with(&server.base, &format!("\n{}", slapd.section()), fhir::BED);
    bed.sync_ok();
    let badge = ["--badge", "0012345", "--wait", "1500"];
    common::config_shot(&bed.config, "2,4,6,9,ok,2,4,6,8,ok,back", &badge);
    let s = bed.sync_ok();
    assert_eq!(
        s["outbox_delivered"], 3,
        "failed, signed in, signed out: {s}"
    );
    let events = audit_events(&server);
    assert_eq!(events.len(), 3, "{events:?}");
    fhir::assert_valid_fhir(&events);
    let text = serde_json::to_string(&events).unwrap();
    assert!(
        !text.contains("0012345") && !text.contains("2468"),
        "{text}"
    );
    let mut outcomes: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap().to_owned(),
                e["agent"][0]["who"]["reference"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            ("0".to_owned(), "Practitioner/ana".to_owned()),
            ("0".to_owned(), "Practitioner/ana".to_owned()),
            ("4".to_owned(), "-".to_owned()),
        ],
        "a wrong PIN names nobody; sign-in and sign-out name the nurse"
    );
    for e in &events {
        assert!(
            e.get("entity").is_none(),
            "signing in or out names no patient: {e}"
        );
        assert_eq!(
            e["source"]["observer"]["identifier"]["value"],
            fhir::DEVICE.split_once('|').unwrap().1
        );
    }
    // Delivered once: another pass sends nothing again.
    let s = bed.sync_ok();
    assert_eq!(s["outbox_pending"], 0, "{s}");
    assert_eq!(audit_events(&server).len(), 3);
    assert!(
        fhir::any_file_contains(&bed.data_dir(), "0012345").is_none(),
        "no badge number on the box"
    );
}

/// What lets a nurse sign in offline, and the lockouts, outlive the process: the directory
/// stops and a new process signs the same nurse in; five wrong PINs in one process keep the
/// badge locked in the next.
#[test]
fn offline_sign_ins_and_lockouts_survive_a_restart() {
    let mut slapd = Slapd::start();
    let server = fhir::FhirServer::start();
    server.admit_synthea("Sina");
    let bed = fhir::Bed::with(&server.base, &format!("\n{}", slapd.section()), fhir::BED);
    bed.sync_ok();
    let badge = ["--badge", "0012345", "--wait", "1500"];
    let online = common::config_shot(&bed.config, "2,4,6,8,ok", &badge);
    let home = common::config_shot(&bed.config, "", &[]);
    assert!(
        home.pixels_differing(&online, common::TOLERANCE) > common::MAX_DIFFERING,
        "signed in"
    );
    slapd.stop();
    let offline = common::config_shot(&bed.config, "2,4,6,8,ok", &badge);
    assert!(
        online.pixels_differing(&offline, common::TOLERANCE) < common::MAX_DIFFERING,
        "with the directory down, a new process signs the nurse in offline"
    );
    slapd.run();
    let wrong = "2,4,6,9,ok,".repeat(5);
    common::config_shot(&bed.config, wrong.trim_end_matches(','), &badge);
    let after_restart = common::config_shot(&bed.config, "2,4,6,8,ok", &badge);
    common::assert_golden("staff-pin-badge-locked", &after_restart);
    // The lockout reached the record too.
    bed.sync_ok();
    assert!(
        audit_events(&server).iter().any(|e| e["outcome"] == "8"),
        "a lockout is a serious failure in the audit trail"
    );
}

fn audit_events(server: &fhir::FhirServer) -> Vec<serde_json::Value> {
    server.get("AuditEvent?_count=200")["entry"]
        .as_array()
        .map(|entries| entries.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

/// The clinician screens on the real binary, with the demo patient in the bed: the patient
/// summary (normal and large text) and My health shown to the patient in its "Shown by" frame.
#[test]
fn the_clinician_screens_on_the_real_binary() {
    let slapd = Slapd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(dir.path(), &slapd.section());
    let badge = ["--demo", "--badge", "0012345", "--wait", "1500"];
    // The clinician home opens on Sign out; the summary is six rows up.
    common::assert_golden(
        "staff-summary",
        &common::config_shot(&config, "2,4,6,8,ok,up,up,up,up,up,up,ok", &badge),
    );
    common::assert_golden(
        "staff-presenting-my-health",
        &common::config_shot(&config, "2,4,6,8,ok,up,up,up,up,up,ok", &badge),
    );
    common::assert_golden(
        "staff-presenting-results",
        &common::config_shot(
            &config,
            "2,4,6,8,ok,up,up,up,up,up,ok,down,down,right,ok",
            &badge,
        ),
    );
    // Home from a shown screen is the clinician home again.
    let home_again =
        common::config_shot(&config, "2,4,6,8,ok,up,up,up,up,up,ok,down,ok,home", &badge);
    let clinician = common::config_shot(&config, "2,4,6,8,ok,up,up,up,up,up,ok,back", &badge);
    assert!(
        home_again.pixels_differing(&clinician, common::TOLERANCE) < common::MAX_DIFFERING,
        "Home while showing My health goes back to the clinician home"
    );
    // Limits for this patient: the loudest volume down to 70, quiet hours from 21:00.
    common::assert_golden(
        "staff-limits",
        &common::config_shot(
            &config,
            "2,4,6,8,ok,up,up,ok,right,right,down,right,right",
            &badge,
        ),
    );
    // Family who may call: the two people the demo record names, both allowed.
    common::assert_golden(
        "staff-family",
        &common::config_shot(&config, "2,4,6,8,ok,up,ok", &badge),
    );
    // Staff whose role does not open the record: the TV's settings for the patient only.
    common::assert_golden(
        "staff-clinician-home-device-only",
        &common::config_shot(
            &config,
            "1,3,5,7,ok,up",
            &["--demo", "--badge", "0077777", "--wait", "1500"],
        ),
    );
    // Large text, chosen by the patient: the summary still fits.
    common::config_shot(&config, "down,right,right,ok,down,ok", &["--demo"]);
    common::assert_golden(
        "staff-summary-large-text",
        &common::config_shot(&config, "2,4,6,8,ok,up,up,up,up,up,up,ok", &badge),
    );
    common::assert_golden(
        "staff-limits-large-text",
        &common::config_shot(&config, "2,4,6,8,ok,up,up,ok", &badge),
    );
    common::assert_golden(
        "staff-family-large-text",
        &common::config_shot(&config, "2,4,6,8,ok,up,ok", &badge),
    );
    common::assert_golden(
        "staff-pin-large-text",
        &common::config_shot(&config, "2,4", &badge),
    );
    common::assert_golden(
        "staff-presenting-my-health-large-text",
        &common::config_shot(&config, "2,4,6,8,ok,up,up,up,up,up,ok", &badge),
    );
}

/// A box without a badge reader: on Settings the nurse types the staff number, then the PIN,
/// on the real binary against slapd.
#[test]
fn a_nurse_signs_in_by_staff_number_on_a_box_without_a_badge_reader() {
    let slapd = Slapd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(
        dir.path(),
        &format!("{}sign_in_by_number = true\n", slapd.section()),
    );
    let wait = ["--wait", "1500"];
    common::assert_golden(
        "staff-number",
        &common::config_shot(&config, "down,right,right,ok,0,0,1,2,3,4,5", &wait),
    );
    let by_number = common::config_shot(
        &config,
        "down,right,right,ok,0,0,1,2,3,4,5,ok,2,4,6,8,ok",
        &wait,
    );
    let by_badge = common::config_shot(
        &config,
        "2,4,6,8,ok",
        &["--badge", "0012345", "--wait", "1500"],
    );
    assert!(
        by_number.pixels_differing(&by_badge, common::TOLERANCE) < common::MAX_DIFFERING,
        "the same clinician home as with the badge"
    );
}

/// Clinician mode on the appliance as it runs: the real binary in a window on Xvfb, sound on
/// through a null audio device, its own sync loop against a real FHIR server, and slapd. The
/// nurse types a staff number and PIN on the keyboard (this box has no badge reader), opens
/// the patient summary and signs out; the audit events reach the FHIR server from the running
/// appliance, woken by the staff worker.
#[test]
fn clinician_mode_in_a_window_with_sound_and_sync_delivers_its_audit_trail() {
    use common::display::Display;
    use common::sound::SoundServer;
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let slapd = Slapd::start();
    let server = fhir::FhirServer::start();
    let (patient, _, _) = server.admit_synthea("Sina");
    let bed = fhir::Bed::with(
        &server.base,
        &format!("\n{}sign_in_by_number = true\n", slapd.section()),
        fhir::BED,
    );
    bed.sync_ok();
    let log = bed.dir.path().join("bedside.log");
    let appliance = display.run_bedside(&bed.config, &sound.address, &log);
    let pid = appliance.0.id();
    // Home is on screen (the dark theme at the footer), then the keyboard goes to the window.
    display.wait_for("Home", Duration::from_secs(20), |p| {
        p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
    });
    display.focus("Bedside");
    let staff_frame = common::display::staff_frame;
    display.sign_in_by_number();
    // The patient summary (six rows up from Sign out), then back and sign out.
    display.keys(&["Up", "Up", "Up", "Up", "Up", "Up", "Return"]);
    std::thread::sleep(Duration::from_millis(500));
    display.keys(&["Escape", "Escape"]);
    display.wait_for("the patient's screen again", Duration::from_secs(5), |p| {
        !staff_frame(p)
    });
    // Sign-in, summary viewed, sign-out: delivered by the running appliance's sync loop.
    let started = Instant::now();
    loop {
        let events = audit_events(&server);
        let mut codes: Vec<String> = events
            .iter()
            .map(|e| {
                format!(
                    "{}/{}",
                    e["type"]["code"].as_str().unwrap_or("-"),
                    e["subtype"][0]["code"].as_str().unwrap_or("-")
                )
            })
            .collect();
        codes.sort();
        if codes == ["110110/-", "110114/110122", "110114/110123"] {
            fhir::assert_valid_fhir(&events);
            // The summary viewed names the patient; signing in and out do not.
            let viewed = events
                .iter()
                .find(|e| e["type"]["code"] == "110110")
                .unwrap();
            assert_eq!(
                viewed["entity"][0]["what"]["reference"],
                format!("Patient/{patient}")
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "audit events on the server: {codes:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("0012345") && !text.contains("2468"),
        "{text}"
    );
    assert!(
        std::process::Command::new("kill")
            .arg("-0")
            .arg(pid.to_string())
            .status()
            .unwrap()
            .success(),
        "the appliance still runs"
    );
}

/// What the store kept from before a restart never overrides what the directory said since:
/// a credential read back late (the store could not be opened at first) for a badge the
/// directory has since refused does not come back to sign it in offline.
#[test]
fn a_credential_read_back_late_does_not_outvote_the_directory() {
    let mut slapd = Slapd::start();
    let badge = BadgeSecret::random().key_of("0012345");
    let t0 = jiff::Timestamp::now();
    let config = slapd.config(Some(&slapd.ca()));
    let mut before = StaffCheck::new(Directory::new(&config).unwrap(), [9u8; 32], 12);
    assert_eq!(
        before.check("0012345", badge, &pin("2468"), t0),
        Verdict::Accepted(ana())
    );
    let kept = before.kept_json();
    // After the restart, the directory refuses a PIN before the store is read back.
    let mut after = StaffCheck::new(Directory::new(&config).unwrap(), [9u8; 32], 12);
    assert_eq!(
        after.check("0012345", badge, &pin("1111"), t0),
        Verdict::WrongPin
    );
    after.restore_json(&kept, t0);
    assert!(after.kept().is_empty(), "{:?}", after.kept());
    slapd.stop();
    assert_eq!(
        after.check("0012345", badge, &pin("2468"), t0),
        Verdict::Unreachable,
        "nothing kept for a badge the directory has answered for since"
    );
}

/// Every kind of audit event the box makes (a view shared in a call with its far end, a family
/// member set as not allowed with the RelatedPerson) is valid against the official R4 schema,
/// and none carries the badge number.
#[test]
fn every_kind_of_audit_event_is_valid_fhir_r4() {
    use bedside::domain::session::staff::Ended;
    use bedside::domain::shell::{Audit, Audited};
    use bedside::staff::audit::{Place, event};
    let device = bedside::config::Identifier {
        system: "urn:example:device".into(),
        value: "TV-4N-7B".into(),
    };
    let place = Place {
        device: &device,
        bed_name: "4 North · Room 7 · Bed B",
        patient: Some("p1"),
    };
    let badge = BadgeSecret::random().key_of("0012345");
    let kinds = [
        Audited::SignedIn,
        Audited::SignInFailed,
        Audited::LockedOut,
        Audited::SignedOut(Ended::SignedOut),
        Audited::SignedOut(Ended::Idle),
        Audited::SignedOut(Ended::OtherBadge),
        Audited::SignedOut(Ended::Power),
        Audited::SignedOut(Ended::Discharge),
        Audited::PrivacyPinCleared,
        Audited::SummaryViewed,
        Audited::Presented,
        Audited::SettingChanged,
        Audited::Shared,
        Audited::FamilyViewed,
        Audited::FamilyAllowed,
        Audited::FamilyBlocked,
        Audited::LearningViewed,
        Audited::LearningAssigned,
        Audited::LearningUnassigned,
    ];
    let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let events: Vec<serde_json::Value> = kinds
        .iter()
        .map(|what| {
            let audit = Audit {
                what: *what,
                by: (*what != Audited::SignInFailed).then(ana),
                badge: Some(badge),
                with: (*what == Audited::Shared).then(|| "Lan Tran (Interpreter)".to_owned()),
                about: matches!(what, Audited::FamilyAllowed | Audited::FamilyBlocked)
                    .then(|| "RelatedPerson/jo".to_owned()),
            };
            event(&audit, at, &place)
        })
        .collect();
    fhir::assert_valid_fhir(&events);
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains("0012345"), "a badge number in an audit event");
}
