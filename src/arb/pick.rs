//! Choice strategies (one of several, maybe nothing, a few of many) that build only the chosen
//! values.
//!
//! proptest's unions keep a lazily built tree for every alternative before the chosen one, and
//! each lazy tree holds its own clone of the test runner (configuration and a forked RNG).
//! Event strategies make such choices for every optional field, string and number, so those
//! clones were a large part of generation time. These strategies shrink within the chosen
//! alternative only, and an optional value shrinks to absent first, as proptest's own does.

use std::fmt;
use std::sync::Arc;

use proptest::prelude::RngExt;
use proptest::strategy::{BoxedStrategy, NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// One of several strategies, picked by weight.
pub struct OneOf<T> {
    options: Arc<[(u32, BoxedStrategy<T>)]>,
    total: u32,
}

impl<T> Clone for OneOf<T> {
    fn clone(&self) -> Self {
        OneOf {
            options: self.options.clone(),
            total: self.total,
        }
    }
}

impl<T> fmt::Debug for OneOf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OneOf({} options)", self.options.len())
    }
}

/// Picks one of `options` with probability proportional to its weight. Alternatives with
/// weight 0 are never picked; with no positive weight, generation fails with an error.
pub fn weighted<T: fmt::Debug + 'static>(options: Vec<(u32, BoxedStrategy<T>)>) -> OneOf<T> {
    let total = options.iter().map(|(w, _)| *w).sum();
    OneOf {
        options: options.into(),
        total,
    }
}

/// Picks one of `options`, each as likely.
pub fn one_of<T: fmt::Debug + 'static>(options: Vec<BoxedStrategy<T>>) -> OneOf<T> {
    weighted(options.into_iter().map(|s| (1, s)).collect())
}

impl<T: fmt::Debug + 'static> Strategy for OneOf<T> {
    type Tree = Box<dyn ValueTree<Value = T>>;
    type Value = T;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        if self.total == 0 {
            return Err("no alternative to pick from".into());
        }
        let mut at = runner.rng().random_range(0..self.total);
        for (weight, strategy) in self.options.iter() {
            if at < *weight {
                return strategy.new_tree(runner);
            }
            at -= weight;
        }
        Err("weights changed while picking".into())
    }
}

/// `Some` of `inner` with probability `p`, else `None`.
pub struct Maybe<S> {
    p: f64,
    inner: S,
}

impl<S: Clone> Clone for Maybe<S> {
    fn clone(&self) -> Self {
        Maybe {
            p: self.p,
            inner: self.inner.clone(),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Maybe<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Maybe({}, {:?})", self.p, self.inner)
    }
}

/// `Some` of `inner` half the time.
pub fn maybe<S: Strategy>(inner: S) -> Maybe<S> {
    maybe_weighted(0.5, inner)
}

/// `Some` of `inner` with probability `p`.
pub fn maybe_weighted<S: Strategy>(p: f64, inner: S) -> Maybe<S> {
    Maybe {
        p: p.clamp(0.0, 1.0),
        inner,
    }
}

impl<S: Strategy> Strategy for Maybe<S> {
    type Tree = MaybeTree<S::Tree>;
    type Value = Option<S::Value>;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let inner = if runner.rng().random_bool(self.p) {
            Some(self.inner.new_tree(runner)?)
        } else {
            None
        };
        Ok(MaybeTree {
            inner,
            absent: false,
            tried_absent: false,
        })
    }
}

/// The tree of [`Maybe`]: a present value shrinks to absent first, then within itself.
#[derive(Debug, Clone)]
pub struct MaybeTree<T> {
    inner: Option<T>,
    /// Showing `None` in place of a present value, to see whether it is needed.
    absent: bool,
    tried_absent: bool,
}

impl<T: ValueTree> ValueTree for MaybeTree<T> {
    type Value = Option<T::Value>;

    fn current(&self) -> Option<T::Value> {
        match &self.inner {
            Some(t) if !self.absent => Some(t.current()),
            _ => None,
        }
    }

    fn simplify(&mut self) -> bool {
        let Some(inner) = &mut self.inner else {
            return false;
        };
        if !self.tried_absent {
            self.tried_absent = true;
            self.absent = true;
            return true;
        }
        !self.absent && inner.simplify()
    }

    fn complicate(&mut self) -> bool {
        let Some(inner) = &mut self.inner else {
            return false;
        };
        if self.absent {
            // Absent did not keep the failure: the value is needed, so shrink it instead.
            self.absent = false;
            return true;
        }
        inner.complicate()
    }
}

/// Up to `max` of `options`, in their order, each drawn from its own strategy.
pub struct Subset<T> {
    options: Arc<[BoxedStrategy<T>]>,
    max: usize,
}

impl<T> Clone for Subset<T> {
    fn clone(&self) -> Self {
        Subset {
            options: self.options.clone(),
            max: self.max,
        }
    }
}

impl<T> fmt::Debug for Subset<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subset(up to {} of {})", self.max, self.options.len())
    }
}

/// Between none and `max` of `options` (each at most once, in the order given), each made by
/// its own strategy. Unlike a flat-mapped `subsequence`, the picked values are built directly:
/// no tree of the choice itself and no runner clone per draw.
pub fn subset<T: fmt::Debug + 'static>(options: Vec<BoxedStrategy<T>>, max: usize) -> Subset<T> {
    Subset {
        options: options.into(),
        max,
    }
}

impl<T: fmt::Debug + 'static> Strategy for Subset<T> {
    type Tree = SubsetTree<T>;
    type Value = Vec<T>;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let count = self.options.len();
        let size = runner.rng().random_range(0..=self.max.min(count));
        // A partial Fisher-Yates shuffle picks `size` distinct indices.
        let mut indices: Vec<usize> = (0..count).collect();
        for i in 0..size {
            let j = runner.rng().random_range(i..count);
            indices.swap(i, j);
        }
        indices.truncate(size);
        indices.sort_unstable();
        let elements = indices
            .into_iter()
            .map(|i| self.options[i].new_tree(runner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SubsetTree {
            included: vec![true; elements.len()],
            elements,
            shrink: Shrink::Delete(0),
            last: None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Shrink {
    Delete(usize),
    Element(usize),
}

/// The tree of [`Subset`]: drops picked values one at a time, then shrinks those still needed.
pub struct SubsetTree<T> {
    elements: Vec<Box<dyn ValueTree<Value = T>>>,
    included: Vec<bool>,
    shrink: Shrink,
    last: Option<Shrink>,
}

impl<T> fmt::Debug for SubsetTree<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubsetTree({:?})", self.included)
    }
}

impl<T: fmt::Debug> ValueTree for SubsetTree<T> {
    type Value = Vec<T>;

    fn current(&self) -> Vec<T> {
        self.elements
            .iter()
            .zip(&self.included)
            .filter(|(_, kept)| **kept)
            .map(|(e, _)| e.current())
            .collect()
    }

    fn simplify(&mut self) -> bool {
        loop {
            match self.shrink {
                Shrink::Delete(i) if i < self.elements.len() => {
                    self.shrink = Shrink::Delete(i + 1);
                    self.included[i] = false;
                    self.last = Some(Shrink::Delete(i));
                    return true;
                }
                Shrink::Delete(_) => self.shrink = Shrink::Element(0),
                Shrink::Element(i) if i < self.elements.len() => {
                    if self.included[i] && self.elements[i].simplify() {
                        self.last = Some(Shrink::Element(i));
                        return true;
                    }
                    self.shrink = Shrink::Element(i + 1);
                }
                Shrink::Element(_) => return false,
            }
        }
    }

    fn complicate(&mut self) -> bool {
        match self.last {
            Some(Shrink::Delete(i)) => {
                // Dropping it lost the failure: it is needed.
                self.included[i] = true;
                self.last = None;
                true
            }
            Some(Shrink::Element(i)) => {
                if self.elements[i].complicate() {
                    true
                } else {
                    self.last = None;
                    false
                }
            }
            None => false,
        }
    }
}

/// Shrinks `tree` as proptest's runner does against a test that fails when `fails` says so, and
/// returns the last failing value: the minimal case a run would report.
#[cfg(test)]
pub(crate) fn shrink_against<T: ValueTree>(
    tree: &mut T,
    fails: impl Fn(&T::Value) -> bool,
) -> T::Value {
    let mut last_failure = tree.current();
    let mut more = tree.simplify();
    while more {
        let now = tree.current();
        more = if fails(&now) {
            last_failure = now;
            tree.simplify()
        } else {
            tree.complicate()
        };
    }
    last_failure
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Just;

    #[test]
    fn picks_follow_the_weights_and_zero_is_never_picked() {
        let s = weighted(vec![
            (3, Just(0u8).boxed()),
            (1, Just(1u8).boxed()),
            (0, Just(2u8).boxed()),
        ]);
        let mut runner = TestRunner::deterministic();
        let mut counts = [0usize; 3];
        for _ in 0..4000 {
            let v = s.new_tree(&mut runner).map(|t| t.current()).unwrap_or(2);
            counts[usize::from(v)] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!((2700..3300).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn no_positive_weight_is_an_error_not_a_panic() {
        let s = weighted(vec![(0, Just(0u8).boxed())]);
        assert!(s.new_tree(&mut TestRunner::deterministic()).is_err());
        assert!(one_of::<u8>(vec![])
            .new_tree(&mut TestRunner::deterministic())
            .is_err());
    }

    #[test]
    fn a_present_value_shrinks_to_absent_first_then_within_itself() {
        let mut runner = TestRunner::deterministic();
        let s = maybe_weighted(1.0, 100u32..200);
        let mut tree = s.new_tree(&mut runner).expect("tree");
        assert!(tree.current().is_some());
        assert!(tree.simplify());
        assert_eq!(tree.current(), None);
        // Absent passes, so the value is needed: back to present, then smaller values.
        assert!(tree.complicate());
        let before = tree.current().expect("present");
        assert!(tree.simplify());
        let after = tree.current().expect("still present");
        assert!(after < before || before == 100, "{before} -> {after}");
    }

    #[test]
    fn a_subset_keeps_the_order_stays_within_bounds_and_covers_every_option() {
        let options: Vec<BoxedStrategy<u8>> = (0..6u8).map(|i| Just(i).boxed()).collect();
        let s = subset(options, 3);
        let mut runner = TestRunner::deterministic();
        let mut seen = [false; 6];
        let mut sizes = [0usize; 4];
        for _ in 0..2000 {
            let v = s.new_tree(&mut runner).expect("tree").current();
            assert!(v.len() <= 3, "{v:?}");
            assert!(
                v.windows(2).all(|w| w[0] < w[1]),
                "in order, no repeats: {v:?}"
            );
            v.iter().for_each(|&i| seen[usize::from(i)] = true);
            sizes[v.len()] += 1;
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
        assert!(
            sizes.iter().all(|n| *n > 300),
            "sizes are uniform: {sizes:?}"
        );
        let none = subset::<u8>(vec![], 3).new_tree(&mut runner).expect("tree");
        assert!(none.current().is_empty());
    }

    #[test]
    fn a_subset_drops_what_is_not_needed_then_shrinks_what_is() {
        // Shrink as proptest does against "fails when some value is at least 150".
        let options: Vec<BoxedStrategy<u32>> = (0..4).map(|_| (100u32..200).boxed()).collect();
        let s = subset(options, 4);
        let mut runner = TestRunner::deterministic();
        let fails = |v: &[u32]| v.iter().any(|x| *x >= 150);
        let mut tree = loop {
            let t = s.new_tree(&mut runner).expect("tree");
            if t.current().len() >= 2 && fails(&t.current()) {
                break t;
            }
        };
        let last_failure = shrink_against(&mut tree, |v| fails(v));
        assert_eq!(last_failure, vec![150]);
    }

    #[test]
    fn an_absent_value_does_not_shrink() {
        let mut tree = maybe_weighted(0.0, 0u32..10)
            .new_tree(&mut TestRunner::deterministic())
            .expect("tree");
        assert_eq!(tree.current(), None);
        assert!(!tree.simplify() && !tree.complicate());
    }
}
