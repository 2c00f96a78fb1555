//! Watch: live TV, the guide, channel numbers, films and relaxation.

use super::*;

pub(super) fn watching() -> Shell {
    let mut shell = Shell::new(Settings::default());
    let channels: Vec<(u32, String)> = [1, 2, 5].iter().map(|n| (*n, format!("ch{n}"))).collect();
    shell.set_listings(&channels, vec!["film-a".into(), "film-b".into()], 1);
    shell
}

#[test]
fn watch_opens_live_tv_that_zaps_and_comes_back_to_the_hub() {
    let mut shell = watching();
    shell.press(Button::Ok);
    assert_eq!(shell.screen(), Screen::Watch);
    assert_eq!(
        shell.media(),
        Media::Channel(0),
        "the hub previews the first channel"
    );
    let out = shell.press(Button::Ok);
    assert!(out.banner());
    assert_eq!(shell.screen(), Screen::Tv);
    shell.press(Button::Up);
    assert_eq!(shell.media(), Media::Channel(1));
    shell.press(Button::ChannelDown);
    shell.press(Button::ChannelDown);
    assert_eq!(
        shell.media(),
        Media::Channel(2),
        "down from the first goes round"
    );
    shell.press(Button::LastChannel);
    assert_eq!(shell.media(), Media::Channel(0));
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Watch);
    assert_eq!(shell.media(), Media::Channel(0), "the preview goes on");
    shell.press(Button::Home);
    assert_eq!(
        shell.media(),
        Media::Nothing,
        "Home stops the picture and the sound"
    );
    shell.press(Button::Ok);
    shell.press(Button::Power);
    assert_eq!(shell.media(), Media::Nothing, "standby stops it too");
}

#[test]
fn digits_tune_from_the_hub_and_a_missing_number_is_said() {
    let mut shell = watching();
    shell.press(Button::Ok);
    let out = shell.press(Button::Digit(Digit::new(5).unwrap()));
    assert!(out.banner());
    assert_eq!(
        (shell.screen(), shell.media()),
        (Screen::Tv, Media::Channel(2))
    );
    let out = shell.press(Button::Digit(Digit::new(9).unwrap()));
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::NoSuchChannel)
    );
    assert_eq!(shell.watch().missing_channel, Some(9));
    assert_eq!(shell.media(), Media::Channel(2));
}

#[test]
fn the_guide_moves_by_channel_and_half_hour_and_ok_watches() {
    let mut shell = watching();
    for b in parse_list("ok,down,ok,down,down,down,right,right").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Guide);
    assert_eq!(shell.watch().tv.guide_row, 2, "stops at the last channel");
    assert_eq!(shell.watch().tv.guide_slot, 2);
    shell.press(Button::Ok);
    assert_eq!(
        (shell.screen(), shell.media()),
        (Screen::Tv, Media::Channel(2))
    );
    shell.press(Button::Guide);
    assert_eq!(shell.screen(), Screen::Guide);
    shell.press(Button::Guide);
    assert_eq!(shell.screen(), Screen::Tv, "Guide again closes it");
}

#[test]
fn films_play_pause_seek_and_remember_where_they_were() {
    let mut shell = watching();
    for b in parse_list("ok,down,down,ok,right,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.screen(), Screen::Player);
    assert_eq!(
        shell.media(),
        Media::Film {
            index: 1,
            from: std::time::Duration::ZERO
        }
    );
    assert_eq!(shell.press(Button::FastForward).seek(), Some(30));
    assert_eq!(shell.press(Button::Left).seek(), Some(-10));
    shell.press(Button::PlayPause);
    assert!(shell.watch().paused);
    shell.left_film_at(1, std::time::Duration::from_secs(600), None);
    shell.press(Button::Back);
    assert_eq!(shell.media(), Media::Nothing);
    shell.press(Button::Ok);
    assert_eq!(
        shell.media(),
        Media::Film {
            index: 1,
            from: std::time::Duration::from_secs(600)
        },
        "resumes"
    );
    shell.new_occupant();
    assert!(!shell.watch().resumes(1), "the next patient starts afresh");
}

#[test]
fn a_film_stopped_by_a_call_goes_on_from_where_it_was() {
    let mut shell = watching();
    for b in parse_list("ok,down,down,ok,ok").unwrap() {
        shell.press(b);
    }
    assert!(matches!(shell.media(), Media::Film { index: 0, .. }));
    shell.set_call(CallStage::Ringing, 0, false, false);
    assert_eq!(shell.media(), Media::Nothing);
    // The controller tells where the film was when it stopped it.
    shell.left_film_at(0, std::time::Duration::from_secs(754), None);
    shell.set_call(CallStage::Ended, 0, false, false);
    assert_eq!(shell.screen(), Screen::Player);
    assert_eq!(
        shell.media(),
        Media::Film {
            index: 0,
            from: std::time::Duration::from_secs(754)
        }
    );
}

#[test]
fn relaxation_loops_in_the_player_and_nothing_plays_under_a_call() {
    let mut shell = watching();
    for b in parse_list("ok,down,down,down,ok,ok").unwrap() {
        shell.press(b);
    }
    assert_eq!(shell.media(), Media::Relax(0));
    assert_eq!(
        shell.press(Button::Right).seek(),
        None,
        "a loop has nowhere to seek"
    );
    shell.set_interrupted(true);
    assert_eq!(shell.media(), Media::Nothing);
    shell.set_interrupted(false);
    assert_eq!(shell.media(), Media::Relax(0));
}

#[test]
fn the_volume_stops_at_the_cap_and_says_why() {
    let mut shell = watching();
    shell.set_volume_cap(21);
    assert!(shell.press(Button::VolumeUp).new_notice().is_none());
    let out = shell.press(Button::VolumeUp);
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::VolumeCapped)
    );
    assert_eq!(shell.volume(), 21);
    shell.set_volume_cap(10);
    assert_eq!(shell.volume(), 10, "quiet hours bring it down");
}

#[test]
fn an_empty_lineup_opens_nothing_and_says_why() {
    let mut shell = Shell::new(Settings::default());
    shell.press(Button::Ok);
    let out = shell.press(Button::Ok);
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::NoChannels)
    );
    assert_eq!(shell.screen(), Screen::Watch);
    assert_eq!(shell.media(), Media::Nothing);
    assert_eq!(
        shell.hints().ok,
        OkHint::Nothing,
        "the footer never offered OK"
    );
    // A channel number typed on Home says the same.
    shell.press(Button::Home);
    let out = shell.press(Button::Digit(Digit::new(4).unwrap()));
    assert_eq!(
        out.new_notice().map(|n| n.kind),
        Some(NoticeKind::NoChannels)
    );
    assert_eq!(shell.screen(), Screen::Home);
}

#[test]
fn a_channel_number_typed_on_home_goes_to_that_channel() {
    let mut shell = watching();
    shell.press(Button::Home);
    assert_eq!(shell.hints().digits, DigitsHint::Channel);
    // No channel number starts with 5 but 5 itself: decided at once.
    let out = shell.press(Button::Digit(Digit::new(5).unwrap()));
    assert!(out.handled && out.banner());
    assert_eq!(shell.screen(), Screen::Tv);
    assert_eq!(shell.media(), Media::Channel(2));
    shell.press(Button::Back);
    assert_eq!(shell.screen(), Screen::Home, "Back from it returns Home");
}
