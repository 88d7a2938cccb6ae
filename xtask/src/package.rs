//! `cargo xtask package`: self-contained `.crate` files for `ol-conformance` and every
//! publishable workspace crate it needs, and (with `--check`) proof that they work away from
//! this checkout.
//!
//! A package has no spec snapshot folder beside it, so the pinned snapshot's files (exactly those
//! `spec/SHA256SUMS` lists) are staged into the types crate's git-ignored `spec/staged/<tag>/`
//! first, and the code generated from them into `spec/staged/generated/`
//! (`openlineage_codegen::shipped`). The types crate is packaged with `codegen` left out of its
//! default features ([`packaged_manifest`]), so its users build that code and not the generator.
//! `cargo package` then builds every `.crate` from its extracted contents, the sibling crates
//! resolving to one another's packages. `--check` goes on to extract the packages into a scratch
//! folder with no snapshot anywhere above it, build and run a downstream crate that round-trips
//! events (and check the generator is not in its build), build one without default features, and
//! `cargo install` `ol-conformance` from its package with the sibling crates patched to the
//! extracted packages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use openlineage_codegen::spec::{parse_sums, read_text, verify, Pin, PIN_DIR_ENV, SPEC_DIR_ENV};
use serde_json::Value;

use crate::tasks::{root, run};

/// The package whose needs decide what is packaged.
const TOP: &str = "openlineage-conformance";

/// A publishable workspace crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
}

impl Member {
    /// `name-version`, the stem of its `.crate` file and of its extracted folder.
    pub fn stem(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

/// `top` and every workspace crate it needs to build (normal and build dependencies, followed
/// through path dependencies), from `cargo metadata --no-deps` output, dependencies first.
/// A needed crate marked `publish = false` is an error: its dependents could not be published.
pub fn needed_members(metadata: &Value, top: &str) -> Result<Vec<Member>> {
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata lists no packages")?;
    let by_name: BTreeMap<&str, &Value> = packages
        .iter()
        .filter_map(|p| Some((p["name"].as_str()?, p)))
        .collect();
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    visit(&by_name, top, &mut seen, &mut order)?;
    order
        .into_iter()
        .map(|name| {
            let p = by_name[name.as_str()];
            if p["publish"].as_array().is_some_and(Vec::is_empty) {
                bail!("{name} is needed by {top} but has `publish = false` in its manifest");
            }
            Ok(Member {
                version: p["version"].as_str().unwrap_or_default().to_string(),
                name,
            })
        })
        .collect()
}

fn visit(
    by_name: &BTreeMap<&str, &Value>,
    name: &str,
    seen: &mut BTreeSet<String>,
    order: &mut Vec<String>,
) -> Result<()> {
    if !seen.insert(name.to_string()) {
        return Ok(());
    }
    let package = by_name
        .get(name)
        .with_context(|| format!("{name} is not a workspace member"))?;
    for dep in package["dependencies"].as_array().into_iter().flatten() {
        // Dev-dependencies do not ship; only path dependencies are workspace crates.
        if dep["kind"].as_str() == Some("dev") || dep["path"].is_null() {
            continue;
        }
        let dep_name = dep["name"].as_str().unwrap_or_default();
        visit(by_name, dep_name, seen, order)?;
    }
    order.push(name.to_string());
    Ok(())
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // Packages must build from what they carry, never from a snapshot the environment names.
    cmd.env_remove(SPEC_DIR_ENV).env_remove(PIN_DIR_ENV);
    cmd
}

/// Copies the pinned snapshot's files, exactly those `spec/SHA256SUMS` lists, into
/// `spec/staged/<tag>/` (emptied first) and checks the copy. Returns the staged folder.
pub fn stage(root: &Path) -> Result<PathBuf> {
    let pin = Pin::read(root)?;
    let sums_path = root.join("spec/SHA256SUMS");
    // The source is the environment's folder or the pin's, never an earlier staged copy.
    let source = match std::env::var_os(SPEC_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join(&pin.path),
    };
    verify(&source, &sums_path)?;
    let staged_root = root.join(openlineage_codegen::spec::STAGED_DIR);
    if staged_root.exists() {
        std::fs::remove_dir_all(&staged_root)
            .with_context(|| format!("cannot empty {}", staged_root.display()))?;
    }
    let staged = pin.staged_dir(root);
    let sums = parse_sums(&sums_path, &read_text(&sums_path)?)?;
    for file in sums.keys() {
        let (from, to) = (source.join(file), staged.join(file));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(&from, &to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    verify(&staged, &sums_path)?;
    Ok(staged)
}

/// The root manifest's default features in the repository, and as packages carry them.
const CHECKOUT_DEFAULTS: &str = "default = [\"validate\", \"codegen\"]\n";
const PACKAGED_DEFAULTS: &str = "default = [\"validate\"]\n";

/// The root manifest as the types crate's package carries it: `codegen` left out of the default
/// features, since the package carries the generated code. An error when the manifest does not
/// have the expected line exactly once.
pub fn packaged_manifest(text: &str) -> Result<String> {
    if text.matches(CHECKOUT_DEFAULTS).count() != 1 {
        bail!(
            "Cargo.toml must declare the types crate's defaults as `{}` once, for packaging to drop `codegen`",
            CHECKOUT_DEFAULTS.trim_end()
        );
    }
    Ok(text.replacen(CHECKOUT_DEFAULTS, PACKAGED_DEFAULTS, 1))
}

/// The root manifest rewritten by [`packaged_manifest`] while this lives; dropping it writes the
/// original back with its modification time, so the checkout's builds stay fresh.
struct PackagedManifest {
    path: PathBuf,
    original: String,
    modified: std::time::SystemTime,
}

impl PackagedManifest {
    fn new(root: &Path) -> Result<Self> {
        let path = root.join("Cargo.toml");
        let original = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .with_context(|| format!("cannot stat {}", path.display()))?;
        let packaged = packaged_manifest(&original)?;
        std::fs::write(&path, packaged)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(PackagedManifest {
            path,
            original,
            modified,
        })
    }
}

impl Drop for PackagedManifest {
    fn drop(&mut self) {
        let restored = std::fs::write(&self.path, &self.original).and_then(|()| {
            std::fs::File::options()
                .write(true)
                .open(&self.path)?
                .set_modified(self.modified)
        });
        if let Err(e) = restored {
            eprintln!(
                "error: cannot restore {}: {e}; `git checkout Cargo.toml` does",
                self.path.display()
            );
        }
    }
}

/// Fails when git reports changes, as `cargo package` would, but leaves ignored files (the
/// staged spec) out of it.
fn clean_checkout(root: &Path) -> Result<()> {
    let out = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=normal"])
        .current_dir(root)
        .output()
        .context("cannot run git status")?;
    if !out.status.success() {
        bail!(
            "git status failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let changes = String::from_utf8_lossy(&out.stdout);
    if !changes.trim().is_empty() {
        bail!(
            "the checkout has uncommitted changes (commit them, or pass --allow-dirty):\n{}",
            changes.trim_end()
        );
    }
    Ok(())
}

/// What `package` made: the `.crate` files, in dependency order.
pub struct Packaged {
    /// The target folder the verification builds are in.
    pub target: PathBuf,
    /// The packaged crates, dependencies first.
    pub members: Vec<Member>,
    /// The `.crate` file of each member.
    pub crates: Vec<PathBuf>,
}

/// The scratch target folder shared by cargo's package verification, the downstream build and
/// the install, so third-party crates compile once: `target/package-check/<key>`, where the key
/// changes with the checkout's content. Cargo unpacks the packages it verifies into its registry
/// cache by version and never unpacks a version again, as if they were published, so a folder
/// (and with it the overlay registry's path) reused after a change would verify stale code.
/// Folders of other keys are removed.
fn check_target(root: &Path) -> Result<PathBuf> {
    let git = |args: &[&str]| -> Result<Vec<u8>> {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .context("cannot run git")?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    };
    let mut state = git(&["rev-parse", "HEAD"])?;
    state.extend(git(&["diff", "HEAD"])?);
    state.extend(git(&["status", "--porcelain"])?);
    let key = format!("{:016x}", fnv1a(&state));
    let parent = root.join("target/package-check");
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy() != key {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(parent.join(key))
}

/// A 64-bit FNV-1a hash: stable across Rust releases, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `package`: stages the spec and runs `cargo package` (which verifies every crate by building
/// it from its extracted contents) for the needed crates.
pub fn package(allow_dirty: bool) -> Result<Packaged> {
    let root = root();
    let metadata = crate::tasks::cargo_metadata(&root, ["--no-deps"])?;
    let members = needed_members(&metadata, TOP)?;
    if !allow_dirty {
        clean_checkout(&root)?;
    }
    let target = check_target(&root)?;
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    cargo_package(&root, &names, &target, true)?;
    // The .crate files are copied out of the keyed folder to one that does not move.
    let out_dir = root.join("target/packages");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut crates = Vec::new();
    for m in &members {
        let name = format!("{}.crate", m.stem());
        let (made, kept) = (target.join("package").join(&name), out_dir.join(&name));
        std::fs::copy(&made, &kept)
            .with_context(|| format!("cargo package did not write {}", made.display()))?;
        println!("{}", kept.display());
        crates.push(kept);
    }
    Ok(Packaged {
        target,
        members,
        crates,
    })
}

/// Stages the spec, generates the code the types crate carries and runs `cargo package` for
/// `names` into `target`, with cargo's verification builds or without; the checkout is as
/// before afterwards.
fn cargo_package(root: &Path, names: &[&str], target: &Path, verify: bool) -> Result<()> {
    let staged = stage(root)?;
    eprintln!("staged the pinned spec in {}", staged.display());
    let mut cmd = cargo();
    cmd.arg("package");
    for name in names {
        cmd.args(["-p", name]);
    }
    if !verify {
        cmd.arg("--no-verify");
    }
    // Cargo counts the staged files, git-ignored by design, as uncommitted changes, and the
    // manifest rewritten for the package; the checkout itself was checked before.
    cmd.arg("--allow-dirty");
    let packaged = generate_shipped(root).and_then(|()| {
        let _manifest = PackagedManifest::new(root)?;
        run(cmd.env("CARGO_TARGET_DIR", target))
    });
    // The staged copy exists for `cargo package` alone: left behind, it would shadow the pin in
    // every later build of this checkout and hide the snapshots beside the pinned one.
    let _ = std::fs::remove_dir_all(root.join(openlineage_codegen::spec::STAGED_DIR));
    packaged
}

/// The types crate's package and the generator's (which it names as an optional build
/// dependency), made without cargo's verification builds and unpacked into `dir`: what the
/// benchmark of a dependent's first build depends on. Returns the unpacked folders, the types
/// crate's first.
pub fn unpacked_types(root: &Path, dir: &Path) -> Result<[PathBuf; 2]> {
    let target = dir.join("package-target");
    let names = ["openlineage-codegen", "openlineage-types"];
    cargo_package(root, &names, &target, false)?;
    // Every crate of the workspace has the workspace's version, this one's too.
    let version = env!("CARGO_PKG_VERSION");
    let unpacked = dir.join("packages");
    let folder = |name: &str| -> Result<PathBuf> {
        let stem = format!("{name}-{version}");
        extract(
            &target.join("package").join(format!("{stem}.crate")),
            &unpacked,
        )?;
        Ok(unpacked.join(stem))
    };
    Ok([folder("openlineage-types")?, folder("openlineage-codegen")?])
}

/// Generates the code the types crate's package carries from the staged snapshot.
fn generate_shipped(root: &Path) -> Result<()> {
    let pin = Pin::read(root)?;
    let dir = openlineage_codegen::shipped::write_shipped(root, &pin)?;
    eprintln!("generated the types into {}", dir.display());
    Ok(())
}

/// Unpacks a `.crate` (a gzipped tar holding one `name-version/` folder) into `dir`.
fn extract(krate: &Path, dir: &Path) -> Result<()> {
    let file =
        std::fs::File::open(krate).with_context(|| format!("cannot open {}", krate.display()))?;
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(dir)
        .with_context(|| format!("cannot unpack {} into {}", krate.display(), dir.display()))
}

/// The first folder above `dir` (or `dir` itself) holding `shared/openlineage-spec`, the
/// snapshots a checkout reads through its pin.
fn snapshots_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|a| a.join("shared/openlineage-spec"))
        .find(|p| p.exists())
}

/// The downstream crate's program: the types crate's `downstream_roundtrip` example, so that
/// the workspace's own builds keep it compiling.
const DOWNSTREAM_MAIN: &str = include_str!("../../examples/downstream_roundtrip.rs");

/// The downstream crate names the types crate by version, as a user of the published crate
/// does; the install's patches point it at the extracted package.
const DOWNSTREAM_MANIFEST: &str = r#"[package]
name = "openlineage-downstream-check"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
openlineage-types = { version = "0.1.0", features = ["proptest"] }
proptest = "1"
serde_json = "1"
"#;

/// A dependent that leaves out the types crate's default features.
const MINIMAL_MANIFEST: &str = r#"[package]
name = "openlineage-minimal-check"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
openlineage-types = { version = "0.1.0", default-features = false }
serde_json = "1"
"#;

/// The program of a crate that depends on the packaged types: parses one event and writes it back
/// (the package check and the first-build bench rows both build it).
pub(crate) const MINIMAL_MAIN: &str = r##"fn main() {
    let text = r#"{"eventTime": "2024-01-01T00:00:00Z", "producer": "https://p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001"},
        "job": {"namespace": "n", "name": "j"}}"#;
    let event = openlineage_types::Event::from_json(text).expect("a valid event");
    println!("{}", serde_json::to_string(&event).expect("serializes"));
}
"##;

/// Fails when the code generator is among what building `krate` needs (it must use the code
/// the package carries).
fn without_generator(krate: &Path, patches: &[String], target: &Path) -> Result<()> {
    let out = cargo()
        .args([
            "tree",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(krate.join("Cargo.toml"))
        .args(patches)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(krate)
        .output()
        .context("cannot run cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    if let Some(line) = tree.lines().find(|l| l.starts_with("openlineage-codegen ")) {
        bail!(
            "{} builds the code generator ({line}); a package must use the code it carries",
            krate.display()
        );
    }
    Ok(())
}

/// Builds `krate` against another copy of the types package (`stem` and its `.crate`) whose
/// generated code has one more line, which `build.rs` must refuse, naming the file.
fn refuses_tampered_code(
    krate: &Path,
    (stem, types): (String, &PathBuf),
    patches: &[String],
    target: &Path,
) -> Result<()> {
    let tampered = krate.with_file_name("tampered");
    extract(types, &tampered)?;
    let copy = tampered.join(stem);
    let code = copy
        .join(openlineage_codegen::shipped::GENERATED_DIR)
        .join(openlineage_codegen::shipped::CODE_FILE);
    let mut text = std::fs::read_to_string(&code)
        .with_context(|| format!("cannot read {}", code.display()))?;
    text.push_str("// changed after packaging\n");
    std::fs::write(&code, text).with_context(|| format!("cannot write {}", code.display()))?;
    // The copy replaces the types package; the other patches stay.
    let mut patched: Vec<String> = patches
        .chunks(2)
        .filter(|p| !p[1].starts_with("patch.crates-io.openlineage-types."))
        .flatten()
        .cloned()
        .collect();
    patched.push("--config".into());
    patched.push(format!(
        "patch.crates-io.openlineage-types.path={:?}",
        copy.to_string_lossy()
    ));
    let out = cargo()
        .args(["build", "-q", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .args(&patched)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(krate)
        .output()
        .context("cannot run cargo for the tampered package")?;
    let said = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || !said.contains("does not match its checksum") {
        bail!("a package with changed generated code was not refused as it should be:\n{said}");
    }
    Ok(())
}

/// `package --check`: packages, then uses the packages from a folder with no spec snapshot above
/// it: a downstream crate round-trips events, and `cargo install` builds `ol-conformance`,
/// whose first run against its own reference server must pass.
pub fn check(allow_dirty: bool) -> Result<i32> {
    let root = root();
    let packaged = package(allow_dirty)?;
    let scratch = std::env::temp_dir().join(format!("ol-package-check-{}", std::process::id()));
    if let Some(found) = snapshots_above(&scratch) {
        bail!(
            "{} is above the scratch folder {}; the check needs a place with no spec snapshot (set TMPDIR)",
            found.display(),
            scratch.display()
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let result = check_in(&root, &scratch, &packaged);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn check_in(root: &Path, scratch: &Path, packaged: &Packaged) -> Result<i32> {
    let extracted = scratch.join("packages");
    for c in &packaged.crates {
        extract(c, &extracted)?;
    }
    // Apache-2.0 asks every copy to carry the licence and the notice.
    for m in &packaged.members {
        for file in ["LICENSE", "NOTICE"] {
            let path = extracted.join(m.stem()).join(file);
            if !path.is_file() {
                bail!("the {} package holds no {file}", m.name);
            }
        }
    }
    let dir_of = |name: &str| {
        packaged
            .members
            .iter()
            .find(|m| m.name == name)
            .map(|m| extracted.join(m.stem()))
            .with_context(|| format!("{name} was not packaged"))
    };
    let target = packaged.target.clone();
    // The workspace's lock file keeps third-party versions those of the verification builds.
    let lock = root.join("Cargo.lock");

    // Every sibling crate resolves to its extracted package, as it would to the published one.
    let patches: Vec<String> = packaged
        .members
        .iter()
        .filter(|m| m.name != TOP)
        .flat_map(|m| {
            let path = extracted.join(m.stem());
            [
                "--config".to_string(),
                format!(
                    "patch.crates-io.{}.path={:?}",
                    m.name,
                    path.to_string_lossy()
                ),
            ]
        })
        .collect();
    let downstream = scratch.join("downstream");
    std::fs::create_dir_all(downstream.join("src"))?;
    std::fs::write(downstream.join("Cargo.toml"), DOWNSTREAM_MANIFEST)?;
    std::fs::write(downstream.join("src/main.rs"), DOWNSTREAM_MAIN)?;
    std::fs::copy(&lock, downstream.join("Cargo.lock"))
        .with_context(|| format!("cannot copy {}", lock.display()))?;
    let out = cargo()
        .args(["run", "-q", "--manifest-path"])
        .arg(downstream.join("Cargo.toml"))
        .args(&patches)
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&downstream)
        .output()
        .context("cannot run cargo for the downstream crate")?;
    let said = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !said.contains("round-trip ok") {
        bail!(
            "the downstream crate failed against the packaged openlineage-types:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    println!("downstream crate: {}", said.trim());
    without_generator(&downstream, &patches, &target)?;

    // The smallest dependent: no default features (no validator), its events only parsed and
    // written back.
    let minimal = scratch.join("minimal");
    std::fs::create_dir_all(minimal.join("src"))?;
    std::fs::write(minimal.join("Cargo.toml"), MINIMAL_MANIFEST)?;
    std::fs::write(minimal.join("src/main.rs"), MINIMAL_MAIN)?;
    std::fs::copy(&lock, minimal.join("Cargo.lock"))
        .with_context(|| format!("cannot copy {}", lock.display()))?;
    let out = cargo()
        .args(["run", "-q", "--manifest-path"])
        .arg(minimal.join("Cargo.toml"))
        .args(&patches)
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&minimal)
        .output()
        .context("cannot run cargo for the crate without default features")?;
    let said = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !said.contains("\"runId\"") {
        bail!(
            "the crate without default features failed against the packaged openlineage-types:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    without_generator(&minimal, &patches, &target)?;
    println!("downstream crate without default features: parsed and wrote an event");
    let types = packaged
        .members
        .iter()
        .zip(&packaged.crates)
        .find(|(m, _)| m.name == "openlineage-types")
        .map(|(m, c)| (m.stem(), c))
        .context("openlineage-types was not packaged")?;
    refuses_tampered_code(&minimal, types, &patches, &target)?;
    println!("a package whose generated code was changed does not build");

    // Install from the package, the sibling crates patched in the same way.
    let conformance = dir_of(TOP)?;
    std::fs::copy(&lock, conformance.join("Cargo.lock"))
        .with_context(|| format!("cannot copy {}", lock.display()))?;
    // Resolving once with the patches trims the copied lock file to this package and keeps its
    // versions, so that the install can be `--locked`.
    run(cargo()
        .args(["fetch", "--manifest-path"])
        .arg(conformance.join("Cargo.toml"))
        .args(&patches)
        .current_dir(scratch))?;
    let install_root = scratch.join("install");
    run(cargo()
        .args(["install", "--debug", "--locked", "--path"])
        .arg(&conformance)
        .arg("--root")
        .arg(&install_root)
        .arg("--target-dir")
        .arg(&target)
        .args(&patches)
        .current_dir(scratch))?;
    let bin = install_root.join("bin/ol-conformance");
    let out = Command::new(&bin)
        .args(["run", "--cases", "4", "--format", "json"])
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let report: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{} printed no JSON report", bin.display()))?;
    let failed: Vec<&str> = report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["outcome"] == "fail")
        .filter_map(|r| r["id"].as_str())
        .collect();
    if !out.status.success() || !failed.is_empty() {
        bail!("the installed ol-conformance failed against its own reference server: {failed:?}");
    }
    println!(
        "installed ol-conformance from its package: {} checks judged against its own server",
        report["results"].as_array().map_or(0, Vec::len)
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(name: &str, publish: Value, deps: Value) -> Value {
        json!({"name": name, "version": "0.1.0", "publish": publish, "dependencies": deps})
    }

    fn path_dep(name: &str, kind: Value) -> Value {
        json!({"name": name, "kind": kind, "path": format!("/w/{name}")})
    }

    #[test]
    fn needed_members_follow_normal_and_build_path_dependencies() {
        let metadata = json!({"packages": [
            package("top", Value::Null, json!([
                path_dep("types", Value::Null),
                path_dep("diff", Value::Null),
                path_dep("testkit", json!("dev")),
                {"name": "serde", "kind": null, "req": "^1"},
            ])),
            package("types", Value::Null, json!([path_dep("codegen", json!("build"))])),
            package("diff", Value::Null, json!([path_dep("codegen", Value::Null)])),
            package("codegen", Value::Null, json!([])),
            package("testkit", json!([]), json!([])),
            package("xtask", json!([]), json!([path_dep("codegen", Value::Null)])),
        ]});
        let names: Vec<String> = needed_members(&metadata, "top")
            .expect("members")
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["codegen", "types", "diff", "top"]);
    }

    #[test]
    fn a_needed_crate_that_cannot_be_published_is_an_error() {
        let metadata = json!({"packages": [
            package("top", Value::Null, json!([path_dep("private", Value::Null)])),
            package("private", json!([]), json!([])),
        ]});
        let err = needed_members(&metadata, "top").expect_err("private is needed");
        assert!(
            err.to_string().contains("private is needed by top"),
            "{err}"
        );
    }

    /// The real workspace: the conformance tool's needs include the types crate and the code
    /// generator its build script runs, and nothing publish = false.
    #[test]
    fn the_workspace_packages_the_generator_the_types_and_the_tool() {
        let metadata =
            crate::tasks::cargo_metadata(&root(), ["--no-deps"]).expect("cargo metadata");
        let names: Vec<String> = needed_members(&metadata, TOP)
            .expect("members")
            .into_iter()
            .map(|m| m.name)
            .collect();
        for name in ["openlineage-codegen", "openlineage-types", TOP] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        assert_eq!(names.last().map(String::as_str), Some(TOP));
        assert!(!names.iter().any(|n| n == "xtask"));
    }

    /// Packaging rewrites the real manifest's default features, and only that line.
    #[test]
    fn the_packaged_manifest_leaves_the_generator_out_of_the_defaults() {
        let path = root().join("Cargo.toml");
        let text = std::fs::read_to_string(&path).expect("Cargo.toml");
        let packaged = packaged_manifest(&text).expect("the checkout's defaults");
        assert!(packaged.contains("\ndefault = [\"validate\"]\n"));
        assert!(packaged.contains("\ncodegen = [\"dep:openlineage-codegen\"]\n"));
        assert_eq!(packaged.lines().count(), text.lines().count());
        let err = packaged_manifest(&packaged).expect_err("already packaged");
        assert!(err.to_string().contains("once"), "{err}");
    }

    #[test]
    fn the_snapshot_check_looks_at_every_folder_above() {
        let scratch = std::env::temp_dir().join(format!("ol-above-{}", std::process::id()));
        let deep = scratch.join("a/b/c");
        std::fs::create_dir_all(&deep).expect("scratch");
        assert_eq!(snapshots_above(&deep), None);
        std::fs::create_dir_all(scratch.join("a/shared/openlineage-spec")).expect("snapshots");
        assert_eq!(
            snapshots_above(&deep),
            Some(scratch.join("a/shared/openlineage-spec"))
        );
        std::fs::remove_dir_all(&scratch).ok();
    }
}
