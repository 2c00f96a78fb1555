//! The privacy PIN's digit pad: choosing, confirming and removing a PIN, opening My health
//! with it, the lockout after too many wrong tries, and closing My health when idle.

use super::*;

impl Shell {
    /// The digit pad, while the PIN screen is open.
    pub fn pin_pad(&self) -> Option<PinPad> {
        self.pin_pad
    }

    /// A PIN guards My health.
    pub fn pin_set(&self) -> bool {
        self.settings.privacy_pin.is_some()
    }

    /// The pad was locked after too many wrong tries; the wait is over.
    pub fn end_pin_lockout(&mut self) {
        self.pin_locked = false;
        self.pin_failures = 0;
        if let Some(pad) = &mut self.pin_pad
            && pad.message == PinMessage::LockedOut
        {
            pad.message = PinMessage::None;
        }
    }

    /// Whether a press should (re)start the idle timer that closes My health: a PIN is set and
    /// the patient is in My health.
    pub fn health_open_under_pin(&self) -> bool {
        self.pin_set()
            && self.staff.session().is_none()
            && self.stack.iter().any(|p| p.screen == Screen::MyHealth)
    }

    /// Nobody pressed anything for [`crate::domain::privacy::IDLE_CLOSE`]: My health closes and
    /// its PIN guards it again. Anything else stays as it is.
    pub fn idle_timeout(&mut self) -> Outcome {
        if !self.health_open_under_pin() || self.standby {
            return Outcome::ignored();
        }
        self.stack.truncate(1);
        self.show_notice(NoticeKind::HealthClosed)
    }

    pub(super) fn open_pin_pad(&mut self, purpose: PinPurpose) -> Outcome {
        let mut pad = PinPad::new(purpose);
        if self.pin_locked && matches!(purpose, PinPurpose::Unlock | PinPurpose::Remove) {
            pad.message = PinMessage::LockedOut;
        }
        self.pin_pad = Some(pad);
        self.stack.push(Place {
            screen: Screen::Pin,
            focus: 0,
        });
        Outcome::handled()
    }

    /// A digit on the pad. Four digits decide: open My health, ask for the new PIN again, set
    /// it, or remove it; a wrong PIN says how many tries are left, and the last one locks the
    /// pad for a while.
    pub(super) fn pin_digit(&mut self, digit: u8) -> Outcome {
        let Some(mut pad) = self.pin_pad else {
            return Outcome::ignored();
        };
        let checks = matches!(pad.purpose, PinPurpose::Unlock | PinPurpose::Remove);
        if checks && self.pin_locked {
            // The pad says it is locked and for how long; a digit changes nothing.
            return Outcome::ignored();
        }
        pad.message = PinMessage::None;
        let Some(pin) = pad.push(digit) else {
            self.pin_pad = Some(pad);
            return Outcome::handled();
        };
        let right = |shell: &Shell| {
            shell
                .settings
                .privacy_pin
                .is_some_and(|h| h.matches(&shell.pin_key, &pin))
        };
        let mut outcome = Outcome::handled();
        match pad.purpose {
            PinPurpose::Unlock | PinPurpose::Remove if right(self) => {
                self.pin_failures = 0;
                self.pin_pad = None;
                self.stack.pop();
                if pad.purpose == PinPurpose::Unlock {
                    self.stack.push(Place {
                        screen: Screen::MyHealth,
                        focus: 0,
                    });
                    return outcome;
                }
                self.settings.privacy_pin = None;
                return self.show_notice(NoticeKind::PinRemoved).and(Effect::Save);
            }
            PinPurpose::Unlock | PinPurpose::Remove => {
                self.pin_failures += 1;
                if self.pin_failures >= MAX_TRIES {
                    self.pin_locked = true;
                    pad.message = PinMessage::LockedOut;
                    outcome = outcome.and(Effect::Start(Timeout::PinLockout));
                } else {
                    pad.message = PinMessage::Wrong {
                        tries_left: MAX_TRIES - self.pin_failures,
                    };
                }
            }
            PinPurpose::Choose => pad = PinPad::new(PinPurpose::Confirm(pin)),
            PinPurpose::Confirm(first) if first == pin => {
                self.settings.privacy_pin = Some(PinHash::new(&self.pin_key, &pin));
                self.pin_pad = None;
                self.stack.pop();
                return self.show_notice(NoticeKind::PinSet).and(Effect::Save);
            }
            PinPurpose::Confirm(_) => {
                pad = PinPad::new(PinPurpose::Choose);
                pad.message = PinMessage::Mismatch;
            }
        }
        self.pin_pad = Some(pad);
        outcome
    }
}
