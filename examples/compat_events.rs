//! Writes generated valid events as JSON lines: `compat_events [COUNT] [SEED]`, or `--version`.
//!
//! `cargo xtask spec compat` builds this against an older snapshot. It needs only the types
//! crate, so it builds for snapshots the conformance tool cannot use (no batch endpoint before
//! 1.40.0, hence no batch types).

use std::io::{BufWriter, Write};

use openlineage_types::arb::{GenConfig, ValueGen};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--version") {
        println!(
            "compat_events (OpenLineage spec {})",
            openlineage_types::SPEC_TAG
        );
        return Ok(());
    }
    let count: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let seed: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::XorShift, &bytes),
    );
    let events = ValueGen::new(GenConfig::MEDIUM)?.any_event_value()?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let event = events
            .new_tree(&mut runner)
            .map_err(|e| format!("cannot generate an event: {e}"))?
            .current();
        writeln!(out, "{event}")?;
    }
    out.flush()?;
    Ok(())
}
