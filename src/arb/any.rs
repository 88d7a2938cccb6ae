//! Small arbitrary JSON for unknown fields, drawn whole.
//!
//! Unknown fields (`x-…` in events and facets, untyped facet content) are in almost every object
//! a generated event has. Built from proptest combinators, each was a tree of alternatives,
//! vectors and maps of value trees, a seventh of event generation; this strategy draws the value
//! at once. It shrinks to `null` and no further: the runner drops unknown fields that do not
//! matter to a failure, and one that does matter is shown whole.

use std::fmt;

use proptest::prelude::RngExt;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};
use serde_json::{json, Map, Value};

use super::draw::Draw;
use super::text::{Class, ASCII_TEXT, LOWER, PRINTABLE};

/// Scalars (null, booleans, 32-bit integers, numbers within ±10⁶, text of up to `max_string_len`
/// characters, 16 at most, a quarter of it any printable Unicode), and arrays and objects of up
/// to two items, nested two levels deep. Three draws in five are scalars at every level.
#[derive(Debug, Clone, Copy)]
pub struct AnyJson {
    max_string_len: usize,
}

/// Arbitrary JSON as [`AnyJson`] describes it.
pub fn any_json(max_string_len: usize) -> AnyJson {
    AnyJson {
        max_string_len: max_string_len.min(16),
    }
}

fn text(rng: &mut impl RngExt, class: &Class, len: usize) -> String {
    (0..len).map(|_| class.pick(rng)).collect()
}

impl AnyJson {
    fn scalar(&self, rng: &mut impl RngExt) -> Value {
        match rng.random_range(0..5u8) {
            0 => Value::Null,
            1 => Value::Bool(rng.random_bool(0.5)),
            2 => json!(rng.random_range(i32::MIN..=i32::MAX)),
            3 => json!(rng.random_range(-1e6f64..1e6)),
            _ => {
                let class: &Class = if rng.random_range(0..4u8) < 3 {
                    &ASCII_TEXT
                } else {
                    &PRINTABLE
                };
                let len = rng.random_range(0..=self.max_string_len);
                Value::String(text(rng, class, len))
            }
        }
    }

    /// A value with containers at most `depth` levels deep.
    fn value(&self, rng: &mut impl RngExt, depth: usize) -> Value {
        if depth == 0 {
            return self.scalar(rng);
        }
        match rng.random_range(0..5u8) {
            0..=2 => self.scalar(rng),
            3 => {
                let n = rng.random_range(0..3usize);
                Value::Array((0..n).map(|_| self.value(rng, depth - 1)).collect())
            }
            _ => {
                let n = rng.random_range(0..3usize);
                let mut map = Map::new();
                for _ in 0..n {
                    let len = rng.random_range(1..=6);
                    let key = text(rng, &LOWER, len);
                    let value = self.value(rng, depth - 1);
                    map.insert(key, value);
                }
                Value::Object(map)
            }
        }
    }
}

impl Strategy for AnyJson {
    type Tree = AnyJsonTree;
    type Value = Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        Ok(AnyJsonTree {
            value: self.value(runner.rng(), 2),
            null: false,
            tried: false,
        })
    }
}

impl Draw for AnyJson {
    fn draw(&self, runner: &mut TestRunner) -> Result<Value, Reason> {
        Ok(self.value(runner.rng(), 2))
    }
}

/// A drawn value; shrinking tries `null` once.
#[derive(Clone)]
pub struct AnyJsonTree {
    value: Value,
    /// Showing `null` in its place.
    null: bool,
    tried: bool,
}

impl fmt::Debug for AnyJsonTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyJsonTree({})", self.current())
    }
}

impl ValueTree for AnyJsonTree {
    type Value = Value;

    fn current(&self) -> Value {
        if self.null {
            Value::Null
        } else {
            self.value.clone()
        }
    }

    fn simplify(&mut self) -> bool {
        if self.tried || self.value.is_null() {
            return false;
        }
        self.tried = true;
        self.null = true;
        true
    }

    fn complicate(&mut self) -> bool {
        if !self.null {
            return false;
        }
        self.null = false;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn values_stay_small_and_cover_every_json_type() {
        let mut runner = TestRunner::deterministic();
        let mut kinds = std::collections::BTreeSet::new();
        let mut deepest = 0;
        for _ in 0..5000 {
            let v = any_json(24).new_tree(&mut runner).expect("tree").current();
            deepest = deepest.max(depth(&v));
            kinds.insert(match &v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(n) if n.is_i64() => "integer",
                Value::Number(_) => "number",
                Value::String(s) => {
                    assert!(s.chars().count() <= 16, "{s}");
                    "string"
                }
                Value::Array(a) => {
                    assert!(a.len() <= 2);
                    "array"
                }
                Value::Object(o) => {
                    assert!(o.len() <= 2);
                    assert!(o.keys().all(|k| (1..=6).contains(&k.len())));
                    "object"
                }
            });
        }
        assert_eq!(kinds.len(), 7, "{kinds:?}");
        assert_eq!(deepest, 2);
    }

    #[test]
    fn a_value_shrinks_to_null_and_back_when_it_is_needed() {
        let mut runner = TestRunner::deterministic();
        let mut tree = loop {
            let t = any_json(8).new_tree(&mut runner).expect("tree");
            if !t.current().is_null() {
                break t;
            }
        };
        let drawn = tree.current();
        assert!(tree.simplify());
        assert_eq!(tree.current(), Value::Null);
        assert!(tree.complicate());
        assert_eq!(tree.current(), drawn);
        assert!(!tree.simplify() && !tree.complicate());
    }
}
