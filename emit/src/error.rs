//! The crate's one error type.

use openlineage_types::{Tier, Violation};

/// Everything that can go wrong while configuring a client or delivering an event.
///
/// No variant ever holds an API key or a header value marked secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is wrong: `source` is the file or environment variable it came from,
    /// `key` the dotted key in it (e.g. `transport.url`).
    #[error("{source_name}: {key}: {message}")]
    Config {
        /// The file path, or `environment variable NAME`.
        source_name: String,
        /// The dotted key, e.g. `transport.type`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// An HTTP request failed for good: refused with a status that is not retried, or still
    /// failing after every retry.
    #[error("cannot deliver to {url}: {message}")]
    Http {
        /// The URL posted to.
        url: String,
        /// The last status answered, if the server answered at all.
        status: Option<u16>,
        /// Whether the last failure was of a kind that is retried (connection, timeout, 5xx, 429).
        retriable: bool,
        /// What happened, with the answer's body for a refusal.
        message: String,
    },
    /// Writing an event file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Validation before sending found violations (and the client refuses invalid events).
    #[error("the event is invalid at the {} tier: {}", .tier.name(), summary(.violations))]
    Invalid {
        /// The tier it was checked at.
        tier: Tier,
        /// Every violation, with its JSON pointer.
        violations: Vec<Violation>,
    },
    /// The event could not be serialized.
    #[error("cannot encode the event: {0}")]
    Encode(#[from] serde_json::Error),
    /// A blocking call was made from inside a tokio runtime, where it would block the runtime's
    /// own thread.
    #[error("{0} called inside a tokio runtime: use the async Client there (or spawn_blocking)")]
    InsideRuntime(&'static str),
    /// The non-blocking client's queue is full: the event was dropped (and counted).
    #[error("the queue is full: the event was dropped")]
    QueueFull,
    /// The client was closed before the event was taken.
    #[error("the client is closed")]
    Closed,
    /// No transport of a composite took the event.
    #[error("no transport took the event: {0}")]
    Composite(String),
    /// The background runtime could not start.
    #[error("cannot start the client's runtime: {0}")]
    Runtime(std::io::Error),
}

fn summary(violations: &[Violation]) -> String {
    let first = violations
        .first()
        .map(|v| format!("{}: {}", v.pointer, v.message))
        .unwrap_or_default();
    match violations.len() {
        0 | 1 => first,
        n => format!("{first} (and {} more)", n - 1),
    }
}

impl Error {
    /// Whether sending again might succeed (connection errors, timeouts, 5xx, 429).
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            Error::Http {
                retriable: true,
                ..
            }
        )
    }

    pub(crate) fn config(
        source_name: impl Into<String>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            source_name: source_name.into(),
            key: key.into(),
            message: message.into(),
        }
    }
}
