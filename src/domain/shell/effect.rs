//! What a change of the shell asks its controller to do, as a list of [`Effect`]s: the shape
//! `domain/call.rs` uses with `Action`. A feature adds a variant here and one arm where the
//! controller carries effects out (`ui/app.rs` `carry_out`); nothing else grows a field.
//!
//! Timers are effects too: [`Effect::Start`] asks for a [`Timeout`], and when it runs out the
//! controller hands it back to [`Shell::timeout`] as an input, like a button. There is one
//! timer per kind of timeout: starting one again replaces the pending one.

use std::time::Duration;

use super::{Audit, CallRequest, Notice, Shell};
use crate::domain::session::badge::BadgeKey;
use crate::domain::session::pad::StaffPin;

/// One thing the controller must do after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The patient's settings (or what Watch remembers) changed: save them.
    Save,
    /// Start (or restart) this timer; hand it back to [`Shell::timeout`] when it runs out.
    Start(Timeout),
    /// Stop the pending timer of this timeout's kind: what it guarded is over.
    Stop(Timeout),
    /// Show the channel banner for [`crate::domain::tv::BANNER_TIME`].
    Banner,
    /// Show the player's controls for a few seconds.
    Controls,
    /// Move the film this far (seconds, negative is back).
    Seek(i64),
    /// Something for the call thread to do.
    Call(CallRequest),
    /// Check this staff PIN for this badge (the directory, else the offline check), off the UI
    /// thread; hand the verdict to [`Shell::staff_checked`].
    CheckStaff { badge: BadgeKey, pin: StaffPin },
    /// Record this in the audit trail.
    Audit(Audit),
    /// A staff number was typed (a box without a badge reader): treat it as a badge read and
    /// hand its key to [`Shell::badge_read`].
    StaffNumber(crate::domain::session::badge::StaffNumber),
    /// Tell the record about the patient's learning (through the outbox).
    Learn(crate::domain::learn::Recorded),
}

/// A time the shell waits for, then is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Hide this notice (unless a newer one replaced it).
    Notice(Notice),
    /// End the PIN pad's lockout after too many wrong tries.
    PinLockout,
    /// Digits were typed for a channel: tune to what was typed (unless more came since).
    ChannelEntry(u64),
    /// Nobody pressed anything while My health was open under its PIN: close it.
    HealthIdle,
    /// The staff sign-in's next deadline (its idle warning, its end, a forgotten pad), this
    /// far ahead.
    Staff(Duration),
    /// Nobody typed on the staff number screen for a minute: it closes.
    StaffNumberIdle,
}

/// How long a notice stays up.
pub const NOTICE_TIME: Duration = Duration::from_secs(8);

impl Timeout {
    /// How long after it is started this timeout runs out.
    pub fn after(self) -> Duration {
        match self {
            Timeout::Notice(_) => NOTICE_TIME,
            Timeout::PinLockout => crate::domain::privacy::LOCKOUT,
            Timeout::ChannelEntry(_) => crate::domain::tv::ENTRY_TIMEOUT,
            Timeout::HealthIdle => crate::domain::privacy::IDLE_CLOSE,
            Timeout::Staff(wait) => wait,
            Timeout::StaffNumberIdle => crate::domain::session::staff::PIN_IDLE.unsigned_abs(),
        }
    }
}

/// What the caller must do after a press or any other change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The button meant something here (otherwise it is ignored, and may be logged).
    pub handled: bool,
    /// What to carry out, in order.
    pub effects: Vec<Effect>,
}

impl Outcome {
    /// The press did something, with nothing more to carry out.
    pub(super) fn handled() -> Self {
        Outcome {
            handled: true,
            effects: Vec::new(),
        }
    }

    /// Nothing happened, or something happened with nothing to carry out (`handled` false).
    pub(super) fn ignored() -> Self {
        Outcome::default()
    }

    /// Handled or not, with nothing to carry out.
    pub(super) fn handled_if(handled: bool) -> Self {
        Outcome {
            handled,
            effects: Vec::new(),
        }
    }

    /// The press did something, and asks for this effect.
    pub(super) fn with(effect: Effect) -> Self {
        Outcome::handled().and(effect)
    }

    /// This outcome, handled.
    pub(super) fn and_handled(mut self) -> Self {
        self.handled = true;
        self
    }

    /// This outcome, and one more effect.
    pub(super) fn and(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }

    fn has(&self, effect: Effect) -> bool {
        self.effects.contains(&effect)
    }

    /// The settings changed and are to be saved.
    pub fn settings_changed(&self) -> bool {
        self.has(Effect::Save)
    }

    /// The notice put up by this change, if any.
    pub fn new_notice(&self) -> Option<Notice> {
        self.effects.iter().find_map(|e| match e {
            Effect::Start(Timeout::Notice(n)) => Some(*n),
            _ => None,
        })
    }

    /// The PIN pad locked itself after too many wrong tries.
    pub fn pin_lockout(&self) -> bool {
        self.has(Effect::Start(Timeout::PinLockout))
    }

    /// The channel banner is to show.
    pub fn banner(&self) -> bool {
        self.has(Effect::Banner)
    }

    /// How far to move the film, if at all.
    pub fn seek(&self) -> Option<i64> {
        self.effects.iter().find_map(|e| match e {
            Effect::Seek(by) => Some(*by),
            _ => None,
        })
    }

    /// What the call thread is asked to do, if anything.
    pub fn call(&self) -> Option<CallRequest> {
        self.effects.iter().find_map(|e| match e {
            Effect::Call(request) => Some(*request),
            _ => None,
        })
    }
}

impl Shell {
    /// A timer the shell asked for ([`Effect::Start`]) ran out.
    pub fn timeout(&mut self, timeout: Timeout) -> Outcome {
        match timeout {
            Timeout::Notice(notice) => {
                self.expire_notice(notice.seq);
                Outcome::ignored()
            }
            Timeout::PinLockout => {
                self.end_pin_lockout();
                Outcome::ignored()
            }
            Timeout::ChannelEntry(seq) => self.channel_entry_timeout(seq),
            Timeout::HealthIdle => self.idle_timeout(),
            Timeout::Staff(_) => self.staff_timeout(),
            Timeout::StaffNumberIdle => self.staff_number_timeout(),
        }
    }
}
