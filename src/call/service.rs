//! The call thread: keeps the link to the signalling server (reconnecting when it drops), runs
//! the call state machine ([`crate::domain::call`]) and carries out what it asks: messages to
//! the server, the media pipeline, the ring tone. The UI sends it [`Command`]s and gets a
//! [`CallView`] whenever what it shows changes.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use gst_plugin_webrtc_signalling_protocol as p;

use super::media::{Camera, Media, MediaEvent, MediaFrames, MediaSetup, Microphone};
use super::rehearsal::Running;
use super::signalling::{Link, LinkError, TlsSetup};
use crate::config;
use crate::domain::call::rehearsal::{self, Rehearsal};
use crate::domain::call::{Action, Call, Input, Peer, Phase, Refusal};

/// How soon a lost link is tried again: 1 s, doubling to half a minute.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// How long the thread waits for the server between other work: short while a call is being
/// set up (our offer and candidates go out between waits), longer in a call, longest when
/// nothing happens.
const WAIT_BUSY: Duration = Duration::from_millis(5);
const WAIT_LIVE: Duration = Duration::from_millis(50);
const WAIT_IDLE: Duration = Duration::from_millis(250);
/// Nothing from the far end this long in a call: the connection is taken as dropped (shown,
/// and ended after [`crate::domain::call::RECOVER_TIMEOUT`] unless media comes back). Covers
/// a far end that went silent without ICE noticing.
const SILENT_LIMIT: Duration = Duration::from_secs(4);
/// The directory is asked for again this often (listeners also get every change).
const LIST_EVERY: Duration = Duration::from_secs(60);
/// A quiet server is pinged this often while a call is on (a dead link is noticed within
/// three times this: `Link::keep_alive`), and this often otherwise.
const KEEP_ALIVE_CALL: Duration = Duration::from_secs(1);
const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(15);
/// In a call whose link dropped (the box's address changed, say), the server is tried again
/// this often, for at most this long, to take the box's place there again (the server holds
/// it: `call::places`) and keep the call.
const AWAY_RETRY: Duration = Duration::from_millis(300);
const AWAY_LIMIT: Duration = Duration::from_secs(10);
/// Back on the server after the link dropped in a call, with nothing from the far end for
/// this long: the media's path broke too, and is started afresh at once.
const PATH_QUIET: Duration = Duration::from_secs(1);

/// What the UI asks of the call.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Accept,
    Decline,
    /// Decline and block the caller for the stay (family only: see `Input::Block`).
    Block,
    HangUp,
    /// Call this peer (by the id the directory gave).
    Dial(String),
    /// The patient asked for someone not online for calls (by name): say so.
    Unreachable(String),
    MuteMic(bool),
    CameraOff(bool),
    /// The speaker's loudness, linear, and mute.
    Volume(f64, bool),
    /// Show the far end this record view (JSON, see docs/calls.md), or stop (`None`).
    Share(Option<String>),
    /// Who may call as family now, and who staff set as not allowed.
    Family(FamilyList),
    /// Start "Test my camera and sound" (again, from the start, if it runs), or stop it. A
    /// call that rings or starts stops it first: the camera is the call's.
    Rehearse(bool),
}

/// The family list as the call needs it: allowed, and set as not allowed.
pub type FamilyList = (
    Vec<crate::domain::family::Member>,
    Vec<crate::domain::family::Member>,
);

/// Everything the screen shows about calls.
#[derive(Clone, Debug, PartialEq)]
pub struct CallView {
    pub phase: Phase,
    /// Who can be called now.
    pub callable: Vec<Peer>,
    /// The support desk online for a test call, if any.
    pub support: Option<Peer>,
    /// Connected to the signalling server.
    pub online: bool,
    pub mic_muted: bool,
    pub camera_off: bool,
    /// A camera is sending (or about to): the camera-in-use light must be on.
    pub camera_live: bool,
    /// This box has a camera at all.
    pub has_camera: bool,
    /// The call is a virtual observation: the banner must show.
    pub observation: bool,
    /// The far end can be shown a record view now (the call's data channel is open).
    pub share_open: bool,
    /// "Test my camera and sound", while it runs (and its result after).
    pub rehearsal: Option<Rehearsal>,
}

/// How the call thread is set up.
#[derive(Clone, Debug)]
pub struct CallSetup {
    pub url: String,
    pub tls: TlsSetup,
    /// Registered with the server: who this bed is.
    pub bed_name: String,
    pub bed_id: String,
    pub media: MediaSetup,
    /// Roles answered without a press (virtual observation); see the config.
    pub observation_roles: Vec<String>,
    /// Connect to the server. Off for pictures taken without the network (`bedside snapshot`):
    /// Call then shows calls as set up but not connected.
    pub connect: bool,
}

impl CallSetup {
    pub fn from_config(call: &config::Call, bed: &config::Bed, silent: bool) -> CallSetup {
        let camera = match &call.camera {
            config::CameraChoice::None => Camera::None,
            config::CameraChoice::Test => Camera::Test,
            config::CameraChoice::Device(p) => Camera::Device(p.display().to_string()),
            config::CameraChoice::Auto => {
                if std::path::Path::new("/dev/video0").exists() {
                    Camera::Device("/dev/video0".into())
                } else {
                    Camera::None
                }
            }
        };
        let stun = call.ice_servers.iter().find_map(|s| match s {
            config::IceServer::Stun(u) => Some(u.clone()),
            _ => None,
        });
        let turn = call
            .ice_servers
            .iter()
            .filter_map(|s| match s {
                config::IceServer::Turn(u) => Some(u.clone()),
                _ => None,
            })
            .collect();
        CallSetup {
            url: call.signalling_url.0.clone(),
            tls: TlsSetup {
                ca_file: call.ca_file.clone(),
                client_cert: call.client_cert.clone(),
                client_key: call.client_key.clone(),
            },
            bed_name: bed.name.as_str().to_owned(),
            bed_id: bed.location.value.clone(),
            media: MediaSetup {
                camera,
                microphone: match call.microphone {
                    config::MicrophoneChoice::Auto => Microphone::Auto,
                    config::MicrophoneChoice::Test => Microphone::Test,
                },
                stun,
                turn,
                relay_only: call.relay_only,
                remote_size: (1920, 1080),
                own_size: (384, 216),
                silent,
                send: (1280, 720, 25, 1500),
            },
            observation_roles: call.observation_roles.clone(),
            connect: true,
        }
    }
}

enum Msg {
    Command(Command),
    Media(u64, MediaEvent),
    /// What a part of the self-test did (for the run with this number).
    Rehearsal(u64, rehearsal::Event),
    /// Test only: fail as a bug would.
    Fail,
    Quit,
}

/// The running call thread. Dropping it ends any call and closes the link.
pub struct CallService {
    tx: Sender<Msg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CallService {
    /// Starts the thread. `view` is called (on the call thread) whenever what the screen shows
    /// changes; `frames` with every picture of a call.
    pub fn spawn(
        setup: CallSetup,
        view: Arc<dyn Fn(CallView) + Send + Sync>,
        frames: MediaFrames,
    ) -> std::io::Result<CallService> {
        let (tx, rx) = mpsc::channel();
        let own = tx.clone();
        let thread = std::thread::Builder::new()
            .name("call".into())
            .spawn(move || supervise(setup, view, frames, own, rx))?;
        Ok(CallService {
            tx,
            thread: Some(thread),
        })
    }

    pub fn send(&self, command: Command) {
        let _ = self.tx.send(Msg::Command(command));
    }

    /// Test only: the call thread fails at once, as a bug in it would (see [`supervise`]).
    #[doc(hidden)]
    pub fn fail(&self) {
        let _ = self.tx.send(Msg::Fail);
    }
}

impl Drop for CallService {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The call thread's work, run again when it fails ([`crate::supervise`]). After a failure the
/// screen is told at once: a call in progress ends as "could not be connected" (the failed run
/// took the link with it, so the server ended the session for the far end and forgot the bed),
/// and the fresh run connects and registers the bed again.
fn supervise(
    setup: CallSetup,
    view: Arc<dyn Fn(CallView) + Send + Sync>,
    frames: MediaFrames,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
) {
    let last = Arc::new(std::sync::Mutex::new(None::<CallView>));
    let view: Arc<dyn Fn(CallView) + Send + Sync> = {
        let last = last.clone();
        Arc::new(move |shown: CallView| {
            *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(shown.clone());
            view(shown)
        })
    };
    // Who may call as family outlives a failed run: the screen sends it only when it changes.
    let family: Arc<std::sync::Mutex<FamilyList>> = Arc::default();
    let next = std::cell::Cell::new(Some(Call::with_observation(&setup.observation_roles)));
    crate::supervise::run(
        "call",
        || {
            let mut call = next
                .take()
                .unwrap_or_else(|| Call::with_observation(&setup.observation_roles));
            let (allowed, blocked) = family.lock().unwrap_or_else(|e| e.into_inner()).clone();
            call.set_family(allowed, blocked);
            let mut worker = Worker::new(
                setup.clone(),
                call,
                view.clone(),
                frames.clone(),
                tx.clone(),
            );
            worker.family = family.clone();
            worker.run(&rx)
        },
        || {
            let before = last.lock().unwrap_or_else(|e| e.into_inner()).take();
            let mut call = Call::with_observation(&setup.observation_roles);
            if let Some(phase) = before.as_ref().map(|v| &v.phase)
                && phase.in_progress()
            {
                call.fail(phase.peer().cloned(), Instant::now());
            }
            view(CallView {
                phase: call.phase().clone(),
                callable: Vec::new(),
                support: None,
                online: false,
                mic_muted: false,
                camera_off: false,
                camera_live: false,
                has_camera: setup.media.camera != Camera::None,
                observation: false,
                share_open: false,
                rehearsal: None,
            });
            next.set(Some(call));
        },
        |pause| {
            let until = Instant::now() + pause;
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                match rx.recv_timeout(left) {
                    Ok(Msg::Quit) | Err(RecvTimeoutError::Disconnected) => return false,
                    Ok(Msg::Command(Command::Family(list))) => {
                        *family.lock().unwrap_or_else(|e| e.into_inner()) = list;
                    }
                    // Asked of a call that is gone.
                    Ok(_) => {}
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
            true
        },
    );
}

/// A call whose link dropped, while the box connects again to keep it.
struct Away {
    /// The box's place on the server (the peer id it was welcomed with).
    place: String,
    since: Instant,
    /// What the call said meanwhile (the media's new offer, its candidates, a hang-up), sent
    /// once the server welcomes the box back in its place.
    outbox: Vec<p::IncomingMessage>,
}

struct Worker {
    setup: CallSetup,
    call: Call,
    link: Option<Link>,
    /// When to try connecting next, and the wait after that if it fails.
    next_try: Instant,
    retry: Duration,
    /// The peer id the server welcomed this box with last.
    place: Option<String>,
    away: Option<Away>,
    media: Option<Media>,
    /// Events of an older call's media are dropped.
    media_generation: u64,
    ringer: Option<Ringer>,
    view: Arc<dyn Fn(CallView) + Send + Sync>,
    frames: MediaFrames,
    tx: Sender<Msg>,
    shown: Option<CallView>,
    /// The far end has been silent past [`SILENT_LIMIT`] (reported as a drop).
    silent: bool,
    volume: (f64, bool),
    listed_at: Instant,
    /// The record view shown to the far end (JSON), while a member of staff shares one.
    shared: Option<String>,
    /// The call's shared-view channel is open.
    share_open: bool,
    /// Who may call as family, kept for the next run if this one fails.
    family: Arc<std::sync::Mutex<FamilyList>>,
    /// The self-test: its result, and its parts while they run.
    rehearsal: Option<Rehearsal>,
    rehearsing: Option<Running>,
    /// Events of an older self-test are dropped.
    rehearsal_generation: u64,
}

impl Worker {
    fn new(
        setup: CallSetup,
        call: Call,
        view: Arc<dyn Fn(CallView) + Send + Sync>,
        frames: MediaFrames,
        tx: Sender<Msg>,
    ) -> Worker {
        Worker {
            call,
            setup,
            link: None,
            next_try: Instant::now(),
            retry: RETRY_FIRST,
            place: None,
            away: None,
            media: None,
            media_generation: 0,
            ringer: None,
            view,
            frames,
            tx,
            shown: None,
            silent: false,
            volume: (1.0, false),
            listed_at: Instant::now(),
            shared: None,
            share_open: false,
            family: Arc::default(),
            rehearsal: None,
            rehearsing: None,
            rehearsal_generation: 0,
        }
    }

    fn run(mut self, rx: &Receiver<Msg>) {
        // The pipeline a call will build, built once: a box missing a plugin, or with an
        // element that does not take a call's settings, says so now and never registers for
        // calls, rather than failing when a patient accepts one.
        let usable = match Media::check(&self.setup.media) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "calls cannot work on this box; not taking any");
                false
            }
        };
        self.show();
        loop {
            if usable && self.link.is_none() && Instant::now() >= self.next_try {
                self.connect();
            }
            if self
                .away
                .as_ref()
                .is_some_and(|a| a.since.elapsed() >= AWAY_LIMIT)
            {
                self.give_up_away("the call server could not be reached again in time");
            }
            // The server first, briefly; then whatever else is waiting.
            let wait = match self.call.phase() {
                Phase::Ringing { .. } | Phase::Dialling { .. } | Phase::Connecting { .. } => {
                    WAIT_BUSY
                }
                Phase::Live { .. } => WAIT_LIVE,
                // The meter moves smoothly while the self-test runs.
                _ if self.rehearsing.is_some() => WAIT_LIVE,
                _ => WAIT_IDLE,
            };
            let wait = match self.call.next_due() {
                Some(due) => wait.min(due.saturating_duration_since(Instant::now())),
                None => wait,
            };
            if let Some(link) = &mut self.link {
                let every = if self.call.phase().in_progress() {
                    KEEP_ALIVE_CALL
                } else {
                    KEEP_ALIVE_IDLE
                };
                match link.keep_alive(every).and_then(|()| link.receive(wait)) {
                    Ok(Some(message)) => self.server_message(message),
                    Ok(None) => {}
                    Err(e) => self.link_lost(&e),
                }
                if self.link.is_some() && self.listed_at.elapsed() >= LIST_EVERY {
                    self.listed_at = Instant::now();
                    self.send(p::IncomingMessage::List);
                }
            }
            // Without a link, wait on the queue instead.
            let first = if self.link.is_none() {
                match rx.recv_timeout(wait.max(Duration::from_millis(50))) {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return self.quit(),
                }
            } else {
                None
            };
            for msg in first
                .into_iter()
                .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            {
                match msg {
                    Msg::Quit => return self.quit(),
                    Msg::Fail => panic!("the call thread was made to fail (test)"),
                    Msg::Command(c) => self.command(c),
                    Msg::Media(generation, event) => {
                        if generation == self.media_generation {
                            self.media_event(event)
                        }
                    }
                    Msg::Rehearsal(generation, event) => {
                        if generation == self.rehearsal_generation {
                            self.rehearsal_event(event)
                        }
                    }
                }
            }
            self.rehearsal_tick();
            self.watch_silence();
            // Timeouts only: nothing to recompute or show until one is due.
            if self
                .call
                .next_due()
                .is_some_and(|due| Instant::now() >= due)
            {
                self.input(Input::Tick);
            }
        }
    }

    /// Reports a far end gone silent as a drop, and its return as a recovery.
    fn watch_silence(&mut self) {
        let quiet = match (&self.media, self.call.phase()) {
            (Some(m), Phase::Live { .. }) => m.silent_for(),
            _ => {
                self.silent = false;
                return;
            }
        };
        match quiet {
            Some(q) if q >= SILENT_LIMIT && !self.silent => {
                tracing::warn!(silent_for = ?q, "nothing from the far end");
                self.silent = true;
                self.input(Input::Interrupted);
            }
            Some(q) if q < Duration::from_secs(1) && self.silent => {
                tracing::info!("the far end is back");
                self.silent = false;
                self.input(Input::Connected);
            }
            _ => {}
        }
    }

    fn quit(mut self) {
        self.input(Input::HangUp);
        self.input(Input::Decline);
        if let Some(media) = self.media.take() {
            let _ = media.stop().join();
        }
        if let Some(link) = self.link.take() {
            link.close();
        }
    }

    /// Connects to the signalling server (now: the caller checked it is time).
    fn connect(&mut self) {
        // In a call whose link dropped: ask for the box's place back (`call::places`).
        let url = match &self.away {
            Some(away) => {
                let join = if self.setup.url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                format!("{}{join}resume={}", self.setup.url, away.place)
            }
            None => self.setup.url.clone(),
        };
        match Link::connect(&url, &self.setup.tls) {
            Ok(link) => {
                tracing::info!("connected to the call signalling server");
                self.link = Some(link);
                self.retry = RETRY_FIRST;
            }
            Err(e) if self.away.is_some() => {
                if matches!(e, LinkError::Refused(_)) {
                    // Nothing listens: the server went down, and the call's session with it.
                    self.give_up_away("the call server is down");
                } else {
                    // The new address may not be up yet: again shortly.
                    tracing::info!(error = %e, "in a call: the call server not reached yet");
                    self.next_try = Instant::now() + AWAY_RETRY;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?self.retry, "no call signalling");
                self.next_try = Instant::now() + self.retry;
                self.retry = (self.retry * 2).min(RETRY_MAX);
            }
        }
        self.show();
    }

    /// The link to the server is gone. In a call, the box connects again at once to take its
    /// place on the server again, and the call goes on where the far end can; otherwise the
    /// call (if any) ends as lost and the link is made again later.
    fn link_lost(&mut self, error: &LinkError) {
        tracing::warn!(%error, "call signalling lost");
        self.link = None;
        self.next_try = Instant::now() + self.retry;
        if self.away.is_some() {
            self.next_try = Instant::now() + AWAY_RETRY;
            return;
        }
        let in_call = matches!(
            self.call.phase(),
            Phase::Connecting { .. } | Phase::Live { .. }
        );
        match self.place.clone() {
            Some(place) if in_call => {
                tracing::info!("in a call: connecting again to keep it");
                self.away = Some(Away {
                    place,
                    since: Instant::now(),
                    outbox: Vec::new(),
                });
                self.next_try = Instant::now();
                self.show();
            }
            _ => self.input(Input::Disconnected),
        }
    }

    /// The call whose link dropped cannot be kept: it ends as lost.
    fn give_up_away(&mut self, why: &str) {
        if self.away.take().is_some() {
            tracing::warn!(why, "the call could not be kept");
            self.input(Input::Disconnected);
        }
    }

    fn send(&mut self, message: p::IncomingMessage) {
        if let Some(away) = &mut self.away {
            // Registering and listing are done afresh on the welcome.
            if !matches!(
                message,
                p::IncomingMessage::SetPeerStatus(_) | p::IncomingMessage::List
            ) {
                away.outbox.push(message);
            }
            return;
        }
        let Some(link) = &mut self.link else {
            return;
        };
        if let Err(e) = link.send(&message) {
            self.link_lost(&e);
        }
    }

    fn server_message(&mut self, message: p::OutgoingMessage) {
        use p::OutgoingMessage as O;
        let input = match message {
            O::Welcome { peer_id } => {
                if let Some(away) = self.away.take() {
                    if away.place == peer_id {
                        tracing::info!(
                            after_ms = away.since.elapsed().as_millis() as u64,
                            "back in the call server's place: the call goes on"
                        );
                        for message in away.outbox {
                            self.send(message);
                        }
                        // The far end's media went quiet with the link: the path changed
                        // (a new address), and the connection is started afresh now.
                        if self
                            .media
                            .as_ref()
                            .and_then(Media::silent_for)
                            .is_some_and(|quiet| quiet >= PATH_QUIET)
                        {
                            self.input(Input::PathChanged);
                        }
                    } else {
                        // A new place: the server no longer knew the box (it restarted, or
                        // the hold ran out), and ended its sessions.
                        tracing::warn!("the call server had ended the call");
                        self.input(Input::Disconnected);
                    }
                }
                self.place = Some(peer_id);
                Input::Welcome
            }
            O::List { producers } => {
                // The signalling server answered: the self-test's service check.
                self.rehearsal_event(rehearsal::Event::Service(true));
                Input::Directory(
                    producers
                        .into_iter()
                        .map(|peer| (peer.id, peer.meta))
                        .collect(),
                )
            }
            O::PeerStatusChanged(status) => {
                let Some(id) = status.peer_id else { return };
                Input::PeerStatus {
                    gone: status.roles.is_empty(),
                    id,
                    meta: status.meta,
                }
            }
            O::StartSession {
                peer_id,
                session_id,
                offer,
            } => {
                if offer.is_some() {
                    // A caller who sends an offer breaks our half of the protocol: refuse.
                    self.send(p::IncomingMessage::EndSession(p::EndSessionMessage {
                        session_id,
                    }));
                    return;
                }
                Input::Incoming {
                    session: session_id,
                    from: peer_id,
                }
            }
            O::SessionStarted {
                peer_id,
                session_id,
            } => Input::SessionStarted {
                session: session_id,
                with: peer_id,
            },
            O::EndSession(end) => Input::SessionEnded {
                session: end.session_id,
            },
            O::Peer(peer) => match peer.peer_message {
                p::PeerMessageInner::Sdp(p::SdpMessage::Answer { sdp }) => Input::Answer {
                    session: peer.session_id,
                    sdp,
                },
                p::PeerMessageInner::Sdp(p::SdpMessage::Offer { .. }) => Input::Offer {
                    session: peer.session_id,
                },
                p::PeerMessageInner::Ice {
                    candidate,
                    sdp_m_line_index,
                } => Input::RemoteCandidate {
                    session: peer.session_id,
                    mline: sdp_m_line_index,
                    candidate,
                },
            },
            O::Error { details } => {
                tracing::warn!(%details, "the signalling server refused a request");
                Input::ServerError(details)
            }
            O::ListConsumers { .. } => return,
        };
        self.input(input);
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Accept => self.input(Input::Accept),
            Command::Decline => self.input(Input::Decline),
            Command::Block => self.input(Input::Block),
            Command::HangUp => self.input(Input::HangUp),
            Command::Dial(id) => self.input(Input::Dial(id)),
            Command::Unreachable(name) => self.input(Input::Unreachable(name)),
            Command::MuteMic(muted) => {
                self.call.mic_muted = muted;
                if let Some(m) = &self.media {
                    m.set_mic_muted(muted);
                }
                self.show();
            }
            Command::CameraOff(off) => {
                self.call.camera_off = off;
                if let Some(m) = &self.media {
                    m.set_camera_off(off);
                }
                self.show();
            }
            Command::Volume(linear, muted) => {
                self.volume = (linear, muted);
                if let Some(m) = &self.media {
                    m.set_volume(linear, muted);
                }
            }
            Command::Family(family) => {
                *self.family.lock().unwrap_or_else(|e| e.into_inner()) = family.clone();
                self.call.set_family(family.0, family.1);
                self.show();
            }
            Command::Share(view) => {
                if let Some(m) = &self.media {
                    m.set_shared(view.as_deref());
                }
                self.shared = view;
            }
            Command::Rehearse(on) => {
                if on {
                    self.rehearse();
                } else {
                    self.stop_rehearsal(false);
                }
            }
        }
    }

    /// Starts the self-test: every part at once; the signalling server asked for its list.
    /// Not while a call rings or is on (the screen offers it only between calls).
    fn rehearse(&mut self) {
        self.stop_rehearsal(false);
        if self.call.phase().in_progress() {
            return;
        }
        self.rehearsal_generation += 1;
        let generation = self.rehearsal_generation;
        let media = &self.setup.media;
        self.rehearsal = Some(Rehearsal::start(
            Instant::now(),
            media.camera != Camera::None,
            self.volume.1 || self.volume.0 <= 0.0,
            Running::has_relays(media),
        ));
        let tx = self.tx.clone();
        let events = Arc::new(move |event| {
            let _ = tx.send(Msg::Rehearsal(generation, event));
        });
        match Running::start(media, self.volume.0, self.frames.clone(), events) {
            Ok(running) => self.rehearsing = Some(running),
            Err(e) => {
                tracing::warn!(error = %e, "self-test cannot start");
                for event in [
                    rehearsal::Event::CameraFailed,
                    rehearsal::Event::MicFailed,
                    rehearsal::Event::SoundFailed,
                ] {
                    self.rehearsal_event(event);
                }
            }
        }
        // A link down (the server was away and the next try is up to half a minute off) is
        // tried now: the test says whether the service can be reached now.
        if self.link.is_none() && self.setup.connect {
            match Link::connect(&self.setup.url, &self.setup.tls) {
                Ok(link) => {
                    tracing::info!("connected to the call signalling server");
                    self.link = Some(link);
                }
                Err(e) => tracing::warn!(error = %e, "self-test: no call signalling"),
            }
        }
        if self.link.is_some() {
            self.send(p::IncomingMessage::List);
        } else {
            self.rehearsal_event(rehearsal::Event::Service(false));
        }
        self.show();
    }

    /// Stops the self-test's parts; `keep`: its result stays on screen.
    fn stop_rehearsal(&mut self, keep: bool) {
        if self.rehearsing.take().is_some() {
            self.rehearsal_generation += 1;
        }
        if !keep {
            self.rehearsal = None;
        }
        self.show();
    }

    fn rehearsal_event(&mut self, event: rehearsal::Event) {
        let Some(r) = &mut self.rehearsal else {
            return;
        };
        let was_done = r.done();
        r.input(event);
        if !was_done && r.done() {
            self.rehearsal_result();
        }
        self.show();
    }

    /// Past the deadline, the open checks fail and the result shows.
    fn rehearsal_tick(&mut self) {
        let Some(r) = &mut self.rehearsal else {
            return;
        };
        if r.due().is_some_and(|due| Instant::now() >= due) {
            r.tick(Instant::now());
            self.rehearsal_result();
            self.show();
        }
    }

    /// The result is in: for the log (what failed, never who), and the parts stay on (the
    /// picture and the meter) until the screen is left.
    fn rehearsal_result(&self) {
        if let Some(r) = &self.rehearsal {
            let findings = r.findings();
            if findings.is_empty() {
                tracing::info!("self-test: camera and sound ready");
            } else {
                tracing::warn!(?findings, "self-test found problems");
            }
        }
    }

    fn media_event(&mut self, event: MediaEvent) {
        let input = match event {
            MediaEvent::Offer(sdp) => Input::LocalOffer(sdp),
            MediaEvent::Candidate { mline, candidate } => {
                Input::LocalCandidate { mline, candidate }
            }
            MediaEvent::Connected => Input::Connected,
            MediaEvent::Lost(why) => {
                tracing::warn!(%why, "call connection dropped");
                Input::Interrupted
            }
            MediaEvent::FirstRemoteFrame => {
                tracing::info!("first picture from the far end");
                return;
            }
            MediaEvent::ShareChannel(open) => {
                tracing::info!(open, "shared-view channel");
                self.share_open = open;
                self.show();
                return;
            }
            MediaEvent::Failed(why) => {
                tracing::error!(%why, "call media failed");
                Input::MediaFailed
            }
        };
        self.input(input);
    }

    fn input(&mut self, input: Input) {
        let actions = self.call.input(input, Instant::now());
        for action in actions {
            self.act(action);
        }
        self.show();
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Register { busy } => {
                let meta = serde_json::json!({
                    "kind": "bed",
                    "name": self.setup.bed_name,
                    "bed": self.setup.bed_id,
                    "busy": busy,
                });
                self.send(p::IncomingMessage::SetPeerStatus(p::PeerStatus {
                    roles: vec![p::PeerRole::Producer, p::PeerRole::Listener],
                    meta: Some(meta),
                    peer_id: None,
                }));
            }
            Action::List => {
                self.listed_at = Instant::now();
                self.send(p::IncomingMessage::List);
            }
            Action::StartSession { peer, offer } => {
                self.send(p::IncomingMessage::StartSession(p::StartSessionMessage {
                    peer_id: peer,
                    offer: Some(offer),
                }))
            }
            Action::EndSession { session } => {
                self.send(p::IncomingMessage::EndSession(p::EndSessionMessage {
                    session_id: session,
                }))
            }
            Action::Refuse { session, why } => {
                // Never the name: who calls a patient is the patient's.
                match why {
                    Refusal::NotOnFamilyList => tracing::info!(
                        "refused a call from someone saying they are family who is not on the bed's family list"
                    ),
                    Refusal::Anonymous => {
                        tracing::info!("refused a call from a peer that gave no name")
                    }
                }
                self.send(p::IncomingMessage::EndSession(p::EndSessionMessage {
                    session_id: session,
                }))
            }
            Action::SendOffer { session, sdp } => {
                self.send(p::IncomingMessage::Peer(p::PeerMessage {
                    session_id: session,
                    peer_message: p::PeerMessageInner::Sdp(p::SdpMessage::Offer { sdp }),
                }))
            }
            Action::SendCandidate {
                session,
                mline,
                candidate,
            } => self.send(p::IncomingMessage::Peer(p::PeerMessage {
                session_id: session,
                peer_message: p::PeerMessageInner::Ice {
                    candidate,
                    sdp_m_line_index: mline,
                },
            })),
            Action::StartMedia => {
                self.stop_rehearsal(false);
                self.start_media()
            }
            Action::StopMedia => {
                self.media_generation += 1;
                self.shared = None;
                self.share_open = false;
                if let Some(media) = self.media.take() {
                    // The camera and microphone are released off this thread.
                    drop(media.stop());
                }
            }
            Action::SetAnswer(sdp) => {
                if let Some(m) = &self.media
                    && let Err(e) = m.set_answer(&sdp)
                {
                    tracing::warn!(error = %e, "the far end's answer cannot be used");
                    self.input(Input::MediaFailed);
                }
            }
            Action::AddCandidate { mline, candidate } => {
                if let Some(m) = &self.media {
                    m.add_candidate(mline, &candidate);
                }
            }
            Action::Ring(on) => {
                if on {
                    // The call takes the screen, the camera and the speaker.
                    self.stop_rehearsal(false);
                    self.ringer = Ringer::start(self.setup.media.silent, Tone::Ring);
                } else {
                    self.ringer = None;
                }
            }
            Action::RestartMedia => {
                tracing::info!("the call's connection did not come back: starting it afresh");
                self.media_generation += 1;
                self.share_open = false;
                if let Some(media) = self.media.take() {
                    // The camera is opened again at once: let the old pipeline go first.
                    let _ = media.stop().join();
                }
                self.silent = false;
                self.start_media();
                if let Some(m) = &self.media {
                    m.set_mic_muted(self.call.mic_muted);
                    m.set_camera_off(self.call.camera_off);
                }
            }
            Action::Chime => {
                // Rings out by itself (two seconds) unless the call ends first.
                self.ringer = Ringer::start(self.setup.media.silent, Tone::Chime);
            }
        }
    }

    fn start_media(&mut self) {
        self.media_generation += 1;
        let generation = self.media_generation;
        let tx = self.tx.clone();
        let events = Arc::new(move |event| {
            let _ = tx.send(Msg::Media(generation, event));
        });
        match Media::start(&self.setup.media, events, self.frames.clone()) {
            Ok(media) => {
                media.set_volume(self.volume.0, self.volume.1);
                if let Some(view) = &self.shared {
                    media.set_shared(Some(view));
                }
                self.media = Some(media);
            }
            Err(e) => {
                tracing::error!(error = %e, "the call's media cannot start");
                self.input(Input::MediaFailed);
            }
        }
    }

    fn show(&mut self) {
        let view = CallView {
            phase: self.call.phase().clone(),
            callable: self.call.callable(),
            support: self.call.support_desk(),
            online: self.link.is_some(),
            mic_muted: self.call.mic_muted,
            camera_off: self.call.camera_off,
            camera_live: self.media.as_ref().is_some_and(Media::has_camera)
                && !self.call.camera_off,
            has_camera: self.setup.media.camera != Camera::None,
            observation: self.call.observation(),
            share_open: self.share_open && self.media.is_some(),
            rehearsal: self.rehearsal.clone(),
        };
        if self.shown.as_ref() != Some(&view) {
            let was = self
                .shown
                .as_ref()
                .map(|v| std::mem::discriminant(&v.phase));
            if was != Some(std::mem::discriminant(&view.phase)) {
                // Where calls are, for the log (never who is calling: that is the patient's).
                match &view.phase {
                    Phase::Ended { reason, .. } => tracing::info!(?reason, "call ended"),
                    Phase::Idle => {}
                    phase => tracing::info!("call {}", phase_word(phase)),
                }
            }
            self.shown = Some(view.clone());
            (self.view)(view);
        }
    }
}

fn phase_word(phase: &Phase) -> &'static str {
    match phase {
        Phase::Idle => "idle",
        Phase::Ringing { .. } => "ringing",
        Phase::Dialling { .. } => "dialling",
        Phase::Connecting { .. } => "connecting",
        Phase::Live { .. } => "live",
        Phase::Ended { .. } => "ended",
    }
}

/// Which sound.
#[derive(Clone, Copy)]
enum Tone {
    /// A call waits: a soft tone every two seconds, until answered or declined.
    Ring,
    /// An observation call connected: one higher tone.
    Chime,
}

/// A tone playing until dropped.
struct Ringer {
    pipeline: gstreamer::Element,
}

impl Ringer {
    fn start(silent: bool, tone: Tone) -> Option<Ringer> {
        use gstreamer::prelude::*;
        let sink = if silent {
            "fakesink sync=true"
        } else {
            "autoaudiosink"
        };
        let source = match tone {
            Tone::Ring => {
                "audiotestsrc wave=ticks freq=660 tick-interval=2000000000 sine-periods-per-tick=400 volume=0.4"
            }
            // About 0.6 s of 880 Hz, once (26 buffers of 1024 samples at 44.1 kHz).
            Tone::Chime => "audiotestsrc wave=sine freq=880 volume=0.3 num-buffers=26",
        };
        let description = format!("{source} ! audioconvert ! {sink}");
        let pipeline = gstreamer::parse::launch(&description)
            .map_err(|e| tracing::warn!(error = %e, "no ring tone"))
            .ok()?;
        let _ = pipeline.set_state(gstreamer::State::Playing);
        Some(Ringer { pipeline })
    }
}

impl Drop for Ringer {
    fn drop(&mut self) {
        use gstreamer::prelude::*;
        let _ = self.pipeline.set_state(gstreamer::State::Null);
    }
}
