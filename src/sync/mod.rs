//! Sync with the hospital's FHIR R4 backend: bed → encounter → patient → chart, into the
//! encrypted store, and the outbox back out.
//!
//! Threads: sync runs on its own thread with blocking HTTP (ureq). It never touches the UI; it
//! tells the UI what changed through a callback that posts to the Slint event loop. One thread
//! doing one pass at a time keeps the state machine simple and the idle box at zero CPU; an
//! async runtime would buy nothing for a client that makes one request at a time.

pub mod auth;
pub mod client;
pub mod engine;
pub mod plan;
pub mod service;
pub mod status;
pub mod summary;

use std::time::Duration;

use crate::store::db::StoreError;
use crate::store::key::KeyError;

/// Why a sync pass did not complete. Every variant is safe to log: none carries patient data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The configuration cannot work (unreadable CA or key file, ...).
    #[error("configuration: {0}")]
    Config(String),
    /// The database key file is missing or weak.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The local store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// No connection to the backend (DNS, refused, reset).
    #[error("backend unreachable: {0}")]
    Unreachable(String),
    /// The backend took longer than `timeout_seconds` (a slow or slow-dripping answer).
    #[error("backend timed out on {0}")]
    Timeout(String),
    /// The TLS handshake failed: unknown CA, wrong host name, expired certificate.
    #[error("TLS: {0}")]
    Tls(String),
    /// Signing in (SMART Backend Services) failed.
    #[error("sign-in: {0}")]
    Auth(String),
    /// The backend answered with an error status.
    #[error("backend answered HTTP {status} for {what}")]
    Status { what: String, status: u16 },
    /// The backend asked the box to slow down (429/503 with Retry-After).
    #[error("backend is busy ({what}); retrying after {}s", retry_after.as_secs())]
    RateLimited { what: String, retry_after: Duration },
    /// The backend tried to send the box elsewhere; redirects are never followed.
    #[error("backend answered with a redirect (HTTP {status}) to {host}; not followed")]
    Redirect { status: u16, host: String },
    /// An answer grew past the size limit and was cut off.
    #[error("the answer for {what} is larger than {limit} bytes; refused")]
    TooLarge { what: String, limit: u64 },
    /// The answer is not the FHIR it should be (bad JSON, wrong resourceType, missing fields).
    #[error("malformed FHIR: {0}")]
    Malformed(String),
    /// The answer contradicts itself or the question (a link to another server, a resource
    /// that is not what was asked for).
    #[error("backend answer not believed: {0}")]
    Lying(String),
    /// Anything else the HTTP layer reported.
    #[error("HTTP: {0}")]
    Protocol(String),
    /// The configured bed does not exist on the backend (or is not unique).
    #[error("bed {0}")]
    Bed(String),
}

impl SyncError {
    /// Worth retrying later as it is (the backend or the network may recover), as opposed to
    /// a refusal that will repeat until something is changed.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable(_)
            | SyncError::Timeout(_)
            | SyncError::RateLimited { .. }
            | SyncError::Protocol(_) => true,
            SyncError::Status { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// How long the backend asked to be left alone, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}
