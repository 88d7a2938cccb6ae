//! The error type of the types crate.

/// Everything that can go wrong when parsing an event or reading one of its typed values.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not JSON, or not JSON of the expected type.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The input is not UTF-8.
    #[error("input is not UTF-8: {0}")]
    Utf8(#[from] std::str::Utf8Error),
    /// The JSON is an object, but not shaped like any of the three event kinds.
    #[error("not an OpenLineage event: {0}")]
    Shape(String),
    /// The JSON has the shape of one event kind but does not fit its type.
    #[error("invalid {kind}: {source}")]
    Event {
        /// The event kind the shape selected.
        kind: &'static str,
        /// Why it does not fit.
        source: serde_json::Error,
    },
    /// `eventTime` is not an RFC 3339 date-time with an offset.
    #[error("eventTime {value:?} is not an RFC 3339 date-time: {reason}")]
    EventTime {
        /// The text as received.
        value: String,
        /// What the parser said.
        reason: String,
    },
    /// The embedded spec schemas could not be compiled into a validator.
    #[error("cannot compile the spec schemas: {0}")]
    Schema(String),
    /// A run id is not a UUID.
    #[error("runId {value:?} is not a UUID: {reason}")]
    RunId {
        /// The text as received.
        value: String,
        /// What the parser said.
        reason: String,
    },
}
