//! Starting the appliance in its different ways: on a display, headless for a snapshot, and the
//! small child processes the benchmark measures.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::DateTime;
use slint::{ComponentHandle, PlatformError};

use crate::config::{self, Config, ConfigError};
use crate::demo;
use crate::domain::button::Button;
use crate::fhir::FhirError;
use crate::input::device::DeviceClass;
use crate::input::engine::{Engine, Output};
use crate::input::keymap::{Keymap, KeymapError};
use crate::input::replay::{Replay, ReplayError};
use crate::store::settings_file::SettingsFile;
use crate::system::bus::Hooks;
use crate::system::notify::Notifier;
use crate::system::{Exit, Facts, Request};
use crate::ui::app::{App, Context, Link, TimeSource};
use crate::ui::headless::Headless;
use crate::ui::inbox::{Inbound, Inbox};

/// Why the appliance could not do what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The built-in demo patient could not be read (a broken build).
    #[error("demo content: {0}")]
    Demo(#[from] FhirError),
    /// Neither a desktop session nor a DRM device could show the window.
    #[error(
        "no display: there is no X11 or Wayland session and no usable DRM device here.\n\
         To see the screens without a display: bedside snapshot --demo --out home.png\n\
         (the display backends said: {0})"
    )]
    NoDisplay(PlatformError),
    /// Slint failed once a display was there.
    #[error("user interface: {0}")]
    Ui(#[from] PlatformError),
    #[error(transparent)]
    Keymap(#[from] KeymapError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Memory settings for a long-running appliance, applied first thing in `main` (and by the
/// benchmarks that stand in for it). glibc gives every thread that allocates its own arena of
/// up to 64 MB; GStreamer starts fresh threads for every call and channel, and the arenas they
/// leave behind hold freed pages: 100 calls grew this process by 150 MB that way. Two arenas
/// are plenty on a two-core box.
pub fn tune_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt changes the allocator's policy; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// What to show and where to keep settings, from `--config` and `--demo`.
pub struct Setup {
    pub config: Config,
    pub context: Context,
    pub settings: SettingsFile,
}

impl Setup {
    /// The keymaps: the built-in ones, with the config's folder over them.
    pub fn keymap(&self) -> Result<Keymap, KeymapError> {
        match &self.config.input.keymaps {
            Some(dir) => Keymap::load_dir(dir),
            None => Ok(Keymap::builtin()),
        }
    }

    /// `--demo` without `--config` runs on a built-in demo bed and writes nothing to disk. With
    /// `--config`, the file names the bed and the data directory; `--demo` then only admits the
    /// demo patient to it.
    pub fn load(config: Option<&Path>, demo: bool) -> Result<Setup, LaunchError> {
        Setup::load_at(config, demo, None)
    }

    /// As [`Setup::load`], with the demo patient's day around `now` (local time) rather than
    /// the present: pictures taken at a fixed moment (`bedside snapshot --now`).
    pub fn load_at(
        config: Option<&Path>,
        demo: bool,
        now: Option<DateTime>,
    ) -> Result<Setup, LaunchError> {
        // The box's secret for staff badges and offline sign-in: from the store key, or (no
        // store) random for this run.
        let mut staff_secret: Option<Vec<u8>> = None;
        let (config, settings) = match (config, demo) {
            (None, true) => (Config::demo(), SettingsFile::none()),
            (path, _) => {
                let config = Config::load(path.unwrap_or(Path::new(config::DEFAULT_PATH)))?;
                let mut settings = SettingsFile::in_dir(&config.store.data_dir);
                // The privacy PIN is hashed under a key derived from the store's; without one
                // (no backend), a PIN lasts until the program ends.
                if let Some(key) = config
                    .store
                    .key_file
                    .as_deref()
                    .and_then(|f| crate::store::key::DbKey::from_file(f).ok())
                {
                    settings = settings.with_pin_secret(key.material());
                    staff_secret = Some(key.material().to_vec());
                }
                (config, settings)
            }
        };
        let (patient, link, record) = if demo {
            let now = now
                .and_then(|at| at.to_zoned(jiff::tz::TimeZone::system()).ok())
                .unwrap_or_else(jiff::Zoned::now);
            (Some(demo::patient()?), Link::Demo, demo::record_at(&now)?)
        } else if config.backend.is_some() {
            // The backend link arrives with sync; until then the bed shows as empty and offline.
            (None, Link::Offline, Default::default())
        } else {
            (None, Link::Unconfigured, Default::default())
        };
        let context = Context {
            bed_name: config.bed.name.as_str().to_owned(),
            patient,
            link,
            clock_style: config.ui.clock,
            record: std::sync::Arc::new(record),
            tv: config.tv.clone(),
            sound: true,
            call: config
                .call
                .as_ref()
                .map(|c| crate::call::service::CallSetup::from_config(c, &config.bed, false)),
            staff: config.staff.clone().map(|c| crate::ui::staff::StaffSetup {
                config: c,
                // Kept across restarts only with a store (and its key) to keep them in.
                keep: crate::staff::keeper::KeeperSetup {
                    store: staff_secret.as_ref().and_then(|_| {
                        let key = config.store.key_file.clone()?;
                        Some((config.store.data_dir.clone(), key))
                    }),
                    device: config.device.id.clone(),
                    bed_name: config.bed.name.as_str().to_owned(),
                },
                secret: staff_secret.clone().unwrap_or_else(random_secret),
            }),
            store: (!demo && config.backend.is_some())
                .then(|| {
                    let key = config.store.key_file.clone()?;
                    Some((config.store.data_dir.clone(), key))
                })
                .flatten(),
        };
        Ok(Setup {
            config,
            context,
            settings,
        })
    }
}

/// Runs the appliance on a display: a desktop window (winit) when there is a desktop session,
/// otherwise KMS/DRM. `SLINT_BACKEND` (`winit`, `linuxkms`) forces one.
///
/// As a systemd service ([`crate::system::notify`]): READY once the first frame is drawn and the
/// store is open, watchdog pings from this (the UI) thread, STOPPING on SIGTERM, RELOADING when
/// D-Bus asks for a reload; our D-Bus service runs on `runtime` ([`crate::system::bus`]).
/// `config`: the file the setup came from (what `Reload()` reads again; None for the built-in
/// demo). Returns how the run ended: the caller starts afresh on [`Exit::Reload`].
pub fn run_on_display(
    setup: Setup,
    config: Option<&Path>,
    runtime: &tokio::runtime::Handle,
) -> Result<Exit, LaunchError> {
    let keymap = setup.keymap()?;
    let demo = setup.context.link == Link::Demo;
    let notifier = Notifier::from_env();
    let app = App::new(setup.context, setup.settings, TimeSource::System).map_err(|e| match e {
        e @ (PlatformError::NoPlatform | PlatformError::Other(_)) => LaunchError::NoDisplay(e),
        e => LaunchError::Ui(e),
    })?;
    tracing::info!(bed = %setup.config.bed.location, "showing the bedside UI");
    start_input(&setup.config.input, keymap, app.inbox());
    if let Some(tv) = setup.config.tv.clone() {
        let inbox = app.inbox();
        let spawned = crate::media::service::spawn(tv, tv_cache(&setup.config), move |listings| {
            inbox.send(Inbound::Listings(listings));
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start reading the TV listings");
        }
    }
    // READY waits for two things: the first frame, and the store (when there is one). A
    // healthy start (RAUC then marks the booted slot good) waits for one sync attempt as well.
    let syncing = !demo && setup.config.backend.is_some();
    let waits = if syncing {
        Milestones::FRAME | Milestones::STORE
    } else {
        Milestones::FRAME
    };
    let (healthy_tx, healthy) = tokio::sync::watch::channel(false);
    let ready = Milestones::new(vec![
        (waits, {
            let notifier = notifier.clone();
            Box::new(move || {
                tracing::info!("ready: the first frame is drawn and the store (if any) is open");
                notifier.ready("showing the bedside UI");
            })
        }),
        (
            if syncing {
                waits | Milestones::PASSED
            } else {
                waits
            },
            Box::new(move || {
                tracing::info!("a healthy start: the first frame, the store open, one sync");
                healthy_tx.send_replace(true);
            }),
        ),
    ]);
    // Demo content stands in for the backend; otherwise sync runs while the window does.
    let sync = syncing.then(|| {
        let inbox = app.inbox();
        let opened = ready.clone();
        let sync = crate::sync::service::spawn(setup.config.clone(), move |status| {
            opened.done(Milestones::STORE);
            if status.after_pass {
                opened.done(Milestones::PASSED);
            }
            inbox.send(Inbound::Sync(status));
        });
        // Clinician mode's audit events and the patient's learning are delivered as soon as
        // they are in the outbox.
        app.set_outbox_wake(|| sync.waker());
        sync
    });

    // The system layer: facts out to D-Bus, requests in through the inbox.
    let (facts, facts_rx) =
        tokio::sync::watch::channel(Facts::new(&setup.config.bed.location.to_string()));
    app.publish_facts(facts);
    let reload_inbox = app.inbox();
    let config_path = config.map(Path::to_path_buf);
    let network_inbox = app.inbox();
    crate::system::bus::start(
        runtime,
        crate::system::bus::Start {
            facts: facts_rx,
            healthy,
            on_network: Box::new(move |network| {
                network_inbox.send(Inbound::Network(network));
            }),
            hooks: Hooks {
                purge: sync
                    .as_ref()
                    .map_or_else(|| Box::new(|_| false) as _, |s| s.purger()),
                reload: Box::new(move || {
                    let Some(path) = &config_path else {
                        return Err("the built-in demo has no configuration file to read".into());
                    };
                    // Everything a start reads before showing anything: the file, and the
                    // keymaps it names (a reload must not fail after it was accepted).
                    let config = Config::load(path).map_err(|e| e.to_string())?;
                    if let Some(dir) = &config.input.keymaps {
                        Keymap::load_dir(dir).map_err(|e| e.to_string())?;
                    }
                    reload_inbox.send(Inbound::System(Request::Reload));
                    Ok(())
                }),
            },
        },
    );
    let stop_inbox = app.inbox();
    crate::system::stop_on_signals(runtime, move || {
        stop_inbox.send(Inbound::System(Request::Stop));
    });
    let exit = std::rc::Rc::new(std::cell::Cell::new(Exit::Stopped));
    {
        let (exit, notifier) = (exit.clone(), notifier.clone());
        app.on_system(move |request| {
            match request {
                Request::Stop => notifier.stopping(),
                Request::Reload => {
                    notifier.reloading();
                    exit.set(Exit::Reload);
                }
            }
            let _ = slint::quit_event_loop();
        });
    }

    let drawn = ready.clone();
    let patience = syncing.then(|| notifier.clone());
    app.on_first_frame(move || {
        drawn.done(Milestones::FRAME);
        // A store that will not open (its key missing or undecryptable) must not keep the
        // unit activating until systemd gives up and, five tries on, reboots the box into a
        // loop: READY after a while all the same, saying why. The start is not healthy, so
        // RAUC never marks the slot good.
        if let Some(notifier) = patience {
            slint::Timer::single_shot(STORE_PATIENCE, move || {
                if !notifier.is_ready() {
                    tracing::error!(
                        "the store is still not open: ready without it (the TV works, the \
                         record does not)"
                    );
                    notifier
                        .ready("showing the bedside UI; the store is NOT open: see the journal");
                }
            });
        }
    });
    app.window().show()?;
    let _watchdog = notifier.start_watchdog();
    slint::run_event_loop()?;
    // A clean stop: the window goes, then sync (the store closes when its thread ends), then
    // the settings writer (with the app).
    notifier.status("stopping: closing the store");
    let _ = app.window().hide();
    drop(sync);
    drop(app);
    tracing::info!(reload = exit.get() == Exit::Reload, "stopped cleanly");
    Ok(exit.get())
}

/// How long READY waits for the store after the first frame before it is sent without it.
const STORE_PATIENCE: Duration = Duration::from_secs(20);

/// Milestones of a start (bits: [`Milestones::FRAME`], [`Milestones::STORE`],
/// [`Milestones::PASSED`]), each reached from whichever thread, many times over (only the first
/// counts); each action runs once, when the last of the milestones it waits for is reached.
#[derive(Clone)]
struct Milestones(std::sync::Arc<std::sync::Mutex<MilestonesInner>>);

type Action = Box<dyn FnOnce() + Send>;

struct MilestonesInner {
    reached: u8,
    actions: Vec<(u8, Option<Action>)>,
}

impl Milestones {
    /// The first frame is drawn.
    const FRAME: u8 = 1;
    /// The store is open.
    const STORE: u8 = 2;
    /// One sync pass was attempted.
    const PASSED: u8 = 4;

    fn new(actions: Vec<(u8, Action)>) -> Milestones {
        Milestones(std::sync::Arc::new(std::sync::Mutex::new(
            MilestonesInner {
                reached: 0,
                actions: actions.into_iter().map(|(w, a)| (w, Some(a))).collect(),
            },
        )))
    }

    fn done(&self, milestone: u8) {
        let due: Vec<Action> = {
            let Ok(mut inner) = self.0.lock() else {
                return;
            };
            inner.reached |= milestone;
            let reached = inner.reached;
            inner
                .actions
                .iter_mut()
                .filter(|(waits, _)| reached & waits == *waits)
                .filter_map(|(_, action)| action.take())
                .collect()
        };
        for action in due {
            action();
        }
    }
}

/// Where the TV listings' last good copies are kept (None for the demo, which writes nothing).
fn tv_cache(config: &Config) -> Option<PathBuf> {
    config
        .tv
        .as_ref()
        .map(|_| config.store.data_dir.join("cache"))
}

/// Real time given to each key of a snapshot that waits for video.
const KEY_GAP: Duration = Duration::from_millis(150);

/// Starts reading `/dev/input` devices if the config says so (by default: when there is no
/// desktop session, whose keyboard belongs to the developer). Failing to start is logged, never
/// fatal: the UI still answers keys that reach its window.
fn start_input(config: &config::Input, keymap: Keymap, inbox: Inbox) {
    let desktop =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let wanted = match config.evdev {
        config::Evdev::On => true,
        config::Evdev::Off => false,
        config::Evdev::Auto => !desktop,
    };
    if !wanted {
        tracing::info!("not reading /dev/input (input.evdev, or a desktop session is present)");
        return;
    }
    let deliver = move |output: Output| {
        inbox.send_input(output);
    };
    if let Err(e) = crate::input::linux::start(keymap, config.keymaps.clone(), deliver) {
        tracing::error!(error = %e, "cannot read input devices; only keys sent to the window work");
    }
}

/// How far the snapshot clock moves after each button: longer than any transition, shorter than
/// a notice stays up.
pub const SETTLE: Duration = Duration::from_millis(250);

/// What `bedside snapshot` renders.
pub struct Snapshot {
    pub out: PathBuf,
    pub size: (u32, u32),
    pub keys: Vec<Button>,
    pub now: Option<DateTime>,
    /// Recorded input to play before the keys, and the class of device to play it as (by
    /// default, what the recording's description says; a remote for raw streams).
    pub replay: Option<(PathBuf, Option<DeviceClass>)>,
    /// Real time to keep the event loop running after the keys (for video to arrive).
    pub wait: Duration,
    /// A staff badge read before the keys (clinician sign-in).
    pub badge: Option<String>,
}

/// Renders the UI headless after pressing `keys`, through the same dispatch path as a remote,
/// and writes a PNG.
pub fn snapshot(setup: Setup, shot: &Snapshot) -> Result<(), LaunchError> {
    let keymap = setup.keymap()?;
    let replay = match &shot.replay {
        Some((path, class)) => Some((Replay::load(path)?, *class)),
        None => None,
    };
    // A bed with a backend shows what its store holds, exactly as the appliance shows it before
    // its first pass: no network here.
    let stored = if setup.context.link != Link::Demo && setup.config.backend.is_some() {
        let now = match shot.now {
            Some(at) => at
                .to_zoned(jiff::tz::TimeZone::system())
                .unwrap_or_else(|_| jiff::Zoned::now()),
            None => jiff::Zoned::now(),
        };
        Some(crate::sync::service::stored_status(&setup.config, &now)?)
    } else {
        None
    };
    // The TV listings are read before the first key (the appliance reads them on a thread).
    let listings = setup.config.tv.as_ref().map(|tv| {
        let at = shot
            .now
            .and_then(|t| t.to_zoned(jiff::tz::TimeZone::system()).ok())
            .map_or_else(jiff::Timestamp::now, |z| z.timestamp());
        crate::media::service::load(tv, tv_cache(&setup.config), at)
    });
    let headless = Headless::install(shot.size.0, shot.size.1)?;
    let time = shot.now.map_or(TimeSource::System, TimeSource::Fixed);
    let mut context = setup.context;
    context.sound = false;
    // A picture is taken without the network: calls show as set up but not connected.
    if let Some(call) = &mut context.call {
        call.connect = false;
    }
    let app = App::new(context, setup.settings, time)?;
    if let Some(listings) = listings {
        app.set_listings(listings);
    }
    if let Some(mut status) = stored {
        if shot.now.is_some() {
            // A picture at a fixed moment must not change with when the store was last synced.
            status.fresh_at = None;
        }
        app.sync_status(status);
    }
    app.window().show()?;
    headless.advance(SETTLE);
    if let Some((replay, class)) = replay {
        if replay.truncated > 0 {
            tracing::warn!(
                bytes = replay.truncated,
                "the replay ends in a truncated record; skipped"
            );
        }
        let class = class.or(if replay.device.keys.is_empty() {
            // A raw stream says nothing about its device: take it for a remote.
            Some(DeviceClass::Remote)
        } else {
            None
        });
        let mut engine = Engine::new(keymap);
        let played = std::cell::Cell::new(Duration::ZERO);
        replay.play(
            &mut engine,
            class,
            |t| {
                headless.advance(t.saturating_sub(played.get()));
                played.set(t);
            },
            |output| app.input(output),
        );
        headless.advance(SETTLE);
    }
    if let Some(number) = &shot.badge {
        app.input(crate::input::engine::Output::Badge(
            crate::input::badge::BadgeId::new(number.as_str()),
        ));
        headless.advance(SETTLE);
    }
    for &button in &shot.keys {
        app.press(button);
        headless.advance(SETTLE);
        if !shot.wait.is_zero() {
            // With video, each press gets a moment of real time, as a patient's would.
            headless.run_for(KEY_GAP);
        }
    }
    headless.run_for(shot.wait);
    headless
        .write_png(&shot.out)
        .map_err(|source| LaunchError::Write {
            path: shot.out.clone(),
            source,
        })?;
    // Dropping the app waits for the settings writer: a change made by these keys is on disk
    // before the process exits.
    drop(app);
    Ok(())
}

/// What a benchmark child process does (`bedside bench-child ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchChild {
    /// Start, draw the first frame of Home, print `frame` and exit.
    FirstFrame,
    /// Start and sit idle on Home with the real clock, forever.
    Idle,
}

pub fn bench_child(what: BenchChild, size: (u32, u32)) -> Result<(), LaunchError> {
    let (headless, _app) = headless_demo(size, TimeSource::System)?;
    headless.draw();
    println!("frame");
    if what == BenchChild::Idle {
        slint::run_event_loop()?;
    }
    Ok(())
}

/// The demo shell on the headless platform, shown and ready to draw: for benchmarks and tests
/// that drive the shell in-process. Installs this thread's Slint platform.
pub fn headless_demo(size: (u32, u32), time: TimeSource) -> Result<(Headless, App), LaunchError> {
    let at = match time {
        TimeSource::Fixed(at) => Some(at),
        _ => None,
    };
    headless_app(Setup::load_at(None, true, at)?, size, time)
}

/// The appliance as `setup` makes it (calls included, sound off) on the headless platform,
/// shown and ready to draw: for tests and benchmarks that drive it in-process, with real time
/// passing (`Headless::run_for`). Installs this thread's Slint platform.
pub fn headless_app(
    setup: Setup,
    size: (u32, u32),
    time: TimeSource,
) -> Result<(Headless, App), LaunchError> {
    headless_app_sounding(setup, size, time, false)
}

/// As [`headless_app`], with `sound` on as the appliance has it: speakers and microphone
/// through `autoaudiosink`/`autoaudiosrc` (tests and benchmarks of the sound path give the
/// machine a sound device first).
pub fn headless_app_sounding(
    setup: Setup,
    size: (u32, u32),
    time: TimeSource,
    sound: bool,
) -> Result<(Headless, App), LaunchError> {
    let headless = Headless::install(size.0, size.1)?;
    let mut context = setup.context;
    context.sound = sound;
    let app = App::new(context, setup.settings, time)?;
    app.window().show()?;
    Ok((headless, app))
}

/// 32 random bytes: the staff secret of a box without a store key (it lasts for this run).
fn random_secret() -> Vec<u8> {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    bytes
}
