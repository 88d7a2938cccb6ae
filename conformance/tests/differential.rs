//! Differential test: the project's validator and Python's `jsonschema` (an independent
//! implementation, in a venv under `target/` built from `conformance/tests/requirements.txt` on
//! first use) agree, tier by tier, on thousands of generated valid and invalid events and on the
//! spec examples.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use openlineage_codegen::spec::Pin;
use openlineage_conformance::cli::seeded_runner;
use openlineage_conformance::mutate::{catalogue, Body, Breaks};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{Tier, Validator};
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{json, Value};

use openlineage_testkit::{corpus, pyenv};

fn spec_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Pin::read(&root).expect("pin").resolve_dir(&root)
}

fn events() -> Vec<Value> {
    let mut out: Vec<Value> = corpus::events(&spec_dir(), 60)
        .expect("corpus")
        .iter()
        .map(|t| serde_json::from_str(t).expect("json"))
        .collect();
    let mut runner = seeded_runner(2024);
    for cfg in [GenConfig::SMALL, GenConfig::MEDIUM] {
        let gen = ValueGen::new(cfg).expect("generator");
        let valid = gen.any_event_value().expect("strategy");
        for _ in 0..1000 {
            out.push(valid.new_tree(&mut runner).expect("tree").current());
        }
        let mutations: Vec<_> = catalogue(&gen)
            .into_iter()
            .filter(|m| m.breaks != Breaks::Malformed)
            .collect();
        for _ in 0..10 {
            for m in &mutations {
                let s = m.strategy(&gen).expect("strategy");
                if let Body::Json(v) = s.new_tree(&mut runner).expect("tree").current().body {
                    out.push(v);
                }
            }
        }
    }
    out
}

#[test]
fn python_jsonschema_agrees_tier_by_tier() {
    let events = events();
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let python = match pyenv::ensure(&tests.join("requirements.txt")) {
        Ok(env) => env.python,
        Err(e) => panic!("{e}"),
    };
    let mut child = Command::new(&python)
        .arg(tests.join("differential.py"))
        .arg(spec_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = events
        .iter()
        .enumerate()
        .map(|(id, e)| format!("{}\n", json!({"id": id, "event": e})))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python finishes");
    // Python's own error first: when it crashes, writing its stdin fails with a broken pipe,
    // which says nothing about why.
    assert!(
        output.status.success(),
        "python validator failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    writer.join().expect("writer").expect("stdin written");
    let verdicts: Vec<Value> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("verdict json"))
        .collect();
    assert_eq!(verdicts.len(), events.len());
    let validator = Validator::global();
    let mut mismatches = Vec::new();
    let mut invalid_at = [0usize; 3];
    for (verdict, event) in verdicts.iter().zip(&events) {
        for (i, tier) in Tier::ALL.into_iter().enumerate() {
            let ours = validator.validate_value(event, tier).is_empty();
            let theirs = verdict[tier.name()].as_bool().expect("bool");
            invalid_at[i] += usize::from(!ours);
            if ours != theirs {
                mismatches.push(format!("{tier}: rust {ours}, python {theirs}: {event}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} disagreements:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The sample must exercise both verdicts at every tier.
    assert!(events.len() > 3000, "{} events", events.len());
    for (tier, n) in Tier::ALL.iter().zip(invalid_at) {
        assert!(
            n > 100 && n < events.len() - 1000,
            "{tier}: {n} invalid of {}",
            events.len()
        );
    }
}
