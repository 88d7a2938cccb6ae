//! The spec, codegen and CI commands.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use openlineage_codegen::derived::{ensure_file_contents, replace_between, UPDATE_ENV};
use openlineage_codegen::spec::{
    checksums, format_sums, pinned_files, Pin, PIN_DIR_ENV, SPEC_DIR_ENV,
};
use openlineage_spec_diff::diff_dirs;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command in the workspace root, failing with its name when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn existing_dir(dir: &str) -> Result<PathBuf> {
    let path = PathBuf::from(dir);
    let path = if path.is_absolute() {
        path
    } else {
        std::env::current_dir()?.join(path)
    };
    if !path.join("OpenLineage.json").is_file() {
        bail!(
            "{} is not a spec snapshot (no OpenLineage.json)",
            path.display()
        );
    }
    Ok(path)
}

/// `spec diff`: a thin wrapper over the `openlineage-spec-diff` library, as
/// `ol-conformance spec diff` is; exit 1 when anything is breaking.
pub fn spec_diff(old: &str, new: &str, format: &str) -> Result<i32> {
    let (old, new) = (existing_dir(old)?, existing_dir(new)?);
    let diff = diff_dirs(&old, &new)
        .with_context(|| format!("cannot diff {} and {}", old.display(), new.display()))?;
    let text = match format {
        "human" => diff.human(),
        "json" => diff.json(),
        "markdown" => diff.markdown(),
        other => bail!("unknown format `{other}` (human, json or markdown)"),
    };
    println!("{text}");
    Ok(diff.exit_code())
}

/// A path to `target` written relative to `base` (both absolute), e.g. `../shared/spec/1.52.0`.
fn relative(target: &Path, base: &Path) -> PathBuf {
    let (t, b) = (components(target), components(base));
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

fn components(p: &Path) -> Vec<Component<'_>> {
    p.components().filter(|c| *c != Component::CurDir).collect()
}

fn write_pin(pin_dir: &Path, spec_dir: &Path, tag: &str, path_in_pin: String) -> Result<()> {
    std::fs::create_dir_all(pin_dir)
        .with_context(|| format!("cannot create {}", pin_dir.display()))?;
    Pin {
        tag: tag.to_string(),
        path: path_in_pin,
    }
    .write(pin_dir)?;
    let sums = checksums(spec_dir, &pinned_files(spec_dir)?)?;
    let file = pin_dir.join("SHA256SUMS");
    std::fs::write(&file, format_sums(&sums))
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(())
}

/// `spec upgrade`: re-pins, regenerates, runs the tests, leaves snapshot diffs for review.
pub fn spec_upgrade(new: &str, tag: Option<&str>) -> Result<i32> {
    let root = root();
    let new_dir = existing_dir(new)?.canonicalize()?;
    let old = Pin::read(&root)?;
    let old_dir = old.resolve_dir(&root);
    let tag = tag
        .map(String::from)
        .or_else(|| {
            new_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .context("cannot tell the tag; pass --tag")?;
    let diff = diff_dirs(&old_dir, &new_dir)?;
    let rel = relative(&new_dir, &root.canonicalize()?);
    write_pin(
        &root.join("spec"),
        &new_dir,
        &tag,
        rel.to_string_lossy().replace('\\', "/"),
    )?;
    eprintln!("pinned {tag} at {}", rel.display());
    run(cargo().args(["build", "-p", "openlineage-types"]))?;
    // New snapshots are written next to the old ones as .snap.new for review, not accepted.
    let tests = run(cargo()
        .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
        .env("INSTA_UPDATE", "new"));
    println!("{}", diff.human());
    match tests {
        Ok(()) => eprintln!("tests pass; review any .snap.new files (cargo insta review) and commit spec/"),
        Err(e) => eprintln!("tests failed after the upgrade: {e}\nreview the .snap.new files and the failures above"),
    }
    Ok(i32::from(diff.is_breaking()))
}

/// `spec compat`: builds the types crate's event generator (`examples/compat_events.rs`) against
/// `old` in a side target folder, makes events with it, and checks that the current build
/// parses and validates every one. Only the types crate is built for the old snapshot, so
/// snapshots without a batch endpoint (before 1.40.0) work. The side folder is shared by every
/// old tag: the dependencies compile once, and a tag only rebuilds the types crate (its build
/// script reruns because the pin folder it is given changes).
pub fn spec_compat(old: &str, count: usize) -> Result<i32> {
    let root = root();
    let old_dir = existing_dir(old)?.canonicalize()?;
    let tag = old_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = root.join("target").join("spec-compat");
    let work = side.join(&tag);
    let pin_dir = work.join("pin");
    write_pin(
        &pin_dir,
        &old_dir,
        &tag,
        old_dir.to_string_lossy().into_owned(),
    )?;
    run(cargo()
        .args([
            "build",
            "-p",
            "openlineage-types",
            "--features",
            "proptest",
            "--example",
            "compat_events",
            "--target-dir",
        ])
        .arg(side.join("target"))
        .env(PIN_DIR_ENV, &pin_dir)
        // The pin above names the old snapshot; an override would build the current one.
        .env_remove(SPEC_DIR_ENV))?;
    // Same features as the test build, so CI reuses its artifacts.
    run(cargo().args(["build", "--workspace", "--all-features"]))?;
    let old_bin = side.join("target/debug/examples/compat_events");
    let new_bin = root.join("target/debug/ol-conformance");
    // Make sure the side build really is the old snapshot, not a cached current one.
    let version = Command::new(&old_bin)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", old_bin.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    if !version.contains(&format!("spec {tag}")) {
        bail!(
            "the side build reports `{}`, not spec {tag}",
            version.trim()
        );
    }
    let events = work.join(format!("events-{tag}.jsonl"));
    let output = Command::new(&old_bin)
        .args([&count.to_string(), "1"])
        .output()
        .with_context(|| format!("cannot run {}", old_bin.display()))?;
    if !output.status.success() {
        bail!(
            "generating with the {tag} build failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(&events, &output.stdout)
        .with_context(|| format!("cannot write {}", events.display()))?;
    let check = Command::new(&new_bin)
        .args(["validate", "--tier", "facets"])
        .arg(&events)
        .output()
        .with_context(|| format!("cannot run {}", new_bin.display()))?;
    let report = String::from_utf8_lossy(&check.stdout);
    let valid = report.lines().filter(|l| l.ends_with(": valid")).count();
    println!(
        "{valid} of {count} events generated under {tag} parse and validate under the pinned spec"
    );
    if check.status.code() != Some(0) || valid != count {
        for line in report.lines().filter(|l| !l.ends_with(": valid")).take(20) {
            println!("{line}");
        }
        return Ok(1);
    }
    Ok(0)
}

/// `codegen`: refreshes or checks what is derived from the spec and committed.
pub fn codegen(check: bool) -> Result<i32> {
    let root = root();
    let mut stale = Vec::new();
    // spec/SHA256SUMS must cover exactly the pinned snapshot's files.
    let pin = Pin::read(&root)?;
    let spec_dir = pin.resolve_dir(&root);
    let sums = format_sums(&checksums(&spec_dir, &pinned_files(&spec_dir)?)?);
    if !ensure_file_contents(&root.join("spec/SHA256SUMS"), &sums, check)? && check {
        stale.push(
            "spec/SHA256SUMS (if the snapshot change is intended: cargo xtask spec upgrade DIR)",
        );
    }
    // README: the spec diff's rules table and its examples on real releases.
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).context("cannot read README.md")?;
    let mut updated = readme.clone();
    // The example diffs read the releases beside the pin's folder, wherever the build reads.
    for (start, end, body) in readme_spec_sections(&root.join(&pin.path))? {
        updated = replace_between(&updated, start, end, &body)
            .with_context(|| format!("README.md lacks the {start} / {end} markers"))?;
    }
    if !ensure_file_contents(&readme_path, &updated, check)? && check {
        stale.push("README.md spec diff rules and examples");
    }
    // The README table of checks and the generated-code snapshots belong to the tests that
    // check them; in fix mode those tests write what they own.
    let mut tests = cargo();
    tests.args([
        "test",
        "-q",
        "-p",
        "openlineage-conformance",
        "--test",
        "readme",
        "-p",
        "openlineage-codegen",
        "--test",
        "surface",
        "--test",
        "streaming",
    ]);
    tests.env("INSTA_UPDATE", if check { "no" } else { "always" });
    if !check {
        tests.env(UPDATE_ENV, "1");
    }
    if run(&mut tests).is_err() {
        if check {
            stale.push(
                "README.md table of checks or codegen/tests/snapshots (see the test output above)",
            );
        } else {
            bail!("the tests that own derived files fail even when updating them");
        }
    }
    if stale.is_empty() {
        eprintln!("derived files are up to date");
        Ok(0)
    } else {
        for s in &stale {
            eprintln!("stale: {s}");
        }
        eprintln!("run `cargo xtask codegen` to refresh them");
        Ok(1)
    }
}

/// The README sections generated from the spec diff: the rules table, and the Markdown diffs of
/// two real upgrades read from the snapshots beside the pinned one (`pinned_dir`).
pub fn readme_spec_sections(
    pinned_dir: &Path,
) -> Result<Vec<(&'static str, &'static str, String)>> {
    let snapshots = pinned_dir
        .parent()
        .context("the pinned snapshot has no parent folder")?;
    let mut examples = String::new();
    for (old, new) in [("1.22.0", "1.23.0"), ("1.39.0", "1.40.0")] {
        let (a, b) = (snapshots.join(old), snapshots.join(new));
        let diff = diff_dirs(&a, &b)
            .with_context(|| format!("cannot diff {} and {}", a.display(), b.display()))?;
        if !examples.is_empty() {
            examples.push('\n');
        }
        examples.push_str(&diff.markdown());
    }
    Ok(vec![
        (
            "<!-- spec-rules:start -->",
            "<!-- spec-rules:end -->",
            openlineage_spec_diff::rules_markdown(),
        ),
        (
            "<!-- spec-diff-examples:start -->",
            "<!-- spec-diff-examples:end -->",
            examples,
        ),
    ])
}

/// `ci`: runs `.ci/run` itself, so the local command and CI cannot drift apart.
pub fn ci() -> Result<i32> {
    run(Command::new("bash").arg(root().join(".ci/run")))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openlineage_codegen::spec::verify;

    fn snapshots() -> PathBuf {
        root().join("../shared/openlineage-spec")
    }

    /// The README's spec diff rules and examples are what `cargo xtask codegen` would write.
    #[test]
    fn readme_spec_diff_sections_are_current() {
        let root = root();
        let pinned = root.join(Pin::read(&root).expect("pin").path);
        let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
        for (start, end, body) in readme_spec_sections(&pinned).expect("sections") {
            let current = replace_between(&readme, start, end, &body).expect("markers");
            assert!(
                current == readme,
                "README.md section {start} is stale; run `cargo xtask codegen`"
            );
        }
    }

    #[test]
    fn relative_paths_climb_out_of_the_base() {
        let rel = |t: &str, b: &str| relative(Path::new(t), Path::new(b));
        assert_eq!(
            rel("/w/shared/spec/1.40.0", "/w/main"),
            PathBuf::from("../shared/spec/1.40.0")
        );
        assert_eq!(rel("/w/main/spec", "/w/main"), PathBuf::from("spec"));
        assert_eq!(rel("/w/main", "/w/main"), PathBuf::new());
    }

    /// The half of `spec upgrade` that rewrites the repository, run into a scratch folder: the
    /// pin names the new snapshot, and its checksums verify that snapshot and no other.
    #[test]
    fn a_written_pin_resolves_to_the_new_snapshot_and_verifies_it() {
        let (old, new) = (snapshots().join("1.52.0"), snapshots().join("1.40.0"));
        let scratch = std::env::temp_dir().join(format!("xtask-pin-{}", std::process::id()));
        let workspace = scratch.join("main");
        std::fs::create_dir_all(&workspace).expect("scratch workspace");
        let new_abs = new.canonicalize().expect("1.40.0 snapshot");
        let rel = relative(&new_abs, &workspace.canonicalize().expect("workspace"));
        write_pin(
            &workspace.join("spec"),
            &new_abs,
            "1.40.0",
            rel.to_string_lossy().into_owned(),
        )
        .expect("pin written");
        let pin = Pin::read(&workspace).expect("pin reads back");
        assert_eq!(pin.tag, "1.40.0");
        assert_eq!(
            workspace
                .join(&pin.path)
                .canonicalize()
                .expect("pinned folder"),
            new_abs
        );
        let sums = workspace.join("spec/SHA256SUMS");
        verify(&new_abs, &sums).expect("the new snapshot matches its checksums");
        assert!(verify(&old, &sums).is_err(), "another snapshot does not");
        std::fs::remove_dir_all(&scratch).ok();
    }
}
