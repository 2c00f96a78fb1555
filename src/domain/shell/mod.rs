//! The appliance shell: which screen is showing, where the focus is, standby, sound and the
//! short notices, driven by [`Button`] presses. Pure state: the UI controller shows it and
//! carries out what [`Outcome`] asks for (persisting settings, timing out a notice).
//!
//! The rules a patient relies on live here and are tested here: focus always sits on something
//! that exists on the current screen, Home returns Home from anywhere, Back goes one step back and
//! never leaves the appliance, and in standby only Power does anything.

use super::button::Button;
use super::privacy::{MAX_TRIES, PinHash, PinKey, PinMessage, PinPad, PinPurpose};
use super::record::Section;
use super::settings::{Change, SettingRow, Settings};
use super::tv::Entry;
use super::watch::{HubRow, JUMP, Media, Opened, SKIP, Watch};

mod call_keys;
mod effect;
mod health_keys;
mod hints;
mod learn_keys;
mod pin;
mod staff_keys;
#[cfg(test)]
mod tests;
mod watch_keys;

use call_keys::CallButtons;
pub use call_keys::{CALL_GUIDE_PAGES, CallControl, CallRequest, CallRow, CallStage};
pub use effect::{Effect, NOTICE_TIME, Outcome, Timeout};
pub use hints::{BackHint, DigitsHint, Hints, OkHint};
pub use learn_keys::{LearnRow, leaflet_of, review_page};
pub use staff_keys::{Audit, Audited, ClinicianRow};

/// Every screen the shell can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Screen {
    Home,
    Watch,
    Learn,
    MyHealth,
    Call,
    Ask,
    Settings,
    /// One section of My health: a list of rows.
    Record(Section),
    /// One row of Test results or Vital signs in full: its values over time. The focus is the
    /// row's index in the section, so Up and Down step through the tests.
    Trend(Section),
    /// The digit pad of the privacy PIN (what it is for is in [`Shell::pin_pad`]).
    Pin,
    /// Live TV, full screen.
    Tv,
    /// The programme guide: channels down, half hours across.
    Guide,
    /// The films, as a wall of posters.
    Films,
    /// Relaxation videos and channels.
    Relax,
    /// A film or a relaxation video, full screen.
    Player,
    /// The staff PIN pad, after a badge read (over whatever the patient was doing).
    StaffPin,
    /// The clinician home: what signed-in staff can do here.
    Clinician,
    /// The patient at a glance, for staff: who, allergies, problems, today, vitals, flagged
    /// results, what is not delivered yet.
    StaffSummary,
    /// A staff number typed on the remote (boxes without a badge reader), before the PIN pad.
    StaffNumber,
    /// Limits staff set for this patient: maximum volume, quiet hours; clearing the PIN.
    StaffLimits,
    /// Family and caregivers the record names: who may call the bed as family.
    StaffFamily,
    /// A page of an assignment's material (Learn).
    LearnPage,
    /// A teach-back question.
    LearnQuestion,
    /// An assignment finished.
    LearnDone,
    /// An assignment's video, full screen.
    LearnVideo,
    /// Learn for staff: "Assign something", then what the patient was assigned.
    StaffLearning,
    /// The hospital's catalogue, to assign from.
    StaffCatalogue,
    /// One assignment for staff: progress and teach-back answers; take it back.
    StaffLearnItem,
    /// "Test my camera and sound" (from Call, or from the clinician home): the patient's own
    /// picture, the microphone's meter, a test tone, the call service checked, one result.
    CallTest,
    /// "How video calls work": a few pages, shown the first time Call opens in a stay and
    /// from Call's last row.
    CallGuide,
}

impl Screen {
    /// The screens of Watch, where the player may be playing.
    pub fn is_watch(self) -> bool {
        matches!(
            self,
            Screen::Watch
                | Screen::Tv
                | Screen::Guide
                | Screen::Films
                | Screen::Relax
                | Screen::Player
        )
    }
}

impl Screen {
    /// Home's tiles in reading order: three across, two down. The focus index on Home is the
    /// index into this array, and `ui/screens/home.slint` lays the tiles out in the same order.
    pub const HOME_TILES: [Screen; 6] = [
        Screen::Watch,
        Screen::Learn,
        Screen::MyHealth,
        Screen::Call,
        Screen::Ask,
        Screen::Settings,
    ];
    const HOME_COLUMNS: usize = 3;

    pub const ALL: [Screen; 7] = [
        Screen::Home,
        Screen::Watch,
        Screen::Learn,
        Screen::MyHealth,
        Screen::Call,
        Screen::Ask,
        Screen::Settings,
    ];
}

/// The arrangement of a screen's focusable items, indexed from 0 in reading order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Rows of `columns` items; the last row may be short.
    Grid { columns: usize, count: usize },
    /// One item per row. Left and Right do not move the focus (rows use them to change values).
    Column { count: usize },
}

impl Layout {
    pub fn count(self) -> usize {
        match self {
            Layout::Grid { count, .. } | Layout::Column { count } => count,
        }
    }

    /// Where an arrow takes the focus. At an edge the focus stays: wrapping around surprises
    /// people who cannot see the whole screen at once.
    pub fn step(self, focus: usize, arrow: Button) -> usize {
        match self {
            Layout::Grid { columns, count } => {
                let col = focus % columns;
                match arrow {
                    Button::Left if col > 0 => focus - 1,
                    Button::Right if col + 1 < columns && focus + 1 < count => focus + 1,
                    Button::Up if focus >= columns => focus - columns,
                    Button::Down if focus + columns < count => focus + columns,
                    // Down from a full row onto a short last row lands on its last item.
                    Button::Down if (focus / columns + 1) * columns < count => count - 1,
                    _ => focus,
                }
            }
            Layout::Column { count } => match arrow {
                Button::Up if focus > 0 => focus - 1,
                Button::Down if focus + 1 < count => focus + 1,
                _ => focus,
            },
        }
    }
}

/// Posters across on Films, and tiles across on Relax (the screens lay them out the same way).
pub const FILM_COLUMNS: usize = 5;
pub const RELAX_COLUMNS: usize = 3;

/// A short message shown over the current screen for a few seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// The nurse-call button was pressed: the TV cannot place the call, the bed's own button can.
    NurseCallUnavailable,
    /// The language row was changed but only one language is installed.
    OneLanguage,
    /// A badge was read. Clinician sign-in comes with the session layer; until then the read is
    /// acknowledged and nothing else happens.
    BadgeRead,
    /// The privacy PIN was set: My health will ask for it.
    PinSet,
    /// The privacy PIN was removed.
    PinRemoved,
    /// My health closed itself after two minutes without a press (the PIN guards it again).
    HealthClosed,
    /// A channel number was typed that no channel has (the number is in
    /// [`Watch::missing_channel`]).
    NoSuchChannel,
    /// The volume is at the most allowed here (the ward's maximum, or quiet hours).
    VolumeCapped,
    /// Live TV was asked for (a channel number, Live TV or the guide) and there are no channels:
    /// not set up, still loading, or the head-end cannot be reached (the screen says which).
    NoChannels,
    /// Something the care team assigned in Learn is past its due time (a gentle reminder on
    /// Home: see [`Shell::remind_learning`]).
    LearnDue,
}

/// A notice and its sequence number, so a timer set for an old notice never hides a newer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    screen: Screen,
    focus: usize,
}

pub const MAX_VOLUME: u8 = 100;
/// The volume in quiet hours when the ward's config does not say.
pub const DEFAULT_QUIET_VOLUME: u8 = 30;
const START_VOLUME: u8 = 20;

/// The state of the shell.
#[derive(Clone, Debug)]
pub struct Shell {
    /// Never empty; the bottom is always Home.
    stack: Vec<Place>,
    standby: bool,
    settings: Settings,
    muted: bool,
    volume: u8,
    notice: Option<Notice>,
    notice_seq: u64,
    /// Rows in each My health section, in `Section::ALL` order.
    record_counts: [usize; 8],
    /// The patient's name and record are hidden (Privacy), until Privacy is pressed again.
    private: bool,
    /// The secret the privacy PIN is hashed under.
    pin_key: PinKey,
    /// The digit pad, while its screen is open.
    pin_pad: Option<PinPad>,
    /// Wrong PINs in a row, and whether the pad is locked for a while after too many.
    pin_failures: u8,
    pin_locked: bool,
    /// Watch: live TV, films, relaxation.
    watch: Watch,
    call: CallButtons,
    /// Clinician mode: the staff sign-in and session, whether it is set up, and the time the
    /// controller last gave (its rules count minutes).
    staff: crate::domain::session::staff::SignIn,
    staff_configured: bool,
    now: jiff::Timestamp,
    /// Staff may sign in with a number typed on the remote (Settings, then the digits), and
    /// the number being typed.
    staff_by_number: bool,
    staff_number: crate::domain::session::badge::StaffNumber,
    /// The local time of day (for the patient's own quiet hours) and the ward's quiet volume.
    local_time: Option<jiff::civil::Time>,
    quiet_volume: u8,
    /// My health was opened from the clinician home's "Share in the call" row (not "Show My
    /// health"): while it stays open in a call, the far end sees it too ([`Shell::sharing`]).
    share_chosen: bool,
    /// The family and caregivers the record names, by key (`domain::family::Member::key`), in
    /// the order the family screen lists them.
    family: Vec<String>,
    /// The caller ringing now, when they are on that list (by key): they can be blocked.
    caller_family: Option<String>,
    /// Learn: the assignments and where the patient is in them.
    learn: learn_keys::LearnRoom,
}

impl Shell {
    /// A shell whose PIN key lasts for this run only (the demo, tests).
    pub fn new(settings: Settings) -> Self {
        Shell::with_pin_key(settings, PinKey::random())
    }

    /// A shell that checks the privacy PIN in `settings` with `pin_key`.
    /// A shell starting from saved `settings` (what Watch remembered goes back into Watch).
    pub fn with_pin_key(mut settings: Settings, pin_key: PinKey) -> Self {
        let mut watch = Watch::default();
        watch.remember(std::mem::take(&mut settings.watch));
        let learn = learn_keys::LearnRoom::remembering(std::mem::take(&mut settings.learn_video));
        let volume = settings
            .volume
            .take()
            .map_or(START_VOLUME, |v| v.min(MAX_VOLUME));
        Shell {
            stack: vec![Place {
                screen: Screen::Home,
                focus: 0,
            }],
            standby: false,
            settings,
            muted: false,
            volume,
            notice: None,
            notice_seq: 0,
            record_counts: [0; 8],
            private: false,
            pin_key,
            pin_pad: None,
            pin_failures: 0,
            pin_locked: false,
            watch,
            call: CallButtons::default(),
            staff: Default::default(),
            staff_configured: false,
            now: jiff::Timestamp::UNIX_EPOCH,
            staff_by_number: false,
            staff_number: Default::default(),
            local_time: None,
            quiet_volume: DEFAULT_QUIET_VOLUME,
            share_chosen: false,
            family: Vec::new(),
            caller_family: None,
            learn,
        }
    }

    /// The screen under the current one.
    fn below(&self) -> Option<Screen> {
        self.stack
            .len()
            .checked_sub(2)
            .map(|i| self.stack[i].screen)
    }

    fn clamp_focus(&mut self) {
        for i in 0..self.stack.len() {
            let place = self.stack[i];
            let count = self.layout_of(place.screen).count();
            if place.focus >= count {
                self.stack[i].focus = count - 1;
            }
        }
    }

    /// The name and the record are hidden.
    pub fn private(&self) -> bool {
        self.private
    }

    /// How the focusable things of `screen` are arranged now: the one place a screen's layout
    /// is decided (a feature's screens ask their feature, whose counts change with its data).
    pub fn layout_of(&self, screen: Screen) -> Layout {
        match screen {
            Screen::Home => Layout::Grid {
                columns: Screen::HOME_COLUMNS,
                count: Screen::HOME_TILES.len(),
            },
            Screen::Settings => Layout::Column {
                count: SettingRow::ALL.len(),
            },
            Screen::MyHealth => Layout::Grid {
                columns: 2,
                count: Section::ALL.len(),
            },
            // An empty section still holds one thing: its "Nothing here yet".
            Screen::Record(section) | Screen::Trend(section) => Layout::Column {
                count: self.record_counts[section.index()].max(1),
            },
            Screen::Call => self.call_layout(),
            // One button: test again.
            Screen::CallTest => Layout::Column { count: 1 },
            // Its pages side by side: Left and Right turn them.
            Screen::CallGuide => Layout::Grid {
                columns: CALL_GUIDE_PAGES,
                count: CALL_GUIDE_PAGES,
            },
            Screen::Watch
            | Screen::Tv
            | Screen::Guide
            | Screen::Films
            | Screen::Relax
            | Screen::Player => self.watch_layout(screen),
            Screen::Learn
            | Screen::LearnPage
            | Screen::LearnQuestion
            | Screen::LearnDone
            | Screen::LearnVideo => self.learn_layout(screen),
            // Screens whose feature has not landed hold one button: back to Home.
            Screen::Ask => Layout::Column { count: 1 },
            // The pads take digits, not focus.
            Screen::Pin | Screen::StaffPin => Layout::Column { count: 1 },
            Screen::Clinician => Layout::Column {
                count: self.clinician_rows().len().max(1),
            },
            Screen::StaffSummary | Screen::StaffNumber => Layout::Column { count: 1 },
            Screen::StaffLimits => Layout::Column {
                count: crate::domain::settings::LimitRow::ALL.len(),
            },
            Screen::StaffFamily => Layout::Column {
                count: self.family.len().max(1),
            },
            Screen::StaffLearning | Screen::StaffCatalogue | Screen::StaffLearnItem => {
                self.staff_learning_layout(screen)
            }
        }
    }

    /// The current screen's layout.
    pub fn layout(&self) -> Layout {
        self.layout_of(self.screen())
    }

    /// New data for My health: the rows each section now has. A focus beyond a section that
    /// shrank moves to its last row.
    pub fn set_record_counts(&mut self, counts: [usize; 8]) {
        self.record_counts = counts;
        self.clamp_focus();
    }

    pub fn screen(&self) -> Screen {
        self.top().screen
    }

    pub fn focus(&self) -> usize {
        self.top().focus
    }

    pub fn standby(&self) -> bool {
        self.standby
    }

    /// The patient's settings (without what Watch remembers: see [`Self::saved`]).
    pub fn settings(&self) -> Settings {
        self.settings.clone()
    }

    /// Everything kept for the patient across a restart: the settings and what Watch remembers.
    pub fn saved(&self) -> Settings {
        Settings {
            watch: self.watch.remembered(),
            volume: Some(self.volume),
            learn_video: self.learn.remembered(),
            ..self.settings.clone()
        }
    }

    pub fn muted(&self) -> bool {
        self.muted
    }

    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// Sound is allowed out of the speakers: not muted and not in standby.
    pub fn audible(&self) -> bool {
        !self.muted && !self.standby
    }

    pub fn notice(&self) -> Option<Notice> {
        self.notice
    }

    /// How many screens deep the patient is (Home is 1).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    fn top(&self) -> &Place {
        self.stack.last().expect("the stack always holds Home")
    }

    fn top_mut(&mut self) -> &mut Place {
        self.stack.last_mut().expect("the stack always holds Home")
    }

    /// Hides the notice if it is still the one with this sequence number.
    pub fn expire_notice(&mut self, seq: u64) {
        if self.notice.is_some_and(|n| n.seq == seq) {
            self.notice = None;
        }
    }

    fn show_notice(&mut self, kind: NoticeKind) -> Outcome {
        self.notice_seq += 1;
        let notice = Notice {
            kind,
            seq: self.notice_seq,
        };
        self.notice = Some(notice);
        Outcome::with(Effect::Start(Timeout::Notice(notice)))
    }

    /// Applies one button press.
    pub fn press(&mut self, button: Button) -> Outcome {
        let mut outcome = self.press_any(button);
        if self.staff.stage() == &crate::domain::session::staff::Stage::Closed {
            // Any press while My health is open under a PIN starts its idle minutes again
            // (in staff mode `after_staff` says the same).
            return outcome.and(if self.health_open_under_pin() {
                Effect::Start(Timeout::HealthIdle)
            } else {
                Effect::Stop(Timeout::HealthIdle)
            });
        }
        if self.standby {
            // A dark screen ends staff mode (Power, or a call hung up by Power).
            let ended = self.end_staff(crate::domain::session::staff::Ended::Power);
            outcome.effects.extend(ended.effects);
            outcome
        } else {
            // Any press in staff mode starts its idle minutes again.
            self.after_staff(outcome)
        }
    }

    fn press_any(&mut self, button: Button) -> Outcome {
        if self.standby {
            // A dark room at night: only Power brings the picture back, so a remote knocked in
            // the bed does not light up the room.
            if button == Button::Power {
                self.standby = false;
                return Outcome::handled();
            }
            // Except a call for help: the screen lights to say how to get it.
            if button == Button::NurseCall {
                self.standby = false;
                return self.show_notice(NoticeKind::NurseCallUnavailable);
            }
            return Outcome::ignored();
        }
        // A notice has been read once the patient presses anything: it goes, and the press
        // does what it always does (a notice never costs an extra press).
        let dismissed = self.notice.take().is_some();
        let mut outcome = self.press_awake(button);
        outcome.handled |= dismissed;
        outcome
    }

    fn press_awake(&mut self, button: Button) -> Outcome {
        // A call first (it must be answerable whatever is on screen), then staff mode, then
        // the screen's feature, then the keys that mean the same everywhere. In a call with
        // staff at the bedside (the pad or the clinician screens beside the call picture),
        // the keys are the nurse's; Power still ends the call.
        if matches!(self.call.stage, CallStage::Ringing | CallStage::InCall)
            && (!self.call_beside() || button == Button::Power)
            && let Some(outcome) = self.call_press(button)
        {
            return outcome;
        }
        if let Some(outcome) = self.staff_press(button) {
            return outcome;
        }
        if self.screen().is_watch()
            && let Some(outcome) = self.watch_press(button)
        {
            return outcome;
        }
        if self.screen() == Screen::LearnVideo
            && let Some(outcome) = self.lesson_press(button)
        {
            return outcome;
        }
        match button {
            Button::Power => {
                self.standby = true;
                // A channel number half typed must not tune (and push live TV) in the dark.
                self.watch.tv.cancel_entry();
                Outcome::handled()
            }
            Button::Home => {
                self.leave_player();
                self.stack.truncate(1);
                self.learn_back(Screen::Home);
                self.pin_pad = None;
                self.watch.tv.cancel_entry();
                Outcome::handled()
            }
            Button::Back => {
                if self.stack.len() > 1 {
                    let left = self.stack.pop().expect("more than Home");
                    match left.screen {
                        Screen::Pin => self.pin_pad = None,
                        Screen::Player => self.watch.opened = None,
                        Screen::Tv => self.watch.tv.cancel_entry(),
                        // Back from a trend lands on the row it showed.
                        Screen::Trend(_) => self.top_mut().focus = left.focus,
                        Screen::LearnPage
                        | Screen::LearnQuestion
                        | Screen::LearnDone
                        | Screen::LearnVideo => self.learn_back(left.screen),
                        _ => {}
                    }
                    Outcome::handled()
                } else {
                    Outcome::ignored()
                }
            }
            Button::Digit(d) if self.screen() == Screen::Pin => self.pin_digit(d.value()),
            // A channel number from Home goes straight to that channel, as on any TV.
            Button::Digit(d) if self.screen() == Screen::Home => self.channel_digit(d.value()),
            Button::Left if self.screen() == Screen::Pin => {
                let taken = self.pin_pad.as_mut().is_some_and(PinPad::pop);
                Outcome::handled_if(taken)
            }
            Button::Mute => {
                self.muted = !self.muted;
                Outcome::handled()
            }
            Button::VolumeUp => {
                self.muted = false;
                let cap = self.volume_cap();
                if self.volume >= cap {
                    self.volume = cap;
                    return self.show_notice(NoticeKind::VolumeCapped);
                }
                self.volume += 1;
                Outcome::handled()
            }
            Button::VolumeDown => {
                self.muted = false;
                self.volume = self.volume.saturating_sub(1);
                Outcome::handled()
            }
            Button::Captions => {
                self.settings.step(SettingRow::Captions, true);
                Outcome::with(Effect::Save)
            }
            Button::NurseCall => self.show_notice(NoticeKind::NurseCallUnavailable),
            Button::Privacy => {
                self.private = !self.private;
                Outcome::handled()
            }
            arrow if arrow.is_arrow() => self.arrow(arrow),
            Button::Ok => self.activate(),
            _ => Outcome::ignored(),
        }
    }

    /// Another patient, or nobody, is in the bed now: the previous occupant's choices (text
    /// size, contrast, captions, volume) are forgotten and the screen starts over at Home. A
    /// dark screen stays dark: the new patient may be asleep.
    pub fn new_occupant(&mut self) -> Outcome {
        // Discharge ends a staff session: nothing of this patient stays open to anyone.
        let ended = self.end_staff(crate::domain::session::staff::Ended::Discharge);
        let fresh = Shell::with_pin_key(Settings::default(), self.pin_key.clone());
        // Every field is named here, so a new one cannot be reset or kept by accident: the
        // compiler asks which it is.
        let Shell {
            // The patient's: they start over.
            stack,
            settings,
            muted,
            volume,
            notice,
            private,
            pin_pad,
            pin_failures,
            pin_locked,
            // The bed's and the box's: they stay.
            standby: _,
            notice_seq: _,
            record_counts: _,
            pin_key: _,
            call: _,
            staff: _,
            staff_configured: _,
            now: _,
            staff_by_number: _,
            // The record's: the next patient's record brings its own.
            family: _,
            caller_family,
            // The assignments come with the record; what this patient did is forgotten below.
            learn: _,
            local_time: _,
            quiet_volume: _,
            // Nobody types a staff number across a discharge (the screen went with the stack).
            staff_number,
            // Nothing of the patient is shared on (the screen went with the stack).
            share_chosen,
            // Watch stays (the channels, the films) but forgets the patient's favourites and
            // places in films.
            watch,
        } = self;
        *stack = fresh.stack;
        *settings = fresh.settings;
        *muted = fresh.muted;
        *volume = fresh.volume;
        *notice = fresh.notice;
        *private = fresh.private;
        *pin_pad = fresh.pin_pad;
        *pin_failures = fresh.pin_failures;
        *pin_locked = fresh.pin_locked;
        *staff_number = fresh.staff_number;
        *share_chosen = fresh.share_chosen;
        *caller_family = fresh.caller_family;
        watch.forget_patient();
        self.forget_learning();
        let mut outcome = ended;
        outcome.effects.push(Effect::Save);
        outcome.and(Effect::Stop(Timeout::HealthIdle))
    }

    fn arrow(&mut self, arrow: Button) -> Outcome {
        let place = *self.top();
        if place.screen == Screen::Settings && matches!(arrow, Button::Left | Button::Right) {
            return self.change_setting(place.focus, arrow == Button::Right);
        }
        if let Some(outcome) = self.learn_arrow(place, arrow) {
            return outcome;
        }
        let next = self.layout_of(place.screen).step(place.focus, arrow);
        self.top_mut().focus = next;
        Outcome::handled_if(next != place.focus)
    }

    fn activate(&mut self) -> Outcome {
        let place = *self.top();
        match place.screen {
            Screen::Home => {
                let screen = Screen::HOME_TILES[place.focus];
                if screen == Screen::MyHealth && self.pin_set() {
                    return self.open_pin_pad(PinPurpose::Unlock);
                }
                if screen == Screen::Watch {
                    // The preview shows the channel on air, or the first.
                    self.watch.tv.current_or_first();
                }
                self.stack.push(Place { screen, focus: 0 });
                if screen == Screen::Call {
                    return self.first_call_guide();
                }
                Outcome::handled()
            }
            Screen::Settings => self.change_setting(place.focus, true),
            Screen::MyHealth | Screen::Record(_) | Screen::Trend(_) => self.health_ok(place),
            Screen::Call => self.call_ok(place),
            Screen::CallTest => Outcome::with(Effect::Call(CallRequest::Rehearse)),
            Screen::CallGuide => self.call_guide_ok(place),
            // The pads take digits; OK has nothing to do there (the staff screens take their
            // keys in staff_press).
            Screen::Pin
            | Screen::StaffPin
            | Screen::Clinician
            | Screen::StaffSummary
            | Screen::StaffNumber
            | Screen::StaffLimits
            | Screen::StaffFamily
            | Screen::StaffLearning
            | Screen::StaffCatalogue
            | Screen::StaffLearnItem => Outcome::ignored(),
            Screen::Learn
            | Screen::LearnPage
            | Screen::LearnQuestion
            | Screen::LearnDone
            | Screen::LearnVideo => self.learn_ok(place),
            // Its one button: back to Home.
            Screen::Ask => {
                self.stack.truncate(1);
                Outcome::handled()
            }
            Screen::Watch
            | Screen::Tv
            | Screen::Guide
            | Screen::Films
            | Screen::Relax
            | Screen::Player => self.watch_ok(place),
        }
    }

    fn change_setting(&mut self, row: usize, forward: bool) -> Outcome {
        match self.settings.step(SettingRow::ALL[row], forward) {
            // Changed by staff for the patient: in the audit trail.
            Change::Changed if self.staff.session().is_some() => {
                Outcome::with(Effect::Save).and(self.audit(Audited::SettingChanged))
            }
            Change::Changed => Outcome::with(Effect::Save),
            Change::OnlyChoice => self.show_notice(NoticeKind::OneLanguage),
            Change::Opens => self.open_pin_pad(if self.pin_set() {
                PinPurpose::Remove
            } else {
                PinPurpose::Choose
            }),
        }
    }
}
