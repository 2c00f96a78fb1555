//! evemu recordings: a device description (`N:` name, `I:` bus/vendor/product/version, `B:`
//! capability bits) and its events (`E: <sec>.<usec> <type hex> <code hex> <value>`), the format
//! of `evemu-record` and of the recordings in `../shared/testdata/evdev`.

use std::collections::BTreeSet;
use std::time::Duration;

use super::device::{DeviceInfo, InputId};
use super::event::{EV_KEY, RawEvent};

/// A parsed recording.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub device: DeviceInfo,
    pub events: Vec<RawEvent>,
}

/// A line that is not evemu.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("evemu line {line}: {reason}")]
pub struct EvemuError {
    pub line: usize,
    pub reason: String,
}

/// Parses an evemu description and/or recording. Comments (`#`) and unknown line kinds are
/// skipped; a malformed `E:`, `I:` or `B:` line is an error naming its line.
pub fn parse(text: &str) -> Result<Recording, EvemuError> {
    let mut rec = Recording::default();
    // B: lines for one event type continue where the previous line of that type stopped.
    let mut key_bytes: Vec<u8> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        let err = |reason: &str| EvemuError {
            line: i + 1,
            reason: reason.to_owned(),
        };
        let Some((tag, rest)) = line.split_once(':') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        match tag {
            "N" => rec.device.name = rest.trim().to_owned(),
            "I" => {
                let nums: Vec<u16> = fields
                    .iter()
                    .map(|f| u16::from_str_radix(f, 16))
                    .collect::<Result<_, _>>()
                    .map_err(|_| err("I: needs four hex numbers"))?;
                let [bus, vendor, product, version] = nums[..] else {
                    return Err(err("I: needs four hex numbers"));
                };
                rec.device.id = InputId {
                    bus,
                    vendor,
                    product,
                    version,
                };
            }
            "B" => {
                let bytes: Vec<u8> = fields
                    .iter()
                    .map(|f| u8::from_str_radix(f, 16))
                    .collect::<Result<_, _>>()
                    .map_err(|_| err("B: needs hex bytes"))?;
                let Some((&kind, bits)) = bytes.split_first() else {
                    return Err(err("B: needs an event type"));
                };
                if u16::from(kind) == EV_KEY {
                    key_bytes.extend_from_slice(bits);
                }
            }
            "E" => {
                let [time, kind, code, value] = fields[..] else {
                    return Err(err("E: needs time, type, code and value"));
                };
                let (sec, usec) = time
                    .split_once('.')
                    .ok_or_else(|| err("E: time is sec.usec"))?;
                let sec: u64 = sec.parse().map_err(|_| err("E: bad seconds"))?;
                if usec.is_empty() || usec.len() > 6 {
                    return Err(err("E: microseconds are one to six digits"));
                }
                let usec: u32 = usec.parse().map_err(|_| err("E: bad microseconds"))?;
                rec.events.push(RawEvent {
                    time: Duration::new(sec, usec * 1000),
                    kind: u16::from_str_radix(kind, 16).map_err(|_| err("E: bad type"))?,
                    code: u16::from_str_radix(code, 16).map_err(|_| err("E: bad code"))?,
                    value: value.parse().map_err(|_| err("E: bad value"))?,
                });
            }
            _ => {}
        }
    }
    rec.device.keys = bits_to_codes(&key_bytes);
    Ok(rec)
}

fn bits_to_codes(bytes: &[u8]) -> BTreeSet<u16> {
    let mut codes = BTreeSet::new();
    for (i, byte) in bytes.iter().enumerate() {
        for bit in 0..8 {
            if byte >> bit & 1 == 1 {
                codes.insert((i * 8 + bit) as u16);
            }
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> String {
        crate::testdata::read(&format!("evdev/evemu-devices/{name}"))
    }

    #[test]
    fn reads_the_k400_recording() {
        let rec = parse(&testdata("keyboards-Logitech_K400_Plus.events")).unwrap();
        assert_eq!(rec.device.name, "Logitech K400 Plus");
        assert_eq!(rec.device.id.vendor, 0x046d);
        assert_eq!(rec.device.id.product, 0x404d);
        assert!(rec.device.keys.contains(&28), "KEY_ENTER");
        assert!(rec.device.keys.contains(&30), "KEY_A");
        assert_eq!(rec.events.len(), 15);
        assert_eq!(
            rec.events[1],
            RawEvent::key(28, 0, Duration::from_micros(1))
        );
    }

    #[test]
    fn reads_every_recording_in_the_testdata() {
        let dir = crate::testdata::path("evdev/evemu-devices");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|e| e == "events" || e == "desc" || e == "device")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }

    #[test]
    fn the_cir_receiver_advertises_remote_keys() {
        let rec = parse(&testdata("misc-ITE8708_CIR_transceiver.desc")).unwrap();
        assert_eq!(rec.device.name, "ITE8708 CIR transceiver");
        for code in [
            352,   /* KEY_OK */
            402,   /* KEY_CHANNELUP */
            0x200, /* KEY_NUMERIC_0 */
        ] {
            assert!(rec.device.keys.contains(&code), "{code}");
        }
        assert!(rec.events.is_empty());
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let e = parse("N: x\nE: 1.5 0001 zz 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse("E: 1.0000001 0001 0001 1").is_err());
        assert!(parse("I: 0003 046d").is_err());
        assert!(parse("B: 01 zz").is_err());
    }
}
