//! Python environments for tests that drive real Python programs: one venv per requirements file,
//! built under the Cargo target directory the first time a test asks for it.
//!
//! Shared by the Python-driven tests and `cargo xtask bench`, so that the README's test command
//! needs no separate `pip install` and a fresh machine provisions itself.
//! The venv's folder name carries a hash of the requirements file and of the interpreter, so
//! editing the pins builds a new one. Concurrent tests wait for one another on a lock directory.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

/// The environment variable naming the interpreter used to create venvs (default `python3`).
pub const PYTHON_ENV: &str = "OL_TEST_PYTHON";

/// How long a test waits for another process that is building the same venv.
const LOCK_WAIT: Duration = Duration::from_secs(900);

/// A ready venv: its interpreter and its `bin` folder (for console scripts such as `dbt-ol`).
#[derive(Debug, Clone)]
pub struct PyEnv {
    /// The venv's own `python`.
    pub python: PathBuf,
    /// The venv's `bin` folder.
    pub bin: PathBuf,
}

impl PyEnv {
    /// A command running one of the venv's console scripts, with the venv's `bin` first on `PATH`.
    pub fn script(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(paths) {
            cmd.env("PATH", joined);
        }
        cmd.env("VIRTUAL_ENV", self.bin.parent().unwrap_or(&self.bin));
        cmd
    }
}

/// The Cargo target directory of the running test or tool: two levels above `deps/` for a test
/// binary, one above the profile folder for a binary; `CARGO_TARGET_DIR` wins when set.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .find(|p| p.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The interpreter venvs are created with: `OL_TEST_PYTHON` when set, else `python3`.
pub fn interpreter() -> String {
    std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".into())
}

/// A venv with the packages of `requirements` installed, built on first use.
///
/// The error is one line saying what is missing and how to provide it.
pub fn ensure(requirements: &Path) -> Result<PyEnv, String> {
    let interpreter = interpreter();
    let pins = std::fs::read(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let version = Command::new(&interpreter)
        .args(["-c", "import sys; print(sys.version)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| o.stdout)
        .ok_or_else(|| {
            format!(
                "no Python interpreter: `{interpreter}` does not run; install Python 3 (with venv and pip) or set {PYTHON_ENV} to one"
            )
        })?;
    let stem = requirements
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("requirements");
    let key = fnv1a(&[pins.as_slice(), version.as_slice()].concat());
    let root = target_dir().join("pyenv");
    let dir = root.join(format!("{stem}-{key:016x}"));
    let env = PyEnv {
        python: dir.join("bin/python"),
        bin: dir.join("bin"),
    };
    let stamp = dir.join(".ready");
    if stamp.is_file() {
        return Ok(env);
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    let _lock = Lock::take(&root.join(format!("{stem}-{key:016x}.lock")))?;
    if stamp.is_file() {
        return Ok(env);
    }
    // A half-built venv from an interrupted run is started again from nothing.
    let _ = std::fs::remove_dir_all(&dir);
    create_venv(&dir)?;
    pip_install(
        &env.python,
        &["-r".as_ref(), requirements.as_os_str()],
        &format!(
            "cannot install {} into {} (is PyPI reachable? pip's last words follow)",
            requirements.display(),
            dir.display()
        ),
    )?;
    std::fs::write(&stamp, b"").map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(env)
}

/// Creates a venv in `dir` with [`interpreter`]; returns the venv's `python`.
pub fn create_venv(dir: &Path) -> Result<PathBuf, String> {
    let interpreter = interpreter();
    run(
        Command::new(&interpreter).args(["-m", "venv"]).arg(dir),
        &format!(
            "`{interpreter} -m venv` failed (install the venv module, e.g. Debian's python3-venv)"
        ),
    )?;
    Ok(dir.join("bin/python"))
}

/// Runs `pip install` quietly with `args` in the venv of `python`; `what` opens the error,
/// which ends with pip's last words.
pub fn pip_install(python: &Path, args: &[&OsStr], what: &str) -> Result<(), String> {
    run(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(args),
        what,
    )
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    Err(format!("{what}: {}", last.trim()))
}

/// A 64-bit FNV-1a hash: stable across Rust releases, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A lock held while a venv is built: a directory, because creating one is atomic everywhere.
struct Lock(PathBuf);

impl Lock {
    fn take(path: &Path) -> Result<Self, String> {
        let start = Instant::now();
        loop {
            match std::fs::create_dir(path) {
                Ok(()) => return Ok(Lock(path.to_path_buf())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // A lock older than the wait is left over from a killed run.
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok())
                        .is_some_and(|age| age > LOCK_WAIT);
                    if stale {
                        let _ = std::fs::remove_dir(path);
                    } else if start.elapsed() > LOCK_WAIT {
                        return Err(format!(
                            "timed out waiting for {} (another test is building this venv; remove it if none is)",
                            path.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}
