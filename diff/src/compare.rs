//! Comparing effective schemas, files and OpenAPI documents; each finding is a [`Change`]
//! whose impact comes from the rules table.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::effective::{strip_annotations, Effective};
use crate::rules::{bump, version_of, Bump, ChangeKind, Impact};
use crate::snapshot::{id_of, id_path, Snapshot, CORE, OPENAPI};
use crate::{Change, Result};

/// Collects changes; `flip` swaps producers and consumers (response schemas, which servers
/// write and clients read).
#[derive(Debug, Default)]
pub struct Comparer {
    /// The changes found so far.
    pub out: Vec<Change>,
    flip: bool,
    /// Effective schemas of the references (`FILE#POINTER` markers) met in the old and the new
    /// snapshot, for judging `anyOf` restructures by what they accept.
    targets: [BTreeMap<String, Value>; 2],
}

/// Which snapshot a schema comes from, to look its references up.
#[derive(Clone, Copy)]
enum Side {
    Old = 0,
    New = 1,
}

const MIN_BOUNDS: [&str; 5] = [
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
];
const MAX_BOUNDS: [&str; 5] = [
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
];
const OTHER_CONSTRAINTS: [&str; 8] = [
    "pattern",
    "not",
    "uniqueItems",
    "multipleOf",
    "patternProperties",
    "propertyNames",
    "contains",
    "allOf",
];

impl Comparer {
    /// Records one change, its impact taken from the rules table.
    pub fn push(&mut self, at: &str, kind: ChangeKind, detail: impl Into<String>) {
        let (mut producers, mut consumers) = kind.impact();
        if self.flip {
            std::mem::swap(&mut producers, &mut consumers);
        }
        self.out.push(Change {
            location: at.to_string(),
            kind,
            detail: detail.into(),
            producers,
            consumers,
        });
    }

    /// Compares two effective schemas and everything below them.
    pub fn schema(&mut self, old: &Value, new: &Value, at: &str) {
        use ChangeKind as K;
        let (Value::Object(o), Value::Object(n)) = (old, new) else {
            if strip_annotations(old) != strip_annotations(new) {
                self.push(at, K::TypeChanged, format!("{old} -> {new}"));
            }
            return;
        };
        self.annotations(o, n, at);
        let (co, ao) = lift(o);
        let (cn, an) = lift(n);
        if ao.len() > 1 || an.len() > 1 {
            let start = self.out.len();
            self.alternatives((co, &ao), (cn, &an), at);
            self.judge_by_acceptance(old, new, start, at);
            return;
        }
        match (o.get("$ref"), n.get("$ref")) {
            (a, b) if a == b => {}
            (a, b) => self.push(
                at,
                K::ReferenceChanged,
                format!("reference {} -> {}", shown(a), shown(b)),
            ),
        }
        self.types(o, n, at);
        self.enums(o, n, at);
        self.formats(o, n, at);
        self.bounds(o, n, at);
        self.properties(o, n, at);
        self.additional(o, n, at);
        match (o.get("items"), n.get("items")) {
            (Some(a), Some(b)) => self.schema(a, b, &format!("{at}/items")),
            (None, None) => {}
            (None, Some(b)) => self.push(
                at,
                K::ConstraintAdded,
                format!("items must match {}", brief(b)),
            ),
            (Some(a), None) => self.push(
                at,
                K::ConstraintRemoved,
                format!("items no longer must match {}", brief(a)),
            ),
        }
    }

    fn annotations(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        if o.get("description") != n.get("description") {
            self.push(at, ChangeKind::DescriptionChanged, "description changed");
        }
        let deprecated = |m: &Map<String, Value>| m.get("deprecated") == Some(&Value::Bool(true));
        match (deprecated(o), deprecated(n)) {
            (false, true) => self.push(at, ChangeKind::DeprecationChanged, "deprecated"),
            (true, false) => self.push(at, ChangeKind::DeprecationChanged, "no longer deprecated"),
            _ => {}
        }
    }

    fn alternatives(&mut self, old: (&str, &[Value]), new: (&str, &[Value]), at: &str) {
        use ChangeKind as K;
        let ((co, ao), (cn, an)) = (old, new);
        let key = if cn.is_empty() { co } else { cn };
        if ao.len() > 1 && an.len() > 1 && co != cn {
            let kind = if cn == "oneOf" {
                K::ConstraintTightened
            } else {
                K::ConstraintLoosened
            };
            self.push(at, kind, format!("{co} -> {cn}"));
        }
        let so: Vec<Value> = ao.iter().map(strip_annotations).collect();
        let sn: Vec<Value> = an.iter().map(strip_annotations).collect();
        let mut used_old = vec![false; ao.len()];
        let mut used_new = vec![false; an.len()];
        let mut pairs = Vec::new();
        // Identical alternatives first, then the same reference, then what is left in order.
        for (j, b) in sn.iter().enumerate() {
            if let Some(i) = (0..so.len()).find(|&i| !used_old[i] && so[i] == *b) {
                used_old[i] = true;
                used_new[j] = true;
                pairs.push((i, j));
            }
        }
        for j in 0..an.len() {
            let Some(r) = an[j].get("$ref").filter(|_| !used_new[j]) else {
                continue;
            };
            if let Some(i) = (0..ao.len()).find(|&i| !used_old[i] && ao[i].get("$ref") == Some(r)) {
                used_old[i] = true;
                used_new[j] = true;
                pairs.push((i, j));
            }
        }
        // Inline alternatives (no reference) pair with inline ones, in order.
        for j in 0..an.len() {
            if used_new[j] || an[j].get("$ref").is_some() {
                continue;
            }
            if let Some(i) = (0..ao.len()).find(|&i| !used_old[i] && ao[i].get("$ref").is_none()) {
                used_old[i] = true;
                used_new[j] = true;
                pairs.push((i, j));
            }
        }
        let left_old: Vec<usize> = (0..ao.len()).filter(|&i| !used_old[i]).collect();
        let left_new: Vec<usize> = (0..an.len()).filter(|&j| !used_new[j]).collect();
        if left_old.len() == left_new.len() {
            pairs.extend(left_old.iter().copied().zip(left_new.iter().copied()));
        } else {
            for &j in &left_new {
                self.push(
                    &format!("{at}/{key}/{j}"),
                    K::AlternativeAdded,
                    format!("alternative {} added", brief(&an[j])),
                );
            }
            for &i in &left_old {
                let here = if ao.len() > 1 {
                    format!("{at}/{co}/{i}")
                } else {
                    at.to_string()
                };
                self.push(
                    &here,
                    K::AlternativeRemoved,
                    format!("alternative {} removed", brief(&ao[i])),
                );
            }
        }
        pairs.sort_by_key(|&(_, j)| j);
        for (i, j) in pairs {
            let here = if an.len() > 1 {
                format!("{at}/{key}/{j}")
            } else {
                at.to_string()
            };
            self.schema(&ao[i], &an[j], &here);
        }
    }

    /// Pairing alternatives by position and reference sees a restructure (an `anyOf` moved up or
    /// down a level, alternatives regrouped) as alternatives removed and added. What counts is
    /// what each side accepts: when the new schema accepts everything the old one did, the
    /// narrowing findings of the pairing (since `start`) are artefacts and go; when each accepts
    /// what the other does, the widening ones go too and one `restructured` finding says so.
    fn judge_by_acceptance(&mut self, old: &Value, new: &Value, start: usize, at: &str) {
        let wider = self.covers((new, Side::New), (old, Side::Old));
        if !wider {
            return;
        }
        let narrower = self.covers((old, Side::Old), (new, Side::New));
        let mut dropped = 0;
        let found: Vec<Change> = self.out.drain(start..).collect();
        for change in found {
            let (p, c) = change.kind.impact();
            let narrowing = p == Impact::Breaking && c != Impact::Breaking;
            let widening = c == Impact::Breaking && p != Impact::Breaking;
            if narrowing || (narrower && widening) {
                dropped += 1;
            } else {
                self.out.push(change);
            }
        }
        if narrower && dropped > 0 {
            self.push(
                at,
                ChangeKind::Restructured,
                "alternatives regrouped; the schema accepts the same values",
            );
        }
    }

    /// Whether every value `narrow` accepts is accepted by `wide`, as far as can be shown
    /// without enumerating values (false when unsure).
    fn covers(&self, wide: (&Value, Side), narrow: (&Value, Side)) -> bool {
        let (w, n) = (strip_annotations(wide.0), strip_annotations(narrow.0));
        if w == n {
            return true;
        }
        let (Value::Object(wm), Value::Object(nm)) = (&w, &n) else {
            return false;
        };
        let (wk, walts) = lift(wm);
        let (_, nalts) = lift(nm);
        if nalts.len() > 1 {
            return nalts
                .iter()
                .all(|b| self.covers((&w, wide.1), (b, narrow.1)));
        }
        if walts.len() > 1 {
            // `oneOf` accepts a value matching exactly one alternative, so only `anyOf` is a union.
            if wk != "anyOf" {
                return false;
            }
            if self.object_typed(&n, narrow.1) && walts.iter().any(|a| self.open(a, wide.1)) {
                return true;
            }
            return walts
                .iter()
                .any(|a| self.covers((a, wide.1), (&n, narrow.1)));
        }
        // Two plain schemas that differ only in `additionalProperties`.
        let rest = |m: &Map<String, Value>| {
            let mut m = m.clone();
            m.remove("additionalProperties");
            m
        };
        if rest(wm) != rest(nm) {
            return false;
        }
        match (
            wm.get("additionalProperties"),
            nm.get("additionalProperties"),
        ) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => self.covers((a, wide.1), (b, narrow.1)),
        }
    }

    /// Whether a schema accepts only objects.
    fn object_typed(&self, schema: &Value, side: Side) -> bool {
        let object = json_types(schema).is_some_and(|t| t == ["object"]);
        object
            || schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.targets[side as usize].get(r))
                .is_some_and(|t| json_types(t).is_some_and(|t| t == ["object"]))
    }

    /// Whether a schema is an open object: it requires no property, closes and bounds nothing,
    /// and only says what the properties it names must look like. It accepts every object that
    /// leaves those properties out; a facet file's schema, which names its facet's key, is one.
    /// An `anyOf` with such an alternative is counted as accepting any object (facet keys are
    /// optional), which is how a facet map offering facet files as alternatives reads.
    fn open(&self, schema: &Value, side: Side) -> bool {
        let Value::Object(m) = schema else {
            return false;
        };
        let object = |m: &Map<String, Value>| {
            m.get("type")
                .is_none_or(|t| t == &Value::from(vec!["object"]))
        };
        if !object(m) {
            return false;
        }
        match m.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                m.keys().all(|k| k == "$ref" || k == "type")
                    && self.targets[side as usize]
                        .get(r)
                        .is_some_and(|t| t.get("$ref").is_none() && self.open(t, side))
            }
            None => m.keys().all(|k| k == "type" || k == "properties"),
        }
    }

    /// Looks up the effective schema of every reference marker below `schemas`, for
    /// [`Comparer::covers`].
    fn learn_targets(&mut self, side: Side, eff: &Effective<'_>, schemas: &[&Value]) {
        let mut refs = BTreeSet::new();
        schemas.iter().for_each(|s| markers(s, &mut refs));
        for r in refs {
            let (file, pointer) = r.split_once('#').unwrap_or((r.as_str(), ""));
            if let Ok(target) = eff.at(file, pointer) {
                self.targets[side as usize].insert(r.clone(), strip_annotations(&target));
            }
        }
    }

    fn types(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        let set = |m: &Map<String, Value>| -> Option<BTreeSet<String>> {
            m.get("type").map(|t| {
                t.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
        };
        let (a, b) = (set(o), set(n));
        if a == b {
            return;
        }
        // `integer` is a kind of `number`; no `type` allows everything.
        let within = |x: &Option<BTreeSet<String>>, y: &Option<BTreeSet<String>>| match (x, y) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(x), Some(y)) => x
                .iter()
                .all(|t| y.contains(t) || (t == "integer" && y.contains("number"))),
        };
        let kind = match (within(&a, &b), within(&b, &a)) {
            (true, _) => ChangeKind::TypeWidened,
            (_, true) => ChangeKind::TypeNarrowed,
            _ => ChangeKind::TypeChanged,
        };
        let show = |s: &Option<BTreeSet<String>>| match s {
            None => "any".to_string(),
            Some(s) => s.iter().cloned().collect::<Vec<_>>().join("|"),
        };
        self.push(at, kind, format!("type {} -> {}", show(&a), show(&b)));
    }

    fn enums(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        use ChangeKind as K;
        let set = |m: &Map<String, Value>| -> Option<BTreeSet<String>> {
            m.get("enum").map(|e| {
                e.as_array()
                    .into_iter()
                    .flatten()
                    .map(Value::to_string)
                    .collect()
            })
        };
        match (set(o), set(n)) {
            (Some(a), Some(b)) => {
                let added: Vec<_> = b.difference(&a).cloned().collect();
                let removed: Vec<_> = a.difference(&b).cloned().collect();
                if !added.is_empty() {
                    self.push(
                        at,
                        K::EnumValuesAdded,
                        format!("enum gained {}", added.join(", ")),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        at,
                        K::EnumValuesRemoved,
                        format!("enum lost {}", removed.join(", ")),
                    );
                }
            }
            (None, Some(b)) => {
                self.push(at, K::ConstraintAdded, format!("enum {} added", join(&b)))
            }
            (Some(a), None) => self.push(
                at,
                K::ConstraintRemoved,
                format!("enum {} removed", join(&a)),
            ),
            (None, None) => {}
        }
        match (o.get("const"), n.get("const")) {
            (a, b) if a == b => {}
            (None, Some(b)) => self.push(at, K::ConstraintAdded, format!("const {b} added")),
            (Some(a), None) => self.push(at, K::ConstraintRemoved, format!("const {a} removed")),
            (a, b) => self.push(
                at,
                K::ConstraintChanged,
                format!("const {} -> {}", shown(a), shown(b)),
            ),
        }
    }

    fn formats(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        use ChangeKind as K;
        match (o.get("format"), n.get("format")) {
            (a, b) if a == b => {}
            (None, Some(f)) => self.push(at, K::FormatAdded, format!("format {f} added")),
            (Some(f), None) => self.push(at, K::FormatRemoved, format!("format {f} removed")),
            (a, b) => self.push(
                at,
                K::FormatChanged,
                format!("format {} -> {}", shown(a), shown(b)),
            ),
        }
    }

    fn bounds(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        use ChangeKind as K;
        for (keys, larger_is_stricter) in [(MIN_BOUNDS, true), (MAX_BOUNDS, false)] {
            for key in keys {
                match (o.get(key), n.get(key)) {
                    (a, b) if a == b => {}
                    (None, Some(b)) => {
                        self.push(at, K::ConstraintAdded, format!("`{key}` {b} added"))
                    }
                    (Some(a), None) => {
                        self.push(at, K::ConstraintRemoved, format!("`{key}` {a} removed"))
                    }
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        let grew = b.as_f64() > a.as_f64();
                        let kind = if grew == larger_is_stricter {
                            K::ConstraintTightened
                        } else {
                            K::ConstraintLoosened
                        };
                        self.push(at, kind, format!("`{key}` {a} -> {b}"));
                    }
                }
            }
        }
        for key in OTHER_CONSTRAINTS {
            let (a, b) = (
                o.get(key).map(strip_annotations),
                n.get(key).map(strip_annotations),
            );
            match (&a, &b) {
                _ if a == b => {}
                (None, Some(b)) => self.push(at, K::ConstraintAdded, format!("`{key}` {b} added")),
                (Some(a), None) => {
                    self.push(at, K::ConstraintRemoved, format!("`{key}` {a} removed"))
                }
                _ => self.push(
                    at,
                    K::ConstraintChanged,
                    format!("`{key}` {} -> {}", shown(a.as_ref()), shown(b.as_ref())),
                ),
            }
        }
    }

    fn properties(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        use ChangeKind as K;
        let empty = Map::new();
        let props =
            |m: &Map<String, Value>| m.get("properties").and_then(Value::as_object).cloned();
        let (po, pn) = (props(o).unwrap_or_default(), props(n).unwrap_or_default());
        let _ = &empty;
        let required = |m: &Map<String, Value>| -> BTreeSet<String> {
            m.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let (ro, rn) = (required(o), required(n));
        for name in rn.difference(&ro) {
            if po.contains_key(name) || !pn.contains_key(name) {
                self.push(at, K::RequiredAdded, format!("`{name}` became required"));
            }
        }
        for name in ro.difference(&rn) {
            if pn.contains_key(name) || !po.contains_key(name) {
                self.push(
                    at,
                    K::RequiredRemoved,
                    format!("`{name}` is no longer required"),
                );
            }
        }
        for (name, schema) in &pn {
            let here = format!("{at}/properties/{}", escape(name));
            match po.get(name) {
                Some(prev) => self.schema(prev, schema, &here),
                None if rn.contains(name) => self.push(
                    &here,
                    K::RequiredPropertyAdded,
                    format!("required property `{name}` ({}) added", brief(schema)),
                ),
                None => self.push(
                    &here,
                    K::OptionalPropertyAdded,
                    format!("optional property `{name}` ({}) added", brief(schema)),
                ),
            }
        }
        let closed = n.get("additionalProperties") == Some(&Value::Bool(false));
        for name in po.keys().filter(|k| !pn.contains_key(*k)) {
            let kind = if closed {
                K::PropertyRemovedFromClosedObject
            } else {
                K::PropertyRemoved
            };
            self.push(
                &format!("{at}/properties/{}", escape(name)),
                kind,
                format!("property `{name}` removed"),
            );
        }
    }

    fn additional(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, at: &str) {
        use ChangeKind as K;
        let f = Value::Bool(false);
        match (o.get("additionalProperties"), n.get("additionalProperties")) {
            (a, b) if a == b => {}
            (None, Some(b)) if *b == f => self.push(
                at,
                K::ConstraintAdded,
                "no other properties allowed (additionalProperties false)",
            ),
            (Some(a), None) if *a == f => self.push(
                at,
                K::ConstraintRemoved,
                "other properties allowed again (additionalProperties false dropped)",
            ),
            (None, Some(b)) => self.push(
                at,
                K::ConstraintAdded,
                format!("other properties must match {}", brief(b)),
            ),
            (Some(a), None) => self.push(
                at,
                K::ConstraintRemoved,
                format!("other properties no longer must match {}", brief(a)),
            ),
            (Some(a), Some(_)) if *a == f => self.push(
                at,
                K::ConstraintLoosened,
                "other properties allowed when they match a schema",
            ),
            (Some(_), Some(b)) if *b == f => self.push(
                at,
                K::ConstraintTightened,
                "no other properties allowed (additionalProperties false)",
            ),
            (Some(a), Some(b)) => self.schema(a, b, &format!("{at}/additionalProperties")),
            (None, None) => {}
        }
    }
}

/// The alternatives of a schema: `anyOf`/`oneOf` branches with the schema's other keywords
/// merged into each, or the schema itself.
fn lift(m: &Map<String, Value>) -> (&'static str, Vec<Value>) {
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(alts)) = m.get(key) {
            let mut base = m.clone();
            base.remove(key);
            for a in crate::effective::ANNOTATIONS {
                base.remove(a);
            }
            let alts = alts
                .iter()
                .map(|a| crate::effective::merge(a.clone(), Value::Object(base.clone())))
                .collect();
            return (key, alts);
        }
    }
    ("", vec![Value::Object(m.clone())])
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "(none)".to_string(), brief)
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// A short account of a schema: its reference, its type, or "schema".
fn brief(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return format!("`{}`", r.trim_end_matches('#'));
    }
    match v.get("type") {
        Some(Value::Array(t)) if !t.is_empty() => t
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("|"),
        _ => match v {
            Value::Object(_) => "schema".into(),
            other => other.to_string(),
        },
    }
}

/// The `type` names of a schema, if it has a `type`.
fn json_types(schema: &Value) -> Option<Vec<&str>> {
    match schema.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// Every `$ref` string below a schema.
fn markers(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => {
                        out.insert(r.to_string());
                    }
                    _ => markers(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| markers(x, out)),
        _ => {}
    }
}

/// Core-URL references in a raw schema, e.g. `1-0-2/OpenLineage.json#/$defs/RunFacet`.
fn core_urls(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) if r.contains("://") && r.contains("/OpenLineage.json") => {
                        out.insert(r.to_string());
                    }
                    _ => core_urls(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| core_urls(x, out)),
        _ => {}
    }
}

fn without_id(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("$id");
    }
    v
}

/// Compares the core schema: the root and every definition.
pub fn core(old: &Snapshot, new: &Snapshot) -> Result<Vec<Change>> {
    let (eo, en) = (Effective::new(old), Effective::new(new));
    let mut c = Comparer::default();
    let (root_old, root_new) = (eo.at(CORE, "")?, en.at(CORE, "")?);
    let defs = |s: &Snapshot| -> BTreeMap<String, String> {
        let doc = &s.files[CORE];
        ["$defs", "definitions"]
            .iter()
            .flat_map(|k| {
                doc.get(*k)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(move |(name, _)| (name.clone(), format!("/{k}/{name}")))
            })
            .collect()
    };
    let (d_old, d_new) = (defs(old), defs(new));
    let all = |e: &Effective<'_>, root: &Value, d: &BTreeMap<String, String>| -> Vec<Value> {
        let mut v = vec![root.clone()];
        v.extend(d.values().filter_map(|p| e.at(CORE, p).ok()));
        v
    };
    let (all_old, all_new) = (all(&eo, &root_old, &d_old), all(&en, &root_new, &d_new));
    c.learn_targets(Side::Old, &eo, &all_old.iter().collect::<Vec<_>>());
    c.learn_targets(Side::New, &en, &all_new.iter().collect::<Vec<_>>());
    c.schema(&root_old, &root_new, &format!("{CORE}#"));
    for (name, pointer) in &d_new {
        let at = format!("{CORE}#/$defs/{name}");
        match d_old.get(name) {
            None => c.push(
                &at,
                ChangeKind::DefinitionAdded,
                format!("definition `{name}` added"),
            ),
            Some(prev) => c.schema(&eo.at(CORE, prev)?, &en.at(CORE, pointer)?, &at),
        }
    }
    for name in d_old.keys().filter(|k| !d_new.contains_key(*k)) {
        c.push(
            &format!("{CORE}#/$defs/{name}"),
            ChangeKind::DefinitionRemoved,
            format!("definition `{name}` removed"),
        );
    }
    let (ro, rn) = (&old.files[CORE], &new.files[CORE]);
    finish_schema_file(CORE, ro, rn, c.out)
}

/// Compares one facet file (its path may differ when it moved but kept its `$id` path).
pub fn facet(
    old: &Snapshot,
    new: &Snapshot,
    old_file: &str,
    new_file: &str,
) -> Result<Vec<Change>> {
    let (ro, rn) = (&old.files[old_file], &new.files[new_file]);
    let mut eo = Effective::new(old).at(old_file, "")?;
    let en = Effective::new(new).at(new_file, "")?;
    let mut c = Comparer::default();
    // A facet key that changed name: the old key is gone and one new key holds the facet.
    let keys = |v: &Value| -> BTreeSet<String> {
        v.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (ko, kn) = (keys(&eo), keys(&en));
    let gone: Vec<&String> = ko.difference(&kn).collect();
    let came: Vec<&String> = kn.difference(&ko).collect();
    if let ([from], [to]) = (gone.as_slice(), came.as_slice()) {
        c.push(
            &format!("{new_file}#/properties/{}", escape(to)),
            ChangeKind::FacetKeyRenamed,
            format!("facet key `{from}` renamed to `{to}`"),
        );
        if let Some(Value::Object(props)) = eo.get_mut("properties") {
            if let Some(schema) = props.remove(*from) {
                props.insert((*to).clone(), schema);
            }
        }
        if let Some(Value::Array(req)) = eo.get_mut("required") {
            for r in req.iter_mut() {
                if r.as_str() == Some(from.as_str()) {
                    *r = Value::String((*to).clone());
                }
            }
        }
    }
    c.schema(&eo, &en, &format!("{new_file}#"));
    let (mut uo, mut un) = (BTreeSet::new(), BTreeSet::new());
    core_urls(ro, &mut uo);
    core_urls(rn, &mut un);
    let versions = |s: &BTreeSet<String>| -> BTreeSet<String> {
        s.iter()
            .map(|u| version_of(u.split('#').next().unwrap_or(u)))
            .collect()
    };
    if versions(&uo) != versions(&un) && !uo.is_empty() && !un.is_empty() {
        c.push(
            &format!("{new_file}#"),
            ChangeKind::ReferenceRetargeted,
            format!(
                "core references re-pointed {} -> {} (both resolve to this snapshot's core)",
                join(&versions(&uo)),
                join(&versions(&un))
            ),
        );
    }
    if old_file != new_file {
        c.push(
            &format!("{new_file}#"),
            ChangeKind::Restructured,
            format!("moved from {old_file}"),
        );
    }
    finish_schema_file(new_file, ro, rn, c.out)
}

/// Adds the `Restructured` note, the `$id` version change and the SchemaVer judgement.
fn finish_schema_file(
    file: &str,
    ro: &Value,
    rn: &Value,
    mut out: Vec<Change>,
) -> Result<Vec<Change>> {
    let raw_changed = without_id(ro) != without_id(rn);
    if raw_changed && out.is_empty() {
        out.push(Change::new(
            &format!("{file}#"),
            ChangeKind::Restructured,
            "rewritten without changing what events must satisfy",
        ));
    }
    let (vo, vn) = (version_of(id_of(ro)), version_of(id_of(rn)));
    if vo != vn {
        out.push(Change::new(
            &format!("{file}#/$id"),
            ChangeKind::VersionChanged,
            format!("{vo} -> {vn}"),
        ));
    }
    if let Some(problem) = bump_problem(&vo, &vn, raw_changed, &out) {
        out.push(Change::new(
            &format!("{file}#/$id"),
            ChangeKind::VersionBumpMismatch,
            problem,
        ));
    }
    Ok(out)
}

/// Why a SchemaVer bump does not fit the changes, if it does not.
pub fn bump_problem(old: &str, new: &str, raw_changed: bool, changes: &[Change]) -> Option<String> {
    let needed: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.kind.min_bump() >= Bump::Revision)
        .map(|c| c.kind.name())
        .collect();
    match bump(old, new) {
        Bump::Invalid => Some(format!("{old} -> {new} is not a SchemaVer increase")),
        Bump::None if raw_changed => Some(format!("schema changed but its version stayed {old}")),
        Bump::None => None,
        _ if !raw_changed => Some(format!("version bumped {old} -> {new} with no schema change")),
        Bump::Addition if !needed.is_empty() => Some(format!(
            "{old} -> {new} is an ADDITION bump, but {} may prevent interaction with historical data (needs REVISION or MODEL)",
            join(&needed)
        )),
        _ => None,
    }
}

/// Compares the OpenAPI documents: `info.version`, paths, operations, request and response
/// schemas.
pub fn openapi(old: &Snapshot, new: &Snapshot) -> Result<Vec<Change>> {
    use ChangeKind as K;
    let (o, n) = (&old.files[OPENAPI], &new.files[OPENAPI]);
    let (eo, en) = (Effective::new(old), Effective::new(new));
    let mut c = Comparer::default();
    let version = |v: &Value| {
        v.pointer("/info/version")
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    let (vo, vn) = (version(o), version(n));
    let paths = |v: &Value| {
        v.get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (po, pn) = (paths(o), paths(n));
    for (path, item) in &pn {
        let at = format!("{OPENAPI}#/paths/{}", escape(path));
        let Some(prev) = po.get(path) else {
            c.push(&at, K::OperationAdded, format!("path {path} added"));
            continue;
        };
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            let here = format!("{at}/{method}");
            let upper = method.to_uppercase();
            let (a, b) = (prev.get(method), item.get(method));
            let (a, b) = match (a, b) {
                (None, None) => continue,
                (None, Some(_)) => {
                    c.push(&here, K::OperationAdded, format!("{upper} {path} added"));
                    continue;
                }
                (Some(_), None) => {
                    c.push(
                        &here,
                        K::OperationRemoved,
                        format!("{upper} {path} removed"),
                    );
                    continue;
                }
                (Some(a), Some(b)) => (a, b),
            };
            let body = "/requestBody/content/application~1json/schema";
            if let (Some(x), Some(y)) = (a.pointer(body), b.pointer(body)) {
                c.schema(
                    &eo.of(OPENAPI, x)?,
                    &en.of(OPENAPI, y)?,
                    &format!("{here}/requestBody"),
                );
            }
            let responses = |v: &Value| {
                v.get("responses")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default()
            };
            let (ra, rb) = (responses(a), responses(b));
            for code in rb.keys().filter(|k| !ra.contains_key(*k)) {
                c.push(
                    &format!("{here}/responses/{code}"),
                    K::ResponseAdded,
                    format!("{upper} {path} may now answer {code}"),
                );
            }
            for code in ra.keys().filter(|k| !rb.contains_key(*k)) {
                c.push(
                    &format!("{here}/responses/{code}"),
                    K::ResponseRemoved,
                    format!("{upper} {path} no longer answers {code}"),
                );
            }
            let schema = "/content/application~1json/schema";
            for (code, resp) in &rb {
                if let (Some(x), Some(y)) = (
                    ra.get(code).and_then(|r| r.pointer(schema)),
                    resp.pointer(schema),
                ) {
                    // Servers write responses and clients read them.
                    c.flip = true;
                    c.schema(
                        &eo.of(OPENAPI, x)?,
                        &en.of(OPENAPI, y)?,
                        &format!("{here}/responses/{code}"),
                    );
                    c.flip = false;
                }
            }
        }
    }
    for path in po.keys().filter(|p| !pn.contains_key(*p)) {
        c.push(
            &format!("{OPENAPI}#/paths/{}", escape(path)),
            K::OperationRemoved,
            format!("path {path} removed"),
        );
    }
    let changed = c
        .out
        .iter()
        .any(|ch| ch.kind.impact().0 != Impact::Informational);
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    if vo != vn {
        c.push(
            &format!("{OPENAPI}#/info/version"),
            K::ApiVersionChanged,
            format!("API version {} -> {}", show(&vo), show(&vn)),
        );
    } else if changed {
        c.push(
            &format!("{OPENAPI}#/info/version"),
            K::VersionBumpMismatch,
            format!(
                "paths or schemas changed but info.version stayed {}",
                show(&vo)
            ),
        );
    }
    Ok(c.out)
}

/// Pairs facet files across two snapshots: by path, then by `$id` path for moved files.
pub fn pair_facets(
    old: &Snapshot,
    new: &Snapshot,
) -> (Vec<(String, String)>, Vec<String>, Vec<String>) {
    let fo: BTreeMap<&String, &Value> = old.facets().collect();
    let fnew: BTreeMap<&String, &Value> = new.facets().collect();
    let mut pairs: Vec<(String, String)> = fnew
        .keys()
        .filter(|k| fo.contains_key(*k))
        .map(|k| ((*k).clone(), (*k).clone()))
        .collect();
    let mut removed: Vec<String> = fo
        .keys()
        .filter(|k| !fnew.contains_key(*k))
        .map(|k| (*k).clone())
        .collect();
    let mut added = Vec::new();
    for (path, v) in &fnew {
        if fo.contains_key(*path) {
            continue;
        }
        let idp = id_path(id_of(v));
        match removed
            .iter()
            .position(|r| !idp.is_empty() && id_path(id_of(fo[r])) == idp)
        {
            Some(i) => pairs.push((removed.remove(i), (*path).clone())),
            None => added.push((*path).clone()),
        }
    }
    pairs.sort_by(|a, b| a.1.cmp(&b.1));
    (pairs, added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(old: Value, new: Value) -> Vec<ChangeKind> {
        let mut c = Comparer::default();
        c.schema(&old, &new, "x");
        c.out.into_iter().map(|c| c.kind).collect()
    }

    #[test]
    fn regrouped_alternatives_that_accept_the_same_are_a_restructure() {
        let (s, i, b) = (
            json!({"type": "string"}),
            json!({"type": "integer"}),
            json!({"type": "boolean"}),
        );
        let old = json!({"anyOf": [s, i, b]});
        let new = json!({"anyOf": [{"anyOf": [s, i]}, b]});
        assert_eq!(kinds(old.clone(), new.clone()), [ChangeKind::Restructured]);
        assert_eq!(kinds(new, old), [ChangeKind::Restructured]);
    }

    #[test]
    fn an_open_alternative_makes_a_regrouped_facet_map_wider_not_narrower() {
        let facet = json!({"type": ["object"], "required": ["_producer"]});
        let old = json!({"type": ["object"], "additionalProperties": {"anyOf": [facet, {"type": ["object"]}]}});
        let new = json!({"type": ["object"], "anyOf": [
            {"additionalProperties": facet},
            {"properties": {"sql": {"type": ["string"]}}}
        ]});
        let found = kinds(old.clone(), new.clone());
        assert!(
            !found.contains(&ChangeKind::AlternativeRemoved),
            "{found:?}"
        );
        assert!(found.contains(&ChangeKind::AlternativeAdded), "{found:?}");
        // The other way round it narrows, and says so.
        let back = kinds(new, old);
        assert!(back.contains(&ChangeKind::AlternativeRemoved), "{back:?}");
    }

    #[test]
    fn a_removed_alternative_still_narrows() {
        let old = json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]});
        let new = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(kinds(old, new), [ChangeKind::AlternativeRemoved]);
    }
}
