//! What the box keeps of a badge: an HMAC-SHA256 of its number under a secret derived from the
//! store's key. Lockouts and offline sign-in are kept by this [`BadgeKey`]; the number itself
//! goes to the identity service (over TLS) and nowhere else, and is never logged.

use std::fmt;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The secret badge numbers are hashed under. Never printed.
#[derive(Clone)]
pub struct BadgeSecret(hmac::Key);

impl BadgeSecret {
    /// A secret derived from a long-lived one (the store's key), so a badge seen before a
    /// restart is the same badge after it.
    pub fn derive(secret: &[u8]) -> BadgeSecret {
        let outer = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let tag = hmac::sign(&outer, b"bedside staff badge v1");
        BadgeSecret(hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref()))
    }

    /// A secret for this run only (the demo, tests).
    pub fn random() -> BadgeSecret {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        BadgeSecret(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }

    /// Argon2's pepper for the offline PIN hashes: derived from the same secret, never the same
    /// bytes as a badge key.
    pub fn pepper(&self) -> [u8; 32] {
        let mut pepper = [0u8; 32];
        pepper.copy_from_slice(hmac::sign(&self.0, b"\0bedside offline pin pepper v1").as_ref());
        pepper
    }

    /// The key of a badge number (surrounding spaces do not count: readers differ).
    pub fn key_of(&self, number: &str) -> BadgeKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(hmac::sign(&self.0, number.trim().as_bytes()).as_ref());
        BadgeKey(key)
    }
}

impl fmt::Debug for BadgeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BadgeSecret(..)")
    }
}

/// A badge as the box knows it. Equal for the same number under the same secret; says nothing
/// of the number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BadgeKey([u8; 32]);

impl BadgeKey {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn from_bytes(bytes: [u8; 32]) -> BadgeKey {
        BadgeKey(bytes)
    }
}

impl fmt::Debug for BadgeKey {
    /// The first bytes only, enough to tell badges apart in a test failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BadgeKey({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

/// A staff number typed on the remote, on a box without a badge reader: it stands for the
/// badge's number (the directory finds the person by it). `Debug` shows only its length.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StaffNumber(String);

impl StaffNumber {
    /// The longest staff number taken.
    pub const MAX: usize = 12;
    /// The shortest that may be sent.
    pub const MIN: usize = 4;

    /// Adds a digit; false when the number is as long as it may be.
    pub fn push(&mut self, digit: u8) -> bool {
        if self.0.len() >= Self::MAX || digit > 9 {
            return false;
        }
        self.0.push(char::from(b'0' + digit));
        true
    }

    pub fn pop(&mut self) -> bool {
        self.0.pop().is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Long enough to be sent.
    pub fn complete(&self) -> bool {
        self.0.len() >= Self::MIN
    }

    /// The digits, for the controller (as a badge number) and the screen; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StaffNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaffNumber(<{} digits>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_is_the_same_badge_after_a_restart_and_another_box_cannot_tell() {
        let secret = BadgeSecret::derive(b"the store key of this box, 32 b.");
        let again = BadgeSecret::derive(b"the store key of this box, 32 b.");
        let other_box = BadgeSecret::derive(b"another box, another store key!!");
        assert_eq!(secret.key_of("0012345"), again.key_of(" 0012345\n"));
        assert_ne!(secret.key_of("0012345"), secret.key_of("0012346"));
        assert_ne!(secret.key_of("0012345"), other_box.key_of("0012345"));
        let shown = format!("{:?} {:?}", secret, secret.key_of("0012345"));
        assert!(!shown.contains("12345"), "{shown}");
    }
}
