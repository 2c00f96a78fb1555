//! Clinician mode in the shell: a badge opens the staff PIN pad over whatever the patient was
//! doing; a verdict opens the clinician screens; the session's end takes every staff screen
//! away and leaves the patient's screen exactly as it was. The rules themselves (lockouts, idle,
//! endings) are `domain::session`'s.

use jiff::Timestamp;

use super::*;
use crate::domain::session::badge::BadgeKey;
use crate::domain::session::staff::{Ended, Stage, Step, Verdict};
use crate::domain::session::{Access, Staff};

/// The clinician home's rows, top to bottom ([`Shell::clinician_rows`]: which of them this
/// member of staff has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClinicianRow {
    /// The patient at a glance, for staff (record access only).
    PatientSummary,
    /// My health, shown to the patient full screen in a "Shown by" frame (record access only).
    ShowMyHealth,
    /// My health beside the call picture, and the same view on the far end's page (record
    /// access, in a call only).
    ShareInCall,
    /// The patient's settings (text size, contrast, captions, language, privacy PIN).
    PatientSettings,
    /// Limits for this patient: maximum volume, quiet hours; and clearing a forgotten privacy
    /// PIN.
    Limits,
    /// Family and caregivers who may call the bed as family (record access only).
    Family,
    /// Learn for staff: what the patient was assigned, how far they are, their teach-back
    /// answers; assign from the catalogue, take back (record access only).
    Learning,
    /// "Test camera and sound" before a video visit (only where calls are set up; not in a
    /// call).
    CallTest,
    SignOut,
}

impl ClinicianRow {
    /// Staff who may open the patient's record.
    pub const RECORD: [ClinicianRow; 8] = [
        ClinicianRow::PatientSummary,
        ClinicianRow::ShowMyHealth,
        ClinicianRow::Learning,
        ClinicianRow::PatientSettings,
        ClinicianRow::Limits,
        ClinicianRow::Family,
        ClinicianRow::CallTest,
        ClinicianRow::SignOut,
    ];
    /// Staff who may open the record, while a call is on.
    pub const RECORD_IN_CALL: [ClinicianRow; 8] = [
        ClinicianRow::PatientSummary,
        ClinicianRow::ShowMyHealth,
        ClinicianRow::ShareInCall,
        ClinicianRow::Learning,
        ClinicianRow::PatientSettings,
        ClinicianRow::Limits,
        ClinicianRow::Family,
        ClinicianRow::SignOut,
    ];
    /// Anyone else with a valid badge: the TV's settings for the patient, nothing of the record.
    pub const DEVICE: [ClinicianRow; 4] = [
        ClinicianRow::PatientSettings,
        ClinicianRow::Limits,
        ClinicianRow::CallTest,
        ClinicianRow::SignOut,
    ];
}

impl Shell {
    /// Staff sign-in is set up on this box (a staff directory is configured).
    pub fn set_staff_configured(&mut self, configured: bool) {
        self.staff_configured = configured;
    }

    /// Staff may sign in by typing their staff number on the remote (a box without a badge
    /// reader): on Settings, a digit starts it.
    pub fn set_staff_by_number(&mut self, on: bool) {
        self.staff_by_number = on;
    }

    /// The staff number being typed.
    pub fn staff_number(&self) -> &crate::domain::session::badge::StaffNumber {
        &self.staff_number
    }

    /// Whether a digit on Settings starts staff sign-in by number here and now.
    pub(super) fn staff_number_starts(&self) -> bool {
        self.staff_by_number && self.staff_configured && self.staff.stage() == &Stage::Closed
    }

    /// The staff number screen was left alone: it closes.
    pub(super) fn staff_number_timeout(&mut self) -> Outcome {
        if self.screen() != Screen::StaffNumber {
            return Outcome::ignored();
        }
        self.leave_staff_number();
        Outcome::handled()
    }

    fn leave_staff_number(&mut self) {
        self.staff_number = Default::default();
        self.stack.retain(|p| p.screen != Screen::StaffNumber);
    }

    /// The time now, for the staff rules (lockouts and idle); the controller sets it before each
    /// change.
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// The lockouts the store kept from before a restart.
    pub fn restore_lockouts(&mut self, kept: crate::domain::session::lockout::Lockouts) -> Outcome {
        self.staff.restore_lockouts(kept, self.now);
        Outcome::handled()
    }

    /// Where staff sign-in is (the pad's message, the open session).
    pub fn staff(&self) -> &crate::domain::session::staff::SignIn {
        &self.staff
    }

    /// The clinician home's rows for whoever is signed in (none without a session). "Test
    /// camera and sound" only where calls are set up and none rings or is on.
    pub fn clinician_rows(&self) -> Vec<ClinicianRow> {
        let all: &[ClinicianRow] = match self.staff.session() {
            Some(s) if s.staff.access == Access::Record && self.call.live => {
                &ClinicianRow::RECORD_IN_CALL
            }
            Some(s) if s.staff.access == Access::Record => &ClinicianRow::RECORD,
            Some(_) => &ClinicianRow::DEVICE,
            None => &[],
        };
        all.iter()
            .copied()
            .filter(|r| *r != ClinicianRow::CallTest || self.call.may_dial())
            .collect()
    }

    /// The signed-in member of staff may open the patient's record.
    pub fn may_open_record(&self) -> bool {
        self.staff
            .session()
            .is_some_and(|s| s.staff.access == Access::Record)
    }

    /// Where the clinician home is in the stack, while a session is open.
    fn clinician_at(&self) -> Option<usize> {
        self.stack
            .iter()
            .position(|p| p.screen == Screen::Clinician)
    }

    /// A member of staff opened one of the patient's screens for them from the clinician home
    /// (My health, shown full screen in a "Shown by" frame): the screen on top is that, or
    /// one opened from it.
    pub fn presenting(&self) -> bool {
        self.clinician_at()
            .and_then(|i| self.stack.get(i + 1))
            .is_some_and(|p| p.screen == Screen::MyHealth)
    }

    /// The family and caregivers the record names, by key, in the order the family screen
    /// lists them.
    pub fn set_family(&mut self, keys: Vec<String>) {
        self.family = keys;
        self.clamp_focus();
    }

    /// Whether the record's `n`-th family member may call as family (staff did not set them
    /// as not allowed).
    pub fn family_allowed(&self, key: &str) -> bool {
        let tag = self.pin_key.tag(key);
        !self.settings.family_blocked.contains(&tag)
    }

    /// Where the clinician home is in the stack and the row focused on it.
    pub(super) fn clinician_row_focused(&self) -> Option<(usize, ClinicianRow)> {
        let at = self.clinician_at()?;
        let row = self.clinician_rows().get(self.stack[at].focus).copied()?;
        Some((at, row))
    }

    /// A call is on and staff are at the bedside (the PIN pad, or a session): the staff
    /// screens take the keys and sit beside the call picture.
    pub fn call_beside(&self) -> bool {
        self.call.stage == CallStage::InCall && self.staff.stage() != &Stage::Closed
    }

    /// What is on screen is shown to the far end of the call too: My health (or a screen
    /// opened from it), opened with "Share in the call", in a call.
    pub fn sharing(&self) -> bool {
        self.share_chosen && self.presenting() && self.call.stage == CallStage::InCall
    }

    /// A staff badge was read (its key only: the number itself never reaches the shell). The
    /// screen wakes (nurses come at night); without staff sign-in set up, a notice says so.
    pub fn badge_read(&mut self, badge: Option<BadgeKey>) -> Outcome {
        self.standby = false;
        let Some(badge) = badge.filter(|_| self.staff_configured) else {
            return self.show_notice(NoticeKind::BadgeRead);
        };
        let before = self.staff_now();
        let step = self.staff.badge(badge, self.now);
        let outcome = self.staff_step(step, before);
        self.after_staff(outcome.and_handled())
    }

    /// The directory's (or the offline check's) verdict on the PIN sent with
    /// [`Effect::CheckStaff`].
    pub fn staff_checked(&mut self, badge: BadgeKey, verdict: Verdict) -> Outcome {
        // A failure is the checked badge's, whatever is on the pad now.
        let before = (self.staff_now().0, Some(badge));
        let step = self.staff.checked(badge, verdict, self.now);
        let outcome = self.staff_step(step, before);
        self.after_staff(outcome)
    }

    /// Keys on the staff screens, and any key while a session is open (it keeps the session
    /// alive). `None`: the key means what it always does.
    pub(super) fn staff_press(&mut self, button: Button) -> Option<Outcome> {
        self.staff.pressed(self.now);
        match (self.screen(), button) {
            (Screen::StaffPin, Button::Digit(d)) => {
                let typed = self.staff.digit(d.value(), self.now);
                Some(self.after_staff(Outcome::handled_if(typed)))
            }
            (Screen::StaffPin, Button::Left) => {
                let taken = self.staff.delete(self.now);
                Some(Outcome::handled_if(taken))
            }
            (Screen::StaffPin, Button::Ok) => match self.staff.submit(self.now) {
                Step::Check { badge, pin } => Some(
                    Outcome::with(Effect::CheckStaff { badge, pin })
                        .and(Effect::Stop(Timeout::Staff(std::time::Duration::ZERO))),
                ),
                _ => Some(Outcome::ignored()),
            },
            (Screen::StaffPin, Button::Back | Button::Home) => {
                self.staff.cancel();
                Some(self.after_staff(Outcome::handled()))
            }
            // A box without a badge reader: digits on Settings start staff sign-in by number.
            (Screen::Settings, Button::Digit(d)) if self.staff_number_starts() => {
                self.staff_number = Default::default();
                self.staff_number.push(d.value());
                self.stack.push(Place {
                    screen: Screen::StaffNumber,
                    focus: 0,
                });
                Some(Outcome::with(Effect::Start(Timeout::StaffNumberIdle)))
            }
            (Screen::StaffNumber, Button::Digit(d)) => {
                let typed = self.staff_number.push(d.value());
                Some(Outcome::handled_if(typed).and(Effect::Start(Timeout::StaffNumberIdle)))
            }
            (Screen::StaffNumber, Button::Left) => {
                let taken = self.staff_number.pop();
                Some(Outcome::handled_if(taken).and(Effect::Start(Timeout::StaffNumberIdle)))
            }
            (Screen::StaffNumber, Button::Back | Button::Home) => {
                self.leave_staff_number();
                if button == Button::Home {
                    self.stack.truncate(1);
                }
                Some(Outcome::with(Effect::Stop(Timeout::StaffNumberIdle)))
            }
            (Screen::StaffNumber, Button::Ok) if self.staff_number.complete() => {
                let number = std::mem::take(&mut self.staff_number);
                self.leave_staff_number();
                Some(
                    Outcome::with(Effect::StaffNumber(number))
                        .and(Effect::Stop(Timeout::StaffNumberIdle)),
                )
            }
            (Screen::StaffNumber, Button::Ok) => Some(Outcome::ignored()),
            (Screen::StaffLimits, Button::Left | Button::Right | Button::Ok) => {
                Some(self.limits_press(button))
            }
            // OK on a person of the family list: allowed to call as family, or not.
            (Screen::StaffFamily, Button::Ok) if self.may_open_record() => {
                let key = self.family.get(self.focus())?.clone();
                let tag = self.pin_key.tag(&key);
                let blocked = &mut self.settings.family_blocked;
                let what = match blocked.iter().position(|t| *t == tag) {
                    Some(i) => {
                        blocked.remove(i);
                        Audited::FamilyAllowed
                    }
                    None => {
                        blocked.push(tag);
                        Audited::FamilyBlocked
                    }
                };
                let mut audit = self.audit(what);
                if let Effect::Audit(a) = &mut audit {
                    a.about = Some(key);
                }
                Some(Outcome::with(Effect::Save).and(audit))
            }
            // Right on a person: an invitation code for them to call (again: it ends).
            (Screen::StaffFamily, Button::Right) if self.may_open_record() => {
                let focus = self.focus();
                let key = self.family.get(focus)?.clone();
                // Someone not allowed to call is not invited (allow them first).
                if !self.family_allowed(&key) {
                    return Some(Outcome::ignored());
                }
                let mut audit = self.audit(Audited::FamilyInvited);
                if let Effect::Audit(a) = &mut audit {
                    a.about = Some(key);
                }
                Some(Outcome::with(Effect::Call(CallRequest::Invite(focus))).and(audit))
            }
            (Screen::Clinician, Button::Ok) => {
                let row = self.clinician_rows().get(self.focus()).copied()?;
                Some(self.clinician_ok(row))
            }
            (
                Screen::StaffLearning | Screen::StaffCatalogue | Screen::StaffLearnItem,
                Button::Ok,
            ) if self.may_open_record() => Some(self.staff_learning_ok()),
            // Home from anything opened from the clinician home goes back to it (Back steps
            // back one screen as everywhere).
            (screen, Button::Home)
                if screen != Screen::Clinician
                    && self
                        .clinician_at()
                        .is_some_and(|i| i + 1 < self.stack.len()) =>
            {
                let at = self.clinician_at()?;
                self.stack.truncate(at + 1);
                Some(Outcome::handled())
            }
            // Back or Home from the clinician home signs out: nothing staff-only stays open
            // behind the patient's screen.
            (Screen::Clinician, Button::Back | Button::Home) => {
                Some(self.end_staff(Ended::SignedOut))
            }
            _ => None,
        }
    }

    /// Left, Right or OK on the limits screen: a limit steps (OK and Right forward), OK on the
    /// privacy PIN clears it.
    fn limits_press(&mut self, button: Button) -> Outcome {
        use crate::domain::settings::LimitRow;
        match (LimitRow::ALL[self.focus()], button) {
            // Clearing the PIN opens My health to whoever comes next: record access only.
            (LimitRow::PrivacyPin, Button::Ok) if self.pin_set() && self.may_open_record() => {
                self.settings.privacy_pin = None;
                self.show_notice(NoticeKind::PinRemoved)
                    .and(Effect::Save)
                    .and(self.audit(Audited::PrivacyPinCleared))
            }
            (LimitRow::PrivacyPin, _) => Outcome::ignored(),
            (row, _) => {
                if !self.settings.step_limit(row, button != Button::Left) {
                    return Outcome::ignored();
                }
                // The volume comes down to the new limits when the screen is left (see
                // `after_staff`), not at every step on the way to the chosen one.
                Outcome::with(Effect::Save).and(self.audit(Audited::SettingChanged))
            }
        }
    }

    /// OK on a row of the clinician home.
    fn clinician_ok(&mut self, row: ClinicianRow) -> Outcome {
        let open = |shell: &mut Shell, screen| {
            shell.stack.push(Place { screen, focus: 0 });
        };
        match row {
            ClinicianRow::PatientSummary => {
                open(self, Screen::StaffSummary);
                Outcome::with(self.audit(Audited::SummaryViewed))
            }
            ClinicianRow::ShowMyHealth => {
                self.share_chosen = false;
                open(self, Screen::MyHealth);
                Outcome::with(self.audit(Audited::Presented))
            }
            ClinicianRow::ShareInCall => {
                self.share_chosen = true;
                open(self, Screen::MyHealth);
                Outcome::with(self.audit(Audited::Shared))
            }
            ClinicianRow::PatientSettings => {
                open(self, Screen::Settings);
                Outcome::handled()
            }
            ClinicianRow::Limits => {
                open(self, Screen::StaffLimits);
                Outcome::handled()
            }
            ClinicianRow::Family => {
                open(self, Screen::StaffFamily);
                Outcome::with(self.audit(Audited::FamilyViewed))
            }
            ClinicianRow::Learning => {
                open(self, Screen::StaffLearning);
                Outcome::with(self.audit(Audited::LearningViewed))
            }
            ClinicianRow::CallTest => self.open_call_test(),
            ClinicianRow::SignOut => self.end_staff(Ended::SignedOut),
        }
    }

    /// The session ends for `why`.
    pub(super) fn end_staff(&mut self, why: Ended) -> Outcome {
        let before = self.staff_now();
        let step = self.staff.end(why);
        if why == Ended::Discharge || why == Ended::Power {
            // The pad goes too: nothing staff-only stays behind a dark screen or a new patient.
            self.staff.cancel();
        }
        let outcome = self.staff_step(step, before);
        self.after_staff(outcome.and_handled())
    }

    /// Who is signed in, and with which badge (or which badge is on the pad), before a step
    /// changes it: a session's end is audited as theirs.
    fn staff_now(&self) -> (Option<Staff>, Option<BadgeKey>) {
        match self.staff.stage() {
            Stage::Open(s) => (Some(s.staff.clone()), Some(s.badge)),
            Stage::Pin { badge, .. } | Stage::Checking { badge } => (None, Some(*badge)),
            Stage::Closed => (None, None),
        }
    }

    /// An audit entry for something the signed-in member of staff did.
    pub(super) fn audit(&self, what: Audited) -> Effect {
        let (by, badge) = self.staff_now();
        Effect::Audit(Audit {
            what,
            by,
            badge,
            with: None,
            about: None,
        })
    }

    /// What a step of the sign-in asks for (the screens follow the stage in `after_staff`).
    /// `before`: [`Self::staff_now`] before the step.
    fn staff_step(&self, step: Step, before: (Option<Staff>, Option<BadgeKey>)) -> Outcome {
        let (by, badge) = before;
        let audit = |what| {
            Outcome::with(Effect::Audit(Audit {
                what,
                by,
                badge,
                with: None,
                about: None,
            }))
        };
        match step {
            Step::Nothing | Step::Check { .. } | Step::Warn => Outcome::handled(),
            Step::Opened => Outcome::with(self.audit(Audited::SignedIn)),
            Step::Failed { locked } => audit(if locked.is_some() {
                Audited::LockedOut
            } else {
                Audited::SignInFailed
            }),
            Step::Ended(why) => audit(Audited::SignedOut(why)),
        }
    }

    /// After any change to the sign-in: the staff screen follows the stage, and the stage's
    /// next deadline is the staff timer (or there is none).
    pub(super) fn after_staff(&mut self, outcome: Outcome) -> Outcome {
        self.follow_staff_stage();
        if self.screen() != Screen::StaffLimits {
            self.volume = self.volume.min(self.volume_cap());
        }
        let outcome = match self.staff.next_deadline() {
            Some(at) => {
                let wait = at.duration_since(self.now).unsigned_abs();
                outcome.and(Effect::Start(Timeout::Staff(wait)))
            }
            None => outcome.and(Effect::Stop(Timeout::Staff(std::time::Duration::ZERO))),
        };
        // My health left open under the patient's PIN waits for its idle close while no staff
        // session is open (a session has its own idle end).
        outcome.and(if self.health_open_under_pin() {
            Effect::Start(Timeout::HealthIdle)
        } else {
            Effect::Stop(Timeout::HealthIdle)
        })
    }

    /// The staff timer ran out: warn, or end an idle session, or close a forgotten pad.
    pub(super) fn staff_timeout(&mut self) -> Outcome {
        let before = self.staff_now();
        let step = self.staff.tick(self.now);
        let outcome = self.staff_step(step, before);
        self.after_staff(outcome.and_handled())
    }

    /// The staff screens follow the stage: the pad on top while a PIN is typed or checked;
    /// while a session is open, the clinician home with whatever was opened from it above; no
    /// staff screen (nor anything opened from one) once it is closed. Under them, the patient's
    /// screens as they were.
    fn follow_staff_stage(&mut self) {
        let open = matches!(self.staff.stage(), Stage::Open(_));
        let pad = matches!(
            self.staff.stage(),
            Stage::Pin { .. } | Stage::Checking { .. }
        );
        if pad && self.screen() == Screen::StaffPin {
            return;
        }
        self.stack.retain(|p| p.screen != Screen::StaffPin);
        match self.clinician_at() {
            Some(_) if open => {}
            // Home, at the bottom, is never a staff screen: the stack keeps it.
            Some(at) => self.stack.truncate(at),
            None if open => self.stack.push(Place {
                screen: Screen::Clinician,
                // The clinician home opens on Sign out, the row every visit ends with.
                focus: self.clinician_rows().len().saturating_sub(1),
            }),
            None => {}
        }
        if pad {
            self.stack.push(Place {
                screen: Screen::StaffPin,
                focus: 0,
            });
        }
    }
}

/// An entry in the audit trail (a FHIR AuditEvent through the outbox): what happened, and who.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    pub what: Audited,
    /// The member of staff it concerns, when known (a failed sign-in knows nobody yet).
    pub by: Option<Staff>,
    /// The badge's key (never its number), so repeated failures of one badge can be told apart
    /// from tries of many.
    pub badge: Option<BadgeKey>,
    /// Who else it was shown to: the far end of the call a view was shared in, as their call
    /// page names them (the controller fills it in; the shell does not know who is calling).
    pub with: Option<String>,
    /// Whom it concerns besides the patient: a family member allowed or not allowed to call
    /// (`RelatedPerson/<id>`, or `contact:<name>` for a Patient.contact).
    pub about: Option<String>,
}

/// What an audit event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audited {
    SignedIn,
    SignInFailed,
    LockedOut,
    SignedOut(Ended),
    PrivacyPinCleared,
    /// The patient summary was opened (the record viewed by staff).
    SummaryViewed,
    /// My health was shown to the patient by staff.
    Presented,
    /// One of the patient's settings was changed by staff.
    SettingChanged,
    /// My health was shared with the far end of a call by staff.
    Shared,
    /// The family list was opened by staff (it names the patient's family).
    FamilyViewed,
    /// Someone on the family list was set as allowed to call as family again.
    FamilyAllowed,
    /// Someone on the family list was set as not allowed to call as family.
    FamilyBlocked,
    /// An invitation to call was asked for someone on the family list, or ended.
    FamilyInvited,
    /// Learn's staff screen was opened (it lists what the patient is learning, and answers).
    LearningViewed,
    /// Something was assigned to the patient to learn.
    LearningAssigned,
    /// An assignment was taken back.
    LearningUnassigned,
}
