//! The sync thread of the running appliance: a pass every `poll_seconds`, backing off while the
//! backend is down, telling the UI what the store now holds after every pass (and once before
//! the first, so a restarted box shows its patient at once, network or not).

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::SyncError;
use super::engine::Engine;
use crate::config::Config;
use crate::domain::patient::Patient;
use crate::fhir;
use crate::store::db::Store;
use crate::ui::app::{Link, SyncStatus};

/// Asks the sync thread for something.
#[derive(Debug)]
pub enum Command {
    /// Run a pass now (something was queued in the outbox).
    SyncNow,
    Stop,
}

pub struct Handle {
    tx: Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    pub fn send(&self, command: Command) {
        let _ = self.tx.send(command);
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the sync thread. `notify` runs on the sync thread; it should post to the UI.
pub fn spawn(config: Config, notify: impl Fn(SyncStatus) + Send + 'static) -> Handle {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("sync".into())
        .spawn(move || {
            let poll = Duration::from_secs(config.backend.as_ref().map_or(15, |b| b.poll_seconds.0));
            let mut engine: Option<Engine> = None;
            let mut shown: Option<String> = None;
            let mut failures: u32 = 0;
            loop {
                let mut wait = poll;
                if engine.is_none() {
                    match Engine::open(&config) {
                        Ok(e) => {
                            if let Some(r) = &e.recovery {
                                tracing::error!(
                                    set_aside = %r.set_aside.display(),
                                    outbox_salvaged = r.outbox_salvaged,
                                    reason = %r.reason,
                                    "the store was unreadable and has been rebuilt"
                                );
                            }
                            // What the store already knows, before any network.
                            let (status, key) = status_of(e.store(), Link::Offline, &mut shown);
                            notify(SyncStatus {
                                occupant_changed: false,
                                ..status
                            });
                            shown = key;
                            engine = Some(e);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "sync cannot start");
                            failures += 1;
                            wait = backoff(poll, failures, &e);
                        }
                    }
                }
                if let Some(e) = engine.as_mut() {
                    let link = match e.pass() {
                        Ok(report) => {
                            failures = 0;
                            if report.occupant_changed || report.chart_changed > 0 {
                                tracing::info!(
                                    changed = report.chart_changed,
                                    full = report.full,
                                    purged = report.purged,
                                    requests = report.requests,
                                    "sync pass"
                                );
                            }
                            Link::Online
                        }
                        Err(err) => {
                            failures += 1;
                            wait = backoff(poll, failures, &err);
                            tracing::warn!(error = %err, retry_in_s = wait.as_secs(), "sync pass failed");
                            Link::Offline
                        }
                    };
                    let (status, key) = status_of(e.store(), link, &mut shown);
                    shown = key;
                    notify(status);
                }
                match rx.recv_timeout(wait) {
                    Ok(Command::SyncNow) | Err(RecvTimeoutError::Timeout) => {}
                    Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
        .expect("the sync thread starts");
    Handle {
        tx,
        thread: Some(thread),
    }
}

/// What the store holds, as the UI would show it before any network: for `bedside snapshot`.
pub fn stored_status(config: &Config) -> Result<SyncStatus, SyncError> {
    let (store, _) = super::engine::open_store(config)?;
    let (status, _) = status_of(&store, Link::Offline, &mut None);
    Ok(SyncStatus {
        occupant_changed: false,
        ..status
    })
}

/// The status to show, and the admission it is about (to tell when the occupant changed).
fn status_of(
    store: &Store,
    link: Link,
    shown: &mut Option<String>,
) -> (SyncStatus, Option<String>) {
    let admission = store.admission().ok().flatten();
    let occupant = admission.as_ref().and_then(|a| {
        let json = store.resource("Patient", &a.patient).ok().flatten()?;
        match fhir::patient::from_json(&json) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "the stored Patient cannot be shown");
                Some(Patient::default())
            }
        }
    });
    let key = admission.map(|a| a.encounter);
    let changed = key != *shown;
    (
        SyncStatus {
            occupant,
            occupant_changed: changed,
            link,
            fresh_at: store.fresh_at().ok().flatten(),
        },
        key,
    )
}

fn backoff(poll: Duration, failures: u32, error: &SyncError) -> Duration {
    let grown = poll
        .saturating_mul(1 << failures.min(5))
        .min(Duration::from_secs(300));
    error.retry_after().map_or(grown, |r| r.max(poll))
}
