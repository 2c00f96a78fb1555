//! The one configuration file (`/etc/bedside/bedside.toml` on the appliance, `--config FILE`
//! anywhere). Every key is documented in the README; unknown keys are refused with their name,
//! so a typo never silently falls back to a default. Sections are added as features land.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::clock::ClockStyle;

/// Where the appliance looks when no `--config` is given.
pub const DEFAULT_PATH: &str = "/etc/bedside/bedside.toml";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub device: Device,
    pub bed: Bed,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub ui: Ui,
    #[serde(default)]
    pub input: Input,
}

/// This box.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// FHIR Device identifier, `system|value`.
    pub id: Identifier,
}

/// The bed this box serves.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bed {
    /// FHIR Location identifier of the bed, `system|value`.
    pub location: Identifier,
    /// Shown in the header, e.g. "3 West, Room 12, Bed A".
    pub name: NonEmpty,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Where the appliance keeps its state (the patient's display settings today).
    pub data_dir: PathBuf,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            data_dir: PathBuf::from("/var/lib/bedside"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    /// `"24h"` (default) or `"12h"`.
    #[serde(default)]
    pub clock: ClockStyle,
}

/// Remotes, pillow speakers, keyboards and badge readers.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A folder of keymap files that add to or replace the built-in ones (assets/keymaps);
    /// reloaded when it changes.
    pub keymaps: Option<PathBuf>,
    /// Read `/dev/input` devices: `"auto"` (default: yes, unless a desktop session is there, so
    /// a developer's own keyboard is never grabbed), `"on"` or `"off"`.
    #[serde(default)]
    pub evdev: Evdev,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evdev {
    #[default]
    Auto,
    On,
    Off,
}

/// A FHIR identifier written `system|value`, both parts non-empty.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

impl TryFrom<String> for Identifier {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.split_once('|') {
            Some((system, value))
                if !system.trim().is_empty()
                    && !value.trim().is_empty()
                    && !value.contains('|') =>
            {
                Ok(Identifier {
                    system: system.trim().to_owned(),
                    value: value.trim().to_owned(),
                })
            }
            _ => Err(format!(
                "`{text}` is not a FHIR identifier: write it as `system|value`, e.g. `urn:example:bed|3W-12A`"
            )),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.system, self.value)
    }
}

/// A string that holds more than white space.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NonEmpty(String);

impl TryFrom<String> for NonEmpty {
    type Error = &'static str;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            Err("must not be empty")
        } else {
            Ok(NonEmpty(trimmed.to_owned()))
        }
    }
}

impl NonEmpty {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a key is missing, unknown or has a bad value. The message
    /// names the key and shows the line.
    #[error("config file {path}: {source}")]
    Invalid {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// The configuration `--demo` runs with when no file is given: a demo bed and no data
    /// directory, so nothing is written anywhere.
    pub fn demo() -> Config {
        Config {
            device: Device {
                id: Identifier {
                    system: "urn:bedside:demo:device".into(),
                    value: "TV-DEMO".into(),
                },
            },
            bed: Bed {
                location: Identifier {
                    system: "urn:bedside:demo:bed".into(),
                    value: "3W-12A".into(),
                },
                name: NonEmpty("3 West · Room 12 · Bed A".into()),
            },
            store: Store::default(),
            ui: Ui::default(),
            input: Input::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[device]
id = "urn:example:device|TV-3W-12A"
[bed]
location = "urn:example:bed|3W-12A"
name = "3 West, Room 12, Bed A"
[store]
data_dir = "/tmp/bedside"
[ui]
clock = "12h"
[input]
keymaps = "/etc/bedside/keymaps"
evdev = "on"
"#;

    #[test]
    fn reads_the_documented_shape() {
        let c = Config::parse(GOOD).unwrap();
        assert_eq!(c.device.id.value, "TV-3W-12A");
        assert_eq!(c.bed.location.to_string(), "urn:example:bed|3W-12A");
        assert_eq!(c.bed.name.as_str(), "3 West, Room 12, Bed A");
        assert_eq!(c.store.data_dir, PathBuf::from("/tmp/bedside"));
        assert_eq!(c.ui.clock, ClockStyle::TwelveHour);
        assert_eq!(c.input.keymaps, Some(PathBuf::from("/etc/bedside/keymaps")));
        assert_eq!(c.input.evdev, Evdev::On);
    }

    #[test]
    fn optional_sections_take_defaults() {
        let c =
            Config::parse("[device]\nid = \"a|b\"\n[bed]\nlocation = \"c|d\"\nname = \"Bed 1\"\n")
                .unwrap();
        assert_eq!(c.store.data_dir, PathBuf::from("/var/lib/bedside"));
        assert_eq!(c.ui.clock, ClockStyle::TwentyFourHour);
    }

    fn error_of(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = error_of(&format!("{GOOD}\n[tv]\nplaylist = \"x\"\n"));
        assert!(e.contains("unknown field `tv`"), "{e}");
        let e = error_of(&GOOD.replace("clock =", "clok ="));
        assert!(e.contains("unknown field `clok`"), "{e}");
    }

    #[test]
    fn missing_and_bad_fields_are_named() {
        let e = error_of("[device]\nid = \"a|b\"\n");
        assert!(e.contains("missing field `bed`"), "{e}");
        let e = error_of(&GOOD.replace("urn:example:bed|3W-12A", "3W-12A"));
        assert!(e.contains("location = \"3W-12A\""), "shows the line: {e}");
        assert!(e.contains("system|value"), "{e}");
        let e = error_of(&GOOD.replace("\"3 West, Room 12, Bed A\"", "\"  \""));
        assert!(
            e.contains("name = \"  \"") && e.contains("must not be empty"),
            "{e}"
        );
        let e = error_of(&GOOD.replace("\"12h\"", "\"13h\""));
        assert!(e.contains("clock = \"13h\""), "{e}");
    }

    #[test]
    fn identifiers_need_both_halves() {
        for bad in ["", "|", "a|", "|b", "a", "a|b|c", " | "] {
            assert!(Identifier::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
        let id = Identifier::try_from(" urn:x | 12 ".to_owned()).unwrap();
        assert_eq!((id.system.as_str(), id.value.as_str()), ("urn:x", "12"));
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let e = Config::load(Path::new("/nonexistent/bedside.toml")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/bedside.toml"), "{e}");
    }
}
