//! Run reports: the data model, and its human, JSON and JUnit renderings.
//!
//! The JSON rendering is a stable interface (`schema_version` 1): fields are only ever added.

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use base64::Engine;

use crate::checks::{Check, CheckTier};
use crate::expectations::Expectations;
use crate::wire::{Observed, Req};
use crate::Error;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Observed and never violated.
    Pass,
    /// Violated.
    Fail,
    /// Violated, as the expectations file says it will be.
    XFail,
    /// The expectations file says it fails, but it passed: the entry is stale.
    XPass,
    /// Not observed in this run (excluded, or its cases did not reach it).
    NotRun,
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
        }
    }

    /// An event as received (by a producer check): where it came from and its body.
    pub fn event(line: String, body: &[u8]) -> Self {
        Exchange {
            line,
            headers: Vec::new(),
            body: shown(body),
            body_bytes: body.len(),
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
    /// The requests as sent, for the reproduction.
    #[serde(skip)]
    pub wire: Vec<WireRequest>,
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
            request: None,
            response: None,
            sequence: Vec::new(),
            curl: None,
            body_files: Vec::new(),
            wire: Vec::new(),
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
        self.curl = Some(lines.join("\n"));
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
    /// The first violation, shrunk (the first of `failures`).
    pub failure: Option<Failure>,
    /// Each distinct violation, shrunk, earliest first; at most a handful.
    pub failures: Vec<Failure>,
    /// How many distinct violations there were, shown or not.
    pub distinct_failures: usize,
    /// The expectations file's reason, when it lists this check.
    pub expectation: Option<String>,
    /// Why a check with outcome `notrun` did not run.
    pub not_run_reason: Option<String>,
}

impl CheckResult {
    /// The result of `check` from its distinct failures (earliest first; `distinct` counts
    /// those not kept too) and how many verdicts it got; an expectations entry turns a failure
    /// into an xfail and a pass into an xpass.
    pub fn judge(
        check: &Check,
        observations: usize,
        failures: Vec<Failure>,
        distinct: usize,
        expectations: Option<&Expectations>,
    ) -> Self {
        let expectation = expectations.and_then(|e| e.reason_for(check.id));
        let outcome = match (failures.is_empty(), observations, &expectation) {
            (false, _, Some(_)) => Outcome::XFail,
            (false, _, None) => Outcome::Fail,
            (true, 0, _) => Outcome::NotRun,
            (true, _, Some(_)) => Outcome::XPass,
            (true, _, None) => Outcome::Pass,
        };
        CheckResult {
            id: check.id.to_string(),
            tier: check.tier,
            description: check.description.to_string(),
            clause: check.clause.to_string(),
            outcome,
            observations,
            failure: failures.first().cloned(),
            distinct_failures: distinct.max(failures.len()),
            failures,
            expectation,
            not_run_reason: None,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Version of this JSON layout.
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
    /// One entry per selected check.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Whether a result fails the run under this report's strictness.
    pub fn is_failing(&self, r: &CheckResult) -> bool {
        match r.outcome {
            Outcome::XPass => true,
            Outcome::Fail => match r.tier {
                CheckTier::Must => true,
                CheckTier::Should => self.strict,
                CheckTier::Strict => false,
            },
            _ => false,
        }
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
            let mark = match (r.outcome, self.is_failing(r)) {
                (Outcome::Pass, _) => "pass",
                (Outcome::Fail, true) => "FAIL",
                (Outcome::Fail, false) if r.tier == CheckTier::Strict => "note",
                (Outcome::Fail, false) => "warn",
                (Outcome::XFail, _) => "xfail",
                (Outcome::XPass, _) => "XPASS",
                (Outcome::NotRun, _) => "-",
            };
            let _ = writeln!(
                out,
                "{mark:>5}  {:<width$}  {:<6}  {}",
                r.id,
                r.tier.name(),
                r.description
            );
        }
        for r in self.results.iter().filter(|r| !r.failures.is_empty()) {
            let _ = writeln!(
                out,
                "\n{} [{}]{}{}",
                r.id,
                r.tier,
                if r.outcome == Outcome::XFail {
                    " (expected failure)"
                } else {
                    ""
                },
                if r.distinct_failures > 1 {
                    format!(
                        ": {} distinct failures{}",
                        r.distinct_failures,
                        if r.distinct_failures > r.failures.len() {
                            format!(", the first {} shown", r.failures.len())
                        } else {
                            String::new()
                        }
                    )
                } else {
                    String::new()
                }
            );
            for (n, f) in r.failures.iter().enumerate() {
                if r.failures.len() > 1 {
                    let _ = writeln!(out, "  ({}) {}", n + 1, f.signature);
                }
                human_failure(&mut out, f);
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
                        "\n{}: XPASS: the expectations file lists it as failing ({}), but it passed; remove the entry",
                        r.id,
                        r.expectation.as_deref().unwrap_or("")
                    );
                }
                _ => {}
            }
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
        let failing = self.results.iter().filter(|r| self.is_failing(r)).count();
        let _ = writeln!(
            out,
            "\n{} passed, {} failed, {} expected failures, {} not run{}",
            self.count(Outcome::Pass),
            failing,
            self.count(Outcome::XFail),
            self.count(Outcome::NotRun),
            if self.strict { " (strict)" } else { "" }
        );
        out
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The JUnit XML report: one testcase per check.
    pub fn junit(&self) -> String {
        let failures = self.results.iter().filter(|r| self.is_failing(r)).count();
        let skipped = self
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::NotRun | Outcome::XFail))
            .count();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(out, "<testsuites name=\"ol-conformance\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">", self.results.len(), self.duration_ms as f64 / 1000.0);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            xml(&self.target),
            self.results.len()
        );
        for r in &self.results {
            let _ = write!(
                out,
                "    <testcase classname=\"ol-conformance.{}\" name=\"{}\">",
                r.tier,
                xml(&r.id)
            );
            match (r.outcome, &r.failure) {
                (Outcome::Fail, Some(f)) if self.is_failing(r) => {
                    let _ = write!(
                        out,
                        "<failure message=\"{}\">{}</failure>",
                        xml(&f.message),
                        xml(&details(f))
                    );
                }
                (Outcome::Fail, Some(f)) => {
                    let _ = write!(
                        out,
                        "<system-out>{} (not failing at tier {}): {}</system-out>",
                        xml(&r.id),
                        r.tier,
                        xml(&f.message)
                    );
                }
                (Outcome::XPass, _) => {
                    let _ = write!(out, "<failure message=\"passed, but the expectations file lists it as failing\"/>");
                }
                (Outcome::XFail, _) => {
                    let _ = write!(
                        out,
                        "<skipped message=\"expected failure: {}\"/>",
                        xml(r.expectation.as_deref().unwrap_or(""))
                    );
                }
                (Outcome::NotRun, _) => {
                    let _ = write!(out, "<skipped message=\"not run\"/>");
                }
                _ => {}
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

fn human_failure(out: &mut String, f: &Failure) {
    let _ = writeln!(out, "  {}", f.message);
    for (i, req) in f.sequence.iter().enumerate() {
        let _ = writeln!(
            out,
            "  request {} of {}: {} ({} bytes)\n    {}",
            i + 1,
            f.sequence.len(),
            req.line,
            req.body_bytes,
            one_line(&req.body, 200)
        );
    }
    if let (Some(req), true) = (&f.request, f.sequence.is_empty()) {
        let _ = writeln!(
            out,
            "  request: {} ({} bytes)\n    {}",
            req.line,
            req.body_bytes,
            one_line(&req.body, 300)
        );
    }
    if let Some(resp) = &f.response {
        let _ = writeln!(out, "  response: {}", resp.line);
        if !resp.body.is_empty() {
            let _ = writeln!(out, "    {}", one_line(&resp.body, 300));
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
    let shrink = match (&f.shrink_note, f.minimal) {
        (_, true) => Some(format!(
            "shrunk to a minimal case in {} steps ({} requests)",
            f.shrink_steps, f.shrink_attempts
        )),
        (Some(note), false) if f.shrink_attempts > 0 => Some(format!(
            "shrunk in {} steps ({} requests), not minimal: {note}",
            f.shrink_steps, f.shrink_attempts
        )),
        (Some(note), false) => Some(note.clone()),
        (None, false) => None,
    };
    if let Some(s) = shrink {
        let _ = writeln!(out, "  ({s})");
    }
}

fn details(f: &Failure) -> String {
    let mut s = f.message.clone();
    if let Some(r) = &f.request {
        s.push_str(&format!("\nrequest: {}\n{}", r.line, r.body));
    }
    if let Some(r) = &f.response {
        s.push_str(&format!("\nresponse: {}\n{}", r.line, r.body));
    }
    if let Some(c) = &f.curl {
        s.push_str(&format!("\nreproduce: {c}"));
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

/// Longest UTF-8 body given to curl inline, as one argument: Linux refuses any single
/// argument over 128 KiB, so bigger bodies come through a here-document.
const INLINE_BODY: usize = 64 * 1024;

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
