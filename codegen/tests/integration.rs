//! The code generator's integration tests, in one test binary: each file is a module, linked once.

mod old_snapshots;
mod streaming;
mod surface;
mod synthetic;
