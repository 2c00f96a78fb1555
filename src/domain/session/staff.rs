//! The staff sign-in and session, as a state machine driven by the badge, the digits, the
//! identity service's verdict and the clock:
//!
//! ```text
//! Closed --badge--> Pin --OK (4-8 digits)--> Checking --accepted--> Open
//!                    ^ |                        |                     |
//!                    | +--Back / 60 s idle--> Closed                  |
//!                    +--wrong PIN, locked, refused, unreachable-------+ (back to Pin)
//! Open --Sign out / 2 min idle (warned 15 s before) / another badge / Power / discharge--> Closed
//! ```
//!
//! Time comes in as [`Timestamp`]s; the controller sets one timer for [`SignIn::next_deadline`]
//! and calls [`SignIn::tick`] when it runs out.

use jiff::{SignedDuration, Timestamp};

use super::Staff;
use super::badge::BadgeKey;
use super::lockout::{Locked, Lockouts};
use super::pad::{StaffPad, StaffPin};

/// A session ends after this long without a press...
pub const IDLE_END: SignedDuration = SignedDuration::from_mins(2);
/// ...and warns this long before.
pub const IDLE_WARNING: SignedDuration = SignedDuration::from_secs(15);
/// A PIN pad left alone this long closes (the badge is tapped again to start over).
pub const PIN_IDLE: SignedDuration = SignedDuration::from_secs(60);

/// What the identity service (or, when it cannot be reached, the offline check) said of a
/// badge and PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted(Staff),
    WrongPin,
    /// Not a badge the service knows, or not staff allowed on bedside TVs.
    Refused,
    /// No answer, and no recent online sign-in of this badge on this box.
    Unreachable,
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    SignedOut,
    Idle,
    /// Another badge was tapped: it starts its own sign-in.
    OtherBadge,
    Power,
    /// The patient was discharged or transferred.
    Discharge,
}

/// What the PIN pad says under the digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadSays {
    /// Type the PIN.
    Nothing,
    Wrong {
        tries_left: u8,
    },
    Locked(Locked),
    /// The service does not know this badge, or it may not sign in here.
    Refused,
    /// Sign-in cannot be checked now (no network, no recent sign-in of this badge here).
    Unreachable,
}

/// An open staff session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub staff: Staff,
    pub badge: BadgeKey,
    pub since: Timestamp,
    last_press: Timestamp,
    warned: bool,
}

impl Session {
    /// When the session ends if nobody presses anything.
    pub fn ends_at(&self) -> Timestamp {
        self.last_press + IDLE_END
    }

    /// The idle warning is showing.
    pub fn warned(&self) -> bool {
        self.warned
    }
}

/// Where the sign-in is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Closed,
    Pin {
        badge: BadgeKey,
        pad: StaffPad,
        says: PadSays,
        last_press: Timestamp,
    },
    /// The PIN went to be checked; digits wait.
    Checking {
        badge: BadgeKey,
    },
    Open(Session),
}

/// What the controller must do after a change.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Nothing,
    /// Check this PIN for this badge: the identity service, or the offline check when it cannot
    /// be reached; then call [`SignIn::checked`].
    Check {
        badge: BadgeKey,
        pin: StaffPin,
    },
    /// A session opened: audit the sign-in, show the staff frame.
    Opened,
    /// The PIN was refused: audit the failure (and the lockout, if one began).
    Failed {
        locked: Option<Locked>,
    },
    /// Show the idle warning.
    Warn,
    /// The session ended: audit it, put the patient's screen back.
    Ended(Ended),
}

/// The staff sign-in of this box.
#[derive(Clone, Debug)]
pub struct SignIn {
    stage: Stage,
    lockouts: Lockouts,
    /// Badges whose PIN went to be checked and whose verdict has not come back: a wrong PIN
    /// counts towards the lockouts even when the pad was closed (or another badge tapped)
    /// meanwhile, so Back after OK is not a way to guess without limit.
    pending: Vec<BadgeKey>,
}

impl Default for SignIn {
    fn default() -> Self {
        SignIn {
            stage: Stage::Closed,
            lockouts: Lockouts::default(),
            pending: Vec::new(),
        }
    }
}

impl SignIn {
    /// Wrong PINs so far, for the store.
    pub fn lockouts(&self) -> &Lockouts {
        &self.lockouts
    }

    /// What the store kept from before a restart, added to what happened since. A pad open for
    /// a badge that this locks says so at once, its digits gone.
    pub fn restore_lockouts(&mut self, kept: Lockouts, now: Timestamp) {
        self.lockouts.merge(kept, now);
        if let Stage::Pin {
            badge, pad, says, ..
        } = &mut self.stage
            && let Err(locked) = self.lockouts.check(badge, now)
        {
            *pad = StaffPad::default();
            *says = PadSays::Locked(locked);
        }
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// The open session, if there is one: clinician screens need it.
    pub fn session(&self) -> Option<&Session> {
        match &self.stage {
            Stage::Open(s) => Some(s),
            _ => None,
        }
    }

    /// A badge was read. An open session ends (another badge starts its own sign-in; the same
    /// badge again is the way to sign out quickly); the pad opens for this badge, saying at
    /// once if it is locked.
    pub fn badge(&mut self, badge: BadgeKey, now: Timestamp) -> Step {
        let ended = match &self.stage {
            Stage::Open(s) if s.badge == badge => {
                self.stage = Stage::Closed;
                return Step::Ended(Ended::SignedOut);
            }
            Stage::Open(_) => Some(Ended::OtherBadge),
            _ => None,
        };
        let says = match self.lockouts.check(&badge, now) {
            Err(locked) => PadSays::Locked(locked),
            Ok(()) => PadSays::Nothing,
        };
        self.stage = Stage::Pin {
            badge,
            pad: StaffPad::default(),
            says,
            last_press: now,
        };
        ended.map_or(Step::Nothing, Step::Ended)
    }

    /// A digit on the pad (ignored while locked or checking).
    pub fn digit(&mut self, digit: u8, now: Timestamp) -> bool {
        let Stage::Pin {
            badge,
            pad,
            says,
            last_press,
        } = &mut self.stage
        else {
            return false;
        };
        *last_press = now;
        if let Err(locked) = self.lockouts.check(badge, now) {
            *says = PadSays::Locked(locked);
            return false;
        }
        *says = PadSays::Nothing;
        pad.push(digit)
    }

    /// Takes back the last digit.
    pub fn delete(&mut self, now: Timestamp) -> bool {
        match &mut self.stage {
            Stage::Pin {
                pad, last_press, ..
            } => {
                *last_press = now;
                pad.pop()
            }
            _ => false,
        }
    }

    /// OK on the pad: a complete PIN goes to be checked.
    pub fn submit(&mut self, now: Timestamp) -> Step {
        let Stage::Pin {
            badge,
            pad,
            says,
            last_press,
        } = &mut self.stage
        else {
            return Step::Nothing;
        };
        *last_press = now;
        if let Err(locked) = self.lockouts.check(badge, now) {
            *says = PadSays::Locked(locked);
            return Step::Nothing;
        }
        let Some(pin) = pad.take() else {
            return Step::Nothing;
        };
        let badge = *badge;
        self.stage = Stage::Checking { badge };
        if !self.pending.contains(&badge) {
            self.pending.push(badge);
        }
        Step::Check { badge, pin }
    }

    /// Back on the pad, or on its "checking": sign-in is abandoned.
    pub fn cancel(&mut self) -> bool {
        if matches!(self.stage, Stage::Pin { .. } | Stage::Checking { .. }) {
            self.stage = Stage::Closed;
            return true;
        }
        false
    }

    /// The verdict on the PIN sent with [`Step::Check`]. A verdict for a check abandoned
    /// meanwhile (Back on "checking", another badge tapped) opens nothing, but a wrong PIN in it
    /// still counts and is audited.
    pub fn checked(&mut self, badge: BadgeKey, verdict: Verdict, now: Timestamp) -> Step {
        let Some(at) = self.pending.iter().position(|b| *b == badge) else {
            return Step::Nothing;
        };
        self.pending.remove(at);
        if self.stage != (Stage::Checking { badge }) {
            return match verdict {
                Verdict::WrongPin | Verdict::Refused => Step::Failed {
                    locked: self.lockouts.wrong(&badge, now),
                },
                Verdict::Accepted(_) | Verdict::Unreachable => Step::Nothing,
            };
        }
        let (says, locked) = match verdict {
            Verdict::Accepted(staff) => {
                self.lockouts.right(&badge);
                self.stage = Stage::Open(Session {
                    staff,
                    badge,
                    since: now,
                    last_press: now,
                    warned: false,
                });
                return Step::Opened;
            }
            // An unknown badge counts towards the box's lockout: trying badge after badge is
            // what it is for.
            Verdict::WrongPin | Verdict::Refused => {
                let locked = self.lockouts.wrong(&badge, now);
                let says = match (locked, verdict) {
                    (Some(l), _) => PadSays::Locked(l),
                    (None, Verdict::Refused) => PadSays::Refused,
                    (None, _) => PadSays::Wrong {
                        tries_left: self.lockouts.tries_left(&badge),
                    },
                };
                (says, locked)
            }
            Verdict::Unreachable => (PadSays::Unreachable, None),
        };
        self.stage = Stage::Pin {
            badge,
            pad: StaffPad::default(),
            says,
            last_press: now,
        };
        if says == PadSays::Unreachable {
            Step::Nothing
        } else {
            Step::Failed { locked }
        }
    }

    /// Any press while the session is open: the idle time starts again, the warning goes.
    pub fn pressed(&mut self, now: Timestamp) {
        if let Stage::Open(s) = &mut self.stage {
            s.last_press = now;
            s.warned = false;
        }
    }

    /// The session ends for `why` (Sign out, Power, discharge); nothing when none is open.
    /// Discharge also closes a pad: its badge was for a patient no longer here.
    pub fn end(&mut self, why: Ended) -> Step {
        match &self.stage {
            Stage::Open(_) => {
                self.stage = Stage::Closed;
                Step::Ended(why)
            }
            Stage::Pin { .. } | Stage::Checking { .. }
                if matches!(why, Ended::Discharge | Ended::Power) =>
            {
                self.stage = Stage::Closed;
                Step::Nothing
            }
            _ => Step::Nothing,
        }
    }

    /// When [`Self::tick`] has something to do next.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        match &self.stage {
            Stage::Open(s) if !s.warned => Some(s.ends_at() - IDLE_WARNING),
            Stage::Open(s) => Some(s.ends_at()),
            Stage::Pin { last_press, .. } => Some(*last_press + PIN_IDLE),
            Stage::Closed | Stage::Checking { .. } => None,
        }
    }

    /// The clock moved on: warn, end an idle session, close a forgotten pad.
    pub fn tick(&mut self, now: Timestamp) -> Step {
        match &mut self.stage {
            Stage::Open(s) if now >= s.ends_at() => {
                self.stage = Stage::Closed;
                Step::Ended(Ended::Idle)
            }
            Stage::Open(s) if !s.warned && now >= s.ends_at() - IDLE_WARNING => {
                s.warned = true;
                Step::Warn
            }
            Stage::Pin { last_press, .. } if now >= *last_press + PIN_IDLE => {
                self.stage = Stage::Closed;
                Step::Nothing
            }
            _ => Step::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::badge::BadgeSecret;
    use super::super::lockout::LOCK_TIME;
    use super::super::testing::nurse;
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_secs(secs)
    }

    fn type_pin(s: &mut SignIn, digits: &[u8], now: Timestamp) -> Step {
        for d in digits {
            s.digit(*d, now);
        }
        s.submit(now)
    }

    fn sign_in(s: &mut SignIn, badge: BadgeKey, now: Timestamp) {
        s.badge(badge, now);
        assert!(matches!(
            type_pin(s, &[1, 2, 3, 4], now),
            Step::Check { .. }
        ));
        assert_eq!(
            s.checked(badge, Verdict::Accepted(nurse()), now),
            Step::Opened
        );
    }

    #[test]
    fn badge_pin_and_a_verdict_open_a_session() {
        let badge = BadgeSecret::random().key_of("0012345");
        let mut s = SignIn::default();
        assert_eq!(s.badge(badge, t(0)), Step::Nothing);
        assert_eq!(
            type_pin(&mut s, &[1, 2, 3], t(1)),
            Step::Nothing,
            "too short"
        );
        s.digit(4, t(2));
        let Step::Check { badge: b, pin } = s.submit(t(2)) else {
            panic!("a complete PIN is sent to be checked");
        };
        assert_eq!((b, pin.as_bytes()), (badge, &b"1234"[..]));
        assert!(!s.digit(5, t(2)), "digits wait while checking");
        assert_eq!(
            s.checked(badge, Verdict::Accepted(nurse()), t(3)),
            Step::Opened
        );
        assert_eq!(s.session().unwrap().staff, nurse());
    }

    #[test]
    fn a_wrong_pin_counts_even_when_the_pad_was_closed_before_the_verdict() {
        let badge = BadgeSecret::random().key_of("0012345");
        let mut s = SignIn::default();
        for i in 0..5 {
            s.badge(badge, t(0));
            assert!(matches!(
                type_pin(&mut s, &[9, 9, 9, 9], t(1)),
                Step::Check { .. }
            ));
            assert!(s.cancel(), "Back while checking");
            let step = s.checked(badge, Verdict::WrongPin, t(1));
            assert!(matches!(step, Step::Failed { .. }), "try {i}: {step:?}");
            assert_eq!(s.stage(), &Stage::Closed, "nothing opens");
        }
        s.badge(badge, t(2));
        assert!(
            matches!(
                s.stage(),
                Stage::Pin {
                    says: PadSays::Locked(_),
                    ..
                }
            ),
            "five abandoned wrong PINs lock the badge like any five"
        );
        // An abandoned right PIN opens nothing, and a verdict nobody asked for does nothing.
        let other = BadgeSecret::random().key_of("1");
        s.badge(other, t(3));
        type_pin(&mut s, &[1, 2, 3, 4], t(3));
        s.cancel();
        assert_eq!(
            s.checked(other, Verdict::Accepted(nurse()), t(3)),
            Step::Nothing
        );
        assert_eq!(s.stage(), &Stage::Closed);
        assert_eq!(s.checked(other, Verdict::WrongPin, t(3)), Step::Nothing);
    }

    #[test]
    fn a_lockout_read_back_after_a_restart_locks_a_pad_already_open() {
        let badge = BadgeSecret::random().key_of("0012345");
        let mut before = SignIn::default();
        before.badge(badge, t(0));
        for _ in 0..5 {
            type_pin(&mut before, &[9, 9, 9, 9], t(1));
            before.checked(badge, Verdict::WrongPin, t(1));
        }
        let kept = Lockouts::from_json(&before.lockouts().to_json()).unwrap();
        // The restarted box: the pad opened and a digit typed before the store was read.
        let mut s = SignIn::default();
        s.badge(badge, t(2));
        assert!(s.digit(1, t(2)));
        s.restore_lockouts(kept, t(3));
        assert!(matches!(
            s.stage(),
            Stage::Pin { pad, says: PadSays::Locked(Locked::Badge { .. }), .. } if pad.is_empty()
        ));
        assert!(!s.digit(1, t(3)), "no digits while locked");
        assert_eq!(s.submit(t(3)), Step::Nothing);
    }

    #[test]
    fn wrong_pins_say_how_many_tries_are_left_then_lock_the_badge() {
        let badge = BadgeSecret::random().key_of("0012345");
        let mut s = SignIn::default();
        s.badge(badge, t(0));
        for left in (1..=4).rev() {
            type_pin(&mut s, &[9, 9, 9, 9], t(1));
            assert_eq!(
                s.checked(badge, Verdict::WrongPin, t(1)),
                Step::Failed { locked: None }
            );
            assert!(matches!(
                s.stage(),
                Stage::Pin { says: PadSays::Wrong { tries_left }, .. } if *tries_left == left
            ));
        }
        type_pin(&mut s, &[9, 9, 9, 9], t(2));
        let until = t(2) + LOCK_TIME;
        assert_eq!(
            s.checked(badge, Verdict::WrongPin, t(2)),
            Step::Failed {
                locked: Some(Locked::Badge { until })
            }
        );
        // Locked: digits do nothing, the pad says until when, even after tapping again.
        assert!(!s.digit(1, t(3)));
        s.badge(badge, t(4));
        assert!(matches!(
            s.stage(),
            Stage::Pin {
                says: PadSays::Locked(Locked::Badge { .. }),
                ..
            }
        ));
        assert_eq!(type_pin(&mut s, &[1, 2, 3, 4], t(5)), Step::Nothing);
        // Five minutes on, the badge may try again.
        s.badge(badge, until);
        assert!(matches!(
            type_pin(&mut s, &[1, 2, 3, 4], until),
            Step::Check { .. }
        ));
    }

    #[test]
    fn an_unreachable_service_is_said_and_not_counted_as_a_wrong_pin() {
        let badge = BadgeSecret::random().key_of("1");
        let mut s = SignIn::default();
        s.badge(badge, t(0));
        for _ in 0..10 {
            type_pin(&mut s, &[1, 2, 3, 4], t(1));
            assert_eq!(s.checked(badge, Verdict::Unreachable, t(1)), Step::Nothing);
        }
        assert!(matches!(
            s.stage(),
            Stage::Pin {
                says: PadSays::Unreachable,
                ..
            }
        ));
        type_pin(&mut s, &[1, 2, 3, 4], t(2));
        assert_eq!(
            s.checked(badge, Verdict::Accepted(nurse()), t(2)),
            Step::Opened
        );
    }

    #[test]
    fn two_minutes_without_a_press_end_the_session_with_a_warning_fifteen_seconds_before() {
        let badge = BadgeSecret::random().key_of("1");
        let mut s = SignIn::default();
        sign_in(&mut s, badge, t(0));
        assert_eq!(s.next_deadline(), Some(t(105)));
        assert_eq!(s.tick(t(104)), Step::Nothing);
        assert_eq!(s.tick(t(105)), Step::Warn);
        assert_eq!(s.next_deadline(), Some(t(120)));
        // A press takes the warning away and starts the two minutes again.
        s.pressed(t(110));
        assert!(!s.session().unwrap().warned());
        assert_eq!(s.tick(t(120)), Step::Nothing);
        assert_eq!(s.tick(t(215)), Step::Warn);
        assert_eq!(s.tick(t(230)), Step::Ended(Ended::Idle));
        assert!(s.session().is_none());
        assert_eq!(s.next_deadline(), None, "no timer when nothing is open");
    }

    #[test]
    fn another_badge_ends_the_session_and_starts_its_own_sign_in() {
        let secret = BadgeSecret::random();
        let (ana, ben) = (secret.key_of("1"), secret.key_of("2"));
        let mut s = SignIn::default();
        sign_in(&mut s, ana, t(0));
        assert_eq!(s.badge(ben, t(5)), Step::Ended(Ended::OtherBadge));
        assert!(matches!(s.stage(), Stage::Pin { badge, .. } if *badge == ben));
        // A verdict still coming for the first badge is dropped.
        assert_eq!(
            s.checked(ana, Verdict::Accepted(nurse()), t(6)),
            Step::Nothing
        );
        assert!(s.session().is_none());
    }

    #[test]
    fn the_same_badge_again_signs_out() {
        let badge = BadgeSecret::random().key_of("1");
        let mut s = SignIn::default();
        sign_in(&mut s, badge, t(0));
        assert_eq!(s.badge(badge, t(5)), Step::Ended(Ended::SignedOut));
        assert_eq!(s.stage(), &Stage::Closed);
    }

    #[test]
    fn power_and_discharge_end_a_session_and_close_a_pad() {
        let badge = BadgeSecret::random().key_of("1");
        for why in [Ended::Power, Ended::Discharge, Ended::SignedOut] {
            let mut s = SignIn::default();
            sign_in(&mut s, badge, t(0));
            assert_eq!(s.end(why), Step::Ended(why));
            assert_eq!(s.end(why), Step::Nothing, "once");
        }
        let mut s = SignIn::default();
        s.badge(badge, t(0));
        s.end(Ended::Discharge);
        assert_eq!(s.stage(), &Stage::Closed);
    }

    #[test]
    fn a_forgotten_pad_closes_after_a_minute_and_back_cancels_it() {
        let badge = BadgeSecret::random().key_of("1");
        let mut s = SignIn::default();
        s.badge(badge, t(0));
        s.digit(1, t(30));
        assert_eq!(s.next_deadline(), Some(t(90)));
        s.tick(t(89));
        assert!(matches!(s.stage(), Stage::Pin { .. }));
        s.tick(t(90));
        assert_eq!(s.stage(), &Stage::Closed);
        s.badge(badge, t(100));
        assert!(s.cancel());
        assert_eq!(s.stage(), &Stage::Closed);
        assert!(!s.cancel());
    }
}
