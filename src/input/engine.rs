//! From raw events of every device to [`Output`]s: per device, the badge filter (keyboards and
//! badge readers), the keymap, and the repeat. Pure: the caller supplies the time, so live
//! devices and replays go through exactly this code.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::badge::{BadgeConfig, BadgeFilter, BadgeId, Filtered};
use super::device::{DeviceClass, DeviceInfo};
use super::event::{EV_KEY, EV_SYN, KEY_PRESS, KEY_RELEASE, RawEvent, SYN_DROPPED};
use super::keymap::{Action, DeviceKeymap, Keymap};
use super::repeat::{RepeatConfig, Repeater};
use crate::domain::button::Button;

/// What input produces for the rest of the appliance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Button(Button),
    Badge(BadgeId),
}

/// Which device an event came from (the caller's numbering).
pub type DeviceId = u64;

struct Device {
    info: DeviceInfo,
    class: DeviceClass,
    keymap: DeviceKeymap,
    badge: Option<BadgeFilter>,
    repeat: Repeater,
    /// Ctrl, Alt and Meta keys held down: while any is, other keys mean nothing (Ctrl+C is not
    /// the C key's Menu).
    modifiers: Vec<u16>,
}

/// KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_RIGHTALT, KEY_LEFTMETA, KEY_RIGHTMETA.
const MODIFIERS: [u16; 6] = [29, 97, 56, 100, 125, 126];

pub struct Engine {
    keymap: Keymap,
    repeat: RepeatConfig,
    badge: BadgeConfig,
    devices: HashMap<DeviceId, Device>,
    /// Codes already reported as unknown: each is logged once.
    unknown: HashSet<u16>,
    /// Device names already logged: each is logged once, not at every replug.
    announced: HashSet<(String, DeviceClass)>,
}

impl Engine {
    pub fn new(keymap: Keymap) -> Engine {
        Engine {
            keymap,
            repeat: RepeatConfig::default(),
            badge: BadgeConfig::default(),
            devices: HashMap::new(),
            unknown: HashSet::new(),
            announced: HashSet::new(),
        }
    }

    /// What `info` would be taken for.
    pub fn classify(&self, info: &DeviceInfo) -> DeviceClass {
        self.keymap.classify(info)
    }

    /// Starts reading a device as `class` (from [`Engine::classify`], or forced).
    pub fn add(&mut self, id: DeviceId, info: DeviceInfo, class: DeviceClass) {
        if self.announced.insert((info.name.clone(), class)) {
            tracing::info!(name = %info.name, %class, "input device");
        }
        let badge = match class {
            DeviceClass::Keyboard => Some(BadgeFilter::keyboard(self.badge)),
            DeviceClass::BadgeReader => Some(BadgeFilter::reader(self.badge)),
            _ => None,
        };
        self.devices.insert(
            id,
            Device {
                keymap: self.keymap.for_device(&info, class),
                info,
                class,
                badge,
                repeat: Repeater::new(self.repeat),
                modifiers: Vec::new(),
            },
        );
    }

    /// The device is gone: whatever it held is released.
    pub fn remove(&mut self, id: DeviceId) {
        if let Some(d) = self.devices.remove(&id) {
            tracing::debug!(name = %d.info.name, "input device gone");
        }
    }

    /// A new keymap (the folder changed): every device's map is worked out again.
    pub fn set_keymap(&mut self, keymap: Keymap) {
        for d in self.devices.values_mut() {
            d.keymap = keymap.for_device(&d.info, d.class);
        }
        self.keymap = keymap;
        self.unknown.clear();
    }

    pub fn device_count(&self) -> usize {
        self.devices.len()
    }

    /// The earliest time something may fall due (a repeat, a long press, held badge keys).
    pub fn next_deadline(&self) -> Option<Duration> {
        self.devices
            .values()
            .flat_map(|d| {
                [
                    d.repeat.next_deadline(),
                    d.badge.as_ref().and_then(|b| b.next_deadline()),
                ]
            })
            .flatten()
            .min()
    }

    /// Emits what fell due by `now`.
    pub fn due(&mut self, now: Duration, out: &mut Vec<Output>) {
        let mut filtered = Vec::new();
        for d in self.devices.values_mut() {
            if let Some(b) = d.badge.as_mut() {
                b.due(now, &mut filtered);
                for f in filtered.drain(..) {
                    Self::filtered(d, f, now, &mut self.unknown, out);
                }
            }
            let mut buttons = Vec::new();
            d.repeat.due(now, &mut buttons);
            out.extend(buttons.into_iter().map(Output::Button));
        }
    }

    /// One event from device `id`, read at `now`. Events of unknown devices are dropped.
    pub fn event(&mut self, id: DeviceId, event: RawEvent, now: Duration, out: &mut Vec<Output>) {
        let Some(d) = self.devices.get_mut(&id) else {
            return;
        };
        match (event.kind, event.value) {
            (EV_SYN, _) if event.code == SYN_DROPPED => {
                // Events were lost: what is held is unknown. Let go of everything.
                d.repeat.release_all();
                d.modifiers.clear();
                if let Some(b) = d.badge.as_mut() {
                    b.reset();
                }
            }
            // Only presses and releases: the kernel's repeats (2) are ours to make, and other
            // values are garbage.
            (EV_KEY, KEY_PRESS | KEY_RELEASE) => {
                if let Some(b) = d.badge.as_mut() {
                    let mut filtered = Vec::new();
                    b.feed(event.code, event.value, now, &mut filtered);
                    for f in filtered {
                        Self::filtered(d, f, now, &mut self.unknown, out);
                    }
                } else {
                    Self::key(d, event.code, event.value, now, &mut self.unknown, out);
                }
            }
            _ => {}
        }
    }

    fn filtered(
        d: &mut Device,
        f: Filtered,
        now: Duration,
        unknown: &mut HashSet<u16>,
        out: &mut Vec<Output>,
    ) {
        match f {
            Filtered::Key { code, value } => Self::key(d, code, value, now, unknown, out),
            Filtered::Badge(id) => out.push(Output::Badge(id)),
        }
    }

    fn key(
        d: &mut Device,
        code: u16,
        value: i32,
        now: Duration,
        unknown: &mut HashSet<u16>,
        out: &mut Vec<Output>,
    ) {
        if MODIFIERS.contains(&code) {
            if value == KEY_RELEASE {
                d.modifiers.retain(|m| *m != code);
            } else if !d.modifiers.contains(&code) {
                d.modifiers.push(code);
            }
            return;
        }
        if value == KEY_RELEASE {
            d.repeat.release(code);
            return;
        }
        if !d.modifiers.is_empty() {
            return;
        }
        match d.keymap.lookup(code) {
            Some(Action::Button(b)) => out.push(Output::Button(d.repeat.press(code, b, now))),
            Some(Action::Ignore) => {}
            None => {
                if unknown.insert(code) {
                    tracing::warn!(
                        code,
                        key = ?evdev::KeyCode::new(code),
                        device = %d.info.name,
                        "unknown key ignored (add it to a keymap to give it a meaning)"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::button::Digit;

    const KEY_OK: u16 = 352;
    const KEY_RIGHT: u16 = 106;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn remote(engine: &mut Engine) -> DeviceId {
        let info = DeviceInfo {
            name: "test remote".into(),
            keys: [KEY_OK, KEY_RIGHT].into(),
            ..DeviceInfo::default()
        };
        assert_eq!(engine.classify(&info), DeviceClass::Remote);
        engine.add(1, info, DeviceClass::Remote);
        1
    }

    fn buttons(out: &[Output]) -> Vec<Button> {
        out.iter()
            .filter_map(|o| match o {
                Output::Button(b) => Some(*b),
                Output::Badge(_) => None,
            })
            .collect()
    }

    #[test]
    fn presses_map_and_kernel_repeats_are_ignored() {
        let mut e = Engine::new(Keymap::builtin());
        let id = remote(&mut e);
        let mut out = Vec::new();
        e.event(id, RawEvent::key(KEY_OK, 1, ms(0)), ms(0), &mut out);
        e.event(id, RawEvent::key(KEY_OK, 2, ms(250)), ms(250), &mut out);
        e.event(id, RawEvent::key(KEY_OK, 2, ms(300)), ms(300), &mut out);
        e.event(id, RawEvent::key(KEY_OK, 0, ms(350)), ms(350), &mut out);
        e.due(ms(5000), &mut out);
        assert_eq!(buttons(&out), [Button::Ok]);
    }

    #[test]
    fn a_dropped_buffer_releases_held_keys() {
        let mut e = Engine::new(Keymap::builtin());
        let id = remote(&mut e);
        let mut out = Vec::new();
        e.event(id, RawEvent::key(KEY_RIGHT, 1, ms(0)), ms(0), &mut out);
        e.event(id, RawEvent::syn(SYN_DROPPED, ms(10)), ms(10), &mut out);
        e.due(ms(5000), &mut out);
        assert_eq!(
            buttons(&out),
            [Button::Right],
            "no repeats after SYN_DROPPED"
        );
        assert_eq!(e.next_deadline(), None);
    }

    #[test]
    fn garbage_and_unknown_keys_do_nothing() {
        let mut e = Engine::new(Keymap::builtin());
        let id = remote(&mut e);
        let mut out = Vec::new();
        for (kind, code, value) in [
            (1, 0x2ff, 1),
            (1, KEY_OK, 77),
            (9, KEY_OK, 1),
            (1, u16::MAX, 1),
            (4, 4, 1),
        ] {
            e.event(
                id,
                RawEvent {
                    time: ms(0),
                    kind,
                    code,
                    value,
                },
                ms(0),
                &mut out,
            );
        }
        e.event(99, RawEvent::key(KEY_OK, 1, ms(0)), ms(0), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_keyboard_badge_burst_becomes_one_badge_and_no_keys() {
        let mut e = Engine::new(Keymap::builtin());
        e.add(2, DeviceInfo::default(), DeviceClass::Keyboard);
        let mut out = Vec::new();
        let mut t = 0;
        for code in [2u16, 3, 4, 5, 6, 28] {
            e.event(2, RawEvent::key(code, 1, ms(t)), ms(t), &mut out);
            e.event(2, RawEvent::key(code, 0, ms(t + 3)), ms(t + 3), &mut out);
            t += 10;
        }
        e.due(ms(t + 1000), &mut out);
        assert_eq!(out.len(), 1);
        assert!(matches!(&out[0], Output::Badge(id) if id.expose() == "12345"));
    }

    #[test]
    fn slow_typing_on_a_keyboard_reaches_the_ui() {
        let mut e = Engine::new(Keymap::builtin());
        e.add(2, DeviceInfo::default(), DeviceClass::Keyboard);
        let mut out = Vec::new();
        let mut t = 0;
        for code in [4u16, 2, 28] {
            e.event(2, RawEvent::key(code, 1, ms(t)), ms(t), &mut out);
            e.event(2, RawEvent::key(code, 0, ms(t + 50)), ms(t + 50), &mut out);
            t += 200;
            e.due(ms(t - 1), &mut out);
        }
        let d = |n| Button::Digit(Digit::new(n).unwrap());
        assert_eq!(buttons(&out), [d(3), d(1), Button::Ok]);
    }

    #[test]
    fn chords_with_ctrl_alt_or_meta_mean_nothing() {
        let mut e = Engine::new(Keymap::builtin());
        e.add(2, DeviceInfo::default(), DeviceClass::Keyboard);
        let mut out = Vec::new();
        // Ctrl+C, then C alone (Menu on a keyboard).
        for (t, code, value) in [
            (0, 29, 1),
            (200, 46, 1),
            (250, 46, 0),
            (300, 29, 0),
            (600, 46, 1),
            (650, 46, 0),
        ] {
            e.event(2, RawEvent::key(code, value, ms(t)), ms(t), &mut out);
            e.due(ms(t + 100), &mut out);
        }
        assert_eq!(buttons(&out), [Button::Menu]);
    }

    #[test]
    fn a_flood_is_handled_in_bounded_memory() {
        let mut e = Engine::new(Keymap::builtin());
        let id = remote(&mut e);
        let mut out = Vec::new();
        for i in 0..200_000u64 {
            let t = ms(i / 10);
            e.event(
                id,
                RawEvent::key(KEY_RIGHT, (i % 2 == 0) as i32, t),
                t,
                &mut out,
            );
            if out.len() > 1000 {
                out.clear();
            }
        }
        assert_eq!(e.device_count(), 1);
        assert!(e.unknown.is_empty());
    }
}
