//! The shell controller: owns the [`Shell`] state, shows it through the `AppState` core and the
//! features' globals (`HeaderState`, `HealthState`, `PinState`, `SettingsState`) and `Theme`,
//! and is the one dispatch path every button takes, whether it came from a remote, the
//! keyboard, or `bedside snapshot --keys`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::DateTime;
use slint::{ComponentHandle, Model, ModelRc, PlatformError, VecModel};

use super::call::CallController;
use super::generated::{
    self as ui, AppState, HeaderState, HealthState, MainWindow, PinState, SettingsState, Theme,
    WatchState,
};
use super::inbox::{Inbound, Inbox};
use super::keyboard;
use super::staff::{StaffController, StaffSetup};
use super::timers::{TimerKey, Timers};
use super::watch::WatchController;
use crate::config;
use crate::domain::button::Button;
use crate::domain::clock::{self, ClockStyle, DayPart};
use crate::domain::patient::Patient;
use crate::domain::plain::Flag;
use crate::domain::privacy::{PinMessage, PinPurpose};
use crate::domain::record::{ChartPoint, Record, Row, Section};
use crate::domain::settings::{Contrast, Language, Settings, TextSize};
use crate::domain::shell::{
    BackHint, DigitsHint, Effect, Hints, NoticeKind, OkHint, Outcome, Screen, Shell,
};
use crate::input::engine::Output;
use crate::store::settings_file::{SettingsFile, SettingsWriter};

pub(crate) mod health;
#[cfg(feature = "probe")]
mod probe;
mod share;

use health::{set_record, show_record, show_trend};

pub use crate::sync::status::{Link, SyncStatus};

/// What the shell shows that buttons do not change.
#[derive(Clone, Debug)]
pub struct Context {
    pub bed_name: String,
    pub patient: Option<Patient>,
    pub link: Link,
    pub clock_style: ClockStyle,
    /// What My health shows until sync says otherwise.
    pub record: Arc<Record>,
    /// The TV head-end, when Watch is set up.
    pub tv: Option<config::Tv>,
    /// Sound goes to the speakers (not in snapshots and benchmarks).
    pub sound: bool,
    /// Video calls, when the config sets them up.
    pub call: Option<crate::call::service::CallSetup>,
    /// Clinician sign-in, when the config names a staff directory.
    pub staff: Option<StaffSetup>,
    /// The encrypted store (data directory, key file), for what the UI side records (Learn);
    /// None: nothing is recorded (the built-in demo, snapshots).
    pub store: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

/// Where the clock's time comes from.
#[derive(Clone, Copy, Debug)]
pub enum TimeSource {
    /// The system clock, in the system's time zone.
    System,
    /// A fixed moment, for pictures that do not change with the time of day.
    Fixed(DateTime),
}

impl TimeSource {
    fn now(self) -> DateTime {
        match self {
            TimeSource::System => jiff::Zoned::now().datetime(),
            TimeSource::Fixed(at) => at,
        }
    }
}

struct State {
    shell: Shell,
    /// `AppState.focus-flags`: one per focusable item of the current screen.
    focus_flags: Rc<VecModel<bool>>,
    writer: SettingsWriter,
    /// What was last given to the writer: saved again only when it differs.
    saved: crate::domain::settings::Settings,
    time: TimeSource,
    clock_style: ClockStyle,
    /// Every timer of the shell's controllers, by what it is for.
    timers: Timers,
    /// The patient's record for My health, and a counter bumped when it changes.
    record: Arc<Record>,
    record_generation: u64,
    /// How much of "Today and tomorrow" was still ahead when the menu was last filled.
    today_ahead: usize,
    /// `HealthState.record-rows`, and what it holds now (section, generation, minute shown).
    record_rows: Rc<VecModel<ui::RecordRow>>,
    rows_shown: RefCell<Option<(Section, u64, DateTime)>>,
    /// The index in the section of `record-rows`' first row.
    rows_first: std::cell::Cell<usize>,
    /// Watch: the player and the listings.
    watch: WatchController,
    tv: Option<config::Tv>,
    /// The half minute of the film playing whose place was last written down.
    film_checkpoint: u64,
    /// Calls: the call thread and what it last said.
    call: CallController,
    /// Clinician mode: badge keys, the PIN check, the staff frame.
    staff: StaffController,
    /// Learn: its screens and its worker.
    learn: super::learn::LearnController,
    /// What the header shows of the backend link, and when the record last matched it (Unix
    /// seconds), and whether a patient is in the bed: kept for [`State::facts`].
    link: Link,
    fresh_at: Option<i64>,
    present: bool,
    /// Where the box's facts go for the system layer (D-Bus), if anywhere.
    facts: Option<tokio::sync::watch::Sender<crate::system::Facts>>,
    /// What the system asks of the app (stop, reload), handled by whoever runs it.
    on_system: Option<Box<dyn Fn(crate::system::Request)>>,
}

/// The running shell: the window and its controller.
pub struct App {
    window: MainWindow,
    state: Rc<RefCell<State>>,
    inbox: Inbox,
}

impl App {
    /// Creates the window on the current Slint platform and shows the initial state.
    pub fn new(
        context: Context,
        settings: SettingsFile,
        time: TimeSource,
    ) -> Result<App, PlatformError> {
        let window = MainWindow::new()?;
        let focus_flags = Rc::new(VecModel::default());
        window
            .global::<AppState>()
            .set_focus_flags(ModelRc::from(focus_flags.clone()));
        let record_rows = Rc::new(VecModel::default());
        window
            .global::<HealthState>()
            .set_record_rows(ModelRc::from(record_rows.clone()));
        let loaded = settings.load();
        let mut call_setup = context.call.clone();
        if let Some(c) = &mut call_setup {
            c.media.silent |= !context.sound;
        }
        let (inbox, mailbox) = Inbox::new(&window);
        let call = CallController::new(&window, call_setup, inbox.clone());
        let mut shell = Shell::with_pin_key(loaded.clone(), settings.pin_key());
        shell.set_calls_configured(call.configured());
        let mut staff = StaffController::new(context.staff.clone(), inbox.clone());
        staff.set_patient(context.patient.clone(), 0);
        shell.set_staff_configured(staff.configured());
        shell.set_staff_by_number(staff.configured() && staff.by_number());
        let learn =
            super::learn::LearnController::new(&window, context.store.clone(), inbox.clone());
        let state = Rc::new(RefCell::new(State {
            focus_flags,
            shell,
            saved: loaded,
            writer: SettingsWriter::spawn(settings),
            time,
            clock_style: context.clock_style,
            timers: Timers::default(),
            record: Arc::default(),
            record_generation: 0,
            today_ahead: 0,
            record_rows,
            rows_shown: RefCell::new(None),
            rows_first: std::cell::Cell::new(0),
            watch: WatchController::new(
                inbox.clone(),
                context.tv.is_some(),
                !context.sound,
                context
                    .tv
                    .as_ref()
                    .map_or(0, |tv| usize::from(tv.receive_ahead.0)),
            ),
            tv: context.tv.clone(),
            film_checkpoint: 0,
            call,
            staff,
            learn,
            link: context.link,
            fresh_at: None,
            present: context.patient.is_some(),
            facts: None,
            on_system: None,
        }));

        let header = window.global::<HeaderState>();
        header.set_bed_name(context.bed_name.as_str().into());
        set_occupant(&header, context.patient.as_ref());
        set_link(&header, context.link);
        set_record(
            &window.global::<HealthState>(),
            &mut state.borrow_mut(),
            context.record.clone(),
        );
        let globals = window.global::<AppState>();

        let weak_window = window.as_weak();
        let weak_state = Rc::downgrade(&state);
        globals.on_key_pressed(move |text, repeat, modified| {
            let Some(button) = keyboard::button_for(&text, modified) else {
                return false;
            };
            if repeat && !button.repeats() {
                return true;
            }
            if let (Some(window), Some(state)) = (weak_window.upgrade(), weak_state.upgrade()) {
                press(&window, &state, button);
            }
            true
        });

        {
            let st = state.borrow();
            st.call.set_volume(st.shell.volume(), st.shell.muted());
        }
        show(&window, &state.borrow());
        tick_clock(&window, &state);
        let (weak_window, weak_state) = (window.as_weak(), Rc::downgrade(&state));
        window.global::<AppState>().on_inbox(move || {
            if let (Some(window), Some(state)) = (weak_window.upgrade(), weak_state.upgrade()) {
                while let Some(message) = mailbox.next() {
                    receive(&window, &state, message);
                }
            }
        });
        Ok(App {
            window,
            state,
            inbox,
        })
    }

    pub fn window(&self) -> &MainWindow {
        &self.window
    }

    /// How clinician mode and Learn wake the sync loop once they put something in the
    /// outbox (`make` gives each its own waker).
    pub fn set_outbox_wake(&self, make: impl Fn() -> Box<dyn Fn() + Send>) {
        let st = self.state.borrow();
        st.staff.set_wake(make());
        st.learn.set_wake(make());
    }

    /// Publishes the box's facts (standby, patient present, link, last sync, call) into `facts`
    /// whenever one changes, for the system layer.
    pub fn publish_facts(&self, facts: tokio::sync::watch::Sender<crate::system::Facts>) {
        let mut st = self.state.borrow_mut();
        st.facts = Some(facts);
        publish_facts(&st);
    }

    /// Runs `then` once the first frame has been drawn and presented (on the turn of the event
    /// loop after the renderer first draws the window).
    pub fn on_first_frame(&self, then: impl FnOnce() + 'static) {
        let then = std::cell::Cell::new(Some(then));
        self.window.global::<AppState>().on_drawn(move || {
            if let Some(then) = then.take() {
                slint::Timer::single_shot(Duration::ZERO, then);
            }
            true
        });
    }

    /// What to do when the system asks something of the app ([`Inbound::System`]).
    pub fn on_system(&self, handle: impl Fn(crate::system::Request) + 'static) {
        self.state.borrow_mut().on_system = Some(Box::new(handle));
    }

    /// The way in for other threads (input devices, sync, listings): a clone for each.
    pub fn inbox(&self) -> Inbox {
        self.inbox.clone()
    }

    /// Dispatches one button press.
    pub fn press(&self, button: Button) {
        press(&self.window, &self.state, button);
    }

    /// Takes what the input layer produced: a button, or a badge read.
    pub fn input(&self, output: Output) {
        deliver(&self.window, &self.state, output);
    }

    /// Sync says who is in the bed now and how fresh the data is.
    pub fn sync_status(&self, status: SyncStatus) {
        deliver_sync_to(&self.window, &self.state, status);
    }

    /// The TV listings arrived (the snapshot reads them before pressing anything).
    pub fn set_listings(&self, listings: crate::media::service::Listings) {
        deliver_listings_to(&self.window, &self.state, listings);
    }
}

/// The call thread has news.
fn call_view(
    window: &MainWindow,
    state: &Rc<RefCell<State>>,
    view: crate::call::service::CallView,
) {
    let was_standby = state.borrow().shell.standby();
    {
        {
            let mut st = state.borrow_mut();
            let State {
                call,
                shell,
                record,
                ..
            } = &mut *st;
            call.set_view(shell, view, record);
            // The call clock ticks while a call is on.
            if call.stage() == crate::domain::shell::CallStage::InCall {
                st.timers.repeat(
                    TimerKey::CallClock,
                    Duration::from_secs(1),
                    later(window, state, |window, state| {
                        let st = state.borrow();
                        st.call
                            .show(window, &st.shell, &st.record, std::time::Instant::now());
                    }),
                );
            } else {
                st.timers.stop(TimerKey::CallClock);
            }
        }
        apply(window, state, |_| Outcome::default());
        // A ringing call woke the screen (set_view, before apply could see it): the clock,
        // stopped in standby, runs again.
        if was_standby && !state.borrow().shell.standby() {
            tick_clock(window, state);
        }
    }
}

fn deliver_listings_to(
    window: &MainWindow,
    state: &Rc<RefCell<State>>,
    listings: crate::media::service::Listings,
) {
    {
        let mut st = state.borrow_mut();
        let State { watch, shell, .. } = &mut *st;
        watch.set_listings(shell, listings);
    }
    apply(window, state, |_| Outcome::default());
}

/// A player event.
fn player_event(
    window: &MainWindow,
    state: &Rc<RefCell<State>>,
    event: crate::media::player::Event,
) {
    let ended = state.borrow_mut().watch.event(&event);
    if ended {
        apply(window, state, Shell::film_ended);
    } else {
        show(window, &state.borrow());
    }
}

/// One message from another thread, on the UI thread, in the order sent.
fn receive(window: &MainWindow, state: &Rc<RefCell<State>>, message: Inbound) {
    match message {
        Inbound::Input(output) => deliver(window, state, output),
        Inbound::InputThen(output, also) => {
            deliver(window, state, output);
            also();
        }
        Inbound::Sync(status) => deliver_sync_to(window, state, status),
        Inbound::Listings(listings) => deliver_listings_to(window, state, listings),
        Inbound::Player(event) => player_event(window, state, event),
        Inbound::Call(view) => call_view(window, state, view),
        Inbound::Captions(generation, captions) => {
            state.borrow_mut().watch.set_captions(generation, captions);
        }
        Inbound::Staff(badge, verdict) => {
            let verdict = StaffController::resolve(verdict, &state.borrow().record);
            apply(window, state, |shell| shell.staff_checked(badge, verdict));
        }
        Inbound::StaffLockouts(kept) => apply(window, state, |shell| shell.restore_lockouts(kept)),
        Inbound::Invitation(key, result) => {
            state.borrow().call.invitation_answered(key, result);
            show(window, &state.borrow());
        }
        Inbound::LeafletPage(path, picture) => {
            let state = state.borrow();
            if state.learn.picture_read(path, picture) {
                let now = jiff::Zoned::now();
                state
                    .learn
                    .show(window, &state.shell, &now, state.clock_style);
            }
        }
        Inbound::Run(run) => run(),
        Inbound::Network(network) => {
            // The header says "No network" rather than "Offline" when the box's own network is
            // down: the nurse knows to check the cable, not the hospital's servers.
            window
                .global::<HeaderState>()
                .set_network_down(network == crate::system::clients::Network::Down);
        }
        Inbound::System(request) => match &state.borrow().on_system {
            Some(handle) => handle(request),
            None => tracing::warn!(?request, "nobody handles system requests here"),
        },
    }
}

fn deliver_sync_to(window: &MainWindow, state: &Rc<RefCell<State>>, status: SyncStatus) {
    let globals = window.global::<HeaderState>();
    set_occupant(&globals, status.occupant.as_ref());
    state
        .borrow_mut()
        .staff
        .set_patient(status.occupant.clone(), status.outbox_waiting);
    set_link(&globals, status.link);
    {
        let mut st = state.borrow_mut();
        st.link = status.link;
        st.fresh_at = status.fresh_at;
        st.present = status.occupant.is_some();
    }
    let updated = status
        .fresh_at
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| {
            let style = state.borrow().clock_style;
            let local = t.to_zoned(jiff::tz::TimeZone::system()).datetime();
            clock::format_time(local.time(), style)
        })
        .unwrap_or_default();
    globals.set_updated_at(updated.into());
    set_record(
        &window.global::<HealthState>(),
        &mut state.borrow_mut(),
        status.record.clone(),
    );
    if status.occupant_changed {
        // Discharge, or another patient: the last one's family invitations end.
        state.borrow().call.occupant_changed();
        apply(window, state, Shell::new_occupant);
    } else {
        show(window, &state.borrow());
    }
    remind_learning(window, state);
}

fn set_occupant(globals: &HeaderState, patient: Option<&Patient>) {
    globals.set_occupied(patient.is_some());
    globals.set_first_name(
        patient
            .map(|p| p.preferred_first_name.as_str())
            .unwrap_or_default()
            .into(),
    );
}

fn set_link(globals: &HeaderState, link: Link) {
    globals.set_connection(match link {
        Link::Offline => ui::Connection::Offline,
        Link::Unconfigured => ui::Connection::Unconfigured,
        Link::Online => ui::Connection::Online,
        Link::Demo => ui::Connection::Demo,
    });
}

fn deliver(window: &MainWindow, state: &Rc<RefCell<State>>, output: Output) {
    match output {
        Output::Button(button) => press(window, state, button),
        // The number goes no further than the staff controller; the shell gets its key.
        Output::Badge(id) => {
            let key = state.borrow_mut().staff.badge(id);
            apply(window, state, |shell| shell.badge_read(key));
        }
    }
}

fn press(window: &MainWindow, state: &Rc<RefCell<State>>, button: Button) {
    apply(window, state, |shell| {
        let outcome = shell.press(button);
        if !outcome.handled {
            // Which digit is never logged: it may be a PIN typed on a locked pad.
            let shown = match button {
                Button::Digit(_) => "a digit".to_owned(),
                other => other.to_string(),
            };
            tracing::debug!(button = %shown, "button has no meaning here");
        }
        outcome
    });
}

/// A closure for a timer: runs `f` on the window and the state while both still exist.
fn later(
    window: &MainWindow,
    state: &Rc<RefCell<State>>,
    f: impl Fn(&MainWindow, &Rc<RefCell<State>>) + 'static,
) -> impl FnMut() + 'static {
    let (weak_window, weak_state) = (window.as_weak(), Rc::downgrade(state));
    move || {
        if let (Some(window), Some(state)) = (weak_window.upgrade(), weak_state.upgrade()) {
            f(&window, &state);
        }
    }
}

/// Saves the patient's settings and what Watch remembers (favourites, film places) when the
/// shell says they changed or they differ from what was saved last.
fn save_if_changed(st: &mut State, changed: bool) {
    let now = st.shell.saved();
    if changed || now != st.saved {
        st.writer.save(now.clone());
        st.saved = now;
    }
}

/// Changes the shell and carries out what the change asks for.
fn apply(
    window: &MainWindow,
    state: &Rc<RefCell<State>>,
    change: impl FnOnce(&mut Shell) -> Outcome,
) {
    let mut st = state.borrow_mut();
    let was_standby = st.shell.standby();
    let sound_before = (st.shell.volume(), st.shell.muted());
    st.shell.set_now(jiff::Timestamp::now());
    let outcome = change(&mut st.shell);
    if (st.shell.volume(), st.shell.muted()) != sound_before {
        st.call.set_volume(st.shell.volume(), st.shell.muted());
    }
    follow_watch(window, state, &mut st, sound_before);
    st.call.follow_screen(&st.shell);
    for effect in outcome.effects {
        carry_out(window, state, &mut st, effect);
    }
    save_if_changed(&mut st, false);
    let State { staff, shell, .. } = &mut *st;
    staff.forget(shell);
    show(window, &st);
    let standby = st.shell.standby();
    if standby && !was_standby {
        // Nothing is redrawn in standby: not even the clock.
        st.timers.stop(TimerKey::Clock);
    }
    drop(st);
    if was_standby && !standby {
        tick_clock(window, state);
    }
}

/// Carries out one effect the shell asked for.
fn carry_out(window: &MainWindow, state: &Rc<RefCell<State>>, st: &mut State, effect: Effect) {
    let w = window.global::<WatchState>();
    match effect {
        Effect::Save => save_if_changed(st, true),
        // A fired timeout goes back to the shell as an input.
        Effect::Start(timeout) => st.timers.once(
            timeout.into(),
            timeout.after(),
            later(window, state, move |window, state| {
                apply(window, state, |shell| shell.timeout(timeout));
            }),
        ),
        Effect::Stop(timeout) => st.timers.stop(timeout.into()),
        // The banner belongs to live TV (follow_watch takes it off other screens first).
        Effect::Banner
            if matches!(
                st.shell.screen(),
                Screen::Tv | Screen::Watch | Screen::Guide
            ) =>
        {
            w.set_banner(true);
            st.timers.once(
                TimerKey::Banner,
                crate::domain::tv::BANNER_TIME,
                later(window, state, |window, _| {
                    window.global::<WatchState>().set_banner(false)
                }),
            );
        }
        Effect::Controls => {
            w.set_controls(true);
            st.timers.once(
                TimerKey::Controls,
                CONTROLS_TIME,
                later(window, state, |window, _| {
                    window.global::<WatchState>().set_controls(false)
                }),
            );
        }
        Effect::Banner => {}
        Effect::Seek(by) => st.watch.seek(by),
        Effect::Call(request) => st.call.request(request, &st.record),
        Effect::CheckStaff { badge, pin } => st.staff.check(badge, pin),
        // A typed staff number is a badge read from here on (its key to the shell, the number
        // kept by the controller until the PIN is checked).
        Effect::StaffNumber(number) => {
            let key = st
                .staff
                .badge(crate::input::badge::BadgeId::new(number.expose()));
            let outcome = st.shell.badge_read(key);
            for effect in outcome.effects {
                carry_out(window, state, st, effect);
            }
        }
        Effect::Learn(recorded) => st.learn.record(recorded, &st.record),
        Effect::Audit(mut audit) => {
            if audit.what == crate::domain::shell::Audited::Shared {
                audit.with = st.call.far_end();
            }
            st.staff.audit(&st.shell, audit)
        }
    }
}

/// Watch follows the shell after any change: the player plays what the screen shows, the
/// volume shows over full-screen pictures when it changed, the banner goes with live TV, and
/// the film's position ticks while the player is open.
fn follow_watch(
    window: &MainWindow,
    state: &Rc<RefCell<State>>,
    st: &mut State,
    sound_before: (u8, bool),
) {
    let fullscreen = matches!(
        st.shell.screen(),
        Screen::Tv | Screen::Player | Screen::LearnVideo
    );
    if fullscreen && (st.shell.volume(), st.shell.muted()) != sound_before {
        window.global::<AppState>().set_osd(true);
        st.timers.once(
            TimerKey::Osd,
            CONTROLS_TIME,
            later(window, state, |window, _| {
                window.global::<AppState>().set_osd(false)
            }),
        );
    }
    if !matches!(
        st.shell.screen(),
        Screen::Tv | Screen::Watch | Screen::Guide
    ) {
        window.global::<WatchState>().set_banner(false);
    }
    let State { watch, shell, .. } = st;
    watch.follow(window, shell);
    if matches!(st.shell.screen(), Screen::Player | Screen::LearnVideo) && !st.shell.standby() {
        st.timers.repeat(
            TimerKey::Position,
            Duration::from_millis(250),
            later(window, state, show_position),
        );
    } else {
        st.timers.stop(TimerKey::Position);
    }
}

/// How long the player's controls and the volume stay over full-screen pictures.
const CONTROLS_TIME: Duration = Duration::from_secs(4);

/// The film's position and caption, four times a second while the player is open.
fn show_position(window: &MainWindow, state: &Rc<RefCell<State>>) {
    let mut st = state.borrow_mut();
    let (at, length) = st.watch.position();
    let w = window.global::<WatchState>();
    let at = at.unwrap_or_default();
    w.set_player_position(super::convert::clock_text(at).into());
    w.set_player_length(
        length
            .map(super::convert::clock_text)
            .unwrap_or_default()
            .into(),
    );
    w.set_player_progress(match length {
        Some(l) if !l.is_zero() => (at.as_secs_f64() / l.as_secs_f64()) as f32,
        _ => 0.0,
    });
    let caption = if st.shell.settings().captions {
        st.watch.caption_at(at)
    } else {
        String::new()
    };
    if w.get_caption() != caption.as_str() {
        w.set_caption(caption.into());
    }
    // Every half minute of a film, its place is written down: a power cut or a restart loses at
    // most that much of "Resume from".
    let half_minute = at.as_secs() / FILM_CHECKPOINT.as_secs();
    if half_minute != st.film_checkpoint && !at.is_zero() {
        match st.shell.media() {
            crate::domain::watch::Media::Film { index, .. } => {
                st.film_checkpoint = half_minute;
                st.shell.left_film_at(index, at, length);
                save_if_changed(&mut st, false);
            }
            crate::domain::watch::Media::Lesson { .. } => {
                st.film_checkpoint = half_minute;
                if let Some(task) = st.shell.learn_open().map(|(i, _, _)| i.task.clone()) {
                    st.shell.left_lesson_at(&task, at, length);
                }
                save_if_changed(&mut st, false);
            }
            _ => {}
        }
    }
}

/// How often the place in a playing film is saved.
const FILM_CHECKPOINT: Duration = Duration::from_secs(30);

/// Shows the time, then sets a timer for the start of the next minute.
fn tick_clock(window: &MainWindow, state: &Rc<RefCell<State>>) {
    {
        // The volume cap changes with the hour (quiet hours).
        let mut st = state.borrow_mut();
        let at = st.time.now().time();
        let quiet_volume = st
            .tv
            .as_ref()
            .map_or(crate::domain::shell::DEFAULT_QUIET_VOLUME, |tv| {
                tv.quiet_volume.0
            });
        st.shell.set_local_time(at, quiet_volume);
        if let Some(tv) = &st.tv {
            let cap = super::watch::volume_cap(tv, at);
            st.shell.set_volume_cap(cap);
            let State { watch, shell, .. } = &mut *st;
            watch.follow(window, shell);
        }
        // Appointments that have just passed move below what is still ahead.
        let record = st.record.clone();
        set_record(&window.global::<HealthState>(), &mut st, record);
    }
    let st = state.borrow();
    let now = st.time.now();
    let globals = window.global::<HeaderState>();
    globals.set_time(clock::format_time(now.time(), st.clock_style).into());
    globals.set_date(clock::format_date(now.date()).into());
    globals.set_day_part(match clock::day_part(now.time()) {
        DayPart::Morning => ui::DayPart::Morning,
        DayPart::Afternoon => ui::DayPart::Afternoon,
        DayPart::Evening => ui::DayPart::Evening,
        DayPart::Night => ui::DayPart::Night,
    });
    let health = window.global::<HealthState>();
    match st.shell.screen() {
        Screen::Record(section) => show_record(&health, &st, section),
        Screen::Trend(section) => show_trend(&health, &st, section),
        _ => {}
    }
    drop(st);
    remind_learning(window, state);
    let st = state.borrow();
    if let TimeSource::System = st.time {
        let into_minute = Duration::from_secs(now.second() as u64)
            + Duration::from_nanos(now.subsec_nanosecond() as u64);
        // A little past the minute, so a slightly early wake-up never shows the old minute.
        let wait = Duration::from_secs(60).saturating_sub(into_minute) + Duration::from_millis(20);
        drop(st);
        let tick = later(window, state, tick_clock);
        state.borrow_mut().timers.once(TimerKey::Clock, wait, tick);
    }
}

/// A gentle reminder of overdue learning, on Home, outside quiet hours, at most hourly (each
/// minute's tick, and sync bringing the assignments, ask).
fn remind_learning(window: &MainWindow, state: &Rc<RefCell<State>>) {
    let (instant, quiet) = {
        let st = state.borrow();
        let now = st.time.now();
        let at = now.time();
        let ward = st.tv.as_ref().and_then(|tv| tv.quiet_hours.as_ref());
        let quiet = match (ward, st.shell.settings().quiet_from) {
            (Some(q), _) if q.contains(at) => true,
            (_, Some(_)) => st.shell.settings().quiet_at(at),
            (Some(_), None) => false,
            // Nobody said: the night is quiet.
            (None, None) => at.hour() >= 21 || at.hour() < 8,
        };
        let instant = now
            .to_zoned(jiff::tz::TimeZone::system())
            .map_or_else(|_| jiff::Timestamp::now(), |z| z.timestamp());
        if !st.shell.learning_reminder_due(instant, quiet) {
            return;
        }
        (instant, quiet)
    };
    apply(window, state, |shell| shell.remind_learning(instant, quiet));
}

fn show_pin(pin: &PinState, shell: &Shell) {
    pin.set_on(shell.pin_set());
    let Some(pad) = shell.pin_pad() else {
        return;
    };
    pin.set_purpose(match pad.purpose {
        PinPurpose::Unlock => ui::PinPurpose::Unlock,
        PinPurpose::Choose => ui::PinPurpose::Choose,
        PinPurpose::Confirm(_) => ui::PinPurpose::Confirm,
        PinPurpose::Remove => ui::PinPurpose::Remove,
    });
    pin.set_typed(pad.typed() as i32);
    let (message, left) = match pad.message {
        PinMessage::None => (ui::PinMessage::None, 0),
        PinMessage::Wrong { tries_left } => (ui::PinMessage::Wrong, tries_left),
        PinMessage::Mismatch => (ui::PinMessage::Mismatch, 0),
        PinMessage::LockedOut => (ui::PinMessage::LockedOut, 0),
    };
    pin.set_message(message);
    pin.set_tries_left(i32::from(left));
}

/// Hands the box's facts to the system layer if one of them changed (a few comparisons: this
/// runs after every change on screen).
fn publish_facts(state: &State) {
    let Some(facts) = &state.facts else {
        return;
    };
    let in_call = state.call.stage() != crate::domain::shell::CallStage::None
        && state.call.stage() != crate::domain::shell::CallStage::Ended;
    let link = match state.link {
        Link::Online => "online",
        Link::Offline => "offline",
        Link::Unconfigured => "unconfigured",
        Link::Demo => "demo",
    };
    let last_sync = state.fresh_at.unwrap_or(0);
    facts.send_if_modified(|f| {
        let changed = f.standby != state.shell.standby()
            || f.patient_present != state.present
            || f.backend_link != link
            || f.last_sync != last_sync
            || f.in_call != in_call;
        f.standby = state.shell.standby();
        f.patient_present = state.present;
        f.backend_link = link;
        f.last_sync = last_sync;
        f.in_call = in_call;
        changed
    });
}

fn show(window: &MainWindow, state: &State) {
    publish_facts(state);
    let shell = &state.shell;
    show_focus(&state.focus_flags, shell.layout().count(), shell.focus());
    let globals = window.global::<AppState>();
    globals.set_screen(match shell.screen() {
        Screen::Home => ui::Screen::Home,
        Screen::Watch => ui::Screen::Watch,
        Screen::Learn => ui::Screen::Learn,
        Screen::MyHealth => ui::Screen::MyHealth,
        Screen::Call => ui::Screen::Call,
        Screen::CallTest => ui::Screen::CallTest,
        Screen::CallGuide => ui::Screen::CallGuide,
        Screen::Ask => ui::Screen::Ask,
        Screen::Settings => ui::Screen::Settings,
        Screen::Record(_) => ui::Screen::Record,
        Screen::Trend(_) => ui::Screen::Trend,
        Screen::Pin => ui::Screen::Pin,
        Screen::Tv => ui::Screen::Tv,
        Screen::Guide => ui::Screen::Guide,
        Screen::Films => ui::Screen::Films,
        Screen::Relax => ui::Screen::Relax,
        Screen::Player => ui::Screen::Player,
        Screen::StaffPin => ui::Screen::StaffPin,
        Screen::Clinician => ui::Screen::Clinician,
        Screen::StaffSummary => ui::Screen::StaffSummary,
        Screen::StaffNumber => ui::Screen::StaffNumber,
        Screen::StaffLimits => ui::Screen::StaffLimits,
        Screen::StaffFamily => ui::Screen::StaffFamily,
        Screen::LearnPage => ui::Screen::LearnPage,
        Screen::LearnQuestion => ui::Screen::LearnQuestion,
        Screen::LearnDone => ui::Screen::LearnDone,
        Screen::LearnVideo => ui::Screen::LearnVideo,
        Screen::StaffLearning => ui::Screen::StaffLearning,
        Screen::StaffCatalogue => ui::Screen::StaffCatalogue,
        Screen::StaffLearnItem => ui::Screen::StaffLearnItem,
    });
    let now = state
        .time
        .now()
        .to_zoned(jiff::tz::TimeZone::system())
        .unwrap_or_else(|_| jiff::Zoned::now());
    state.watch.show(window, shell, &now, state.clock_style);
    state.learn.show(window, shell, &now, state.clock_style);
    state
        .call
        .show(window, shell, &state.record, std::time::Instant::now());
    state.call.share(share::shared_view(state));
    // Who may call as family: the record's family less those staff set as not allowed.
    let (allowed, blocked): (Vec<_>, Vec<_>) = state
        .record
        .family()
        .iter()
        .cloned()
        .partition(|m| shell.family_allowed(&m.key));
    // Someone not allowed to call (blocked by the patient, or by staff) keeps no invitation.
    for member in &blocked {
        state.call.end_invitation(&member.key);
    }
    state.call.set_family((allowed, blocked));
    state.staff.show(window, shell, jiff::Timestamp::now());
    if shell.screen() == Screen::StaffFamily {
        StaffController::show_family(window, shell, &state.record, &state.call, state.clock_style);
    }
    if shell.screen() == Screen::StaffLimits {
        StaffController::show_limits(window, shell, state.tv.as_ref());
    }
    if shell.screen() == Screen::StaffSummary {
        let now = state
            .time
            .now()
            .to_zoned(jiff::tz::TimeZone::system())
            .unwrap_or_else(|_| jiff::Zoned::now());
        state.staff.show_summary(
            window,
            &state.record,
            state.today_ahead,
            &now,
            state.clock_style,
            shell.settings().text_size == TextSize::Large,
        );
    }
    if let Some(n) = shell.watch().missing_channel {
        globals.set_missing_channel(n as i32);
    }
    let health = window.global::<HealthState>();
    match shell.screen() {
        Screen::Record(section) => show_record(&health, state, section),
        Screen::Trend(section) => show_trend(&health, state, section),
        _ => {}
    }
    show_pin(&window.global::<PinState>(), shell);
    globals.set_focus(shell.focus() as i32);
    globals.set_standby(shell.standby());
    globals.set_private(shell.private());
    globals.set_muted(shell.muted());
    globals.set_volume(i32::from(shell.volume()));
    globals.set_notice(match shell.notice().map(|n| n.kind) {
        None => ui::NoticeKind::None,
        Some(NoticeKind::NurseCallUnavailable) => ui::NoticeKind::NurseCallUnavailable,
        Some(NoticeKind::OneLanguage) => ui::NoticeKind::OneLanguage,
        Some(NoticeKind::BadgeRead) => ui::NoticeKind::BadgeRead,
        Some(NoticeKind::PinSet) => ui::NoticeKind::PinSet,
        Some(NoticeKind::PinRemoved) => ui::NoticeKind::PinRemoved,
        Some(NoticeKind::HealthClosed) => ui::NoticeKind::HealthClosed,
        Some(NoticeKind::NoSuchChannel) => ui::NoticeKind::NoSuchChannel,
        Some(NoticeKind::VolumeCapped) => ui::NoticeKind::VolumeCapped,
        Some(NoticeKind::NoChannels) => ui::NoticeKind::NoChannels,
        Some(NoticeKind::LearnDue) => ui::NoticeKind::LearnDue,
    });
    show_hints(&globals, shell.hints());
    show_settings(window, shell.settings());
}

/// The footer: what OK, Back, the digits and Left do here and now.
fn show_hints(globals: &AppState, hints: Hints) {
    globals.set_ok_does(match hints.ok {
        OkHint::Nothing => ui::OkDoes::Nothing,
        OkHint::OpenTile => ui::OkDoes::OpenTile,
        OkHint::Open => ui::OkDoes::Open,
        OkHint::Change => ui::OkDoes::Change,
        OkHint::SetPin => ui::OkDoes::SetPin,
        OkHint::TurnOffPin => ui::OkDoes::TurnOffPin,
        OkHint::VideoCall => ui::OkDoes::VideoCall,
        OkHint::ShowOverTime => ui::OkDoes::ShowOverTime,
        OkHint::Call => ui::OkDoes::Call,
        OkHint::WatchChannel => ui::OkDoes::WatchChannel,
        OkHint::Play => ui::OkDoes::Play,
        OkHint::BackToHome => ui::OkDoes::BackToHome,
        OkHint::SignIn => ui::OkDoes::SignIn,
        OkHint::SignOut => ui::OkDoes::SignOut,
        OkHint::ClearPin => ui::OkDoes::ClearPin,
        OkHint::Continue => ui::OkDoes::Continue,
        OkHint::Next => ui::OkDoes::Next,
        OkHint::Finish => ui::OkDoes::Finish,
        OkHint::Choose => ui::OkDoes::Choose,
        OkHint::Done => ui::OkDoes::Done,
        OkHint::TestAgain => ui::OkDoes::TestAgain,
        OkHint::BackToCall => ui::OkDoes::BackToCall,
        OkHint::BackToQuestion => ui::OkDoes::BackToQuestion,
        OkHint::ReadCloser => ui::OkDoes::ReadCloser,
        OkHint::Assign => ui::OkDoes::Assign,
        OkHint::Unassign => ui::OkDoes::Unassign,
        OkHint::ConfirmUnassign => ui::OkDoes::ConfirmUnassign,
    });
    globals.set_back_does(match hints.back {
        BackHint::Nothing => ui::BackDoes::Nothing,
        BackHint::GoBack => ui::BackDoes::GoBack,
        BackHint::Cancel => ui::BackDoes::Cancel,
        BackHint::SignOut => ui::BackDoes::SignOut,
    });
    globals.set_digits_do(match hints.digits {
        DigitsHint::Nothing => ui::DigitsDo::Nothing,
        DigitsHint::Pin => ui::DigitsDo::Pin,
        DigitsHint::Channel => ui::DigitsDo::Channel,
        DigitsHint::StaffNumber => ui::DigitsDo::StaffNumber,
    });
    globals.set_delete_digit(hints.delete_digit);
}

/// Sets the focus flags, touching only the rows that change: a repeater then updates only those
/// items, and only they are repainted.
fn show_focus(flags: &VecModel<bool>, count: usize, focus: usize) {
    if flags.row_count() != count {
        flags.set_vec((0..count).map(|i| i == focus).collect::<Vec<_>>());
        return;
    }
    for i in 0..count {
        let want = i == focus;
        if flags.row_data(i) != Some(want) {
            flags.set_row_data(i, want);
        }
    }
}

fn show_settings(window: &MainWindow, settings: Settings) {
    let theme = window.global::<Theme>();
    theme.set_large_text(settings.text_size == TextSize::Large);
    theme.set_high_contrast(settings.contrast == Contrast::High);
    window.global::<AppState>().set_captions(settings.captions);
    window.global::<SettingsState>().set_language_name(
        match settings.language {
            Language::English => "English",
        }
        .into(),
    );
}
