//! Conformance suite for OpenLineage servers and producers.
//!
//! Generates valid events (from the spec's schemas) and invalid ones (each labelled with the
//! rule it breaks), validates files of events, runs a strict reference server, and replays
//! cases against any server to report, per stable case id, where it departs from the spec.
//! For producers, [`producer`] checks what one sends, event by event and as a stream.
#![deny(missing_docs)]

mod cases;
pub mod checks;
pub mod cli;
pub mod expectations;
pub mod families;
pub mod html;
pub mod judge;
pub mod mutate;
pub mod options;
pub mod producer;
pub mod readback;
pub mod record;
pub mod report;
pub mod runner;
pub mod seed;
pub mod server;
pub mod spec;
pub mod spelling;
pub mod transport;
pub mod wire;

/// Everything that can go wrong in the conformance library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asked for something impossible.
    #[error("{0}")]
    Usage(String),
    /// An input file (events, saved requests, expectations) is malformed; the message names it.
    #[error("{0}")]
    Input(String),
    /// A generator could not produce a case (a strategy rejected too many values).
    #[error("{0}")]
    Generate(String),
    /// The types crate failed (schemas, generators).
    #[error("{0}")]
    Types(#[from] openlineage_types::Error),
    /// A spec snapshot could not be read or resolved.
    #[error("{0}")]
    SpecDiff(#[from] openlineage_spec_diff::Error),
    /// The target does not answer at all.
    #[error("cannot reach the target {0}")]
    Unreachable(String),
    /// A bug in the runner itself; please report it.
    #[error("internal error (please report it): {0}")]
    Internal(String),
    /// Reading or writing failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// An I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
