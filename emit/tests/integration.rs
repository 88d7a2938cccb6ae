//! The client's integration tests, in one test binary: each file is a module, linked once.

mod batch;
mod config;
mod reliability;
