//! The types crate's integration tests, in one test binary: each file is a module, linked once.

mod api;
mod common;
mod events;
mod examples;
#[cfg(feature = "proptest")]
mod generators;
mod roundtrip;
mod validate;
