//! Choice strategies (one of several, or maybe nothing) that build only the chosen value.
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
    fn an_absent_value_does_not_shrink() {
        let mut tree = maybe_weighted(0.0, 0u32..10)
            .new_tree(&mut TestRunner::deterministic())
            .expect("tree");
        assert_eq!(tree.current(), None);
        assert!(!tree.simplify() && !tree.complicate());
    }
}
