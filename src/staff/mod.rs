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

pub mod audit;
pub mod directory;
pub mod keeper;

use jiff::{SignedDuration, Timestamp};

use crate::domain::session::badge::BadgeKey;
use crate::domain::session::offline::{self, OfflineCheck, OfflineCredential};
use crate::domain::session::pad::StaffPin;
use crate::domain::session::staff::Verdict;
use crate::domain::session::{Access, Staff};
use directory::Directory;

use base64::Engine as _;

/// One offline credential as the store keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptCredential {
    badge: String,
    practitioner: String,
    name: String,
    role: String,
    /// What the directory said they may open: "record", "care-team" or "device".
    access: String,
    verified_at: i64,
    salt: String,
    hash: String,
}

/// Sign-in checks: the directory first; when it cannot be reached, what the box kept of recent
/// online sign-ins.
pub struct StaffCheck {
    directory: Directory,
    /// The box's secret (from the store key): Argon2's pepper for the offline hashes.
    pepper: [u8; 32],
    window: SignedDuration,
    kept: Vec<OfflineCredential>,
    /// Badges the directory answered for since start: what the store kept for them is older
    /// than what is known now.
    answered: Vec<BadgeKey>,
}

impl StaffCheck {
    pub fn new(directory: Directory, pepper: [u8; 32], offline_hours: u32) -> StaffCheck {
        StaffCheck {
            directory,
            pepper,
            window: SignedDuration::from_hours(i64::from(offline_hours)),
            kept: Vec::new(),
            answered: Vec::new(),
        }
    }

    /// What the box kept for offline sign-in.
    pub fn kept(&self) -> &[OfflineCredential] {
        &self.kept
    }

    /// What the box keeps for offline sign-in, as the store holds it: badge keys (never
    /// numbers), who, when, and each PIN's salt and Argon2id hash, in base64.
    pub fn kept_json(&self) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let kept: Vec<KeptCredential> = self
            .kept
            .iter()
            .map(|c| {
                let (salt, hash) = c.parts();
                KeptCredential {
                    badge: b64(c.badge.as_bytes()),
                    practitioner: c.staff.practitioner.clone(),
                    name: c.staff.name.clone(),
                    role: c.staff.role.clone(),
                    access: match c.staff.access {
                        Access::Record => "record",
                        Access::CareTeam => "care-team",
                        Access::DeviceOnly => "device",
                    }
                    .to_owned(),
                    verified_at: c.verified_at.as_second(),
                    salt: b64(&salt),
                    hash: b64(&hash),
                }
            })
            .collect();
        serde_json::to_string(&kept).expect("credentials serialise")
    }

    /// Puts back what [`Self::kept_json`] gave (credentials out of the window are dropped; a
    /// damaged value keeps nothing: staff then sign in online once more). What the directory
    /// said since start wins: a badge it answered for keeps only what is known now.
    pub fn restore_json(&mut self, json: &str, now: Timestamp) {
        let kept: Vec<KeptCredential> = serde_json::from_str(json).unwrap_or_default();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).ok();
        let restored: Vec<OfflineCredential> = kept
            .into_iter()
            .filter_map(|k| {
                let credential = OfflineCredential::from_parts(
                    BadgeKey::from_bytes(b64(&k.badge)?.try_into().ok()?),
                    Staff {
                        practitioner: k.practitioner,
                        name: k.name,
                        role: k.role,
                        access: match k.access.as_str() {
                            "record" => Access::Record,
                            "care-team" => Access::CareTeam,
                            _ => Access::DeviceOnly,
                        },
                    },
                    Timestamp::from_second(k.verified_at).ok()?,
                    b64(&k.salt)?.try_into().ok()?,
                    b64(&k.hash)?.try_into().ok()?,
                );
                credential.fresh(now, self.window).then_some(credential)
            })
            .collect();
        for credential in restored {
            if !self.answered.contains(&credential.badge)
                && !self.kept.iter().any(|c| c.badge == credential.badge)
            {
                self.kept.push(credential);
            }
        }
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
        let mut told = None;
        self.check_then(number, badge, pin, now, |v| told = Some(v));
        told.expect("check_then always tells")
    }

    /// As [`Self::check`], telling the verdict as soon as it is known: hashing the PIN for
    /// offline use (tens of milliseconds of Argon2) comes after, so the nurse does not wait
    /// for it.
    pub fn check_then(
        &mut self,
        number: &str,
        badge: BadgeKey,
        pin: &StaffPin,
        now: Timestamp,
        tell: impl FnOnce(Verdict),
    ) {
        let verdict = self.directory.verify(number, pin);
        if verdict != Verdict::Unreachable && !self.answered.contains(&badge) {
            self.answered.push(badge);
        }
        match &verdict {
            Verdict::Accepted(staff) if !self.window.is_zero() => {
                let staff = staff.clone();
                tell(verdict);
                self.kept.retain(|c| c.badge != badge);
                self.kept
                    .push(OfflineCredential::new(&self.pepper, badge, staff, pin, now));
                return;
            }
            // The directory said no: whatever was kept for this badge no longer holds.
            Verdict::WrongPin | Verdict::Refused => self.kept.retain(|c| c.badge != badge),
            _ => {}
        }
        tell(self.fall_back(verdict, badge, pin, now));
    }

    /// The directory's verdict, or when it cannot be reached, what the box kept.
    fn fall_back(
        &mut self,
        verdict: Verdict,
        badge: BadgeKey,
        pin: &StaffPin,
        now: Timestamp,
    ) -> Verdict {
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
