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
use crate::store::settings_file::SettingsFile;
use crate::ui::app::{App, Context, Link, TimeSource};
use crate::ui::headless::Headless;

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
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to show and where to keep settings, from `--config` and `--demo`.
pub struct Setup {
    pub config: Config,
    pub context: Context,
    pub settings: SettingsFile,
}

impl Setup {
    /// `--demo` without `--config` runs on a built-in demo bed and writes nothing to disk. With
    /// `--config`, the file names the bed and the data directory; `--demo` then only admits the
    /// demo patient to it.
    pub fn load(config: Option<&Path>, demo: bool) -> Result<Setup, LaunchError> {
        let (config, settings) = match (config, demo) {
            (None, true) => (Config::demo(), SettingsFile::none()),
            (path, _) => {
                let config = Config::load(path.unwrap_or(Path::new(config::DEFAULT_PATH)))?;
                let settings = SettingsFile::in_dir(&config.store.data_dir);
                (config, settings)
            }
        };
        let (patient, link) = if demo {
            (Some(demo::patient()?), Link::Demo)
        } else {
            // The backend link arrives with sync; until then the bed shows as empty and offline.
            (None, Link::Offline)
        };
        let context = Context {
            bed_name: config.bed.name.as_str().to_owned(),
            patient,
            link,
            clock_style: config.ui.clock,
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
pub fn run_on_display(setup: Setup) -> Result<(), LaunchError> {
    let app = App::new(setup.context, setup.settings, TimeSource::System).map_err(|e| match e {
        e @ (PlatformError::NoPlatform | PlatformError::Other(_)) => LaunchError::NoDisplay(e),
        e => LaunchError::Ui(e),
    })?;
    tracing::info!(bed = %setup.config.bed.location, "showing the bedside UI");
    app.window().run()?;
    Ok(())
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
}

/// Renders the UI headless after pressing `keys`, through the same dispatch path as a remote,
/// and writes a PNG.
pub fn snapshot(setup: Setup, shot: &Snapshot) -> Result<(), LaunchError> {
    let headless = Headless::install(shot.size.0, shot.size.1)?;
    let time = shot.now.map_or(TimeSource::System, TimeSource::Fixed);
    let app = App::new(setup.context, setup.settings, time)?;
    app.window().show()?;
    headless.advance(SETTLE);
    for &button in &shot.keys {
        app.press(button);
        headless.advance(SETTLE);
    }
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
    let headless = Headless::install(size.0, size.1)?;
    let setup = Setup::load(None, true)?;
    let app = App::new(setup.context, setup.settings, TimeSource::System)?;
    app.window().show()?;
    match what {
        BenchChild::FirstFrame => {
            headless.draw();
            println!("frame");
            Ok(())
        }
        BenchChild::Idle => {
            headless.draw();
            println!("frame");
            slint::run_event_loop()?;
            Ok(())
        }
    }
}
