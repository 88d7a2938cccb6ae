//! Seeds: one proptest runner per seed, and the per-case seeds the runner derives from the run
//! seed, so every case can be made again on its own, on any thread.

/// A proptest runner whose random choices follow `seed` only.
pub use openlineage_types::arb::seeded_runner;

/// Mixes the run seed with a family name and a case number. Each case can then be made again on
/// its own (to shrink it) and on any thread, and selecting checks does not change other cases.
pub fn case_seed(seed: u64, family: &str, case: usize) -> u64 {
    // FNV-1a over the name, then the splitmix64 finaliser to spread the bits.
    let name = family.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    mix(seed ^ name.rotate_left(17) ^ (case as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The splitmix64 finaliser.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_seeds_differ_by_family_case_and_run_seed() {
        let seeds = [
            case_seed(1, "valid batches", 0),
            case_seed(1, "valid batches", 1),
            case_seed(1, "mixed batches", 0),
            case_seed(2, "valid batches", 0),
        ];
        let distinct: std::collections::BTreeSet<u64> = seeds.into_iter().collect();
        assert_eq!(distinct.len(), seeds.len());
        assert_eq!(case_seed(1, "valid batches", 0), seeds[0]);
    }
}
