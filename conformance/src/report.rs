//! Run reports: the data model, and its human, JSON and JUnit renderings (HTML in [`crate::html`]).
//!
//! The JSON rendering is a stable interface, versioned by `schema_version`; every format and the
//! exit code use one outcome vocabulary ([`Outcome`]). Version 2 (this one) changed outcome
//! words, check ids and tiers: its `compatibility_notes` list each change ([`crate::checks::ALIASES`]).

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use base64::Engine;

use crate::checks::{Alias, Check, CheckTier};
use crate::expectations::Expectations;
use crate::options::INLINE_BODY;
use crate::wire::{Observed, Req};
use crate::Error;

/// The JSON report's layout version.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// How one check came out: the one vocabulary of every format and of the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Observed and never violated.
    Pass,
    /// Violated, and failing the run: a must check, or a should check in a `--strict` run.
    Fail,
    /// A should check violated in a run that is not `--strict`: reported, not failing.
    Warn,
    /// A strict check violated: reported, never failing.
    Note,
    /// Violated, as the expectations file says it will be.
    XFail,
    /// The expectations file says it fails, but it passed: the entry is stale; fails the run.
    XPass,
    /// Not observed in this run (excluded, or its cases did not reach it).
    NotRun,
}

impl Outcome {
    /// Every outcome, in the order counts are given.
    pub const ALL: [Outcome; 7] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Warn,
        Outcome::Note,
        Outcome::XFail,
        Outcome::XPass,
        Outcome::NotRun,
    ];

    /// The outcome's word, as every format writes it.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Note => "note",
            Outcome::XFail => "xfail",
            Outcome::XPass => "xpass",
            Outcome::NotRun => "notrun",
        }
    }

    /// Whether the outcome fails the run (exit code 1).
    pub fn fails_run(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::XPass)
    }
}

/// A request or response as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// `POST url` for requests, `status N` for responses, or the transport error.
    pub line: String,
    /// Headers of interest.
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy for non-UTF-8), truncated.
    pub body: String,
    /// Full body size in bytes.
    pub body_bytes: usize,
    /// The body is left out here because the failure's curl line carries it inline.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_in_curl: bool,
}

const SHOWN_BODY: usize = 4096;

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN_BODY)]).into_owned();
    if bytes.len() > SHOWN_BODY {
        format!("{text}… ({} more bytes)", bytes.len() - SHOWN_BODY)
    } else {
        text
    }
}

fn is_secret(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "cookie" | "proxy-authorization" | "x-api-key"
    )
}

/// `headers` with secret values redacted.
pub fn redacted(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let v = if is_secret(k) {
                "<redacted>".to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// The headers a request goes out with (user headers replacing the runner's own of the same
/// name), secret values redacted.
pub fn shown_headers(req: &Req, headers: &[(String, String)], gzip: bool) -> Vec<(String, String)> {
    redacted(&req.headers(headers, gzip))
}

impl Exchange {
    /// A request as sent (secret header values redacted).
    pub fn request(url: &str, req: &Req, headers: &[(String, String)], gzip: bool) -> Self {
        Exchange {
            line: format!("POST {url}"),
            headers: shown_headers(req, headers, gzip),
            body: shown(&req.body),
            body_bytes: req.body.len(),
            body_in_curl: false,
        }
    }

    /// An event as received (by a producer check): where it came from and its body.
    pub fn event(line: String, body: &[u8]) -> Self {
        Exchange {
            line,
            headers: Vec::new(),
            body: shown(body),
            body_bytes: body.len(),
            body_in_curl: false,
        }
    }

    /// A response as received.
    pub fn response(o: &Observed) -> Self {
        let line = match (o.status, &o.error) {
            (Some(s), None) => format!("status {s}"),
            (Some(s), Some(e)) => format!("status {s}, then {e}"),
            (None, Some(e)) => format!("no answer: {e}"),
            (None, None) => "no answer".into(),
        };
        let line = if o.status.is_some() && o.body.is_empty() {
            format!("{line}, empty body")
        } else {
            line
        };
        Exchange {
            line,
            headers: o
                .content_type
                .iter()
                .map(|c| ("content-type".to_string(), c.clone()))
                .collect(),
            body: shown(&o.body),
            body_bytes: o.body.len(),
            body_in_curl: false,
        }
    }
}

/// One request exactly as it went on the wire, for reproductions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WireRequest {
    /// The full URL.
    pub url: String,
    /// Every header, unredacted (the curl line reads secret ones from the environment).
    pub headers: Vec<(String, String)>,
    /// The body as sent (compressed when it was).
    pub body: Vec<u8>,
}

/// One distinct (shrunk) violation of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The violated expectation, in plain words.
    pub message: String,
    /// What sets this failure apart from the check's others: the class of each answer and
    /// the kind of case.
    pub signature: String,
    /// Simplifications that kept the failure (successful shrink steps).
    pub shrink_steps: usize,
    /// Requests sent while shrinking.
    pub shrink_attempts: usize,
    /// True when shrinking ran to the end: no simpler input the tree offers still fails.
    pub minimal: bool,
    /// Why the input was not shrunk, or shrinking stopped early.
    pub shrink_note: Option<String>,
    /// Whether the reported case, replayed before the report was written, failed again the same
    /// way (`false`: flaky or dependent on earlier requests); absent when it was not replayed.
    pub reproduced: Option<bool>,
    /// The request that shows it.
    pub request: Option<Exchange>,
    /// What came back.
    pub response: Option<Exchange>,
    /// For a check that depends on earlier requests: every request of the case, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sequence: Vec<Exchange>,
    /// A shell script of `curl` commands that sends the same requests, in order.
    pub curl: Option<String>,
    /// Files holding bodies too large to show inline, which the `curl` script sends.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body_files: Vec<String>,
    /// For a read-back check: the event as sent beside what the store gave back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_back: Option<ReadBackShown>,
    /// The requests as sent, for the reproduction.
    #[serde(skip)]
    pub wire: Vec<WireRequest>,
}

/// What a read-back failure shows: the event sent and what was read back, side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadBackShown {
    /// How it was read: the command or the URLs, to run again by hand.
    pub how: String,
    /// The event as sent, pretty-printed.
    pub sent: String,
    /// Every event the store gave back for the run, pretty-printed.
    pub stored: String,
    /// Where the closest stored event first differs from the sent one, as
    /// `at POINTER: sent …, read back …`; `None` when nothing differs or nothing was stored.
    pub first_difference: Option<String>,
}

impl ReadBackShown {
    /// What one lookup shows.
    pub fn of(l: &crate::readback::Lookup) -> Self {
        use crate::readback::{first_difference, matching, not_kept};
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let (stored, first) = match &l.stored {
            Ok(events) => {
                let include = |p: &str| !not_kept(p, &l.not_kept);
                let first = matching(events, &l.key)
                    .into_iter()
                    .map(|s| first_difference(&l.sent, s, &include))
                    .min_by_key(|d| d.as_ref().map_or(0, |d| d.pointer.len() + 1))
                    .flatten()
                    .map(|d| d.describe());
                (pretty(&serde_json::Value::Array(events.clone())), first)
            }
            Err(e) => (format!("(the read-back failed: {e})"), None),
        };
        ReadBackShown {
            how: l.how.clone(),
            sent: pretty(&l.sent),
            stored,
            first_difference: first,
        }
    }

    /// Sent and read back in two columns of `width` characters each.
    pub fn side_by_side(&self, width: usize) -> String {
        let cell = |s: &str| {
            let n = s.chars().count();
            if n > width {
                format!("{}…", s.chars().take(width - 1).collect::<String>())
            } else {
                format!("{s}{}", " ".repeat(width - n))
            }
        };
        let left: Vec<&str> = self.sent.lines().collect();
        let right: Vec<&str> = self.stored.lines().collect();
        let mut out = format!("{}  {}\n", cell("sent"), "read back");
        for i in 0..left.len().max(right.len()) {
            let l = cell(left.get(i).copied().unwrap_or(""));
            let r = right.get(i).copied().unwrap_or("");
            out.push_str(format!("{l}  {r}").trim_end());
            out.push('\n');
        }
        out
    }
}

impl Failure {
    /// A failure with no request to show (e.g. the target stalled).
    pub fn message_only(message: String) -> Self {
        Failure {
            message,
            signature: String::new(),
            shrink_steps: 0,
            shrink_attempts: 0,
            minimal: false,
            shrink_note: None,
            reproduced: None,
            request: None,
            response: None,
            sequence: Vec::new(),
            curl: None,
            body_files: Vec::new(),
            read_back: None,
            wire: Vec::new(),
        }
    }

    /// How shrinking went, in a sentence, when there is anything to say.
    pub fn shrink_summary(&self) -> Option<String> {
        match (&self.shrink_note, self.minimal) {
            (_, true) => Some(format!(
                "shrunk to a minimal case: {} simplifications held, {} requests sent",
                self.shrink_steps, self.shrink_attempts
            )),
            (Some(note), false) if self.shrink_steps > 0 => Some(format!(
                "shrunk, not minimal ({note}): {} simplifications held, {} requests sent",
                self.shrink_steps, self.shrink_attempts
            )),
            (Some(note), false) => Some(note.clone()),
            (None, false) => None,
        }
    }

    /// The failure with its `curl` script made from [`Failure::wire`] and [`Failure::body_files`].
    pub fn with_curl(mut self) -> Self {
        if self.wire.is_empty() {
            return self;
        }
        let lines: Vec<String> = self
            .wire
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let file = self.body_files.get(i).filter(|f| !f.is_empty());
                curl(&w.url, &w.headers, &w.body, file.map(std::path::Path::new))
            })
            .collect();
        let mut script = lines.join("\n");
        if let Some(rb) = &self.read_back {
            script.push_str(&format!("\n# read back what was stored:\n{}", rb.how));
        }
        self.curl = Some(script);
        // A body the curl line carries inline is not repeated beside it.
        let inline = self.body_files.iter().all(String::is_empty)
            && self
                .wire
                .iter()
                .all(|w| w.body.len() <= INLINE_BODY && std::str::from_utf8(&w.body).is_ok());
        if inline {
            for e in self.request.iter_mut().chain(self.sequence.iter_mut()) {
                e.body.clear();
                e.body_in_curl = true;
            }
        }
        self
    }

    /// Writes bodies over 64 KiB to `dir` (when given), so the report stays small and the
    /// `curl` script sends them from there; `check` and `k` name the files.
    pub fn with_body_files(
        mut self,
        dir: Option<&std::path::Path>,
        check: &str,
        k: usize,
    ) -> Result<Self, Error> {
        let Some(dir) = dir else { return Ok(self) };
        if self.wire.iter().all(|w| w.body.len() <= INLINE_BODY) {
            return Ok(self);
        }
        // The curl lines name the files by absolute path, so they work from any folder.
        let dir = &std::path::absolute(dir)
            .map_err(|e| Error::io(format!("cannot resolve {}", dir.display()), e))?;
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let mut files = Vec::new();
        for (i, w) in self.wire.iter().enumerate() {
            if w.body.len() <= INLINE_BODY {
                files.push(String::new());
                continue;
            }
            let path = dir.join(format!("{check}-{k}-{i}.body"));
            std::fs::write(&path, &w.body)
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
            files.push(path.display().to_string());
        }
        self.body_files = files;
        Ok(self.with_curl())
    }
}

/// One distinct failure of a check, named whether or not it is shown in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureKind {
    /// What sets it apart: the class of each answer and, where it matters, the kind of case.
    pub signature: String,
    /// Cases (or events, or runs) that failed this way.
    pub cases: usize,
    /// One of them, to find it again.
    pub example: String,
    /// Whether it is among the failures shown in full.
    pub shown: bool,
}

/// Cases of a check that could not be judged, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotJudged {
    /// Why, in plain words.
    pub reason: String,
    /// How many cases.
    pub cases: usize,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// Check id.
    pub id: String,
    /// Check tier.
    pub tier: CheckTier,
    /// What it checks.
    pub description: String,
    /// The spec clause.
    pub clause: String,
    /// How it came out.
    pub outcome: Outcome,
    /// How many verdicts it got.
    pub observations: usize,
    /// The first distinct failures, each shrunk and replayed, earliest first.
    pub failures: Vec<Failure>,
    /// Every distinct failure, shown in full or not.
    pub distinct: Vec<FailureKind>,
    /// Cases that could not be judged for this check, by reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_judged: Vec<NotJudged>,
    /// The expectations file's reason, when it lists this check.
    pub expectation: Option<String>,
    /// Why a check with outcome `notrun` did not run.
    pub not_run_reason: Option<String>,
}

impl CheckResult {
    /// The result of `check` from its distinct failures (`kinds`; the first of them `shown`
    /// in full) and how many verdicts it got; an expectations entry turns a failure into an
    /// xfail and a pass into an xpass, and `strict` decides whether a should failure fails.
    pub fn judge(
        check: &Check,
        observations: usize,
        shown: Vec<Failure>,
        kinds: Vec<FailureKind>,
        expectations: Option<&Expectations>,
        strict: bool,
    ) -> Self {
        let expectation = expectations.and_then(|e| e.reason_for(check.id));
        let failed = !shown.is_empty() || !kinds.is_empty();
        let outcome = match (failed, observations, &expectation) {
            (true, _, Some(_)) => Outcome::XFail,
            (true, _, None) => match check.tier {
                CheckTier::Must => Outcome::Fail,
                CheckTier::Should if strict => Outcome::Fail,
                CheckTier::Should => Outcome::Warn,
                CheckTier::Strict => Outcome::Note,
            },
            (false, 0, _) => Outcome::NotRun,
            (false, _, Some(_)) => Outcome::XPass,
            (false, _, None) => Outcome::Pass,
        };
        CheckResult {
            id: check.id.to_string(),
            tier: check.tier,
            description: check.description.to_string(),
            clause: check.clause.to_string(),
            outcome,
            observations,
            failures: shown,
            distinct: kinds,
            not_judged: Vec::new(),
            expectation,
            not_run_reason: None,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Version of this JSON layout ([`REPORT_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The API base the run targeted.
    pub target: String,
    /// The seed every case came from.
    pub seed: u64,
    /// Generated cases per family.
    pub cases: usize,
    /// Cases sent and judged, over every selected family (shrinking not included).
    pub cases_run: usize,
    /// Whether should-tier failures fail the run.
    pub strict: bool,
    /// Requests sent.
    pub requests: usize,
    /// Wall time.
    pub duration_ms: u64,
    /// Set when the target stopped answering.
    pub stalled: Option<String>,
    /// Expectation globs that match no check.
    pub stale_expectations: Vec<String>,
    /// Where bodies too large for the report were written, if anywhere.
    pub bodies_dir: Option<String>,
    /// Check ids retired or re-tiered since `schema_version` 1, with what each became.
    pub compatibility_notes: &'static [Alias],
    /// The read-back adapter the run used; `None` without `--read-back`.
    pub read_back: Option<String>,
    /// One entry per selected check.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Whether a result fails the run.
    pub fn is_failing(&self, r: &CheckResult) -> bool {
        r.outcome.fails_run()
    }

    /// 0 when the run passes, 1 when a check (or the expectations file) fails it.
    pub fn exit_code(&self) -> u8 {
        u8::from(
            self.results.iter().any(|r| self.is_failing(r)) || !self.stale_expectations.is_empty(),
        )
    }

    /// Count of results with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// `N checks: a pass, b fail, ...`, every outcome counted, so the counts add up.
    pub fn totals(&self) -> String {
        let counts: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", self.count(*o), o.word()))
            .collect();
        format!(
            "{} checks: {}{}",
            self.results.len(),
            counts.join(", "),
            if self.strict { " (strict)" } else { "" }
        )
    }

    /// The human-readable report.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let seconds = (self.duration_ms as f64 / 1000.0).max(0.001);
        let _ = writeln!(
            out,
            "target {}  seed {}  cases {} per family, {} in all  requests {}  {:.1}s ({:.0} cases/s, {:.0} requests/s)",
            self.target,
            self.seed,
            self.cases,
            self.cases_run,
            self.requests,
            self.duration_ms as f64 / 1000.0,
            self.cases_run as f64 / seconds,
            self.requests as f64 / seconds,
        );
        out.push_str(&self.human_results());
        out
    }

    /// The human-readable report without its header line: the table of checks, the failure
    /// details and the totals (the producer reports write their own header).
    pub fn human_results(&self) -> String {
        let mut out = String::new();
        let width = self.results.iter().map(|r| r.id.len()).max().unwrap_or(10);
        for r in &self.results {
            let word = if r.outcome.fails_run() {
                r.outcome.word().to_ascii_uppercase()
            } else {
                r.outcome.word().to_string()
            };
            let _ = writeln!(
                out,
                "{word:>6}  {:<width$}  {:<6}  {}",
                r.id,
                r.tier.name(),
                r.description
            );
        }
        for r in self.results.iter().filter(|r| !r.distinct.is_empty()) {
            let _ = writeln!(
                out,
                "\n{} [{}, {}]{}",
                r.id,
                r.tier,
                r.outcome.word(),
                if r.distinct.len() > 1 {
                    format!(
                        ": {} distinct failures{}",
                        r.distinct.len(),
                        if r.distinct.len() > r.failures.len() {
                            format!(", the first {} in full", r.failures.len())
                        } else {
                            String::new()
                        }
                    )
                } else {
                    String::new()
                }
            );
            for (n, f) in r.failures.iter().enumerate() {
                if r.distinct.len() > 1 {
                    let _ = writeln!(out, "  ({}) {}", n + 1, f.signature);
                }
                human_failure(&mut out, f);
            }
            if r.distinct.len() > 1 {
                let _ = writeln!(out, "  every distinct failure:");
                for k in &r.distinct {
                    let _ = writeln!(
                        out,
                        "    {} ({} {}, e.g. {}){}",
                        k.signature,
                        k.cases,
                        if k.cases == 1 { "case" } else { "cases" },
                        k.example,
                        if k.shown { "" } else { " [not shown in full]" }
                    );
                }
            }
        }
        for r in &self.results {
            match (r.outcome, &r.not_run_reason) {
                (Outcome::NotRun, Some(reason))
                    if r.expectation.is_none() || !reason.is_empty() =>
                {
                    let _ = writeln!(out, "\n{}: {reason}", r.id);
                }
                (Outcome::XPass, _) => {
                    let _ = writeln!(
                        out,
                        "\n{}: xpass: the expectations file lists it as failing ({}), but it passed; remove the entry",
                        r.id,
                        r.expectation.as_deref().unwrap_or("")
                    );
                }
                _ => {}
            }
        }
        if let Some(section) = self.read_back_section() {
            let _ = writeln!(out, "\n{section}");
        }
        if let Some(dir) = &self.bodies_dir {
            if self
                .results
                .iter()
                .any(|r| r.failures.iter().any(|f| !f.body_files.is_empty()))
            {
                let _ = writeln!(out, "\nbodies too large to show are in {dir}");
            }
        }
        if let Some(s) = &self.stalled {
            let _ = writeln!(out, "\n{s}");
        }
        for glob in &self.stale_expectations {
            let _ = writeln!(out, "\nstale expectation: `{glob}` matches no check");
        }
        let _ = writeln!(out, "\n{}", self.totals());
        out
    }

    /// Results of the read-back checks.
    pub fn read_back_results(&self) -> impl Iterator<Item = &CheckResult> {
        self.results
            .iter()
            .filter(|r| r.id.starts_with("readback."))
    }

    /// The read-back section's line: the adapter and what its checks found, or how to enable
    /// them; `None` when no read-back check was selected.
    pub fn read_back_section(&self) -> Option<String> {
        let results: Vec<&CheckResult> = self.read_back_results().collect();
        if results.is_empty() {
            return None;
        }
        Some(match &self.read_back {
            Some(adapter) => {
                let counts: Vec<String> = Outcome::ALL
                    .iter()
                    .map(|o| (o, results.iter().filter(|r| r.outcome == *o).count()))
                    .filter(|(_, n)| *n > 0)
                    .map(|(o, n)| format!("{n} {}", o.word()))
                    .collect();
                format!(
                    "read-back through {adapter}: {} checks, {}",
                    results.len(),
                    counts.join(", ")
                )
            }
            None => format!("read-back: not run, {}", crate::readback::HOW_TO_ENABLE),
        })
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The HTML report: one self-contained page ([`crate::html`]).
    pub fn html(&self) -> String {
        crate::html::report(self)
    }

    /// The JUnit XML report: one testcase per check. `fail` and `xpass` are failures, `xfail`
    /// and `notrun` skipped, and `warn` and `note` pass with the finding in system-out; each
    /// testcase carries its outcome word as a property. The read-back checks are a testsuite
    /// of their own, named by the adapter.
    pub fn junit(&self) -> String {
        let failures = self.results.iter().filter(|r| self.is_failing(r)).count();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(out, "<testsuites name=\"ol-conformance\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">", self.results.len(), self.duration_ms as f64 / 1000.0);
        let (stored, answered): (Vec<&CheckResult>, Vec<&CheckResult>) = self
            .results
            .iter()
            .partition(|r| r.id.starts_with("readback."));
        let mut suites = vec![(self.target.clone(), answered)];
        if !stored.is_empty() {
            let name = match &self.read_back {
                Some(adapter) => format!("read-back through {adapter}"),
                None => format!("read-back (not run: {})", crate::readback::HOW_TO_ENABLE),
            };
            suites.push((name, stored));
        }
        for (name, results) in suites.into_iter().filter(|(_, r)| !r.is_empty()) {
            self.junit_suite(&mut out, &name, &results);
        }
        out.push_str("</testsuites>\n");
        out
    }

    fn junit_suite(&self, out: &mut String, name: &str, results: &[&CheckResult]) {
        let failures = results.iter().filter(|r| self.is_failing(r)).count();
        let skipped = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::NotRun | Outcome::XFail))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            xml(name),
            results.len()
        );
        for r in results {
            let _ = write!(
                out,
                "    <testcase classname=\"ol-conformance.{}\" name=\"{}\"><properties><property name=\"outcome\" value=\"{}\"/></properties>",
                r.tier,
                xml(&r.id),
                r.outcome.word()
            );
            let first = r.failures.first().map_or("", |f| f.message.as_str());
            match r.outcome {
                Outcome::Fail => {
                    let _ = write!(
                        out,
                        "<failure message=\"{}\">{}</failure>",
                        xml(first),
                        xml(&details(r))
                    );
                }
                Outcome::Warn | Outcome::Note => {
                    let _ = write!(
                        out,
                        "<system-out>{}: {}</system-out>",
                        r.outcome.word(),
                        xml(&details(r))
                    );
                }
                Outcome::XPass => {
                    let _ = write!(out, "<failure message=\"xpass: passed, but the expectations file lists it as failing\"/>");
                }
                Outcome::XFail => {
                    let _ = write!(
                        out,
                        "<skipped message=\"xfail: {}\"/>",
                        xml(r.expectation.as_deref().unwrap_or(""))
                    );
                }
                Outcome::NotRun => {
                    let _ = write!(
                        out,
                        "<skipped message=\"{}\"/>",
                        xml(r.not_run_reason.as_deref().unwrap_or(""))
                    );
                }
                Outcome::Pass => {}
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
}

fn human_failure(out: &mut String, f: &Failure) {
    let _ = writeln!(out, "  {}", f.message);
    for (i, req) in f.sequence.iter().enumerate() {
        let _ = writeln!(
            out,
            "  request {} of {}: {} ({} bytes)",
            i + 1,
            f.sequence.len(),
            req.line,
            req.body_bytes,
        );
        if !req.body_in_curl {
            let _ = writeln!(out, "    {}", one_line(&req.body, 200));
        }
    }
    if let (Some(req), true) = (&f.request, f.sequence.is_empty()) {
        let _ = writeln!(out, "  request: {} ({} bytes)", req.line, req.body_bytes);
        if !req.body_in_curl {
            let _ = writeln!(out, "    {}", one_line(&req.body, 300));
        }
    }
    if let Some(resp) = &f.response {
        let _ = writeln!(out, "  response: {}", resp.line);
        if !resp.body.is_empty() {
            let _ = writeln!(out, "    {}", one_line(&resp.body, 300));
        }
    }
    if let Some(rb) = &f.read_back {
        if let Some(d) = &rb.first_difference {
            let _ = writeln!(out, "  first difference {d}");
        }
        let _ = writeln!(out, "  read back with: {}", rb.how);
        for line in rb.side_by_side(60).lines().take(80) {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(curl) = &f.curl {
        if curl.len() <= 4000 && !curl.contains("<<") {
            let _ = writeln!(out, "  reproduce:");
            for line in curl.lines() {
                let _ = writeln!(out, "    {line}");
            }
        } else {
            // Cut short it would not run; say where the whole script is.
            let _ = writeln!(
                out,
                "  reproduce: {} ({} bytes in all; `--format json` has the whole script)",
                one_line(curl, 200),
                curl.len()
            );
        }
    }
    for file in f.body_files.iter().filter(|f| !f.is_empty()) {
        let _ = writeln!(out, "  body: {file}");
    }
    if let Some(s) = f.shrink_summary() {
        let _ = writeln!(out, "  ({s})");
    }
    match f.reproduced {
        Some(true) => {
            let _ = writeln!(
                out,
                "  (replayed before this report: it fails the same way)"
            );
        }
        Some(false) => {
            let _ = writeln!(out, "  (replayed before this report, it did NOT fail again: the failure is flaky or depends on earlier requests; shown as first seen)");
        }
        None => {}
    }
}

/// A result's failures in full and every distinct failure named, for JUnit.
fn details(r: &CheckResult) -> String {
    let mut s = String::new();
    for f in &r.failures {
        if !s.is_empty() {
            s.push_str("\n\n");
        }
        s.push_str(&f.message);
        if let Some(r) = &f.request {
            s.push_str(&format!("\nrequest: {}", r.line));
            if !r.body_in_curl {
                s.push_str(&format!("\n{}", r.body));
            }
        }
        if let Some(r) = &f.response {
            s.push_str(&format!("\nresponse: {}\n{}", r.line, r.body));
        }
        if let Some(c) = &f.curl {
            s.push_str(&format!("\nreproduce: {c}"));
        }
    }
    let n = r.distinct.len();
    s.push_str(&format!(
        "\n\n{n} distinct failure{}:",
        if n == 1 { "" } else { "s" }
    ));
    for k in &r.distinct {
        s.push_str(&format!(
            "\n- {} ({} cases, e.g. {})",
            k.signature, k.cases, k.example
        ));
    }
    s
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || !c.is_control())
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A shell command that sends `body` to `url` with `headers` exactly as given, with curl
/// (secret header values are read from the environment, as `$OL_<NAME>`). Small text bodies
/// are inline; small binary ones (gzip, bad UTF-8) come from `printf` with octal escapes (POSIX,
/// so `sh` runs it too); large ones from `file` when given, else from a base64 here-document.
pub fn curl(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    file: Option<&std::path::Path>,
) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut parts = vec!["curl -sS -i -X POST".to_string(), quote(url)];
    for (k, v) in headers {
        if is_secret(k) {
            let var = format!("OL_{}", k.to_ascii_uppercase().replace('-', "_"));
            parts.push(format!("-H \"{k}: ${var}\""));
        } else {
            parts.push(format!("-H {}", quote(&format!("{k}: {v}"))));
        }
    }
    let curl = parts.join(" ");
    if let Some(file) = file {
        return format!(
            "{curl} --data-binary @{}",
            quote(&file.display().to_string())
        );
    }
    match std::str::from_utf8(body) {
        Ok(text) if text.len() <= INLINE_BODY => {
            format!("{curl} --data-binary {}", quote(text))
        }
        _ if body.len() <= INLINE_BODY / 4 => {
            let escaped: String = body.iter().map(|b| format!("\\{b:03o}")).collect();
            format!("printf '{escaped}' | {curl} --data-binary @-")
        }
        _ => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(body);
            let lines: Vec<&str> = encoded
                .as_bytes()
                .chunks(76)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            format!(
                "base64 -d <<'OL_BODY' | {curl} --data-binary @-\n{}\nOL_BODY",
                lines.join("\n")
            )
        }
    }
}

/// A progress bar on stderr when it is a terminal and `wanted`; hidden otherwise.
pub fn progress_bar(wanted: bool, total: usize) -> ProgressBar {
    use std::io::IsTerminal;
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} cases {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckId;

    fn failure() -> (Vec<Failure>, Vec<FailureKind>) {
        let f = Failure {
            signature: "4xx for x".into(),
            ..Failure::message_only("it broke".into())
        };
        let k = FailureKind {
            signature: "4xx for x".into(),
            cases: 2,
            example: "x, case 0".into(),
            shown: true,
        };
        (vec![f], vec![k])
    }

    fn report(results: Vec<CheckResult>, strict: bool) -> Report {
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            target: "http://t".into(),
            seed: 1,
            cases: 1,
            cases_run: 1,
            strict,
            requests: 1,
            duration_ms: 1,
            stalled: None,
            stale_expectations: Vec::new(),
            bodies_dir: None,
            compatibility_notes: &[],
            read_back: None,
            results,
        }
    }

    /// Every tier, strictness, verdict and expectation: the outcome is the one the table says,
    /// and the human table, the JSON, the JUnit testcase and the exit code all agree on it.
    #[test]
    fn every_format_and_the_exit_code_agree_on_every_outcome() {
        use CheckTier::{Must, Should, Strict};
        use Outcome::*;
        let expected = Expectations::parse("* = known\n", "x").expect("parses");
        // (tier, strict, failed, observed, expected, outcome)
        let table = [
            (Must, false, true, true, false, Fail),
            (Must, true, true, true, false, Fail),
            (Should, false, true, true, false, Warn),
            (Should, true, true, true, false, Fail),
            (Strict, false, true, true, false, Note),
            (Strict, true, true, true, false, Note),
            (Must, false, false, true, false, Pass),
            (Should, true, false, true, false, Pass),
            (Must, false, false, false, false, NotRun),
            (Must, false, true, true, true, XFail),
            (Should, false, true, true, true, XFail),
            (Must, false, false, true, true, XPass),
            (Strict, false, false, true, true, XPass),
        ];
        let check_of = |tier| {
            CheckId::ALL
                .iter()
                .map(|c| c.check())
                .find(|c| c.tier == tier)
                .expect("a check of the tier")
        };
        let mut all = Vec::new();
        for (tier, strict, failed, observed, listed, want) in table {
            let (shown, kinds) = if failed { failure() } else { (vec![], vec![]) };
            let r = CheckResult::judge(
                check_of(tier),
                usize::from(observed),
                shown,
                kinds,
                listed.then_some(&expected),
                strict,
            );
            assert_eq!(r.outcome, want, "{tier} strict {strict} failed {failed}");
            let one = report(vec![r.clone()], strict);
            let json: serde_json::Value = serde_json::from_str(&one.json()).expect("json");
            assert_eq!(json["results"][0]["outcome"], want.word());
            let first = one.human().lines().nth(1).unwrap_or_default().to_string();
            assert_eq!(
                first.split_whitespace().next().map(str::to_ascii_lowercase),
                Some(want.word().to_string()),
                "{first}"
            );
            let junit = one.junit();
            assert!(
                junit.contains(&format!("name=\"outcome\" value=\"{}\"", want.word())),
                "{junit}"
            );
            assert_eq!(junit.contains("<failure"), want.fails_run(), "{junit}");
            assert_eq!(
                junit.contains("<skipped"),
                matches!(want, XFail | NotRun),
                "{junit}"
            );
            assert_eq!(one.exit_code(), u8::from(want.fails_run()));
            all.push(r);
        }
        let whole = report(all, false);
        let n = whole.results.len();
        let counted: usize = Outcome::ALL.iter().map(|o| whole.count(*o)).sum();
        assert_eq!(counted, n, "the counts add up");
        assert!(whole.totals().starts_with(&format!("{n} checks: ")));
    }

    #[test]
    fn a_junit_report_with_every_outcome_is_pinned() {
        let expected = Expectations::parse("batch.* = known\n", "x").expect("parses");
        let mut results = Vec::new();
        for (c, failed, observed) in [
            (CheckId::ValidRun, true, 1),
            (CheckId::InvalidType, true, 1),
            (CheckId::DuplicateKeys, true, 1),
            (CheckId::ContentType, false, 1),
            (CheckId::Chunked, false, 0),
            (CheckId::BatchValid, true, 1),
            (CheckId::Empty, false, 1),
        ] {
            let (shown, kinds) = if failed { failure() } else { (vec![], vec![]) };
            let mut r =
                CheckResult::judge(c.check(), observed, shown, kinds, Some(&expected), false);
            if r.outcome == Outcome::NotRun {
                r.not_run_reason = Some("not run: excluded".into());
            }
            results.push(r);
        }
        insta::assert_snapshot!(report(results, false).junit());
    }
}
