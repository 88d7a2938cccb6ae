//! Checks a build against the snapshot it was built from:
//! `spec_selfcheck SPEC_DIR COUNT [KEY [BROKEN]]`.
//!
//! Every example facet map under `SPEC_DIR/tests/` is wrapped in an event where its keys and
//! `_schemaURL` definitions put it; each must be valid at every tier and survive a round trip
//! typed. Then `COUNT` generated events must be valid at every tier and lossless, and with `KEY`
//! some of them must carry that facet in every container the registry gives it. `BROKEN` is a
//! JSON-lines file of `{"kind", "tier", "facets"}`: each facet map, wrapped in an event, must be
//! valid below `tier` and invalid from it on. The valid events it
//! checked go to stdout as JSON lines for a second validator (Python's jsonschema). `cargo xtask`
//! builds this against a synthetic snapshot (`codegen/tests/fixtures/synthetic/`) in a test.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::Path;

use openlineage_testkit::corpus::kinds_for;
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{
    DatasetFacets, Event, EventKind, FacetKind, InputDatasetFacets, JobFacets, OutputDatasetFacets,
    RunFacets, Tier, FACETS,
};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, count, rest @ ..] = args.as_slice() else {
        return Err("usage: spec_selfcheck SPEC_DIR COUNT [KEY]".into());
    };
    let count: usize = count.parse()?;
    let key = rest.first();
    if let Some(broken) = rest.get(1) {
        check_broken(Path::new(broken))?;
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    let examples = examples(Path::new(dir))?;
    for (file, map) in &examples {
        let kinds = kinds_for(map);
        if kinds.is_empty() {
            return Err(format!("{file}: no container takes its facets").into());
        }
        // A facet offered in several containers (the input and output subsets) must be typed
        // and valid in one of them.
        let mut typed_somewhere = false;
        for kind in kinds {
            if typed_in(kind, map)? {
                typed_somewhere = true;
                let event = event_with(kind, map);
                check(&event, &format!("{file} in {kind:?}"))?;
                writeln!(out, "{event}")?;
            }
        }
        if !typed_somewhere {
            return Err(format!("{file}: typed in no container").into());
        }
    }
    // Deeper than MEDIUM, so facets get their optional fields too (MEDIUM stops at the facet).
    let cfg = GenConfig {
        max_depth: 6,
        ..GenConfig::MEDIUM
    };
    let events = ValueGen::new(cfg)?.any_event_value()?;
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::XorShift, &[7; 16]),
    );
    let mut seen: BTreeSet<FacetKind> = BTreeSet::new();
    for n in 0..count {
        let event = events
            .new_tree(&mut runner)
            .map_err(|e| format!("cannot generate an event: {e}"))?
            .current();
        check(&event, &format!("generated event {n}"))?;
        if let Some(key) = key {
            for kind in FacetKind::ALL {
                if kind
                    .maps_in(&event)
                    .iter()
                    .any(|(_, m)| m.get(key).is_some())
                {
                    seen.insert(kind);
                }
            }
        }
        writeln!(out, "{event}")?;
    }
    if let Some(key) = key {
        let expected: BTreeSet<FacetKind> = FACETS
            .iter()
            .filter(|f| f.key == key)
            .map(|f| f.kind)
            .collect();
        if expected.is_empty() || seen != expected {
            return Err(format!("`{key}` is in {expected:?}, generated in {seen:?}").into());
        }
        let types: Vec<String> = FACETS
            .iter()
            .filter(|f| f.key == key)
            .map(|f| format!("{:?}: {}", f.kind, f.rust_type))
            .collect();
        eprintln!(
            "`{key}` is typed in FACETS ({}) and generated in each",
            types.join(", ")
        );
    }
    out.flush()?;
    eprintln!(
        "{} examples and {count} generated events valid at every tier and lossless (spec {})",
        examples.len(),
        openlineage_types::SPEC_TAG
    );
    Ok(())
}

/// Each broken facet map is valid below its tier and invalid from it on.
fn check_broken(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let case: Value = serde_json::from_str(line)?;
        let what = format!("{}:{}", path.display(), n + 1);
        let kind = FacetKind::ALL
            .into_iter()
            .find(|k| case["kind"] == k.variant())
            .ok_or_else(|| format!("{what}: unknown kind {}", case["kind"]))?;
        let tier = Tier::ALL
            .into_iter()
            .find(|t| case["tier"] == t.name())
            .ok_or_else(|| format!("{what}: unknown tier {}", case["tier"]))?;
        let event = event_with(kind, &case["facets"]);
        let parsed = Event::from_value(&event).map_err(|e| format!("{what}: {e}"))?;
        for t in Tier::ALL {
            let valid = parsed.validate(t).is_empty();
            if valid != (t < tier) {
                return Err(format!("{what}: valid {valid} at {t}, broken at {tier}").into());
            }
        }
        if parsed.to_value() != event {
            return Err(format!("{what}: the round trip changed it").into());
        }
    }
    Ok(())
}

/// Valid at every tier, and the same JSON after parsing and writing.
fn check(event: &Value, what: &str) -> Result<()> {
    for tier in Tier::ALL {
        let parsed = Event::from_value(event).map_err(|e| format!("{what}: {e}"))?;
        let violations = parsed.validate(tier);
        if !violations.is_empty() {
            return Err(format!("{what}: invalid at {tier}: {violations:?}").into());
        }
        if &parsed.to_value() != event {
            return Err(format!("{what}: the round trip changed it").into());
        }
    }
    Ok(())
}

fn examples(dir: &Path) -> Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for rel in openlineage_codegen::spec::example_files(dir)? {
        if !rel.contains("Facet/") {
            continue;
        }
        let value = openlineage_codegen::spec::read_json(&dir.join(&rel))?;
        out.push((rel, value));
    }
    Ok(out)
}

/// Whether every facet of `map` parses typed in the container of `kind`.
fn typed_in(kind: FacetKind, map: &Value) -> Result<bool> {
    macro_rules! fit {
        ($ty:ty) => {{
            let c: $ty = serde_json::from_value(map.clone())?;
            c.other.is_empty() && c.untyped_keys().is_empty()
        }};
    }
    Ok(match kind {
        FacetKind::Run => fit!(RunFacets),
        FacetKind::Job => fit!(JobFacets),
        FacetKind::Dataset => fit!(DatasetFacets),
        FacetKind::InputDataset => fit!(InputDatasetFacets),
        FacetKind::OutputDataset => fit!(OutputDatasetFacets),
    })
}

/// A RunEvent with one input and one output, and `map` where facets of `kind` live.
fn event_with(kind: FacetKind, map: &Value) -> Value {
    let mut event = json!({
        "eventTime": "2024-01-01T00:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001"},
        "job": {"namespace": "ns", "name": "job"},
        "inputs": [{"namespace": "ns", "name": "in"}],
        "outputs": [{"namespace": "ns", "name": "out"}]
    });
    let site = kind.sites(EventKind::Run)[0].replace('*', "0");
    if let Some((parent, key)) = site.rsplit_once('/') {
        if let Some(holder) = event.pointer_mut(parent).and_then(Value::as_object_mut) {
            holder.insert(key.to_string(), map.clone());
        }
    }
    event
}
