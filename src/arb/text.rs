//! Cheap string strategies: characters drawn straight from a character class, shrinking by length.
//!
//! proptest's regex strategies keep one value tree per character, and a `&str` strategy parses
//! its regex again for every value. Generated events are mostly strings, so both costs dominated
//! event generation; these strategies draw a whole string at once and shrink it by truncation,
//! which is what a minimal reproducer needs.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

use proptest::prelude::RngExt;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};

use super::draw::Draw;

/// A set of characters to draw from, uniformly.
pub struct Class {
    ranges: Vec<(char, char)>,
    /// Characters before each range, for picking the n-th character of the class.
    before: Vec<u32>,
    size: u32,
    /// Every character in order, for classes small enough that a lookup beats searching the
    /// ranges (the ASCII ones; most drawn characters come from them).
    table: Vec<char>,
}

/// Largest class kept as a table of its characters.
const TABLE_MAX: u32 = 1024;

impl fmt::Debug for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Class({} ranges, {} chars)",
            self.ranges.len(),
            self.size
        )
    }
}

impl Class {
    fn new(ranges: Vec<(char, char)>) -> Self {
        let mut before = Vec::with_capacity(ranges.len());
        let mut size = 0u32;
        for (lo, hi) in &ranges {
            before.push(size);
            size += u32::from(*hi) - u32::from(*lo) + 1;
        }
        let mut class = Class {
            ranges,
            before,
            size,
            table: Vec::new(),
        };
        if size <= TABLE_MAX {
            class.table = (0..size).map(|n| class.search(n)).collect();
        }
        class
    }

    /// The class a regex character class such as `[a-z0-9_]` or `\PC` denotes.
    fn parse(pattern: &str) -> Self {
        use regex_syntax::hir::{Class as HirClass, HirKind};
        let hir = regex_syntax::parse(pattern);
        let ranges = match hir.as_ref().map(|h| h.kind()) {
            Ok(HirKind::Class(HirClass::Unicode(c))) => {
                c.ranges().iter().map(|r| (r.start(), r.end())).collect()
            }
            // The patterns are the constants below; a typo shows up as an empty class in tests.
            _ => Vec::new(),
        };
        Self::new(ranges)
    }

    /// A character of the class, each as likely.
    pub(crate) fn pick(&self, rng: &mut impl RngExt) -> char {
        self.nth(rng.random_range(0..self.size))
    }

    /// The n-th character of the class (`n < size`).
    fn nth(&self, n: u32) -> char {
        match self.table.get(n as usize) {
            Some(c) => *c,
            None => self.search(n),
        }
    }

    /// The n-th character, found among the ranges.
    fn search(&self, n: u32) -> char {
        let i = self.before.partition_point(|&b| b <= n) - 1;
        let (lo, _) = self.ranges[i];
        // Every code point in a range is a char: regex classes never straddle the surrogates.
        char::from_u32(u32::from(lo) + (n - self.before[i])).unwrap_or(lo)
    }

    /// How many characters the class holds.
    pub fn len(&self) -> u32 {
        self.size
    }

    /// True when the class holds no character.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Whether `c` belongs to the class.
    pub fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
    }
}

/// `[a-z]`.
pub static LOWER: LazyLock<Class> = LazyLock::new(|| Class::parse("[a-z]"));
/// `[a-zA-Z0-9_]`: the rest of an identifier.
pub static WORD: LazyLock<Class> = LazyLock::new(|| Class::parse("[a-zA-Z0-9_]"));
/// `[a-z0-9-]`: a host name label.
pub static HOST: LazyLock<Class> = LazyLock::new(|| Class::parse("[a-z0-9-]"));
/// `[a-zA-Z0-9_.-]`: a URI path segment.
pub static SEGMENT: LazyLock<Class> = LazyLock::new(|| Class::parse("[a-zA-Z0-9_.-]"));
/// `[a-zA-Z0-9_.:/ -]`: plain ASCII free text.
pub static ASCII_TEXT: LazyLock<Class> = LazyLock::new(|| Class::parse("[a-zA-Z0-9_.:/ -]"));
/// `\PC`: any printable Unicode character (other scripts, emoji, combining marks).
pub static PRINTABLE: LazyLock<Class> = LazyLock::new(|| Class::parse(r"\PC"));

/// Strings of `len` characters (counted in chars) drawn from `class`, the first one from
/// `head` when it is given.
#[derive(Clone, Copy)]
pub struct Text {
    class: &'static LazyLock<Class>,
    head: Option<&'static LazyLock<Class>>,
    min: usize,
    max: usize,
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.head {
            Some(head) => write!(
                f,
                "Text({:?} then {:?}, {}..={})",
                **head, **self.class, self.min, self.max
            ),
            None => write!(f, "Text({:?}, {}..={})", **self.class, self.min, self.max),
        }
    }
}

/// Strings from `class` with a length in `len`.
pub fn text(class: &'static LazyLock<Class>, len: RangeInclusive<usize>) -> Text {
    Text {
        class,
        head: None,
        min: *len.start(),
        max: (*len.end()).max(*len.start()),
    }
}

/// Strings of one character from `head` followed by `rest` characters from `class`
/// (identifiers: a letter, then letters, digits and underscores). Shrinking keeps the head.
pub fn headed(
    head: &'static LazyLock<Class>,
    class: &'static LazyLock<Class>,
    rest: RangeInclusive<usize>,
) -> Text {
    Text {
        class,
        head: Some(head),
        min: *rest.start() + 1,
        max: (*rest.end()).max(*rest.start()) + 1,
    }
}

impl Strategy for Text {
    type Tree = TextTree;
    type Value = String;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let chars: Vec<char> = self.chars(runner)?;
        let len = chars.len();
        Ok(TextTree {
            chars,
            lo: self.min,
            curr: len,
            hi: len,
        })
    }
}

impl Draw for Text {
    fn draw(&self, runner: &mut TestRunner) -> Result<String, Reason> {
        self.chars(runner)
    }
}

impl Text {
    /// The drawn characters, collected as the tree (a `Vec`) or the value (a `String`) needs.
    fn chars<C: FromIterator<char>>(&self, runner: &mut TestRunner) -> Result<C, Reason> {
        let class: &Class = self.class;
        let head: Option<&Class> = self.head.map(|h| &**h);
        if class.is_empty() || head.is_some_and(Class::is_empty) {
            return Err("empty character class".into());
        }
        let rng = runner.rng();
        let len = rng.random_range(self.min..=self.max);
        Ok((0..len)
            .map(|i| {
                let from = match head {
                    Some(h) if i == 0 => h,
                    _ => class,
                };
                from.pick(rng)
            })
            .collect())
    }
}

/// A drawn string; shrinking binary-searches the shortest prefix that still fails.
#[derive(Debug, Clone)]
pub struct TextTree {
    chars: Vec<char>,
    lo: usize,
    curr: usize,
    hi: usize,
}

impl TextTree {
    fn reposition(&mut self) -> bool {
        let mid = self.lo + (self.hi - self.lo) / 2;
        if mid == self.curr {
            false
        } else {
            self.curr = mid;
            true
        }
    }
}

impl ValueTree for TextTree {
    type Value = String;

    fn current(&self) -> String {
        self.chars[..self.curr].iter().collect()
    }

    fn simplify(&mut self) -> bool {
        if self.hi <= self.lo {
            return false;
        }
        self.hi = self.curr;
        self.reposition()
    }

    fn complicate(&mut self) -> bool {
        if self.hi <= self.lo {
            return false;
        }
        self.lo = self.curr + 1;
        self.reposition()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headed_strings_start_with_the_head_class_and_shrink_to_it() {
        let s = headed(&LOWER, &WORD, 0..=5);
        let mut runner = TestRunner::deterministic();
        let mut lengths = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let mut tree = s.new_tree(&mut runner).expect("tree");
            let v = tree.current();
            let mut chars = v.chars();
            assert!(chars.next().is_some_and(|c| LOWER.contains(c)), "{v}");
            assert!(chars.all(|c| WORD.contains(c)), "{v}");
            lengths.insert(v.chars().count());
            while tree.simplify() {}
            let shortest = tree.current();
            assert_eq!(shortest.chars().count(), 1, "{v} -> {shortest}");
            assert!(v.starts_with(&shortest));
        }
        assert_eq!(lengths, (1..=6).collect());
    }

    #[test]
    fn a_class_table_holds_the_characters_the_ranges_do() {
        for class in [&LOWER, &WORD, &HOST, &SEGMENT, &ASCII_TEXT] {
            assert_eq!(class.table.len() as u32, class.len());
            for n in 0..class.len() {
                assert_eq!(class.nth(n), class.search(n));
            }
        }
        assert!(
            PRINTABLE.table.is_empty(),
            "large classes search their ranges"
        );
    }

    #[test]
    fn classes_hold_what_their_patterns_say() {
        assert_eq!(LOWER.len(), 26);
        assert_eq!(WORD.len(), 63);
        assert_eq!(ASCII_TEXT.len(), 62 + 6);
        assert!(PRINTABLE.len() > 100_000, "\\PC covers the assigned planes");
        assert!(PRINTABLE.contains('é') && PRINTABLE.contains('😀'));
        assert!(!PRINTABLE.contains('\n') && !PRINTABLE.contains('\u{200b}'));
    }

    #[test]
    fn every_drawn_char_belongs_to_the_class_and_lengths_stay_in_range() {
        let mut runner = TestRunner::deterministic();
        for (class, len) in [(&PRINTABLE, 0..=12), (&WORD, 3..=5), (&LOWER, 1..=1)] {
            let s = text(class, len.clone());
            for _ in 0..200 {
                let v = s
                    .new_tree(&mut runner)
                    .map(|t| t.current())
                    .unwrap_or_default();
                assert!(len.contains(&v.chars().count()), "{v:?}");
                assert!(v.chars().all(|c| class.contains(c)), "{v:?}");
            }
        }
    }

    #[test]
    fn shrinking_finds_the_shortest_failing_prefix() {
        let mut runner = TestRunner::deterministic();
        let s = text(&LOWER, 0..=40);
        // "Fails" while the string has at least 7 characters.
        let fails = |v: &str| v.len() >= 7;
        let mut tree = s.new_tree(&mut runner).expect("tree");
        while !fails(&tree.current()) {
            tree = s.new_tree(&mut runner).expect("tree");
        }
        let mut best = tree.current();
        // proptest's loop: simplify after a failure, complicate after a pass.
        let mut more = tree.simplify();
        while more {
            more = if fails(&tree.current()) {
                best = tree.current();
                tree.simplify()
            } else {
                tree.complicate()
            };
        }
        assert_eq!(best.len(), 7);
        assert!(best.chars().all(|c| LOWER.contains(c)));
    }

    #[test]
    fn the_lower_bound_is_never_crossed() {
        let mut runner = TestRunner::deterministic();
        let mut tree = text(&WORD, 3..=9).new_tree(&mut runner).expect("tree");
        while tree.simplify() {}
        assert!(tree.current().chars().count() >= 3);
    }
}
