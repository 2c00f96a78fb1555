//! What an input device is, and which kind it is, from what it says about itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The kernel's `struct input_id`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InputId {
    pub bus: u16,
    pub vendor: u16,
    pub product: u16,
    pub version: u16,
}

/// `BUS_HOST`: devices of the machine itself (ACPI buttons, WMI hotkeys, built-in IR receivers).
pub const BUS_HOST: u16 = 0x19;

/// What a device says about itself: name, ids, the keys it can send, udev properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub id: InputId,
    /// `EV_KEY` codes the device advertises.
    pub keys: BTreeSet<u16>,
    /// udev properties of the device (empty where there is no udev).
    pub udev: BTreeMap<String, String>,
}

/// The kinds of device the appliance reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceClass {
    /// A TV remote: IR through rc-core, HDMI-CEC, a USB or Bluetooth remote.
    Remote,
    /// A pillow speaker or similar handset: a few buttons (volume, channel, power, nurse call).
    PillowSpeaker,
    /// A keyboard. Stands in for a remote, and may be a badge reader in disguise: bursts of
    /// characters ending in Enter are badge reads.
    Keyboard,
    /// An RFID/NFC badge reader that types the badge number and presses Enter. Everything it
    /// sends is a badge read.
    BadgeReader,
    /// Not ours (power buttons, laptop hotkeys, mice, ...): left alone, not grabbed.
    Other,
}

impl DeviceClass {
    pub fn name(self) -> &'static str {
        match self {
            DeviceClass::Remote => "remote",
            DeviceClass::PillowSpeaker => "pillow-speaker",
            DeviceClass::Keyboard => "keyboard",
            DeviceClass::BadgeReader => "badge-reader",
            DeviceClass::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<DeviceClass> {
        [
            DeviceClass::Remote,
            DeviceClass::PillowSpeaker,
            DeviceClass::Keyboard,
            DeviceClass::BadgeReader,
            DeviceClass::Other,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }
}

impl fmt::Display for DeviceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The udev property a rule can set to say what a device is (see `systemd/70-bedside-input.rules`):
/// `remote`, `pillow-speaker`, `keyboard`, `badge-reader` or `other`.
pub const UDEV_CLASS: &str = "BEDSIDE_INPUT_CLASS";

// Key codes the rules look at (linux/input-event-codes.h).
const KEY_ENTER: u16 = 28;
const KEY_UP: u16 = 103;
const KEY_LEFT: u16 = 105;
const KEY_RIGHT: u16 = 106;
const KEY_DOWN: u16 = 108;
const KEY_POWER: u16 = 116;
const KEY_SLEEP: u16 = 142;
const KEY_WAKEUP: u16 = 143;
const KEY_OK: u16 = 352;
const KEY_SELECT: u16 = 0x161;
const KEY_CHANNELUP: u16 = 0x192;
const KEY_RED: u16 = 0x18e;
const KEY_EPG: u16 = 0x16d;
const KEY_NUMERIC_0: u16 = 0x200;
const LETTERS: [u16; 26] = [
    30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45,
    21, 44,
];

/// Words in a device's name that mark a badge reader.
const BADGE_NAMES: [&str; 8] = [
    "rfid",
    "badge",
    "card reader",
    "pcprox",
    "proximity",
    "prox reader",
    "omnikey",
    "nfc",
];

/// Decides what a device is. In order: a udev rule's word; a badge reader by its name; a
/// keyboard by its letter keys; a remote by remote-only keys (OK, channel, colour, numeric, EPG,
/// or arrows with Enter); machine buttons (power button, laptop hotkeys) are left alone; anything
/// else that sends keys the keymap knows is a pillow speaker. `maps` says whether the keymap
/// gives a code a meaning.
pub fn classify(info: &DeviceInfo, maps: impl Fn(u16) -> bool) -> DeviceClass {
    if let Some(class) = info
        .udev
        .get(UDEV_CLASS)
        .and_then(|c| DeviceClass::from_name(c))
    {
        return class;
    }
    let name = info.name.to_lowercase();
    if BADGE_NAMES.iter().any(|w| name.contains(w)) {
        return DeviceClass::BadgeReader;
    }
    let has = |code: u16| info.keys.contains(&code);
    if LETTERS.iter().filter(|c| has(**c)).count() >= 20 {
        return DeviceClass::Keyboard;
    }
    let arrows = [KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT]
        .iter()
        .all(|c| has(*c));
    let remote_keys = [
        KEY_OK,
        KEY_SELECT,
        KEY_CHANNELUP,
        KEY_RED,
        KEY_EPG,
        KEY_NUMERIC_0,
    ];
    if remote_keys.iter().any(|c| has(*c)) || (arrows && has(KEY_ENTER)) {
        return DeviceClass::Remote;
    }
    if info.id.bus == BUS_HOST
        || info
            .keys
            .iter()
            .all(|c| [KEY_POWER, KEY_SLEEP, KEY_WAKEUP].contains(c))
    {
        // The machine's own buttons: systemd-logind and the firmware own those.
        return DeviceClass::Other;
    }
    if info.keys.iter().any(|c| maps(*c)) {
        return DeviceClass::PillowSpeaker;
    }
    DeviceClass::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::evemu;
    use crate::input::keymap::Keymap;

    fn recorded(name: &str) -> DeviceInfo {
        let text = crate::testdata::read(&format!("evdev/evemu-devices/{name}"));
        evemu::parse(&text).unwrap().device
    }

    fn class_of(info: &DeviceInfo) -> DeviceClass {
        let keymap = Keymap::builtin();
        classify(info, |c| {
            keymap.default_action(c).is_some_and(|a| a.is_button())
        })
    }

    #[test]
    fn the_recorded_devices_are_recognised() {
        let cases = [
            ("misc-ITE8708_CIR_transceiver.desc", DeviceClass::Remote),
            ("keyboards-Logitech_K400_Plus.events", DeviceClass::Keyboard),
            (
                "keyboards-Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.keyboard.events",
                DeviceClass::Keyboard,
            ),
            ("misc-HP_WMI_hotkeys.device", DeviceClass::Other),
            // A headset's call buttons send BTN_* codes no keymap gives a meaning.
            (
                "misc-Plantronics_Plantronics_.Audio_648_USB.desc",
                DeviceClass::Other,
            ),
            // Arrows and volume but no OK: handset-like.
            ("misc-Nintendo_Wiimote.desc", DeviceClass::PillowSpeaker),
        ];
        for (file, class) in cases {
            assert_eq!(class_of(&recorded(file)), class, "{file}");
        }
    }

    #[test]
    fn a_udev_rule_has_the_last_word() {
        let mut info = recorded("keyboards-Logitech_K400_Plus.events");
        info.udev.insert(UDEV_CLASS.into(), "badge-reader".into());
        assert_eq!(class_of(&info), DeviceClass::BadgeReader);
        info.udev.insert(UDEV_CLASS.into(), "nonsense".into());
        assert_eq!(
            class_of(&info),
            DeviceClass::Keyboard,
            "an unknown word is ignored"
        );
    }

    #[test]
    fn badge_readers_are_known_by_name_even_with_a_full_keyboard() {
        let mut info = recorded("keyboards-Logitech_K400_Plus.events");
        info.name = "RFIDeas USB Keyboard pcProx".into();
        assert_eq!(class_of(&info), DeviceClass::BadgeReader);
    }

    #[test]
    fn power_buttons_are_left_alone_and_handsets_are_taken() {
        let power = DeviceInfo {
            name: "Power Button".into(),
            keys: [KEY_POWER].into(),
            ..DeviceInfo::default()
        };
        assert_eq!(class_of(&power), DeviceClass::Other);
        let handset = DeviceInfo {
            name: "Pillow Speaker".into(),
            id: InputId {
                bus: 3,
                ..InputId::default()
            },
            // volume up/down, channel down, power, KEY_ATTENDANT_TOGGLE
            keys: [115, 114, 0x193, KEY_POWER, 0x21d].into(),
            ..DeviceInfo::default()
        };
        assert_eq!(class_of(&handset), DeviceClass::PillowSpeaker);
    }

    #[test]
    fn class_names_round_trip() {
        for c in [
            DeviceClass::Remote,
            DeviceClass::PillowSpeaker,
            DeviceClass::Keyboard,
            DeviceClass::BadgeReader,
            DeviceClass::Other,
        ] {
            assert_eq!(DeviceClass::from_name(c.name()), Some(c));
        }
    }
}
