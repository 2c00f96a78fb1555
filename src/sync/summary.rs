//! The one-line JSON summary `bedside sync --once` and `bedside status` print. Counts only: no
//! names, no ids, nothing that identifies the patient.

use std::collections::BTreeMap;

use serde::Serialize;

use super::engine::PassReport;
use crate::config::Config;
use crate::store::db::{Store, StoreError};

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The bed's Location identifier, `system|value`.
    pub bed: String,
    pub patient_present: bool,
    /// Resources stored, per FHIR resource type.
    pub counts: BTreeMap<String, u64>,
    /// Outbox items delivered by this run (0 for `status`).
    pub outbox_delivered: u64,
    /// Outbox items delivered since the store was made.
    pub outbox_delivered_total: u64,
    /// Outbox items waiting for the backend.
    pub outbox_pending: u64,
    /// Outbox items the backend refused; kept until IT looks at them.
    pub outbox_rejected: u64,
    /// The previous occupant's data was erased by this run.
    pub purged: bool,
    /// When the store last matched the backend (RFC 3339), if ever.
    pub fresh_at: Option<String>,
    /// Requests this run made (absent for `status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// The database was unreadable at start and was rebuilt.
    pub store_rebuilt: bool,
    /// Why the run did not complete (absent when it did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Summary {
    pub fn of(
        config: &Config,
        store: &Store,
        report: Option<&PassReport>,
        store_rebuilt: bool,
    ) -> Result<Summary, StoreError> {
        let outbox = store.outbox_counts()?;
        Ok(Summary {
            bed: config.bed.location.to_string(),
            patient_present: store.admission()?.is_some(),
            counts: store.counts()?,
            outbox_delivered: report.map_or(0, |r| r.delivered),
            outbox_delivered_total: outbox.delivered_total,
            outbox_pending: outbox.pending,
            outbox_rejected: outbox.rejected,
            purged: report.is_some_and(|r| r.purged),
            fresh_at: store
                .fresh_at()?
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .map(|t| t.to_string()),
            requests: report.map(|r| r.requests),
            store_rebuilt,
            error: None,
        })
    }

    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a summary always serialises")
    }
}
