//! The HTML report of `run`, `collect` and `lint`: one self-contained page (inline style and a
//! small inline script, nothing fetched), every value escaped by the template.
//!
//! Response bodies come from the server under test and may hold markup, so nothing reaches the
//! page unescaped except the constant style sheet and script below. The page works with
//! scripts off: every row is shown and the filters stay hidden. With scripts on, the table is
//! filtered by outcome and tier, and `?outcome=fail,warn&tier=must` in the address presets the
//! filters.

use chrono::{DateTime, FixedOffset};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::checks::CheckTier;
use crate::producer::{RunEvents, Summary};
use crate::report::{CheckResult, Exchange, Failure, Outcome, Report};

/// Runs drawn on the producer time line; the rest are counted, so a long stream keeps the page
/// small.
const TIMELINE_RUNS: usize = 200;

/// Events listed per run under the time line.
const TIMELINE_EVENTS: usize = 50;

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d232a;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde3;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}dl.summary dt{color:#57606a}dl.summary dd{margin:0;word-break:break-all}
ul.counts{list-style:none;padding:0;margin:10px 0;display:flex;flex-wrap:wrap;gap:8px}ul.counts li{padding:3px 10px;border-radius:12px;background:#eef1f4}
.o{display:inline-block;min-width:48px;text-align:center;border-radius:4px;padding:0 6px;font-weight:600;font-size:12px;background:#eef1f4}
.o-pass{background:#dafbe1;color:#116329}.o-fail,.o-xpass{background:#ffebe9;color:#a40e26}.o-warn{background:#fff8c5;color:#7d4e00}.o-note{background:#ddf4ff;color:#0a3069}.o-xfail{background:#f6e8ff;color:#6e40c9}.o-notrun{background:#eef1f4;color:#57606a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f4;vertical-align:top;overflow-wrap:break-word}
th,#checks-table td:not(:last-child){white-space:nowrap}
table.distinct td,p,code,.label{overflow-wrap:anywhere}th{background:#f6f8fa}
td.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
form#filters{display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0}form#filters fieldset{border:1px solid #d8dde3;border-radius:6px;padding:4px 10px}
pre{background:#f6f8fa;border:1px solid #d8dde3;border-radius:6px;padding:8px;overflow:auto;max-height:320px;white-space:pre-wrap;word-break:break-all;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
article.check{border:1px solid #d8dde3;border-radius:8px;padding:4px 14px 10px;margin:14px 0}
div.failure{border-left:3px solid #d8dde3;padding-left:12px;margin:12px 0}.label{color:#57606a;font-size:12px;margin:6px 0 2px}
button.copy{font-size:12px;margin-left:8px}
div.side{display:grid;grid-template-columns:1fr 1fr;gap:8px}div.side>div{min-width:0}
.track{position:relative;height:18px;margin:0 8px;background:#f6f8fa;border-radius:4px;min-width:200px}
.ev{position:absolute;top:3px;width:12px;height:12px;margin-left:-6px;border-radius:50%;background:#57606a;border:1px solid #fff}
.ev-START{background:#0969da}.ev-RUNNING{background:#8c959f}.ev-COMPLETE{background:#1a7f37}.ev-FAIL{background:#cf222e}.ev-ABORT{background:#bf8700}.ev-OTHER{background:#6e40c9}
td.run{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all;width:32%}
"#;

const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('filters');
  if (form) {
    form.hidden = false;
    // `?outcome=fail,warn&tier=must` in the address presets the filters, for links to a view.
    var query = new URLSearchParams(window.location.search);
    ['outcome', 'tier'].forEach(function (name) {
      var wanted = query.get(name);
      if (wanted === null) { return; }
      var words = wanted.split(',');
      form.querySelectorAll('input[name="' + name + '"]').forEach(function (i) { i.checked = words.indexOf(i.value) >= 0; });
    });
    var apply = function () {
      var on = {};
      form.querySelectorAll('input').forEach(function (i) { on[i.name + ':' + i.value] = i.checked; });
      document.querySelectorAll('#checks-table tbody tr').forEach(function (row) {
        row.hidden = !(on['outcome:' + row.dataset.outcome] && on['tier:' + row.dataset.tier]);
      });
    };
    form.addEventListener('change', apply);
    apply();
  }
  document.querySelectorAll('button.copy').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var pre = document.getElementById(button.dataset.for);
      var range = document.createRange();
      range.selectNodeContents(pre);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(pre.textContent).then(function () { button.textContent = 'Copied'; }, function () {});
      }
    });
  });
})();
"#;

/// The HTML page of a server run's report.
pub fn report(report: &Report) -> String {
    page(report, None)
}

/// The HTML page of a producer report: the stream's counts and its runs on a time line too.
pub fn producer_report(report: &Report, summary: &Summary) -> String {
    page(report, Some(summary))
}

fn page(r: &Report, producer: Option<&Summary>) -> String {
    let title = if producer.is_some() {
        "ol-conformance producer report"
    } else {
        "ol-conformance report"
    };
    let with_failures: Vec<&CheckResult> = r
        .results
        .iter()
        .filter(|c| !c.distinct.is_empty())
        .collect();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    (summary(r, producer))
                }
                @if let Some(s) = producer {
                    (stream(s))
                }
                (checks_table(r))
                @if !with_failures.is_empty() {
                    section id="failures" {
                        h2 { "Failures" }
                        @for c in &with_failures {
                            (check_failures(c))
                        }
                    }
                }
                (notes(r))
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    markup.into_string()
}

fn summary(r: &Report, producer: Option<&Summary>) -> Markup {
    html! {
        dl.summary {
            @if producer.is_some() {
                dt { "source" } dd { (r.target) }
                dt { "events" } dd { (r.cases_run) }
            } @else {
                dt { "target" } dd { (r.target) }
                dt { "seed" } dd { (r.seed) }
                dt { "cases" } dd { (r.cases) " per family, " (r.cases_run) " in all" }
            }
            dt { "requests" } dd { (r.requests) }
            dt { "spec version" } dd { (openlineage_types::SPEC_TAG) }
            dt { "duration" } dd { (format!("{:.1} s", r.duration_ms as f64 / 1000.0)) }
            dt { "strict" } dd { (if r.strict { "yes: should-tier failures fail the run" } else { "no" }) }
            dt { "verdict" } dd {
                @if r.exit_code() == 0 { "passes (exit code 0)" } @else { "fails (exit code 1)" }
            }
        }
        ul.counts id="counts" {
            li { strong { (r.results.len()) } " checks" }
            @for o in Outcome::ALL {
                li { span class=(format!("o o-{}", o.word())) { (o.word()) } " " strong { (r.count(o)) } }
            }
        }
    }
}

fn checks_table(r: &Report) -> Markup {
    let tiers = [CheckTier::Must, CheckTier::Should, CheckTier::Strict];
    html! {
        section id="checks" {
            h2 { "Checks" }
            // Scripts show the filters; without them every row is shown.
            form id="filters" hidden {
                fieldset {
                    legend { "outcome" }
                    @for o in Outcome::ALL {
                        label { input type="checkbox" name="outcome" value=(o.word()) checked; " " (o.word()) } " "
                    }
                }
                fieldset {
                    legend { "tier" }
                    @for t in tiers {
                        label { input type="checkbox" name="tier" value=(t.name()) checked; " " (t.name()) } " "
                    }
                }
            }
            table id="checks-table" {
                thead { tr { th { "outcome" } th { "check" } th { "tier" } th { "verdicts" } th { "what it checks" } } }
                tbody {
                    @for c in &r.results {
                        tr id=(format!("check-{}", c.id)) data-outcome=(c.outcome.word()) data-tier=(c.tier.name()) {
                            td { span class=(format!("o o-{}", c.outcome.word())) { (c.outcome.word()) } }
                            td.id {
                                @if c.distinct.is_empty() { (c.id) }
                                @else { a href=(format!("#fail-{}", c.id)) { (c.id) } }
                            }
                            td { (c.tier.name()) }
                            td { (c.observations) }
                            td {
                                (c.description)
                                @if let Some(reason) = c.not_run_reason.as_deref().filter(|s| !s.is_empty()) {
                                    br; small { (reason) }
                                }
                                @if let Some(e) = &c.expectation {
                                    br; small { "expected to fail: " (e) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn check_failures(c: &CheckResult) -> Markup {
    let n = c.distinct.len();
    html! {
        article.check id=(format!("fail-{}", c.id)) data-outcome=(c.outcome.word()) {
            h3 {
                span class=(format!("o o-{}", c.outcome.word())) { (c.outcome.word()) } " "
                code { (c.id) } " (" (c.tier.name()) ")"
            }
            p { (c.description) " " small { "(" (c.clause) ")" } }
            p {
                (n) " distinct failure" (if n == 1 { "" } else { "s" })
                @if n > c.failures.len() { ", the first " (c.failures.len()) " in full" }
            }
            @for (k, f) in c.failures.iter().enumerate() {
                (failure(c, k, f))
            }
            h4 { "Every distinct failure" }
            table.distinct {
                thead { tr { th { "failure" } th { "cases" } th { "for example" } th { "in full above" } } }
                tbody {
                    @for d in &c.distinct {
                        tr { td { (d.signature) } td { (d.cases) } td { (d.example) } td { (if d.shown { "yes" } else { "no" }) } }
                    }
                }
            }
            @for nj in &c.not_judged {
                p { small { (nj.cases) " cases not judged: " (nj.reason) } }
            }
        }
    }
}

fn failure(c: &CheckResult, k: usize, f: &Failure) -> Markup {
    let curl_id = format!("curl-{}-{k}", c.id);
    html! {
        div.failure {
            p { strong { "(" (k + 1) ") " } (f.message) }
            @if !f.signature.is_empty() { p.label { "signature: " code { (f.signature) } } }
            @for (i, e) in f.sequence.iter().enumerate() {
                (exchange(&format!("request {} of {}", i + 1, f.sequence.len()), e))
            }
            @if f.sequence.is_empty() {
                @if let Some(e) = &f.request { (exchange("request", e)) }
            }
            @if let Some(e) = &f.response { (exchange("response", e)) }
            @if let Some(rb) = &f.read_back {
                @if let Some(d) = &rb.first_difference { p { "first difference " code { (d) } } }
                p.label { "read back with " code { (rb.how) } }
                div.side {
                    div { div.label { "sent" } pre { (rb.sent) } }
                    div { div.label { "read back" } pre { (rb.stored) } }
                }
            }
            @if let Some(curl) = &f.curl {
                div.label { "reproduce (curl)" button.copy type="button" data-for=(curl_id) hidden { "Copy" } }
                pre.curl id=(curl_id) { (curl) }
            }
            @for file in f.body_files.iter().filter(|f| !f.is_empty()) {
                p.label { "body file: " code { (file) } }
            }
            @if let Some(s) = f.shrink_summary() { p.label { (s) } }
            @match f.reproduced {
                Some(true) => p.label { "replayed before this report: it fails the same way" },
                Some(false) => p.label { strong { "replayed before this report, it did not fail again" } ": the failure is flaky or depends on earlier requests; shown as first seen" },
                None => {},
            }
        }
    }
}

fn exchange(what: &str, e: &Exchange) -> Markup {
    html! {
        div.label { (what) ": " code { (e.line) } " (" (e.body_bytes) " bytes)" }
        @if !e.headers.is_empty() || !e.body.is_empty() {
            pre {
                @for (k, v) in &e.headers { (k) ": " (v) "\n" }
                @if !e.headers.is_empty() && !e.body.is_empty() { "\n" }
                (e.body)
            }
        }
        @if e.body_in_curl { p.label { "the body is in the curl line below" } }
    }
}

fn notes(r: &Report) -> Markup {
    let xpass: Vec<&CheckResult> = r
        .results
        .iter()
        .filter(|c| c.outcome == Outcome::XPass)
        .collect();
    html! {
        @if r.stalled.is_some() || !r.stale_expectations.is_empty() || !xpass.is_empty() {
            section id="notes" {
                h2 { "Notes" }
                @if let Some(s) = &r.stalled { p { (s) } }
                @for c in &xpass {
                    p { code { (c.id) } ": the expectations file lists it as failing (" (c.expectation.as_deref().unwrap_or("")) "), but it passed; remove the entry" }
                }
                @for g in &r.stale_expectations { p { "stale expectation: " code { (g) } " matches no check" } }
            }
        }
        @if let Some(line) = r.read_back_section() {
            section id="read-back" { h2 { "Read-back" } p { (line) } }
        }
        @if let Some(dir) = &r.bodies_dir {
            p.label { "bodies too large to show are in " code { (dir) } }
        }
        @if !r.compatibility_notes.is_empty() {
            details id="compatibility" {
                summary { "Check ids changed since report layout 1 (" (r.compatibility_notes.len()) ")" }
                ul { @for a in r.compatibility_notes { li { code { (a.old) } " → " (a.new.join(", ")) ": " (a.why) } } }
            }
        }
    }
}

/// The producer stream's counts and its runs on a time line scaled to the stream's first and
/// last `eventTime`.
fn stream(s: &Summary) -> Markup {
    let times: Vec<DateTime<FixedOffset>> = s
        .timeline
        .iter()
        .flat_map(|r| r.events.iter().filter_map(|e| e.time))
        .collect();
    let (first, last) = (times.iter().min().copied(), times.iter().max().copied());
    let span_ms = match (first, last) {
        (Some(a), Some(b)) => (b - a).num_milliseconds().max(1) as f64,
        _ => 1.0,
    };
    let position = |t: Option<DateTime<FixedOffset>>| -> Option<String> {
        let (t, first) = (t?, first?);
        let pct = (t - first).num_milliseconds() as f64 / span_ms * 100.0;
        Some(format!("left:{:.2}%", pct.clamp(0.0, 100.0)))
    };
    let mut runs: Vec<&RunEvents> = s.timeline.iter().collect();
    runs.sort_by_key(|r| r.events.iter().filter_map(|e| e.time).min());
    let r = &s.reached;
    html! {
        section id="stream" {
            h2 { "Stream" }
            p {
                (s.events) " events (" (s.duplicates) " duplicates set aside, " (s.out_of_order)
                " arrived out of order), " (s.runs) " runs, " (s.unseen_parents) " parent runs not in the stream"
            }
            p { "valid at facets tier " (r.facets) ", at formats tier only " (r.formats) ", at core tier only " (r.core) ", invalid " (r.invalid) }
            @if !runs.is_empty() {
                h3 { "Runs on a time line" }
                p.label {
                    @match (first, last) {
                        (Some(a), Some(b)) => { "from " (a.to_rfc3339()) " to " (b.to_rfc3339()) "; each dot is an event at its eventTime" },
                        _ => { "no event has a readable eventTime" },
                    }
                }
                table id="timeline" {
                    thead { tr { th { "job and run" } th { "events" } } }
                    tbody {
                        @for run in runs.iter().take(TIMELINE_RUNS) {
                            tr.run {
                                td.run { (run.job) br; (run.run_id) }
                                td {
                                    div.track {
                                        @for e in &run.events {
                                            @if let Some(style) = position(e.time) {
                                                span class=(format!("ev ev-{}", event_class(e.event_type.as_deref()))) style=(style)
                                                    title=(format!("{} {} ({})", e.event_type.as_deref().unwrap_or("no eventType"), e.time.map(|t| t.to_rfc3339()).unwrap_or_default(), e.source)) {}
                                            }
                                        }
                                    }
                                    details {
                                        summary { (run.events.len()) " events" }
                                        ol {
                                            @for e in run.events.iter().take(TIMELINE_EVENTS) {
                                                li {
                                                    (e.event_type.as_deref().unwrap_or("no eventType")) " at "
                                                    (e.time.map(|t| t.to_rfc3339()).unwrap_or_else(|| "no readable eventTime".into()))
                                                    " (" (e.source) ")"
                                                }
                                            }
                                        }
                                        @if run.events.len() > TIMELINE_EVENTS {
                                            p.label { (run.events.len() - TIMELINE_EVENTS) " more events not listed" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if runs.len() > TIMELINE_RUNS {
                    p.label { (runs.len() - TIMELINE_RUNS) " more runs not drawn" }
                }
            }
        }
    }
}

/// The marker's colour class: the spec's event types, anything else as one class.
fn event_class(event_type: Option<&str>) -> &'static str {
    match event_type {
        Some("START") => "START",
        Some("RUNNING") => "RUNNING",
        Some("COMPLETE") => "COMPLETE",
        Some("FAIL") => "FAIL",
        Some("ABORT") => "ABORT",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckId;
    use crate::producer::{Stream, TimedEvent};
    use crate::report::{FailureKind, REPORT_SCHEMA_VERSION};

    const HOSTILE: &str =
        "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";

    fn fixed_report() -> Report {
        let failing = CheckId::ALL[0].check();
        let f = Failure {
            signature: "2xx for missing.job".into(),
            request: Some(Exchange {
                line: "POST http://127.0.0.1:1/api/v1/lineage".into(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: String::new(),
                body_bytes: 2,
                body_in_curl: true,
            }),
            response: Some(Exchange {
                line: "status 200".into(),
                headers: vec![("content-type".into(), "text/html".into())],
                body: HOSTILE.into(),
                body_bytes: HOSTILE.len(),
                body_in_curl: false,
            }),
            curl: Some(
                "curl -sS -i -X POST 'http://127.0.0.1:1/api/v1/lineage' --data-binary '{}'".into(),
            ),
            reproduced: Some(true),
            minimal: true,
            shrink_steps: 3,
            shrink_attempts: 9,
            ..Failure::message_only(format!("accepted an invalid event: {HOSTILE}"))
        };
        let kinds = vec![
            FailureKind {
                signature: "2xx for missing.job".into(),
                cases: 4,
                example: "invalid, case 0".into(),
                shown: true,
            },
            FailureKind {
                signature: format!("2xx for {HOSTILE}"),
                cases: 1,
                example: "invalid, case 3".into(),
                shown: false,
            },
        ];
        let results = vec![
            CheckResult::judge(failing, 5, vec![f], kinds, None, false),
            CheckResult::judge(CheckId::ALL[1].check(), 5, vec![], vec![], None, false),
            CheckResult {
                not_run_reason: Some("not run: excluded".into()),
                ..CheckResult::judge(CheckId::ALL[2].check(), 0, vec![], vec![], None, false)
            },
        ];
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            target: "http://127.0.0.1:1/api/v1".into(),
            seed: 42,
            cases: 4,
            cases_run: 10,
            strict: false,
            requests: 12,
            duration_ms: 1500,
            stalled: None,
            stale_expectations: vec!["batch.*".into()],
            bodies_dir: None,
            compatibility_notes: &[],
            read_back: None,
            results,
        }
    }

    #[test]
    fn a_small_report_is_pinned() {
        // One tag a line, so a change shows as a readable diff.
        insta::assert_snapshot!(report(&fixed_report()).replace("><", ">\n<"));
    }

    #[test]
    fn markup_from_the_target_is_escaped_everywhere() {
        let page = report(&fixed_report());
        assert!(!page.contains("<img"), "{page}");
        assert_eq!(
            page.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        assert!(page.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
        assert!(page.contains("&lt;img src=x onerror=&quot;document.title='pwned'&quot;&gt;"));
    }

    #[test]
    fn every_check_and_every_count_is_on_the_page() {
        let r = fixed_report();
        let page = report(&r);
        for c in &r.results {
            assert!(page.contains(&format!("id=\"check-{}\"", c.id)), "{}", c.id);
        }
        assert!(page.contains(&format!("id=\"fail-{}\"", r.results[0].id)));
        for o in Outcome::ALL {
            assert!(
                page.contains(&format!(
                    "<span class=\"o o-{w}\">{w}</span> <strong>{}</strong>",
                    r.count(o),
                    w = o.word()
                )),
                "{}",
                o.word()
            );
        }
        assert!(page.contains(openlineage_types::SPEC_TAG));
        assert!(page.contains("1.5 s") && page.contains("<dd>42</dd>"));
    }

    #[test]
    fn producer_runs_are_drawn_on_the_time_line_by_event_time() {
        let mut stream = Stream::new();
        let run = "0190b3d4-7a1e-7c3a-9d2e-1f00000000aa";
        for (t, second) in [("START", 0), ("RUNNING", 5), ("COMPLETE", 10)] {
            let event = serde_json::json!({
                "eventType": t,
                "eventTime": format!("2024-05-01T10:00:{second:02}Z"),
                "producer": "https://example.com/producer",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": run},
                "job": {"namespace": "shop", "name": "daily"},
            });
            stream.push(format!("events.jsonl:{second}"), &event.to_string());
        }
        let (results, summary) = stream.finish(None, false);
        assert_eq!(
            summary.timeline,
            vec![RunEvents {
                run_id: run.into(),
                job: "shop/daily".into(),
                events: ["START", "RUNNING", "COMPLETE"]
                    .iter()
                    .zip([0, 5, 10])
                    .map(|(t, s)| TimedEvent {
                        event_type: Some(t.to_string()),
                        time: DateTime::parse_from_rfc3339(&format!("2024-05-01T10:00:{s:02}Z"))
                            .ok(),
                        source: format!("events.jsonl:{s}"),
                    })
                    .collect(),
            }]
        );
        let r = Report {
            results,
            ..fixed_report()
        };
        let page = producer_report(&r, &summary);
        assert!(page.contains("id=\"timeline\""));
        assert!(
            page.contains("class=\"ev ev-START\" style=\"left:0.00%\""),
            "{page}"
        );
        assert!(page.contains("class=\"ev ev-RUNNING\" style=\"left:50.00%\""));
        assert!(page.contains("class=\"ev ev-COMPLETE\" style=\"left:100.00%\""));
        assert!(page.contains("<dt>source</dt>"));
    }
}
