//! FHIR R4 JSON to domain types. A tolerant reader: unknown fields and extensions are fine, what
//! we need is checked and a missing piece is a named error.

pub mod bundle;
pub mod catalogue;
pub mod learn;
pub mod outbound;
pub mod patient;
pub mod record;

/// Why a FHIR resource could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FhirError {
    /// The text is not JSON of the expected shape.
    #[error("malformed FHIR JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is a different kind of resource than the one asked for.
    #[error("expected a {expected} resource, found `{found}`")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    /// A bundle held no resource of the kind asked for.
    #[error("the bundle holds no {0} resource")]
    Missing(&'static str),
}
