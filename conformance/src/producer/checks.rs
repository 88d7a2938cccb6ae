//! The producer checks live in the one check registry ([`crate::checks::ProducerCheck`]);
//! this module keeps their names where the producer code looks for them.

pub use crate::checks::{ProducerCheck, PRODUCER_CHECKS};

/// The producer check with `id`.
pub fn find(id: &str) -> Option<&'static crate::checks::Check> {
    PRODUCER_CHECKS.iter().find(|c| c.id == id)
}

/// The README table of producer checks, generated from [`PRODUCER_CHECKS`].
pub fn markdown_table() -> String {
    crate::checks::producer_markdown_table()
}
