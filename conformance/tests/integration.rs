//! The conformance crate's integration tests, in one test binary: each file is a module, linked once.

mod cli;
mod collector_example;
mod curl;
mod differential;
mod html_browser;
mod mutations;
mod producer_cli;
mod producer_streams;
mod producers;
mod readback;
mod readme;
mod readme_ci;
mod spec_diff_cli;
mod zoo;
