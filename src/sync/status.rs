//! What sync tells the rest of the appliance after each pass. Sync owns these types: the UI
//! reads them, sync knows nothing of the UI.

use std::sync::Arc;

use crate::domain::patient::Patient;
use crate::domain::record::Record;

/// The state of the link to the hospital's backend, for the header's status area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// No backend is configured: a TV with nothing to sync (not offline, so nothing is said).
    Unconfigured,
    /// The backend cannot be reached (or has not been yet).
    Offline,
    Online,
    /// Built-in demo content, no hospital behind it.
    Demo,
}

/// What sync tells the shell after each pass.
#[derive(Clone, Debug)]
pub struct SyncStatus {
    /// The patient in the bed now (None: the bed is empty).
    pub occupant: Option<Patient>,
    /// A different patient than before (or none any more): start over for them.
    pub occupant_changed: bool,
    pub link: Link,
    /// When the data last matched the backend (Unix seconds).
    pub fresh_at: Option<i64>,
    /// What the patient sent (pain scores, requests) that has not reached the backend yet
    /// (staff see it on the patient summary; audit events are not counted).
    pub outbox_waiting: u64,
    /// The patient's record for My health, built from the store after the pass.
    pub record: Arc<Record>,
    /// This status follows a pass (whatever its result); false when the store was only opened
    /// or shown again. The first such status is the "one sync attempt" of a healthy start.
    pub after_pass: bool,
}
