//! Per-event checks beyond schema validation: the event's `schemaURL`, each facet's
//! `_schemaURL`, and dataset names against the naming conventions.

use openlineage_types::{EventKind, FacetKind, CORE_SCHEMA_VERSION};
use serde_json::Value;

/// Every core schema version published: the `$id`s of the spec snapshots (1-0-3 to 2-0-2) and
/// the versions their documents and facet schemas refer to (1-0-0 to 1-0-2). A spec upgrade
/// that publishes a new core version adds it here (a unit test checks the pinned one is listed).
pub const CORE_VERSIONS: &[&str] = &[
    "1-0-0", "1-0-1", "1-0-2", "1-0-3", "1-0-4", "1-0-5", "2-0-0", "2-0-1", "2-0-2",
];

/// A SchemaVer version, `MODEL-REVISION-ADDITION`.
pub type SchemaVer = (u32, u32, u32);

/// Parses `M-R-A`.
pub fn schema_ver(text: &str) -> Option<SchemaVer> {
    let mut parts = text.split('-').map(|p| {
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    });
    let v = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(v)
}

/// What a schema URL check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlVerdict {
    /// Canonical, at a version this build knows.
    Ok,
    /// Well formed, at a version newer than the pinned spec's: not checkable here.
    Newer(String),
    /// Wrong: the message says why.
    Wrong(String),
}

const CORE_PREFIX: &str = "https://openlineage.io/spec/";
const CORE_FILE: &str = "/OpenLineage.json";

/// Splits a core schema URL into its version and fragment definition name, accepting the
/// `#/definitions/` form of the 1-x schemas (as the spec's own example does).
fn core_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix(CORE_PREFIX)?;
    let (version, rest) = rest.split_once(CORE_FILE)?;
    let fragment = rest.strip_prefix('#')?;
    let def = match fragment.strip_prefix("/$defs/") {
        Some(def) => def,
        None if version.starts_with("1-") => fragment.strip_prefix("/definitions/")?,
        None => return None,
    };
    Some((version, def))
}

fn newer_than(version: SchemaVer, pinned: &str) -> bool {
    schema_ver(pinned).is_some_and(|p| version > p)
}

/// Checks an event's `schemaURL` against its kind.
pub fn check_event_schema_url(url: &str, kind: EventKind) -> UrlVerdict {
    let Some((version, def)) = core_url(url) else {
        return UrlVerdict::Wrong(format!(
            "schemaURL `{url}` is not `{CORE_PREFIX}<version>{CORE_FILE}#/$defs/{kind}`"
        ));
    };
    let Some(parsed) = schema_ver(version) else {
        return UrlVerdict::Wrong(format!(
            "schemaURL `{url}` has no SchemaVer version (`MODEL-REVISION-ADDITION`)"
        ));
    };
    if def != kind.def_name() {
        return UrlVerdict::Wrong(format!(
            "schemaURL `{url}` names `{def}`, but the event is a {kind}"
        ));
    }
    if !CORE_VERSIONS.contains(&version) {
        if newer_than(parsed, CORE_SCHEMA_VERSION) {
            return UrlVerdict::Newer(format!(
                "schemaURL `{url}` names core version {version}, newer than the pinned {CORE_SCHEMA_VERSION}"
            ));
        }
        return UrlVerdict::Wrong(format!(
            "schemaURL `{url}` names core version {version}, which was never published"
        ));
    }
    // DatasetEvent and JobEvent first appear in core 2-0-0.
    if kind != EventKind::Run && parsed < (2, 0, 0) {
        return UrlVerdict::Wrong(format!(
            "schemaURL `{url}`: core {version} has no {kind} (it first appears in 2-0-0)"
        ));
    }
    UrlVerdict::Ok
}

/// Checks one facet's `_schemaURL`: the canonical URL of the facet's schema (the pinned `$id`
/// with any version), or the pre-1.0 form inside the core schema; a version newer than the
/// pinned one is not checkable here.
pub fn check_facet_schema_url(url: &str, info: &openlineage_types::FacetInfo) -> UrlVerdict {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    // Facets that used to live in the core schema point into it.
    if let Some((version, def)) = core_url(url) {
        if def.eq_ignore_ascii_case(info.rust_type) && CORE_VERSIONS.contains(&version) {
            return UrlVerdict::Ok;
        }
    }
    let expected = format!("{}#/$defs/<name>", info.schema_id);
    let Some((prefix, suffix)) = info.schema_id.split_once(info.version) else {
        return UrlVerdict::Ok;
    };
    let version = base
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix));
    let Some(parsed) = version.and_then(schema_ver) else {
        return UrlVerdict::Wrong(format!(
            "facet `{}` has _schemaURL `{url}`, not the canonical URL of its schema ({expected}, any version)",
            info.key
        ));
    };
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        let def = fragment.strip_prefix("/$defs/").unwrap_or(fragment);
        let stem = suffix
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".json"))
            .unwrap_or("");
        if def != stem {
            return UrlVerdict::Wrong(format!(
                "facet `{}` has _schemaURL `{url}`, whose fragment does not name `#/$defs/{stem}`",
                info.key
            ));
        }
    }
    if newer_than(parsed, info.version) {
        return UrlVerdict::Newer(format!(
            "facet `{}` names schema version {} in `{url}`, newer than the pinned {}",
            info.key,
            version.unwrap_or_default(),
            info.version
        ));
    }
    UrlVerdict::Ok
}

/// A facet map, its kind and JSON pointer.
pub type FacetMap<'a> = (String, FacetKind, &'a serde_json::Map<String, Value>);

/// Every facet map of an event, with its kind and JSON pointer.
pub fn facet_maps(event: &Value) -> Vec<FacetMap<'_>> {
    fn push<'a>(
        out: &mut Vec<FacetMap<'a>>,
        pointer: String,
        kind: FacetKind,
        map: Option<&'a Value>,
    ) {
        if let Some(map) = map.and_then(Value::as_object) {
            out.push((pointer, kind, map));
        }
    }
    let mut out = Vec::new();
    push(
        &mut out,
        "/run/facets".into(),
        FacetKind::Run,
        event.pointer("/run/facets"),
    );
    push(
        &mut out,
        "/job/facets".into(),
        FacetKind::Job,
        event.pointer("/job/facets"),
    );
    push(
        &mut out,
        "/dataset/facets".into(),
        FacetKind::Dataset,
        event.pointer("/dataset/facets"),
    );
    for (list, own, own_kind) in [
        ("inputs", "inputFacets", FacetKind::InputDataset),
        ("outputs", "outputFacets", FacetKind::OutputDataset),
    ] {
        let items = event.get(list).and_then(Value::as_array);
        for (i, ds) in items.into_iter().flatten().enumerate() {
            push(
                &mut out,
                format!("/{list}/{i}/facets"),
                FacetKind::Dataset,
                ds.get("facets"),
            );
            push(
                &mut out,
                format!("/{list}/{i}/{own}"),
                own_kind,
                ds.get(own),
            );
        }
    }
    out
}

/// The datasets an event names, with their JSON pointers: `(pointer, namespace, name)`.
pub fn datasets(event: &Value) -> Vec<(String, &str, &str)> {
    fn push<'a>(out: &mut Vec<(String, &'a str, &'a str)>, pointer: String, ds: &'a Value) {
        if let (Some(ns), Some(name)) = (
            ds.get("namespace").and_then(Value::as_str),
            ds.get("name").and_then(Value::as_str),
        ) {
            out.push((pointer, ns, name));
        }
    }
    let mut out = Vec::new();
    if let Some(ds) = event.get("dataset") {
        push(&mut out, "/dataset".into(), ds);
    }
    for list in ["inputs", "outputs"] {
        let items = event.get(list).and_then(Value::as_array);
        for (i, ds) in items.into_iter().flatten().enumerate() {
            push(&mut out, format!("/{list}/{i}"), ds);
        }
    }
    out
}

/// How a scheme's namespace is formed.
#[derive(Debug, Clone, Copy)]
enum Authority {
    /// `scheme://{host}:{port}`.
    HostPort,
    /// `scheme://{authority}`, any non-empty authority without a path.
    Any,
    /// Exactly the scheme name, as BigQuery's `bigquery`.
    Bare,
}

/// The schemes the naming conventions define precisely enough to check: how the namespace is
/// formed and how many dot-separated parts the name has (0: a path, any shape).
const SCHEMES: &[(&str, Authority, usize)] = &[
    ("awsathena", Authority::Any, 3),
    ("bigquery", Authority::Bare, 3),
    ("cassandra", Authority::HostPort, 2),
    ("mysql", Authority::HostPort, 2),
    ("postgres", Authority::HostPort, 3),
    ("redshift", Authority::HostPort, 3),
    ("snowflake", Authority::Any, 3),
    ("trino", Authority::HostPort, 3),
    ("abfss", Authority::Any, 0),
    ("gs", Authority::Any, 0),
    ("hdfs", Authority::Any, 0),
    ("kafka", Authority::HostPort, 0),
    ("s3", Authority::Any, 0),
    ("wasbs", Authority::Any, 0),
];

/// Checks a dataset identity against the naming conventions of its scheme; `None` when it
/// follows them or its scheme is not one they define.
pub fn check_dataset_name(namespace: &str, name: &str) -> Option<String> {
    let (scheme, authority) = match namespace.split_once("://") {
        Some((s, a)) => (s, Some(a)),
        None => (namespace, None),
    };
    let Some(&(_, shape, parts)) = SCHEMES.iter().find(|(s, _, _)| *s == scheme) else {
        // A namespace with no scheme at all (`dlt-probe`) follows no convention. The bare
        // `file` namespace is left alone: real producers send it and the texts disagree.
        return (authority.is_none() && scheme != "file").then(|| {
            format!(
                "dataset namespace `{namespace}` has no scheme; Naming.md asks for `{{scheme}}://{{authority}}`"
            )
        });
    };
    let namespace_ok = match (shape, authority) {
        (Authority::Bare, None) => true,
        (Authority::Bare, Some(_)) | (_, None) => false,
        (Authority::Any, Some(a)) => !a.is_empty() && !a.contains('/'),
        (Authority::HostPort, Some(a)) => a.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty()
                && !host.contains('/')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
        }),
    };
    if !namespace_ok {
        let form = match shape {
            Authority::Bare => scheme.to_string(),
            Authority::Any => format!("{scheme}://{{authority}}, without a path"),
            Authority::HostPort => format!("{scheme}://{{host}}:{{port}}"),
        };
        return Some(format!(
            "dataset namespace `{namespace}` is not of the form `{form}`"
        ));
    }
    if name.is_empty() {
        return Some(format!("dataset in `{namespace}` has an empty name"));
    }
    if parts > 0 {
        let found = name.split('.').collect::<Vec<_>>();
        if found.len() != parts || found.iter().any(|p| p.is_empty()) {
            return Some(format!(
                "dataset name `{name}` in `{namespace}` has {} dot-separated parts; {scheme} names have {parts}",
                found.len()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_core_version_is_listed_as_published() {
        assert!(CORE_VERSIONS.contains(&CORE_SCHEMA_VERSION));
    }

    #[test]
    fn event_schema_urls() {
        let url = |v: &str, def: &str| {
            format!("https://openlineage.io/spec/{v}/OpenLineage.json#/$defs/{def}")
        };
        assert_eq!(
            check_event_schema_url(&url("2-0-2", "RunEvent"), EventKind::Run),
            UrlVerdict::Ok
        );
        assert_eq!(
            check_event_schema_url(
                "https://openlineage.io/spec/1-0-0/OpenLineage.json#/definitions/RunEvent",
                EventKind::Run
            ),
            UrlVerdict::Ok
        );
        assert!(matches!(
            check_event_schema_url(&url("2-0-2", "RunEvent"), EventKind::Job),
            UrlVerdict::Wrong(_)
        ));
        assert!(matches!(
            check_event_schema_url(&url("1-0-5", "JobEvent"), EventKind::Job),
            UrlVerdict::Wrong(_)
        ));
        assert!(matches!(
            check_event_schema_url(&url("1-0-9", "RunEvent"), EventKind::Run),
            UrlVerdict::Wrong(_)
        ));
        assert!(matches!(
            check_event_schema_url(&url("3-0-0", "RunEvent"), EventKind::Run),
            UrlVerdict::Newer(_)
        ));
        assert!(matches!(
            check_event_schema_url("https://example.com/x.json", EventKind::Run),
            UrlVerdict::Wrong(_)
        ));
        assert!(matches!(
            check_event_schema_url(
                "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
                EventKind::Run
            ),
            UrlVerdict::Wrong(_)
        ));
    }

    #[test]
    fn facet_schema_urls() {
        let schema = openlineage_types::facet(FacetKind::Dataset, "schema").expect("schema facet");
        let at = |v: &str| {
            format!("https://openlineage.io/spec/facets/{v}/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet")
        };
        assert_eq!(
            check_facet_schema_url(&at(schema.version), schema),
            UrlVerdict::Ok
        );
        assert_eq!(check_facet_schema_url(&at("1-0-0"), schema), UrlVerdict::Ok);
        assert_eq!(
            check_facet_schema_url(
                "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json",
                schema
            ),
            UrlVerdict::Ok
        );
        assert!(matches!(
            check_facet_schema_url(&at("9-0-0"), schema),
            UrlVerdict::Newer(_)
        ));
        assert!(matches!(
            check_facet_schema_url(
                "https://openlineage.io/spec/facets/1-0-0/DatasourceDatasetFacet.json",
                schema
            ),
            UrlVerdict::Wrong(_)
        ));
        assert!(matches!(
            check_facet_schema_url(
                "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json#/$defs/Other",
                schema
            ),
            UrlVerdict::Wrong(_)
        ));
        assert!(matches!(
            check_facet_schema_url(&at("latest"), schema),
            UrlVerdict::Wrong(_)
        ));
        let parent = openlineage_types::facet(FacetKind::Run, "parent").expect("parent facet");
        assert_eq!(
            check_facet_schema_url(
                "https://openlineage.io/spec/1-0-2/OpenLineage.json#/$defs/ParentRunFacet",
                parent
            ),
            UrlVerdict::Ok
        );
    }

    #[test]
    fn dataset_names() {
        assert_eq!(
            check_dataset_name("postgres://db:5432", "shop.public.orders"),
            None
        );
        assert!(check_dataset_name("postgres://db", "shop.public.orders").is_some());
        assert!(check_dataset_name("postgres://db:5432", "public.orders").is_some());
        assert_eq!(check_dataset_name("bigquery", "p.d.t"), None);
        assert!(check_dataset_name("bigquery://x", "p.d.t").is_some());
        assert_eq!(check_dataset_name("s3://bucket", "dir/file.parquet"), None);
        assert!(check_dataset_name("s3://bucket/dir", "file.parquet").is_some());
        assert_eq!(
            check_dataset_name("duckdb://demo.duckdb", "a.b"),
            None,
            "schemes not in the conventions are not checked"
        );
        assert_eq!(check_dataset_name("kafka://broker:9092", "orders"), None);
        // No scheme at all breaks the convention; the bare `file` namespace is left alone.
        assert!(check_dataset_name("dlt-probe", "anything")
            .is_some_and(|m| m.contains("has no scheme")));
        assert_eq!(check_dataset_name("file", "/tmp/x.csv"), None);
    }
}
