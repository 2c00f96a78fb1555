//! Offline sign-in: when the identity service cannot be reached, staff whose badge and PIN it
//! verified on this box within the offline window may still sign in. What is kept for that
//! (in the encrypted store) is an [`OfflineCredential`]: the badge's key, who it was, when it
//! was verified, and an Argon2id hash of the PIN with a random salt and the box's secret as
//! Argon2's pepper, so neither a copy of the store nor a copy of the key alone gives it away,
//! and each guess costs tens of milliseconds. A window of zero turns offline sign-in off.

use argon2::{Algorithm, Argon2, Params, Version};
use jiff::{SignedDuration, Timestamp};
use ring::rand::{SecureRandom, SystemRandom};

use super::Staff;
use super::badge::BadgeKey;
use super::pad::StaffPin;

/// How long after an online sign-in the same badge and PIN work offline, unless the config
/// says otherwise.
pub const DEFAULT_WINDOW: SignedDuration = SignedDuration::from_hours(12);

/// Argon2id with OWASP's minimum for Argon2id: 19 MiB, two passes, one lane.
fn hasher(pepper: &[u8]) -> Argon2<'_> {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).expect("fixed Argon2 parameters are valid");
    Argon2::new_with_secret(pepper, Algorithm::Argon2id, Version::V0x13, params)
        .expect("a 32-byte pepper is accepted")
}

/// What the box keeps of a staff member's last online sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct OfflineCredential {
    pub badge: BadgeKey,
    pub staff: Staff,
    pub verified_at: Timestamp,
    salt: [u8; 16],
    hash: [u8; 32],
}

/// What an offline check says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfflineCheck {
    /// The PIN is right and the online sign-in recent enough.
    SignedIn(Staff),
    /// The PIN is wrong (it counts towards the lockouts like an online wrong PIN).
    WrongPin,
    /// This badge never signed in online here, or too long ago, or offline sign-in is off.
    NotKnown,
}

impl OfflineCredential {
    /// Made right after the identity service accepted `pin` for `badge`.
    pub fn new(
        pepper: &[u8],
        badge: BadgeKey,
        staff: Staff,
        pin: &StaffPin,
        verified_at: Timestamp,
    ) -> OfflineCredential {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .expect("the system random source works");
        let mut hash = [0u8; 32];
        hasher(pepper)
            .hash_password_into(pin.as_bytes(), &salt, &mut hash)
            .expect("Argon2 with fixed parameters hashes any PIN");
        OfflineCredential {
            badge,
            staff,
            verified_at,
            salt,
            hash,
        }
    }

    /// Kept as it was stored: the salt and hash as read back from the store.
    pub fn from_parts(
        badge: BadgeKey,
        staff: Staff,
        verified_at: Timestamp,
        salt: [u8; 16],
        hash: [u8; 32],
    ) -> OfflineCredential {
        OfflineCredential {
            badge,
            staff,
            verified_at,
            salt,
            hash,
        }
    }

    /// The salt and hash, for the store.
    pub fn parts(&self) -> ([u8; 16], [u8; 32]) {
        (self.salt, self.hash)
    }

    /// Whether this credential is still within the window at `now` (a clock set back before
    /// the sign-in does not make it valid longer than the window).
    pub fn fresh(&self, now: Timestamp, window: SignedDuration) -> bool {
        let age = now.duration_since(self.verified_at);
        !window.is_zero() && age < window && age >= -SignedDuration::from_mins(5)
    }

    fn matches(&self, pepper: &[u8], pin: &StaffPin) -> bool {
        let mut hash = [0u8; 32];
        if hasher(pepper)
            .hash_password_into(pin.as_bytes(), &self.salt, &mut hash)
            .is_err()
        {
            return false;
        }
        // Constant time: every byte is compared whatever the first difference.
        hash.iter()
            .zip(&self.hash)
            .fold(0u8, |d, (a, b)| d | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for OfflineCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineCredential")
            .field("badge", &self.badge)
            .field("staff", &self.staff.practitioner)
            .field("verified_at", &self.verified_at)
            .finish_non_exhaustive()
    }
}

/// Checks `pin` for `badge` against what the box kept, at `now`, with the configured window.
pub fn check(
    kept: &[OfflineCredential],
    pepper: &[u8],
    badge: &BadgeKey,
    pin: &StaffPin,
    now: Timestamp,
    window: SignedDuration,
) -> OfflineCheck {
    let Some(credential) = kept
        .iter()
        .filter(|c| c.badge == *badge)
        .max_by_key(|c| c.verified_at)
    else {
        return OfflineCheck::NotKnown;
    };
    if !credential.fresh(now, window) {
        return OfflineCheck::NotKnown;
    }
    if credential.matches(pepper, pin) {
        OfflineCheck::SignedIn(credential.staff.clone())
    } else {
        OfflineCheck::WrongPin
    }
}

#[cfg(test)]
mod tests {
    use super::super::badge::BadgeSecret;
    use super::super::pad::StaffPad;
    use super::super::testing::nurse as ana;
    use super::*;

    fn pin(digits: &[u8]) -> StaffPin {
        let mut pad = StaffPad::default();
        for d in digits {
            pad.push(*d);
        }
        pad.take().unwrap()
    }

    #[test]
    fn a_recent_online_sign_in_works_offline_until_the_window_ends() {
        let pepper = [7u8; 32];
        let badge = BadgeSecret::random().key_of("0012345");
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let kept = [OfflineCredential::new(
            &pepper,
            badge,
            ana(),
            &pin(&[2, 4, 6, 8, 1]),
            t0,
        )];
        let hours = |h: i64| t0 + SignedDuration::from_hours(h);
        let check_at =
            |digits: &[u8], now, window| check(&kept, &pepper, &badge, &pin(digits), now, window);
        assert_eq!(
            check_at(&[2, 4, 6, 8, 1], hours(11), DEFAULT_WINDOW),
            OfflineCheck::SignedIn(ana())
        );
        assert_eq!(
            check_at(&[2, 4, 6, 8, 2], hours(11), DEFAULT_WINDOW),
            OfflineCheck::WrongPin
        );
        assert_eq!(
            check_at(&[2, 4, 6, 8, 1], hours(12), DEFAULT_WINDOW),
            OfflineCheck::NotKnown,
            "twelve hours on, the identity service must see the badge again"
        );
        assert_eq!(
            check_at(&[2, 4, 6, 8, 1], hours(1), SignedDuration::ZERO),
            OfflineCheck::NotKnown,
            "a window of zero: no offline sign-in"
        );
        let other = BadgeSecret::random().key_of("999");
        assert_eq!(
            check(
                &kept,
                &pepper,
                &other,
                &pin(&[2, 4, 6, 8, 1]),
                hours(1),
                DEFAULT_WINDOW
            ),
            OfflineCheck::NotKnown
        );
    }

    #[test]
    fn the_hash_needs_the_box_pepper_and_keeps_neither_pin_nor_badge() {
        let badge = BadgeSecret::random().key_of("0012345");
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let kept = OfflineCredential::new(&[7u8; 32], badge, ana(), &pin(&[1, 2, 3, 4]), t0);
        let (salt, hash) = kept.parts();
        let restored = OfflineCredential::from_parts(badge, ana(), t0, salt, hash);
        assert!(restored.matches(&[7u8; 32], &pin(&[1, 2, 3, 4])));
        assert!(
            !restored.matches(&[8u8; 32], &pin(&[1, 2, 3, 4])),
            "another box's pepper"
        );
        let shown = format!("{kept:?}");
        assert!(
            !shown.contains("1234") && !shown.contains("12345"),
            "{shown}"
        );
    }
}
