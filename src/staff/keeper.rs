//! Clinician mode's worker thread: it checks PINs (the directory can take seconds), and keeps
//! what must outlive the process in the encrypted store: offline sign-ins, lockouts, and the
//! audit trail as FHIR AuditEvents in the outbox. The UI thread only sends it jobs and never
//! waits for it.
//!
//! It has a connection of its own to the store the sync thread keeps ([`Store::open_shared`]),
//! so a slow sync pass never delays a nurse. It opens it at once (on its own thread, as the sync
//! thread opens its own) so the lockouts kept from before a restart are back in the UI long
//! before anyone can tap a badge and type a PIN; if it cannot, it tries again at the next job,
//! and audit events wait in memory (and are in the journal) meanwhile.
//!
//! Dropping the [`Keeper`] finishes the queued jobs first: an audit event sent before the
//! program ends is in the store when it ends.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use jiff::Timestamp;

use super::StaffCheck;
use super::audit::{self, Place};
use crate::config::Identifier;
use crate::domain::session::badge::BadgeKey;
use crate::domain::session::lockout::Lockouts;
use crate::domain::session::pad::StaffPin;
use crate::domain::session::staff::Verdict;
use crate::domain::shell::Audit;
use crate::input::badge::BadgeId;
use crate::store::db::Store;
use crate::store::key::DbKey;

/// Where the keeper keeps things.
#[derive(Clone, Debug)]
pub struct KeeperSetup {
    /// The store's data directory and key file; None: nothing outlives the process.
    pub store: Option<(PathBuf, PathBuf)>,
    pub device: Identifier,
    pub bed_name: String,
}

/// What the keeper tells the UI.
pub enum Told {
    /// The directory's (or the offline check's) verdict on a PIN.
    Verdict(BadgeKey, Verdict),
    /// The lockouts kept from before this start.
    Lockouts(Lockouts),
}

enum Job {
    Check {
        number: BadgeId,
        badge: BadgeKey,
        pin: StaffPin,
    },
    Audit(Audit, Timestamp),
    Lockouts(String),
    /// How to wake the sync loop once an audit event is in the outbox.
    Wake(Box<dyn Fn() + Send>),
}

pub struct Keeper {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Keeper {
    /// Starts the worker; `tell` runs on it and should post to the UI.
    pub fn spawn(
        check: StaffCheck,
        setup: KeeperSetup,
        tell: impl Fn(Told) + Send + 'static,
    ) -> std::io::Result<Keeper> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("staff".into())
            .spawn(move || Worker::new(check, setup).run(&rx, &tell))?;
        Ok(Keeper {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn check(&self, number: BadgeId, badge: BadgeKey, pin: StaffPin) {
        self.send(Job::Check { number, badge, pin });
    }

    pub fn audit(&self, audit: Audit, at: Timestamp) {
        self.send(Job::Audit(audit, at));
    }

    pub fn keep_lockouts(&self, lockouts: &Lockouts) {
        self.send(Job::Lockouts(lockouts.to_json()));
    }

    pub fn set_wake(&self, wake: Box<dyn Fn() + Send>) {
        self.send(Job::Wake(wake));
    }

    fn send(&self, job: Job) {
        if let Some(tx) = &self.tx
            && tx.send(job).is_err()
        {
            tracing::error!("the staff worker has stopped");
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        // Closing the channel ends the worker once the queued jobs are done.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    check: StaffCheck,
    setup: KeeperSetup,
    store: Option<Store>,
    /// The lockouts were read back (once per run).
    restored: bool,
    /// The lockouts read back, until the first write after it: that write takes the larger of
    /// each count, in case the UI had not merged them yet.
    restored_lockouts: Option<Lockouts>,
    wake: Option<Box<dyn Fn() + Send>>,
    /// Audit events not yet in the outbox (the store could not be written): tried again at the
    /// next job.
    unsent: Vec<(Audit, Timestamp)>,
}

impl Worker {
    fn new(check: StaffCheck, setup: KeeperSetup) -> Worker {
        Worker {
            check,
            setup,
            store: None,
            restored: false,
            restored_lockouts: None,
            wake: None,
            unsent: Vec::new(),
        }
    }

    fn run(mut self, rx: &Receiver<Job>, tell: &dyn Fn(Told)) {
        self.open(tell);
        while let Ok(job) = rx.recv() {
            self.open(tell);
            self.flush();
            self.job(job, tell);
        }
    }

    /// Opens the store if it is not open, and reads back what it kept (once).
    fn open(&mut self, tell: &dyn Fn(Told)) {
        if self.store.is_some() {
            return;
        }
        let Some((dir, key_file)) = &self.setup.store else {
            return;
        };
        let opened = DbKey::from_file(key_file)
            .map_err(|e| e.to_string())
            .and_then(|key| Store::open_shared(dir, &key).map_err(|e| e.to_string()));
        let store = match opened {
            Ok(store) => store,
            Err(e) => {
                tracing::warn!(error = %e, "clinician mode cannot open the store yet");
                return;
            }
        };
        if !self.restored {
            self.restored = true;
            if let Ok(Some(json)) = store.staff_kept("offline") {
                self.check.restore_json(&json, Timestamp::now());
            }
            if let Some(lockouts) = store
                .staff_kept("lockouts")
                .ok()
                .flatten()
                .and_then(|json| Lockouts::from_json(&json))
            {
                self.restored_lockouts = Some(lockouts.clone());
                tell(Told::Lockouts(lockouts));
            }
        }
        self.store = Some(store);
    }

    fn job(&mut self, job: Job, tell: &dyn Fn(Told)) {
        match job {
            Job::Check { number, badge, pin } => {
                let before = self.check.kept_json();
                self.check
                    .check_then(number.expose(), badge, &pin, Timestamp::now(), |verdict| {
                        tell(Told::Verdict(badge, verdict))
                    });
                drop(number);
                let after = self.check.kept_json();
                if after != before {
                    self.keep("offline", &after);
                }
            }
            Job::Audit(audit, at) => self.audit(audit, at),
            Job::Lockouts(json) => {
                let json = match (self.restored_lockouts.take(), Lockouts::from_json(&json)) {
                    (Some(kept), Some(mut now)) => {
                        now.union_max(kept);
                        now.to_json()
                    }
                    _ => json,
                };
                self.keep("lockouts", &json);
            }
            Job::Wake(wake) => self.wake = Some(wake),
        }
    }

    fn keep(&mut self, name: &str, value: &str) {
        if let Some(store) = &self.store
            && let Err(e) = store.keep_staff(name, value)
        {
            tracing::error!(error = %e, what = name, "cannot keep clinician mode's state");
            // Opened again at the next job: the sync thread may have rebuilt the file.
            self.store = None;
        }
    }

    /// The journal always has the line (who by Practitioner reference, never a badge number or
    /// PIN); the outbox has the AuditEvent when there is a store.
    fn audit(&mut self, audit: Audit, at: Timestamp) {
        let who = audit.by.as_ref().map_or("", |s| s.practitioner.as_str());
        tracing::info!(target: "bedside::audit", what = ?audit.what, practitioner = who, "staff audit");
        if self.setup.store.is_some() {
            self.unsent.push((audit, at));
            self.flush();
        }
    }

    /// Puts the audit events waiting into the outbox, in order, and wakes the sync loop. The
    /// patient named is the one in the bed when the event goes in (the same moment, unless the
    /// store could not be written then).
    fn flush(&mut self) {
        let Some(store) = &self.store else {
            return;
        };
        if self.unsent.is_empty() {
            return;
        }
        let patient = store.admission().ok().flatten().map(|a| a.patient);
        let before = self.unsent.len();
        while let Some((audit, at)) = self.unsent.first() {
            let event = audit::event(
                audit,
                *at,
                &Place {
                    device: &self.setup.device,
                    bed_name: &self.setup.bed_name,
                    patient: patient.as_deref(),
                },
            );
            if let Err(e) = store.enqueue(patient.as_deref().unwrap_or(""), event) {
                tracing::error!(error = %e, waiting = self.unsent.len(), "cannot queue an audit event; kept for the next try");
                self.store = None;
                break;
            }
            self.unsent.remove(0);
        }
        if self.unsent.len() < before
            && let Some(wake) = &self.wake
        {
            wake();
        }
    }
}
