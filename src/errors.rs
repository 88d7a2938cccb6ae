//! The error type of the types crate.

use crate::{Rejection, Tier, Violation};

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
    #[error("invalid {kind}: {}: {message}", if pointer.is_empty() { "/" } else { pointer })]
    Event {
        /// The event kind the shape selected.
        kind: &'static str,
        /// JSON pointer of the value that does not fit, e.g. `/inputs/3/namespace` for a
        /// missing field (empty for the event itself).
        pointer: String,
        /// Why it does not fit.
        message: String,
    },
    /// The event parsed but breaks the spec: every violation found at the tier asked for.
    #[error("{}", join(.0))]
    Invalid(Vec<Violation>),
    /// A string is not one of an enum's values.
    #[error("unknown value {0:?}")]
    UnknownValue(String),
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
    /// An integer field's value does not fit the machine integer asked for
    /// ([`crate::Integer::as_u64`], [`crate::Integer::as_i64`]).
    #[error("{value} does not fit in {target}")]
    NumberOutOfRange {
        /// The number as written.
        value: String,
        /// The machine type asked for, e.g. `u64`.
        target: &'static str,
    },
    /// A number where an integer is required has a fractional part.
    #[error("{0} is not an integer")]
    NotAnInteger(String),
    /// A run id is not a UUID.
    #[error("runId {value:?} is not a UUID: {reason}")]
    RunId {
        /// The text as received.
        value: String,
        /// What the parser said.
        reason: String,
    },
}

fn join(violations: &[Violation]) -> String {
    let all: Vec<String> = violations.iter().map(ToString::to_string).collect();
    all.join("; ")
}

impl Error {
    /// Every violation this error stands for, each with its JSON pointer: the schema violations
    /// of [`Error::Invalid`], or the one place a parse failed.
    pub fn violations(&self) -> Vec<Violation> {
        let (pointer, keyword, message) = match self {
            Error::Invalid(violations) => return violations.clone(),
            Error::Event {
                pointer, message, ..
            } => (pointer.clone(), "parse", message.clone()),
            Error::Shape(message) => (String::new(), "oneOf", message.clone()),
            other => (String::new(), "parse", other.to_string()),
        };
        vec![Violation {
            tier: Tier::Core,
            pointer,
            keyword: keyword.into(),
            schema_path: String::new(),
            message,
        }]
    }

    /// The answer body for a refused event: the message and [`Error::violations`].
    pub fn rejection(&self) -> Rejection {
        Rejection {
            error: self.to_string(),
            violations: self.violations(),
        }
    }
}
