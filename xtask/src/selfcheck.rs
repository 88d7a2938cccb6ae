//! `spec selfcheck`: a build of the types crate against a snapshot, side by side, checked end to
//! end. The snapshot is the pinned one with an overlay of extra files (the synthetic facet of
//! `codegen/tests/fixtures/synthetic/` by default), pinned with checksums computed here, so a
//! facet using every JSON Schema construct goes through codegen, validation at every tier,
//! generation and lossless round trips, and Python's jsonschema agrees the events are valid.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use openlineage_codegen::spec::{overlay_snapshot, Pin};

use crate::tasks::{root, side_example, write_pin};

/// What to check.
#[derive(Debug, Clone)]
pub struct SelfCheck {
    /// Files laid over the pinned snapshot (`facets/…`, `tests/…`).
    pub overlay: PathBuf,
    /// A facet key the generated events must carry in every container it has.
    pub key: Option<String>,
    /// Facet maps that must be invalid from a given tier on (JSON lines).
    pub broken: Option<PathBuf>,
    /// How many events to generate.
    pub count: usize,
}

impl SelfCheck {
    /// The synthetic facet with every construct, its examples and its broken variants.
    pub fn synthetic() -> Self {
        let fixtures = root().join("codegen/tests/fixtures");
        SelfCheck {
            overlay: fixtures.join("synthetic"),
            key: Some("synthetic".into()),
            broken: Some(fixtures.join("synthetic-broken.jsonl")),
            count: 300,
        }
    }
}

/// Derives the snapshot, builds `examples/spec_selfcheck.rs` against it in the side target
/// folder `spec compat` uses (the dependencies compile once for both), runs it, and has Python's
/// jsonschema validate every event it checked.
pub fn selfcheck(check: &SelfCheck) -> Result<()> {
    let root = root();
    let pinned = Pin::read(&root)?.resolve_dir(&root);
    let side = root.join("target").join("spec-compat");
    let work = side.join("selfcheck");
    let spec = work.join("spec");
    if spec.exists() {
        std::fs::remove_dir_all(&spec)
            .with_context(|| format!("cannot clear {}", spec.display()))?;
    }
    overlay_snapshot(&pinned, &check.overlay, &spec).with_context(|| {
        format!(
            "cannot lay {} over {}",
            check.overlay.display(),
            pinned.display()
        )
    })?;
    let pin_dir = work.join("pin");
    write_pin(
        &pin_dir,
        &spec,
        &Pin {
            tag: "selfcheck".into(),
            path: spec.to_string_lossy().into_owned(),
            history: None,
        },
    )?;
    let bin = side_example(&side.join("target"), &pin_dir, "spec_selfcheck")?;
    let mut cmd = Command::new(&bin);
    cmd.arg(&spec).arg(check.count.to_string());
    if let Some(key) = &check.key {
        cmd.arg(key);
        if let Some(broken) = &check.broken {
            cmd.arg(broken);
        }
    }
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("the build against {} fails its self-check", spec.display());
    }
    let events = work.join("events.jsonl");
    std::fs::write(&events, &out.stdout)
        .with_context(|| format!("cannot write {}", events.display()))?;
    python_agrees(&root, &spec, &events)
}

/// Python's jsonschema (the differential test's oracle) finds every event valid at every tier.
fn python_agrees(root: &Path, spec: &Path, events: &Path) -> Result<()> {
    let python =
        openlineage_testkit::pyenv::ensure(&root.join("conformance/tests/requirements.txt"))
            .map_err(anyhow::Error::msg)?
            .python;
    let text = std::fs::read_to_string(events)?;
    let input: String = text
        .lines()
        .enumerate()
        .map(|(id, e)| format!("{{\"id\": {id}, \"event\": {e}}}\n"))
        .collect();
    let mut child = Command::new(&python)
        .arg(root.join("conformance/tests/differential.py"))
        .arg(spec)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", python.display()))?;
    let mut stdin = child.stdin.take().context("python's stdin")?;
    let writer =
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "python validator failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))??;
    let verdicts = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for verdict in verdicts.lines() {
        let v: serde_json::Value = serde_json::from_str(verdict)?;
        checked += 1;
        for tier in ["core", "formats", "facets"] {
            if v[tier] != true {
                let id = v["id"].as_u64().unwrap_or(0) as usize;
                bail!(
                    "python finds event {id} invalid at {tier}: {}",
                    lines.get(id).unwrap_or(&"?")
                );
            }
        }
    }
    if checked != lines.len() {
        bail!("python answered {checked} of {} events", lines.len());
    }
    eprintln!("python's jsonschema finds all {checked} events valid at every tier");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The synthetic facet (one key, two containers; const, if/then/else, patternProperties,
    /// prefixItems, not, oneOf with a format, dependentRequired, nested allOf) goes through the
    /// whole pipeline, and its broken variants are refused at the tier each breaks.
    #[test]
    fn the_synthetic_snapshot_goes_through_the_whole_pipeline() {
        selfcheck(&SelfCheck::synthetic()).expect("the synthetic snapshot checks out");
    }
}
