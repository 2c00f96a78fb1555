//! Clinician mode's controller: turns a badge read into the badge's key for the shell, runs the
//! PIN check off the UI thread (the directory can take seconds), and shows the staff pad, the
//! clinician home and the staff frame through `StaffState`.

use slint::ComponentHandle;

use super::generated::{self as ui, MainWindow, StaffState};
use super::inbox::{Inbound, Inbox};
use crate::config;
use crate::domain::session::Access;
use crate::domain::session::badge::{BadgeKey, BadgeSecret};
use crate::domain::session::lockout::Locked;
use crate::domain::session::pad::StaffPin;
use crate::domain::session::staff::{PadSays, Stage};
use crate::domain::shell::{Audit, Audited, Shell};
use crate::input::badge::BadgeId;
use crate::staff::StaffCheck;
use crate::staff::directory::Directory;
use crate::staff::keeper::{Keeper, KeeperSetup, Told};

/// What the launcher gives clinician mode: the `[staff]` section and the box's secret (from the
/// store key; random for this run without one).
#[derive(Clone, Debug)]
pub struct StaffSetup {
    pub config: config::Staff,
    pub secret: Vec<u8>,
    /// Where offline sign-ins, lockouts and audit events are kept.
    pub keep: KeeperSetup,
}

pub struct StaffController {
    secret: BadgeSecret,
    /// The worker that checks PINs and keeps what outlives the process; None when staff
    /// sign-in is not set up (or its directory config is unusable).
    keeper: Option<Keeper>,
    /// The number of the badge being signed in with, until its PIN has been checked: the
    /// directory needs the number; nothing else keeps it.
    pending: Option<(BadgeKey, BadgeId)>,
}

impl StaffController {
    pub fn new(setup: Option<StaffSetup>, inbox: Inbox) -> StaffController {
        let secret = match &setup {
            Some(s) => BadgeSecret::derive(&s.secret),
            None => BadgeSecret::random(),
        };
        let keeper = setup.and_then(|s| {
            let directory = Directory::new(&s.config)
                .map_err(|e| tracing::error!(error = %e, "staff sign-in is not available"))
                .ok()?;
            let check = StaffCheck::new(directory, secret.pepper(), s.config.offline_hours);
            Keeper::spawn(check, s.keep, move |told| {
                inbox.send(match told {
                    Told::Verdict(badge, verdict) => Inbound::Staff(badge, verdict),
                    Told::Lockouts(kept) => Inbound::StaffLockouts(kept),
                });
            })
            .map_err(|e| tracing::error!(error = %e, "cannot start the staff worker"))
            .ok()
        });
        StaffController {
            secret,
            keeper,
            pending: None,
        }
    }

    /// How to wake the sync loop once an audit event is in the outbox.
    pub fn set_wake(&self, wake: Box<dyn Fn() + Send>) {
        if let Some(k) = &self.keeper {
            k.set_wake(wake);
        }
    }

    /// Staff sign-in can be checked on this box.
    pub fn configured(&self) -> bool {
        self.keeper.is_some()
    }

    /// The key of a badge read, for the shell; the number is kept until its PIN is checked.
    pub fn badge(&mut self, id: BadgeId) -> Option<BadgeKey> {
        self.keeper.as_ref()?;
        let key = self.secret.key_of(id.expose());
        self.pending = Some((key, id));
        Some(key)
    }

    /// Checks `pin` for `badge` on the staff worker; the verdict comes back through the inbox.
    pub fn check(&mut self, badge: BadgeKey, pin: StaffPin) {
        // The number stays until the sign-in closes or opens: a wrong PIN is typed again.
        let (Some(keeper), Some((key, id))) = (&self.keeper, self.pending.clone()) else {
            return;
        };
        if key == badge {
            keeper.check(id, badge, pin);
        }
    }

    /// Once the sign-in is over (a session opened, or the pad closed), the badge's number is
    /// forgotten.
    pub fn forget(&mut self, shell: &Shell) {
        if matches!(shell.staff().stage(), Stage::Closed | Stage::Open(_)) {
            self.pending = None;
        }
    }

    /// Records an audit event (the journal, and the outbox as a FHIR AuditEvent). A sign-in's
    /// success or failure also changed the lockouts: they are kept too.
    pub fn audit(&self, shell: &Shell, audit: Audit) {
        let Some(keeper) = &self.keeper else {
            return;
        };
        if matches!(
            audit.what,
            Audited::SignedIn | Audited::SignInFailed | Audited::LockedOut
        ) {
            keeper.keep_lockouts(shell.staff().lockouts());
        }
        // The wall clock, whatever time the screen is set to show (`snapshot --now`).
        keeper.audit(audit, jiff::Timestamp::now());
    }

    pub fn show(&self, window: &MainWindow, shell: &Shell, now: jiff::Timestamp) {
        let g = window.global::<StaffState>();
        let (typed, says, minutes, tries, checking) = match shell.staff().stage() {
            Stage::Pin { pad, says, .. } => {
                let (says, minutes, tries) = match says {
                    PadSays::Nothing => (ui::StaffPadSays::Nothing, 0, 0),
                    PadSays::Wrong { tries_left } => {
                        (ui::StaffPadSays::Wrong, 0, i32::from(*tries_left))
                    }
                    PadSays::Locked(locked) => {
                        let until = locked.until();
                        let mins = (until.duration_since(now).as_secs().max(0) + 59) / 60;
                        let kind = match locked {
                            Locked::Badge { .. } => ui::StaffPadSays::BadgeLocked,
                            Locked::Box { .. } => ui::StaffPadSays::BoxLocked,
                        };
                        (kind, mins.max(1) as i32, 0)
                    }
                    PadSays::Refused => (ui::StaffPadSays::Refused, 0, 0),
                    PadSays::Unreachable => (ui::StaffPadSays::Unreachable, 0, 0),
                };
                (pad.len() as i32, says, minutes, tries, false)
            }
            Stage::Checking { .. } => (0, ui::StaffPadSays::Nothing, 0, 0, true),
            _ => (0, ui::StaffPadSays::Nothing, 0, 0, false),
        };
        g.set_typed(typed);
        g.set_says(says);
        g.set_locked_minutes(minutes);
        g.set_tries_left(tries);
        g.set_checking(checking);
        match shell.staff().session() {
            Some(s) => {
                g.set_signed_in(true);
                g.set_name(s.staff.name.as_str().into());
                g.set_role(s.staff.role.as_str().into());
                g.set_device_only(s.staff.access == Access::DeviceOnly);
                g.set_warning(s.warned());
            }
            None => {
                g.set_signed_in(false);
                g.set_name("".into());
                g.set_role("".into());
                g.set_warning(false);
            }
        }
        g.set_pin_set(shell.pin_set());
    }
}
