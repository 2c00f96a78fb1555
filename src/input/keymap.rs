//! Keymaps: Linux key codes to [`Button`]s, as data.
//!
//! `default.toml` applies to every device; every other file carries a `[match]` (device `name`,
//! `vendor`, `product`, `class`) and adds to or overrides the default for the devices it matches,
//! later files (in name order) over earlier ones. The appliance ships `assets/keymaps/` built in;
//! a hospital adds or replaces files through `[input] keymaps = "DIR"` in the config, and the
//! folder is reloaded when it changes. Key names are the kernel's (`KEY_OK`), button names are
//! those of `bedside snapshot --keys` (`ok`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use super::device::{DeviceClass, DeviceInfo, classify};
use crate::domain::button::Button;

/// What a key means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Button(Button),
    /// A known key with no meaning here: dropped quietly.
    Ignore,
}

impl Action {
    pub fn is_button(self) -> bool {
        matches!(self, Action::Button(_))
    }
}

/// The keymaps built into the binary (assets/keymaps), by file name.
const BUILTIN: [(&str, &str); 2] = [
    (
        "default.toml",
        include_str!("../../assets/keymaps/default.toml"),
    ),
    (
        "keyboard.toml",
        include_str!("../../assets/keymaps/keyboard.toml"),
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    #[serde(rename = "match")]
    matcher: Option<Match>,
    #[serde(default)]
    buttons: HashMap<String, Vec<String>>,
    #[serde(default)]
    ignore: Ignore,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ignore {
    keys: Vec<String>,
}

/// Which devices an override file applies to: all of the given fields must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The device's name, exactly.
    pub name: Option<String>,
    pub vendor: Option<u16>,
    pub product: Option<u16>,
    /// `remote`, `pillow-speaker`, `keyboard` or `badge-reader`.
    pub class: Option<String>,
}

impl Match {
    fn matches(&self, info: &DeviceInfo, class: DeviceClass) -> bool {
        self.name.as_ref().is_none_or(|n| *n == info.name)
            && self.vendor.is_none_or(|v| v == info.id.vendor)
            && self.product.is_none_or(|p| p == info.id.product)
            && self.class.as_ref().is_none_or(|c| c == class.name())
    }
}

#[derive(Clone, Debug)]
struct MapFile {
    name: String,
    matcher: Option<Match>,
    map: HashMap<u16, Action>,
}

/// Why a keymap could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeymapError {
    #[error("keymap {file}: {reason}")]
    Invalid { file: String, reason: String },
    #[error("keymap folder {dir}: {source}")]
    Read {
        dir: PathBuf,
        source: std::io::Error,
    },
}

fn parse_file(name: &str, text: &str) -> Result<MapFile, KeymapError> {
    let invalid = |reason: String| KeymapError::Invalid {
        file: name.to_owned(),
        reason,
    };
    let parsed: FileText = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if name == "default.toml" && parsed.matcher.is_some() {
        return Err(invalid(
            "the default keymap applies to every device: no [match]".into(),
        ));
    }
    if name != "default.toml" && parsed.matcher.is_none() {
        return Err(invalid(
            "needs a [match] naming the devices it is for".into(),
        ));
    }
    if let Some(class) = parsed.matcher.as_ref().and_then(|m| m.class.as_deref())
        && DeviceClass::from_name(class).is_none()
    {
        return Err(invalid(format!(
            "unknown class `{class}` (remote, pillow-speaker, keyboard, badge-reader)"
        )));
    }
    let code = |key: &str| {
        evdev::KeyCode::from_str(key)
            .map(|k| k.code())
            .map_err(|_| invalid(format!("unknown key name `{key}`")))
    };
    let mut map = HashMap::new();
    // Which key name gave each code its meaning. Kernel aliases (KEY_FULL_SCREEN is KEY_ZOOM)
    // share a code: naming both is fine as long as they mean the same.
    let mut said: HashMap<u16, (String, String)> = HashMap::new();
    let mut put = |key: &str, action: Action, what: String| -> Result<(), KeymapError> {
        let c = code(key)?;
        if let Some((before_key, before)) = said.get(&c)
            && *before != what
        {
            return Err(invalid(format!(
                "{key} is given twice: {before} ({before_key}) and {what}"
            )));
        }
        said.insert(c, (key.to_owned(), what));
        map.insert(c, action);
        Ok(())
    };
    for (button, keys) in &parsed.buttons {
        let b: Button = button
            .parse()
            .map_err(|e: crate::domain::button::UnknownButton| invalid(e.to_string()))?;
        for key in keys {
            put(key, Action::Button(b), button.clone())?;
        }
    }
    for key in &parsed.ignore.keys {
        put(key, Action::Ignore, "ignore".into())?;
    }
    Ok(MapFile {
        name: name.to_owned(),
        matcher: parsed.matcher,
        map,
    })
}

/// A default map and the overrides for particular devices.
#[derive(Clone, Debug)]
pub struct Keymap {
    default: MapFile,
    overrides: Vec<MapFile>,
}

impl Keymap {
    fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Keymap, KeymapError> {
        let mut files: Vec<MapFile> = files
            .into_iter()
            .map(|(name, text)| parse_file(name, text))
            .collect::<Result<_, _>>()?;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let at = files
            .iter()
            .position(|f| f.name == "default.toml")
            .ok_or_else(|| KeymapError::Invalid {
                file: "default.toml".into(),
                reason: "missing".into(),
            })?;
        let default = files.remove(at);
        Ok(Keymap {
            default,
            overrides: files,
        })
    }

    /// The keymaps shipped in `assets/keymaps`.
    pub fn builtin() -> Keymap {
        Keymap::from_files(BUILTIN).expect("the built-in keymaps are valid (tested)")
    }

    /// The built-in keymaps plus the `*.toml` files of `dir`; a file there with the name of a
    /// built-in one replaces it.
    pub fn load_dir(dir: &Path) -> Result<Keymap, KeymapError> {
        let read_err = |source| KeymapError::Read {
            dir: dir.to_owned(),
            source,
        };
        let mut texts: HashMap<String, String> = BUILTIN
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned();
                texts.insert(name, std::fs::read_to_string(&path).map_err(read_err)?);
            }
        }
        Keymap::from_files(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// What a code means on a device with no override.
    pub fn default_action(&self, code: u16) -> Option<Action> {
        self.default.map.get(&code).copied()
    }

    /// What `info` is taken for, with these keymaps deciding which of its keys mean something
    /// (a hospital's file can make a handset's only keys meaningful).
    pub fn classify(&self, info: &DeviceInfo) -> DeviceClass {
        let map = self.for_device(info, DeviceClass::PillowSpeaker);
        classify(info, |code| map.lookup(code).is_some_and(Action::is_button))
    }

    /// The map for one device: the default with every matching override laid over it.
    pub fn for_device(&self, info: &DeviceInfo, class: DeviceClass) -> DeviceKeymap {
        let mut map = self.default.map.clone();
        for file in &self.overrides {
            if file
                .matcher
                .as_ref()
                .is_some_and(|m| m.matches(info, class))
            {
                map.extend(file.map.iter().map(|(k, v)| (*k, *v)));
            }
        }
        DeviceKeymap { map }
    }
}

/// One device's resolved keymap.
#[derive(Clone, Debug, Default)]
pub struct DeviceKeymap {
    map: HashMap<u16, Action>,
}

impl DeviceKeymap {
    /// `None` for a code no keymap knows.
    pub fn lookup(&self, code: u16) -> Option<Action> {
        self.map.get(&code).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::button::Digit;

    fn code(name: &str) -> u16 {
        evdev::KeyCode::from_str(name).unwrap().code()
    }

    fn default_button(name: &str) -> Option<Button> {
        match Keymap::builtin().default_action(code(name)) {
            Some(Action::Button(b)) => Some(b),
            _ => None,
        }
    }

    fn rc_keymap_keys(file: &str) -> Vec<String> {
        let text = crate::testdata::read(&format!("keymaps/rc_keymaps/{file}"));
        let doc: toml::Table = toml::from_str(&text).unwrap();
        let mut keys = Vec::new();
        for protocol in doc["protocols"].as_array().unwrap() {
            if let Some(scancodes) = protocol.get("scancodes").and_then(|s| s.as_table()) {
                keys.extend(scancodes.values().map(|v| v.as_str().unwrap().to_owned()));
            }
        }
        keys
    }

    /// Every key of every remote in ir-keytable's rc_keymaps either means a button or is
    /// knowingly ignored.
    #[test]
    fn every_key_of_every_known_remote_is_covered() {
        let keymap = Keymap::builtin();
        let dir = crate::testdata::path("keymaps/rc_keymaps");
        let mut files = 0;
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            files += 1;
            for key in rc_keymap_keys(&name) {
                if keymap.default_action(code(&key)).is_none() {
                    missing.push(format!("{name}: {key}"));
                }
            }
        }
        assert_eq!(files, 148);
        assert!(missing.is_empty(), "not covered: {missing:#?}");
    }

    #[test]
    fn the_common_remotes_mean_what_their_labels_say() {
        // (remote, key, button)
        let table = [
            ("rc6_mce.toml", "KEY_OK", Button::Ok),
            ("rc6_mce.toml", "KEY_EXIT", Button::Back),
            ("rc6_mce.toml", "KEY_MEDIA", Button::Home),
            (
                "rc6_mce.toml",
                "KEY_NUMERIC_7",
                Button::Digit(Digit::new(7).unwrap()),
            ),
            ("rc6_mce.toml", "KEY_CHANNELUP", Button::ChannelUp),
            ("rc6_mce.toml", "KEY_EPG", Button::Guide),
            ("rc6_mce.toml", "KEY_RED", Button::Red),
            ("samsung_ak59_00125a.toml", "KEY_EXIT", Button::Back),
            ("samsung_ak59_00125a.toml", "KEY_MUTE", Button::Mute),
            ("samsung_ak59_00125a.toml", "KEY_SUBTITLE", Button::Captions),
            ("cec.toml", "KEY_EXIT", Button::Back),
            ("cec.toml", "KEY_OK", Button::Ok),
            ("cec.toml", "KEY_ROOT_MENU", Button::Home),
            ("cec.toml", "KEY_POWER", Button::Power),
            (
                "cec.toml",
                "KEY_NUMERIC_0",
                Button::Digit(Digit::new(0).unwrap()),
            ),
            ("x96max.toml", "KEY_VOLUMEUP", Button::VolumeUp),
            ("x96max.toml", "KEY_HOME", Button::Home),
        ];
        for (remote, key, button) in table {
            assert!(
                rc_keymap_keys(remote).iter().any(|k| k == key),
                "{remote} has no {key}"
            );
            assert_eq!(default_button(key), Some(button), "{remote} {key}");
        }
        // The MCE remote's Sleep is a PC's sleep timer: not the TV's power.
        assert_eq!(
            Keymap::builtin().default_action(code("KEY_SLEEP")),
            Some(Action::Ignore)
        );
    }

    #[test]
    fn several_codes_mean_one_button() {
        for key in ["KEY_BACK", "KEY_EXIT", "KEY_ESC", "KEY_BACKSPACE"] {
            assert_eq!(default_button(key), Some(Button::Back), "{key}");
        }
        for key in ["KEY_OK", "KEY_SELECT", "KEY_ENTER", "KEY_KPENTER"] {
            assert_eq!(default_button(key), Some(Button::Ok), "{key}");
        }
        for n in 0..=9u8 {
            let digit = Some(Button::Digit(Digit::new(n).unwrap()));
            assert_eq!(default_button(&format!("KEY_{n}")), digit);
            assert_eq!(default_button(&format!("KEY_NUMERIC_{n}")), digit);
        }
        assert_eq!(
            default_button("KEY_ATTENDANT_TOGGLE"),
            Some(Button::NurseCall)
        );
    }

    #[test]
    fn every_button_has_a_key_on_some_device() {
        let keymap = Keymap::builtin();
        let keyboard = keymap.for_device(&DeviceInfo::default(), DeviceClass::Keyboard);
        for b in Button::all() {
            let found = (0..0x300u16).any(|c| keyboard.lookup(c) == Some(Action::Button(b)));
            assert!(found, "{b}");
        }
    }

    #[test]
    fn overrides_apply_only_to_their_devices() {
        let keymap = Keymap::builtin();
        let remote = keymap.for_device(&DeviceInfo::default(), DeviceClass::Remote);
        let keyboard = keymap.for_device(&DeviceInfo::default(), DeviceClass::Keyboard);
        assert_eq!(remote.lookup(code("KEY_M")), Some(Action::Ignore));
        assert_eq!(
            keyboard.lookup(code("KEY_M")),
            Some(Action::Button(Button::Mute))
        );
        assert_eq!(
            keyboard.lookup(code("KEY_UP")),
            Some(Action::Button(Button::Up))
        );
    }

    #[test]
    fn a_folder_adds_devices_and_replaces_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("curbell.toml"),
            "[match]\nvendor = 0x1234\nproduct = 0x0001\n[buttons]\nnursecall = [\"KEY_F13\"]\n",
        )
        .unwrap();
        let keymap = Keymap::load_dir(dir.path()).unwrap();
        let mut handset = DeviceInfo::default();
        handset.id.vendor = 0x1234;
        handset.id.product = 0x0001;
        let map = keymap.for_device(&handset, DeviceClass::PillowSpeaker);
        assert_eq!(
            map.lookup(code("KEY_F13")),
            Some(Action::Button(Button::NurseCall))
        );
        let other = keymap.for_device(&DeviceInfo::default(), DeviceClass::PillowSpeaker);
        assert_eq!(other.lookup(code("KEY_F13")), Some(Action::Ignore));

        std::fs::write(
            dir.path().join("default.toml"),
            "[buttons]\nok = [\"KEY_SPACE\"]\n",
        )
        .unwrap();
        let replaced = Keymap::load_dir(dir.path()).unwrap();
        assert_eq!(replaced.default_action(code("KEY_OK")), None);
    }

    #[test]
    fn a_hospital_keymap_decides_which_handsets_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("handset.toml"),
            "[match]\nvendor = 0x1234\n[buttons]\nnursecall = [\"KEY_F13\"]\n",
        )
        .unwrap();
        let mut handset = DeviceInfo::default();
        handset.id.bus = 3;
        handset.id.vendor = 0x1234;
        handset.keys = [code("KEY_F13")].into();
        assert_eq!(Keymap::builtin().classify(&handset), DeviceClass::Other);
        let keymap = Keymap::load_dir(dir.path()).unwrap();
        assert_eq!(keymap.classify(&handset), DeviceClass::PillowSpeaker);
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (
                "x.toml",
                "[buttons]\nok = [\"KEY_OK\"]\n",
                "needs a [match]",
            ),
            (
                "default.toml",
                "[buttons]\nok = [\"KEY_NOPE\"]\n",
                "unknown key name `KEY_NOPE`",
            ),
            (
                "default.toml",
                "[buttons]\nsideways = [\"KEY_OK\"]\n",
                "unknown button `sideways`",
            ),
            (
                "default.toml",
                "[buttons]\nok = [\"KEY_OK\"]\nback = [\"KEY_OK\"]\n",
                "KEY_OK is given twice",
            ),
            (
                "default.toml",
                "[buttons]\nok = [\"KEY_OK\"]\n[ignore]\nkeys = [\"KEY_OK\"]\n",
                "twice",
            ),
            (
                "x.toml",
                "[match]\nclass = \"toaster\"\n",
                "unknown class `toaster`",
            ),
            ("default.toml", "[bottons]\n", "unknown field `bottons`"),
        ];
        for (name, text, expect) in cases {
            let err = parse_file(name, text).unwrap_err().to_string();
            assert!(err.contains(expect), "{name}: {err}");
            assert!(err.contains(name), "{err}");
        }
    }
}
