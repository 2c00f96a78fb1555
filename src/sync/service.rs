//! The sync loop of the running appliance (and of `bedside sync`): a pass every `poll_seconds`,
//! backing off while the backend is down, at once when a rest-hook notification arrives, and
//! the UI told what the store now holds after every pass (and once before the first, so a
//! restarted box shows its patient at once, network or not).

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::SyncError;
use super::engine::{Engine, Notify, PassReport};
use super::status::{Link, SyncStatus};
use crate::config::Config;
use crate::domain::patient::Patient;
use crate::domain::record::Record;
use crate::fhir;
use crate::store::db::Store;

/// Asks the sync loop for something.
#[derive(Debug)]
pub enum Command {
    /// Run a pass now (a notification came, or something was queued in the outbox).
    SyncNow,
    /// Show what the store holds again, without asking the backend (Learn's cache has fetched
    /// something the record points at).
    Show,
    Stop,
    /// Erase the patient's data now (biomedical IT, over D-Bus); the answer says whether there
    /// was any, or why it could not be done. Sync carries on: if the backend still has a patient
    /// in the bed, the next pass loads their chart again.
    Purge(crate::system::bus::PurgeReply),
    /// Test only: the loop fails as a bug in it would (see [`crate::supervise`]).
    Fail,
}

pub struct Handle {
    tx: Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    pub fn send(&self, command: Command) {
        let _ = self.tx.send(command);
    }

    /// Something another thread can call to ask for a purge ([`Command::Purge`]).
    pub fn purger(&self) -> crate::system::bus::Purger {
        let tx = self.tx.clone();
        Box::new(move |reply| tx.send(Command::Purge(reply)).is_ok())
    }

    /// Something another thread can call to run a pass now (an item went into the outbox).
    pub fn waker(&self) -> Box<dyn Fn() + Send> {
        let tx = self.tx.clone();
        Box::new(move || {
            let _ = tx.send(Command::SyncNow);
        })
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

/// What the loop reports after each pass attempt.
pub enum Event<'a> {
    /// The store is open (before any pass): what it holds can be shown.
    Opened(&'a Engine),
    /// A pass ran.
    Pass(&'a Engine, &'a Result<PassReport, SyncError>),
    /// Nothing was asked of the backend, but what the store holds changed (see
    /// [`Command::Show`]).
    Shown(&'a Engine),
}

/// Starts the sync thread for the UI. `notify` runs on the sync thread; it should post to the UI.
/// The thread outlives its own failures ([`crate::supervise`]): if a pass panics, the UI is
/// told at once that the record is no longer being kept up to date (the last status again,
/// offline), and the loop starts over (the store opened afresh).
pub fn spawn(config: Config, notify: impl Fn(SyncStatus) + Send + 'static) -> Handle {
    let (tx, rx) = mpsc::channel();
    let wake = tx.clone();
    let thread = std::thread::Builder::new()
        .name("sync".into())
        .spawn(move || {
            // Learn's material fetched ahead; it wakes the loop to show what arrived.
            let show = wake.clone();
            let cache = crate::learn::cache::Cache::spawn(
                &config,
                Box::new(move || {
                    let _ = show.send(Command::Show);
                }),
            );
            // The listener outlives failed runs of the loop (its port stays bound).
            let notify_by = start_listener(&config, wake);
            let shown = std::cell::RefCell::new(None::<String>);
            let last = std::cell::RefCell::new(None::<SyncStatus>);
            crate::supervise::run(
                "sync",
                || {
                    run(&config, notify_by.clone(), &rx, |event| {
                        let (engine, link) = match event {
                            Event::Opened(e) => (e, Link::Offline),
                            Event::Pass(e, Ok(_)) => (e, Link::Online),
                            Event::Pass(e, Err(_)) => (e, Link::Offline),
                            Event::Shown(e) => {
                                (e, last.borrow().as_ref().map_or(Link::Offline, |s| s.link))
                            }
                        };
                        let (status, key, wants) =
                            status_of(engine.store(), link, &shown.borrow(), &jiff::Zoned::now());
                        if let Some(cache) = &cache {
                            cache.want(key.clone(), wants);
                        }
                        let first = matches!(event, Event::Opened(_));
                        *shown.borrow_mut() = key;
                        let status = SyncStatus {
                            // Showing what was already there at start is not a change of
                            // occupant.
                            occupant_changed: status.occupant_changed && !first,
                            after_pass: matches!(event, Event::Pass(..)),
                            ..status
                        };
                        *last.borrow_mut() = Some(status.clone());
                        notify(status);
                    });
                },
                || {
                    if let Some(status) = last.borrow_mut().take() {
                        notify(SyncStatus {
                            link: Link::Offline,
                            occupant_changed: false,
                            ..status
                        });
                    }
                },
                |pause| match rx.recv_timeout(pause) {
                    Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => false,
                    Ok(_) | Err(RecvTimeoutError::Timeout) => true,
                },
            );
        })
        .expect("the sync thread starts");
    Handle {
        tx,
        thread: Some(thread),
    }
}

/// The loop itself, on the calling thread, until `Stop`: open the store (retrying), pass,
/// report, wait. `notify`: the rest-hook listener ([`start_listener`]) that wakes it, if any.
/// Keep a sender of `rx`'s alive meanwhile: with every sender gone, each wait ends at once.
pub fn run(
    config: &Config,
    notify: Option<Notify>,
    rx: &Receiver<Command>,
    mut report: impl FnMut(Event<'_>),
) {
    let poll = Duration::from_secs(config.backend.as_ref().map_or(15, |b| b.poll_seconds.0));
    let mut engine: Option<Engine> = None;
    let mut failures: u32 = 0;
    loop {
        let mut wait = poll;
        if engine.is_none() {
            match Engine::open(config) {
                Ok(mut e) => {
                    if let Some(r) = &e.recovery {
                        tracing::error!(
                            set_aside = %r.set_aside.display(),
                            outbox_salvaged = r.outbox_salvaged,
                            reason = %r.reason,
                            "the store was unreadable and has been rebuilt"
                        );
                    }
                    e.notify = notify.clone();
                    report(Event::Opened(&e));
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
            let result = e.pass();
            match &result {
                Ok(r) => {
                    failures = 0;
                    if r.occupant_changed || r.chart_changed > 0 {
                        tracing::info!(
                            changed = r.chart_changed,
                            full = r.full,
                            purged = r.purged,
                            requests = r.requests,
                            "sync pass"
                        );
                    }
                }
                Err(err) => {
                    failures += 1;
                    wait = backoff(poll, failures, err);
                    tracing::warn!(error = %err, retry_in_s = wait.as_secs(), "sync pass failed");
                }
            }
            report(Event::Pass(e, &result));
        }
        let next_pass = std::time::Instant::now() + wait;
        loop {
            let left = next_pass.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(Command::Show) => {
                    if let Some(e) = engine.as_ref() {
                        report(Event::Shown(e));
                    }
                }
                Ok(Command::Purge(reply)) => purge(&mut engine, reply, &mut report),
                Ok(Command::SyncNow) | Err(RecvTimeoutError::Timeout) => break,
                Ok(Command::Fail) => panic!("the sync thread was made to fail (test)"),
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        // A burst of notifications is one pass (which shows what the store holds as well).
        while let Ok(c) = rx.try_recv() {
            match c {
                Command::Stop => return,
                Command::Fail => panic!("the sync thread was made to fail (test)"),
                Command::SyncNow | Command::Show => {}
                Command::Purge(reply) => purge(&mut engine, reply, &mut report),
            }
        }
    }
}

/// Erases the patient's data now and shows the empty bed; answers `reply`.
fn purge(
    engine: &mut Option<Engine>,
    reply: crate::system::bus::PurgeReply,
    report: &mut impl FnMut(Event<'_>),
) {
    let answer = match engine.as_mut() {
        None => Err("the store is not open (see the journal); nothing was erased".to_owned()),
        Some(e) => match e.purge() {
            Ok(erased) => {
                report(Event::Shown(e));
                Ok(erased)
            }
            Err(err) => Err(format!("the erase failed: {err}")),
        },
    };
    let _ = reply.send(answer);
}

/// Listens for rest-hook notifications when the config asks for it. A notification is a bare
/// ping: its body is never read (no patient data arrives this way), it must carry the secret
/// this run put in its Subscriptions, and all it does is wake the loop.
pub fn start_listener(config: &Config, wake: Sender<Command>) -> Option<Notify> {
    let backend = config.backend.as_ref()?;
    let (addr, url) = (backend.notify_listen?, backend.notify_url.clone()?);
    let server = match tiny_http::Server::http(addr) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(%addr, error = %e, "cannot listen for notifications; polling only");
            return None;
        }
    };
    let token = uuid::Uuid::new_v4().simple().to_string();
    let expected = format!("Bearer {token}");
    let spawned = std::thread::Builder::new()
        .name("notify".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let authorised = request.headers().iter().any(|h| {
                    h.field.equiv("Authorization") && h.value.as_str() == expected.as_str()
                });
                let post = matches!(
                    request.method(),
                    tiny_http::Method::Post | tiny_http::Method::Put
                );
                let status = if !authorised {
                    401
                } else if !post {
                    405
                } else {
                    if wake.send(Command::SyncNow).is_err() {
                        return;
                    }
                    200
                };
                let _ = request.respond(tiny_http::Response::empty(status));
            }
        });
    if spawned.is_err() {
        return None;
    }
    tracing::info!(%addr, "listening for FHIR rest-hook notifications");
    Some(Notify {
        url: url.as_str().to_owned(),
        token,
    })
}

/// What the store holds, as the UI would show it before any network: for `bedside snapshot`.
/// `now` decides what "today" is for the record (a snapshot at a fixed moment passes it).
pub fn stored_status(config: &Config, now: &jiff::Zoned) -> Result<SyncStatus, SyncError> {
    let (store, _) = super::engine::open_store(config)?;
    let (status, _, _) = status_of(&store, Link::Offline, &None, now);
    Ok(SyncStatus {
        occupant_changed: false,
        ..status
    })
}

/// The status to show, the admission it is about (to tell when the occupant changed), and
/// what Learn's cache should have at hand for it (the assignments point at what it has).
fn status_of(
    store: &Store,
    link: Link,
    shown: &Option<String>,
    now: &jiff::Zoned,
) -> (SyncStatus, Option<String>, Vec<crate::learn::cache::Want>) {
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
    let mut record = if admission.is_some() {
        fhir::record::build(|kind| store.resources(kind).unwrap_or_default(), now)
    } else {
        Record::default()
    };
    let wants = crate::learn::cache::wanted(record.learn());
    if !wants.is_empty() {
        let index = store.learn_cache().unwrap_or_default();
        let mut learn = record.learn().to_vec();
        crate::learn::cache::localize(&mut learn, &index, store.dir());
        record.set_learn(learn);
    }
    let key = admission.map(|a| a.encounter);
    let changed = key != *shown;
    (
        SyncStatus {
            occupant,
            occupant_changed: changed,
            link,
            fresh_at: store.fresh_at().ok().flatten(),
            outbox_waiting: store.outbox_from_patient().unwrap_or(0),
            record: Arc::new(record),
            after_pass: false,
        },
        key,
        wants,
    )
}

fn backoff(poll: Duration, failures: u32, error: &SyncError) -> Duration {
    let grown = poll
        .saturating_mul(1 << failures.min(5))
        .min(Duration::from_secs(300));
    error.retry_after().map_or(grown, |r| r.max(poll))
}
