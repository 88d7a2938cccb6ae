//! The one timing helper of the benchmarks (the types crate's and the conformance suite's).

use std::time::{Duration, Instant};

/// The fastest of `rounds` runs of `f`; at least one run, so there is always a time.
pub fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}
