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

/// How long each of two tiers takes to validate `texts` when each event is validated right
/// after it is parsed, as `lint`, `validate` and the reference server do, so it is in the cache:
/// timed around `validate_value` alone, the best of `rounds` passes, the tiers taking turns at
/// going first. A loop over values parsed long before waits on memory more, the facets tier
/// (which reads every facet's fields and URIs) more than the core tier.
#[cfg(feature = "corpus")]
pub fn validated_after_parsing(
    texts: &[String],
    tiers: [openlineage_types::Tier; 2],
    rounds: usize,
) -> [Duration; 2] {
    let v = openlineage_types::Validator::global();
    let mut best_pass = [Duration::MAX; 2];
    for round in 0..rounds.max(1) {
        let mut pass = [Duration::ZERO; 2];
        for (i, text) in texts.iter().enumerate() {
            let event: serde_json::Value =
                serde_json::from_str(text).expect("an event the corpus wrote");
            let order = if (round + i) % 2 == 0 { [0, 1] } else { [1, 0] };
            for which in order {
                let t = Instant::now();
                std::hint::black_box(v.validate_value(&event, tiers[which]));
                pass[which] += t.elapsed();
            }
        }
        for (b, p) in best_pass.iter_mut().zip(pass) {
            *b = (*b).min(p);
        }
    }
    best_pass
}
