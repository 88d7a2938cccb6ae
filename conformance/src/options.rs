//! Checked options of a run, and the one home of every default and limit the command line,
//! the runner and the transport share (help texts are built from these constants).

use std::path::PathBuf;
use std::time::Duration;

use crate::expectations::Expectations;
use crate::families::Family;
use crate::Error;

/// Seconds a request may take, by default.
pub const TIMEOUT_SECS: f64 = 10.0;
/// Requests in flight at once, by default.
pub const CONCURRENCY: usize = 8;
/// Generated cases per family, by default.
pub const CASES: usize = 16;
/// Requests in a row without an answer before the target counts as stalled, by default.
pub const STALL_AFTER: usize = 3;
/// Seconds all shrinking together may take, by default.
pub const SHRINK_SECS: f64 = 60.0;
/// Requests one failure may send while shrinking (its replay included).
pub const SHRINK_BUDGET: usize = 48;
/// How many times one body may crash the target (no answer) before the runner stops sending it,
/// unless `--resend-crashes` asks for more.
pub const CRASH_RESENDS: usize = 2;
/// Longest body a report's curl line carries inline; larger ones go to side files.
pub const INLINE_BODY: usize = 64 * 1024;
/// Seconds `collect` waits for a producer's first event, by default.
pub const FIRST_EVENT_SECS: f64 = 300.0;
/// Distinct failures of one check shown in full (each shrunk); the rest are named in a list.
pub const SHOWN_FAILURES: usize = 6;
/// Seconds an accepted event may take to become readable through `--read-back`.
pub const READ_BACK_WAIT_SECS: f64 = 2.0;

/// Which checks a run selects: include and exclude globs over check ids.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    include: Vec<glob::Pattern>,
    exclude: Vec<glob::Pattern>,
}

impl Selection {
    /// A selection from glob texts; `Err` names a bad glob.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, Error> {
        let globs = |list: &[String]| {
            list.iter()
                .map(|g| {
                    glob::Pattern::new(g).map_err(|e| Error::Usage(format!("bad glob `{g}`: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Selection {
            include: globs(include)?,
            exclude: globs(exclude)?,
        })
    }

    /// Whether check `id` is selected.
    pub fn selects(&self, id: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(id)))
            && !self.excludes(id)
    }

    /// Whether check `id` is explicitly excluded.
    pub fn excludes(&self, id: &str) -> bool {
        self.exclude.iter().any(|p| p.matches(id))
    }

    /// Whether a family's cases are sent: one of its checks is selected and the check it exists
    /// for is not excluded (excluding a check stops its cases, riders or not).
    pub fn sends(&self, family: &Family) -> bool {
        !self.excludes(family.check().id()) && family.selected_by().any(|c| self.selects(c.id()))
    }
}

/// Options for a run, checked: build them with [`RunOptions::new`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// API base URL, e.g. `http://127.0.0.1:5000/api/v1`.
    pub target: reqwest::Url,
    /// Extra headers on every request; each replaces the runner's header of the same name.
    pub headers: Vec<(String, String)>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Send request bodies gzip-compressed.
    pub gzip: bool,
    /// Seed for every generated case.
    pub seed: u64,
    /// Generated cases per family (at least one per kind of case is always sent).
    pub cases: usize,
    /// Which checks run.
    pub selection: Selection,
    /// Should-tier failures fail the run.
    pub strict: bool,
    /// Known failures of this target.
    pub expectations: Option<Expectations>,
    /// Consecutive requests with no answer (each retried once on a fresh connection) after which
    /// the target counts as stalled, once a probe on a fresh connection fails too.
    pub stall_after: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Save every request sent here, as JSON lines ([`crate::record`]).
    pub save_requests: Option<PathBuf>,
    /// Wall time all shrinking together may take.
    pub shrink_time: Duration,
    /// Failures shrunk at once (each shrinks one request at a time).
    pub shrink_jobs: usize,
    /// Resend bodies that crashed the target (no answer) more than [`CRASH_RESENDS`] times.
    pub resend_crashes: bool,
    /// Where failure bodies too large to show inline are written, for `curl --data-binary @file`.
    pub bodies_dir: Option<PathBuf>,
    /// Where stored events are read back from; `None` leaves the `readback.*` checks not run.
    pub read_back: Option<crate::readback::ReadBackOptions>,
}

impl RunOptions {
    /// Options with the defaults the command line uses; `Err` when `target` is not an http(s) URL.
    pub fn new(target: &str) -> Result<Self, Error> {
        let url = reqwest::Url::parse(target)
            .map_err(|e| Error::Usage(format!("--target `{target}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Usage(format!(
                "--target must be an http or https URL, not `{target}`"
            )));
        }
        Ok(RunOptions {
            target: url,
            headers: vec![],
            timeout: Duration::from_secs_f64(TIMEOUT_SECS),
            concurrency: CONCURRENCY,
            gzip: false,
            seed: 0,
            cases: CASES,
            selection: Selection::default(),
            strict: false,
            expectations: None,
            stall_after: STALL_AFTER,
            progress: false,
            save_requests: None,
            shrink_time: Duration::from_secs_f64(SHRINK_SECS),
            shrink_jobs: CONCURRENCY,
            resend_crashes: false,
            bodies_dir: None,
            read_back: None,
        })
    }
}
