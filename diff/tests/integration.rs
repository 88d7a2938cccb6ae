//! The spec diff's integration tests, in one test binary: each file is a module, linked once.

mod real_pairs;
mod rules;
