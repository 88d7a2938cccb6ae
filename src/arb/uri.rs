//! Absolute URIs of the shapes producers use, drawn whole.
//!
//! Every facet carries two URIs (`_producer`, `_schemaURL`) and every event two more, so URIs
//! are a large share of a generated event. Built from proptest combinators (a scheme, a host
//! and a list of path segments), each URI was several value trees and string joins, and URIs
//! alone took over a quarter of event generation; this strategy draws the parts at once.

use std::fmt;

use proptest::prelude::RngExt;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};

use super::draw::Draw;

use super::text::{Class, HOST, LOWER, SEGMENT};

const SCHEMES: [&str; 6] = ["https", "http", "s3", "gs", "postgres", "file"];
/// Most characters after a host's first letter.
const HOST_TAIL: usize = 10;
/// Most path segments, and most characters in each.
const SEGMENTS: usize = 3;
const SEGMENT_LEN: usize = 8;

/// `https://{host}.example.com/{segments}`, with the other schemes producers use, and
/// `file:///{host}/{segments}`: a host of a lower-case letter and up to ten of `[a-z0-9-]`,
/// up to three segments of one to eight of `[a-zA-Z0-9_.-]`.
#[derive(Debug, Clone, Copy)]
pub struct Uri;

fn draw(rng: &mut impl RngExt, class: &Class, len: usize, into: &mut String) {
    into.extend((0..len).map(|_| class.pick(rng)));
}

impl Strategy for Uri {
    type Tree = UriTree;
    type Value = String;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        Ok(Self::generate(runner))
    }
}

impl Draw for Uri {
    fn draw(&self, runner: &mut TestRunner) -> Result<String, Reason> {
        // An unshrunk tree shows its whole text.
        Ok(Self::generate(runner).text)
    }
}

impl Uri {
    /// A drawn URI, written out whole, with where its parts are for shrinking.
    fn generate(runner: &mut TestRunner) -> UriTree {
        let rng = runner.rng();
        let scheme = SCHEMES[rng.random_range(0..SCHEMES.len())];
        let (prefix, suffix) = if scheme == "file" {
            ("file:///", "")
        } else {
            ("://", ".example.com")
        };
        let mut text = String::with_capacity(64);
        if scheme != "file" {
            text.push_str(scheme);
        }
        text.push_str(prefix);
        let host_at = text.len();
        draw(rng, &LOWER, 1, &mut text);
        let tail = rng.random_range(0..=HOST_TAIL);
        draw(rng, &HOST, tail, &mut text);
        let host_full = text.len() - host_at;
        text.push_str(suffix);
        let count = rng.random_range(0..=SEGMENTS);
        let mut ends = [0; SEGMENTS];
        for end in ends.iter_mut().take(count) {
            let len = rng.random_range(1..=SEGMENT_LEN);
            text.push('/');
            draw(rng, &SEGMENT, len, &mut text);
            *end = text.len();
        }
        UriTree {
            text,
            suffix,
            host_at,
            host_full,
            host_len: host_full,
            ends,
            kept: count,
            last: None,
            segments_needed: false,
            host_needed: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    DroppedSegment,
    ShortenedHost(usize),
}

/// A drawn URI; shrinking drops path segments from the end, then cuts the host to its first
/// letter, and keeps whatever the failure turns out to need.
#[derive(Clone)]
pub struct UriTree {
    /// The URI as drawn; ASCII, so lengths are in bytes.
    text: String,
    /// What follows the host (`.example.com`, or nothing for `file`).
    suffix: &'static str,
    host_at: usize,
    host_full: usize,
    host_len: usize,
    /// Where each drawn path segment ends in `text`.
    ends: [usize; SEGMENTS],
    kept: usize,
    last: Option<Step>,
    segments_needed: bool,
    host_needed: bool,
}

impl fmt::Debug for UriTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UriTree({})", self.current())
    }
}

impl ValueTree for UriTree {
    type Value = String;

    fn current(&self) -> String {
        // Unshrunk, these pieces are the whole text.
        let path_at = self.host_at + self.host_full + self.suffix.len();
        let path_end = if self.kept == 0 {
            path_at
        } else {
            self.ends[self.kept - 1]
        };
        let mut uri = String::with_capacity(self.text.len());
        uri.push_str(&self.text[..self.host_at + self.host_len]);
        uri.push_str(self.suffix);
        uri.push_str(&self.text[path_at..path_end]);
        uri
    }

    fn simplify(&mut self) -> bool {
        if !self.segments_needed && self.kept > 0 {
            self.kept -= 1;
            self.last = Some(Step::DroppedSegment);
            return true;
        }
        if !self.host_needed && self.host_len > 1 {
            self.last = Some(Step::ShortenedHost(self.host_len));
            self.host_len = 1;
            return true;
        }
        self.last = None;
        false
    }

    fn complicate(&mut self) -> bool {
        match self.last.take() {
            Some(Step::DroppedSegment) => {
                self.kept += 1;
                self.segments_needed = true;
                true
            }
            Some(Step::ShortenedHost(len)) => {
                self.host_len = len;
                self.host_needed = true;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> (String, String, Vec<String>) {
        let (scheme, rest) = uri.split_once(':').expect("a scheme");
        let rest = rest.strip_prefix("//").expect("an authority");
        let (host, path) = if scheme == "file" {
            let rest = rest.strip_prefix('/').expect("an absolute file path");
            rest.split_once('/').unwrap_or((rest, ""))
        } else {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.strip_suffix(".example.com").expect("example.com");
            (host, path)
        };
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        (scheme.to_string(), host.to_string(), segments)
    }

    #[test]
    fn uris_have_the_documented_shape_and_cover_every_scheme() {
        let mut runner = TestRunner::deterministic();
        let mut schemes = std::collections::BTreeSet::new();
        let mut most_segments = 0;
        for _ in 0..3000 {
            let uri = Uri.new_tree(&mut runner).expect("tree").current();
            let (scheme, host, segments) = parts(&uri);
            assert!(SCHEMES.contains(&scheme.as_str()), "{uri}");
            let mut chars = host.chars();
            assert!(chars.next().is_some_and(|c| LOWER.contains(c)), "{uri}");
            assert!(
                chars.all(|c| HOST.contains(c)) && host.len() <= 1 + HOST_TAIL,
                "{uri}"
            );
            assert!(segments.len() <= SEGMENTS, "{uri}");
            for s in &segments {
                assert!((1..=SEGMENT_LEN).contains(&s.len()), "{uri}");
                assert!(s.chars().all(|c| SEGMENT.contains(c)), "{uri}");
            }
            schemes.insert(scheme);
            most_segments = most_segments.max(segments.len());
        }
        assert_eq!(schemes.len(), SCHEMES.len());
        assert_eq!(most_segments, SEGMENTS);
    }

    #[test]
    fn a_draw_is_the_unshrunk_trees_value() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..500 {
            crate::arb::draw::check_draw(&Uri, runner.clone()).expect("draw equals tree");
            let _ = Uri.new_tree(&mut runner);
        }
    }

    #[test]
    fn shrinking_drops_segments_then_the_host_and_keeps_what_is_needed() {
        let mut runner = TestRunner::deterministic();
        let mut tree = loop {
            let t = Uri.new_tree(&mut runner).expect("tree");
            let (_, host, segments) = parts(&t.current());
            if segments.len() == SEGMENTS && host.len() > 2 {
                break t;
            }
        };
        let (_, host, segments) = parts(&tree.current());
        // The failure needs the first segment and nothing else.
        let fails = |uri: &str| parts(uri).2.first() == Some(&segments[0]);
        let last_failure = crate::arb::pick::shrink_against(&mut tree, |uri| fails(uri));
        let (_, short_host, kept) = parts(&last_failure);
        assert_eq!(kept, vec![segments[0].clone()], "{last_failure}");
        assert_eq!(short_host, host[..1], "{last_failure}");
    }
}
