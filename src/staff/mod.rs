//! Clinician sign-in's IO: asking the hospital's staff directory whether a badge and PIN belong
//! together, and keeping what lets the same badge sign in while the directory cannot be reached.
//!
//! The protocol is LDAP over TLS (LDAPS), the one every hospital directory speaks (Active
//! Directory, OpenLDAP, FreeIPA): the box binds as its own service account, searches for the
//! entry whose badge attribute holds the badge number, then binds as that entry with the PIN as
//! its password. The directory decides; the box never holds staff passwords. The threat model
//! is in docs/staff.md.
//!
//! The rules (lockouts, the session, the offline window) are in `domain::session`.

pub mod directory;

use jiff::{SignedDuration, Timestamp};

use crate::domain::session::badge::BadgeKey;
use crate::domain::session::offline::{self, OfflineCheck, OfflineCredential};
use crate::domain::session::pad::StaffPin;
use crate::domain::session::staff::Verdict;
use directory::Directory;

/// Sign-in checks: the directory first; when it cannot be reached, what the box kept of recent
/// online sign-ins.
pub struct StaffCheck {
    directory: Directory,
    /// The box's secret (from the store key): Argon2's pepper for the offline hashes.
    pepper: [u8; 32],
    window: SignedDuration,
    kept: Vec<OfflineCredential>,
}

impl StaffCheck {
    pub fn new(directory: Directory, pepper: [u8; 32], offline_hours: u32) -> StaffCheck {
        StaffCheck {
            directory,
            pepper,
            window: SignedDuration::from_hours(i64::from(offline_hours)),
            kept: Vec::new(),
        }
    }

    /// What the box kept for offline sign-in (for the store).
    pub fn kept(&self) -> &[OfflineCredential] {
        &self.kept
    }

    /// Puts back what the store kept.
    pub fn restore(&mut self, kept: Vec<OfflineCredential>) {
        self.kept = kept;
    }

    /// Checks `pin` for the badge `number` (whose key is `badge`). An online acceptance is kept
    /// for offline use (replacing the badge's older one); an unreachable directory falls back
    /// to it.
    pub fn check(
        &mut self,
        number: &str,
        badge: BadgeKey,
        pin: &StaffPin,
        now: Timestamp,
    ) -> Verdict {
        let verdict = self.directory.verify(number, pin);
        match &verdict {
            Verdict::Accepted(staff) if !self.window.is_zero() => {
                self.kept.retain(|c| c.badge != badge);
                self.kept.push(OfflineCredential::new(
                    &self.pepper,
                    badge,
                    staff.clone(),
                    pin,
                    now,
                ));
            }
            // The directory said no: whatever was kept for this badge no longer holds.
            Verdict::WrongPin | Verdict::Refused => self.kept.retain(|c| c.badge != badge),
            _ => {}
        }
        if verdict != Verdict::Unreachable {
            return verdict;
        }
        self.kept.retain(|c| c.fresh(now, self.window));
        match offline::check(&self.kept, &self.pepper, &badge, pin, now, self.window) {
            OfflineCheck::SignedIn(staff) => {
                tracing::info!("staff directory unreachable: signed in offline");
                Verdict::Accepted(staff)
            }
            OfflineCheck::WrongPin => Verdict::WrongPin,
            OfflineCheck::NotKnown => Verdict::Unreachable,
        }
    }
}
