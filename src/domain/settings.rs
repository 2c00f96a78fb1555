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
    /// Only filled when settings are saved or loaded: while the TV runs, the shell's Watch
    /// holds these (see `Shell::saved`).
    #[serde(skip_serializing_if = "Remembered::is_empty")]
    pub watch: Remembered,
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
