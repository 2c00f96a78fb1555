//! Remote controls, pillow speakers, keyboards and badge readers, read through evdev.
//!
//! # The device model
//! Linux shows every input device as a character device, `/dev/input/eventN`. Reading it yields
//! `struct input_event` records ([`event`]): key presses (`EV_KEY`, value 1), releases (0) and the
//! kernel's own auto-repeats (2), grouped by `EV_SYN` reports. An IR remote arrives through
//! rc-core, which has already turned IR scancodes into `KEY_*` codes (the rc_keymaps); an HDMI-CEC
//! adapter turns the TV remote's CEC commands into `KEY_*` codes too (the TV's Back is
//! `KEY_EXIT`); USB and Bluetooth remotes, pillow speakers and badge readers are HID devices that
//! send key codes directly. A badge reader is a keyboard that types the badge number and Enter.
//!
//! Each device says what it is ([`device::DeviceInfo`]: name, USB ids, the keys it can send, and
//! the udev properties set by `systemd/70-bedside-input.rules`), from which it is classified
//! ([`device::classify`]). Its key codes become [`Button`](crate::domain::button::Button)s through
//! a keymap ([`keymap`], data in `assets/keymaps/`). Keyboards and badge readers pass a badge
//! filter first ([`badge`]), and held buttons repeat or long-press by the appliance's own clock
//! ([`repeat`]). [`engine::Engine`] puts these together and is pure: live devices ([`linux`]) and
//! `bedside snapshot --replay` ([`replay`]) feed it the same way.
//!
//! The layer that opens devices ([`linux`]) is deliberately thin: these build machines have no
//! `/dev/input`, so everything above it is tested from bytes and recordings.

pub mod badge;
pub mod device;
pub mod engine;
pub mod evemu;
pub mod event;
pub mod keymap;
pub mod linux;
pub mod repeat;
pub mod replay;
