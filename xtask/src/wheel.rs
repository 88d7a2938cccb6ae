//! `cargo xtask wheel`: the Python wheel `openlineage-conformance`, which carries the
//! `ol-conformance` binary (maturin's binary bindings) so `pip install` puts it on PATH with no
//! Rust toolchain, and (with `--check`) proof that it installs and runs without one.
//!
//! maturin runs from a venv under `target/pyenv/` built from a pinned requirements file, as the
//! tests' Python programs do, and drives cargo with the workspace's own target folder: a release
//! build of `ol-conformance` made before (or after) is reused, not repeated. The project's
//! metadata is `pyproject.toml` at the root, beside the README, `LICENSE` and `NOTICE` it names.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use crate::tasks::{root, run};
use openlineage_testkit::pyenv;

/// The pinned maturin, relative to the workspace root.
const REQUIREMENTS: &str = "xtask/requirements-wheel.txt";

/// Where wheels are written, relative to the workspace root.
const WHEEL_DIR: &str = "target/wheels";

/// The wheel's distribution name as it appears in file names (PEP 427 escapes `-` as `_`).
const DIST: &str = "openlineage_conformance";

/// The project name on PyPI and in the wheel's metadata.
const PROJECT: &str = "openlineage-conformance";

/// The crate whose binary and version the wheel carries.
const CRATE: &str = "openlineage-conformance";

/// The executable the wheel installs.
const BIN: &str = "ol-conformance";

/// Tools that must not be on the PATH the installed binary runs with.
const RUST_TOOLS: [&str; 3] = ["cargo", "rustc", "rustup"];

/// How long one command of the check may take before it counts as hung.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// `wheel`: builds the wheel and prints its path.
pub fn wheel() -> Result<i32> {
    let wheel = build(&root())?;
    println!("{}", wheel.display());
    Ok(0)
}

/// Builds the release wheel into `target/wheels/` (older wheels of the project removed first, so
/// exactly one is left) and returns its path.
pub fn build(root: &Path) -> Result<PathBuf> {
    let env = pyenv::ensure(&root.join(REQUIREMENTS)).map_err(|e| anyhow!(e))?;
    let out = root.join(WHEEL_DIR);
    for old in wheels_in(&out)? {
        std::fs::remove_file(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    run(Command::new(env.bin.join("maturin"))
        .args(["build", "--release", "--out"])
        .arg(&out))?;
    match wheels_in(&out)?.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("maturin wrote no {DIST} wheel into {}", out.display()),
        many => bail!(
            "maturin wrote {} {DIST} wheels into {}, expected one",
            many.len(),
            out.display()
        ),
    }
}

/// The project's wheel in `target/wheels/`, as the last `wheel` left it.
pub fn existing(root: &Path) -> Result<PathBuf> {
    let dir = root.join(WHEEL_DIR);
    wheels_in(&dir)?.into_iter().next().with_context(|| {
        format!(
            "no {DIST} wheel in {} (`cargo xtask wheel` builds one)",
            dir.display()
        )
    })
}

fn wheels_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut wheels = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let name = path.file_name().and_then(OsStr::to_str).unwrap_or_default();
        if name.starts_with(&format!("{DIST}-")) && name.ends_with(".whl") {
            wheels.push(path);
        }
    }
    wheels.sort();
    Ok(wheels)
}

/// A wheel installed into a fresh venv.
pub struct Installed {
    /// The venv's folder.
    pub venv: PathBuf,
    /// Seconds `pip install` took (the venv's creation not included).
    pub install_secs: f64,
}

impl Installed {
    /// The installed `ol-conformance`.
    pub fn bin(&self) -> PathBuf {
        self.venv.join("bin").join(BIN)
    }
}

/// Creates a venv in `venv` (emptied first) with the interpreter the tests use, and installs
/// `wheel` into it from the file alone (`--no-index`: no package index is asked for anything).
pub fn install(wheel: &Path, venv: &Path) -> Result<Installed> {
    if venv.exists() {
        std::fs::remove_dir_all(venv)
            .with_context(|| format!("cannot empty {}", venv.display()))?;
    }
    let python = pyenv::create_venv(venv).map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    pyenv::pip_install(
        &python,
        &["--no-index".as_ref(), wheel.as_os_str()],
        &format!("cannot install {}", wheel.display()),
    )
    .map_err(anyhow::Error::msg)?;
    Ok(Installed {
        venv: venv.to_path_buf(),
        install_secs: started.elapsed().as_secs_f64(),
    })
}

/// `wheel --check`: builds the wheel, checks its name, metadata and files, installs it into a
/// fresh venv and runs the installed `ol-conformance` with a PATH that holds no Rust tool and an
/// environment holding nothing else: `--version`, `run` against the embedded reference server,
/// and `lint` on a valid and on a broken stream.
pub fn check() -> Result<i32> {
    let root = root();
    let version = crate_version(&root)?;
    let wheel = build(&root)?;
    let listing = list_wheel(&root, &wheel)?;
    let file_name = wheel
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or_default();
    let readme =
        std::fs::read_to_string(root.join("README.md")).context("cannot read README.md")?;
    let problems = content_problems(file_name, &listing, &version, &readme);
    if !problems.is_empty() {
        bail!(
            "{} is not as expected:\n  {}",
            wheel.display(),
            problems.join("\n  ")
        );
    }
    eprintln!("{file_name}: name, version {version}, metadata and files as expected");

    let scratch = root.join("target/wheel-check");
    let installed = install(&wheel, &scratch.join("venv"))?;
    eprintln!("installed in {:.1} s", installed.install_secs);
    let path = path_without_rust(
        &installed.venv.join("bin"),
        &std::env::var_os("PATH").unwrap_or_default(),
    )?;
    let ran = |args: &[&str]| -> Result<Ran> {
        let mut cmd = Command::new(installed.bin());
        // Nothing from cargo's environment reaches the binary; HOME for anything that wants it.
        cmd.env_clear()
            .env("PATH", &path)
            .args(args)
            .current_dir(&scratch);
        if let Some(home) = std::env::var_os("HOME") {
            cmd.env("HOME", home);
        }
        run_captured(&mut cmd, &scratch, COMMAND_TIMEOUT)
    };

    // The filter is the guarantee; this proves it with the shell's own lookup.
    let mut lookup = Command::new("sh");
    lookup
        .env_clear()
        .env("PATH", &path)
        .args(["-c", "command -v cargo || command -v rustc"]);
    let found = run_captured(&mut lookup, &scratch, COMMAND_TIMEOUT)?;
    if found.code == Some(0) {
        bail!(
            "a Rust tool is still on the check's PATH: {}",
            found.stdout.trim()
        );
    }

    let shown = ran(&["--version"])?;
    expect(&shown, "--version", 0, &[&format!("{BIN} {version}")])?;

    // With no target the run starts the embedded reference server on a loopback port; every
    // check passes against it, so anything failed means the packaged binary is broken.
    let suite = ran(&["run"])?;
    expect(
        &suite,
        "run against the embedded reference server",
        0,
        &[
            "target http://127.0.0.1:",
            "pass  single.valid.run.accepted",
            // The reference server's one strict note: its parser limits nesting depth.
            " 0 fail, 0 warn, 1 note, 0 xfail, 0 xpass, 0 notrun",
        ],
    )?;

    let good = scratch.join("good-run.jsonl");
    let broken = scratch.join("broken-run.jsonl");
    write_file(&good, &run_events(&["START", "COMPLETE"]))?;
    write_file(&broken, &run_events(&["COMPLETE"]))?;
    let good_str = good.to_string_lossy();
    let linted = ran(&["lint", &good_str])?;
    expect(
        &linted,
        "lint on a valid stream",
        0,
        &["2 events", "pass  producer.run.single_start", " 0 fail,"],
    )?;
    let broken_str = broken.to_string_lossy();
    let linted = ran(&["lint", &broken_str])?;
    expect(
        &linted,
        "lint on a run without START",
        1,
        &["FAIL  producer.run.start_seen", " 1 fail,"],
    )?;
    eprintln!(
        "the installed {BIN} ran --version, run and lint with no Rust tool on PATH: wheel check passed"
    );
    Ok(0)
}

/// The crate version the wheel must carry, from `cargo metadata`.
fn crate_version(root: &Path) -> Result<String> {
    crate::tasks::cargo_metadata(root, ["--no-deps"])?["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == CRATE)
        .and_then(|p| p["version"].as_str())
        .map(String::from)
        .with_context(|| format!("cargo metadata lists no {CRATE}"))
}

/// What a wheel holds: its file names and the text of its `METADATA`.
#[derive(Debug, Default)]
struct Listing {
    names: Vec<String>,
    metadata: String,
}

/// Lists a wheel (a zip file) with the standard library of the maturin venv's Python, so xtask
/// needs no zip crate.
fn list_wheel(root: &Path, wheel: &Path) -> Result<Listing> {
    const LIST_PY: &str = "import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
meta = [n for n in names if n.endswith('.dist-info/METADATA')]
print(json.dumps({'names': names, 'metadata': z.read(meta[0]).decode() if meta else ''}))";
    let env = pyenv::ensure(&root.join(REQUIREMENTS)).map_err(|e| anyhow!(e))?;
    let out = Command::new(&env.python)
        .args(["-c", LIST_PY])
        .arg(wheel)
        .output()
        .with_context(|| format!("cannot run {}", env.python.display()))?;
    if !out.status.success() {
        bail!(
            "cannot list {}: {}",
            wheel.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("listing of {}", wheel.display()))?;
    Ok(Listing {
        names: v["names"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(String::from))
            .collect(),
        metadata: v["metadata"].as_str().unwrap_or_default().to_string(),
    })
}

/// Everything wrong with a wheel's name, metadata and files, one line each.
fn content_problems(
    file_name: &str,
    listing: &Listing,
    version: &str,
    readme: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let prefix = format!("{DIST}-{version}-");
    if !file_name.starts_with(&prefix) || !file_name.ends_with(".whl") {
        problems.push(format!(
            "file name {file_name} does not start with {prefix}"
        ));
    }
    let (headers, body) = listing
        .metadata
        .split_once("\n\n")
        .unwrap_or((listing.metadata.as_str(), ""));
    let headers: Vec<&str> = headers.lines().collect();
    for wanted in [
        format!("Name: {PROJECT}"),
        format!("Version: {version}"),
        "License-Expression: Apache-2.0".into(),
        "License-File: LICENSE".into(),
        "License-File: NOTICE".into(),
        "Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM".into(),
    ] {
        if !headers.contains(&wanted.as_str()) {
            problems.push(format!("METADATA lacks `{wanted}`"));
        }
    }
    if !headers
        .iter()
        .any(|h| h.starts_with("Project-URL: Documentation, ") && h.ends_with("/README.md"))
    {
        problems.push("METADATA has no Documentation link to the README".into());
    }
    // The long description is the README itself (maturin may normalise line endings only).
    if body.trim() != readme.trim() {
        problems.push("METADATA's description is not the README".into());
    }
    let data = format!("{DIST}-{version}.data/scripts/{BIN}");
    let licenses = format!("{DIST}-{version}.dist-info/licenses/");
    for wanted in [
        data,
        format!("{licenses}LICENSE"),
        format!("{licenses}NOTICE"),
    ] {
        if !listing.names.contains(&wanted) {
            problems.push(format!("no {wanted} in the wheel"));
        }
    }
    problems
}

/// The PATH the installed binary runs with: the venv's `bin`, then every folder of `path` that
/// holds none of the Rust tools (so neither cargo nor a toolchain can be found).
fn path_without_rust(venv_bin: &Path, path: &OsStr) -> Result<OsString> {
    let mut dirs = vec![venv_bin.to_path_buf()];
    dirs.extend(
        std::env::split_paths(path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .filter(|dir| !RUST_TOOLS.iter().any(|tool| dir.join(tool).exists())),
    );
    std::env::join_paths(dirs).context("cannot build a PATH without the Rust tools")
}

/// What a command did.
#[derive(Debug)]
struct Ran {
    shown: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` with stdout and stderr in files under `scratch` (no pipe can fill and stall it),
/// killing it after `timeout`.
fn run_captured(cmd: &mut Command, scratch: &Path, timeout: Duration) -> Result<Ran> {
    let shown = format!("{cmd:?}");
    let (out_path, err_path) = (scratch.join("stdout.txt"), scratch.join("stderr.txt"));
    let create =
        |p: &Path| File::create(p).with_context(|| format!("cannot create {}", p.display()));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(create(&out_path)?)
        .stderr(create(&err_path)?)
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{shown} did not finish within {} s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |p: &Path| -> Result<String> {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    Ok(Ran {
        shown,
        code: status.code(),
        stdout: read(&out_path)?,
        stderr: read(&err_path)?,
    })
}

/// Fails unless `ran` exited with `code` and its stdout holds every one of `needles`.
fn expect(ran: &Ran, what: &str, code: i32, needles: &[&str]) -> Result<()> {
    let missing: Vec<&&str> = needles
        .iter()
        .filter(|n| !ran.stdout.contains(**n))
        .collect();
    if ran.code != Some(code) || !missing.is_empty() {
        bail!(
            "{what}: expected exit {code} and output holding {needles:?}; got exit {:?}, missing {missing:?}\ncommand: {}\nstdout:\n{}\nstderr:\n{}",
            ran.code,
            ran.shown,
            ran.stdout,
            ran.stderr
        );
    }
    eprintln!("{what}: exit {code}, output as expected");
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// JSON lines of one run's events, one per event type given, a minute apart.
fn run_events(types: &[&str]) -> String {
    types
        .iter()
        .enumerate()
        .map(|(i, event_type)| {
            serde_json::json!({
                "eventType": event_type,
                "eventTime": format!("2026-12-04T10:0{i}:00.000Z"),
                "run": {"runId": "0193a7b2-5c1d-7e4f-8a2b-3c4d5e6f7a8b"},
                "job": {"namespace": "wheel-check", "name": "daily"},
                "inputs": [],
                "outputs": [],
                "producer": "https://example.com/wheel-check",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            })
            .to_string()
                + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "# openlineage-rs\n\nText.\n";

    fn good_listing() -> Listing {
        Listing {
            names: vec![
                "openlineage_conformance-0.1.0.data/scripts/ol-conformance".into(),
                "openlineage_conformance-0.1.0.dist-info/licenses/LICENSE".into(),
                "openlineage_conformance-0.1.0.dist-info/licenses/NOTICE".into(),
                "openlineage_conformance-0.1.0.dist-info/METADATA".into(),
            ],
            metadata: "Metadata-Version: 2.4\nName: openlineage-conformance\nVersion: 0.1.0\nLicense-Expression: Apache-2.0\nLicense-File: LICENSE\nLicense-File: NOTICE\nProject-URL: Documentation, https://example.com/blob/main/README.md\nDescription-Content-Type: text/markdown; charset=UTF-8; variant=GFM\n\n# openlineage-rs\n\nText.\n".into(),
        }
    }

    const NAME: &str = "openlineage_conformance-0.1.0-py3-none-manylinux_2_17_x86_64.whl";

    #[test]
    fn a_complete_wheel_has_no_problems() {
        assert_eq!(
            content_problems(NAME, &good_listing(), "0.1.0", README),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_wrong_version_a_missing_notice_and_another_readme_are_each_reported() {
        let mut listing = good_listing();
        listing.names.retain(|n| !n.ends_with("NOTICE"));
        let problems = content_problems(NAME, &listing, "0.2.0", "# another\n");
        let text = problems.join("\n");
        assert!(
            text.contains("does not start with openlineage_conformance-0.2.0-"),
            "{text}"
        );
        assert!(text.contains("lacks `Version: 0.2.0`"), "{text}");
        assert!(
            text.contains("no openlineage_conformance-0.2.0.data/scripts/ol-conformance"),
            "{text}"
        );
        assert!(text.contains("description is not the README"), "{text}");

        let problems = content_problems(NAME, &listing, "0.1.0", README);
        assert_eq!(
            problems,
            vec!["no openlineage_conformance-0.1.0.dist-info/licenses/NOTICE in the wheel"]
        );
    }

    #[test]
    fn metadata_without_licence_files_or_readme_link_is_reported() {
        let mut listing = good_listing();
        listing.metadata = listing
            .metadata
            .lines()
            .filter(|l| !l.starts_with("License-File") && !l.starts_with("Project-URL"))
            .collect::<Vec<_>>()
            .join("\n");
        let text = content_problems(NAME, &listing, "0.1.0", README).join("\n");
        assert!(text.contains("lacks `License-File: LICENSE`"), "{text}");
        assert!(text.contains("lacks `License-File: NOTICE`"), "{text}");
        assert!(
            text.contains("no Documentation link to the README"),
            "{text}"
        );
    }

    #[test]
    fn the_check_path_drops_every_folder_holding_a_rust_tool() {
        let scratch = std::env::temp_dir().join(format!("xtask-wheel-path-{}", std::process::id()));
        let (rust, plain, venv) = (
            scratch.join("cargo-bin"),
            scratch.join("usr-bin"),
            scratch.join("venv-bin"),
        );
        for dir in [&rust, &plain] {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(rust.join("cargo"), b"").unwrap_or_else(|e| panic!("{e}"));
        let path = std::env::join_paths([&rust, &plain]).unwrap_or_else(|e| panic!("{e}"));
        let got = path_without_rust(&venv, &path).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<PathBuf> = std::env::split_paths(&got).collect();
        let _ = std::fs::remove_dir_all(&scratch);
        assert_eq!(got, vec![venv, plain]);
    }

    #[test]
    fn a_command_that_hangs_is_killed_and_reported() {
        let scratch = std::env::temp_dir().join(format!("xtask-wheel-hang-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).unwrap_or_else(|e| panic!("{e}"));
        let err = run_captured(
            Command::new("sleep").arg("30"),
            &scratch,
            Duration::from_millis(200),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&scratch);
        assert!(err.contains("did not finish within"), "{err}");
    }

    #[test]
    fn expect_names_the_missing_output_and_the_exit_code() {
        let ran = Ran {
            shown: "ol-conformance run".into(),
            code: Some(1),
            stdout: "49 passed, 1 failed".into(),
            stderr: String::new(),
        };
        let err = expect(&ran, "run", 0, &[" passed, 0 failed"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("got exit Some(1)"), "{err}");
        assert!(err.contains("\" passed, 0 failed\""), "{err}");
        assert!(expect(&ran, "run", 1, &["1 failed"]).is_ok());
    }
}
