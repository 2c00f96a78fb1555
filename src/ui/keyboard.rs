//! The keyboard as a stand-in remote (the development window, or a keyboard plugged into the
//! appliance). Keys follow Kodi's keyboard map where it has one, so people who know Kodi feel at
//! home; the table is repeated in the README.

use slint::platform::Key;

use crate::domain::button::{Button, Digit};

/// The button a key stands for. `text` is the key as Slint reports it; `modified` is true while
/// Ctrl, Alt or Meta is held, and such chords mean nothing here.
pub fn button_for(text: &str, modified: bool) -> Option<Button> {
    if modified {
        return None;
    }
    let mut chars = text.chars();
    let key = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let special = |k: Key| char::from(k) == key;
    let button = if special(Key::UpArrow) {
        Button::Up
    } else if special(Key::DownArrow) {
        Button::Down
    } else if special(Key::LeftArrow) {
        Button::Left
    } else if special(Key::RightArrow) {
        Button::Right
    } else if special(Key::Return) || key == '\r' {
        Button::Ok
    } else if special(Key::Escape) || special(Key::Backspace) {
        Button::Back
    } else if special(Key::Home) {
        Button::Home
    } else if special(Key::Menu) || special(Key::F10) {
        Button::Menu
    } else if special(Key::PageUp) {
        Button::ChannelUp
    } else if special(Key::PageDown) {
        Button::ChannelDown
    } else if special(Key::F1) {
        Button::Red
    } else if special(Key::F2) {
        Button::Green
    } else if special(Key::F3) {
        Button::Yellow
    } else if special(Key::F4) {
        Button::Blue
    } else if special(Key::F8) {
        Button::Mute
    } else if special(Key::F12) {
        Button::Power
    } else if special(Key::Pause) {
        Button::Pause
    } else if special(Key::Stop) {
        Button::Stop
    } else {
        match key.to_ascii_lowercase() {
            ' ' => Button::PlayPause,
            'p' => Button::Play,
            'x' => Button::Stop,
            'r' => Button::Rewind,
            'f' => Button::FastForward,
            'i' => Button::Info,
            'v' => Button::Privacy,
            'l' => Button::LastChannel,
            'b' => Button::Favourite,
            'g' | 'e' => Button::Guide,
            'c' => Button::Menu,
            't' => Button::Captions,
            'm' => Button::Mute,
            'n' => Button::NurseCall,
            'h' => Button::Home,
            '+' | '=' => Button::VolumeUp,
            '-' | '_' => Button::VolumeDown,
            d @ '0'..='9' => Button::Digit(Digit::new(d as u8 - b'0')?),
            _ => return None,
        }
    };
    Some(button)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: Key) -> String {
        char::from(k).to_string()
    }

    #[test]
    fn arrows_enter_and_escape_drive_the_remote() {
        assert_eq!(button_for(&key(Key::UpArrow), false), Some(Button::Up));
        assert_eq!(
            button_for(&key(Key::RightArrow), false),
            Some(Button::Right)
        );
        assert_eq!(button_for("\n", false), Some(Button::Ok));
        assert_eq!(button_for(&key(Key::Escape), false), Some(Button::Back));
        assert_eq!(button_for(&key(Key::Backspace), false), Some(Button::Back));
        assert_eq!(button_for(&key(Key::Home), false), Some(Button::Home));
    }

    #[test]
    fn colour_keys_channels_volume_and_digits() {
        assert_eq!(button_for(&key(Key::F1), false), Some(Button::Red));
        assert_eq!(button_for(&key(Key::F4), false), Some(Button::Blue));
        assert_eq!(
            button_for(&key(Key::PageUp), false),
            Some(Button::ChannelUp)
        );
        assert_eq!(button_for("+", false), Some(Button::VolumeUp));
        assert_eq!(button_for("-", false), Some(Button::VolumeDown));
        assert_eq!(
            button_for("7", false),
            Some(Button::Digit(Digit::new(7).unwrap()))
        );
        assert_eq!(button_for("N", false), Some(Button::NurseCall));
    }

    #[test]
    fn every_button_has_a_key() {
        let mut keys: Vec<String> = "0123456789 pxrfigctmnhvlb+-"
            .chars()
            .map(String::from)
            .collect();
        keys.extend(
            [
                Key::UpArrow,
                Key::DownArrow,
                Key::LeftArrow,
                Key::RightArrow,
                Key::Return,
                Key::Escape,
                Key::Home,
                Key::Menu,
                Key::PageUp,
                Key::PageDown,
                Key::F1,
                Key::F2,
                Key::F3,
                Key::F4,
                Key::F8,
                Key::F12,
                Key::Pause,
            ]
            .map(key),
        );
        let reachable: Vec<Button> = keys.iter().filter_map(|k| button_for(k, false)).collect();
        for b in Button::all() {
            assert!(reachable.contains(&b), "no key for {b}");
        }
    }

    #[test]
    fn chords_and_unknown_keys_mean_nothing() {
        assert_eq!(button_for("q", false), None);
        assert_eq!(button_for(&key(Key::UpArrow), true), None);
        assert_eq!(button_for("", false), None);
        assert_eq!(button_for("ab", false), None);
    }
}
