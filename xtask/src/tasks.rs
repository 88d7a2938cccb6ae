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

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// `cargo metadata --format-version 1` with `args` added, run in `dir`, parsed.
pub fn cargo_metadata<S: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    args: impl IntoIterator<Item = S>,
) -> Result<serde_json::Value> {
    let out = cargo()
        .args(["metadata", "--format-version", "1"])
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run cargo metadata in {}", dir.display()))?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("cargo metadata in {} printed no JSON", dir.display()))
}

/// Which build of the workspace's binaries a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The tests' build (`--workspace --all-features`, the same feature unification), so CI
    /// reuses its artifacts.
    Debug,
    /// An optimised build of only the packages named.
    Release,
}

impl Profile {
    /// The debug build for a smoke run, the release build otherwise.
    pub fn quick_or_release(quick: bool) -> Self {
        if quick {
            Profile::Debug
        } else {
            Profile::Release
        }
    }

    /// The folder holding this profile's binaries in the target folder `target`.
    pub fn dir(self, target: &Path) -> PathBuf {
        target.join(match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        })
    }

    /// Builds the binaries (`packages` for a release build, the whole workspace for a debug
    /// one) and returns the folder holding them.
    pub fn build(self, packages: &[&str]) -> Result<PathBuf> {
        let mut build = cargo();
        build.args(["build", "-q"]);
        match self {
            Profile::Debug => build.args(["--workspace", "--all-features"]),
            Profile::Release => {
                build.arg("--release");
                packages.iter().fold(&mut build, |b, p| b.args(["-p", p]))
            }
        };
        run(&mut build)?;
        Ok(self.dir(&root().join("target")))
    }
}

/// Builds an example of the types crate against the snapshot pinned in `pin_dir`, in the side
/// target folder `target` (debug), and returns its binary.
pub fn side_example(target: &Path, pin_dir: &Path, example: &str) -> Result<PathBuf> {
    run(cargo()
        .args([
            "build",
            "-p",
            "openlineage-types",
            "--features",
            "proptest",
            "--example",
            example,
            "--target-dir",
        ])
        .arg(target)
        .env(PIN_DIR_ENV, pin_dir)
        // The pin names the snapshot to build; an override would build the current one.
        .env_remove(SPEC_DIR_ENV))?;
    Ok(Profile::Debug.dir(target).join("examples").join(example))
}

fn existing_dir(dir: &Path) -> Result<PathBuf> {
    let path = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()?.join(dir)
    };
    if !path.join("OpenLineage.json").is_file() {
        bail!(
            "{} is not a spec snapshot (no OpenLineage.json)",
            path.display()
        );
    }
    Ok(path)
}

/// Output formats of `spec diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// Text for a terminal.
    Human,
    /// The JSON report.
    Json,
    /// Markdown for a pull request.
    Markdown,
}

/// `spec diff`: a thin wrapper over the `openlineage-spec-diff` library, as
/// `ol-conformance spec diff` is, with its exit codes: 1 when anything is breaking, 2 when a
/// folder is not a snapshot or cannot be read.
pub fn spec_diff(old: &Path, new: &Path, format: DiffFormat) -> Result<i32> {
    let dirs = existing_dir(old).and_then(|o| Ok((o, existing_dir(new)?)));
    let diff = dirs.and_then(|(old, new)| {
        diff_dirs(&old, &new)
            .with_context(|| format!("cannot diff {} and {}", old.display(), new.display()))
    });
    let diff = match diff {
        Ok(diff) => diff,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(2);
        }
    };
    let text = match format {
        DiffFormat::Human => diff.human(),
        DiffFormat::Json => diff.json(),
        DiffFormat::Markdown => diff.markdown(),
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

pub fn write_pin(pin_dir: &Path, spec_dir: &Path, pin: &Pin) -> Result<()> {
    std::fs::create_dir_all(pin_dir)
        .with_context(|| format!("cannot create {}", pin_dir.display()))?;
    pin.write(pin_dir)?;
    let sums = checksums(spec_dir, &pinned_files(spec_dir)?)?;
    let file = pin_dir.join("SHA256SUMS");
    std::fs::write(&file, format_sums(&sums))
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(())
}

/// What `spec upgrade` is asked to do.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The new snapshot folder.
    pub new: PathBuf,
    /// Its release tag; the folder's name when absent.
    pub tag: Option<String>,
    /// Where older releases live; the new snapshot's parent when absent.
    pub history: Option<PathBuf>,
}

/// One step run after re-pinning; the upgrade fails (and is rolled back) when one fails.
pub struct Step {
    /// What the step is, for messages.
    pub name: &'static str,
    /// The command, run in the workspace being upgraded.
    pub command: Command,
}

/// What an upgrade did.
#[derive(Debug)]
pub struct Upgraded {
    /// Exit code: 0 upgraded, 1 a step failed and the previous pin was restored.
    pub code: i32,
    /// The diff it printed.
    pub diff: String,
}

/// The steps of a real upgrade: build, then the whole test suite with new snapshots written as
/// `.snap.new` for review (a changed snapshot does not fail the upgrade; a failing test does).
fn upgrade_steps() -> Vec<Step> {
    let mut build = cargo();
    build.args(["build", "-p", "openlineage-types"]);
    let mut tests = cargo();
    tests
        .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
        .env("INSTA_UPDATE", "new")
        .env("INSTA_FORCE_PASS", "1");
    vec![
        Step {
            name: "build",
            command: build,
        },
        Step {
            name: "tests",
            command: tests,
        },
    ]
}

/// `spec upgrade`: re-pins, runs the steps, and restores the previous pin if one fails.
pub fn spec_upgrade(root: &Path, options: &Upgrade) -> Result<i32> {
    let old_dir = Pin::read(root)?.resolve_dir(root);
    let done = upgrade_with(root, &old_dir, options, upgrade_steps())?;
    // The diff again, after the build and test output.
    println!("{}", done.diff);
    if done.code == 0 {
        let pending = pending_snapshots(root);
        if pending.is_empty() {
            eprintln!("tests pass; commit spec/");
        } else {
            eprintln!(
                "tests pass; review {} snapshot change(s), accept each by renaming `X.snap.new` to `X.snap` (or rerun the tests with INSTA_UPDATE=always), and commit spec/ with them:",
                pending.len()
            );
            for p in pending {
                eprintln!("  {}", p.display());
            }
        }
    }
    Ok(done.code)
}

/// `.snap.new` files under the crates' `tests/snapshots/` folders.
fn pending_snapshots(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for krate in [".", "codegen", "conformance", "diff", "xtask"] {
        for folder in ["tests/snapshots", "src/snapshots"] {
            let Ok(entries) = std::fs::read_dir(root.join(krate).join(folder)) else {
                continue;
            };
            out.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.to_string_lossy().ends_with(".snap.new")),
            );
        }
    }
    out.sort();
    out
}

/// The upgrade of the workspace at `root` from the snapshot in `old_dir`: prints the diff
/// (and returns it, for the caller to print again after the steps' output), writes the new pin, runs `steps` in `root`, and puts `spec/pin.json` and `spec/SHA256SUMS`
/// back as they were when a step fails, so a second attempt diffs against the old release again.
pub fn upgrade_with(
    root: &Path,
    old_dir: &Path,
    options: &Upgrade,
    steps: Vec<Step>,
) -> Result<Upgraded> {
    let new_dir = existing_dir(&options.new)?.canonicalize()?;
    let old_dir = existing_dir(old_dir)?;
    let tag = match &options.tag {
        Some(tag) => tag.clone(),
        None => new_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("cannot tell the tag; pass --tag")?,
    };
    let diff = diff_dirs(&old_dir, &new_dir).with_context(|| {
        format!(
            "cannot diff {} and {}",
            old_dir.display(),
            new_dir.display()
        )
    })?;
    let text = diff.human();
    println!("{text}");
    let root_abs = root.canonicalize()?;
    let history = match &options.history {
        Some(dir) => {
            let dir = if dir.is_absolute() {
                dir.clone()
            } else {
                std::env::current_dir()?.join(dir)
            };
            let dir = dir
                .canonicalize()
                .with_context(|| format!("history folder {} does not exist", dir.display()))?;
            Some(
                relative(&dir, &root_abs)
                    .to_string_lossy()
                    .replace('\\', "/"),
            )
        }
        None => None,
    };
    let spec = root.join("spec");
    let saved: Vec<(PathBuf, Option<Vec<u8>>)> = ["pin.json", "SHA256SUMS"]
        .iter()
        .map(|f| (spec.join(f), std::fs::read(spec.join(f)).ok()))
        .collect();
    let restore = || -> Result<()> {
        for (path, bytes) in &saved {
            match bytes {
                Some(bytes) => std::fs::write(path, bytes),
                None => std::fs::remove_file(path).or(Ok(())),
            }
            .with_context(|| format!("cannot restore {}", path.display()))?;
        }
        Ok(())
    };
    let rel = relative(&new_dir, &root_abs);
    let pin = Pin {
        tag: tag.clone(),
        path: rel.to_string_lossy().replace('\\', "/"),
        history,
    };
    if let Err(e) = write_pin(&spec, &new_dir, &pin) {
        restore()?;
        return Err(e);
    }
    eprintln!("pinned {tag} at {}", rel.display());
    for mut step in steps {
        let shown = format!("{:?}", step.command);
        eprintln!("$ {shown}");
        let status = step.command.current_dir(root).status();
        let failure = match status {
            Ok(s) if s.success() => None,
            Ok(s) => Some(format!("{} failed ({s})", step.name)),
            Err(e) => Some(format!("{} could not start: {e}", step.name)),
        };
        if let Some(failure) = failure {
            restore()?;
            eprintln!(
                "upgrade to {tag} failed: {failure}; spec/pin.json and spec/SHA256SUMS are restored"
            );
            return Ok(Upgraded {
                code: 1,
                diff: text,
            });
        }
    }
    Ok(Upgraded {
        code: 0,
        diff: text,
    })
}

/// Where `spec upgrade --check` copies the repository, under the target folder.
const CHECK_DIR: &str = "target/spec-upgrade-check";

/// The test targets `--check` runs: code generation, validation, generation (with the Python
/// oracle) and round trips.
fn check_steps(target_dir: &Path, new_dir: &Path, added_keys: &[String]) -> Vec<Step> {
    let mut build = cargo();
    build.args(["build", "-p", "openlineage-types", "--all-features"]);
    // Tests of the generator and the types crate, with what selects them.
    let types_tests = |select: &[&str]| {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--no-fail-fast",
            "-p",
            "openlineage-codegen",
            "-p",
            "openlineage-types",
            "--all-features",
        ])
        .args(select);
        cmd
    };
    let tests = types_tests(&[
        "--test",
        "integration",
        "--",
        "roundtrip::",
        "validate::",
        "generators::",
        "events::",
        "examples::",
        "surface::",
        "old_snapshots::",
    ]);
    let units = types_tests(&["--lib"]);
    let mut oracle = cargo();
    oracle.args([
        "test",
        "-p",
        "openlineage-conformance",
        "--test",
        "integration",
        "--",
        "differential::",
        "mutations::",
    ]);
    let mut steps = vec![
        Step {
            name: "build",
            command: build,
        },
        Step {
            name: "tests",
            command: tests,
        },
        Step {
            name: "unit tests",
            command: units,
        },
        Step {
            name: "differential and mutation tests",
            command: oracle,
        },
    ];
    // Each facet key the new snapshot adds: typed in every container it names, its examples
    // valid and lossless, and carried by generated events.
    for key in added_keys {
        let mut selfcheck = cargo();
        selfcheck
            .args([
                "run",
                "-q",
                "-p",
                "openlineage-types",
                "--features",
                "proptest",
                "--example",
                "spec_selfcheck",
                "--",
            ])
            .arg(new_dir)
            .args(["300", key])
            .stdout(std::process::Stdio::null());
        steps.push(Step {
            name: "the new facets, end to end",
            command: selfcheck,
        });
    }
    for step in &mut steps {
        step.command
            .env("CARGO_TARGET_DIR", target_dir)
            .env("INSTA_UPDATE", "always");
    }
    steps
}

/// The facet keys declared by facet files `new` has and `old` has not.
fn added_facet_keys(old: &Path, new: &Path) -> Result<Vec<String>> {
    let diff = diff_dirs(old, new)?;
    let mut keys = Vec::new();
    for change in diff
        .changes
        .iter()
        .filter(|c| c.kind == openlineage_spec_diff::ChangeKind::FacetAdded)
    {
        let file = new.join(change.file());
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?,
        )
        .with_context(|| format!("cannot parse {}", file.display()))?;
        keys.extend(
            schema["properties"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys().cloned()),
        );
    }
    Ok(keys)
}

/// `spec upgrade --check`: the upgrade in a scratch copy of the repository's files (tracked and
/// untracked, not ignored), its snapshots accepted there, with the tests that cover codegen,
/// validation, generation and round trips. The checkout is not changed; the scratch copy has
/// its own target folder, kept between runs so only the workspace crates rebuild.
pub fn spec_upgrade_check(options: &Upgrade) -> Result<i32> {
    let root = root();
    let old_dir = Pin::read(&root)?.resolve_dir(&root);
    let scratch = root.join(CHECK_DIR);
    let copy = scratch.join("repo");
    if copy.exists() {
        std::fs::remove_dir_all(&copy)
            .with_context(|| format!("cannot clear {}", copy.display()))?;
    }
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output()
        .context("cannot run git ls-files (the check copies the repository's files)")?;
    if !listed.status.success() {
        bail!("git ls-files failed in {}", root.display());
    }
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let rel = PathBuf::from(String::from_utf8_lossy(file).into_owned());
        let (from, to) = (root.join(&rel), copy.join(&rel));
        // Files deleted in the working tree but still in the index are skipped.
        if !from.is_file() {
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(&from, &to).with_context(|| format!("cannot copy {}", from.display()))?;
    }
    eprintln!("upgrading a copy of the repository in {}", copy.display());
    let new_dir = existing_dir(&options.new)?.canonicalize()?;
    let added = added_facet_keys(&old_dir, &new_dir)?;
    let done = upgrade_with(
        &copy,
        &old_dir,
        options,
        check_steps(&scratch.join("target"), &new_dir, &added),
    )?;
    println!("{}", done.diff);
    if done.code == 0 {
        eprintln!(
            "the upgrade passes in the scratch copy with no change beyond spec/ and snapshots"
        );
    }
    Ok(done.code)
}

/// `spec compat`: builds the types crate's event generator (`examples/compat_events.rs`) against
/// `old` in a side target folder, makes events with it, and checks that the current build
/// parses and validates every one. Only the types crate is built for the old snapshot, so
/// snapshots without a batch endpoint (before 1.40.0) work. The side folder is shared by every
/// old tag: the dependencies compile once, and a tag only rebuilds the types crate (its build
/// script reruns because the pin folder it is given changes).
pub fn spec_compat(old: &Path, count: usize) -> Result<i32> {
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
        &Pin {
            tag: tag.clone(),
            path: old_dir.to_string_lossy().into_owned(),
            history: None,
        },
    )?;
    let old_bin = side_example(&side.join("target"), &pin_dir, "compat_events")?;
    let new_bin = Profile::Debug.build(&[])?.join("ol-conformance");
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
    // The example diffs read the older releases where the pin says they are.
    for (start, end, body) in readme_spec_sections(&pin.history_dir(&root))? {
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
        "-p",
        "openlineage-codegen",
        "--test",
        "integration",
        "--",
        "readme::",
        "surface::",
        "streaming::",
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
/// two real upgrades read from the older releases in `snapshots`.
pub fn readme_spec_sections(snapshots: &Path) -> Result<Vec<(&'static str, &'static str, String)>> {
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
        let history = Pin::read(&root).expect("pin").history_dir(&root);
        let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
        for (start, end, body) in readme_spec_sections(&history).expect("sections") {
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
            &Pin {
                tag: "1.40.0".into(),
                path: rel.to_string_lossy().into_owned(),
                history: None,
            },
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

    /// A scratch workspace whose `spec/` pins 1.52.0, as a checkout's does.
    fn scratch_workspace(name: &str) -> (PathBuf, PathBuf) {
        let scratch = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let workspace = scratch.join("main");
        std::fs::create_dir_all(&workspace).expect("scratch workspace");
        let old = snapshots().join("1.52.0").canonicalize().expect("1.52.0");
        write_pin(
            &workspace.join("spec"),
            &old,
            &Pin {
                tag: "1.52.0".into(),
                path: old.to_string_lossy().into_owned(),
                history: None,
            },
        )
        .expect("pin written");
        (scratch, workspace)
    }

    fn step(program: &str) -> Vec<Step> {
        vec![Step {
            name: "tests",
            command: Command::new(program),
        }]
    }

    fn spec_files(workspace: &Path) -> (Vec<u8>, Vec<u8>) {
        let read = |f: &str| std::fs::read(workspace.join("spec").join(f)).expect("spec file");
        (read("pin.json"), read("SHA256SUMS"))
    }

    /// A step failing after the re-pin gives exit 1 and puts the previous pin back, so a
    /// second attempt diffs against the old release again instead of the new one against itself.
    #[test]
    fn a_failed_upgrade_exits_1_and_restores_the_pin() {
        let (scratch, workspace) = scratch_workspace("rollback");
        let old_dir = snapshots().join("1.52.0");
        let before = spec_files(&workspace);
        let options = Upgrade {
            new: snapshots().join("main-8f02abfb"),
            tag: None,
            history: None,
        };
        let first = upgrade_with(&workspace, &old_dir, &options, step("false")).expect("runs");
        assert_eq!(first.code, 1);
        assert_eq!(spec_files(&workspace), before, "pin and checksums restored");
        assert!(first.diff.contains("LineageFacet.json"), "{}", first.diff);
        let pin_dir = Pin::read(&workspace).expect("pin").resolve_dir(&workspace);
        let second = upgrade_with(&workspace, &pin_dir, &options, step("false")).expect("runs");
        assert_eq!(
            second.diff, first.diff,
            "the second attempt shows the same diff"
        );
        // A step that cannot start fails the upgrade the same way.
        let missing = upgrade_with(
            &workspace,
            &old_dir,
            &options,
            step("/nonexistent/no-such-program"),
        )
        .expect("runs");
        assert_eq!(missing.code, 1);
        assert_eq!(spec_files(&workspace), before);
        std::fs::remove_dir_all(&scratch).ok();
    }

    /// Steps that pass leave the new pin, its checksums and where older releases live.
    #[test]
    fn a_passing_upgrade_exits_0_and_keeps_the_new_pin() {
        let (scratch, workspace) = scratch_workspace("upgrade");
        let new = snapshots()
            .join("main-8f02abfb")
            .canonicalize()
            .expect("main");
        let options = Upgrade {
            new: new.clone(),
            tag: Some("next".into()),
            history: Some(snapshots()),
        };
        let done = upgrade_with(
            &workspace,
            &snapshots().join("1.52.0"),
            &options,
            step("true"),
        )
        .expect("runs");
        assert_eq!(done.code, 0);
        let pin = Pin::read(&workspace).expect("pin");
        assert_eq!(pin.tag, "next");
        assert_eq!(
            workspace.join(&pin.path).canonicalize().expect("pinned"),
            new
        );
        assert_eq!(
            pin.history_dir(&workspace).canonicalize().expect("history"),
            snapshots().canonicalize().expect("snapshots")
        );
        verify(&new, &workspace.join("spec/SHA256SUMS")).expect("checksums of the new one");
        std::fs::remove_dir_all(&scratch).ok();
    }

    /// A folder that is not a snapshot is refused before anything is written.
    #[test]
    fn an_unusable_folder_changes_nothing() {
        let (scratch, workspace) = scratch_workspace("unusable");
        let before = spec_files(&workspace);
        let options = Upgrade {
            new: scratch.join("nothing-here"),
            tag: None,
            history: None,
        };
        let err = upgrade_with(
            &workspace,
            &snapshots().join("1.52.0"),
            &options,
            step("true"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("is not a spec snapshot"), "{err}");
        assert_eq!(spec_files(&workspace), before);
        std::fs::remove_dir_all(&scratch).ok();
    }
}
