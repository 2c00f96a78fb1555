//! The one vocabulary of everything a remote, a pillow speaker or the development keyboard can
//! press. Input layers turn hardware keys into a [`Button`]; the UI only ever sees `Button`s, so
//! a TV remote, a pillow speaker and `bedside snapshot --keys` all drive the same dispatch path.

use std::fmt;
use std::str::FromStr;

/// A number key, 0 to 9. The field is private so a `Digit` can only hold a valid digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digit(u8);

impl Digit {
    /// `Some` for 0..=9, `None` for anything else.
    pub const fn new(value: u8) -> Option<Digit> {
        if value <= 9 { Some(Digit(value)) } else { None }
    }

    pub const fn value(self) -> u8 {
        self.0
    }
}

/// A button press, whatever device it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Button {
    Up,
    Down,
    Left,
    Right,
    Ok,
    Back,
    Home,
    Menu,
    Info,
    Guide,
    ChannelUp,
    ChannelDown,
    VolumeUp,
    VolumeDown,
    Mute,
    Play,
    Pause,
    PlayPause,
    Stop,
    Rewind,
    FastForward,
    Digit(Digit),
    Red,
    Green,
    Yellow,
    Blue,
    Captions,
    NurseCall,
    /// Hide the patient's name and record at once (visitors came in), until pressed again. A
    /// long press of Info, or any key a keymap names `privacy`.
    Privacy,
    /// Back to the channel watched before (a remote's "Last" or "Recall").
    LastChannel,
    /// Marks or unmarks the channel on air as a favourite.
    Favourite,
    Power,
}

/// Every button other than the digits, with its lower-case name, in the order of the type.
const NAMED: [(Button, &str); 31] = [
    (Button::Up, "up"),
    (Button::Down, "down"),
    (Button::Left, "left"),
    (Button::Right, "right"),
    (Button::Ok, "ok"),
    (Button::Back, "back"),
    (Button::Home, "home"),
    (Button::Menu, "menu"),
    (Button::Info, "info"),
    (Button::Guide, "guide"),
    (Button::ChannelUp, "channelup"),
    (Button::ChannelDown, "channeldown"),
    (Button::VolumeUp, "volumeup"),
    (Button::VolumeDown, "volumedown"),
    (Button::Mute, "mute"),
    (Button::Play, "play"),
    (Button::Pause, "pause"),
    (Button::PlayPause, "playpause"),
    (Button::Stop, "stop"),
    (Button::Rewind, "rewind"),
    (Button::FastForward, "fastforward"),
    (Button::Red, "red"),
    (Button::Green, "green"),
    (Button::Yellow, "yellow"),
    (Button::Blue, "blue"),
    (Button::Captions, "captions"),
    (Button::NurseCall, "nursecall"),
    (Button::Privacy, "privacy"),
    (Button::LastChannel, "lastchannel"),
    (Button::Favourite, "favourite"),
    (Button::Power, "power"),
];

impl Button {
    /// Every button, digits 0..9 included.
    pub fn all() -> impl Iterator<Item = Button> {
        NAMED
            .iter()
            .map(|(b, _)| *b)
            .chain((0..=9).filter_map(Digit::new).map(Button::Digit))
    }

    /// The lower-case name used on the command line and in keymaps: `ok`, `channelup`,
    /// `digit7`.
    pub fn name(self) -> String {
        match self {
            Button::Digit(d) => format!("digit{}", d.value()),
            other => NAMED
                .iter()
                .find(|(b, _)| *b == other)
                .map(|(_, n)| (*n).to_owned())
                .expect("every non-digit button is in NAMED"),
        }
    }

    /// Buttons that move the focus.
    pub fn is_arrow(self) -> bool {
        matches!(
            self,
            Button::Up | Button::Down | Button::Left | Button::Right
        )
    }

    /// Buttons that act again while held. Everything else acts once per press: a held OK must
    /// not open and close a screen, a held Power must not flicker the TV.
    pub fn repeats(self) -> bool {
        self.is_arrow()
            || matches!(
                self,
                Button::VolumeUp
                    | Button::VolumeDown
                    | Button::ChannelUp
                    | Button::ChannelDown
                    | Button::Rewind
                    | Button::FastForward
            )
    }
}

impl fmt::Display for Button {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A button name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown button `{name}` (known: {known}, digit0..digit9 or 0..9)")]
pub struct UnknownButton {
    pub name: String,
    known: String,
}

impl FromStr for Button {
    type Err = UnknownButton;

    /// Accepts the names of [`Button::name`], case-insensitively, and bare digits `0`..`9`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some((b, _)) = NAMED.iter().find(|(_, n)| *n == lower) {
            return Ok(*b);
        }
        let digits = lower.strip_prefix("digit").unwrap_or(&lower);
        if digits.len() == 1
            && let Some(d) = digits.parse::<u8>().ok().and_then(Digit::new)
        {
            return Ok(Button::Digit(d));
        }
        Err(UnknownButton {
            name: s.to_owned(),
            known: NAMED.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "),
        })
    }
}

/// Parses a comma-separated list such as `"right,right,ok,back"`. Empty items are skipped so a
/// trailing comma is harmless; the first unknown name is an error.
pub fn parse_list(list: &str) -> Result<Vec<Button>, UnknownButton> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_round_trips_through_its_name() {
        let all: Vec<Button> = Button::all().collect();
        assert_eq!(all.len(), 41, "31 named buttons and 10 digits");
        for b in all {
            assert_eq!(b.name().parse::<Button>(), Ok(b), "{b}");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<String> = Button::all().map(Button::name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 41);
    }

    #[test]
    fn bare_digits_and_case_are_accepted() {
        assert_eq!(
            "7".parse::<Button>(),
            Ok(Button::Digit(Digit::new(7).unwrap()))
        );
        assert_eq!("OK".parse::<Button>(), Ok(Button::Ok));
        assert_eq!(" ChannelUp ".parse::<Button>(), Ok(Button::ChannelUp));
    }

    #[test]
    fn unknown_names_are_refused_with_the_name() {
        let err = "sideways".parse::<Button>().unwrap_err();
        assert_eq!(err.name, "sideways");
        assert!(err.to_string().contains("`sideways`"));
        assert!(err.to_string().contains("channelup"));
        assert!("10".parse::<Button>().is_err());
        assert!("digit".parse::<Button>().is_err());
        assert!("digit12".parse::<Button>().is_err());
        assert!("".parse::<Button>().is_err());
    }

    #[test]
    fn lists_parse_in_order_and_stop_at_the_first_unknown() {
        assert_eq!(
            parse_list("right,right, ok,back,"),
            Ok(vec![Button::Right, Button::Right, Button::Ok, Button::Back])
        );
        assert_eq!(parse_list("").unwrap(), vec![]);
        assert_eq!(parse_list("up,nope,down").unwrap_err().name, "nope");
    }

    #[test]
    fn digits_outside_0_to_9_cannot_exist() {
        assert!(Digit::new(9).is_some());
        assert!(Digit::new(10).is_none());
    }
}
