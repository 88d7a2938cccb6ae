//! The composite transport: each event goes to several transports, with the Python client's
//! `continue_on_failure` and `continue_on_success` rules.

use super::{BoxFuture, Encoded, Transport};
use crate::Error;

/// How a composite treats its transports' outcomes (the Python client's keys and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompositeConfig {
    /// Go on to the next transport after one fails (default true).
    pub continue_on_failure: bool,
    /// Go on to the next transport after one succeeds (default true: every transport gets it).
    pub continue_on_success: bool,
}

impl Default for CompositeConfig {
    fn default() -> Self {
        CompositeConfig {
            continue_on_failure: true,
            continue_on_success: true,
        }
    }
}

/// Sends each event to its transports in order. The event is delivered when at least one
/// transport took it (and none failed, with `continue_on_failure: false`).
#[derive(Debug)]
pub struct CompositeTransport {
    config: CompositeConfig,
    transports: Vec<(String, Box<dyn Transport>)>,
}

impl CompositeTransport {
    /// A composite of named transports, tried in the order given.
    pub fn new(config: CompositeConfig, transports: Vec<(String, Box<dyn Transport>)>) -> Self {
        CompositeTransport { config, transports }
    }
}

impl Transport for CompositeTransport {
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut successes = 0;
            let mut failures = Vec::new();
            for (name, transport) in &self.transports {
                match transport.send(event).await {
                    Ok(()) => {
                        successes += 1;
                        if !self.config.continue_on_success {
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        let failure = format!("{name}: {e}");
                        if !self.config.continue_on_failure {
                            return Err(Error::Composite(failure));
                        }
                        failures.push(failure);
                    }
                }
            }
            if successes == 0 {
                return Err(Error::Composite(if failures.is_empty() {
                    "the composite has no transports".into()
                } else {
                    failures.join("; ")
                }));
            }
            Ok(())
        })
    }
}
