//! Support code shared by the workspace's integration tests, benchmarks and `xtask`.
//!
//! It lives in a crate of its own so that every user links one copy instead of including source
//! files across crates; it is never published (packages strip path-only dev-dependencies).

#![deny(missing_docs)]

#[cfg(feature = "corpus")]
pub mod corpus;
pub mod pyenv;
pub mod timing;
