//! The patient's privacy PIN for My health: four digits the patient chooses so that visitors
//! (or the next person to pick up the remote) cannot open their record.
//!
//! The PIN itself is never stored. What is kept is an HMAC-SHA256 of it under a secret key
//! derived from the store's database key (a systemd credential on the appliance, never on the
//! disk), with a random salt: a copy of the settings file alone does not give the PIN away,
//! even though four digits are only ten thousand guesses. At the TV, five wrong tries lock the
//! pad for a minute ([`LOCKOUT`]), so guessing there takes most of a week.
//!
//! [`PinPad`] is the state of the digit-entry screen: what it is for, the digits typed so far
//! and what to tell the patient. The rules of choosing, confirming, unlocking and removing are
//! in [`crate::domain::shell::Shell`], which owns a pad while the screen is open.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// Digits in a PIN.
pub const PIN_LENGTH: usize = 4;
/// Wrong tries in a row before the pad locks.
pub const MAX_TRIES: u8 = 5;
/// How long the pad stays locked after [`MAX_TRIES`] wrong tries.
pub const LOCKOUT: Duration = Duration::from_secs(60);
/// My health closes itself (and locks again) after this long without a press, when a PIN is set.
pub const IDLE_CLOSE: Duration = Duration::from_secs(120);

/// Four digits, each 0-9.
pub type Pin = [u8; PIN_LENGTH];

/// The secret PINs are hashed under. Never printed.
#[derive(Clone)]
pub struct PinKey(hmac::Key);

impl PinKey {
    /// A key derived from a long-lived secret (the store's key), so a PIN set before a restart
    /// still opens My health after it.
    pub fn derive(secret: &[u8]) -> PinKey {
        let outer = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let tag = hmac::sign(&outer, b"bedside privacy pin v1");
        PinKey(hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref()))
    }

    /// A keyed tag of `what` (hex, 128 bits): something kept in the plain settings file (who
    /// staff set as not allowed to call) without saying what it is.
    pub fn tag(&self, what: &str) -> String {
        let mac = hmac::sign(&self.0, format!("bedside tag v1\0{what}").as_bytes());
        mac.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A key for this run only: with no store (the demo) a PIN lasts until the program ends.
    pub fn random() -> PinKey {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        PinKey(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }
}

impl fmt::Debug for PinKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinKey(..)")
    }
}

/// What is kept of a PIN: a salt and the HMAC of salt and digits. Written to the settings file
/// as `salt:mac` in hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PinHash {
    salt: [u8; 16],
    mac: [u8; 32],
}

impl PinHash {
    pub fn new(key: &PinKey, pin: &Pin) -> PinHash {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .expect("the system random source works");
        let mut mac = [0u8; 32];
        mac.copy_from_slice(hmac::sign(&key.0, &Self::message(&salt, pin)).as_ref());
        PinHash { salt, mac }
    }

    /// Whether `pin` is the one this was made from (in constant time).
    pub fn matches(&self, key: &PinKey, pin: &Pin) -> bool {
        hmac::verify(&key.0, &Self::message(&self.salt, pin), &self.mac).is_ok()
    }

    fn message(salt: &[u8; 16], pin: &Pin) -> [u8; 16 + PIN_LENGTH] {
        let mut m = [0u8; 16 + PIN_LENGTH];
        m[..16].copy_from_slice(salt);
        m[16..].copy_from_slice(pin);
        m
    }
}

impl fmt::Debug for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinHash(..)")
    }
}

impl fmt::Display for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.salt {
            write!(f, "{b:02x}")?;
        }
        f.write_str(":")?;
        for b in self.mac {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A stored PIN hash that is not `32 hex digits:64 hex digits`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a privacy PIN hash is 32 hex digits, a colon and 64 hex digits")]
pub struct BadPinHash;

impl FromStr for PinHash {
    type Err = BadPinHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        fn hex<const N: usize>(s: &str) -> Option<[u8; N]> {
            if s.len() != 2 * N || !s.is_ascii() {
                return None;
            }
            let mut out = [0u8; N];
            for (i, o) in out.iter_mut().enumerate() {
                *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
            }
            Some(out)
        }
        let (salt, mac) = s.split_once(':').ok_or(BadPinHash)?;
        Ok(PinHash {
            salt: hex(salt).ok_or(BadPinHash)?,
            mac: hex(mac).ok_or(BadPinHash)?,
        })
    }
}

impl serde::Serialize for PinHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PinHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What the digit pad is open for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinPurpose {
    /// Opening My health, which is protected by a PIN.
    Unlock,
    /// Choosing a new PIN (from Settings).
    Choose,
    /// Typing the new PIN a second time.
    Confirm(Pin),
    /// Turning the PIN off: the current one first.
    Remove,
}

/// What the pad tells the patient under the digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PinMessage {
    #[default]
    None,
    /// The PIN was not right; this many tries are left before the pad locks.
    Wrong { tries_left: u8 },
    /// The second PIN differed from the first: choose again.
    Mismatch,
    /// Too many wrong tries: the pad is locked for a while.
    LockedOut,
}

/// The digit pad's state while its screen is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinPad {
    pub purpose: PinPurpose,
    typed: [u8; PIN_LENGTH],
    count: usize,
    pub message: PinMessage,
}

impl PinPad {
    pub fn new(purpose: PinPurpose) -> PinPad {
        PinPad {
            purpose,
            typed: [0; PIN_LENGTH],
            count: 0,
            message: PinMessage::None,
        }
    }

    /// How many digits are typed (the screen shows a dot for each, never the digit).
    pub fn typed(&self) -> usize {
        self.count
    }

    /// Adds a digit; returns the PIN once four are typed (and empties the pad for the next try).
    pub fn push(&mut self, digit: u8) -> Option<Pin> {
        debug_assert!(digit <= 9);
        self.typed[self.count] = digit;
        self.count += 1;
        if self.count == PIN_LENGTH {
            self.count = 0;
            let pin = self.typed;
            self.typed = [0; PIN_LENGTH];
            Some(pin)
        } else {
            None
        }
    }

    /// Takes back the last digit; false when there was none.
    pub fn pop(&mut self) -> bool {
        if self.count == 0 {
            return false;
        }
        self.count -= 1;
        self.typed[self.count] = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_matches_its_pin_only_and_only_under_its_key() {
        let key = PinKey::derive(b"0123456789abcdef0123456789abcdef");
        let hash = PinHash::new(&key, &[1, 9, 4, 7]);
        assert!(hash.matches(&key, &[1, 9, 4, 7]));
        assert!(!hash.matches(&key, &[1, 9, 4, 8]));
        let same_secret = PinKey::derive(b"0123456789abcdef0123456789abcdef");
        assert!(
            hash.matches(&same_secret, &[1, 9, 4, 7]),
            "survives a restart"
        );
        let other = PinKey::derive(b"another box entirely, other key!");
        assert!(!hash.matches(&other, &[1, 9, 4, 7]));
    }

    #[test]
    fn the_same_pin_hashes_differently_each_time() {
        let key = PinKey::random();
        assert_ne!(
            PinHash::new(&key, &[0, 0, 0, 0]),
            PinHash::new(&key, &[0, 0, 0, 0])
        );
    }

    #[test]
    fn hashes_round_trip_through_text_and_bad_text_is_refused() {
        let key = PinKey::random();
        let hash = PinHash::new(&key, &[5, 5, 5, 5]);
        let text = hash.to_string();
        assert_eq!(text.len(), 32 + 1 + 64);
        assert!(!text.contains("5555"));
        let back: PinHash = text.parse().unwrap();
        assert!(back.matches(&key, &[5, 5, 5, 5]));
        assert_eq!(format!("{back:?}"), "PinHash(..)");
        for bad in ["", "abc", "00:00", &text[1..], &text.replace(':', "")] {
            assert_eq!(bad.parse::<PinHash>(), Err(BadPinHash), "{bad}");
        }
    }

    #[test]
    fn the_pad_gives_the_pin_after_four_digits_and_takes_digits_back() {
        let mut pad = PinPad::new(PinPurpose::Choose);
        assert_eq!(pad.push(1), None);
        assert_eq!(pad.push(2), None);
        assert!(pad.pop());
        assert_eq!(pad.typed(), 1);
        assert_eq!(pad.push(3), None);
        assert_eq!(pad.push(4), None);
        assert_eq!(pad.push(5), Some([1, 3, 4, 5]));
        assert_eq!(pad.typed(), 0, "empty for the next try");
        assert!(!pad.pop());
    }
}
