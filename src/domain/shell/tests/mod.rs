use super::*;
use crate::domain::button::{Digit, parse_list};
use crate::domain::settings::{Contrast, TextSize};

fn shell_after(keys: &str) -> Shell {
    let mut shell = Shell::new(Settings::default());
    for b in parse_list(keys).unwrap() {
        shell.press(b);
    }
    shell
}

/// Presses `keys` from Home and returns the screen reached.
fn open(keys: &str) -> Screen {
    shell_after(keys).screen()
}

#[test]
fn home_tiles_open_their_screens() {
    assert_eq!(open("ok"), Screen::Watch);
    assert_eq!(open("right,ok"), Screen::Learn);
    assert_eq!(open("right,right,ok"), Screen::MyHealth);
    assert_eq!(open("down,ok"), Screen::Call);
    assert_eq!(open("down,right,ok"), Screen::Ask);
    assert_eq!(open("down,right,right,ok"), Screen::Settings);
}

#[test]
fn arrows_move_across_the_home_grid_and_stop_at_its_edges() {
    let grid = Shell::new(Settings::default()).layout_of(Screen::Home);
    // 0 1 2
    // 3 4 5
    assert_eq!(grid.step(0, Button::Right), 1);
    assert_eq!(grid.step(2, Button::Right), 2);
    assert_eq!(grid.step(3, Button::Left), 3);
    assert_eq!(grid.step(1, Button::Left), 0);
    assert_eq!(grid.step(5, Button::Left), 4);
    assert_eq!(grid.step(1, Button::Down), 4);
    assert_eq!(grid.step(4, Button::Up), 1);
    assert_eq!(grid.step(5, Button::Down), 5);
    assert_eq!(grid.step(0, Button::Up), 0);
}

#[test]
fn down_onto_a_short_last_row_lands_on_its_last_item() {
    let grid = Layout::Grid {
        columns: 3,
        count: 4,
    };
    assert_eq!(grid.step(2, Button::Down), 3);
    assert_eq!(grid.step(0, Button::Down), 3);
    assert_eq!(grid.step(3, Button::Down), 3);
    assert_eq!(grid.step(3, Button::Right), 3);
}

#[test]
fn home_returns_home_from_every_screen_with_the_tile_still_focused() {
    for (i, tile) in Screen::HOME_TILES.iter().enumerate() {
        let mut shell = Shell::new(Settings::default());
        let grid = Shell::new(Settings::default()).layout_of(Screen::Home);
        let mut focus = 0;
        while focus != i {
            let arrow = if i - focus >= 3 {
                Button::Down
            } else {
                Button::Right
            };
            shell.press(arrow);
            focus = grid.step(focus, arrow);
        }
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), *tile);
        shell.press(Button::Down);
        shell.press(Button::Home);
        assert_eq!(shell.screen(), Screen::Home);
        assert_eq!(shell.focus(), i, "Home keeps the tile that was opened");
        assert_eq!(shell.depth(), 1);
    }
}

#[test]
fn back_goes_one_step_and_never_leaves_home() {
    let mut shell = shell_after("right,ok");
    assert_eq!(shell.screen(), Screen::Learn);
    assert!(shell.press(Button::Back).handled);
    assert_eq!(shell.screen(), Screen::Home);
    assert_eq!(shell.focus(), 1);
    for _ in 0..5 {
        assert!(!shell.press(Button::Back).handled);
        assert_eq!(shell.screen(), Screen::Home);
    }
}

#[test]
fn ok_on_a_screen_not_built_yet_goes_back_home() {
    let mut shell = shell_after("down,ok");
    assert_eq!(shell.screen(), Screen::Call);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Home);
    assert_eq!(shell.focus(), 3);
}

#[test]
fn settings_rows_change_with_ok_left_and_right_and_report_it() {
    let mut shell = shell_after("down,right,right,ok");
    assert_eq!(shell.screen(), Screen::Settings);
    assert_eq!(shell.focus(), 0, "Language first");
    shell.press(Button::Down);
    let out = shell.press(Button::Ok);
    assert!(out.settings_changed());
    assert_eq!(shell.settings().text_size, TextSize::Large);
    shell.press(Button::Down);
    let out = shell.press(Button::Right);
    assert!(out.settings_changed());
    assert_eq!(shell.settings().contrast, Contrast::High);
    shell.press(Button::Left);
    assert_eq!(shell.settings().contrast, Contrast::Normal);
    shell.press(Button::Down);
    assert_eq!(shell.focus(), 3, "Captions");
    shell.press(Button::Ok);
    assert!(shell.settings().captions);
    shell.press(Button::Down);
    shell.press(Button::Down);
    assert_eq!(
        shell.focus(),
        4,
        "the privacy PIN is the last row; Down stops there"
    );
}

#[test]
fn the_language_row_explains_that_one_language_is_installed() {
    let mut shell = shell_after("down,right,right,ok");
    let out = shell.press(Button::Right);
    assert!(!out.settings_changed());
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::OneLanguage)
    );
}

#[test]
fn power_blacks_out_and_only_power_or_a_call_for_help_wakes() {
    let mut shell = shell_after("right,ok");
    shell.press(Button::NurseCall);
    assert!(shell.notice().is_some());
    shell.press(Button::Power);
    assert!(shell.standby());
    assert!(!shell.audible());
    assert_eq!(shell.notice(), None, "standby clears what was on screen");
    for b in Button::all().filter(|b| !matches!(b, Button::Power | Button::NurseCall)) {
        assert!(!shell.press(b).handled, "{b} must not act in standby");
    }
    assert!(shell.standby());
    let mut helped = shell.clone();
    helped.press(Button::NurseCall);
    assert!(
        !helped.standby(),
        "the nurse-call key lights the screen ..."
    );
    assert_eq!(
        helped.notice().map(|n| n.kind),
        Some(NoticeKind::NurseCallUnavailable),
        "... to say how to call the nurse"
    );
    shell.press(Button::Power);
    assert!(!shell.standby());
    assert_eq!(shell.screen(), Screen::Learn, "wakes where the patient was");
    assert!(shell.audible());
}

#[test]
fn mute_and_volume() {
    let mut shell = Shell::new(Settings::default());
    let start = shell.volume();
    shell.press(Button::Mute);
    assert!(shell.muted() && !shell.audible());
    shell.press(Button::VolumeUp);
    assert!(!shell.muted(), "turning the volume up unmutes");
    assert_eq!(shell.volume(), start + 1);
    for _ in 0..500 {
        shell.press(Button::VolumeUp);
    }
    assert_eq!(shell.volume(), MAX_VOLUME);
    for _ in 0..500 {
        shell.press(Button::VolumeDown);
    }
    assert_eq!(shell.volume(), 0);
}

#[test]
fn the_volume_is_kept_across_a_restart_and_reset_for_the_next_patient() {
    let mut shell = Shell::new(Settings::default());
    shell.press(Button::VolumeUp);
    let left_at = shell.volume();
    assert_ne!(left_at, START_VOLUME);
    let saved = shell.saved();
    assert_eq!(saved.volume, Some(left_at));
    let mut restarted = Shell::new(saved);
    assert_eq!(
        restarted.volume(),
        left_at,
        "the same volume after a restart"
    );
    assert_eq!(restarted.saved(), shell.saved());
    restarted.new_occupant();
    assert_eq!(
        restarted.volume(),
        START_VOLUME,
        "the next patient starts afresh"
    );
    let loud = Shell::new(Settings {
        volume: Some(250),
        ..Settings::default()
    });
    assert_eq!(
        loud.volume(),
        MAX_VOLUME,
        "a damaged file is never louder than allowed"
    );
}

#[test]
fn captions_key_toggles_the_saved_setting() {
    let mut shell = Shell::new(Settings::default());
    let out = shell.press(Button::Captions);
    assert!(out.settings_changed());
    assert!(shell.settings().captions);
}

/// Shells in the states a patient meets: everything on, nothing on (no channels, no
/// films, no calls, an empty record), and a PIN set that is locked out.
fn shells_to_walk() -> Vec<Shell> {
    let mut full = Shell::new(Settings::default());
    full.set_listings(
        &[(1, "one".into()), (2, "two".into()), (12, "twelve".into())],
        vec!["a".into(), "b".into()],
        2,
    );
    full.set_record_counts([2, 1, 3, 0, 1, 2, 2, 1]);
    full.set_calls_configured(true);
    full.set_call(CallStage::None, 2, false, false);
    let empty = Shell::new(Settings::default());
    let mut calls_nobody = Shell::new(Settings::default());
    calls_nobody.set_calls_configured(true);
    let mut locked = full.clone();
    for key in "down right right ok down down down down ok 1 9 4 7 1 9 4 7 home up ok"
        .split(' ')
        .chain(["0"; 20])
    {
        locked.press(parse_list(key).unwrap()[0]);
    }
    assert!(locked.pin_locked, "the walk includes a locked pad");
    // A box without a badge reader: staff type their number on Settings.
    let mut by_number = full.clone();
    by_number.set_staff_configured(true);
    by_number.set_staff_by_number(true);
    vec![
        full,
        empty,
        calls_nobody,
        locked,
        by_number,
        learn::learning(),
        learn::reading_a_pdf(),
    ]
}

/// The footer's promises against what the keys really do: for every state a walk of up to
/// six presses reaches, each key is pressed on a copy of the shell. A press "does
/// something" when it is handled and is not only a notice explaining why nothing can be
/// done (no channels, one language).
#[test]
fn every_footer_promise_is_kept() {
    let keys: Vec<Button> = parse_list("up,down,left,right,ok,back,1,2").unwrap();
    let acts = |shell: &Shell, button: Button| {
        let mut copy = shell.clone();
        copy.notice = None;
        let out = copy.press(button);
        out.handled
            && !matches!(
                out.new_notice().map(|n| n.kind),
                Some(NoticeKind::NoChannels | NoticeKind::OneLanguage)
            )
    };
    let mut seen = std::collections::HashSet::new();
    let mut checked = 0;
    for start in shells_to_walk() {
        let mut frontier = vec![start];
        for _ in 0..6 {
            let mut next = Vec::new();
            for shell in frontier {
                let key = format!(
                    "{:?}",
                    (
                        &shell.stack,
                        shell.pin_pad,
                        shell.pin_locked,
                        shell.pin_set(),
                        shell.watch.tv.entry_text(),
                        shell.call.configured,
                        shell.call.people,
                        shell.watch.films,
                        shell.record_counts,
                        shell.staff_number.len(),
                        shell.staff_by_number,
                        (
                            shell.learn_open().map(|(_, _, r)| (
                                r.page, r.question, r.verdict, r.number, r.whole, r.step
                            )),
                            shell.learn_reviewing(),
                        ),
                    )
                );
                if !seen.insert(key) {
                    continue;
                }
                if !matches!(
                    shell.screen(),
                    Screen::Tv | Screen::Player | Screen::LearnVideo
                ) {
                    let hints = shell.hints();
                    let at = format!("{:?} focus {}", shell.screen(), shell.focus());
                    assert_eq!(
                        hints.ok != OkHint::Nothing,
                        acts(&shell, Button::Ok),
                        "OK on {at}: {hints:?}"
                    );
                    assert_eq!(
                        hints.back != BackHint::Nothing,
                        acts(&shell, Button::Back),
                        "Back on {at}"
                    );
                    let digit = parse_list("1").unwrap()[0];
                    assert_eq!(
                        hints.digits != DigitsHint::Nothing,
                        acts(&shell, digit),
                        "digits on {at}: {hints:?}"
                    );
                    if matches!(shell.screen(), Screen::Pin | Screen::StaffNumber) {
                        assert_eq!(
                            hints.delete_digit,
                            acts(&shell, Button::Left),
                            "Left on {at}"
                        );
                    }
                    checked += 1;
                }
                for &button in &keys {
                    let mut after = shell.clone();
                    after.press(button);
                    next.push(after);
                }
            }
            frontier = next;
        }
    }
    assert!(checked > 60, "the walk reached {checked} states");
}

#[test]
fn a_notice_goes_at_the_next_press_which_still_does_its_job() {
    let mut shell = Shell::new(Settings::default());
    shell.press(Button::Down);
    shell.press(Button::Right);
    shell.press(Button::Right);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Settings);
    let out = shell.press(Button::Right);
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::OneLanguage)
    );
    let out = shell.press(Button::Down);
    assert_eq!(shell.notice(), None, "gone at the next press");
    assert!(out.handled && out.new_notice().is_none());
    assert_eq!(shell.focus(), 1, "and the press moved the focus as always");
    shell.press(Button::NurseCall);
    let out = shell.press(Button::Red);
    assert!(
        out.handled,
        "a press that only hides a notice still changed the screen"
    );
    assert_eq!(shell.notice(), None);
}

#[test]
fn a_timer_for_an_old_notice_does_not_hide_a_newer_one() {
    let mut shell = Shell::new(Settings::default());
    let first = shell.press(Button::NurseCall).new_notice().unwrap();
    let second = shell.press(Button::NurseCall).new_notice().unwrap();
    shell.expire_notice(first.seq);
    assert_eq!(shell.notice(), Some(second));
    shell.expire_notice(second.seq);
    assert_eq!(shell.notice(), None);
}

#[test]
fn buttons_with_no_meaning_here_are_ignored() {
    let mut shell = Shell::new(Settings::default());
    for b in [
        Button::ChannelUp,
        Button::Red,
        Button::Guide,
        Button::Left,
        Button::Up,
    ] {
        assert!(!shell.press(b).handled, "{b}");
    }
    assert_eq!(shell.screen(), Screen::Home);
    assert_eq!(shell.focus(), 0);
}

/// Thousands of random presses: the focus always sits on an item of the current screen, Home
/// is always at the bottom, and Home always gets back there.
#[test]
fn focus_is_never_lost_under_random_presses() {
    let buttons: Vec<Button> = Button::all().collect();
    for mut shell in [Shell::new(Settings::default()), watching()] {
        random_presses(&mut shell, &buttons);
    }
}

fn random_presses(shell: &mut Shell, buttons: &[Button]) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..50_000 {
        // xorshift: deterministic, no dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        shell.press(buttons[(state % buttons.len() as u64) as usize]);
        assert!(shell.focus() < shell.layout().count());
        assert_eq!(shell.stack[0].screen, Screen::Home);
        assert!(
            shell.depth() <= 5,
            "the deepest screens: Home → My health → section → trend, Home → Watch → \
             guide → TV, Home → Learn → page → question → the page again: {:?}",
            shell.stack
        );
        // Nothing plays off Watch's screens (and Learn's video).
        if !shell.screen().is_watch() && shell.screen() != Screen::LearnVideo {
            assert_eq!(shell.media(), Media::Nothing);
        }
    }
    if shell.standby() {
        shell.press(Button::Power);
    }
    shell.press(Button::Home);
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn every_screen_has_something_to_focus() {
    let shell = Shell::new(Settings::default());
    for s in Screen::ALL {
        assert!(shell.layout_of(s).count() > 0, "{s:?}");
    }
}

#[test]
fn a_new_occupant_starts_fresh_at_home() {
    let mut shell = Shell::new(Settings::default());
    shell.press(Button::Right);
    shell.press(Button::Ok);
    shell.press(Button::VolumeUp);
    let before = shell.volume();
    let outcome = shell.new_occupant();
    assert!(outcome.settings_changed());
    assert_eq!((shell.screen(), shell.focus()), (Screen::Home, 0));
    assert!(shell.volume() < before);
    assert_eq!(shell.settings(), Settings::default());
}

#[test]
fn my_health_opens_sections_that_scroll_through_their_rows() {
    let mut shell = shell_after("right,right,ok");
    assert_eq!(shell.screen(), Screen::MyHealth);
    shell.set_record_counts([2, 0, 70, 0, 0, 300, 0, 0]);
    for b in parse_list("down,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Record(Section::Medications));
    for _ in 0..100 {
        shell.press(Button::Down);
    }
    assert_eq!(shell.focus(), 69, "stops at the last medicine");
    shell.set_record_counts([2, 0, 10, 0, 0, 300, 0, 0]);
    assert_eq!(shell.focus(), 9, "a shorter list keeps the focus on a row");
    shell.press(Button::Back);
    assert_eq!((shell.screen(), shell.focus()), (Screen::MyHealth, 2));
    for b in parse_list("right,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Record(Section::Allergies));
    assert_eq!(
        shell.layout().count(),
        1,
        "an empty section holds its message"
    );
    assert!(!shell.press(Button::Ok).handled);
    shell.press(Button::Home);
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn privacy_hides_until_pressed_again_and_ends_with_the_patient() {
    let mut shell = shell_after("right,right,ok");
    assert!(!shell.private());
    assert!(shell.press(Button::Privacy).handled);
    assert!(shell.private());
    shell.press(Button::Down);
    shell.press(Button::Home);
    assert!(shell.private(), "moving around keeps it hidden");
    shell.press(Button::Privacy);
    assert!(!shell.private());
    shell.press(Button::Privacy);
    shell.new_occupant();
    assert!(!shell.private(), "a new patient starts visible");
}

fn type_pin(shell: &mut Shell, pin: &str) -> Outcome {
    let mut last = Outcome::default();
    for b in parse_list(&pin.chars().map(String::from).collect::<Vec<_>>().join(",")).unwrap() {
        last = shell.press(b);
    }
    last
}

/// Settings → the PIN row (the last) → the pad.
const PIN_ROW: &str = "down,right,right,ok,down,down,down,down,ok";

#[test]
fn a_pin_is_chosen_twice_then_guards_my_health() {
    let mut shell = shell_after(PIN_ROW);
    assert_eq!(shell.screen(), Screen::Pin);
    assert_eq!(shell.pin_pad().unwrap().purpose, PinPurpose::Choose);
    type_pin(&mut shell, "1947");
    assert!(matches!(
        shell.pin_pad().unwrap().purpose,
        PinPurpose::Confirm(_)
    ));
    type_pin(&mut shell, "1948");
    let pad = shell.pin_pad().unwrap();
    assert_eq!(
        (pad.purpose, pad.message),
        (PinPurpose::Choose, PinMessage::Mismatch),
        "two different PINs: choose again"
    );
    type_pin(&mut shell, "1947");
    let out = type_pin(&mut shell, "1947");
    assert!(out.settings_changed(), "the PIN is saved");
    assert_eq!(out.new_notice().map(|n| n.kind), Some(NoticeKind::PinSet));
    assert_eq!(shell.screen(), Screen::Settings);
    assert!(shell.pin_set());
    let saved = toml::to_string(&shell.settings()).unwrap();
    assert!(!saved.contains("1947"), "only a keyed hash is kept");

    shell.press(Button::Home);
    shell.press(Button::Up);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Pin, "My health asks for the PIN");
    type_pin(&mut shell, "19");
    shell.press(Button::Left);
    assert_eq!(
        shell.pin_pad().unwrap().typed(),
        1,
        "Left takes a digit back"
    );
    type_pin(&mut shell, "947");
    assert_eq!(shell.screen(), Screen::MyHealth);
    shell.press(Button::Back);
    shell.press(Button::Ok);
    assert_eq!(
        shell.screen(),
        Screen::Pin,
        "leaving My health locks it again"
    );
}

#[test]
fn wrong_pins_count_down_then_lock_the_pad_for_a_while() {
    let mut shell = shell_after(PIN_ROW);
    type_pin(&mut shell, "2468");
    type_pin(&mut shell, "2468");
    shell.press(Button::Home);
    shell.press(Button::Up);
    shell.press(Button::Ok);
    for left in (1..MAX_TRIES).rev() {
        let out = type_pin(&mut shell, "0000");
        assert!(!out.pin_lockout());
        assert_eq!(
            shell.pin_pad().unwrap().message,
            PinMessage::Wrong { tries_left: left }
        );
    }
    let out = type_pin(&mut shell, "0000");
    assert!(out.pin_lockout(), "the controller starts the lockout timer");
    assert_eq!(shell.pin_pad().unwrap().message, PinMessage::LockedOut);
    type_pin(&mut shell, "2468");
    assert_eq!(shell.screen(), Screen::Pin, "even the right PIN waits");
    shell.press(Button::Back);
    shell.press(Button::Ok);
    assert_eq!(
        shell.pin_pad().unwrap().message,
        PinMessage::LockedOut,
        "leaving and coming back does not reset the lock"
    );
    shell.end_pin_lockout();
    type_pin(&mut shell, "2468");
    assert_eq!(shell.screen(), Screen::MyHealth);
}

#[test]
fn the_pin_is_removed_with_the_pin_and_cleared_by_discharge() {
    let mut shell = shell_after(PIN_ROW);
    type_pin(&mut shell, "1111");
    type_pin(&mut shell, "1111");
    shell.press(Button::Ok);
    assert_eq!(shell.pin_pad().unwrap().purpose, PinPurpose::Remove);
    type_pin(&mut shell, "2222");
    assert!(shell.pin_set(), "a wrong PIN removes nothing");
    let out = type_pin(&mut shell, "1111");
    assert!(out.settings_changed() && !shell.pin_set());
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::PinRemoved)
    );

    let mut shell = shell_after(PIN_ROW);
    type_pin(&mut shell, "1111");
    type_pin(&mut shell, "1111");
    shell.new_occupant();
    assert!(!shell.pin_set(), "the next patient finds no PIN");
    shell.press(Button::Right);
    shell.press(Button::Right);
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::MyHealth);
}

#[test]
fn my_health_closes_itself_when_idle_only_under_a_pin() {
    let mut shell = shell_after("right,right,ok,ok");
    assert!(!shell.health_open_under_pin());
    assert!(!shell.idle_timeout().handled, "no PIN: nothing to guard");
    assert_eq!(shell.screen(), Screen::Record(Section::CareTeam));

    let mut shell = shell_after(PIN_ROW);
    type_pin(&mut shell, "1234");
    type_pin(&mut shell, "1234");
    assert!(!shell.health_open_under_pin(), "Settings is not My health");
    shell.press(Button::Home);
    shell.press(Button::Up);
    shell.press(Button::Ok);
    type_pin(&mut shell, "1234");
    shell.press(Button::Ok);
    assert!(shell.health_open_under_pin());
    let out = shell.idle_timeout();
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::HealthClosed)
    );
    assert_eq!(shell.screen(), Screen::Home);
    assert_eq!(shell.focus(), 2, "on the My health tile");
}

#[test]
fn ok_on_a_result_opens_its_trend_and_back_returns_to_the_row_shown() {
    let mut shell = shell_after("right,right,ok");
    shell.set_record_counts([0, 0, 0, 0, 0, 30, 5, 0]);
    for b in parse_list("down,down,right,ok,down,down,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Trend(Section::Results));
    assert_eq!(shell.focus(), 2);
    shell.press(Button::Down);
    assert_eq!(shell.focus(), 3, "Down shows the next test");
    shell.press(Button::Back);
    assert_eq!(
        (shell.screen(), shell.focus()),
        (Screen::Record(Section::Results), 3)
    );
    shell.press(Button::Back);
    for b in parse_list("left,up,up,ok,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(
        shell.screen(),
        Screen::Record(Section::CareTeam),
        "other sections are reading only"
    );
}

mod call;
mod learn;
mod staff;
mod watch;

use watch::watching;
