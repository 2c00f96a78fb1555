//! Clinician mode in the shell: the badge, the pad, the verdict, the clinician home, and every
//! way the session ends giving the patient's screen back as it was.

use super::*;
use crate::domain::learn::Recorded;
use crate::domain::session::badge::BadgeSecret;
use crate::domain::session::staff::{Ended, Verdict};
use crate::domain::session::testing::nurse;
use jiff::{SignedDuration, Timestamp};

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_secs(secs)
}

/// The rows without "Test camera and sound" (calls not set up here, or a call on).
fn but_test(rows: &[ClinicianRow]) -> Vec<ClinicianRow> {
    rows.iter()
        .copied()
        .filter(|r| *r != ClinicianRow::CallTest)
        .collect()
}

fn staff_shell() -> Shell {
    let mut shell = Shell::new(Settings::default());
    shell.set_staff_configured(true);
    shell.set_now(t(0));
    shell
}

/// What an outcome puts in the audit trail.
fn audited(out: &Outcome) -> Vec<Audited> {
    out.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Audit(a) => Some(a.what),
            _ => None,
        })
        .collect()
}

fn digits(shell: &mut Shell, pin: &str) {
    for c in pin.bytes() {
        shell.press(Button::Digit(Digit::new(c - b'0').unwrap()));
    }
}

/// Badge, PIN, OK and an accepting verdict: the clinician home.
fn sign_in(shell: &mut Shell) -> crate::domain::session::badge::BadgeKey {
    sign_in_as(shell, nurse())
}

/// Moves the clinician home's focus to `row`.
fn focus_row(shell: &mut Shell, row: ClinicianRow) {
    while shell.focus() > 0 {
        shell.press(Button::Up);
    }
    let at = shell
        .clinician_rows()
        .iter()
        .position(|r| *r == row)
        .unwrap();
    for _ in 0..at {
        shell.press(Button::Down);
    }
    assert_eq!(shell.focus(), at);
}

fn sign_in_as(
    shell: &mut Shell,
    staff: crate::domain::session::Staff,
) -> crate::domain::session::badge::BadgeKey {
    let badge = BadgeSecret::random().key_of("0012345");
    shell.badge_read(Some(badge));
    digits(shell, "2468");
    let out = shell.press(Button::Ok);
    assert!(
        out.effects
            .iter()
            .any(|e| matches!(e, Effect::CheckStaff { badge: b, .. } if *b == badge)),
        "{out:?}"
    );
    let out = shell.staff_checked(badge, Verdict::Accepted(staff));
    assert!(audited(&out).contains(&Audited::SignedIn));
    assert_eq!(shell.screen(), Screen::Clinician);
    badge
}

#[test]
fn without_a_staff_directory_a_badge_says_sign_in_is_not_available() {
    let mut shell = Shell::new(Settings::default());
    let out = shell.badge_read(Some(BadgeSecret::random().key_of("1")));
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::BadgeRead)
    );
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn a_badge_opens_the_pad_over_the_patients_screen_and_sign_out_gives_it_back() {
    let mut shell = staff_shell();
    for b in parse_list("down,right,right,ok,down,down").unwrap() {
        shell.press(b);
    }
    assert_eq!((shell.screen(), shell.focus()), (Screen::Settings, 2));
    sign_in(&mut shell);
    // The footer offers what the clinician home does; Back signs out.
    assert_eq!(shell.hints().back, BackHint::SignOut);
    assert_eq!(shell.hints().ok, OkHint::SignOut);
    let out = shell.press(Button::Back);
    assert!(audited(&out).contains(&Audited::SignedOut(Ended::SignedOut)));
    // The sign-out is the nurse's, though the session is over by the time it is recorded.
    assert!(out.effects.iter().any(|e| matches!(
        e,
        Effect::Audit(Audit { by: Some(staff), badge: Some(_), .. }) if *staff == nurse()
    )));
    assert_eq!((shell.screen(), shell.focus()), (Screen::Settings, 2));
    assert!(shell.staff().session().is_none());
}

#[test]
fn back_on_the_pad_cancels_and_the_pad_takes_digits_not_channels() {
    let mut shell = staff_shell();
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Watch);
    shell.badge_read(Some(BadgeSecret::random().key_of("1")));
    assert_eq!(shell.screen(), Screen::StaffPin);
    assert_eq!(shell.hints().digits, DigitsHint::Pin);
    digits(&mut shell, "12");
    assert_eq!(
        shell.screen(),
        Screen::StaffPin,
        "digits do not tune a channel"
    );
    assert!(shell.hints().delete_digit);
    assert_eq!(
        shell.hints().ok,
        OkHint::Nothing,
        "two digits are too few to send"
    );
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Watch);
}

#[test]
fn the_clinician_home_clears_a_forgotten_privacy_pin() {
    let mut shell = staff_shell();
    for b in parse_list("down,right,right,ok,down,down,down,down,ok,1,2,3,4,1,2,3,4,home").unwrap()
    {
        shell.press(b);
    }
    assert!(shell.pin_set());
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::Limits);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffLimits);
    shell.press(Button::Down);
    shell.press(Button::Down);
    assert_eq!(shell.hints().ok, OkHint::ClearPin);
    let out = shell.press(Button::Ok);
    assert!(!shell.pin_set());
    assert!(out.settings_changed());
    assert!(audited(&out).contains(&Audited::PrivacyPinCleared));
}

#[test]
fn two_idle_minutes_end_the_session_after_a_warning() {
    let mut shell = staff_shell();
    sign_in(&mut shell);
    let started = |out: &Outcome| {
        out.effects.iter().find_map(|e| match e {
            Effect::Start(Timeout::Staff(wait)) => Some(*wait),
            _ => None,
        })
    };
    shell.set_now(t(1));
    let out = shell.press(Button::Down);
    assert_eq!(started(&out), Some(std::time::Duration::from_secs(105)));
    shell.set_now(t(106));
    shell.timeout(Timeout::Staff(std::time::Duration::ZERO));
    assert!(shell.staff().session().unwrap().warned());
    shell.set_now(t(121));
    let out = shell.timeout(Timeout::Staff(std::time::Duration::ZERO));
    assert!(audited(&out).contains(&Audited::SignedOut(Ended::Idle)));
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn power_and_discharge_end_the_session() {
    let mut shell = staff_shell();
    sign_in(&mut shell);
    shell.press(Button::Power);
    assert!(shell.standby());
    assert!(shell.staff().session().is_none());
    assert_ne!(shell.screen(), Screen::Clinician);

    let mut shell = staff_shell();
    sign_in(&mut shell);
    let out = shell.new_occupant();
    assert!(audited(&out).contains(&Audited::SignedOut(Ended::Discharge)));
    assert!(shell.staff().session().is_none());
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn no_clinician_screen_is_reached_without_a_session() {
    let buttons: Vec<Button> = Button::all().collect();
    let mut shell = staff_shell();
    let walk = |shell: &mut Shell, seed: u64| {
        let mut state = seed;
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shell.press(buttons[(state % buttons.len() as u64) as usize]);
            assert!(
                !shell.stack.iter().any(|p| matches!(
                    p.screen,
                    Screen::Clinician
                        | Screen::StaffPin
                        | Screen::StaffSummary
                        | Screen::StaffLimits
                )) && !shell.presenting(),
                "{:?}",
                shell.stack
            );
        }
    };
    walk(&mut shell, 0x9E37_79B9_7F4A_7C15);
    // The same after a session has come and gone.
    sign_in(&mut shell);
    shell.press(Button::Back);
    walk(&mut shell, 0x2545_F491_4F6C_DD1D);
}

#[test]
fn staff_without_record_access_get_device_screens_only() {
    let mut shell = staff_shell();
    let porter = crate::domain::session::Staff {
        access: crate::domain::session::Access::DeviceOnly,
        ..nurse()
    };
    sign_in_as(&mut shell, porter);
    assert_eq!(shell.clinician_rows(), but_test(&ClinicianRow::DEVICE));
    for row in shell.clinician_rows() {
        assert!(!matches!(
            row,
            ClinicianRow::PatientSummary | ClinicianRow::ShowMyHealth
        ));
    }
    // Every row and every key: neither the summary nor My health opens.
    for keys in ["up,up,ok", "up,up,ok,up,ok,home", "up,ok,ok", "down,ok"] {
        let mut copy = shell.clone();
        for b in parse_list(keys).unwrap() {
            copy.press(b);
            assert!(!copy.stack.iter().any(|p| matches!(
                p.screen,
                Screen::StaffSummary | Screen::MyHealth | Screen::Record(_)
            )));
        }
    }
}

#[test]
fn the_summary_and_my_health_shown_to_the_patient_go_back_to_the_clinician_home() {
    let mut shell = staff_shell();
    for b in parse_list("down,right,right,ok,down").unwrap() {
        shell.press(b);
    }
    let patients = (shell.screen(), shell.focus());
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::PatientSummary);
    assert_eq!(shell.hints().ok, OkHint::Open);
    let out = shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffSummary);
    assert!(audited(&out).contains(&Audited::SummaryViewed));
    assert!(
        !shell.presenting(),
        "the summary is for staff, not shown to the patient"
    );
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Clinician);

    focus_row(&mut shell, ClinicianRow::ShowMyHealth);
    let out = shell.press(Button::Ok);
    assert!(audited(&out).contains(&Audited::Presented));
    assert_eq!(shell.screen(), Screen::MyHealth);
    assert!(shell.presenting());
    // Into a section, and a result's trend: still shown by staff.
    shell.set_record_counts([2, 2, 2, 2, 2, 2, 2, 2]);
    for b in parse_list("down,down,right,ok,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Trend(Section::Results));
    assert!(shell.presenting());
    // Home goes back to the clinician home, not the patient's Home.
    shell.press(Button::Home);
    assert_eq!(shell.screen(), Screen::Clinician);
    assert!(!shell.presenting());
    // Back on the clinician home signs out: the patient's screen as it was.
    shell.press(Button::Back);
    assert_eq!((shell.screen(), shell.focus()), patients);
}

#[test]
fn a_session_ending_while_presenting_takes_everything_staff_opened_away() {
    let mut shell = staff_shell();
    // The patient set a PIN: My health shown by staff does not ask for it.
    for b in parse_list("down,right,right,ok,down,down,down,down,ok,1,2,3,4,1,2,3,4,home").unwrap()
    {
        shell.press(b);
    }
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::ShowMyHealth);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::MyHealth);
    shell.set_now(t(200));
    let out = shell.timeout(Timeout::Staff(std::time::Duration::ZERO));
    shell.set_now(t(400));
    let out2 = shell.timeout(Timeout::Staff(std::time::Duration::ZERO));
    let ended = audited(&out)
        .into_iter()
        .chain(audited(&out2))
        .any(|a| a == Audited::SignedOut(Ended::Idle));
    assert!(ended);
    assert_eq!(shell.stack.len(), 1, "{:?}", shell.stack);
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn a_setting_changed_by_staff_is_audited_and_one_changed_by_the_patient_is_not() {
    let mut shell = staff_shell();
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::PatientSettings);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Settings);
    assert!(!shell.presenting());
    let out = shell.press(Button::Down);
    assert!(audited(&out).is_empty());
    let out = shell.press(Button::Right);
    assert_eq!(shell.settings().text_size, TextSize::Large);
    assert!(audited(&out).contains(&Audited::SettingChanged));
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Clinician);
    shell.press(Button::Back);
    let out = {
        for b in parse_list("down,right,right,ok,down,down").unwrap() {
            shell.press(b);
        }
        shell.press(Button::Right)
    };
    assert_eq!(shell.settings().contrast, Contrast::High);
    assert!(
        audited(&out).is_empty(),
        "the patient's own change is theirs"
    );
}

#[test]
fn without_a_badge_reader_a_staff_number_typed_on_settings_starts_sign_in() {
    let mut shell = staff_shell();
    for b in parse_list("down,right,right,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Settings);
    // Not on this box: digits on Settings do nothing.
    assert_eq!(shell.hints().digits, DigitsHint::Nothing);
    assert!(!shell.press(Button::Digit(Digit::new(1).unwrap())).handled);
    shell.set_staff_by_number(true);
    assert_eq!(shell.hints().digits, DigitsHint::StaffNumber);
    digits(&mut shell, "0012");
    assert_eq!(shell.screen(), Screen::StaffNumber);
    assert_eq!(shell.staff_number().expose(), "0012");
    assert_eq!(shell.hints().ok, OkHint::Continue);
    assert!(shell.hints().delete_digit);
    assert_eq!(shell.hints().back, BackHint::Cancel);
    digits(&mut shell, "3456");
    shell.press(Button::Left);
    let out = shell.press(Button::Ok);
    let sent: Vec<String> = out
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::StaffNumber(n) => Some(n.expose().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, ["0012345"]);
    assert!(
        !format!("{out:?}").contains("0012345"),
        "the number never shows in a log line"
    );
    assert_eq!(
        shell.screen(),
        Screen::Settings,
        "the number screen is gone"
    );
    assert!(shell.staff_number().is_empty());
    // The controller turns it into a badge read: the PIN pad, as with a badge.
    shell.badge_read(Some(BadgeSecret::random().key_of("0012345")));
    assert_eq!(shell.screen(), Screen::StaffPin);
}

#[test]
fn the_staff_number_screen_cancels_and_closes_by_itself() {
    let mut shell = staff_shell();
    shell.set_staff_by_number(true);
    for b in parse_list("down,right,right,ok,down").unwrap() {
        shell.press(b);
    }
    let settings = (shell.screen(), shell.focus());
    digits(&mut shell, "12");
    assert_eq!(shell.hints().ok, OkHint::Nothing, "too short to send");
    assert!(
        !shell
            .press(Button::Ok)
            .effects
            .iter()
            .any(|e| matches!(e, Effect::StaffNumber(_)))
    );
    shell.press(Button::Back);
    assert_eq!((shell.screen(), shell.focus()), settings);
    digits(&mut shell, "99");
    shell.timeout(Timeout::StaffNumberIdle);
    assert_eq!((shell.screen(), shell.focus()), settings);
    assert!(shell.staff_number().is_empty());
    // Thirteen digits: the twelfth is the last taken.
    digits(&mut shell, "1234567890123");
    assert_eq!(shell.staff_number().len(), 12);
    shell.press(Button::Home);
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn signing_in_by_number_still_needs_the_directory_to_open_anything() {
    let buttons: Vec<Button> = Button::all().collect();
    let mut shell = staff_shell();
    shell.set_staff_by_number(true);
    let mut state = 0x5DEE_CE66_D1CE_4E5Bu64;
    let mut reached_pad = false;
    for _ in 0..10_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let out = shell.press(buttons[(state % buttons.len() as u64) as usize]);
        // What the controller does with a typed number: a badge read of it.
        if let Some(n) = out.effects.iter().find_map(|e| match e {
            Effect::StaffNumber(n) => Some(n.clone()),
            _ => None,
        }) {
            shell.badge_read(Some(BadgeSecret::derive(b"box").key_of(n.expose())));
        }
        reached_pad |= shell.screen() == Screen::StaffPin;
        assert!(
            !shell
                .stack
                .iter()
                .any(|p| matches!(p.screen, Screen::Clinician | Screen::StaffSummary))
                && !shell.presenting(),
            "{:?}",
            shell.stack
        );
    }
    assert!(reached_pad, "the walk typed a staff number at least once");
}

#[test]
fn staff_limit_the_volume_and_set_quiet_hours_for_this_patient() {
    let mut shell = staff_shell();
    for _ in 0..50 {
        shell.press(Button::VolumeUp);
    }
    assert_eq!(shell.volume(), 70);
    shell.set_local_time(jiff::civil::time(20, 30, 0, 0), 25);
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::Limits);
    shell.press(Button::Ok);
    assert_eq!(shell.hints().ok, OkHint::Change);
    // Loudest volume: the ward's, then 80, 70, 60.
    let out = shell.press(Button::Right);
    assert!(audited(&out).contains(&Audited::SettingChanged));
    assert!(out.settings_changed());
    shell.press(Button::Right);
    shell.press(Button::Right);
    assert_eq!(shell.settings().max_volume, Some(60));
    // Quiet hours from 21:00: at 20:30 nothing yet.
    shell.press(Button::Down);
    shell.press(Button::Right);
    shell.press(Button::Right);
    assert_eq!(shell.settings().quiet_from, Some(21));
    shell.press(Button::Back);
    assert_eq!(
        shell.volume(),
        60,
        "down to the new loudest on leaving the screen; 20:00 on the way to 21:00 did not count"
    );
    shell.press(Button::Back);
    assert!(shell.staff().session().is_none());
    // The patient's own presses are held to the limits.
    for _ in 0..5 {
        shell.press(Button::VolumeUp);
    }
    assert_eq!(shell.volume(), 60);
    // At 21:00 the patient's quiet hours begin: down to the ward's quiet volume.
    shell.set_local_time(jiff::civil::time(21, 0, 0, 0), 25);
    assert_eq!(shell.volume(), 25);
    shell.press(Button::VolumeUp);
    assert_eq!(shell.volume(), 25);
    // The limits are the patient's: a discharge forgets them.
    shell.new_occupant();
    assert_eq!(
        (shell.settings().max_volume, shell.settings().quiet_from),
        (None, None)
    );
}

/// A call is on (talking), with `people` callable.
fn in_call(shell: &mut Shell) {
    shell.set_calls_configured(true);
    shell.set_call(CallStage::Ringing, 1, false, false);
    shell.press(Button::Ok);
    shell.set_call(CallStage::InCall, 1, false, false);
    shell.set_call_live(true);
}

#[test]
fn in_a_call_a_badge_puts_the_staff_screens_beside_the_call_and_they_take_the_keys() {
    let mut shell = staff_shell();
    shell.set_record_counts([2, 2, 2, 2, 2, 2, 2, 2]);
    in_call(&mut shell);
    assert!(!shell.call_beside());
    // Without staff, digits mean nothing in a call and OK works the call's controls.
    assert!(
        shell
            .press(Button::Ok)
            .effects
            .contains(&Effect::Call(CallRequest::MuteMic(true)))
    );
    shell.set_call(CallStage::InCall, 1, true, false);
    sign_in(&mut shell);
    assert!(
        shell.call_beside(),
        "the pad and the session sit beside the call"
    );
    assert_eq!(
        shell.clinician_rows(),
        &ClinicianRow::RECORD_IN_CALL,
        "a call adds Share in the call"
    );
    // The nurse's keys move on the clinician home, not on the call's buttons.
    let before = shell.focus();
    shell.press(Button::Up);
    assert_eq!(shell.focus(), before - 1);
    assert_eq!(shell.call_focus(), 0);

    // Share: My health, shared; the trend of a result is still shared; Back to the clinician
    // home stops it.
    focus_row(&mut shell, ClinicianRow::ShareInCall);
    let out = shell.press(Button::Ok);
    assert!(audited(&out).contains(&Audited::Shared));
    assert_eq!(shell.screen(), Screen::MyHealth);
    assert!(shell.sharing() && shell.presenting());
    for b in parse_list("down,down,right,ok,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Trend(Section::Results));
    assert!(shell.sharing());
    shell.press(Button::Home);
    assert_eq!(shell.screen(), Screen::Clinician);
    assert!(
        !shell.sharing(),
        "back on the clinician home nothing is shared"
    );
    // Show My health (not Share) is for the room only.
    focus_row(&mut shell, ClinicianRow::ShowMyHealth);
    let out = shell.press(Button::Ok);
    assert!(audited(&out).contains(&Audited::Presented));
    assert!(shell.presenting() && !shell.sharing());
    shell.press(Button::Back);

    // Sharing again, then the call ends: sharing stops, the row goes, the nurse's focus stays
    // on a row that exists.
    focus_row(&mut shell, ClinicianRow::ShareInCall);
    shell.press(Button::Ok);
    assert!(shell.sharing());
    shell.set_call(CallStage::Ended, 1, false, false);
    assert!(!shell.sharing());
    assert!(!shell.call_beside());
    assert_eq!(shell.clinician_rows(), &ClinicianRow::RECORD);
    // The next call (an observation, say) is not shared unless staff choose it again.
    assert!(shell.presenting());
    shell.set_call(CallStage::InCall, 1, false, false);
    shell.set_call_live(true);
    assert!(!shell.sharing(), "a share went on into the next call");
    shell.set_call(CallStage::Ended, 1, false, false);
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Clinician);
    assert_eq!(
        shell.clinician_rows()[shell.focus()],
        ClinicianRow::ShowMyHealth
    );
}

#[test]
fn signing_out_in_a_call_gives_the_patient_the_call_controls_back_and_power_still_hangs_up() {
    let mut shell = staff_shell();
    in_call(&mut shell);
    sign_in(&mut shell);
    // The focus on Sign out stays on Sign out when the row list grew with the call.
    focus_row(&mut shell, ClinicianRow::SignOut);
    shell.press(Button::Ok);
    assert!(shell.staff().session().is_none());
    assert!(!shell.call_beside());
    assert!(
        shell
            .press(Button::Ok)
            .effects
            .contains(&Effect::Call(CallRequest::MuteMic(true))),
        "the call's buttons are the patient's again"
    );

    // Power with staff beside the call: the call ends and so does the session.
    sign_in(&mut shell);
    let out = shell.press(Button::Power);
    assert!(out.effects.contains(&Effect::Call(CallRequest::HangUp)));
    assert!(shell.staff().session().is_none());

    // A call that starts while the clinician home is open keeps the nurse on the same row.
    let mut shell = staff_shell();
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::SignOut);
    in_call(&mut shell);
    assert_eq!(shell.clinician_rows()[shell.focus()], ClinicianRow::SignOut);
    // Device-only staff get no share row.
    let mut shell = staff_shell();
    in_call(&mut shell);
    let mut porter = nurse();
    porter.access = crate::domain::session::Access::DeviceOnly;
    sign_in_as(&mut shell, porter);
    assert_eq!(shell.clinician_rows(), but_test(&ClinicianRow::DEVICE));
}

#[test]
fn staff_set_who_may_call_as_family_and_a_new_patient_starts_with_everyone_the_record_names() {
    let mut shell = staff_shell();
    shell.set_family(vec![
        "RelatedPerson/jo".into(),
        "contact:marcus hill".into(),
    ]);
    assert!(shell.family_allowed("RelatedPerson/jo"));
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::Family);
    let out = shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffFamily);
    assert!(audited(&out).contains(&Audited::FamilyViewed));
    assert_eq!(shell.hints().ok, OkHint::Change);
    // OK on Marcus: not allowed; saved, audited; the settings keep a tag, never the name.
    shell.press(Button::Down);
    let out = shell.press(Button::Ok);
    assert!(out.effects.contains(&Effect::Save));
    assert!(audited(&out).contains(&Audited::FamilyBlocked));
    assert!(!shell.family_allowed("contact:marcus hill"));
    assert!(shell.family_allowed("RelatedPerson/jo"));
    let saved = toml::to_string(&shell.saved()).unwrap();
    assert!(!saved.to_lowercase().contains("marcus"), "{saved}");
    assert!(saved.contains("family_blocked"), "{saved}");
    // OK again: allowed again.
    shell.press(Button::Ok);
    assert!(shell.family_allowed("contact:marcus hill"));
    // Right on Marcus: an invitation for him (to the call controller), audited as about him.
    let out = shell.press(Button::Right);
    assert!(
        out.effects
            .contains(&Effect::Call(crate::domain::shell::CallRequest::Invite(1))),
        "{out:?}"
    );
    assert!(audited(&out).contains(&Audited::FamilyInvited));
    assert_eq!(shell.screen(), Screen::StaffFamily);
    shell.press(Button::Ok);
    // Staff without record access have no family row and cannot change it.
    shell.press(Button::Home);
    shell.press(Button::Back);
    let mut porter = nurse();
    porter.access = crate::domain::session::Access::DeviceOnly;
    sign_in_as(&mut shell, porter);
    assert!(!shell.clinician_rows().contains(&ClinicianRow::Family));
    shell.press(Button::Back);
    // Discharge: the next patient's family is whoever their record names.
    shell.new_occupant();
    assert!(shell.family_allowed("contact:marcus hill"));
}

/// Learn for staff: the assignments with how they went, assigning from the catalogue, taking
/// one back; the patient's list follows at once.
#[test]
fn staff_assign_from_the_catalogue_see_answers_and_take_back() {
    let mut shell = super::learn::learning();
    shell.set_staff_configured(true);
    shell.set_now(t(0));
    let record = crate::demo::record().unwrap();
    shell.set_learn_catalogue(std::sync::Arc::new(record.catalogue().to_vec()));
    // The patient answers the falls questions first (one not as hoped).
    let quiz = "right,ok,ok,ok,ok,ok,ok,down,down,ok,down,ok,ok,ok,ok,ok,home";
    for b in parse_list(quiz).unwrap() {
        shell.press(b);
    }
    let falls = shell.learn_items()[0].clone();
    let answers = shell.staff_answers(&falls).to_vec();
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert_eq!(answers[0].right, Some(false), "{answers:?}");
    sign_in(&mut shell);
    focus_row(&mut shell, ClinicianRow::Learning);
    let out = shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffLearning);
    assert_eq!(audited(&out), [Audited::LearningViewed]);
    assert_eq!(shell.layout().count(), 1 + 4, "Assign, then the four");
    // The catalogue offers what the patient does not have open: the two other leaflets (the
    // falls leaflet is done, so it may be given again).
    assert_eq!(shell.hints().ok, OkHint::Open);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffCatalogue);
    let offered: Vec<&str> = shell
        .staff_catalogue()
        .iter()
        .map(|c| c.title.as_str())
        .collect();
    assert_eq!(
        offered,
        [
            "Breathing exercises after surgery",
            "Caring for your wound at home",
            "Staying safe from falls"
        ]
    );
    let out = shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffLearning);
    assert!(
        out.effects.iter().any(|e| matches!(e,
            Effect::Learn(Recorded::Assigned { item, by })
                if item.title == "Breathing exercises after surgery" && by.starts_with("Practitioner/"))),
        "{out:?}"
    );
    assert_eq!(audited(&out), [Audited::LearningAssigned]);
    assert_eq!(shell.staff_catalogue().len(), 2, "not offered twice");
    // The walking video: taken back.
    shell.press(Button::Down);
    shell.press(Button::Down);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::StaffLearnItem);
    assert_eq!(
        shell.staff_learn_item().unwrap().title,
        "Walking after your operation"
    );
    assert_eq!(shell.hints().ok, OkHint::Unassign);
    // The first OK asks; nothing is taken back yet.
    let asked = shell.press(Button::Ok);
    assert!(!asked.effects.iter().any(|e| matches!(e, Effect::Learn(_))));
    assert_eq!(shell.screen(), Screen::StaffLearnItem);
    assert_eq!(shell.hints().ok, OkHint::ConfirmUnassign);
    let out = shell.press(Button::Ok);
    assert!(out.effects.iter().any(|e| matches!(e,
        Effect::Learn(Recorded::Unassigned { task, .. }) if task == "demo-task-walking")));
    assert_eq!(audited(&out), [Audited::LearningUnassigned]);
    assert_eq!(shell.screen(), Screen::StaffLearning);
    assert!(
        shell
            .learn_items()
            .iter()
            .all(|a| a.task != "demo-task-walking"),
        "gone from the patient's list at once"
    );
    // A sync pass that still has it does not bring it back.
    shell.set_learn(std::sync::Arc::new(record.learn().to_vec()));
    assert!(
        shell
            .learn_items()
            .iter()
            .all(|a| a.task != "demo-task-walking")
    );
    // Done: nothing to take back.
    shell.press(Button::Down);
    let done_at = shell
        .learn_items()
        .iter()
        .position(|a| shell.learn_progress(a) == crate::domain::learn::Progress::Done)
        .unwrap();
    while shell.focus() > done_at + 1 {
        shell.press(Button::Up);
    }
    while shell.focus() < done_at + 1 {
        shell.press(Button::Down);
    }
    shell.press(Button::Ok);
    assert_eq!(
        shell.staff_learn_item().unwrap().title,
        "Staying safe from falls"
    );
    assert_eq!(shell.hints().ok, OkHint::Nothing);
    assert!(
        !shell
            .press(Button::Ok)
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Learn(_)))
    );
}

#[test]
fn test_camera_and_sound_is_a_clinician_row_where_calls_are_set_up_and_no_call_is_on() {
    let mut shell = staff_shell();
    sign_in(&mut shell);
    assert!(!shell.clinician_rows().contains(&ClinicianRow::CallTest));
    shell.set_calls_configured(true);
    assert_eq!(shell.clinician_rows(), &ClinicianRow::RECORD);
    focus_row(&mut shell, ClinicianRow::CallTest);
    assert_eq!(shell.press(Button::Ok).call(), None);
    assert_eq!(shell.screen(), Screen::CallTest);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Rehearse));
    // Home goes back to the clinician home, as from any screen opened there.
    shell.press(Button::Home);
    assert_eq!(shell.screen(), Screen::Clinician);
    // A device-only badge (biomedical IT setting up the TV) may test it too.
    let mut shell = staff_shell();
    shell.set_calls_configured(true);
    let mut tech = nurse();
    tech.access = crate::domain::session::Access::DeviceOnly;
    sign_in_as(&mut shell, tech);
    assert_eq!(shell.clinician_rows(), &ClinicianRow::DEVICE);
}
