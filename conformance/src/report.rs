//! Run reports: the data model, and its human, JSON and JUnit renderings.
//!
//! The JSON rendering is a stable interface (`schema_version` 1): fields are only ever added.

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use base64::Engine;

use crate::checks::{Check, CheckTier};
use crate::expectations::Expectations;
use crate::families::{Observed, Req};

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

/// The headers a request goes out with, secret values redacted.
pub fn shown_headers(req: &Req, headers: &[(String, String)], gzip: bool) -> Vec<(String, String)> {
    let mut shown = vec![("content-type".to_string(), req.content_type.to_string())];
    if gzip {
        shown.push(("content-encoding".into(), "gzip".into()));
    }
    for (k, v) in headers {
        let v = if is_secret(k) {
            "<redacted>".to_string()
        } else {
            v.clone()
        };
        shown.push((k.clone(), v));
    }
    shown
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

/// The first (shrunk) violation of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The violated expectation.
    pub message: String,
    /// How many shrinking steps the case went through.
    pub shrink_steps: usize,
    /// The request that shows it.
    pub request: Option<Exchange>,
    /// What came back.
    pub response: Option<Exchange>,
    /// A `curl` command that sends the same request.
    pub curl: Option<String>,
}

impl Failure {
    /// A failure with no request to show (e.g. the target stalled).
    pub fn message_only(message: String) -> Self {
        Failure {
            message,
            shrink_steps: 0,
            request: None,
            response: None,
            curl: None,
        }
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
    /// The first violation, shrunk.
    pub failure: Option<Failure>,
    /// The expectations file's reason, when it lists this check.
    pub expectation: Option<String>,
}

impl CheckResult {
    /// The result of `check` from its first failure and how many verdicts it got; an
    /// expectations entry turns a failure into an xfail and a pass into an xpass.
    pub fn judge(
        check: &Check,
        observations: usize,
        failure: Option<Failure>,
        expectations: Option<&Expectations>,
    ) -> Self {
        let expectation = expectations.and_then(|e| e.reason_for(check.id));
        let outcome = match (&failure, observations, &expectation) {
            (Some(_), _, Some(_)) => Outcome::XFail,
            (Some(_), _, None) => Outcome::Fail,
            (None, 0, _) => Outcome::NotRun,
            (None, _, Some(_)) => Outcome::XPass,
            (None, _, None) => Outcome::Pass,
        };
        CheckResult {
            id: check.id.to_string(),
            tier: check.tier,
            description: check.description.to_string(),
            clause: check.clause.to_string(),
            outcome,
            observations,
            failure,
            expectation,
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
        for r in self.results.iter().filter(|r| r.failure.is_some()) {
            let Some(f) = &r.failure else { continue };
            let _ = writeln!(
                out,
                "\n{} [{}] {}\n  {}",
                r.id,
                r.tier,
                if r.outcome == Outcome::XFail {
                    "(expected failure)"
                } else {
                    ""
                },
                f.message
            );
            if let Some(req) = &f.request {
                let _ = writeln!(
                    out,
                    "  request: {} ({} bytes)\n    {}",
                    req.line,
                    req.body_bytes,
                    one_line(&req.body, 300)
                );
            }
            if let Some(resp) = &f.response {
                let _ = writeln!(
                    out,
                    "  response: {}\n    {}",
                    resp.line,
                    one_line(&resp.body, 300)
                );
            }
            if let Some(curl) = &f.curl {
                if curl.len() <= 2000 && !curl.contains('\n') {
                    let _ = writeln!(out, "  reproduce: {curl}");
                } else {
                    // Cut short it would not run; say where the whole command is.
                    let _ = writeln!(
                        out,
                        "  reproduce: {} ({} bytes in all; `--format json` has the whole command)",
                        one_line(curl, 200),
                        curl.len()
                    );
                }
            }
            if f.shrink_steps > 0 {
                let _ = writeln!(out, "  (shrunk in {} steps)", f.shrink_steps);
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

/// A shell command that sends `req` to `url` with curl, byte for byte (secret headers are read
/// from the environment). Small text bodies are inline; small binary ones come from `printf`
/// with octal escapes (POSIX, so `sh` runs it too); large ones from a base64 here-document.
pub fn curl(url: &str, req: &Req, headers: &[(String, String)], gzip: bool) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut parts = vec![
        "curl -sS -i -X POST".to_string(),
        quote(url),
        format!(
            "-H {}",
            quote(&format!("Content-Type: {}", req.content_type))
        ),
    ];
    for (k, v) in headers {
        if is_secret(k) {
            let var = format!("OL_{}", k.to_ascii_uppercase().replace('-', "_"));
            parts.push(format!("-H \"{k}: ${var}\""));
        } else {
            parts.push(format!("-H {}", quote(&format!("{k}: {v}"))));
        }
    }
    let curl = parts.join(" ");
    // The runner gzips on the way out; the reproduction sends the plain body.
    let note = if gzip {
        " # sent gzip-compressed by the runner"
    } else {
        ""
    };
    match std::str::from_utf8(&req.body) {
        Ok(text) if text.len() <= INLINE_BODY => {
            format!("{curl} --data-binary {}{note}", quote(text))
        }
        _ if req.body.len() <= INLINE_BODY / 4 => {
            let escaped: String = req.body.iter().map(|b| format!("\\{b:03o}")).collect();
            format!("printf '{escaped}' | {curl} --data-binary @-{note}")
        }
        _ => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&req.body);
            let lines: Vec<&str> = encoded
                .as_bytes()
                .chunks(76)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            format!(
                "base64 -d <<'OL_BODY' | {curl} --data-binary @-{note}\n{}\nOL_BODY",
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
