//! Every mutation in the catalogue is invalid in exactly the tier it names, and the validator
//! points at (or right above) the mutated location.

use openlineage_conformance::cli::seeded_runner;
use openlineage_conformance::mutate::{catalogue, Body, Breaks};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{Event, Tier as VTier, Validator};
use proptest::strategy::{Strategy, ValueTree};

/// Pointers are related when one is the other or an ancestor of it (`required` is reported on
/// the object that lacks the field, `type` on the value itself).
fn related(a: &str, b: &str) -> bool {
    let ancestor = |x: &str, y: &str| y == x || y.starts_with(&format!("{x}/"));
    ancestor(a, b) || ancestor(b, a)
}

#[test]
fn every_mutation_breaks_its_tier_and_only_that() {
    let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
    let validator = Validator::global();
    let mutations = catalogue(&gen);
    assert!(
        mutations.len() > 80,
        "catalogue has {} mutations",
        mutations.len()
    );
    let mut runner = seeded_runner(7);
    for m in &mutations {
        let strategy = m.strategy(&gen).expect("strategy");
        for _ in 0..12 {
            let mutated = strategy.new_tree(&mut runner).expect("tree").current();
            let bytes = mutated.body.to_bytes();
            if m.breaks == Breaks::Malformed {
                assert!(
                    Event::from_slice(&bytes).is_err(),
                    "{}: typed parse accepted it",
                    m.id
                );
                continue;
            }
            let Body::Json(value) = &mutated.body else {
                panic!("{}: a schema-tier mutation must be JSON", m.id)
            };
            let at = |tier| validator.validate_value(value, tier);
            let (must_pass, must_fail) = match m.breaks {
                Breaks::Core => (None, VTier::Core),
                Breaks::Formats => (Some(VTier::Core), VTier::Formats),
                Breaks::Facets => (Some(VTier::Formats), VTier::Facets),
                Breaks::Malformed => unreachable!(),
            };
            if let Some(tier) = must_pass {
                let errors = at(tier);
                assert!(
                    errors.is_empty(),
                    "{}: already fails {tier}: {errors:#?}\n{value}",
                    m.id
                );
            }
            let errors = at(must_fail);
            assert!(
                !errors.is_empty(),
                "{}: still valid at {must_fail}:\n{value}",
                m.id
            );
            let pointer = mutated.pointer.as_deref().unwrap_or("");
            assert!(
                errors.iter().any(|e| related(&e.pointer, pointer)),
                "{}: no error near {pointer}: {errors:#?}\n{value}",
                m.id
            );
            // The typed model must not accept what the core schema rejects outside facets
            // (a malformed facet is kept raw on purpose).
            if m.breaks == Breaks::Core && !pointer.contains("acets") {
                assert!(
                    Event::from_slice(&bytes).is_err(),
                    "{}: typed parse accepted it:\n{value}",
                    m.id
                );
            }
        }
    }
}

#[test]
fn ids_are_unique_and_described() {
    let gen = ValueGen::new(GenConfig::SMALL).expect("generator");
    let mutations = catalogue(&gen);
    let mut ids: Vec<&str> = mutations.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "duplicate mutation ids");
    for m in &mutations {
        assert!(
            !m.description.is_empty() && !m.clause.is_empty(),
            "{}",
            m.id
        );
        assert!(m.id.split('.').all(|p| !p.is_empty()), "{}", m.id);
    }
}
