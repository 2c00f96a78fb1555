//! Calls: ringing, in-call controls, dialling.

use super::*;

#[test]
fn a_ringing_call_takes_ok_and_back_and_wakes_the_screen() {
    let mut shell = Shell::new(Settings::default());
    shell.set_calls_configured(true);
    shell.press(Button::Power);
    assert!(shell.standby());
    shell.set_call(CallStage::Ringing, 0, false, false);
    assert!(!shell.standby(), "a call lights the screen");
    // Accept is focused; Right moves to Decline and no further.
    assert_eq!(shell.call_focus(), 0);
    shell.press(Button::Right);
    shell.press(Button::Right);
    assert_eq!(shell.call_focus(), 1);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Decline));
    shell.press(Button::Left);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Accept));
    assert_eq!(shell.press(Button::Back).call(), Some(CallRequest::Decline));
    // Home does not leave a ringing call, volume still works; Power declines it.
    assert_eq!(
        shell.clone().press(Button::Power).call(),
        Some(CallRequest::Decline)
    );
    let home = shell.press(Button::Home);
    assert_eq!(home.call(), None);
    let before = shell.volume();
    shell.press(Button::VolumeUp);
    assert_eq!(shell.volume(), before + 1);
}

#[test]
fn in_a_call_the_controls_mute_hide_and_hang_up_and_nothing_plays_under_it() {
    let mut shell = Shell::new(Settings::default());
    shell.set_calls_configured(true);
    shell.set_call(CallStage::InCall, 0, false, false);
    assert_eq!(shell.media(), Media::Nothing);
    assert_eq!(
        shell.press(Button::Ok).call(),
        Some(CallRequest::MuteMic(true))
    );
    shell.set_call(CallStage::InCall, 0, true, false);
    assert_eq!(
        shell.press(Button::Ok).call(),
        Some(CallRequest::MuteMic(false))
    );
    shell.press(Button::Right);
    assert_eq!(
        shell.press(Button::Ok).call(),
        Some(CallRequest::CameraOff(true))
    );
    shell.press(Button::Right);
    let before = shell.volume();
    shell.press(Button::Ok);
    assert_eq!(shell.volume(), before - 1, "Quieter");
    for _ in 0..9 {
        shell.press(Button::Right);
    }
    assert_eq!(CallControl::ALL[shell.call_focus()], CallControl::HangUp);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::HangUp));
    // Back and Home never end a call by accident.
    assert_eq!(shell.press(Button::Back).call(), None);
    assert_eq!(shell.press(Button::Home).call(), None);
    assert_eq!(shell.call_stage(), CallStage::InCall);
    // Power never leaves a camera live behind a dark screen.
    assert_eq!(shell.press(Button::Power).call(), Some(CallRequest::HangUp));
    assert!(shell.standby());
    shell.set_call(CallStage::Ended, 0, false, false);
    assert_eq!(shell.press(Button::Ok).call(), None);
}

#[test]
fn call_lists_people_and_ok_dials_the_focused_one() {
    let mut shell = Shell::new(Settings::default());
    // Not set up: Call holds one button, back to Home.
    shell.press(Button::Down);
    assert_eq!(shell.press(Button::Ok).call(), None);
    assert_eq!(shell.screen(), Screen::Call);
    assert_eq!(shell.press(Button::Ok).call(), None);
    assert_eq!(shell.screen(), Screen::Home);
    shell.set_calls_configured(true);
    shell.set_call(CallStage::None, 3, false, false);
    shell.press(Button::Ok);
    // The first time, the guide opens over Call; Back leaves it.
    assert_eq!(shell.screen(), Screen::CallGuide);
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Call);
    shell.press(Button::Down);
    shell.press(Button::Down);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Dial(2)));
    // The list shrinks under the focus: it stays on someone who is there.
    shell.set_call(CallStage::None, 1, false, false);
    assert!(!shell.call_test_focused());
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Dial(0)));
    // Nobody to call: the one row left is "Test my camera and sound".
    shell.set_call(CallStage::None, 0, false, false);
    assert!(shell.call_test_focused());
    assert_eq!(shell.press(Button::Ok).call(), None);
    assert_eq!(shell.screen(), Screen::CallTest);
    shell.press(Button::Back);
    // My care team: OK on a person asks to call them.
    let mut counts = [0; 8];
    counts[Section::CareTeam.index()] = 3;
    shell.set_record_counts(counts);
    for b in parse_list("home,up,right,right,ok,ok,down").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Record(Section::CareTeam));
    assert_eq!(
        shell.press(Button::Ok).call(),
        Some(CallRequest::DialCareTeam(1))
    );
}

#[test]
fn test_my_camera_and_sound_opens_from_call_and_the_clinician_home_between_calls_only() {
    let mut shell = Shell::new(Settings {
        call_guide_seen: true,
        ..Settings::default()
    });
    shell.set_calls_configured(true);
    shell.set_call(CallStage::None, 2, false, false);
    for b in parse_list("down,ok,down,down").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Call);
    assert!(shell.call_test_focused(), "the row after the people");
    assert_eq!(shell.hints().ok, OkHint::Open);
    // A third person comes online: the focus stays on the test row.
    shell.set_call(CallStage::None, 3, false, false);
    assert!(shell.call_test_focused());
    assert_eq!(shell.press(Button::Ok).call(), None);
    assert_eq!(shell.screen(), Screen::CallTest);
    assert_eq!(shell.hints().ok, OkHint::TestAgain);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Rehearse));
    // A call coming in takes over; the test's screen waits under it.
    shell.set_call(CallStage::Ringing, 3, false, false);
    assert_eq!(shell.press(Button::Ok).call(), Some(CallRequest::Accept));
    shell.set_call(CallStage::InCall, 3, false, false);
    assert_eq!(
        shell.press(Button::Back).call(),
        None,
        "Back never leaves a call"
    );
    shell.set_call(CallStage::None, 3, false, false);
    assert_eq!(shell.screen(), Screen::CallTest);
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Call);
    // In a call (a nurse on the clinician screens beside it), the test cannot open.
    shell.set_call(CallStage::InCall, 3, false, false);
    assert_eq!(shell.open_call_test(), Outcome::ignored());
    assert_ne!(shell.screen(), Screen::CallTest);
}

#[test]
fn a_family_caller_can_be_blocked_for_the_stay_and_a_new_patient_starts_with_nobody_blocked() {
    let mut shell = Shell::new(Settings::default());
    shell.set_calls_configured(true);
    shell.set_family(vec!["RelatedPerson/jo".into(), "contact:sam".into()]);
    // The nurse rings: Accept and Decline only.
    shell.set_call(CallStage::Ringing, 0, false, false);
    shell.set_caller_family(None);
    assert!(!shell.caller_blockable());
    shell.press(Button::Right);
    shell.press(Button::Right);
    assert_eq!(shell.call_focus(), 1, "no Block for the care team");
    shell.set_call(CallStage::Ended, 0, false, false);

    // Jo (family) rings: Block is the third button.
    shell.set_call(CallStage::Ringing, 0, false, false);
    shell.set_caller_family(Some("RelatedPerson/jo".into()));
    assert!(shell.caller_blockable());
    assert_eq!(shell.call_focus(), 0, "Accept is where the focus starts");
    shell.press(Button::Right);
    shell.press(Button::Right);
    shell.press(Button::Right);
    assert_eq!(shell.call_focus(), 2);
    let out = shell.press(Button::Ok);
    assert_eq!(out.call(), Some(CallRequest::Block));
    assert!(out.effects.contains(&Effect::Save), "kept for the stay");
    assert!(!shell.family_allowed("RelatedPerson/jo"));
    assert!(shell.family_allowed("contact:sam"));
    let saved = toml::to_string(&shell.saved()).unwrap();
    assert!(saved.contains("family_blocked"), "{saved}");
    assert!(!saved.contains("jo"), "a keyed tag, never the key: {saved}");

    // Blocking twice keeps one entry.
    shell.press(Button::Ok);
    assert_eq!(shell.saved().family_blocked.len(), 1);

    // The next patient: nobody is blocked.
    shell.new_occupant();
    assert!(shell.family_allowed("RelatedPerson/jo"));
    assert!(!shell.caller_blockable());
}

#[test]
fn how_video_calls_work_opens_by_itself_once_a_stay_and_from_calls_last_row() {
    let mut shell = Shell::new(Settings::default());
    // Calls not set up: no guide, Call says so.
    shell.press(Button::Down);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Call);
    shell.press(Button::Back);
    assert!(!shell.saved().call_guide_seen);

    shell.set_calls_configured(true);
    shell.set_call(CallStage::None, 2, false, false);
    let opened = shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::CallGuide);
    assert!(
        opened.effects.contains(&Effect::Save),
        "remembered for the stay"
    );
    assert!(shell.saved().call_guide_seen);
    // OK and Right turn the pages; Left goes back one; the last page's OK goes back to Call
    // with the focus on "Test my camera and sound".
    assert_eq!(shell.hints().ok, OkHint::Next);
    shell.press(Button::Ok);
    assert_eq!(shell.focus(), 1);
    shell.press(Button::Right);
    assert_eq!(shell.focus(), 2);
    shell.press(Button::Left);
    assert_eq!(shell.focus(), 1);
    shell.press(Button::Right);
    shell.press(Button::Right);
    shell.press(Button::Right);
    assert_eq!(
        shell.focus(),
        CALL_GUIDE_PAGES - 1,
        "no page after the last"
    );
    assert_eq!(shell.hints().ok, OkHint::BackToCall);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Call);
    assert!(shell.call_test_focused());

    // Not again by itself...
    shell.press(Button::Home);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Call);
    // ...but from Call's last row, whatever the list does meanwhile.
    shell.press(Button::Down);
    shell.press(Button::Down);
    shell.press(Button::Down);
    assert!(shell.call_guide_focused());
    shell.set_call(CallStage::None, 4, false, false);
    assert!(
        shell.call_guide_focused(),
        "the focus stays on the guide's row"
    );
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::CallGuide);
    assert_eq!(shell.focus(), 0, "from the first page");
    // A call ringing takes the keys; the guide waits under it.
    shell.set_call(CallStage::Ringing, 4, false, false);
    assert_eq!(shell.press(Button::Back).call(), Some(CallRequest::Decline));
    shell.set_call(CallStage::Ended, 4, false, false);
    assert_eq!(shell.screen(), Screen::CallGuide);

    // The next patient sees it once again.
    shell.new_occupant();
    assert!(!shell.saved().call_guide_seen);
}

#[test]
fn test_call_with_support_is_a_row_on_call_while_a_desk_is_online() {
    let mut shell = Shell::new(Settings {
        call_guide_seen: true,
        ..Settings::default()
    });
    shell.set_calls_configured(true);
    shell.set_call(CallStage::None, 1, false, false);
    shell.press(Button::Down);
    shell.press(Button::Ok);
    assert_eq!(
        shell.call_rows(),
        [CallRow::Person(0), CallRow::Test, CallRow::Guide]
    );
    // The desk comes online: its row sits between the self-test and the guide.
    shell.press(Button::Down);
    shell.press(Button::Down);
    assert!(shell.call_guide_focused());
    shell.set_call_support(true);
    assert!(shell.call_guide_focused(), "the focus stays on its row");
    assert_eq!(
        shell.call_rows(),
        [
            CallRow::Person(0),
            CallRow::Test,
            CallRow::Support,
            CallRow::Guide
        ]
    );
    shell.press(Button::Up);
    assert!(shell.call_support_focused());
    assert_eq!(shell.hints().ok, OkHint::Call);
    assert_eq!(
        shell.press(Button::Ok).call(),
        Some(CallRequest::DialSupport)
    );
    // A person comes online above: still on the support row.
    shell.set_call(CallStage::None, 2, false, false);
    assert!(shell.call_support_focused());
    // The desk goes: the focus falls back to the self-test row, not to a person.
    shell.set_call_support(false);
    assert!(shell.call_test_focused());
}
