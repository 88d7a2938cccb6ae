//! A consumer: reads events (one JSON object per line) from a file and prints, per job run, its
//! SQL, its parent job and the columns of each output.
//! `cargo run --example consumer -- events.jsonl`

use std::io::BufRead;

use openlineage_types::{Event, ParentRunFacet, SchemaDatasetFacet, SqlJobFacet};

/// One line per event with a job, and one per output dataset.
pub fn describe(input: impl BufRead, source: &str) -> Result<String, String> {
    let mut out = String::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {source}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let event = Event::from_json(&line).map_err(|e| format!("{source}:{}: {e}", n + 1))?;
        let Some(job) = event.job() else { continue };
        let state = event
            .event_type()
            .map_or("-".to_string(), |t| t.to_string());
        out += &format!("{state} {}/{}", job.namespace, job.name);
        if let Some(sql) = job.facet::<SqlJobFacet>() {
            out += &format!(" sql={:?}", sql.query);
        }
        if let Some(parent) = event.run().and_then(|run| run.facet::<ParentRunFacet>()) {
            out += &format!(" parent={}/{}", parent.job.namespace, parent.job.name);
        }
        out.push('\n');
        for output in event.outputs() {
            let schema = output.facet::<SchemaDatasetFacet>();
            let columns: Vec<&str> = schema
                .and_then(|s| s.fields.as_deref())
                .unwrap_or_default()
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            out += &format!(
                "  -> {}/{} [{}]\n",
                output.namespace,
                output.name,
                columns.join(", ")
            );
        }
    }
    Ok(out)
}

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: consumer FILE")?;
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
    print!("{}", describe(std::io::BufReader::new(file), &path)?);
    Ok(())
}
