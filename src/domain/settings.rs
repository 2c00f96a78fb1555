//! The patient's display preferences and how the Settings screen changes them.

use serde::{Deserialize, Serialize};

use super::privacy::PinHash;
use super::watch::Remembered;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextSize {
    #[default]
    Normal,
    Large,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contrast {
    #[default]
    Normal,
    High,
}

/// The languages the UI has translations for. Only English ships today; the setting exists so
/// the choice has a home when translations land (they go through Slint's `@tr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    English,
}

impl Language {
    pub const ALL: [Language; 1] = [Language::English];
}

/// What the patient chose on the Settings screen, and what Watch remembers for them (favourite
/// channels, where films were left). Persisted across restarts, erased when the patient leaves
/// the bed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub language: Language,
    pub text_size: TextSize,
    pub contrast: Contrast,
    /// Whether captions are on when a programme starts.
    pub captions: bool,
    /// The privacy PIN that guards My health, if the patient set one (kept only as a keyed hash:
    /// see `domain::privacy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy_pin: Option<PinHash>,
    /// The sound level the patient left the TV at. Only filled when settings are saved or
    /// loaded: while the TV runs, the shell holds it (see `Shell::saved`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<u8>,
    /// The loudest this patient's TV may play, set by staff (a roommate, a hearing aid); None:
    /// the ward's maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_volume: Option<u8>,
    /// Quiet hours for this patient, set by staff: from this hour until 07:00 the volume is held
    /// at the ward's quiet level. None: the ward's quiet hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_from: Option<u8>,
    /// Only filled when settings are saved or loaded: while the TV runs, the shell's Watch
    /// holds these (see `Shell::saved`).
    #[serde(skip_serializing_if = "Remembered::is_empty")]
    pub watch: Remembered,
    /// Family the record names whom staff set as not allowed to call as family: keyed tags of
    /// who they are (`PinKey::tag`), never names (this file is not encrypted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub family_blocked: Vec<String>,
    /// "How video calls work" has opened by itself once this stay (on the first Call).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub call_guide_seen: bool,
    /// Where each Learn video was left (seconds, by the Task's id), for Resume. Only filled
    /// when settings are saved or loaded: while the TV runs, the shell's Learn holds these.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub learn_video: std::collections::BTreeMap<String, u64>,
}

/// The rows of the Settings screen, top to bottom. The focus index on that screen is the index
/// into [`SettingRow::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingRow {
    Language,
    TextSize,
    Contrast,
    Captions,
    /// Opens the digit pad to choose (or remove) the privacy PIN for My health.
    PrivacyPin,
}

impl SettingRow {
    pub const ALL: [SettingRow; 5] = [
        SettingRow::Language,
        SettingRow::TextSize,
        SettingRow::Contrast,
        SettingRow::Captions,
        SettingRow::PrivacyPin,
    ];
}

/// What happened when the patient tried to change a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Changed,
    /// The row has a single choice today (language): nothing to change.
    OnlyChoice,
    /// The row is not a value to step: it opens a screen of its own (the privacy PIN).
    Opens,
}

impl Settings {
    /// Whether the row has more than one value to step through (one language ships today).
    pub fn has_choice(&self, row: SettingRow) -> bool {
        match row {
            SettingRow::Language => Language::ALL.len() > 1,
            _ => true,
        }
    }

    /// Steps the row's value. Every row has at most two choices, so forwards and backwards both
    /// toggle; `_forward` keeps the call sites honest for rows that will grow more choices.
    pub fn step(&mut self, row: SettingRow, _forward: bool) -> Change {
        match row {
            // One language ships today; cycling through `Language::ALL` comes with the second.
            SettingRow::Language => Change::OnlyChoice,
            SettingRow::TextSize => {
                self.text_size = match self.text_size {
                    TextSize::Normal => TextSize::Large,
                    TextSize::Large => TextSize::Normal,
                };
                Change::Changed
            }
            SettingRow::Contrast => {
                self.contrast = match self.contrast {
                    Contrast::Normal => Contrast::High,
                    Contrast::High => Contrast::Normal,
                };
                Change::Changed
            }
            SettingRow::Captions => {
                self.captions = !self.captions;
                Change::Changed
            }
            SettingRow::PrivacyPin => Change::Opens,
        }
    }
}

/// The limits staff may set for a patient, top to bottom on their screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitRow {
    MaxVolume,
    QuietHours,
    /// Clears the patient's privacy PIN (they forgot it).
    PrivacyPin,
}

impl LimitRow {
    pub const ALL: [LimitRow; 3] = [
        LimitRow::MaxVolume,
        LimitRow::QuietHours,
        LimitRow::PrivacyPin,
    ];
}

/// The maximum volumes staff choose from (None: the ward's), Left to Right.
pub const MAX_VOLUME_CHOICES: [Option<u8>; 6] =
    [None, Some(80), Some(70), Some(60), Some(50), Some(40)];
/// When a patient's own quiet hours start (None: the ward's); they end at [`QUIET_UNTIL`].
pub const QUIET_FROM_CHOICES: [Option<u8>; 5] = [None, Some(20), Some(21), Some(22), Some(23)];
pub const QUIET_UNTIL: u8 = 7;

impl Settings {
    /// Steps a limit to its next (or previous) choice; false at the end of the list.
    pub fn step_limit(&mut self, row: LimitRow, forward: bool) -> bool {
        fn step<T: PartialEq + Copy>(choices: &[T], now: &mut T, forward: bool) -> bool {
            let at = choices.iter().position(|c| c == now).unwrap_or(0);
            let next = if forward {
                (at + 1).min(choices.len() - 1)
            } else {
                at.saturating_sub(1)
            };
            let changed = next != at || choices[at] != *now;
            *now = choices[next];
            changed
        }
        match row {
            LimitRow::MaxVolume => step(&MAX_VOLUME_CHOICES, &mut self.max_volume, forward),
            LimitRow::QuietHours => step(&QUIET_FROM_CHOICES, &mut self.quiet_from, forward),
            LimitRow::PrivacyPin => false,
        }
    }

    /// Whether this patient's own quiet hours hold at `at` (local time).
    pub fn quiet_at(&self, at: jiff::civil::Time) -> bool {
        self.quiet_from
            .is_some_and(|from| at.hour() >= from as i8 || at.hour() < QUIET_UNTIL as i8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stepping_toggles_each_two_choice_row_and_back() {
        let mut s = Settings::default();
        assert_eq!(s.step(SettingRow::TextSize, true), Change::Changed);
        assert_eq!(s.text_size, TextSize::Large);
        s.step(SettingRow::TextSize, false);
        assert_eq!(s.text_size, TextSize::Normal);
        s.step(SettingRow::Contrast, true);
        assert_eq!(s.contrast, Contrast::High);
        s.step(SettingRow::Captions, true);
        assert!(s.captions);
    }

    #[test]
    fn limits_step_through_their_choices_and_stop_at_the_ends() {
        let mut s = Settings::default();
        assert!(
            !s.step_limit(LimitRow::MaxVolume, false),
            "the ward's is the first"
        );
        assert!(s.step_limit(LimitRow::MaxVolume, true));
        assert_eq!(s.max_volume, Some(80));
        for _ in 0..10 {
            s.step_limit(LimitRow::MaxVolume, true);
        }
        assert_eq!(s.max_volume, Some(40));
        s.step_limit(LimitRow::QuietHours, true);
        s.step_limit(LimitRow::QuietHours, true);
        assert_eq!(s.quiet_from, Some(21));
        let t = |h, m| jiff::civil::time(h, m, 0, 0);
        assert!(s.quiet_at(t(21, 0)) && s.quiet_at(t(3, 0)) && s.quiet_at(t(6, 59)));
        assert!(!s.quiet_at(t(7, 0)) && !s.quiet_at(t(20, 59)));
        assert!(
            !Settings::default().quiet_at(t(23, 0)),
            "the ward's rule, not ours"
        );
        // Kept with the rest of the patient's settings.
        let back: Settings = toml::from_str(&toml::to_string(&s).unwrap()).unwrap();
        assert_eq!((back.max_volume, back.quiet_from), (Some(40), Some(21)));
    }

    #[test]
    fn language_has_one_choice_and_does_not_change() {
        let mut s = Settings::default();
        assert_eq!(s.step(SettingRow::Language, true), Change::OnlyChoice);
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn settings_serialise_as_plain_words() {
        let s = Settings {
            text_size: TextSize::Large,
            contrast: Contrast::High,
            captions: true,
            ..Settings::default()
        };
        let text = toml::to_string(&s).unwrap();
        assert_eq!(
            text,
            "language = \"en\"\ntext_size = \"large\"\ncontrast = \"high\"\ncaptions = true\n"
        );
        assert_eq!(toml::from_str::<Settings>(&text).unwrap(), s);
    }

    #[test]
    fn missing_keys_take_defaults() {
        let s: Settings = toml::from_str("contrast = \"high\"").unwrap();
        assert_eq!(s.contrast, Contrast::High);
        assert_eq!(s.text_size, TextSize::Normal);
    }
}
