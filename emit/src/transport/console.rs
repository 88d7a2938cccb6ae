//! The console transport: one JSON line per event on stdout, or a log line on stderr.

use std::io::Write;

use super::{BoxFuture, Encoded, Transport};
use crate::Error;

/// Where the console transport writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConsoleStream {
    /// The bare JSON line on stdout (pipe it into `ol-conformance lint -`).
    #[default]
    Stdout,
    /// A log line on stderr: `openlineage event: {json}`.
    Log,
}

/// The console transport's settings (`type: console`, optional `stream: stdout | log`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// Where events go.
    pub stream: ConsoleStream,
}

/// Writes each event as one line.
#[derive(Debug, Clone, Default)]
pub struct ConsoleTransport {
    config: ConsoleConfig,
}

impl ConsoleTransport {
    /// A console transport.
    pub fn new(config: ConsoleConfig) -> Self {
        ConsoleTransport { config }
    }
}

impl Transport for ConsoleTransport {
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        let written = match self.config.stream {
            ConsoleStream::Stdout => writeln!(std::io::stdout().lock(), "{}", event.as_str())
                .map_err(|source| Error::Io {
                    path: "stdout".into(),
                    source,
                }),
            ConsoleStream::Log => writeln!(
                std::io::stderr().lock(),
                "openlineage event: {}",
                event.as_str()
            )
            .map_err(|source| Error::Io {
                path: "stderr".into(),
                source,
            }),
        };
        Box::pin(async move { written })
    }
}
