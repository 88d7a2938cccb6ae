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
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};

use super::draw::{Draw, ListTree};

/// One of several strategies, picked by weight.
pub struct OneOf<S> {
    options: Arc<[(u32, S)]>,
    total: u32,
}

impl<S> Clone for OneOf<S> {
    fn clone(&self) -> Self {
        OneOf {
            options: self.options.clone(),
            total: self.total,
        }
    }
}

impl<S> fmt::Debug for OneOf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OneOf({} options)", self.options.len())
    }
}

/// Picks one of `options` with probability proportional to its weight. Alternatives with
/// weight 0 are never picked; with no positive weight, generation fails with an error.
pub fn weighted<S: Strategy>(options: Vec<(u32, S)>) -> OneOf<S> {
    let total = options.iter().map(|(w, _)| *w).sum();
    OneOf {
        options: options.into(),
        total,
    }
}

/// Picks one of `options`, each as likely.
pub fn one_of<S: Strategy>(options: Vec<S>) -> OneOf<S> {
    weighted(options.into_iter().map(|s| (1, s)).collect())
}

impl<S> OneOf<S> {
    /// The alternative to build: the one random choice both paths make.
    fn chosen(&self, runner: &mut TestRunner) -> Result<&S, Reason> {
        if self.total == 0 {
            return Err("no alternative to pick from".into());
        }
        let mut at = runner.rng().random_range(0..self.total);
        for (weight, strategy) in self.options.iter() {
            if at < *weight {
                return Ok(strategy);
            }
            at -= weight;
        }
        Err("weights changed while picking".into())
    }
}

impl<S: Strategy> Strategy for OneOf<S> {
    type Tree = S::Tree;
    type Value = S::Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        self.chosen(runner)?.new_tree(runner)
    }
}

impl<S: Draw> Draw for OneOf<S> {
    fn draw(&self, runner: &mut TestRunner) -> Result<S::Value, Reason> {
        self.chosen(runner)?.draw(runner)
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
        let inner = if self.present(runner) {
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

impl<S> Maybe<S> {
    fn present(&self, runner: &mut TestRunner) -> bool {
        runner.rng().random_bool(self.p)
    }
}

impl<S: Draw> Draw for Maybe<S> {
    fn draw(&self, runner: &mut TestRunner) -> Result<Option<S::Value>, Reason> {
        if self.present(runner) {
            Ok(Some(self.inner.draw(runner)?))
        } else {
            Ok(None)
        }
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
pub struct Subset<S> {
    options: Arc<[S]>,
    max: usize,
}

impl<S> Clone for Subset<S> {
    fn clone(&self) -> Self {
        Subset {
            options: self.options.clone(),
            max: self.max,
        }
    }
}

impl<S> fmt::Debug for Subset<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subset(up to {} of {})", self.max, self.options.len())
    }
}

/// Between none and `max` of `options` (each at most once, in the order given), each made by
/// its own strategy. Unlike a flat-mapped `subsequence`, the picked values are built directly:
/// no tree of the choice itself and no runner clone per draw. Shrinking drops picked values
/// one at a time, then shrinks those still needed.
pub fn subset<S: Strategy>(options: Vec<S>, max: usize) -> Subset<S> {
    Subset {
        options: options.into(),
        max,
    }
}

impl<S> Subset<S> {
    /// The picked options, in order: the random choices both paths make first.
    fn picked(&self, runner: &mut TestRunner) -> Vec<usize> {
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
        indices
    }
}

impl<S: Strategy> Strategy for Subset<S> {
    type Tree = ListTree<S::Tree>;
    type Value = Vec<S::Value>;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let elements = self
            .picked(runner)
            .into_iter()
            .map(|i| self.options[i].new_tree(runner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ListTree::new(elements, 0))
    }
}

impl<S: Draw> Draw for Subset<S> {
    fn draw(&self, runner: &mut TestRunner) -> Result<Vec<S::Value>, Reason> {
        self.picked(runner)
            .into_iter()
            .map(|i| self.options[i].draw(runner))
            .collect()
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
    use proptest::strategy::{BoxedStrategy, Just};

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
        assert!(one_of::<BoxedStrategy<u8>>(vec![])
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
        let none = subset::<BoxedStrategy<u8>>(vec![], 3)
            .new_tree(&mut runner)
            .expect("tree");
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
