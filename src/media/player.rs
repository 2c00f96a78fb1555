//! Playing a stream with GStreamer: live channels (UDP/RTP multicast or unicast MPEG-TS, HLS,
//! HTTP progressive), films and relaxation loops from files or HTTP.
//!
//! One `playbin` per [`Player`], driven from a thread of its own so nothing here ever blocks the
//! UI thread (a state change can take a second on a dead stream). Decoded pictures leave the
//! pipeline through an `appsink` as RGB frames already scaled (with black borders) to the size
//! the UI shows them at, so the renderer copies them and never scales; the UI takes the newest
//! frame only, so a slow frame never builds a queue. Sound goes to `autoaudiosink` (ALSA or
//! PipeWire on the appliance; a silent sink on a machine without sound).
//!
//! Every [`Player::play`] starts a new *generation*: frames and events of an older one (the
//! channel the patient just zapped away from) are dropped by the receiver, which compares
//! generations. A stream that fails or shows no picture for [`NO_PICTURE`] is reported and tried
//! again in the background, waiting longer each time, until the patient leaves it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;

use super::property;

mod cc;
use cc::captions;

/// The jitter allowance of MPEG-TS streams, in milliseconds (GStreamer's default is 700).
const TS_JITTER_MS: i32 = 200;
/// A stream that has shown no picture this long after it was asked for is reported.
pub const NO_PICTURE: Duration = Duration::from_secs(8);
/// Waits between tries of a failed stream: 3 s, doubling to a minute.
const RETRY_FIRST: Duration = Duration::from_secs(3);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// One decoded picture, RGB, 3 bytes per pixel, rows `stride` bytes apart.
pub struct Frame<'a> {
    pub generation: u64,
    pub width: u32,
    pub height: u32,
    pub stride: usize,
    pub data: &'a [u8],
}

/// Why a stream is not playing, in the words the screen uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The address cannot be reached or does not exist.
    Unreachable,
    /// Data arrives but cannot be decoded.
    Undecodable,
    /// Nothing arrived (a multicast group with no sender, a stalled server).
    NoPicture,
}

/// What the player tells its owner. `generation` says which `play` it is about.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The first picture of this generation was delivered.
    FirstFrame { generation: u64 },
    /// It failed; it is tried again after `retry_in` (the message is for the log, not the
    /// screen).
    Failed {
        generation: u64,
        failure: Failure,
        retry_in: Duration,
        detail: String,
    },
    /// A film reached its end (loops never do).
    Ended { generation: u64 },
    /// The closed captions carried in the stream (CEA-708 service 1, else CEA-608 CC1) now read
    /// `text` (empty: none).
    Caption { generation: u64, text: String },
}

/// Where frames and events go. Called on GStreamer's threads: keep them short.
pub type FrameSink = Arc<dyn Fn(Frame<'_>) + Send + Sync>;
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// What to play and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub uri: String,
    /// Start again at the end (relaxation).
    pub looping: bool,
    /// A live channel: an end is a fault (the head-end stopped sending), tried again like one.
    pub live: bool,
    /// Where to start (resuming a film).
    pub start_at: Option<Duration>,
}

enum Command {
    Play(u64, Request),
    Stop,
    Pause(bool),
    Seek(Duration),
    Volume(f64, bool),
    Size(u32, u32),
    /// Receive these channels ahead of time (fast channel change).
    Ahead(Vec<String>),
    /// Test only: fail as a bug would.
    Fail,
    Quit,
}

/// What the player was last asked, for a run of its thread after a failure.
#[derive(Clone, Default)]
struct Settings {
    play: Option<(u64, Request)>,
    paused: bool,
    volume: Option<(f64, bool)>,
    size: Option<(u32, u32)>,
    ahead: Vec<String>,
}

impl Settings {
    fn commands(self) -> Vec<Command> {
        let mut commands = Vec::new();
        if let Some((w, h)) = self.size {
            commands.push(Command::Size(w, h));
        }
        if let Some((linear, muted)) = self.volume {
            commands.push(Command::Volume(linear, muted));
        }
        commands.push(Command::Ahead(self.ahead));
        if let Some((generation, request)) = self.play {
            commands.push(Command::Play(generation, request));
            if self.paused {
                commands.push(Command::Pause(true));
            }
        }
        commands
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlayerError {
    #[error("GStreamer cannot start: {0}")]
    Init(String),
    /// A GStreamer element is not installed (the plugin packages are missing).
    #[error("the GStreamer element `{0}` is missing (install gstreamer1.0-plugins-base/good/bad)")]
    Missing(&'static str),
    /// An element does not take a setting the player gives it.
    #[error("a player element cannot be set up: {0}")]
    Property(#[from] super::property::PropertyError),
}

/// A player. Dropping it stops playback and frees the pipeline.
pub struct Player {
    commands: mpsc::Sender<Command>,
    /// What it was last asked (see [`Settings`]).
    settings: Arc<Mutex<Settings>>,
    generation: Arc<AtomicU64>,
    /// The pipeline playing now, for position queries.
    current: Arc<Mutex<Option<gst::Element>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Volume 0..=100 as the patient sets it → playbin's linear volume. People hear loudness on a
/// cubic scale: this makes each step sound like the same step.
pub fn linear_volume(percent: u8) -> f64 {
    let v = f64::from(percent.min(100)) / 100.0;
    v * v * v
}

fn make(name: &'static str) -> Result<gst::Element, PlayerError> {
    gst::ElementFactory::make(name)
        .build()
        .map_err(|_| PlayerError::Missing(name))
}

struct Shared {
    /// The generation whose stream the pipeline holds now (set when it is started).
    active: AtomicU64,
    /// The generation whose first frame has been delivered.
    pictured: AtomicU64,
    frames: FrameSink,
    events: EventSink,
    /// Looping and live, for the bus watcher.
    looping: Mutex<(bool, bool)>,
    /// The stream's closed captions, decoded for the generation they belong to: CEA-608 CC1,
    /// and CEA-708 service 1, which wins once the stream carries it.
    captions: Mutex<(u64, super::cea608::Cea608, super::cea708::Cea708)>,
}

impl Player {
    /// A player whose sound goes to the speakers (`autoaudiosink`), or nowhere when `silent`
    /// (pictures taken headless never make a sound).
    pub fn new(frames: FrameSink, events: EventSink, silent: bool) -> Result<Player, PlayerError> {
        gst::init().map_err(|e| PlayerError::Init(e.to_string()))?;
        // The new adaptive demuxers (hlsdemux2...) work only under playbin3 and refuse to start
        // under playbin: let the classic ones take HLS and DASH.
        let registry = gst::Registry::get();
        for name in ["hlsdemux2", "dashdemux2", "mssdemux2"] {
            if let Some(feature) = registry.lookup_feature(name) {
                feature.set_rank(gst::Rank::NONE);
            }
        }
        // Every element needed, checked once, so a missing plugin is one clear error at start.
        for name in [
            "playbin",
            "videoconvertscale",
            "capsfilter",
            "appsink",
            "autoaudiosink",
        ] {
            make(name)?;
        }
        let generation = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            active: AtomicU64::new(0),
            pictured: AtomicU64::new(0),
            frames,
            events,
            looping: Mutex::new((false, false)),
            captions: Mutex::new((
                0,
                super::cea608::Cea608::new(),
                super::cea708::Cea708::new(),
            )),
        });
        let current: Arc<Mutex<Option<gst::Element>>> = Arc::default();
        // Tearing a playing pipeline down takes from a few to a few hundred milliseconds
        // (threads join, the decoder drains): it is done here, never in a channel change's way.
        let (reap, reaped) = mpsc::channel::<gst::Element>();
        std::thread::Builder::new()
            .name("player-reaper".into())
            .spawn(move || {
                for playbin in reaped {
                    let _ = playbin.set_state(gst::State::Null);
                }
            })
            .map_err(|e| PlayerError::Init(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        let settings = Arc::new(Mutex::new(Settings::default()));
        let thread = {
            let (current, settings) = (current.clone(), settings.clone());
            std::thread::Builder::new()
                .name("player".into())
                .spawn(move || {
                    crate::supervise::run(
                        "player",
                        || {
                            let mut control = Control {
                                pipeline: None,
                                current: current.clone(),
                                reap: reap.clone(),
                                silent,
                                shared: shared.clone(),
                                request: None,
                                generation: 0,
                                asked_at: Instant::now(),
                                failures: 0,
                                retry_at: None,
                                paused: false,
                                size: (1280, 720),
                                volume: (1.0, false),
                                tuner: Arc::default(),
                                ahead: Vec::new(),
                            };
                            // A run after a failure takes up what the failed one was asked.
                            let settings = settings.lock().expect("player settings").clone();
                            for command in settings.commands() {
                                control.command(command);
                            }
                            control.run(&rx)
                        },
                        || {
                            // The picture stopped with the failed run: the screen says so, and
                            // the next run plays it again.
                            let playing = settings.lock().expect("player settings").play.clone();
                            // When it comes back, its first picture is news again.
                            shared.pictured.store(0, Ordering::SeqCst);
                            if let Some((generation, _)) = playing {
                                (shared.events)(Event::Failed {
                                    generation,
                                    failure: Failure::Undecodable,
                                    retry_in: crate::supervise::PAUSE_FIRST,
                                    detail: "the player thread failed".into(),
                                });
                            }
                        },
                        |pause| {
                            let until = Instant::now() + pause;
                            while let Some(left) = until.checked_duration_since(Instant::now()) {
                                match rx.recv_timeout(left) {
                                    Ok(Command::Quit) | Err(RecvTimeoutError::Disconnected) => {
                                        return false;
                                    }
                                    // Kept in `settings` for the next run.
                                    Ok(_) => {}
                                    Err(RecvTimeoutError::Timeout) => break,
                                }
                            }
                            true
                        },
                    )
                })
                .map_err(|e| PlayerError::Init(e.to_string()))?
        };
        Ok(Player {
            commands: tx,
            settings,
            generation,
            current,
            thread: Some(thread),
        })
    }

    /// Sends a command, noting what it changes for a run after a failure.
    fn send(&self, command: Command) {
        let mut settings = self.settings.lock().expect("player settings");
        match &command {
            Command::Play(generation, request) => {
                settings.play = Some((*generation, request.clone()));
                settings.paused = false;
            }
            Command::Stop => settings.play = None,
            Command::Pause(paused) => settings.paused = *paused,
            Command::Volume(linear, muted) => settings.volume = Some((*linear, *muted)),
            Command::Size(w, h) => settings.size = Some((*w, *h)),
            Command::Ahead(uris) => settings.ahead = uris.clone(),
            Command::Seek(_) | Command::Fail | Command::Quit => {}
        }
        let _ = self.commands.send(command);
    }

    /// Starts playing `request` (replacing whatever played); returns its generation.
    pub fn play(&self, request: Request) -> u64 {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.send(Command::Play(generation, request));
        generation
    }

    /// Stops and releases the stream (the network, the decoder).
    pub fn stop(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.send(Command::Stop);
    }

    pub fn pause(&self, paused: bool) {
        self.send(Command::Pause(paused));
    }

    pub fn seek(&self, to: Duration) {
        self.send(Command::Seek(to));
    }

    /// Volume 0..=100 as the patient sets it, and mute.
    pub fn set_volume(&self, percent: u8, muted: bool) {
        self.send(Command::Volume(linear_volume(percent), muted));
    }

    /// The live channels to receive ahead of time, so tuning to one of them shows its picture at
    /// once (see [`super::tuner`]). An empty list stops receiving ahead.
    pub fn receive_ahead(&self, uris: Vec<String>) {
        self.send(Command::Ahead(uris));
    }

    /// The size frames are delivered at (the size they are shown at).
    pub fn set_size(&self, width: u32, height: u32) {
        self.send(Command::Size(width.max(2) & !1, height.max(2) & !1));
    }

    /// Test only: the player thread fails at once, as a bug in it would.
    #[doc(hidden)]
    pub fn fail(&self) {
        self.send(Command::Fail);
    }

    /// The current generation (frames of older ones are stale).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Where playback is, and how long the stream is (None for live streams).
    pub fn position(&self) -> (Option<Duration>, Option<Duration>) {
        let Some(playbin) = self.current.lock().expect("player lock").clone() else {
            return (None, None);
        };
        let pos = playbin
            .query_position::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()));
        let len = playbin
            .query_duration::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()));
        (pos, len)
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Hands a sample to the frame sink, and says so the first time for its generation (returning
/// true then).
fn deliver(shared: &Shared, sample: &gst::Sample) -> bool {
    let generation = shared.active.load(Ordering::SeqCst);
    let (Some(buffer), Some(caps)) = (sample.buffer(), sample.caps()) else {
        return false;
    };
    let Ok(info) = gst_video::VideoInfo::from_caps(caps) else {
        return false;
    };
    let Ok(frame) = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info) else {
        return false;
    };
    let Ok(data) = frame.plane_data(0) else {
        return false;
    };
    captions(shared, generation, buffer);
    (shared.frames)(Frame {
        generation,
        width: info.width(),
        height: info.height(),
        stride: info.stride()[0] as usize,
        data,
    });
    if shared.pictured.swap(generation, Ordering::SeqCst) != generation {
        (shared.events)(Event::FirstFrame { generation });
        return true;
    }
    false
}

/// One stream's pipeline: playbin with the video branch (convert and scale to the size shown,
/// RGB, into the appsink) and the sound sink.
struct Pipeline {
    playbin: gst::Element,
    caps: gst::Element,
    sink: gst_app::AppSink,
    bus: gst::Bus,
}

fn rgb_caps(width: u32, height: u32) -> gst::Caps {
    gst_video::VideoCapsBuilder::new()
        .format(gst_video::VideoFormat::Rgb)
        .width(width as i32)
        .height(height as i32)
        .pixel_aspect_ratio(gst::Fraction::new(1, 1))
        .build()
}

impl Pipeline {
    /// `tuned`: the channel comes from the tuner (the pipeline's URI is then `appsrc://`).
    fn build(
        shared: &Arc<Shared>,
        silent: bool,
        size: (u32, u32),
        tuned: Option<(Arc<super::tuner::Tuner>, String)>,
    ) -> Result<Pipeline, PlayerError> {
        let init = |e: gst::glib::BoolError| PlayerError::Init(e.to_string());
        let playbin = make("playbin")?;
        // Colour conversion and scaling in one pass, on every core: 1080p in one thread takes
        // most of a frame's time.
        let convert = make("videoconvertscale")?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        property::set(&convert, "n-threads", threads)?;
        property::set(&convert, "add-borders", true)?;
        let caps = make("capsfilter")?;
        property::set(&caps, "caps", rgb_caps(size.0, size.1))?;
        let sink = gst_app::AppSink::builder()
            .caps(
                &gst_video::VideoCapsBuilder::new()
                    .format(gst_video::VideoFormat::Rgb)
                    .build(),
            )
            .max_buffers(1)
            .drop(true)
            // The first picture goes out the moment it is decoded; the sink keeps time after it.
            .sync(false)
            .build();
        let bin = gst::Bin::with_name("bedside-video");
        bin.add_many([&convert, &caps, sink.upcast_ref()])
            .map_err(init)?;
        gst::Element::link_many([&convert, &caps, sink.upcast_ref()]).map_err(init)?;
        let pad = convert.static_pad("sink").ok_or(PlayerError::Init(
            "videoconvertscale has no sink pad".into(),
        ))?;
        let ghost = gst::GhostPad::with_target(&pad).map_err(init)?;
        bin.add_pad(&ghost).map_err(init)?;
        property::set(&playbin, "video-sink", &bin)?;
        let audio = if silent {
            let sink = make("fakesink")?;
            property::set(&sink, "sync", true)?;
            sink
        } else {
            make("autoaudiosink")?
        };
        property::set(&playbin, "audio-sink", &audio)?;
        // Video and sound only: subtitles are the UI's to draw, never burnt into the picture.
        property::set_str(&playbin, "flags", "video+audio+soft-volume+deinterlace")?;
        // MPEG-TS demuxing waits 700 ms by default for network jitter before it lets anything
        // through: far more than a hospital LAN needs, and most of a channel change.
        let live = tuned.is_some();
        playbin.connect("deep-element-added", false, move |values| {
            let element = values.get(2).and_then(|v| v.get::<gst::Element>().ok())?;
            let factory = element.factory()?;
            let video_decoder = factory
                .metadata("klass")
                .is_some_and(|k| k.contains("Decoder") && k.contains("Video"));
            let set = if factory.name() == "tsdemux" {
                property::set(&element, "latency", TS_JITTER_MS)
            } else if live && video_decoder && factory.name().starts_with("avdec_") {
                // Frame threading holds a picture back until the next few have arrived: on a
                // live channel that is most of a tenth of a second before the first one shows.
                // (Video only: libav's sound decoders have no threads to choose, and a channel's
                // AAC once aborted the appliance here.)
                property::set_str(&element, "thread-type", "slice")
            } else {
                Ok(())
            };
            if let Err(e) = set {
                tracing::warn!(error = %e, "a stream element is left as GStreamer made it");
            }
            None
        });
        // A UDP channel is MPEG-TS: saying so spares the wait for enough data to guess it.
        let ts = gst::Caps::builder("video/mpegts")
            .field("systemstream", true)
            .field("packetsize", 188i32)
            .build();
        playbin.connect("source-setup", false, move |values| {
            let source = values.get(1).and_then(|v| v.get::<gst::Element>().ok())?;
            match source.factory().map(|f| f.name()) {
                Some(name) if name == "udpsrc" => {
                    if let Err(e) = property::set(&source, "caps", &ts) {
                        tracing::warn!(error = %e, "the UDP source is left as GStreamer made it");
                    }
                }
                Some(name) if name == "appsrc" => {
                    let Some((tuner, uri)) = &tuned else {
                        return None;
                    };
                    let appsrc = source.downcast::<gst_app::AppSrc>().ok()?;
                    appsrc.set_caps(Some(&ts));
                    appsrc.set_is_live(true);
                    appsrc.set_format(gst::Format::Time);
                    appsrc.set_do_timestamp(true);
                    // The key frame's group arrives at once: room for it and more.
                    appsrc.set_max_bytes(32 << 20);
                    tuner.attach(uri, appsrc);
                }
                _ => {}
            }
            None
        });
        let to_ui = shared.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if deliver(&to_ui, &sample) {
                        sink.set_sync(true);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        let bus = playbin
            .bus()
            .ok_or(PlayerError::Init("playbin has no bus".into()))?;
        // Streaming threads below the UI thread (see `priority`); messages still reach the
        // player thread.
        bus.set_sync_handler(|_, message| {
            super::priority::on_message(message);
            gst::BusSyncReply::Pass
        });
        Ok(Pipeline {
            playbin,
            caps,
            sink,
            bus,
        })
    }
}

/// Whatever ends a run of the player thread (quitting, or a failure unwinding it) stops the
/// stream there and then.
impl Drop for Control {
    fn drop(&mut self) {
        if let Some(p) = self.pipeline.take() {
            *self.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
            let _ = p.playbin.set_state(gst::State::Null);
        }
    }
}

/// The player thread: commands, the bus, the no-picture watchdog and retries.
struct Control {
    pipeline: Option<Pipeline>,
    /// Shared with [`Player`] for position queries.
    current: Arc<Mutex<Option<gst::Element>>>,
    /// Pipelines to tear down, off this thread.
    reap: mpsc::Sender<gst::Element>,
    silent: bool,
    shared: Arc<Shared>,
    request: Option<Request>,
    generation: u64,
    asked_at: Instant,
    failures: u32,
    retry_at: Option<Instant>,
    paused: bool,
    size: (u32, u32),
    /// Linear volume and mute.
    volume: (f64, bool),
    /// The live channels received here rather than by GStreamer: the one on air and `ahead`.
    tuner: Arc<super::tuner::Tuner>,
    ahead: Vec<String>,
}

impl Control {
    fn run(mut self, rx: &mpsc::Receiver<Command>) {
        loop {
            // Commands first, then the bus; wake at least every 50 ms for the watchdog.
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(Command::Quit) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Command::Fail) => panic!("the player thread was made to fail (test)"),
                Ok(command) => self.command(command),
                Err(RecvTimeoutError::Timeout) => {}
            }
            while let Some(message) = self.pipeline.as_ref().and_then(|p| p.bus.pop()) {
                self.message(&message);
            }
            self.watchdog();
        }
    }

    /// Hands the current pipeline to the reaper.
    fn drop_pipeline(&mut self) {
        if let Some(p) = self.pipeline.take() {
            *self.current.lock().expect("player lock") = None;
            // Its frames and messages are stale from here on.
            p.sink
                .set_callbacks(gst_app::AppSinkCallbacks::builder().build());
            let _ = self.reap.send(p.playbin);
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Play(generation, request) => {
                self.generation = generation;
                self.failures = 0;
                self.paused = false;
                *self.shared.looping.lock().expect("looping lock") =
                    (request.looping, request.live);
                self.request = Some(request);
                self.start();
            }
            Command::Stop => {
                self.request = None;
                self.retry_at = None;
                self.drop_pipeline();
                self.receive();
            }
            Command::Pause(paused) => {
                self.paused = paused;
                if let Some(p) = &self.pipeline {
                    let _ = p.playbin.set_state(if paused {
                        gst::State::Paused
                    } else {
                        gst::State::Playing
                    });
                }
            }
            Command::Seek(to) => {
                if let Some(p) = &self.pipeline {
                    let _ = p.playbin.seek_simple(
                        gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
                        gst::ClockTime::from_nseconds(to.as_nanos() as u64),
                    );
                }
            }
            Command::Volume(linear, muted) => {
                self.volume = (linear, muted);
                if let Some(p) = &self.pipeline
                    && let Err(e) = property::set(&p.playbin, "volume", linear)
                        .and(property::set(&p.playbin, "mute", muted))
                {
                    tracing::error!(error = %e, "the loudness cannot be set");
                }
            }
            Command::Size(width, height) => {
                self.size = (width, height);
                if let Some(p) = &self.pipeline
                    && let Err(e) = property::set(&p.caps, "caps", rgb_caps(width, height))
                {
                    tracing::error!(error = %e, "the picture size cannot be set");
                }
            }
            Command::Ahead(uris) => {
                // Nothing stops here: the channel about to be tuned may be among those received
                // for the one on air. The next start or stop lets go of the rest.
                self.tuner.keep(&uris, false);
                self.ahead = uris;
            }
            Command::Fail | Command::Quit => {}
        }
    }

    /// Receives the channels ahead and the live one on air; stops the rest.
    fn receive(&self) {
        let mut uris = self.ahead.clone();
        if let Some(r) = self.request.as_ref().filter(|r| r.live) {
            uris.push(r.uri.clone());
        }
        self.tuner.keep(&uris, true);
    }

    /// (Re)starts the current request on a new pipeline; the old one is torn down elsewhere.
    fn start(&mut self) {
        let Some(request) = self.request.clone() else {
            return;
        };
        self.retry_at = None;
        self.asked_at = Instant::now();
        self.drop_pipeline();
        self.shared.active.store(self.generation, Ordering::SeqCst);
        // A live UDP/RTP channel comes from the tuner, which may hold its latest key frame.
        self.receive();
        let tuned = (request.live && self.tuner.receives(&request.uri))
            .then(|| (self.tuner.clone(), request.uri.clone()));
        let uri = if tuned.is_some() {
            "appsrc://"
        } else {
            &request.uri
        };
        let pipeline = match Pipeline::build(&self.shared, self.silent, self.size, tuned) {
            Ok(p) => p,
            Err(e) => {
                self.fail(Failure::Undecodable, e.to_string());
                return;
            }
        };
        let set = property::set(&pipeline.playbin, "uri", uri)
            .and(property::set(&pipeline.playbin, "volume", self.volume.0))
            .and(property::set(&pipeline.playbin, "mute", self.volume.1));
        if let Err(e) = set {
            self.fail(Failure::Undecodable, e.to_string());
            return;
        }
        if let Some(at) = request.start_at.filter(|d| !d.is_zero()) {
            // Seek once prerolled: PAUSED first, then the seek, then PLAYING.
            let _ = pipeline.playbin.set_state(gst::State::Paused);
            let _ = pipeline.playbin.state(gst::ClockTime::from_seconds(5));
            let _ = pipeline.playbin.seek_simple(
                gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
                gst::ClockTime::from_nseconds(at.as_nanos() as u64),
            );
        }
        let started = pipeline.playbin.set_state(gst::State::Playing);
        *self.current.lock().expect("player lock") = Some(pipeline.playbin.clone());
        self.pipeline = Some(pipeline);
        if started.is_err() {
            self.fail(Failure::Unreachable, "the pipeline refused to start".into());
        }
    }

    fn fail(&mut self, failure: Failure, detail: String) {
        self.drop_pipeline();
        // When it comes back, its first picture is news again.
        self.shared.pictured.store(0, Ordering::SeqCst);
        let wait = RETRY_FIRST
            .saturating_mul(1 << self.failures.min(5))
            .min(RETRY_MAX);
        self.failures += 1;
        self.retry_at = Some(Instant::now() + wait);
        (self.shared.events)(Event::Failed {
            generation: self.generation,
            failure,
            retry_in: wait,
            detail,
        });
    }

    fn message(&mut self, message: &gst::Message) {
        use gst::MessageView;
        if self.request.is_none() {
            return;
        }
        match message.view() {
            MessageView::Error(e) => {
                let error = e.error();
                let failure = if error.is::<gst::ResourceError>() {
                    Failure::Unreachable
                } else {
                    Failure::Undecodable
                };
                let source = e
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                self.fail(failure, format!("{source}: {error}"));
            }
            MessageView::Eos(_) => {
                let (looping, live) = *self.shared.looping.lock().expect("looping lock");
                if looping {
                    // Back to the start; a server that cannot seek gets asked again from the top.
                    let rewound = self.pipeline.as_ref().map(|p| {
                        p.playbin.seek_simple(
                            gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
                            gst::ClockTime::ZERO,
                        )
                    });
                    if !matches!(rewound, Some(Ok(()))) {
                        self.start();
                    }
                } else if live {
                    self.fail(Failure::NoPicture, "the stream ended".into());
                } else {
                    (self.shared.events)(Event::Ended {
                        generation: self.generation,
                    });
                }
            }
            MessageView::Buffering(b) if !self.paused => {
                // Network streams (HLS, HTTP) pause while their buffer refills.
                if let Some(p) = &self.pipeline {
                    let _ = p.playbin.set_state(if b.percent() < 100 {
                        gst::State::Paused
                    } else {
                        gst::State::Playing
                    });
                }
            }
            _ => {}
        }
    }

    fn watchdog(&mut self) {
        if let Some(at) = self.retry_at {
            if Instant::now() >= at {
                tracing::info!("trying the stream again");
                self.start();
            }
            return;
        }
        if self.request.is_some()
            && !self.paused
            && self.shared.pictured.load(Ordering::SeqCst) != self.generation
            && self.asked_at.elapsed() >= NO_PICTURE
        {
            self.fail(Failure::NoPicture, "no picture arrived".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_steps_sound_even() {
        assert_eq!(linear_volume(0), 0.0);
        assert_eq!(linear_volume(100), 1.0);
        assert!((linear_volume(50) - 0.125).abs() < 1e-9);
        assert_eq!(linear_volume(250), 1.0);
    }
}
