//! The system layer: what the appliance tells the operating system, and what the system can ask
//! of it.
//!
//! - [`notify`]: systemd's service protocol. READY once the first frame is on screen and the
//!   store is open, WATCHDOG pings from the UI event loop itself (a hung UI thread gets the
//!   service restarted; a busy sync thread does not), RELOADING and STOPPING.
//! - [`bus`]: our own D-Bus service (`io.github.bedside.Bedside1` on the system bus): what the
//!   box is doing, as properties with change signals, and `Reload()` / `Purge()` for biomedical
//!   IT. It is a thin adapter: facts come out of the UI thread through a watch channel, requests
//!   go into it through the inbox (or to the sync thread that owns the store).
//!
//! The IO runtime: one tokio runtime ([`runtime`]) runs the bus and the signal handlers. zbus's
//! `tokio` feature applies to every user of zbus in the process, Slint's desktop backend too
//! (it asks the desktop portal for the colour scheme on the UI thread), so `main` enters the
//! runtime on the UI thread for the life of the process: tokio's IO types find its reactor from
//! any thread.

pub mod bus;
pub mod clients;
pub mod notify;

/// The appliance's IO runtime: one worker thread (a two-core box; the UI owns the other core),
/// IO and timers on. It parks without wake-ups while nothing happens.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("io")
        .enable_all()
        .build()
}

/// What the system asks of the running appliance, delivered to the UI thread through the inbox.
#[derive(Debug)]
#[non_exhaustive]
pub enum Request {
    /// SIGTERM or SIGINT: stop cleanly (STOPPING, the store closed, exit 0).
    Stop,
    /// `Reload()` on D-Bus, after the new configuration was read and found good: stop cleanly
    /// and start again on it (the same process, re-executed).
    Reload,
}

/// How the appliance's run on a display ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The window closed, or the system asked it to stop.
    Stopped,
    /// Start again on the configuration as it is now ([`Request::Reload`]).
    Reload,
}

/// The facts the box publishes on D-Bus (and, later, in its heartbeat). Never who the patient
/// is: only whether someone is admitted to the bed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The screen is off (standby) or on.
    pub standby: bool,
    /// The bed the box serves: its FHIR Location identifier (`system|value`).
    pub bed: String,
    /// A patient is admitted to the bed.
    pub patient_present: bool,
    /// The link to the hospital's backend: `online`, `offline`, `unconfigured` or `demo`.
    pub backend_link: &'static str,
    /// When the record last matched the backend (Unix seconds; 0: never).
    pub last_sync: i64,
    /// A video call is on (ringing, connecting or connected).
    pub in_call: bool,
}

impl Facts {
    /// A box that has shown nothing yet.
    pub fn new(bed: &str) -> Facts {
        Facts {
            standby: false,
            bed: bed.to_owned(),
            patient_present: false,
            backend_link: "unconfigured",
            last_sync: 0,
            in_call: false,
        }
    }
}

/// Listens for SIGTERM and SIGINT on the runtime and turns each into [`Request::Stop`] for the
/// UI thread (a second one while stopping is the same request again: the UI quits once).
pub fn stop_on_signals(runtime: &tokio::runtime::Handle, stop: impl Fn() + Send + 'static) {
    use tokio::signal::unix::{SignalKind, signal};
    let _entered = runtime.enter();
    let (term, int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot handle SIGTERM; a stop will not be clean");
            return;
        }
    };
    runtime.spawn(async move {
        let (mut term, mut int) = (term, int);
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("asked to stop");
            stop();
        }
    });
}
