//! Clinician mode's controller: turns a badge read into the badge's key for the shell, runs the
//! PIN check off the UI thread (the directory can take seconds), and shows the staff pad, the
//! clinician home and the staff frame through `StaffState`.

use slint::{ComponentHandle, Model};

use super::generated::{self as ui, MainWindow, StaffState};
use super::inbox::{Inbound, Inbox};
use crate::config;
use crate::domain::clock::ClockStyle;
use crate::domain::patient::Patient;
use crate::domain::plain::{self, Flag};
use crate::domain::record::{Record, Row, Section};
use crate::domain::session::Access;
use crate::domain::session::badge::{BadgeKey, BadgeSecret};
use crate::domain::session::lockout::Locked;
use crate::domain::session::pad::StaffPin;
use crate::domain::session::staff::{PadSays, Stage, Verdict};
use crate::domain::shell::{Audit, Audited, ClinicianRow, Shell};
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
    by_number: bool,
    /// The number of the badge being signed in with, until its PIN has been checked: the
    /// directory needs the number; nothing else keeps it.
    pending: Option<(BadgeKey, BadgeId)>,
    /// Who is in the bed, and how much of what they sent waits for the backend: the patient
    /// summary's first lines.
    patient: Option<Patient>,
    outbox_waiting: u64,
}

impl StaffController {
    /// Staff may type their staff number on the remote (no badge reader on this box).
    pub fn by_number(&self) -> bool {
        self.by_number
    }

    pub fn new(setup: Option<StaffSetup>, inbox: Inbox) -> StaffController {
        let secret = match &setup {
            Some(s) => BadgeSecret::derive(&s.secret),
            None => BadgeSecret::random(),
        };
        let by_number = setup.as_ref().is_some_and(|s| s.config.sign_in_by_number);
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
            by_number,
            keeper,
            pending: None,
            patient: None,
            outbox_waiting: 0,
        }
    }

    /// How to wake the sync loop once an audit event is in the outbox.
    pub fn set_wake(&self, wake: Box<dyn Fn() + Send>) {
        if let Some(k) = &self.keeper {
            k.set_wake(wake);
        }
    }

    /// Decides what a member of staff whose clinical role is not at this ward may open: the
    /// record if they are on the care team of the patient in the bed now, else device-level
    /// screens. The shell only ever sees `Record` or `DeviceOnly`.
    pub fn resolve(verdict: Verdict, record: &Record) -> Verdict {
        match verdict {
            Verdict::Accepted(mut staff) if staff.access == Access::CareTeam => {
                staff.access = if record.on_care_team(&staff.practitioner) {
                    Access::Record
                } else {
                    Access::DeviceOnly
                };
                Verdict::Accepted(staff)
            }
            other => other,
        }
    }

    /// Fills the limits screen: the patient's limits and the ward's they replace.
    pub fn show_limits(window: &MainWindow, shell: &Shell, tv: Option<&config::Tv>) {
        let g = window.global::<StaffState>();
        let settings = shell.settings();
        g.set_max_volume(settings.max_volume.map_or(-1, i32::from));
        g.set_quiet_from(settings.quiet_from.map_or(-1, i32::from));
        g.set_ward_max(tv.map_or(100, |tv| i32::from(tv.max_volume.0)));
        g.set_quiet_volume(tv.map_or(
            i32::from(crate::domain::shell::DEFAULT_QUIET_VOLUME),
            |tv| i32::from(tv.quiet_volume.0),
        ));
        let ward_quiet = tv
            .and_then(|tv| tv.quiet_hours.as_ref())
            .map(|q| {
                format!(
                    "{:02}:{:02}–{:02}:{:02}",
                    q.start.hour(),
                    q.start.minute(),
                    q.end.hour(),
                    q.end.minute()
                )
            })
            .unwrap_or_default();
        g.set_ward_quiet(ward_quiet.into());
    }

    /// The family screen: who the record names and whether each may call as family.
    pub fn show_family(
        window: &MainWindow,
        shell: &Shell,
        record: &Record,
        call: &super::call::CallController,
        style: crate::domain::clock::ClockStyle,
    ) {
        let today = jiff::Zoned::now().date();
        // Five at a time, the focused one among them.
        const SHOWN: usize = 5;
        let all = record.family();
        let first = shell
            .focus()
            .saturating_sub(SHOWN / 2)
            .min(all.len().saturating_sub(SHOWN));
        let rows: Vec<ui::FamilyPerson> = all
            .iter()
            .skip(first)
            .take(SHOWN)
            .map(|m| ui::FamilyPerson {
                name: m.name.as_str().into(),
                relationship: m.relationship.as_str().into(),
                allowed: shell.family_allowed(&m.key),
                invitation: invitation_shown(call, &m.key),
                ..invitation_detail(call.invited(&m.key), today, style)
            })
            .collect();
        let g = window.global::<StaffState>();
        g.set_family_first(first as i32);
        g.set_family_total(all.len() as i32);
        super::convert::set_list(&g.get_family(), &rows, |m| g.set_family(m));
    }

    /// Who is in the bed now (from sync), for the patient summary.
    pub fn set_patient(&mut self, patient: Option<Patient>, outbox_waiting: u64) {
        self.patient = patient;
        self.outbox_waiting = outbox_waiting;
    }

    /// Fills the patient summary: who, and a few rows of each part of the record (fewer in
    /// large text, so it still fits one screen), with how many more there are. Only called
    /// while the summary is on screen; the shell opens it only for staff with record access.
    pub fn show_summary(
        &self,
        window: &MainWindow,
        record: &Record,
        today_ahead: usize,
        now: &jiff::Zoned,
        style: ClockStyle,
        large: bool,
    ) {
        let g = window.global::<StaffState>();
        let shown = if large { 2 } else { 3 };
        g.set_patient_present(self.patient.is_some());
        let patient = self.patient.clone().unwrap_or_default();
        g.set_patient_name(patient.full_name.as_str().into());
        g.set_patient_born(
            patient
                .born
                .map(plain::long_date)
                .unwrap_or_default()
                .into(),
        );
        g.set_patient_age(
            patient
                .born
                .and_then(|b| now.date().since(b).ok())
                .and_then(|span| {
                    span.total((jiff::Unit::Year, now.date()))
                        .ok()
                        .map(|y| y.floor() as i32)
                })
                .unwrap_or(-1),
        );
        g.set_outbox_waiting(self.outbox_waiting as i32);
        let flagged: Vec<&Row> = record
            .rows(Section::Results)
            .iter()
            .filter(|r| matches!(r.flag, Flag::High | Flag::Low | Flag::Critical))
            .collect();
        let today =
            &record.rows(Section::Today)[..today_ahead.min(record.rows(Section::Today).len())];
        let parts: [Vec<&Row>; 6] = [
            record.rows(Section::Allergies).iter().collect(),
            record.rows(Section::Problems).iter().collect(),
            record.rows(Section::CareTeam).iter().collect(),
            today.iter().collect(),
            record.rows(Section::Vitals).iter().collect(),
            flagged,
        ];
        let model = |rows: &Vec<&Row>| {
            // Title, value or time, flag: no photos (the summary shows none; making them costs).
            let rows: Vec<ui::RecordRow> = rows
                .iter()
                .take(shown)
                .map(|r| ui::RecordRow {
                    title: r.title.as_str().into(),
                    value: r.value.as_str().into(),
                    when: r.when.text(now, style).into(),
                    flag: crate::ui::app::health::ui_flag(r.flag),
                    ..Default::default()
                })
                .collect();
            slint::ModelRc::from(std::rc::Rc::new(slint::VecModel::from(rows)))
        };
        g.set_allergies(model(&parts[0]));
        g.set_problems(model(&parts[1]));
        g.set_team(model(&parts[2]));
        g.set_today(model(&parts[3]));
        g.set_vitals(model(&parts[4]));
        g.set_flagged(model(&parts[5]));
        let more: Vec<i32> = parts
            .iter()
            .map(|p| p.len().saturating_sub(shown) as i32)
            .collect();
        g.set_more(slint::ModelRc::from(std::rc::Rc::new(
            slint::VecModel::from(more),
        )));
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
                g.set_device_only(s.staff.access != Access::Record);
                g.set_warning(s.warned());
            }
            None => {
                g.set_signed_in(false);
                g.set_name("".into());
                g.set_role("".into());
                g.set_warning(false);
                // Nothing of the summary stays behind a closed session, even unseen.
                if g.get_patient_present() {
                    g.set_patient_present(false);
                    g.set_patient_age(-1);
                    g.set_outbox_waiting(0);
                    g.set_more(slint::ModelRc::default());
                    let empty = || slint::ModelRc::<ui::RecordRow>::default();
                    g.set_patient_name("".into());
                    g.set_patient_born("".into());
                    g.set_allergies(empty());
                    g.set_problems(empty());
                    g.set_team(empty());
                    g.set_today(empty());
                    g.set_vitals(empty());
                    g.set_flagged(empty());
                }
                // Nor the family's names.
                if g.get_family().row_count() > 0 {
                    g.set_family(slint::ModelRc::default());
                }
            }
        }
        g.set_pin_set(shell.pin_set());
        g.set_presenting(shell.presenting());
        // Dots for all but the last two digits: enough to see a slip, not the number.
        let number = shell.staff_number().expose();
        let shown: String = number
            .chars()
            .enumerate()
            .map(|(i, c)| if i + 2 < number.len() { '•' } else { c })
            .collect();
        g.set_number(shown.into());
        // As many rows as fit (fewer in large text), the focused one among them.
        let all = shell.clinician_rows();
        let fit = if shell.settings().text_size == crate::domain::settings::TextSize::Large {
            5
        } else {
            6
        };
        let first = if shell.screen() == crate::domain::shell::Screen::Clinician {
            shell
                .focus()
                .saturating_sub(fit / 2)
                .min(all.len().saturating_sub(fit))
        } else {
            0
        };
        g.set_rows_first(first as i32);
        g.set_rows_total(all.len() as i32);
        let rows: Vec<ui::ClinicianItem> = all
            .iter()
            .skip(first)
            .take(fit)
            .map(|r| match r {
                ClinicianRow::PatientSummary => ui::ClinicianItem::Summary,
                ClinicianRow::ShowMyHealth => ui::ClinicianItem::ShowHealth,
                ClinicianRow::ShareInCall => ui::ClinicianItem::ShareCall,
                ClinicianRow::PatientSettings => ui::ClinicianItem::Settings,
                ClinicianRow::Limits => ui::ClinicianItem::Limits,
                ClinicianRow::Family => ui::ClinicianItem::Family,
                ClinicianRow::Learning => ui::ClinicianItem::Learning,
                ClinicianRow::CallTest => ui::ClinicianItem::CallTest,
                ClinicianRow::SignOut => ui::ClinicianItem::SignOut,
            })
            .collect();
        if g.get_rows().iter().ne(rows.iter().copied()) {
            g.set_rows(slint::ModelRc::from(std::rc::Rc::new(
                slint::VecModel::from(rows),
            )));
        }
    }
}

/// An invitation's code (in two groups of four, as it is read out) and when it ends.
fn invitation_detail(
    invited: Option<super::call::Invited>,
    today: jiff::civil::Date,
    style: crate::domain::clock::ClockStyle,
) -> ui::FamilyPerson {
    let Some(super::call::Invited::Issued(issued)) = invited else {
        return ui::FamilyPerson::default();
    };
    let code: String = issued
        .code
        .chars()
        .enumerate()
        .flat_map(|(i, c)| (i == 4).then_some(' ').into_iter().chain([c]))
        .collect();
    let ends = jiff::Timestamp::from_second(issued.expires)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::system()).datetime())
        .ok();
    ui::FamilyPerson {
        code: code.into(),
        until: ends
            .map(|e| crate::domain::clock::format_time(e.time(), style))
            .unwrap_or_default()
            .into(),
        until_later_day: ends.is_some_and(|e| e.date() > today),
        ..Default::default()
    }
}

/// What the family screen says of someone's invitation.
fn invitation_shown(call: &super::call::CallController, key: &str) -> ui::InvitationShown {
    use super::call::Invited;
    match call.invited(key) {
        _ if !call.can_invite() => ui::InvitationShown::Unavailable,
        None => ui::InvitationShown::None,
        Some(Invited::Asking) => ui::InvitationShown::Asking,
        Some(Invited::Issued(_)) => ui::InvitationShown::Issued,
        Some(Invited::Failed) => ui::InvitationShown::Failed,
        Some(Invited::Ending) => ui::InvitationShown::Ending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::session::testing::nurse;

    #[test]
    fn a_clinical_role_elsewhere_opens_the_record_only_of_a_patient_whose_team_it_is_on() {
        let mut record = Record::default();
        record.set_care_team(vec!["ana".into()]);
        let elsewhere = |practitioner: &str| {
            Verdict::Accepted(crate::domain::session::Staff {
                practitioner: practitioner.into(),
                access: Access::CareTeam,
                ..nurse()
            })
        };
        let access = |v: Verdict| match v {
            Verdict::Accepted(s) => s.access,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            access(StaffController::resolve(
                elsewhere("Practitioner/ana"),
                &record
            )),
            Access::Record
        );
        assert_eq!(
            access(StaffController::resolve(
                elsewhere("Practitioner/ben"),
                &record
            )),
            Access::DeviceOnly
        );
        // The ward's own staff and other verdicts pass as they are.
        assert_eq!(
            access(StaffController::resolve(
                Verdict::Accepted(nurse()),
                &Record::default()
            )),
            Access::Record
        );
        assert_eq!(
            StaffController::resolve(Verdict::WrongPin, &record),
            Verdict::WrongPin
        );
    }
}
