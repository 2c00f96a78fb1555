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

    /// How the focusable things of this screen are arranged. A record section's length depends
    /// on the patient's data: [`Shell::layout`] knows it.
    pub fn layout(self) -> Layout {
        match self {
            Screen::Home => Layout::Grid {
                columns: Self::HOME_COLUMNS,
                count: Self::HOME_TILES.len(),
            },
            Screen::Settings => Layout::Column {
                count: SettingRow::ALL.len(),
            },
            Screen::MyHealth => Layout::Grid {
                columns: 2,
                count: Section::ALL.len(),
            },
            Screen::Watch => Layout::Column {
                count: HubRow::ALL.len(),
            },
            // Screens whose feature has not landed hold one button: back to Home.
            Screen::Learn | Screen::Call | Screen::Ask => Layout::Column { count: 1 },
            // Full-screen pictures and the guide move by their own rules, not by focus.
            Screen::Tv | Screen::Guide | Screen::Player => Layout::Column { count: 1 },
            Screen::Films => Layout::Grid {
                columns: FILM_COLUMNS,
                count: 1,
            },
            Screen::Relax => Layout::Grid {
                columns: RELAX_COLUMNS,
                count: 1,
            },
            // An empty section still holds one thing: its "Nothing here yet".
            Screen::Record(_) | Screen::Trend(_) => Layout::Column { count: 1 },
            // The pad takes digits, not focus.
            Screen::Pin => Layout::Column { count: 1 },
        }
    }
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
}

/// What OK does on the screen as it is now (the footer's "OK …"). See [`Shell::hints`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OkHint {
    /// OK does nothing here: the footer does not mention it.
    Nothing,
    /// Opens the focused Home tile (the footer names it).
    OpenTile,
    /// Opens the focused item (a My health section, a Watch way in).
    Open,
    /// Changes the focused setting.
    Change,
    SetPin,
    TurnOffPin,
    /// The focused care-team member, by video.
    VideoCall,
    /// The focused result's values over time.
    ShowOverTime,
    /// Calls the focused person on the Call screen.
    Call,
    /// Watches the guide's focused channel.
    WatchChannel,
    /// Plays the focused film or relaxation video.
    Play,
    /// Goes back to Home (the one button of a screen whose feature is not on this TV).
    BackToHome,
}

/// What Back does (the footer's "Back …").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackHint {
    /// At Home: Back does nothing.
    Nothing,
    GoBack,
    /// Leaves the digit pad without a PIN.
    Cancel,
}

/// What the digit keys do (the footer's "0–9 …").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigitsHint {
    Nothing,
    /// A digit of the PIN.
    Pin,
    /// A channel number.
    Channel,
}

/// What the keys the footer speaks of do on the screen as it is now: the footer shows these and
/// nothing else. Read from the same state [`Shell::press`] reads; the test
/// `every_footer_promise_is_kept` presses each key on a copy of the shell in every state a walk
/// of the screens reaches, and checks the footer never promises what does not happen nor
/// leaves out what does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hints {
    pub ok: OkHint,
    pub back: BackHint,
    pub digits: DigitsHint,
    /// Left takes back the last digit typed on the pad.
    pub delete_digit: bool,
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
const START_VOLUME: u8 = 20;

/// What the caller must do after a press.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The button meant something here (otherwise it is ignored, and may be logged).
    pub handled: bool,
    /// Settings changed and should be saved.
    pub settings_changed: bool,
    /// A new notice is up: hide it after its time unless a newer one replaced it.
    pub new_notice: Option<Notice>,
    /// Too many wrong PINs: call [`Shell::end_pin_lockout`] after [`crate::domain::privacy::LOCKOUT`].
    pub pin_lockout: bool,
    /// Digits are being typed for a channel: call [`Shell::channel_entry_timeout`] with this
    /// after [`super::tv::ENTRY_TIMEOUT`].
    pub entry_timer: Option<u64>,
    /// Show the channel banner (and hide it after [`super::tv::BANNER_TIME`]).
    pub banner: bool,
    /// Move the film this far (seconds, negative is back).
    pub seek: Option<i64>,
    /// Show the player's controls for a few seconds.
    pub controls: bool,
    /// Something for the call thread to do.
    pub call: Option<CallRequest>,
}

/// Where a call is, as far as buttons are concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallStage {
    /// No call: Call lists who can be called.
    #[default]
    None,
    /// A call is coming in: Accept and Decline take the buttons.
    Ringing,
    /// Calling out, connecting or talking: the in-call controls take the buttons.
    InCall,
    /// A call just ended (its reason shows for a moment); buttons work as usual.
    Ended,
}

/// What a press asks of the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallRequest {
    Accept,
    Decline,
    HangUp,
    MuteMic(bool),
    CameraOff(bool),
    /// Call the n-th person Call lists.
    Dial(usize),
    /// Call the n-th person of My care team, if they are online for calls.
    DialCareTeam(usize),
}

/// The in-call controls, left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallControl {
    Microphone,
    Camera,
    Quieter,
    Louder,
    HangUp,
}

impl CallControl {
    pub const ALL: [CallControl; 5] = [
        CallControl::Microphone,
        CallControl::Camera,
        CallControl::Quieter,
        CallControl::Louder,
        CallControl::HangUp,
    ];
}

/// The shell's side of calls: the stage, the focus among Accept/Decline or the controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct CallButtons {
    configured: bool,
    stage: CallStage,
    focus: usize,
    /// People Call lists.
    people: usize,
    mic_muted: bool,
    camera_off: bool,
}

impl Outcome {
    fn handled() -> Self {
        Outcome {
            handled: true,
            ..Outcome::default()
        }
    }
}

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
        }
    }

    /// Calls are set up on this box (the Call screen lists people instead of saying calls
    /// are not available).
    pub fn set_calls_configured(&mut self, configured: bool) {
        self.call.configured = configured;
        self.clamp_focus();
    }

    /// Where the call is now, how many people Call lists, and the patient's in-call choices.
    /// A call coming in wakes the screen and takes it over whatever was on; nothing plays
    /// under a call.
    pub fn set_call(&mut self, stage: CallStage, people: usize, mic_muted: bool, camera_off: bool) {
        let before = self.call.stage;
        self.call.people = people;
        self.call.mic_muted = mic_muted;
        self.call.camera_off = camera_off;
        if stage != before {
            self.call.stage = stage;
            self.call.focus = 0;
            if stage == CallStage::Ringing {
                self.standby = false;
            }
        }
        self.set_interrupted(matches!(stage, CallStage::Ringing | CallStage::InCall));
        self.clamp_focus();
    }

    pub fn call_stage(&self) -> CallStage {
        self.call.stage
    }

    /// The focused button: 0 Accept / 1 Decline while ringing; the index into
    /// [`CallControl::ALL`] in a call.
    pub fn call_focus(&self) -> usize {
        self.call.focus
    }

    /// Buttons while a call rings or is on. `None`: the button means what it always does
    /// (volume, mute, captions...).
    fn call_press(&mut self, button: Button) -> Option<Outcome> {
        let ask = |request| Outcome {
            handled: true,
            call: Some(request),
            ..Outcome::default()
        };
        let count = match self.call.stage {
            CallStage::Ringing => 2,
            CallStage::InCall => CallControl::ALL.len(),
            _ => return None,
        };
        match button {
            Button::Left | Button::Right => {
                let focus = if button == Button::Left {
                    self.call.focus.saturating_sub(1)
                } else {
                    (self.call.focus + 1).min(count - 1)
                };
                let moved = focus != self.call.focus;
                self.call.focus = focus;
                Some(Outcome {
                    handled: moved,
                    ..Outcome::default()
                })
            }
            Button::Ok if self.call.stage == CallStage::Ringing => {
                Some(ask(if self.call.focus == 0 {
                    CallRequest::Accept
                } else {
                    CallRequest::Decline
                }))
            }
            Button::Back if self.call.stage == CallStage::Ringing => {
                Some(ask(CallRequest::Decline))
            }
            Button::Ok => match CallControl::ALL[self.call.focus] {
                CallControl::Microphone => Some(ask(CallRequest::MuteMic(!self.call.mic_muted))),
                CallControl::Camera => Some(ask(CallRequest::CameraOff(!self.call.camera_off))),
                CallControl::Quieter => Some(self.press(Button::VolumeDown)),
                CallControl::Louder => Some(self.press(Button::VolumeUp)),
                CallControl::HangUp => Some(ask(CallRequest::HangUp)),
            },
            // Power darkens the screen: never with a camera live or a call waiting unseen, so
            // it ends (or declines) the call first.
            Button::Power => {
                self.standby = true;
                self.notice = None;
                Some(ask(if self.call.stage == CallStage::Ringing {
                    CallRequest::Decline
                } else {
                    CallRequest::HangUp
                }))
            }
            // Sound works as always; nothing else leaves the call.
            Button::VolumeUp | Button::VolumeDown | Button::Mute => None,
            _ => Some(Outcome::default()),
        }
    }

    pub fn watch(&self) -> &Watch {
        &self.watch
    }

    /// New listings: the lineup as (number, key) per channel, the films' ids, how many
    /// relaxation items. Focus stays on an item that exists.
    pub fn set_listings(
        &mut self,
        channels: &[(u32, String)],
        film_ids: Vec<String>,
        relax: usize,
    ) {
        self.watch.tv.set_lineup(channels);
        self.watch.set_films(film_ids);
        self.watch.relax = relax;
        self.clamp_focus();
    }

    /// The loudest allowed now; a louder volume comes down to it.
    pub fn set_volume_cap(&mut self, cap: u8) {
        self.watch.volume_cap = Some(cap);
        self.volume = self.volume.min(cap);
    }

    /// A call or an alert takes (or gives back) the screen and the sound: nothing plays under
    /// it. The hook for calls and alerts.
    pub fn set_interrupted(&mut self, interrupted: bool) {
        self.watch.interrupted = interrupted;
    }

    /// What should be playing now.
    pub fn media(&self) -> Media {
        if self.standby || self.watch.interrupted {
            return Media::Nothing;
        }
        match self.screen() {
            Screen::Watch | Screen::Tv | Screen::Guide => self
                .watch
                .tv
                .current()
                .map_or(Media::Nothing, Media::Channel),
            Screen::Player => match self.watch.opened {
                Some(Opened::Film { index, from }) => Media::Film { index, from },
                Some(Opened::Relax(i)) => Media::Relax(i),
                None => Media::Nothing,
            },
            _ => Media::Nothing,
        }
    }

    /// The player says where a film was left (when the patient leaves it).
    pub fn left_film_at(
        &mut self,
        index: usize,
        at: std::time::Duration,
        length: Option<std::time::Duration>,
    ) {
        self.watch.left_film_at(index, at, length);
    }

    /// The film ended: back to the films, and next time it starts from the beginning.
    pub fn film_ended(&mut self) -> Outcome {
        if self.screen() != Screen::Player {
            return Outcome::default();
        }
        self.stack.pop();
        self.watch.opened = None;
        Outcome::handled()
    }

    /// The time to type more digits ran out: tune to the number typed.
    pub fn channel_entry_timeout(&mut self, seq: u64) -> Outcome {
        match self.watch.tv.entry_timeout(seq) {
            Some(entry) => self.entry_done(entry),
            None => Outcome::default(),
        }
    }

    /// A digit of a channel number. Without channels, the patient is told why at once.
    fn channel_digit(&mut self, digit: u8) -> Outcome {
        if self.watch.tv.is_empty() {
            return self.show_notice(NoticeKind::NoChannels);
        }
        let (seq, decided) = self.watch.tv.digit(digit);
        match decided {
            Some(entry) => self.entry_done(entry),
            None => Outcome {
                handled: true,
                entry_timer: Some(seq),
                ..Outcome::default()
            },
        }
    }

    fn entry_done(&mut self, entry: Entry) -> Outcome {
        match entry {
            Entry::Channel(_) => {
                self.show_tv();
                Outcome {
                    handled: true,
                    banner: true,
                    ..Outcome::default()
                }
            }
            Entry::NoSuchChannel(n) => {
                self.watch.missing_channel = Some(n);
                self.show_notice(NoticeKind::NoSuchChannel)
            }
        }
    }

    /// Live TV full screen: back down to it when it is under the guide, else on top.
    fn show_tv(&mut self) {
        match self.screen() {
            Screen::Tv => {}
            Screen::Guide if self.below() == Some(Screen::Tv) => {
                self.stack.pop();
            }
            _ => self.stack.push(Place {
                screen: Screen::Tv,
                focus: 0,
            }),
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

    /// Buttons with a meaning of their own on Watch's screens; None: the usual meaning.
    fn watch_press(&mut self, button: Button) -> Option<Outcome> {
        let screen = self.screen();
        let live = matches!(screen, Screen::Watch | Screen::Tv | Screen::Guide);
        let tuned = |shell: &mut Shell, done: Option<usize>| Outcome {
            handled: done.is_some(),
            banner: done.is_some() && shell.screen() == Screen::Tv,
            ..Outcome::default()
        };
        match (screen, button) {
            (_, Button::Digit(d)) if live => Some(self.channel_digit(d.value())),
            (Screen::Watch | Screen::Tv, Button::ChannelUp | Button::ChannelDown) => {
                let done = self.watch.tv.step(button == Button::ChannelUp);
                Some(tuned(self, done))
            }
            (Screen::Tv, Button::Up | Button::Down) => {
                let done = self.watch.tv.step(button == Button::Up);
                Some(tuned(self, done))
            }
            (Screen::Watch | Screen::Tv, Button::LastChannel) => {
                let done = self.watch.tv.last();
                Some(tuned(self, done))
            }
            (Screen::Tv, Button::Favourite | Button::Yellow) => {
                let current = self.watch.tv.current()?;
                self.watch.tv.toggle_favourite(current);
                Some(Outcome {
                    handled: true,
                    banner: true,
                    ..Outcome::default()
                })
            }
            (Screen::Tv, Button::Green) => {
                let done = self.watch.tv.next_favourite();
                Some(tuned(self, done))
            }
            (Screen::Tv, Button::Ok | Button::Info) => Some(Outcome {
                handled: true,
                banner: true,
                ..Outcome::default()
            }),
            (Screen::Watch | Screen::Tv, Button::Guide) if !self.watch.tv.is_empty() => {
                self.watch.tv.open_guide();
                // Live TV opened from the guide goes back to it rather than stacking another.
                if self.below() == Some(Screen::Guide) {
                    self.stack.pop();
                } else {
                    self.stack.push(Place {
                        screen: Screen::Guide,
                        focus: 0,
                    });
                }
                Some(Outcome::handled())
            }
            (Screen::Guide, Button::Guide) => {
                // Guide again: back to watching, full screen.
                self.stack.pop();
                self.show_tv();
                Some(Outcome::handled())
            }
            (Screen::Guide, arrow) if arrow.is_arrow() => {
                let (rows, slots) = match arrow {
                    Button::Up => (-1, 0),
                    Button::Down => (1, 0),
                    Button::Left => (0, -1),
                    _ => (0, 1),
                };
                Some(Outcome {
                    handled: self.watch.tv.guide_move(rows, slots),
                    ..Outcome::default()
                })
            }
            (Screen::Guide, Button::ChannelUp | Button::ChannelDown) => {
                // A page of rows at a time.
                let step: isize = if button == Button::ChannelUp { -6 } else { 6 };
                let rows = self.watch.tv.len() as isize;
                let target = (self.watch.tv.guide_row as isize + step).clamp(0, (rows - 1).max(0));
                let moved = self
                    .watch
                    .tv
                    .guide_move(target - self.watch.tv.guide_row as isize, 0);
                Some(Outcome {
                    handled: moved,
                    ..Outcome::default()
                })
            }
            (Screen::Guide, Button::Ok) => {
                let row = self.watch.tv.guide_row;
                self.watch.tv.tune(row);
                self.show_tv();
                Some(Outcome {
                    handled: true,
                    banner: true,
                    ..Outcome::default()
                })
            }
            (Screen::Guide, Button::Favourite | Button::Yellow) => {
                let row = self.watch.tv.guide_row;
                self.watch.tv.toggle_favourite(row);
                Some(Outcome::handled())
            }
            (Screen::Player, Button::PlayPause | Button::Ok | Button::Play | Button::Pause) => {
                self.watch.paused = match button {
                    Button::Play => false,
                    Button::Pause => true,
                    _ => !self.watch.paused,
                };
                Some(Outcome {
                    handled: true,
                    controls: true,
                    ..Outcome::default()
                })
            }
            (
                Screen::Player,
                Button::Left | Button::Right | Button::Rewind | Button::FastForward,
            ) if matches!(self.watch.opened, Some(Opened::Film { .. })) => {
                let by = match button {
                    Button::Left => -(SKIP.as_secs() as i64),
                    Button::Right => SKIP.as_secs() as i64,
                    Button::Rewind => -(JUMP.as_secs() as i64),
                    _ => JUMP.as_secs() as i64,
                };
                Some(Outcome {
                    handled: true,
                    seek: Some(by),
                    controls: true,
                    ..Outcome::default()
                })
            }
            (Screen::Player, Button::Stop) => {
                self.stack.pop();
                self.watch.opened = None;
                Some(Outcome::handled())
            }
            (Screen::Player, Button::Up | Button::Down | Button::Info) => Some(Outcome {
                handled: true,
                controls: true,
                ..Outcome::default()
            }),
            _ => None,
        }
    }

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
        self.pin_set() && self.stack.iter().any(|p| p.screen == Screen::MyHealth)
    }

    /// Nobody pressed anything for [`crate::domain::privacy::IDLE_CLOSE`]: My health closes and
    /// its PIN guards it again. Anything else stays as it is.
    pub fn idle_timeout(&mut self) -> Outcome {
        if !self.health_open_under_pin() || self.standby {
            return Outcome::default();
        }
        self.stack.truncate(1);
        self.show_notice(NoticeKind::HealthClosed)
    }

    /// The name and the record are hidden.
    pub fn private(&self) -> bool {
        self.private
    }

    /// How the focusable things of `screen` are arranged now.
    pub fn layout_of(&self, screen: Screen) -> Layout {
        match screen {
            Screen::Films => Layout::Grid {
                columns: FILM_COLUMNS,
                count: self.watch.films.max(1),
            },
            Screen::Relax => Layout::Grid {
                columns: RELAX_COLUMNS,
                count: self.watch.relax.max(1),
            },
            Screen::Record(section) | Screen::Trend(section) => Layout::Column {
                count: self.record_counts[section.index()].max(1),
            },
            Screen::Call if self.call.configured => Layout::Column {
                count: self.call.people.max(1),
            },
            other => other.layout(),
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
        for i in 0..self.stack.len() {
            let place = self.stack[i];
            let count = self.layout_of(place.screen).count();
            if place.focus >= count {
                self.stack[i].focus = count - 1;
            }
        }
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

    /// What OK, Back, the digits and Left do here and now, for the footer. Mirrors
    /// [`Self::press`]; a notice that only explains why nothing can happen (no channels, one
    /// language) is not promised.
    pub fn hints(&self) -> Hints {
        let place = *self.top();
        let counted = |section: Section| self.record_counts[section.index()] > 0;
        let ok = match place.screen {
            Screen::Home => OkHint::OpenTile,
            Screen::Settings => match SettingRow::ALL[place.focus] {
                SettingRow::PrivacyPin if self.pin_set() => OkHint::TurnOffPin,
                SettingRow::PrivacyPin => OkHint::SetPin,
                row if self.settings.has_choice(row) => OkHint::Change,
                _ => OkHint::Nothing,
            },
            Screen::MyHealth => OkHint::Open,
            Screen::Record(section @ (Section::Results | Section::Vitals)) if counted(section) => {
                OkHint::ShowOverTime
            }
            Screen::Record(Section::CareTeam)
                if self.call.configured && counted(Section::CareTeam) =>
            {
                OkHint::VideoCall
            }
            Screen::Call if self.call.configured && self.call.people > 0 => OkHint::Call,
            Screen::Call if self.call.configured => OkHint::Nothing,
            Screen::Learn | Screen::Call | Screen::Ask => OkHint::BackToHome,
            Screen::Watch => {
                let available = match HubRow::ALL[place.focus] {
                    HubRow::LiveTv | HubRow::Guide => !self.watch.tv.is_empty(),
                    HubRow::Films => self.watch.films > 0,
                    HubRow::Relax => self.watch.relax > 0,
                };
                if available {
                    OkHint::Open
                } else {
                    OkHint::Nothing
                }
            }
            Screen::Guide if !self.watch.tv.is_empty() => OkHint::WatchChannel,
            Screen::Films if self.watch.films > 0 => OkHint::Play,
            Screen::Relax if self.watch.relax > 0 => OkHint::Play,
            _ => OkHint::Nothing,
        };
        let back = match place.screen {
            _ if self.stack.len() == 1 => BackHint::Nothing,
            Screen::Pin => BackHint::Cancel,
            _ => BackHint::GoBack,
        };
        let pad = self.pin_pad.filter(|_| place.screen == Screen::Pin);
        let digits = match place.screen {
            Screen::Pin => match pad {
                Some(pad)
                    if !(self.pin_locked
                        && matches!(pad.purpose, PinPurpose::Unlock | PinPurpose::Remove)) =>
                {
                    DigitsHint::Pin
                }
                _ => DigitsHint::Nothing,
            },
            Screen::Home | Screen::Watch | Screen::Tv | Screen::Guide
                if !self.watch.tv.is_empty() =>
            {
                DigitsHint::Channel
            }
            _ => DigitsHint::Nothing,
        };
        Hints {
            ok,
            back,
            digits,
            delete_digit: pad.is_some_and(|p| p.typed() > 0),
        }
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
        Outcome {
            handled: true,
            new_notice: Some(notice),
            ..Outcome::default()
        }
    }

    /// Applies one button press.
    pub fn press(&mut self, button: Button) -> Outcome {
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
            return Outcome::default();
        }
        // A notice has been read once the patient presses anything: it goes, and the press
        // does what it always does (a notice never costs an extra press).
        let dismissed = self.notice.take().is_some();
        let mut outcome = self.press_awake(button);
        outcome.handled |= dismissed;
        outcome
    }

    fn press_awake(&mut self, button: Button) -> Outcome {
        if matches!(self.call.stage, CallStage::Ringing | CallStage::InCall)
            && let Some(outcome) = self.call_press(button)
        {
            return outcome;
        }
        if self.screen().is_watch()
            && let Some(outcome) = self.watch_press(button)
        {
            return outcome;
        }
        match button {
            Button::Power => {
                self.standby = true;
                self.notice = None;
                Outcome::handled()
            }
            Button::Home => {
                self.leave_player();
                self.stack.truncate(1);
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
                        _ => {}
                    }
                    Outcome::handled()
                } else {
                    Outcome::default()
                }
            }
            Button::Digit(d) if self.screen() == Screen::Pin => self.pin_digit(d.value()),
            // A channel number from Home goes straight to that channel, as on any TV.
            Button::Digit(d) if self.screen() == Screen::Home => self.channel_digit(d.value()),
            Button::Left if self.screen() == Screen::Pin => {
                let taken = self.pin_pad.as_mut().is_some_and(PinPad::pop);
                Outcome {
                    handled: taken,
                    ..Outcome::default()
                }
            }
            Button::Mute => {
                self.muted = !self.muted;
                Outcome::handled()
            }
            Button::VolumeUp => {
                self.muted = false;
                let cap = self.watch.volume_cap.unwrap_or(MAX_VOLUME);
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
                Outcome {
                    handled: true,
                    settings_changed: true,
                    ..Outcome::default()
                }
            }
            Button::NurseCall => self.show_notice(NoticeKind::NurseCallUnavailable),
            Button::Privacy => {
                self.private = !self.private;
                Outcome::handled()
            }
            arrow if arrow.is_arrow() => self.arrow(arrow),
            Button::Ok => self.activate(),
            _ => Outcome::default(),
        }
    }

    /// Another patient, or nobody, is in the bed now: the previous occupant's choices (text
    /// size, contrast, captions, volume) are forgotten and the screen starts over at Home. A
    /// dark screen stays dark: the new patient may be asleep.
    pub fn new_occupant(&mut self) -> Outcome {
        let standby = self.standby;
        let seq = self.notice_seq;
        let counts = self.record_counts;
        let call = self.call;
        let mut watch = std::mem::take(&mut self.watch);
        watch.forget_patient();
        *self = Shell::with_pin_key(Settings::default(), self.pin_key.clone());
        self.watch = watch;
        self.standby = standby;
        self.record_counts = counts;
        self.notice_seq = seq;
        self.call = call;
        Outcome {
            handled: true,
            settings_changed: true,
            ..Outcome::default()
        }
    }

    /// A staff badge was read (the number itself never reaches the shell).
    pub fn badge_read(&mut self) -> Outcome {
        if self.standby {
            return Outcome::default();
        }
        self.show_notice(NoticeKind::BadgeRead)
    }

    fn arrow(&mut self, arrow: Button) -> Outcome {
        let place = *self.top();
        if place.screen == Screen::Settings && matches!(arrow, Button::Left | Button::Right) {
            return self.change_setting(place.focus, arrow == Button::Right);
        }
        let next = self.layout_of(place.screen).step(place.focus, arrow);
        self.top_mut().focus = next;
        Outcome {
            handled: next != place.focus,
            ..Outcome::default()
        }
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
                Outcome::handled()
            }
            Screen::Settings => self.change_setting(place.focus, true),
            Screen::MyHealth => {
                self.stack.push(Place {
                    screen: Screen::Record(Section::ALL[place.focus]),
                    focus: 0,
                });
                Outcome::handled()
            }
            // A result or a vital sign opens its values over time.
            Screen::Record(section @ (Section::Results | Section::Vitals))
                if self.record_counts[section.index()] > 0 =>
            {
                self.stack.push(Place {
                    screen: Screen::Trend(section),
                    focus: place.focus,
                });
                Outcome::handled()
            }
            // My care team: OK calls the person (when calls are set up).
            Screen::Record(Section::CareTeam)
                if self.call.configured && self.record_counts[Section::CareTeam.index()] > 0 =>
            {
                Outcome {
                    handled: true,
                    call: Some(CallRequest::DialCareTeam(place.focus)),
                    ..Outcome::default()
                }
            }
            // Reading only: OK has nothing to do on other rows.
            Screen::Record(_) | Screen::Trend(_) | Screen::Pin => Outcome::default(),
            Screen::Call if self.call.configured && self.call.people > 0 => Outcome {
                handled: true,
                call: Some(CallRequest::Dial(place.focus)),
                ..Outcome::default()
            },
            // Nobody to call: the screen says so and has no button.
            Screen::Call if self.call.configured => Outcome::default(),
            // Its one button: back to Home.
            Screen::Learn | Screen::Call | Screen::Ask => {
                self.stack.truncate(1);
                Outcome::handled()
            }
            Screen::Watch => {
                let (screen, available) = match HubRow::ALL[place.focus] {
                    HubRow::LiveTv => (Screen::Tv, !self.watch.tv.is_empty()),
                    HubRow::Guide => {
                        self.watch.tv.open_guide();
                        (Screen::Guide, !self.watch.tv.is_empty())
                    }
                    HubRow::Films => (Screen::Films, self.watch.films > 0),
                    HubRow::Relax => (Screen::Relax, self.watch.relax > 0),
                };
                if !available {
                    // No channels: say why where the patient pressed. No films or relaxation
                    // videos: the row already says so, and OK was never offered.
                    return if matches!(screen, Screen::Tv | Screen::Guide) {
                        self.show_notice(NoticeKind::NoChannels)
                    } else {
                        Outcome::default()
                    };
                }
                self.watch.tv.current_or_first();
                self.stack.push(Place { screen, focus: 0 });
                Outcome {
                    handled: true,
                    banner: screen == Screen::Tv,
                    ..Outcome::default()
                }
            }
            Screen::Films if self.watch.films > 0 => {
                let from = self.watch.start_of(place.focus, None);
                self.open_player(Opened::Film {
                    index: place.focus,
                    from,
                })
            }
            Screen::Relax if self.watch.relax > 0 => self.open_player(Opened::Relax(place.focus)),
            Screen::Films | Screen::Relax | Screen::Tv | Screen::Guide | Screen::Player => {
                Outcome::default()
            }
        }
    }

    fn change_setting(&mut self, row: usize, forward: bool) -> Outcome {
        match self.settings.step(SettingRow::ALL[row], forward) {
            Change::Changed => Outcome {
                handled: true,
                settings_changed: true,
                ..Outcome::default()
            },
            Change::OnlyChoice => self.show_notice(NoticeKind::OneLanguage),
            Change::Opens => self.open_pin_pad(if self.pin_set() {
                PinPurpose::Remove
            } else {
                PinPurpose::Choose
            }),
        }
    }

    fn open_player(&mut self, opened: Opened) -> Outcome {
        self.watch.opened = Some(opened);
        self.watch.paused = false;
        self.stack.push(Place {
            screen: Screen::Player,
            focus: 0,
        });
        Outcome {
            handled: true,
            controls: true,
            ..Outcome::default()
        }
    }

    /// Leaving the player by Home: what it played is closed.
    fn leave_player(&mut self) {
        if self.stack.iter().any(|p| p.screen == Screen::Player) {
            self.watch.opened = None;
        }
    }

    fn open_pin_pad(&mut self, purpose: PinPurpose) -> Outcome {
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
    fn pin_digit(&mut self, digit: u8) -> Outcome {
        let Some(mut pad) = self.pin_pad else {
            return Outcome::default();
        };
        let checks = matches!(pad.purpose, PinPurpose::Unlock | PinPurpose::Remove);
        if checks && self.pin_locked {
            // The pad says it is locked and for how long; a digit changes nothing.
            return Outcome::default();
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
                outcome = self.show_notice(NoticeKind::PinRemoved);
                outcome.settings_changed = true;
                return outcome;
            }
            PinPurpose::Unlock | PinPurpose::Remove => {
                self.pin_failures += 1;
                if self.pin_failures >= MAX_TRIES {
                    self.pin_locked = true;
                    pad.message = PinMessage::LockedOut;
                    outcome.pin_lockout = true;
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
                outcome = self.show_notice(NoticeKind::PinSet);
                outcome.settings_changed = true;
                return outcome;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::button::{Digit, parse_list};
    use crate::domain::settings::{Contrast, TextSize};

    fn shell_after(keys: &str) -> Shell {
        let mut shell = Shell::new(Settings::default());
        for b in parse_list(keys).unwrap() {
            shell.press(b);
        }
        shell
    }

    /// Presses `keys` from Home and returns the screen reached.
    fn open(keys: &str) -> Screen {
        shell_after(keys).screen()
    }

    #[test]
    fn home_tiles_open_their_screens() {
        assert_eq!(open("ok"), Screen::Watch);
        assert_eq!(open("right,ok"), Screen::Learn);
        assert_eq!(open("right,right,ok"), Screen::MyHealth);
        assert_eq!(open("down,ok"), Screen::Call);
        assert_eq!(open("down,right,ok"), Screen::Ask);
        assert_eq!(open("down,right,right,ok"), Screen::Settings);
    }

    #[test]
    fn arrows_move_across_the_home_grid_and_stop_at_its_edges() {
        let grid = Screen::Home.layout();
        // 0 1 2
        // 3 4 5
        assert_eq!(grid.step(0, Button::Right), 1);
        assert_eq!(grid.step(2, Button::Right), 2);
        assert_eq!(grid.step(3, Button::Left), 3);
        assert_eq!(grid.step(1, Button::Left), 0);
        assert_eq!(grid.step(5, Button::Left), 4);
        assert_eq!(grid.step(1, Button::Down), 4);
        assert_eq!(grid.step(4, Button::Up), 1);
        assert_eq!(grid.step(5, Button::Down), 5);
        assert_eq!(grid.step(0, Button::Up), 0);
    }

    #[test]
    fn down_onto_a_short_last_row_lands_on_its_last_item() {
        let grid = Layout::Grid {
            columns: 3,
            count: 4,
        };
        assert_eq!(grid.step(2, Button::Down), 3);
        assert_eq!(grid.step(0, Button::Down), 3);
        assert_eq!(grid.step(3, Button::Down), 3);
        assert_eq!(grid.step(3, Button::Right), 3);
    }

    #[test]
    fn home_returns_home_from_every_screen_with_the_tile_still_focused() {
        for (i, tile) in Screen::HOME_TILES.iter().enumerate() {
            let mut shell = Shell::new(Settings::default());
            let grid = Screen::Home.layout();
            let mut focus = 0;
            while focus != i {
                let arrow = if i - focus >= 3 {
                    Button::Down
                } else {
                    Button::Right
                };
                shell.press(arrow);
                focus = grid.step(focus, arrow);
            }
            shell.press(Button::Ok);
            assert_eq!(shell.screen(), *tile);
            shell.press(Button::Down);
            shell.press(Button::Home);
            assert_eq!(shell.screen(), Screen::Home);
            assert_eq!(shell.focus(), i, "Home keeps the tile that was opened");
            assert_eq!(shell.depth(), 1);
        }
    }

    #[test]
    fn back_goes_one_step_and_never_leaves_home() {
        let mut shell = shell_after("right,ok");
        assert_eq!(shell.screen(), Screen::Learn);
        assert!(shell.press(Button::Back).handled);
        assert_eq!(shell.screen(), Screen::Home);
        assert_eq!(shell.focus(), 1);
        for _ in 0..5 {
            assert!(!shell.press(Button::Back).handled);
            assert_eq!(shell.screen(), Screen::Home);
        }
    }

    #[test]
    fn ok_on_a_screen_not_built_yet_goes_back_home() {
        let mut shell = shell_after("down,ok");
        assert_eq!(shell.screen(), Screen::Call);
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), Screen::Home);
        assert_eq!(shell.focus(), 3);
    }

    #[test]
    fn settings_rows_change_with_ok_left_and_right_and_report_it() {
        let mut shell = shell_after("down,right,right,ok");
        assert_eq!(shell.screen(), Screen::Settings);
        assert_eq!(shell.focus(), 0, "Language first");
        shell.press(Button::Down);
        let out = shell.press(Button::Ok);
        assert!(out.settings_changed);
        assert_eq!(shell.settings().text_size, TextSize::Large);
        shell.press(Button::Down);
        let out = shell.press(Button::Right);
        assert!(out.settings_changed);
        assert_eq!(shell.settings().contrast, Contrast::High);
        shell.press(Button::Left);
        assert_eq!(shell.settings().contrast, Contrast::Normal);
        shell.press(Button::Down);
        assert_eq!(shell.focus(), 3, "Captions");
        shell.press(Button::Ok);
        assert!(shell.settings().captions);
        shell.press(Button::Down);
        shell.press(Button::Down);
        assert_eq!(
            shell.focus(),
            4,
            "the privacy PIN is the last row; Down stops there"
        );
    }

    #[test]
    fn the_language_row_explains_that_one_language_is_installed() {
        let mut shell = shell_after("down,right,right,ok");
        let out = shell.press(Button::Right);
        assert!(!out.settings_changed);
        assert_eq!(
            out.new_notice.map(|n| n.kind),
            Some(NoticeKind::OneLanguage)
        );
    }

    #[test]
    fn power_blacks_out_and_only_power_or_a_call_for_help_wakes() {
        let mut shell = shell_after("right,ok");
        shell.press(Button::NurseCall);
        assert!(shell.notice().is_some());
        shell.press(Button::Power);
        assert!(shell.standby());
        assert!(!shell.audible());
        assert_eq!(shell.notice(), None, "standby clears what was on screen");
        for b in Button::all().filter(|b| !matches!(b, Button::Power | Button::NurseCall)) {
            assert!(!shell.press(b).handled, "{b} must not act in standby");
        }
        assert!(shell.standby());
        let mut helped = shell.clone();
        helped.press(Button::NurseCall);
        assert!(
            !helped.standby(),
            "the nurse-call key lights the screen ..."
        );
        assert_eq!(
            helped.notice().map(|n| n.kind),
            Some(NoticeKind::NurseCallUnavailable),
            "... to say how to call the nurse"
        );
        shell.press(Button::Power);
        assert!(!shell.standby());
        assert_eq!(shell.screen(), Screen::Learn, "wakes where the patient was");
        assert!(shell.audible());
    }

    #[test]
    fn mute_and_volume() {
        let mut shell = Shell::new(Settings::default());
        let start = shell.volume();
        shell.press(Button::Mute);
        assert!(shell.muted() && !shell.audible());
        shell.press(Button::VolumeUp);
        assert!(!shell.muted(), "turning the volume up unmutes");
        assert_eq!(shell.volume(), start + 1);
        for _ in 0..500 {
            shell.press(Button::VolumeUp);
        }
        assert_eq!(shell.volume(), MAX_VOLUME);
        for _ in 0..500 {
            shell.press(Button::VolumeDown);
        }
        assert_eq!(shell.volume(), 0);
    }

    #[test]
    fn the_volume_is_kept_across_a_restart_and_reset_for_the_next_patient() {
        let mut shell = Shell::new(Settings::default());
        shell.press(Button::VolumeUp);
        let left_at = shell.volume();
        assert_ne!(left_at, START_VOLUME);
        let saved = shell.saved();
        assert_eq!(saved.volume, Some(left_at));
        let mut restarted = Shell::new(saved);
        assert_eq!(
            restarted.volume(),
            left_at,
            "the same volume after a restart"
        );
        assert_eq!(restarted.saved(), shell.saved());
        restarted.new_occupant();
        assert_eq!(
            restarted.volume(),
            START_VOLUME,
            "the next patient starts afresh"
        );
        let loud = Shell::new(Settings {
            volume: Some(250),
            ..Settings::default()
        });
        assert_eq!(
            loud.volume(),
            MAX_VOLUME,
            "a damaged file is never louder than allowed"
        );
    }

    #[test]
    fn captions_key_toggles_the_saved_setting() {
        let mut shell = Shell::new(Settings::default());
        let out = shell.press(Button::Captions);
        assert!(out.settings_changed);
        assert!(shell.settings().captions);
    }

    /// Shells in the states a patient meets: everything on, nothing on (no channels, no
    /// films, no calls, an empty record), and a PIN set that is locked out.
    fn shells_to_walk() -> Vec<Shell> {
        let mut full = Shell::new(Settings::default());
        full.set_listings(
            &[(1, "one".into()), (2, "two".into()), (12, "twelve".into())],
            vec!["a".into(), "b".into()],
            2,
        );
        full.set_record_counts([2, 1, 3, 0, 1, 2, 2, 1]);
        full.set_calls_configured(true);
        full.set_call(CallStage::None, 2, false, false);
        let empty = Shell::new(Settings::default());
        let mut calls_nobody = Shell::new(Settings::default());
        calls_nobody.set_calls_configured(true);
        let mut locked = full.clone();
        for key in "down right right ok down down down down ok 1 9 4 7 1 9 4 7 home up ok"
            .split(' ')
            .chain(["0"; 20])
        {
            locked.press(parse_list(key).unwrap()[0]);
        }
        assert!(locked.pin_locked, "the walk includes a locked pad");
        vec![full, empty, calls_nobody, locked]
    }

    /// The footer's promises against what the keys really do: for every state a walk of up to
    /// six presses reaches, each key is pressed on a copy of the shell. A press "does
    /// something" when it is handled and is not only a notice explaining why nothing can be
    /// done (no channels, one language).
    #[test]
    fn every_footer_promise_is_kept() {
        let keys: Vec<Button> = parse_list("up,down,left,right,ok,back,1,2").unwrap();
        let acts = |shell: &Shell, button: Button| {
            let mut copy = shell.clone();
            copy.notice = None;
            let out = copy.press(button);
            out.handled
                && !matches!(
                    out.new_notice.map(|n| n.kind),
                    Some(NoticeKind::NoChannels | NoticeKind::OneLanguage)
                )
        };
        let mut seen = std::collections::HashSet::new();
        let mut checked = 0;
        for start in shells_to_walk() {
            let mut frontier = vec![start];
            for _ in 0..6 {
                let mut next = Vec::new();
                for shell in frontier {
                    let key = format!(
                        "{:?}",
                        (
                            &shell.stack,
                            shell.pin_pad,
                            shell.pin_locked,
                            shell.pin_set(),
                            shell.watch.tv.entry_text(),
                            shell.call.configured,
                            shell.call.people,
                            shell.watch.films,
                            shell.record_counts
                        )
                    );
                    if !seen.insert(key) {
                        continue;
                    }
                    if !matches!(shell.screen(), Screen::Tv | Screen::Player) {
                        let hints = shell.hints();
                        let at = format!("{:?} focus {}", shell.screen(), shell.focus());
                        assert_eq!(
                            hints.ok != OkHint::Nothing,
                            acts(&shell, Button::Ok),
                            "OK on {at}: {hints:?}"
                        );
                        assert_eq!(
                            hints.back != BackHint::Nothing,
                            acts(&shell, Button::Back),
                            "Back on {at}"
                        );
                        let digit = parse_list("1").unwrap()[0];
                        assert_eq!(
                            hints.digits != DigitsHint::Nothing,
                            acts(&shell, digit),
                            "digits on {at}: {hints:?}"
                        );
                        if shell.screen() == Screen::Pin {
                            assert_eq!(
                                hints.delete_digit,
                                acts(&shell, Button::Left),
                                "Left on {at}"
                            );
                        }
                        checked += 1;
                    }
                    for &button in &keys {
                        let mut after = shell.clone();
                        after.press(button);
                        next.push(after);
                    }
                }
                frontier = next;
            }
        }
        assert!(checked > 60, "the walk reached {checked} states");
    }

    #[test]
    fn a_notice_goes_at_the_next_press_which_still_does_its_job() {
        let mut shell = Shell::new(Settings::default());
        shell.press(Button::Down);
        shell.press(Button::Right);
        shell.press(Button::Right);
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), Screen::Settings);
        let out = shell.press(Button::Right);
        assert_eq!(
            out.new_notice.map(|n| n.kind),
            Some(NoticeKind::OneLanguage)
        );
        let out = shell.press(Button::Down);
        assert_eq!(shell.notice(), None, "gone at the next press");
        assert!(out.handled && out.new_notice.is_none());
        assert_eq!(shell.focus(), 1, "and the press moved the focus as always");
        shell.press(Button::NurseCall);
        let out = shell.press(Button::Red);
        assert!(
            out.handled,
            "a press that only hides a notice still changed the screen"
        );
        assert_eq!(shell.notice(), None);
    }

    #[test]
    fn a_timer_for_an_old_notice_does_not_hide_a_newer_one() {
        let mut shell = Shell::new(Settings::default());
        let first = shell.press(Button::NurseCall).new_notice.unwrap();
        let second = shell.press(Button::NurseCall).new_notice.unwrap();
        shell.expire_notice(first.seq);
        assert_eq!(shell.notice(), Some(second));
        shell.expire_notice(second.seq);
        assert_eq!(shell.notice(), None);
    }

    #[test]
    fn buttons_with_no_meaning_here_are_ignored() {
        let mut shell = Shell::new(Settings::default());
        for b in [
            Button::ChannelUp,
            Button::Red,
            Button::Guide,
            Button::Left,
            Button::Up,
        ] {
            assert!(!shell.press(b).handled, "{b}");
        }
        assert_eq!(shell.screen(), Screen::Home);
        assert_eq!(shell.focus(), 0);
    }

    /// Thousands of random presses: the focus always sits on an item of the current screen, Home
    /// is always at the bottom, and Home always gets back there.
    #[test]
    fn focus_is_never_lost_under_random_presses() {
        let buttons: Vec<Button> = Button::all().collect();
        for mut shell in [Shell::new(Settings::default()), watching()] {
            random_presses(&mut shell, &buttons);
        }
    }

    fn random_presses(shell: &mut Shell, buttons: &[Button]) {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..50_000 {
            // xorshift: deterministic, no dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shell.press(buttons[(state % buttons.len() as u64) as usize]);
            assert!(shell.focus() < shell.layout().count());
            assert_eq!(shell.stack[0].screen, Screen::Home);
            assert!(
                shell.depth() <= 4,
                "the deepest screens: Home → My health → section → trend, Home → Watch → \
                 guide → TV: {:?}",
                shell.stack
            );
            // Nothing plays off Watch's screens.
            if !shell.screen().is_watch() {
                assert_eq!(shell.media(), Media::Nothing);
            }
        }
        if shell.standby() {
            shell.press(Button::Power);
        }
        shell.press(Button::Home);
        assert_eq!(shell.screen(), Screen::Home);
    }

    #[test]
    fn every_screen_has_something_to_focus() {
        for s in Screen::ALL {
            assert!(s.layout().count() > 0, "{s:?}");
        }
    }

    #[test]
    fn a_new_occupant_starts_fresh_at_home() {
        let mut shell = Shell::new(Settings::default());
        shell.press(Button::Right);
        shell.press(Button::Ok);
        shell.press(Button::VolumeUp);
        let before = shell.volume();
        let outcome = shell.new_occupant();
        assert!(outcome.settings_changed);
        assert_eq!((shell.screen(), shell.focus()), (Screen::Home, 0));
        assert!(shell.volume() < before);
        assert_eq!(shell.settings(), Settings::default());
    }

    #[test]
    fn my_health_opens_sections_that_scroll_through_their_rows() {
        let mut shell = shell_after("right,right,ok");
        assert_eq!(shell.screen(), Screen::MyHealth);
        shell.set_record_counts([2, 0, 70, 0, 0, 300, 0, 0]);
        for b in parse_list("down,ok").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.screen(), Screen::Record(Section::Medications));
        for _ in 0..100 {
            shell.press(Button::Down);
        }
        assert_eq!(shell.focus(), 69, "stops at the last medicine");
        shell.set_record_counts([2, 0, 10, 0, 0, 300, 0, 0]);
        assert_eq!(shell.focus(), 9, "a shorter list keeps the focus on a row");
        shell.press(Button::Back);
        assert_eq!((shell.screen(), shell.focus()), (Screen::MyHealth, 2));
        for b in parse_list("right,ok").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.screen(), Screen::Record(Section::Allergies));
        assert_eq!(
            shell.layout().count(),
            1,
            "an empty section holds its message"
        );
        assert!(!shell.press(Button::Ok).handled);
        shell.press(Button::Home);
        assert_eq!(shell.screen(), Screen::Home);
    }

    #[test]
    fn privacy_hides_until_pressed_again_and_ends_with_the_patient() {
        let mut shell = shell_after("right,right,ok");
        assert!(!shell.private());
        assert!(shell.press(Button::Privacy).handled);
        assert!(shell.private());
        shell.press(Button::Down);
        shell.press(Button::Home);
        assert!(shell.private(), "moving around keeps it hidden");
        shell.press(Button::Privacy);
        assert!(!shell.private());
        shell.press(Button::Privacy);
        shell.new_occupant();
        assert!(!shell.private(), "a new patient starts visible");
    }

    fn type_pin(shell: &mut Shell, pin: &str) -> Outcome {
        let mut last = Outcome::default();
        for b in parse_list(&pin.chars().map(String::from).collect::<Vec<_>>().join(",")).unwrap() {
            last = shell.press(b);
        }
        last
    }

    /// Settings → the PIN row (the last) → the pad.
    const PIN_ROW: &str = "down,right,right,ok,down,down,down,down,ok";

    #[test]
    fn a_pin_is_chosen_twice_then_guards_my_health() {
        let mut shell = shell_after(PIN_ROW);
        assert_eq!(shell.screen(), Screen::Pin);
        assert_eq!(shell.pin_pad().unwrap().purpose, PinPurpose::Choose);
        type_pin(&mut shell, "1947");
        assert!(matches!(
            shell.pin_pad().unwrap().purpose,
            PinPurpose::Confirm(_)
        ));
        type_pin(&mut shell, "1948");
        let pad = shell.pin_pad().unwrap();
        assert_eq!(
            (pad.purpose, pad.message),
            (PinPurpose::Choose, PinMessage::Mismatch),
            "two different PINs: choose again"
        );
        type_pin(&mut shell, "1947");
        let out = type_pin(&mut shell, "1947");
        assert!(out.settings_changed, "the PIN is saved");
        assert_eq!(out.new_notice.map(|n| n.kind), Some(NoticeKind::PinSet));
        assert_eq!(shell.screen(), Screen::Settings);
        assert!(shell.pin_set());
        let saved = toml::to_string(&shell.settings()).unwrap();
        assert!(!saved.contains("1947"), "only a keyed hash is kept");

        shell.press(Button::Home);
        shell.press(Button::Up);
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), Screen::Pin, "My health asks for the PIN");
        type_pin(&mut shell, "19");
        shell.press(Button::Left);
        assert_eq!(
            shell.pin_pad().unwrap().typed(),
            1,
            "Left takes a digit back"
        );
        type_pin(&mut shell, "947");
        assert_eq!(shell.screen(), Screen::MyHealth);
        shell.press(Button::Back);
        shell.press(Button::Ok);
        assert_eq!(
            shell.screen(),
            Screen::Pin,
            "leaving My health locks it again"
        );
    }

    #[test]
    fn wrong_pins_count_down_then_lock_the_pad_for_a_while() {
        let mut shell = shell_after(PIN_ROW);
        type_pin(&mut shell, "2468");
        type_pin(&mut shell, "2468");
        shell.press(Button::Home);
        shell.press(Button::Up);
        shell.press(Button::Ok);
        for left in (1..MAX_TRIES).rev() {
            let out = type_pin(&mut shell, "0000");
            assert!(!out.pin_lockout);
            assert_eq!(
                shell.pin_pad().unwrap().message,
                PinMessage::Wrong { tries_left: left }
            );
        }
        let out = type_pin(&mut shell, "0000");
        assert!(out.pin_lockout, "the controller starts the lockout timer");
        assert_eq!(shell.pin_pad().unwrap().message, PinMessage::LockedOut);
        type_pin(&mut shell, "2468");
        assert_eq!(shell.screen(), Screen::Pin, "even the right PIN waits");
        shell.press(Button::Back);
        shell.press(Button::Ok);
        assert_eq!(
            shell.pin_pad().unwrap().message,
            PinMessage::LockedOut,
            "leaving and coming back does not reset the lock"
        );
        shell.end_pin_lockout();
        type_pin(&mut shell, "2468");
        assert_eq!(shell.screen(), Screen::MyHealth);
    }

    #[test]
    fn the_pin_is_removed_with_the_pin_and_cleared_by_discharge() {
        let mut shell = shell_after(PIN_ROW);
        type_pin(&mut shell, "1111");
        type_pin(&mut shell, "1111");
        shell.press(Button::Ok);
        assert_eq!(shell.pin_pad().unwrap().purpose, PinPurpose::Remove);
        type_pin(&mut shell, "2222");
        assert!(shell.pin_set(), "a wrong PIN removes nothing");
        let out = type_pin(&mut shell, "1111");
        assert!(out.settings_changed && !shell.pin_set());
        assert_eq!(out.new_notice.map(|n| n.kind), Some(NoticeKind::PinRemoved));

        let mut shell = shell_after(PIN_ROW);
        type_pin(&mut shell, "1111");
        type_pin(&mut shell, "1111");
        shell.new_occupant();
        assert!(!shell.pin_set(), "the next patient finds no PIN");
        shell.press(Button::Right);
        shell.press(Button::Right);
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), Screen::MyHealth);
    }

    #[test]
    fn my_health_closes_itself_when_idle_only_under_a_pin() {
        let mut shell = shell_after("right,right,ok,ok");
        assert!(!shell.health_open_under_pin());
        assert!(!shell.idle_timeout().handled, "no PIN: nothing to guard");
        assert_eq!(shell.screen(), Screen::Record(Section::CareTeam));

        let mut shell = shell_after(PIN_ROW);
        type_pin(&mut shell, "1234");
        type_pin(&mut shell, "1234");
        assert!(!shell.health_open_under_pin(), "Settings is not My health");
        shell.press(Button::Home);
        shell.press(Button::Up);
        shell.press(Button::Ok);
        type_pin(&mut shell, "1234");
        shell.press(Button::Ok);
        assert!(shell.health_open_under_pin());
        let out = shell.idle_timeout();
        assert_eq!(
            out.new_notice.map(|n| n.kind),
            Some(NoticeKind::HealthClosed)
        );
        assert_eq!(shell.screen(), Screen::Home);
        assert_eq!(shell.focus(), 2, "on the My health tile");
    }

    #[test]
    fn ok_on_a_result_opens_its_trend_and_back_returns_to_the_row_shown() {
        let mut shell = shell_after("right,right,ok");
        shell.set_record_counts([0, 0, 0, 0, 0, 30, 5, 0]);
        for b in parse_list("down,down,right,ok,down,down,ok").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.screen(), Screen::Trend(Section::Results));
        assert_eq!(shell.focus(), 2);
        shell.press(Button::Down);
        assert_eq!(shell.focus(), 3, "Down shows the next test");
        shell.press(Button::Back);
        assert_eq!(
            (shell.screen(), shell.focus()),
            (Screen::Record(Section::Results), 3)
        );
        shell.press(Button::Back);
        for b in parse_list("left,up,up,ok,ok").unwrap() {
            shell.press(b);
        }
        assert_eq!(
            shell.screen(),
            Screen::Record(Section::CareTeam),
            "other sections are reading only"
        );
    }

    fn watching() -> Shell {
        let mut shell = Shell::new(Settings::default());
        let channels: Vec<(u32, String)> =
            [1, 2, 5].iter().map(|n| (*n, format!("ch{n}"))).collect();
        shell.set_listings(&channels, vec!["film-a".into(), "film-b".into()], 1);
        shell
    }

    #[test]
    fn watch_opens_live_tv_that_zaps_and_comes_back_to_the_hub() {
        let mut shell = watching();
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), Screen::Watch);
        assert_eq!(
            shell.media(),
            Media::Channel(0),
            "the hub previews the first channel"
        );
        let out = shell.press(Button::Ok);
        assert!(out.banner);
        assert_eq!(shell.screen(), Screen::Tv);
        shell.press(Button::Up);
        assert_eq!(shell.media(), Media::Channel(1));
        shell.press(Button::ChannelDown);
        shell.press(Button::ChannelDown);
        assert_eq!(
            shell.media(),
            Media::Channel(2),
            "down from the first goes round"
        );
        shell.press(Button::LastChannel);
        assert_eq!(shell.media(), Media::Channel(0));
        shell.press(Button::Back);
        assert_eq!(shell.screen(), Screen::Watch);
        assert_eq!(shell.media(), Media::Channel(0), "the preview goes on");
        shell.press(Button::Home);
        assert_eq!(
            shell.media(),
            Media::Nothing,
            "Home stops the picture and the sound"
        );
        shell.press(Button::Ok);
        shell.press(Button::Power);
        assert_eq!(shell.media(), Media::Nothing, "standby stops it too");
    }

    #[test]
    fn digits_tune_from_the_hub_and_a_missing_number_is_said() {
        let mut shell = watching();
        shell.press(Button::Ok);
        let out = shell.press(Button::Digit(Digit::new(5).unwrap()));
        assert!(out.banner);
        assert_eq!(
            (shell.screen(), shell.media()),
            (Screen::Tv, Media::Channel(2))
        );
        let out = shell.press(Button::Digit(Digit::new(9).unwrap()));
        assert_eq!(
            out.new_notice.map(|n| n.kind),
            Some(NoticeKind::NoSuchChannel)
        );
        assert_eq!(shell.watch().missing_channel, Some(9));
        assert_eq!(shell.media(), Media::Channel(2));
    }

    #[test]
    fn the_guide_moves_by_channel_and_half_hour_and_ok_watches() {
        let mut shell = watching();
        for b in parse_list("ok,down,ok,down,down,down,right,right").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.screen(), Screen::Guide);
        assert_eq!(shell.watch().tv.guide_row, 2, "stops at the last channel");
        assert_eq!(shell.watch().tv.guide_slot, 2);
        shell.press(Button::Ok);
        assert_eq!(
            (shell.screen(), shell.media()),
            (Screen::Tv, Media::Channel(2))
        );
        shell.press(Button::Guide);
        assert_eq!(shell.screen(), Screen::Guide);
        shell.press(Button::Guide);
        assert_eq!(shell.screen(), Screen::Tv, "Guide again closes it");
    }

    #[test]
    fn films_play_pause_seek_and_remember_where_they_were() {
        let mut shell = watching();
        for b in parse_list("ok,down,down,ok,right,ok").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.screen(), Screen::Player);
        assert_eq!(
            shell.media(),
            Media::Film {
                index: 1,
                from: std::time::Duration::ZERO
            }
        );
        assert_eq!(shell.press(Button::FastForward).seek, Some(30));
        assert_eq!(shell.press(Button::Left).seek, Some(-10));
        shell.press(Button::PlayPause);
        assert!(shell.watch().paused);
        shell.left_film_at(1, std::time::Duration::from_secs(600), None);
        shell.press(Button::Back);
        assert_eq!(shell.media(), Media::Nothing);
        shell.press(Button::Ok);
        assert_eq!(
            shell.media(),
            Media::Film {
                index: 1,
                from: std::time::Duration::from_secs(600)
            },
            "resumes"
        );
        shell.new_occupant();
        assert!(!shell.watch().resumes(1), "the next patient starts afresh");
    }

    #[test]
    fn a_film_stopped_by_a_call_goes_on_from_where_it_was() {
        let mut shell = watching();
        for b in parse_list("ok,down,down,ok,ok").unwrap() {
            shell.press(b);
        }
        assert!(matches!(shell.media(), Media::Film { index: 0, .. }));
        shell.set_call(CallStage::Ringing, 0, false, false);
        assert_eq!(shell.media(), Media::Nothing);
        // The controller tells where the film was when it stopped it.
        shell.left_film_at(0, std::time::Duration::from_secs(754), None);
        shell.set_call(CallStage::Ended, 0, false, false);
        assert_eq!(shell.screen(), Screen::Player);
        assert_eq!(
            shell.media(),
            Media::Film {
                index: 0,
                from: std::time::Duration::from_secs(754)
            }
        );
    }

    #[test]
    fn relaxation_loops_in_the_player_and_nothing_plays_under_a_call() {
        let mut shell = watching();
        for b in parse_list("ok,down,down,down,ok,ok").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.media(), Media::Relax(0));
        assert_eq!(
            shell.press(Button::Right).seek,
            None,
            "a loop has nowhere to seek"
        );
        shell.set_interrupted(true);
        assert_eq!(shell.media(), Media::Nothing);
        shell.set_interrupted(false);
        assert_eq!(shell.media(), Media::Relax(0));
    }

    #[test]
    fn the_volume_stops_at_the_cap_and_says_why() {
        let mut shell = watching();
        shell.set_volume_cap(21);
        assert!(shell.press(Button::VolumeUp).new_notice.is_none());
        let out = shell.press(Button::VolumeUp);
        assert_eq!(
            out.new_notice.map(|n| n.kind),
            Some(NoticeKind::VolumeCapped)
        );
        assert_eq!(shell.volume(), 21);
        shell.set_volume_cap(10);
        assert_eq!(shell.volume(), 10, "quiet hours bring it down");
    }

    #[test]
    fn an_empty_lineup_opens_nothing_and_says_why() {
        let mut shell = Shell::new(Settings::default());
        shell.press(Button::Ok);
        let out = shell.press(Button::Ok);
        assert_eq!(out.new_notice.map(|n| n.kind), Some(NoticeKind::NoChannels));
        assert_eq!(shell.screen(), Screen::Watch);
        assert_eq!(shell.media(), Media::Nothing);
        assert_eq!(
            shell.hints().ok,
            OkHint::Nothing,
            "the footer never offered OK"
        );
        // A channel number typed on Home says the same.
        shell.press(Button::Home);
        let out = shell.press(Button::Digit(Digit::new(4).unwrap()));
        assert_eq!(out.new_notice.map(|n| n.kind), Some(NoticeKind::NoChannels));
        assert_eq!(shell.screen(), Screen::Home);
    }

    #[test]
    fn a_channel_number_typed_on_home_goes_to_that_channel() {
        let mut shell = watching();
        shell.press(Button::Home);
        assert_eq!(shell.hints().digits, DigitsHint::Channel);
        // No channel number starts with 5 but 5 itself: decided at once.
        let out = shell.press(Button::Digit(Digit::new(5).unwrap()));
        assert!(out.handled && out.banner);
        assert_eq!(shell.screen(), Screen::Tv);
        assert_eq!(shell.media(), Media::Channel(2));
        shell.press(Button::Back);
        assert_eq!(shell.screen(), Screen::Home, "Back from it returns Home");
    }

    #[test]
    fn a_ringing_call_takes_ok_and_back_and_wakes_the_screen() {
        let mut shell = Shell::new(Settings::default());
        shell.set_calls_configured(true);
        shell.press(Button::Power);
        assert!(shell.standby());
        shell.set_call(CallStage::Ringing, 0, false, false);
        assert!(!shell.standby(), "a call lights the screen");
        // Accept is focused; Right moves to Decline and no further.
        assert_eq!(shell.call_focus(), 0);
        shell.press(Button::Right);
        shell.press(Button::Right);
        assert_eq!(shell.call_focus(), 1);
        assert_eq!(shell.press(Button::Ok).call, Some(CallRequest::Decline));
        shell.press(Button::Left);
        assert_eq!(shell.press(Button::Ok).call, Some(CallRequest::Accept));
        assert_eq!(shell.press(Button::Back).call, Some(CallRequest::Decline));
        // Home does not leave a ringing call, volume still works; Power declines it.
        assert_eq!(
            shell.clone().press(Button::Power).call,
            Some(CallRequest::Decline)
        );
        let home = shell.press(Button::Home);
        assert_eq!(home.call, None);
        let before = shell.volume();
        shell.press(Button::VolumeUp);
        assert_eq!(shell.volume(), before + 1);
    }

    #[test]
    fn in_a_call_the_controls_mute_hide_and_hang_up_and_nothing_plays_under_it() {
        let mut shell = Shell::new(Settings::default());
        shell.set_calls_configured(true);
        shell.set_call(CallStage::InCall, 0, false, false);
        assert_eq!(shell.media(), Media::Nothing);
        assert_eq!(
            shell.press(Button::Ok).call,
            Some(CallRequest::MuteMic(true))
        );
        shell.set_call(CallStage::InCall, 0, true, false);
        assert_eq!(
            shell.press(Button::Ok).call,
            Some(CallRequest::MuteMic(false))
        );
        shell.press(Button::Right);
        assert_eq!(
            shell.press(Button::Ok).call,
            Some(CallRequest::CameraOff(true))
        );
        shell.press(Button::Right);
        let before = shell.volume();
        shell.press(Button::Ok);
        assert_eq!(shell.volume(), before - 1, "Quieter");
        for _ in 0..9 {
            shell.press(Button::Right);
        }
        assert_eq!(CallControl::ALL[shell.call_focus()], CallControl::HangUp);
        assert_eq!(shell.press(Button::Ok).call, Some(CallRequest::HangUp));
        // Back and Home never end a call by accident.
        assert_eq!(shell.press(Button::Back).call, None);
        assert_eq!(shell.press(Button::Home).call, None);
        assert_eq!(shell.call_stage(), CallStage::InCall);
        // Power never leaves a camera live behind a dark screen.
        assert_eq!(shell.press(Button::Power).call, Some(CallRequest::HangUp));
        assert!(shell.standby());
        shell.set_call(CallStage::Ended, 0, false, false);
        assert_eq!(shell.press(Button::Ok).call, None);
    }

    #[test]
    fn call_lists_people_and_ok_dials_the_focused_one() {
        let mut shell = Shell::new(Settings::default());
        // Not set up: Call holds one button, back to Home.
        shell.press(Button::Down);
        assert_eq!(shell.press(Button::Ok).call, None);
        assert_eq!(shell.screen(), Screen::Call);
        assert_eq!(shell.press(Button::Ok).call, None);
        assert_eq!(shell.screen(), Screen::Home);
        shell.set_calls_configured(true);
        shell.set_call(CallStage::None, 3, false, false);
        shell.press(Button::Ok);
        assert_eq!(shell.screen(), Screen::Call);
        shell.press(Button::Down);
        shell.press(Button::Down);
        shell.press(Button::Down);
        assert_eq!(shell.press(Button::Ok).call, Some(CallRequest::Dial(2)));
        // The list shrinks under the focus: it stays on someone who is there.
        shell.set_call(CallStage::None, 1, false, false);
        assert_eq!(shell.press(Button::Ok).call, Some(CallRequest::Dial(0)));
        // Nobody to call: OK does nothing on Call.
        shell.set_call(CallStage::None, 0, false, false);
        assert_eq!(shell.press(Button::Ok).call, None);
        // My care team: OK on a person asks to call them.
        let mut counts = [0; 8];
        counts[Section::CareTeam.index()] = 3;
        shell.set_record_counts(counts);
        for b in parse_list("home,up,right,right,ok,ok,down").unwrap() {
            shell.press(b);
        }
        assert_eq!(shell.screen(), Screen::Record(Section::CareTeam));
        assert_eq!(
            shell.press(Button::Ok).call,
            Some(CallRequest::DialCareTeam(1))
        );
    }
}
