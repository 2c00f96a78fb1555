//! Learn's worker thread: what the patient did with an assignment goes into the outbox as FHIR
//! (the Task moved on, the teach-back answers, the teaching done), from the UI thread without
//! waiting on the disk. One job is one transaction: a power cut leaves all of a finished
//! assignment queued, or none of it (and then the patient's Done is lost with the power, as it
//! was never recorded: the list shows it as started again).
//!
//! The worker has a connection of its own to the store ([`Store::open_shared`]), opened at the
//! first job. The patient and the admission named are the store's at the moment the job is
//! written: a job for a patient discharged meanwhile names nobody and is dropped (with a line in
//! the journal that says so, and nothing about the patient).

pub mod cache;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use jiff::Timestamp;
use serde_json::json;

use crate::domain::learn::{Assignment, Recorded};
use crate::fhir::learn::{Subject, education_procedure, questionnaire_response, request_task};
use crate::store::db::{OP_CREATE, OP_PUT, OP_TASK_STATUS, Outgoing, Store};
use crate::store::key::DbKey;

enum Job {
    Record(Recorded, Box<Option<Assignment>>, Timestamp),
    Wake(Box<dyn Fn() + Send>),
}

/// The handle the UI keeps; dropping it finishes the queued jobs first.
pub struct Recorder {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts the worker. `store` is the data directory and key file; None: nothing is kept
    /// (the built-in demo), and jobs only reach the journal.
    pub fn spawn(store: Option<(PathBuf, PathBuf)>) -> Recorder {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("learn".into())
            .spawn(move || Worker::new(store).run(&rx));
        match thread {
            Ok(t) => Recorder {
                tx: Some(tx),
                thread: Some(t),
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot start Learn's worker; progress is not recorded");
                Recorder {
                    tx: None,
                    thread: None,
                }
            }
        }
    }

    /// Records this, about this assignment (None: it is no longer in the record).
    pub fn record(&self, what: Recorded, item: Option<Assignment>, at: Timestamp) {
        self.send(Job::Record(what, Box::new(item), at));
    }

    /// How to wake the sync loop once something is in the outbox.
    pub fn set_wake(&self, wake: Box<dyn Fn() + Send>) {
        self.send(Job::Wake(wake));
    }

    fn send(&self, job: Job) {
        if let Some(tx) = &self.tx
            && tx.send(job).is_err()
        {
            tracing::error!("Learn's worker has stopped");
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    setup: Option<(PathBuf, PathBuf)>,
    store: Option<Store>,
    wake: Option<Box<dyn Fn() + Send>>,
}

impl Worker {
    fn new(setup: Option<(PathBuf, PathBuf)>) -> Worker {
        Worker {
            setup,
            store: None,
            wake: None,
        }
    }

    fn run(mut self, rx: &Receiver<Job>) {
        while let Ok(job) = rx.recv() {
            match job {
                Job::Wake(wake) => self.wake = Some(wake),
                Job::Record(what, item, at) => self.record(what, *item, at),
            }
        }
    }

    fn open(&mut self) -> Option<&mut Store> {
        if self.store.is_none() {
            let (dir, key_file) = self.setup.as_ref()?;
            let opened = DbKey::from_file(key_file)
                .map_err(|e| e.to_string())
                .and_then(|key| Store::open_shared(dir, &key).map_err(|e| e.to_string()));
            match opened {
                Ok(s) => self.store = Some(s),
                Err(e) => {
                    tracing::error!(error = %e, "Learn cannot open the store; progress not recorded");
                    return None;
                }
            }
        }
        self.store.as_mut()
    }

    fn record(&mut self, what: Recorded, item: Option<Assignment>, at: Timestamp) {
        let kind = match &what {
            Recorded::Opened { .. } => "opened",
            Recorded::Finished { .. } => "finished",
            Recorded::Assigned { .. } => "assigned by staff",
            Recorded::Unassigned { .. } => "unassigned by staff",
        };
        tracing::info!(target: "bedside::learn", what = kind, "patient education");
        let Some(store) = self.open() else {
            return;
        };
        match queue(store, &what, item.as_ref(), at) {
            Ok(_) => {
                if let Some(wake) = &self.wake {
                    wake();
                }
            }
            Err(NotQueued::Nobody) => {
                tracing::warn!("patient education after the patient left; not recorded");
            }
            Err(NotQueued::SomeoneElse) => {
                tracing::warn!("patient education for someone no longer in the bed; not recorded");
            }
            Err(NotQueued::NoTask) => {
                tracing::warn!(
                    "patient education for a Task the store does not hold; not recorded"
                );
            }
            Err(NotQueued::Store(e)) => {
                tracing::error!(error = %e, "Learn cannot queue what the patient did");
                // A fresh connection next time (the file may have been replaced).
                self.store = None;
            }
        }
    }
}

/// Why something the patient or staff did was not queued.
#[derive(Debug)]
pub enum NotQueued {
    /// Nobody is admitted (the patient left).
    Nobody,
    /// The Task (or request) is someone else's: the patient left and another came.
    SomeoneElse,
    /// The store holds no such Task, and no request to create it from.
    NoTask,
    Store(String),
}

/// Queues what was done about an assignment, in one transaction: the outbox items (in
/// delivery order, returned) and the store's own copy of the Task moved on (both or neither
/// across a power cut), so a restart
/// before delivery neither shows it as not done nor lets it be finished twice. An assignment
/// that is only a ServiceRequest so far gets its Task created first ([`request_task`]).
pub fn queue(
    store: &mut Store,
    what: &Recorded,
    item: Option<&Assignment>,
    at: Timestamp,
) -> Result<Vec<Outgoing>, NotQueued> {
    let admission = store
        .admission()
        .map_err(|e| NotQueued::Store(e.to_string()))?
        .ok_or(NotQueued::Nobody)?;
    let who = Subject {
        patient: &admission.patient,
        encounter: &admission.encounter,
    };
    let mine = |r: &serde_json::Value| {
        crate::sync::plan::belongs(r, &format!("Patient/{}", admission.patient))
    };
    // What the patient did names their Task: a Task the store does not hold for the patient
    // in the bed now (they left, and someone else came) is not recorded under the newcomer.
    let mut created = None;
    let own_task = match what {
        Recorded::Opened { task }
        | Recorded::Finished { task, .. }
        | Recorded::Unassigned { task, .. } => {
            match store
                .resource("Task", task)
                .map_err(|e| NotQueued::Store(e.to_string()))?
            {
                Some(t) if mine(&t) => Some(t),
                Some(_) => return Err(NotQueued::SomeoneElse),
                None => {
                    let request = item
                        .filter(|i| i.from_request && &i.task == task)
                        .and_then(|i| Some((i, i.based_on.as_deref()?)))
                        .and_then(|(i, r)| Some((i, r.strip_prefix("ServiceRequest/")?)));
                    let Some((item, request)) = request else {
                        return Err(NotQueued::NoTask);
                    };
                    let request = store
                        .resource("ServiceRequest", request)
                        .map_err(|e| NotQueued::Store(e.to_string()))?
                        .ok_or(NotQueued::NoTask)?;
                    if !mine(&request) {
                        return Err(NotQueued::SomeoneElse);
                    }
                    let t = request_task(&request, item, &who, at);
                    created = Some(t.clone());
                    Some(t)
                }
            }
        }
        Recorded::Assigned { .. } => None,
    };
    let mut items = Vec::new();
    if let Some(task) = created {
        items.push(Outgoing {
            op: OP_CREATE,
            kind: "Task".into(),
            id: task["id"].as_str().unwrap_or_default().to_owned(),
            json: task,
        });
    }
    items.extend(outgoing(what, item, &who, at));
    // What staff changed shows on this TV at once, backend or not: the new Task, or the
    // one taken back, goes into the store as the server will have it.
    let local: Vec<serde_json::Value> = match what {
        Recorded::Assigned { .. } => items
            .iter()
            .filter(|i| i.op == OP_PUT && i.kind == "Task")
            .map(|i| i.json.clone())
            .collect(),
        Recorded::Unassigned { .. } | Recorded::Opened { .. } | Recorded::Finished { .. } => {
            let status = match what {
                Recorded::Unassigned { .. } => "cancelled",
                Recorded::Opened { .. } => "in-progress",
                _ => "completed",
            };
            own_task
                .map(|mut t| {
                    let forward = !matches!(
                        (t["status"].as_str(), status),
                        (Some("completed" | "cancelled"), _) | (Some("in-progress"), "in-progress")
                    );
                    if forward {
                        t["status"] = json!(status);
                    }
                    t
                })
                .into_iter()
                .collect()
        }
    };
    store
        .enqueue_and_keep(&admission.patient, &items, &local)
        .map_err(|e| NotQueued::Store(e.to_string()))?;
    Ok(items)
}

/// What goes into the outbox for one thing the patient did, in delivery order.
pub fn outgoing(
    what: &Recorded,
    item: Option<&Assignment>,
    who: &Subject,
    at: Timestamp,
) -> Vec<Outgoing> {
    let task_status = |task: &str, status: &str, outputs: Vec<String>| Outgoing {
        op: OP_TASK_STATUS,
        kind: "Task".into(),
        id: uuid::Uuid::new_v4().to_string(),
        json: json!({"task": task, "status": status, "at": at.to_string(), "outputs": outputs}),
    };
    match what {
        Recorded::Assigned { item, by } => {
            let id = uuid::Uuid::new_v4().to_string();
            let mut task = crate::fhir::catalogue::assignment_task(item, who, by, at);
            task["id"] = json!(id);
            vec![Outgoing {
                op: OP_PUT,
                kind: "Task".into(),
                id,
                json: task,
            }]
        }
        Recorded::Unassigned { task, .. } => vec![task_status(task, "cancelled", Vec::new())],
        Recorded::Opened { task } => vec![task_status(task, "in-progress", Vec::new())],
        Recorded::Finished { task, answers } => {
            let mut out = Vec::new();
            let mut outputs = Vec::new();
            if let Some(item) = item {
                if let Some(quiz) = &item.quiz {
                    let id = uuid::Uuid::new_v4().to_string();
                    let mut qr = questionnaire_response(quiz, answers, who, at);
                    qr["id"] = json!(id);
                    outputs.push(format!("QuestionnaireResponse/{id}"));
                    out.push(Outgoing {
                        op: OP_PUT,
                        kind: "QuestionnaireResponse".into(),
                        id,
                        json: qr,
                    });
                }
                let id = uuid::Uuid::new_v4().to_string();
                let mut procedure = education_procedure(item, who, at);
                procedure["id"] = json!(id);
                outputs.push(format!("Procedure/{id}"));
                out.push(Outgoing {
                    op: OP_PUT,
                    kind: "Procedure".into(),
                    id,
                    json: procedure,
                });
            }
            out.push(task_status(task, "completed", outputs));
            out
        }
    }
}
