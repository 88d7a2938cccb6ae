//! One case per row of the rules table: a minimal pair of snapshots that makes exactly that
//! change, and the impact and SchemaVer judgement the table gives it.

use std::collections::BTreeMap;

use openlineage_spec_diff::{diff, Bump, ChangeKind, Impact, Snapshot};
use serde_json::{json, Value};

const CORE_ID: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json";

fn snapshot(core_defs: Value, facets: &[(&str, Value)], openapi: Value) -> Snapshot {
    let mut files = BTreeMap::new();
    let mut defs = json!({
        "RunFacet": {"type": "object", "properties": {"_producer": {"type": "string"}}},
        "Other": {"type": "object"}
    });
    for (k, v) in core_defs.as_object().into_iter().flatten() {
        defs[k] = v.clone();
    }
    files.insert(
        "OpenLineage.json".into(),
        json!({"$id": CORE_ID, "$defs": defs}),
    );
    files.insert("OpenLineage.yml".into(), openapi);
    for (path, v) in facets {
        files.insert((*path).to_string(), v.clone());
    }
    Snapshot {
        dir: "mem".into(),
        files,
    }
}

fn api(version: &str, codes: &[&str]) -> Value {
    let responses: serde_json::Map<String, Value> = codes
        .iter()
        .map(|c| ((*c).to_string(), json!({"description": "x"})))
        .collect();
    json!({"info": {"version": version}, "paths": {"/lineage": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "OpenLineage.json#/$defs/RunFacet"}}}},
        "responses": responses}}}})
}

/// A facet file whose facet (key `key`, version `v`) extends the core RunFacet with `schema`.
fn facet(v: &str, key: &str, schema: Value) -> Value {
    json!({
        "$id": format!("https://openlineage.io/spec/facets/{v}/F.json"),
        "$defs": {"F": {"allOf": [
            {"$ref": "https://openlineage.io/spec/1-0-2/OpenLineage.json#/$defs/RunFacet"},
            schema
        ]}},
        "properties": {key: {"$ref": "#/$defs/F"}}
    })
}

/// The kinds found when the facet's own schema goes from `old` to `new` under a MODEL bump (so
/// no SchemaVer flag gets in the way), with their impacts.
fn facet_kinds(old: Value, new: Value) -> Vec<(ChangeKind, Impact, Impact)> {
    let a = snapshot(
        json!({}),
        &[("facets/F.json", facet("1-0-0", "f", old))],
        api("1", &["200"]),
    );
    let b = snapshot(
        json!({}),
        &[("facets/F.json", facet("2-0-0", "f", new))],
        api("1", &["200"]),
    );
    kinds(&a, &b)
}

fn kinds(a: &Snapshot, b: &Snapshot) -> Vec<(ChangeKind, Impact, Impact)> {
    diff(a, b, "a", "b")
        .expect("diff")
        .changes
        .into_iter()
        .filter(|c| c.kind != ChangeKind::VersionChanged)
        .map(|c| (c.kind, c.producers, c.consumers))
        .collect()
}

use ChangeKind as K;
use Impact::{Breaking as B, Compatible as C, Informational as I};

/// The rules table, written out here rather than read from the code it checks: (kind, impact on
/// producers, impact on consumers, smallest SchemaVer bump), in the order of `ChangeKind::ALL`.
const EXPECTED: &[(ChangeKind, Impact, Impact, Bump)] = &[
    (K::FacetAdded, C, C, Bump::Addition),
    (K::FacetRemoved, C, B, Bump::Revision),
    (K::FacetKeyRenamed, B, B, Bump::Revision),
    (K::DefinitionAdded, C, C, Bump::Addition),
    (K::DefinitionRemoved, C, B, Bump::Revision),
    (K::OptionalPropertyAdded, C, C, Bump::Addition),
    (K::RequiredPropertyAdded, B, C, Bump::Revision),
    (K::PropertyRemoved, C, B, Bump::Revision),
    (K::PropertyRemovedFromClosedObject, B, B, Bump::Revision),
    (K::RequiredAdded, B, C, Bump::Revision),
    (K::RequiredRemoved, C, B, Bump::Addition),
    (K::TypeWidened, C, B, Bump::Addition),
    (K::TypeNarrowed, B, C, Bump::Revision),
    (K::TypeChanged, B, B, Bump::Revision),
    (K::EnumValuesAdded, C, B, Bump::Addition),
    (K::EnumValuesRemoved, B, C, Bump::Revision),
    (K::AlternativeAdded, C, B, Bump::Addition),
    (K::AlternativeRemoved, B, C, Bump::Revision),
    (K::FormatAdded, B, C, Bump::Revision),
    (K::FormatRemoved, C, B, Bump::Addition),
    (K::FormatChanged, B, B, Bump::Revision),
    (K::ConstraintAdded, B, C, Bump::Revision),
    (K::ConstraintRemoved, C, B, Bump::Addition),
    (K::ConstraintTightened, B, C, Bump::Revision),
    (K::ConstraintLoosened, C, B, Bump::Addition),
    (K::ConstraintChanged, B, B, Bump::Revision),
    (K::ReferenceChanged, B, B, Bump::Revision),
    (K::ReferenceRetargeted, I, I, Bump::None),
    (K::Restructured, I, I, Bump::None),
    (K::DescriptionChanged, I, I, Bump::None),
    (K::DeprecationChanged, I, I, Bump::None),
    (K::VersionChanged, I, I, Bump::None),
    (K::ApiVersionChanged, I, I, Bump::None),
    (K::OperationAdded, C, C, Bump::Addition),
    (K::OperationRemoved, B, C, Bump::Revision),
    (K::ResponseAdded, B, C, Bump::Revision),
    (K::ResponseRemoved, C, B, Bump::Revision),
    (K::VersionBumpMismatch, I, I, Bump::None),
];

/// Each kind's row in [`EXPECTED`]. The match names every variant with no wildcard, so a new
/// `ChangeKind` does not compile here until it is given a row.
fn row(kind: ChangeKind) -> usize {
    match kind {
        K::FacetAdded => 0,
        K::FacetRemoved => 1,
        K::FacetKeyRenamed => 2,
        K::DefinitionAdded => 3,
        K::DefinitionRemoved => 4,
        K::OptionalPropertyAdded => 5,
        K::RequiredPropertyAdded => 6,
        K::PropertyRemoved => 7,
        K::PropertyRemovedFromClosedObject => 8,
        K::RequiredAdded => 9,
        K::RequiredRemoved => 10,
        K::TypeWidened => 11,
        K::TypeNarrowed => 12,
        K::TypeChanged => 13,
        K::EnumValuesAdded => 14,
        K::EnumValuesRemoved => 15,
        K::AlternativeAdded => 16,
        K::AlternativeRemoved => 17,
        K::FormatAdded => 18,
        K::FormatRemoved => 19,
        K::FormatChanged => 20,
        K::ConstraintAdded => 21,
        K::ConstraintRemoved => 22,
        K::ConstraintTightened => 23,
        K::ConstraintLoosened => 24,
        K::ConstraintChanged => 25,
        K::ReferenceChanged => 26,
        K::ReferenceRetargeted => 27,
        K::Restructured => 28,
        K::DescriptionChanged => 29,
        K::DeprecationChanged => 30,
        K::VersionChanged => 31,
        K::ApiVersionChanged => 32,
        K::OperationAdded => 33,
        K::OperationRemoved => 34,
        K::ResponseAdded => 35,
        K::ResponseRemoved => 36,
        K::VersionBumpMismatch => 37,
    }
}

/// The expected (producers, consumers) impact of `kind`, from the table above.
fn expected_impact(kind: ChangeKind) -> (Impact, Impact) {
    let (k, p, c, _) = EXPECTED[row(kind)];
    assert_eq!(k, kind, "EXPECTED is out of order at {kind:?}");
    (p, c)
}

#[test]
fn the_rules_table_is_as_written_and_complete() {
    assert_eq!(ChangeKind::ALL.len(), EXPECTED.len());
    for (i, (kind, producers, consumers, bump)) in EXPECTED.iter().enumerate() {
        assert_eq!(row(*kind), i, "{kind:?}");
        assert_eq!(ChangeKind::ALL[i], *kind, "ChangeKind::ALL[{i}]");
        assert_eq!(kind.impact(), (*producers, *consumers), "{kind:?}");
        assert_eq!(kind.min_bump(), *bump, "{kind:?}");
    }
}

fn obj(props: Value) -> Value {
    json!({"type": "object", "properties": props})
}

#[test]
fn schema_rows() {
    let s = json!({"type": "string"});
    let cases: Vec<(ChangeKind, Value, Value)> = vec![
        (
            K::OptionalPropertyAdded,
            obj(json!({})),
            obj(json!({"a": s})),
        ),
        (
            K::RequiredPropertyAdded,
            obj(json!({})),
            json!({"type": "object", "properties": {"a": s}, "required": ["a"]}),
        ),
        (K::PropertyRemoved, obj(json!({"a": s})), obj(json!({}))),
        (
            K::PropertyRemovedFromClosedObject,
            json!({"properties": {"a": s, "b": s}, "additionalProperties": false}),
            json!({"properties": {"b": s}, "additionalProperties": false}),
        ),
        (
            K::RequiredAdded,
            obj(json!({"a": s})),
            json!({"type": "object", "properties": {"a": s}, "required": ["a"]}),
        ),
        (
            K::RequiredRemoved,
            json!({"type": "object", "properties": {"a": s}, "required": ["a"]}),
            obj(json!({"a": s})),
        ),
        (
            K::TypeWidened,
            obj(json!({"a": {"type": "integer"}})),
            obj(json!({"a": {"type": "number"}})),
        ),
        (
            K::TypeNarrowed,
            obj(json!({"a": {"type": ["string", "null"]}})),
            obj(json!({"a": s})),
        ),
        (
            K::TypeChanged,
            obj(json!({"a": s})),
            obj(json!({"a": {"type": "integer"}})),
        ),
        (
            K::EnumValuesAdded,
            obj(json!({"a": {"enum": ["X"]}})),
            obj(json!({"a": {"enum": ["X", "Y"]}})),
        ),
        (
            K::EnumValuesRemoved,
            obj(json!({"a": {"enum": ["X", "Y"]}})),
            obj(json!({"a": {"enum": ["X"]}})),
        ),
        (
            K::AlternativeAdded,
            obj(json!({"a": s})),
            obj(json!({"a": {"anyOf": [s, {"type": "integer"}]}})),
        ),
        (
            K::AlternativeRemoved,
            obj(json!({"a": {"anyOf": [s, {"type": "integer"}]}})),
            obj(json!({"a": s})),
        ),
        (
            K::FormatAdded,
            obj(json!({"a": s})),
            obj(json!({"a": {"type": "string", "format": "uri"}})),
        ),
        (
            K::FormatRemoved,
            obj(json!({"a": {"type": "string", "format": "uri"}})),
            obj(json!({"a": s})),
        ),
        (
            K::FormatChanged,
            obj(json!({"a": {"type": "string", "format": "uri"}})),
            obj(json!({"a": {"type": "string", "format": "uuid"}})),
        ),
        (
            K::ConstraintAdded,
            obj(json!({"a": s})),
            obj(json!({"a": {"type": "string", "pattern": "^x"}})),
        ),
        (
            K::ConstraintRemoved,
            obj(json!({"a": {"type": "string", "minLength": 1}})),
            obj(json!({"a": s})),
        ),
        (
            K::ConstraintTightened,
            obj(json!({"a": {"type": "string", "maxLength": 9}})),
            obj(json!({"a": {"type": "string", "maxLength": 3}})),
        ),
        (
            K::ConstraintLoosened,
            obj(json!({"a": {"type": "integer", "minimum": 3}})),
            obj(json!({"a": {"type": "integer", "minimum": 0}})),
        ),
        (
            K::ConstraintChanged,
            obj(json!({"a": {"type": "string", "pattern": "^x"}})),
            obj(json!({"a": {"type": "string", "pattern": "^y"}})),
        ),
        (
            K::ReferenceChanged,
            obj(
                json!({"a": {"$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"}}),
            ),
            obj(
                json!({"a": {"$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/Other"}}),
            ),
        ),
        (
            K::DescriptionChanged,
            obj(json!({"a": {"type": "string", "description": "x"}})),
            obj(json!({"a": {"type": "string", "description": "y"}})),
        ),
        (
            K::DeprecationChanged,
            obj(json!({"a": s})),
            obj(json!({"a": {"type": "string", "deprecated": true}})),
        ),
    ];
    for (kind, old, new) in cases {
        let found = facet_kinds(old, new);
        let (p, c) = expected_impact(kind);
        assert_eq!(found, [(kind, p, c)], "{kind:?}");
    }
}

#[test]
fn impacts_follow_narrowing_and_widening() {
    assert_eq!(K::RequiredAdded.impact(), (B, C));
    assert_eq!(K::AlternativeAdded.impact(), (C, B));
    assert_eq!(K::FacetKeyRenamed.impact(), (B, B));
    assert_eq!(K::DeprecationChanged.impact(), (I, I));
    // Every row has a SchemaVer judgement and appears in the README table.
    let table = openlineage_spec_diff::rules_markdown();
    for kind in ChangeKind::ALL {
        assert!(
            table.contains(&format!("| `{}` |", kind.name())),
            "{kind:?}"
        );
    }
}

#[test]
fn file_rows() {
    let base = facet("1-0-0", "f", obj(json!({})));
    let none = snapshot(json!({}), &[], api("1", &["200"]));
    let one = snapshot(
        json!({}),
        &[("facets/F.json", base.clone())],
        api("1", &["200"]),
    );
    assert_eq!(kinds(&none, &one), [(K::FacetAdded, C, C)]);
    assert_eq!(kinds(&one, &none), [(K::FacetRemoved, C, B)]);

    // A renamed key breaks both sides, and an ADDITION bump cannot carry it.
    let renamed = snapshot(
        json!({}),
        &[("facets/F.json", facet("1-0-1", "g", obj(json!({}))))],
        api("1", &["200"]),
    );
    assert_eq!(
        kinds(&one, &renamed),
        [(K::FacetKeyRenamed, B, B), (K::VersionBumpMismatch, I, I)]
    );
    let revised = snapshot(
        json!({}),
        &[("facets/F.json", facet("1-1-0", "g", obj(json!({}))))],
        api("1", &["200"]),
    );
    assert_eq!(kinds(&one, &revised), [(K::FacetKeyRenamed, B, B)]);

    // Definitions of the core.
    let with_def = snapshot(json!({"X": {"type": "string"}}), &[], api("1", &["200"]));
    assert_eq!(kinds(&none, &with_def)[0], (K::DefinitionAdded, C, C));
    assert_eq!(kinds(&with_def, &none)[0], (K::DefinitionRemoved, C, B));

    // Re-pointing the base at another core version, or moving the facet's schema inline, is no
    // change to events; the ADDITION bump that came with it is fine.
    let mut moved = json!({
        "$id": "https://openlineage.io/spec/facets/1-0-1/F.json",
        "properties": {"f": {"allOf": [
            {"$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"},
            obj(json!({}))
        ]}}
    });
    let moved_snap = snapshot(
        json!({}),
        &[("facets/F.json", moved.clone())],
        api("1", &["200"]),
    );
    assert_eq!(kinds(&one, &moved_snap), [(K::ReferenceRetargeted, I, I)]);
    moved["properties"]["f"]["allOf"][0]["$ref"] =
        "https://openlineage.io/spec/1-0-2/OpenLineage.json#/$defs/RunFacet".into();
    let moved_snap = snapshot(json!({}), &[("facets/F.json", moved)], api("1", &["200"]));
    assert_eq!(kinds(&one, &moved_snap), [(K::Restructured, I, I)]);

    // A bump with no change, and a change with no bump, are flagged.
    let bumped = snapshot(
        json!({}),
        &[("facets/F.json", facet("1-0-1", "f", obj(json!({}))))],
        api("1", &["200"]),
    );
    assert_eq!(kinds(&one, &bumped), [(K::VersionBumpMismatch, I, I)]);
    let unbumped = snapshot(
        json!({}),
        &[("facets/F.json", facet("1-0-0", "f", obj(json!({"a": {}}))))],
        api("1", &["200"]),
    );
    assert_eq!(
        kinds(&one, &unbumped),
        [
            (K::OptionalPropertyAdded, C, C),
            (K::VersionBumpMismatch, I, I)
        ]
    );
}

#[test]
fn openapi_rows() {
    let a = snapshot(json!({}), &[], api("1", &["200"]));
    let b = snapshot(json!({}), &[], api("2", &["200", "400"]));
    assert_eq!(
        kinds(&a, &b),
        [(K::ResponseAdded, B, C), (K::ApiVersionChanged, I, I)]
    );
    assert_eq!(
        kinds(&b, &a),
        [(K::ResponseRemoved, C, B), (K::ApiVersionChanged, I, I)]
    );
    // A change without a new info.version is flagged.
    let c = snapshot(json!({}), &[], api("1", &["200", "400"]));
    assert_eq!(
        kinds(&a, &c),
        [(K::ResponseAdded, B, C), (K::VersionBumpMismatch, I, I)]
    );
    let mut more = api("2", &["200"]);
    more["paths"]["/lineage/batch"] = more["paths"]["/lineage"].clone();
    let d = snapshot(json!({}), &[], more);
    assert_eq!(
        kinds(&a, &d),
        [(K::OperationAdded, C, C), (K::ApiVersionChanged, I, I)]
    );
    assert_eq!(
        kinds(&d, &a),
        [(K::OperationRemoved, B, C), (K::ApiVersionChanged, I, I)]
    );
}

#[test]
fn response_schemas_swap_the_roles() {
    let with_schema = |required: Value| {
        let mut doc = api("1", &["200"]);
        doc["paths"]["/lineage"]["post"]["responses"]["200"]["content"] = json!({"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}, "required": required}}});
        snapshot(json!({}), &[], doc)
    };
    // The server writes the answer: a newly required field breaks servers, not clients.
    let found = kinds(&with_schema(json!([])), &with_schema(json!(["status"])));
    assert_eq!(found[0], (K::RequiredAdded, C, B));
}
