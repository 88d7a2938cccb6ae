//! A deterministic corpus of realistic events built from the spec's own facet examples.
//!
//! Benchmarks and tests need events that look like what producers send: each upstream example
//! facet is placed where its kind lives, in RunEvents, JobEvents and DatasetEvents. It reads the
//! spec snapshot from disk, so it is workspace tooling rather than crate API.

use std::path::Path;

use serde_json::{json, Value};

use openlineage_types::{schema_url, EventKind, FacetKind, FACETS};

/// One example facet map from the snapshot with the kinds its facet can appear under.
fn examples(spec_dir: &Path) -> std::io::Result<Vec<(Vec<FacetKind>, Value)>> {
    let mut out = Vec::new();
    let tests = spec_dir.join("tests");
    let mut dirs: Vec<_> = std::fs::read_dir(&tests)?.collect::<Result<_, _>>()?;
    dirs.sort_by_key(|d| d.file_name());
    for dir in dirs.into_iter().filter(|d| d.path().is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir.path())?.collect::<Result<_, _>>()?;
        files.sort_by_key(|f| f.file_name());
        for file in files {
            let text = std::fs::read_to_string(file.path())?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            out.push((kinds_for(&value), value));
        }
    }
    Ok(out)
}

/// The containers an example facet map fits: where the registry puts each of its keys, narrowed
/// to the definition a facet's `_schemaURL` names when it names one
/// (`...LineageFacet.json#/$defs/LineageJobFacet` is a job facet), whatever folder it sits in.
pub fn kinds_for(map: &Value) -> Vec<FacetKind> {
    let mut kinds: Option<Vec<FacetKind>> = None;
    for (key, payload) in map.as_object().into_iter().flatten() {
        let named = payload["_schemaURL"]
            .as_str()
            .and_then(|u| u.rsplit_once('#'))
            .and_then(|(_, fragment)| fragment.rsplit('/').next());
        let by_key: Vec<_> = FACETS.iter().filter(|f| f.key == key).collect();
        let by_def: Vec<FacetKind> = by_key
            .iter()
            .filter(|f| named == Some(f.def))
            .map(|f| f.kind)
            .collect();
        let chosen = if by_def.is_empty() {
            by_key.iter().map(|f| f.kind).collect()
        } else {
            by_def
        };
        kinds = Some(match kinds {
            None => chosen,
            Some(mut k) => {
                k.retain(|x| chosen.contains(x));
                k
            }
        });
    }
    kinds.unwrap_or_default()
}

/// Builds `count` events (as JSON text) from the snapshot's examples, cycling through kinds.
pub fn events(spec_dir: &Path, count: usize) -> std::io::Result<Vec<String>> {
    let examples = examples(spec_dir)?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let kind = match i % 5 {
            3 => EventKind::Job,
            4 => EventKind::Dataset,
            _ => EventKind::Run,
        };
        let mut event = json!({
            "eventTime": format!("2024-01-01T00:00:{:02}.{:03}Z", i % 60, i % 1000),
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.52.0/integration/spark",
            "schemaURL": schema_url(kind.def_name()),
        });
        let ds = |n: usize| json!({"namespace": "postgres://db:5432", "name": format!("public.table_{n}")});
        match kind {
            EventKind::Job => {
                event["job"] = json!({"namespace": "scheduler", "name": format!("job_{i}")});
                event["outputs"] = json!([ds(i)]);
            }
            EventKind::Dataset => event["dataset"] = ds(i),
            EventKind::Run => {
                event["eventType"] = json!(["START", "RUNNING", "COMPLETE"][i % 3]);
                event["run"] = json!({"runId": format!("0190d5a4-7c6c-7b8e-9f00-{i:012x}")});
                event["job"] = json!({"namespace": "scheduler", "name": format!("job_{i}")});
                event["inputs"] = json!([ds(i), ds(i + 1)]);
                event["outputs"] = json!([ds(i + 2)]);
            }
        }
        // Attach four examples, each where its kind may go in this kind of event.
        for j in 0..4 {
            let (kinds, facets) = &examples[(i * 4 + j) % examples.len()];
            for facet_kind in kinds {
                // The last place the kind sits in this event (outputs before inputs), with the
                // first dataset for `*`.
                let Some(site) = facet_kind.sites(kind).last() else {
                    continue;
                };
                let site = site.replace('*', "0");
                let (parent, key) = site.rsplit_once('/').unwrap_or_default();
                let Some(parent) = event.pointer_mut(parent).and_then(Value::as_object_mut) else {
                    continue;
                };
                let slot = parent.entry(key).or_insert_with(|| json!({}));
                for (k, v) in facets.as_object().into_iter().flatten() {
                    slot[k] = v.clone();
                }
                break;
            }
        }
        out.push(event.to_string());
    }
    Ok(out)
}
