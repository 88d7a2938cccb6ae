//! Property tests of the schema-driven generators: what they make is valid at every tier and
//! survives the typed model unchanged, with every known facet typed.

use crate::common;

use openlineage_types::arb::{seeded_runner, GenConfig, ValueGen};
use openlineage_types::{
    DatasetFacets, Event, EventKind, FacetKind, JobFacets, RunFacets, SchemaDatasetFacet, Tier,
    Validator, FACETS,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Known facets that fell back to raw JSON anywhere in the event.
fn untyped(event: &Event) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut run =
        |f: Option<&RunFacets>| out.extend(f.map(RunFacets::untyped_keys).unwrap_or_default());
    match event {
        Event::Run(e) => run(e.run.facets.as_deref()),
        Event::Dataset(_) | Event::Job(_) => run(None),
    }
    let job = match event {
        Event::Run(e) => e.job.facets.as_deref(),
        Event::Job(e) => e.job.facets.as_deref(),
        Event::Dataset(_) => None,
    };
    out.extend(job.map(JobFacets::untyped_keys).unwrap_or_default());
    let dataset = match event {
        Event::Dataset(e) => e.dataset.facets.as_deref(),
        _ => None,
    };
    out.extend(dataset.map(DatasetFacets::untyped_keys).unwrap_or_default());
    let (inputs, outputs) = match event {
        Event::Run(e) => (e.inputs.as_deref(), e.outputs.as_deref()),
        Event::Job(e) => (e.inputs.as_deref(), e.outputs.as_deref()),
        Event::Dataset(_) => (None, None),
    };
    for i in inputs.unwrap_or_default() {
        out.extend(
            i.facets
                .as_deref()
                .map(DatasetFacets::untyped_keys)
                .unwrap_or_default(),
        );
        out.extend(
            i.input_facets
                .as_ref()
                .map(|f| f.untyped_keys())
                .unwrap_or_default(),
        );
    }
    for o in outputs.unwrap_or_default() {
        out.extend(
            o.facets
                .as_deref()
                .map(DatasetFacets::untyped_keys)
                .unwrap_or_default(),
        );
        out.extend(
            o.output_facets
                .as_ref()
                .map(|f| f.untyped_keys())
                .unwrap_or_default(),
        );
    }
    out
}

fn is_deletion_marker_key(event: &Value, key: &str) -> bool {
    // `_deleted` markers carry no facet fields, so they cannot be typed; that is expected.
    event.to_string().contains(&format!("\"{key}\":{{")) && event.to_string().contains("_deleted")
}

fn check_valid_and_lossless(gen: &ValueGen, cases: u32) {
    let strategy = gen.any_event_value().expect("strategy");
    runner(cases)
        .run(&strategy, |value| {
            let errors = Validator::global().validate_value(&value, Tier::Facets);
            prop_assert!(errors.is_empty(), "{value}\n{errors:#?}");
            let event =
                Event::from_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(event.to_value(), value.clone());
            for key in untyped(&event) {
                prop_assert!(
                    is_deletion_marker_key(&value, key),
                    "{key} not typed in {value}"
                );
            }
            Ok(())
        })
        .expect("property holds");
}

#[test]
fn medium_events_are_valid_and_lossless() {
    check_valid_and_lossless(&ValueGen::new(GenConfig::MEDIUM).expect("gen"), 300);
}

#[test]
fn small_and_large_events_are_valid_and_lossless() {
    check_valid_and_lossless(&ValueGen::new(GenConfig::SMALL).expect("gen"), 100);
    check_valid_and_lossless(&ValueGen::new(GenConfig::LARGE).expect("gen"), 15);
}

#[test]
fn every_kind_is_generated_with_its_shape() {
    let gen = ValueGen::new(GenConfig::MEDIUM).expect("gen");
    for kind in [EventKind::Run, EventKind::Dataset, EventKind::Job] {
        let strategy = gen.event_value(kind).expect("strategy");
        runner(30)
            .run(&strategy, |value| {
                let event = Event::from_value(&value).expect("parses");
                prop_assert_eq!(event.kind(), kind);
                Ok(())
            })
            .expect("property holds");
    }
}

#[test]
fn every_facet_definition_has_a_valid_typed_strategy() {
    let gen = ValueGen::new(GenConfig::MEDIUM).expect("gen");
    for kind in FacetKind::ALL {
        let strategy = gen.facets(kind).expect("facets strategy");
        runner(40)
            .run(&strategy, |map| {
                let event = common::event_with(kind, &map);
                let errors = Validator::global().validate_value(&event, Tier::Facets);
                prop_assert!(errors.is_empty(), "{event}\n{errors:#?}");
                Ok(())
            })
            .expect("property holds");
    }
    // And each facet on its own: valid, and typed in its container.
    for info in FACETS {
        let strategy = gen.facet(info).expect("facet strategy");
        runner(10)
            .run(&strategy, |payload| {
                let map = serde_json::json!({ info.key: payload });
                let (unknown, untyped) = fit(info.kind, &map);
                prop_assert_eq!(unknown, 0);
                prop_assert!(untyped.is_empty(), "{} not typed: {}", info.key, map);
                Ok(())
            })
            .expect("property holds");
    }
    let typed = gen
        .typed::<SchemaDatasetFacet>("SchemaDatasetFacet")
        .expect("typed strategy");
    runner(20).run(&typed, |_| Ok(())).expect("fits its type");
}

/// Parses a facet map into its container: (custom facets, known facets kept raw).
fn fit(kind: FacetKind, map: &Value) -> (usize, Vec<&'static str>) {
    macro_rules! fit {
        ($ty:ty) => {{
            let c: $ty = serde_json::from_value(map.clone()).expect("container parses");
            (c.other.len(), c.untyped_keys())
        }};
    }
    match kind {
        FacetKind::Run => fit!(RunFacets),
        FacetKind::Job => fit!(JobFacets),
        FacetKind::Dataset => fit!(DatasetFacets),
        FacetKind::InputDataset => fit!(openlineage_types::InputDatasetFacets),
        FacetKind::OutputDataset => fit!(openlineage_types::OutputDatasetFacets),
    }
}

#[test]
fn shrinking_makes_smaller_valid_events() {
    let gen = ValueGen::new(GenConfig::MEDIUM).expect("gen");
    let strategy = gen.event_value(EventKind::Run).expect("strategy");
    // A property that fails on any event with an input: the shrunk counterexample is valid
    // and has exactly one input.
    let result = runner(200).run(&strategy, |value| {
        let has_inputs = value
            .get("inputs")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        prop_assert!(!has_inputs);
        Ok(())
    });
    let Err(proptest::test_runner::TestError::Fail(_, minimal)) = result else {
        panic!("expected a failing, shrunk case");
    };
    assert!(Validator::global()
        .validate_value(&minimal, Tier::Facets)
        .is_empty());
    assert_eq!(
        minimal["inputs"].as_array().map(Vec::len),
        Some(1),
        "{minimal}"
    );
    assert!(minimal["inputs"][0].get("facets").is_none(), "{minimal}");
}

#[test]
fn direct_draws_equal_the_trees_values_for_every_event_kind_and_facet() {
    use openlineage_types::arb::draw::check_draw;
    for (cfg, seeds) in [
        (GenConfig::SMALL, 40),
        (GenConfig::MEDIUM, 40),
        (GenConfig::LARGE, 4),
    ] {
        let gen = ValueGen::new(cfg).expect("gen");
        let mut strategies = vec![("any event".to_string(), gen.any_event_value().expect("s"))];
        for kind in [EventKind::Run, EventKind::Dataset, EventKind::Job] {
            strategies.push((format!("{kind:?}"), gen.event_value(kind).expect("s")));
        }
        for kind in FacetKind::ALL {
            strategies.push((format!("{kind:?} facets"), gen.facets(kind).expect("s")));
        }
        for (name, strategy) in &strategies {
            for seed in 0..seeds {
                check_draw(strategy, seeded_runner(seed))
                    .unwrap_or_else(|e| panic!("{name}, {cfg:?}, seed {seed}: {e}"));
            }
        }
        for info in FACETS {
            let strategy = gen.facet(info).expect("facet strategy");
            for seed in 0..seeds / 4 {
                check_draw(&strategy, seeded_runner(seed))
                    .unwrap_or_else(|e| panic!("{}, {cfg:?}, seed {seed}: {e}", info.key));
            }
        }
    }
}
