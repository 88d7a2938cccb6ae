//! Strategies that can also make their value without building a value tree.
//!
//! A value tree exists to shrink a failing value, yet most generated values never fail: a
//! conformance run sends thousands of cases and shrinks a few. [`Draw::draw`] makes the value
//! that [`Strategy::new_tree`] followed by [`ValueTree::current`] would, with the same random
//! choices in the same order, so a failing case is made again as a tree from its seed only
//! when it has to shrink. Each combinator here makes its random choices in one routine that
//! both paths call, so the two agree by construction; a leaf that has no direct draw
//! ([`leaf`]) draws through its own tree, which agrees by definition. The collections follow
//! proptest's own (same size draws, same shrinking), so values are those proptest's
//! combinators made.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};

/// A strategy that can also make its value directly.
pub trait Draw: Strategy {
    /// The value `self.new_tree(runner)?.current()` gives, leaving `runner` (its random
    /// numbers and reject counts) as that would, without building the tree.
    fn draw(&self, runner: &mut TestRunner) -> Result<Self::Value, Reason>;
}

/// What a [`Gen`] holds: a drawing strategy with its tree type erased.
trait Node<T>: fmt::Debug {
    fn boxed_tree(&self, runner: &mut TestRunner) -> Result<Box<dyn ValueTree<Value = T>>, Reason>;
    fn draw_value(&self, runner: &mut TestRunner) -> Result<T, Reason>;
}

impl<S> Node<S::Value> for S
where
    S: Draw + fmt::Debug,
    S::Tree: 'static,
{
    fn boxed_tree(
        &self,
        runner: &mut TestRunner,
    ) -> Result<Box<dyn ValueTree<Value = S::Value>>, Reason> {
        Ok(Box::new(self.new_tree(runner)?))
    }

    fn draw_value(&self, runner: &mut TestRunner) -> Result<S::Value, Reason> {
        self.draw(runner)
    }
}

/// A boxed, cheaply cloned strategy that draws: proptest's `BoxedStrategy` with [`Draw`].
pub struct Gen<T>(Arc<dyn Node<T>>);

impl<T> Clone for Gen<T> {
    fn clone(&self) -> Self {
        Gen(self.0.clone())
    }
}

impl<T> fmt::Debug for Gen<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: fmt::Debug + 'static> Strategy for Gen<T> {
    type Tree = Box<dyn ValueTree<Value = T>>;
    type Value = T;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        self.0.boxed_tree(runner)
    }
}

impl<T: fmt::Debug + 'static> Draw for Gen<T> {
    fn draw(&self, runner: &mut TestRunner) -> Result<T, Reason> {
        self.0.draw_value(runner)
    }
}

impl<T: fmt::Debug + 'static> Gen<T> {
    /// Boxes a drawing strategy.
    pub fn new<S>(strategy: S) -> Self
    where
        S: Draw<Value = T> + fmt::Debug + 'static,
    {
        Gen(Arc::new(strategy))
    }

    /// Values of `self` passed through `f`.
    pub fn map<U: fmt::Debug + 'static>(self, f: impl Fn(T) -> U + 'static) -> Gen<U> {
        Gen::new(Map {
            source: self,
            f: Arc::new(f),
        })
    }

    /// Values of `self` that `keep` accepts; others are drawn again (proptest's local
    /// rejects, which fail generation after too many).
    pub fn filter(self, whence: impl Into<Reason>, keep: impl Fn(&T) -> bool + 'static) -> Gen<T>
    where
        T: Clone,
    {
        self.filter_map(whence, move |v| keep(&v).then_some(v))
    }

    /// Values of `self` that `f` maps to `Some`; others are drawn again.
    pub fn filter_map<U: Clone + fmt::Debug + 'static>(
        self,
        whence: impl Into<Reason>,
        f: impl Fn(T) -> Option<U> + 'static,
    ) -> Gen<U> {
        Gen::new(FilterMap {
            source: self,
            whence: whence.into(),
            f: Arc::new(f),
        })
    }
}

/// A strategy with no direct draw, drawn through its own tree: for leaves whose trees cost
/// no more than their values (numbers, booleans, a choice of constants) and rare ones.
pub fn leaf<S>(strategy: S) -> Gen<S::Value>
where
    S: Strategy + 'static,
    S::Tree: 'static,
{
    Gen::new(Leaf(strategy))
}

/// Always `value`.
pub fn just<T: Clone + fmt::Debug + 'static>(value: T) -> Gen<T> {
    leaf(proptest::strategy::Just(value))
}

#[derive(Debug, Clone)]
struct Leaf<S>(S);

impl<S: Strategy> Strategy for Leaf<S> {
    type Tree = S::Tree;
    type Value = S::Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        self.0.new_tree(runner)
    }
}

impl<S: Strategy> Draw for Leaf<S> {
    fn draw(&self, runner: &mut TestRunner) -> Result<S::Value, Reason> {
        Ok(self.0.new_tree(runner)?.current())
    }
}

struct Map<S, F> {
    source: S,
    f: Arc<F>,
}

impl<S: fmt::Debug, F> fmt::Debug for Map<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Map({:?})", self.source)
    }
}

impl<S: Draw, U: fmt::Debug, F: Fn(S::Value) -> U> Strategy for Map<S, F> {
    type Tree = MapTree<S::Tree, F>;
    type Value = U;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        Ok(MapTree {
            source: self.source.new_tree(runner)?,
            f: self.f.clone(),
        })
    }
}

impl<S: Draw, U: fmt::Debug, F: Fn(S::Value) -> U> Draw for Map<S, F> {
    fn draw(&self, runner: &mut TestRunner) -> Result<U, Reason> {
        Ok((self.f)(self.source.draw(runner)?))
    }
}

/// The tree of a mapped strategy: the source's tree, shown through the function.
pub struct MapTree<T, F> {
    source: T,
    f: Arc<F>,
}

impl<T: fmt::Debug, F> fmt::Debug for MapTree<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MapTree({:?})", self.source)
    }
}

impl<T: ValueTree, U: fmt::Debug, F: Fn(T::Value) -> U> ValueTree for MapTree<T, F> {
    type Value = U;

    fn current(&self) -> U {
        (self.f)(self.source.current())
    }

    fn simplify(&mut self) -> bool {
        self.source.simplify()
    }

    fn complicate(&mut self) -> bool {
        self.source.complicate()
    }
}

struct FilterMap<S, F> {
    source: S,
    whence: Reason,
    f: Arc<F>,
}

impl<S: fmt::Debug, F> fmt::Debug for FilterMap<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FilterMap({:?}, {:?})", self.whence, self.source)
    }
}

impl<S: Draw, U: Clone + fmt::Debug, F: Fn(S::Value) -> Option<U>> FilterMap<S, F> {
    /// Draws from the source until `f` accepts, with `make` drawing one candidate and showing
    /// its value; both paths go through here, so they reject the same candidates.
    fn until_accepted<C>(
        &self,
        runner: &mut TestRunner,
        make: impl Fn(&S, &mut TestRunner) -> Result<(C, S::Value), Reason>,
    ) -> Result<(C, U), Reason> {
        loop {
            let (candidate, value) = make(&self.source, runner)?;
            if let Some(accepted) = (self.f)(value) {
                return Ok((candidate, accepted));
            }
            runner.reject_local(self.whence.clone())?;
        }
    }
}

impl<S: Draw, U: Clone + fmt::Debug, F: Fn(S::Value) -> Option<U>> Strategy for FilterMap<S, F> {
    type Tree = FilterMapTree<S::Tree, U, F>;
    type Value = U;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let (source, current) = self.until_accepted(runner, |s, r| {
            let tree = s.new_tree(r)?;
            let value = tree.current();
            Ok((tree, value))
        })?;
        Ok(FilterMapTree {
            source,
            current,
            f: self.f.clone(),
            stuck: false,
        })
    }
}

impl<S: Draw, U: Clone + fmt::Debug, F: Fn(S::Value) -> Option<U>> Draw for FilterMap<S, F> {
    fn draw(&self, runner: &mut TestRunner) -> Result<U, Reason> {
        let ((), value) = self.until_accepted(runner, |s, r| Ok(((), s.draw(r)?)))?;
        Ok(value)
    }
}

/// The tree of a filtered strategy. A shrink step the filter refuses is undone (as proptest's
/// filters do); one that cannot be undone ends shrinking at the last accepted value rather
/// than panicking.
pub struct FilterMapTree<T, U, F> {
    source: T,
    /// The last value the filter accepted.
    current: U,
    f: Arc<F>,
    stuck: bool,
}

impl<T: fmt::Debug, U: fmt::Debug, F> fmt::Debug for FilterMapTree<T, U, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FilterMapTree({:?})", self.current)
    }
}

impl<T: ValueTree, U: Clone + fmt::Debug, F: Fn(T::Value) -> Option<U>> FilterMapTree<T, U, F> {
    fn accept(&mut self) {
        loop {
            if let Some(v) = (self.f)(self.source.current()) {
                self.current = v;
                return;
            }
            if !self.source.complicate() {
                self.stuck = true;
                return;
            }
        }
    }
}

impl<T: ValueTree, U: Clone + fmt::Debug, F: Fn(T::Value) -> Option<U>> ValueTree
    for FilterMapTree<T, U, F>
{
    type Value = U;

    fn current(&self) -> U {
        self.current.clone()
    }

    fn simplify(&mut self) -> bool {
        if self.stuck || !self.source.simplify() {
            return false;
        }
        self.accept();
        !self.stuck
    }

    fn complicate(&mut self) -> bool {
        if self.stuck || !self.source.complicate() {
            return false;
        }
        self.accept();
        !self.stuck
    }
}

/// Pairs of a value of `a` and one of `b`, made in that order; shrinks `a` first, then `b`,
/// as proptest's tuples do.
pub fn zip<A, B>(a: Gen<A>, b: Gen<B>) -> Gen<(A, B)>
where
    A: fmt::Debug + 'static,
    B: fmt::Debug + 'static,
{
    Gen::new(Zip(a, b))
}

/// Triples, as [`zip`] makes pairs.
pub fn zip3<A, B, C>(a: Gen<A>, b: Gen<B>, c: Gen<C>) -> Gen<(A, B, C)>
where
    A: fmt::Debug + 'static,
    B: fmt::Debug + 'static,
    C: fmt::Debug + 'static,
{
    zip(zip(a, b), c).map(|((a, b), c)| (a, b, c))
}

#[derive(Debug)]
struct Zip<A, B>(A, B);

impl<A: Draw, B: Draw> Strategy for Zip<A, B> {
    type Tree = ZipTree<A::Tree, B::Tree>;
    type Value = (A::Value, B::Value);

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let a = self.0.new_tree(runner)?;
        let b = self.1.new_tree(runner)?;
        Ok(ZipTree {
            a,
            b,
            shrinking: 0,
            last: None,
        })
    }
}

impl<A: Draw, B: Draw> Draw for Zip<A, B> {
    fn draw(&self, runner: &mut TestRunner) -> Result<Self::Value, Reason> {
        let a = self.0.draw(runner)?;
        let b = self.1.draw(runner)?;
        Ok((a, b))
    }
}

/// The tree of a pair: proptest's tuple shrinking (the first fully, then the second).
#[derive(Debug)]
pub struct ZipTree<A, B> {
    a: A,
    b: B,
    /// Which element simplifies next: 0, 1, or 2 when both are done.
    shrinking: u8,
    last: Option<u8>,
}

impl<A: ValueTree, B: ValueTree> ValueTree for ZipTree<A, B> {
    type Value = (A::Value, B::Value);

    fn current(&self) -> Self::Value {
        (self.a.current(), self.b.current())
    }

    fn simplify(&mut self) -> bool {
        if self.shrinking == 0 {
            if self.a.simplify() {
                self.last = Some(0);
                return true;
            }
            self.shrinking = 1;
        }
        if self.shrinking == 1 {
            if self.b.simplify() {
                self.last = Some(1);
                return true;
            }
            self.shrinking = 2;
        }
        false
    }

    fn complicate(&mut self) -> bool {
        let Some(i) = self.last else {
            return false;
        };
        let more = if i == 0 {
            self.a.complicate()
        } else {
            self.b.complicate()
        };
        if more {
            // As proptest's tuples do: simplifying resumes at the element complicated.
            self.shrinking = i;
        } else {
            self.last = None;
        }
        more
    }
}

/// Between `size.start()` and `size.end()` values of `element`, as proptest's
/// `collection::vec` makes and shrinks them.
pub fn vec<T: fmt::Debug + 'static>(element: Gen<T>, size: RangeInclusive<usize>) -> Gen<Vec<T>> {
    let min = *size.start();
    Gen::new(VecOf {
        element,
        min,
        max: (*size.end()).max(min),
    })
}

/// One value of each of `parts`, in order, as proptest's strategy for a `Vec` of strategies.
pub fn all<T: fmt::Debug + 'static>(parts: Vec<Gen<T>>) -> Gen<Vec<T>> {
    Gen::new(All(parts))
}

/// Maps of between `size.start()` and `size.end()` entries, as proptest's
/// `collection::btree_map` makes them: pairs drawn as a list, a repeated key keeping its last
/// value, too few distinct keys drawn again.
pub fn btree_map<K, V>(
    key: Gen<K>,
    value: Gen<V>,
    size: RangeInclusive<usize>,
) -> Gen<BTreeMap<K, V>>
where
    K: Ord + Clone + fmt::Debug + 'static,
    V: Clone + fmt::Debug + 'static,
{
    let min = *size.start();
    vec(zip(key, value), size)
        .map(|pairs| pairs.into_iter().collect::<BTreeMap<K, V>>())
        .filter("BTreeMap minimum size", move |m| m.len() >= min)
}

#[derive(Debug)]
struct VecOf<T> {
    element: Gen<T>,
    min: usize,
    max: usize,
}

impl<T: fmt::Debug + 'static> VecOf<T> {
    fn len(&self, runner: &mut TestRunner) -> usize {
        // proptest's own size draw, so lists are as long as proptest's vectors were.
        proptest::num::sample_uniform_incl(runner, self.min, self.max)
    }
}

impl<T: fmt::Debug + 'static> Strategy for VecOf<T> {
    type Tree = ListTree<Box<dyn ValueTree<Value = T>>>;
    type Value = Vec<T>;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let n = self.len(runner);
        let elements = (0..n)
            .map(|_| self.element.new_tree(runner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ListTree::new(elements, self.min))
    }
}

impl<T: fmt::Debug + 'static> Draw for VecOf<T> {
    fn draw(&self, runner: &mut TestRunner) -> Result<Vec<T>, Reason> {
        let n = self.len(runner);
        (0..n).map(|_| self.element.draw(runner)).collect()
    }
}

#[derive(Debug)]
struct All<T>(Vec<Gen<T>>);

impl<T: fmt::Debug + 'static> Strategy for All<T> {
    type Tree = ListTree<Box<dyn ValueTree<Value = T>>>;
    type Value = Vec<T>;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let elements = self
            .0
            .iter()
            .map(|g| g.new_tree(runner))
            .collect::<Result<Vec<_>, _>>()?;
        let n = elements.len();
        Ok(ListTree::new(elements, n))
    }
}

impl<T: fmt::Debug + 'static> Draw for All<T> {
    fn draw(&self, runner: &mut TestRunner) -> Result<Vec<T>, Reason> {
        self.0.iter().map(|g| g.draw(runner)).collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Shrink {
    Delete(usize),
    Element(usize),
}

/// The tree of a list: proptest's vector shrinking. Elements are dropped one at a time while
/// the list is longer than its minimum (a drop that loses the failure is undone), then those
/// kept are shrunk in turn.
pub struct ListTree<T> {
    elements: Vec<T>,
    included: Vec<bool>,
    kept: usize,
    min: usize,
    shrink: Shrink,
    last: Option<Shrink>,
}

impl<T> fmt::Debug for ListTree<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListTree({:?})", self.included)
    }
}

impl<T> ListTree<T> {
    /// A list of `elements` that shrinks to no fewer than `min` of them.
    pub fn new(elements: Vec<T>, min: usize) -> Self {
        ListTree {
            included: vec![true; elements.len()],
            kept: elements.len(),
            elements,
            min,
            shrink: Shrink::Delete(0),
            last: None,
        }
    }
}

impl<T: ValueTree> ValueTree for ListTree<T> {
    type Value = Vec<T::Value>;

    fn current(&self) -> Vec<T::Value> {
        self.elements
            .iter()
            .zip(&self.included)
            .filter(|(_, kept)| **kept)
            .map(|(e, _)| e.current())
            .collect()
    }

    fn simplify(&mut self) -> bool {
        if let Shrink::Delete(i) = self.shrink {
            if i >= self.elements.len() || self.kept <= self.min {
                self.shrink = Shrink::Element(0);
            } else {
                self.included[i] = false;
                self.kept -= 1;
                self.last = Some(self.shrink);
                self.shrink = Shrink::Delete(i + 1);
                return true;
            }
        }
        while let Shrink::Element(i) = self.shrink {
            if i >= self.elements.len() {
                return false;
            }
            if self.included[i] && self.elements[i].simplify() {
                self.last = Some(self.shrink);
                return true;
            }
            self.shrink = Shrink::Element(i + 1);
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.last {
            None => false,
            Some(Shrink::Delete(i)) => {
                // Dropping it lost the failure: it is needed.
                self.included[i] = true;
                self.kept += 1;
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
        }
    }
}

/// Checks that `strategy` draws what its trees show from `runner`'s state: a draw from a copy
/// of the runner equals the tree's value, and leaves the runner as making the tree does (so a
/// second value agrees too). Returns the disagreement.
pub fn check_draw<S>(strategy: &S, runner: TestRunner) -> Result<(), String>
where
    S: Draw,
    S::Value: PartialEq,
{
    let (mut by_tree, mut by_draw) = (runner.clone(), runner);
    for n in 0..2 {
        let tree = strategy.new_tree(&mut by_tree).map(|t| t.current());
        let drawn = strategy.draw(&mut by_draw);
        match (tree, drawn) {
            (Ok(t), Ok(d)) if t == d => {}
            (Err(a), Err(b)) if a == b => {}
            (t, d) => {
                return Err(format!(
                    "value {n}: the tree shows {t:?}, the draw made {d:?}"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arb::pick::shrink_against;
    use crate::arb::seeded_runner as runner;
    use proptest::prelude::any;

    /// From the same 50 seeds, `ours` and `theirs` (a proptest strategy) make the same values,
    /// and shrink every value that `fails` to the same minimal one.
    fn shrinks_as<S, T>(ours: &S, theirs: &T, fails: impl Fn(&S::Value) -> bool)
    where
        S: Strategy,
        T: Strategy<Value = S::Value>,
        S::Value: PartialEq,
    {
        for seed in 0..50u64 {
            let mut a = runner(seed);
            let mut b = a.clone();
            let mut ours = ours.new_tree(&mut a).expect("tree");
            let mut theirs = theirs.new_tree(&mut b).expect("tree");
            assert_eq!(ours.current(), theirs.current());
            if fails(&ours.current()) {
                assert_eq!(
                    shrink_against(&mut ours, &fails),
                    shrink_against(&mut theirs, &fails)
                );
            }
        }
    }

    #[test]
    fn combinators_draw_what_their_trees_show() {
        let n = leaf(0u32..1000);
        let list = vec(n.clone(), 0..=6);
        let pairs = zip(list.clone(), leaf(any::<bool>()));
        let filtered = n.clone().filter("even", |v| v % 2 == 0);
        let map = btree_map(leaf(0u8..4), n.clone(), 1..=5);
        let fixed = all(vec![n.clone(), filtered.clone(), just(7)]);
        let triples = zip3(list, map.clone(), fixed.clone());
        for seed in 0..300 {
            check_draw(&pairs, runner(seed)).expect("pairs");
            check_draw(&filtered, runner(seed)).expect("filter");
            check_draw(&map, runner(seed)).expect("btree_map");
            check_draw(&fixed, runner(seed)).expect("all");
            check_draw(&triples, runner(seed)).expect("zip3");
        }
    }

    #[test]
    fn a_disagreeing_draw_is_reported() {
        // A strategy whose draw is off by one: the check must notice.
        #[derive(Debug)]
        struct OffByOne;
        impl Strategy for OffByOne {
            type Tree = <std::ops::Range<u32> as Strategy>::Tree;
            type Value = u32;
            fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
                (0u32..10).new_tree(runner)
            }
        }
        impl Draw for OffByOne {
            fn draw(&self, runner: &mut TestRunner) -> Result<u32, Reason> {
                Ok((0u32..10).new_tree(runner)?.current() + 1)
            }
        }
        assert!(check_draw(&OffByOne, runner(0)).is_err());
    }

    #[test]
    fn lists_shrink_as_proptest_vectors_do() {
        // Against "fails when some value is at least 500": proptest's vec and this one reach
        // the same minimal list from the same seed.
        shrinks_as(
            &vec(leaf(0u32..1000), 2..=8),
            &proptest::collection::vec(0u32..1000, 2..=8),
            |v| v.iter().any(|x| *x >= 500),
        );
    }

    #[test]
    fn pairs_shrink_as_proptest_tuples_do() {
        shrinks_as(
            &zip(leaf(0u32..1000), leaf(0u32..1000)),
            &(0u32..1000, 0u32..1000),
            |v| v.0 + v.1 >= 700,
        );
    }

    #[test]
    fn a_filter_that_cannot_be_satisfied_is_an_error() {
        let never = leaf(0u32..10).filter("never", |_| false);
        let mut runner = TestRunner::deterministic();
        assert!(never.draw(&mut runner).is_err());
        assert!(never.new_tree(&mut TestRunner::deterministic()).is_err());
    }
}
