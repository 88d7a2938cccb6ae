//! The engine: checks that each endpoint exists, has each family's cases generated on background
//! threads ([`crate::cases`]), sends them ([`crate::transport`]), judges the answers per check as they arrive
//! ([`crate::judge`]), groups each check's failures by signature, and shrinks the distinct ones
//! in parallel, within a time limit, to inputs with a `curl` script that reproduces them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openlineage_types::arb::{GenConfig, ValueGen};
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

use crate::cases::{case_tree, generate, generator_threads, Case, Chunks, Planned, Queue};
use crate::checks::{endpoint_of, id, CHECKS};
use crate::expectations::Expectations;
use crate::families::{families, Family};
use crate::judge::{judge_all, Verdict};
use crate::report::{CheckResult, Exchange, Failure, Outcome, Report};
use crate::seed::{case_seed, mix};
pub use crate::transport::http_client;
use crate::transport::{preflight, Sender, CRASH_RESENDS};
use crate::wire::{Endpoint, Input, Observed, Req};
use crate::Error;

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
        !self.excludes(family.check) && family.checks().any(|c| self.selects(c))
    }
}

/// Whether a check id is selected by the include and exclude globs.
pub fn selected(id: &str, include: &[glob::Pattern], exclude: &[glob::Pattern]) -> bool {
    Selection {
        include: include.to_vec(),
        exclude: exclude.to_vec(),
    }
    .selects(id)
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
    /// Consecutive requests with no answer after which the target counts as stalled.
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
            timeout: Duration::from_secs(10),
            concurrency: 8,
            gzip: false,
            seed: 0,
            cases: 16,
            selection: Selection::default(),
            strict: false,
            expectations: None,
            stall_after: 3,
            progress: false,
            save_requests: None,
            shrink_time: Duration::from_secs(60),
            shrink_jobs: 8,
            resend_crashes: false,
            bodies_dir: None,
        })
    }
}

const SHRINK_BUDGET: usize = 48;
/// Distinct failures of one check shown (and shrunk) in the report.
pub const SHOWN_FAILURES: usize = 6;

/// The first failing case of one signature of one check, in plan order.
struct Candidate {
    at: Planned,
    input: Input,
    observed: Vec<Observed>,
    message: String,
}

/// What tells two failures of one check apart: the class of each answer (`2xx`, `5xx`,
/// `reset`, ...) and the kind of case (a mutation id, an event type, a framing).
fn signature(input: &Input, observed: &[Observed]) -> String {
    let classes: Vec<String> = observed.iter().map(Observed::class).collect();
    format!("{} for {}", classes.join(" then "), input.label)
}

/// What the answers so far say: how often each check was observed, and the first failing case
/// of each distinct failure of each check.
#[derive(Default)]
struct Tally {
    /// Cases answered and judged.
    cases: usize,
    observations: BTreeMap<&'static str, usize>,
    failures: BTreeMap<&'static str, BTreeMap<String, Candidate>>,
}

impl Tally {
    fn record(&mut self, case: &Case, observed: &[Observed], verdicts: Vec<Verdict>) {
        self.cases += 1;
        for (check, verdict) in verdicts {
            *self.observations.entry(check).or_default() += 1;
            let Err(message) = verdict else { continue };
            let sig = signature(&case.input, observed);
            let slot = self.failures.entry(check).or_default();
            if slot
                .get(&sig)
                .is_none_or(|c| case.at.position < c.at.position)
            {
                slot.insert(
                    sig,
                    Candidate {
                        at: case.at,
                        input: case.input.clone(),
                        observed: observed.to_vec(),
                        message,
                    },
                );
            }
        }
    }
}

/// `Err` when fewer cases were judged than planned and the target did not stall.
fn complete(judged: usize, planned: usize, stalled: bool) -> Result<(), Error> {
    if judged < planned && !stalled {
        return Err(Error::Internal(format!(
            "only {judged} of {planned} cases were generated and sent; a generator thread failed"
        )));
    }
    Ok(())
}

/// Sends cases with `concurrency` workers (one request in flight each), judging each answer
/// as it comes. Workers stop early once the target has stalled: the cases left would only be
/// skipped.
async fn send_all(
    sender: &Sender,
    chunks: Chunks,
    judges: Vec<crate::judge::Judge>,
    progress: &indicatif::ProgressBar,
) -> Result<Tally, Error> {
    let queue = Arc::new(Queue::new(chunks));
    let judges = Arc::new(judges);
    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..sender.opts.concurrency.max(1) {
        let (sender, queue, judges, tally) =
            (sender.clone(), queue.clone(), judges.clone(), tally.clone());
        let progress = progress.clone();
        workers.spawn(async move {
            while !sender.stalled() {
                let Some(case) = queue.next().await? else {
                    break;
                };
                let observed = sender.send_input(&case.input).await;
                let verdicts = judge_all(&judges[case.at.family], &case.input, &observed);
                tally
                    .lock()
                    .map_err(|_| Error::Internal("a request worker panicked".into()))?
                    .record(&case, &observed, verdicts);
                progress.inc(1);
            }
            Ok::<(), Error>(())
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| Error::Internal(format!("a request worker failed: {e}")))??;
    }
    drop(queue);
    Arc::into_inner(tally)
        .and_then(|t| t.into_inner().ok())
        .ok_or_else(|| Error::Internal("the tally is still shared after the run".into()))
}

/// A fixed, minimal valid RunEvent with a run id of its own, to see whether an endpoint exists.
fn probe_event(seed: u64, n: u64) -> Value {
    json!({
        "eventType": "START",
        "eventTime": "2024-06-01T12:00:00.000Z",
        "producer": "https://github.com/openlineage-rs/ol-conformance",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": crate::wire::uuid_from(mix(seed ^ 0x0b5e_55ed), n)},
        "job": {"namespace": "ol-conformance", "name": "endpoint-probe"},
    })
}

/// How one endpoint answered the probe.
struct Probe {
    input: Input,
    observed: Observed,
    /// Why the endpoint counts as missing, if it does.
    missing: Option<String>,
}

async fn probe(sender: &Sender, endpoint: Endpoint, seed: u64) -> Probe {
    let req = match endpoint {
        Endpoint::Single => Req::single(probe_event(seed, 0).to_string().into_bytes()),
        Endpoint::Batch => Req::batch(json!([probe_event(seed, 1)]).to_string().into_bytes()),
    };
    let input = Input::one("endpoint probe", req, vec![true]);
    let observed = sender.send_input(&input).await.pop().unwrap_or_default();
    let url = sender.url(endpoint);
    let missing = match observed.status {
        Some(s @ (404 | 405 | 501)) => Some(format!(
            "POST {url} answered {s} to a valid {}: the target has no {} there",
            match endpoint {
                Endpoint::Single => "event",
                Endpoint::Batch => "batch",
            },
            endpoint.noun()
        )),
        Some(200)
            if endpoint == Endpoint::Batch
                && observed.body.iter().all(u8::is_ascii_whitespace) =>
        {
            Some(format!(
                "POST {url} answered 200 with an empty body to a valid batch, as a server without a batch endpoint does: a batch answer says what became of each event (or is a 204)"
            ))
        }
        _ => None,
    };
    Probe {
        input,
        observed,
        missing,
    }
}

/// How shrinking one failure went.
#[derive(Debug, Clone, Copy, Default)]
struct Shrunk {
    /// Simplifications that kept the failure.
    steps: usize,
    /// Requests sent while shrinking.
    attempts: usize,
    /// Why shrinking stopped before the input was minimal, if it did.
    stopped: Option<&'static str>,
}

/// Runs the selected checks against the target and builds the report.
pub async fn run(opts: RunOptions) -> Result<Report, Error> {
    let started = Instant::now();
    preflight(&opts).await?;
    let gen = ValueGen::new(GenConfig::MEDIUM)?;
    let families = families(&gen)?;
    let opts = Arc::new(opts);
    let sender = Sender::new(opts.clone())?;
    let sel = &opts.selection;
    // Each endpoint the selected families need is probed once; a missing one stops its
    // families rather than failing (or passing) each of them on a 404.
    let mut probes: BTreeMap<Endpoint, Probe> = BTreeMap::new();
    for endpoint in [Endpoint::Single, Endpoint::Batch] {
        let presence = presence_check(endpoint);
        let needed = families
            .iter()
            .any(|f| f.endpoint == endpoint && sel.sends(f))
            || sel.selects(presence);
        if needed {
            probes.insert(endpoint, probe(&sender, endpoint, opts.seed).await);
        }
    }
    let missing = |e: Endpoint| probes.get(&e).is_some_and(|p| p.missing.is_some());
    let mut plan: Vec<Planned> = Vec::new();
    for (family, f) in families.iter().enumerate() {
        if !sel.sends(f) || missing(f.endpoint) {
            continue;
        }
        for case in 0..f.case_count(opts.cases) {
            let position = plan.len();
            plan.push(Planned {
                family,
                case,
                position,
            });
        }
    }
    let planned = plan.len();
    let progress = crate::report::progress_bar(opts.progress, planned);
    let chunks = generate(plan, opts.seed, generator_threads())?;
    let judges = families.iter().map(|f| f.judge.clone()).collect();
    let Tally {
        cases,
        mut observations,
        failures,
    } = send_all(&sender, chunks, judges, &progress).await?;
    // Only a stall stops sending early; fewer cases otherwise means a generator thread died,
    // and a report on part of the plan must not pass for a whole one.
    complete(cases, planned, sender.stalled())?;
    progress.finish_and_clear();
    let shrinker = Shrinker {
        sender: &sender,
        families: &families,
        deadline: Instant::now() + opts.shrink_time,
        permits: tokio::sync::Semaphore::new(opts.shrink_jobs.max(1)),
    };
    let mut reported: BTreeMap<&'static str, (Vec<Failure>, usize)> = BTreeMap::new();
    let mut jobs = Vec::new();
    // Unselected checks (riders of a selected family) are neither shrunk nor reported.
    for (check, by_signature) in failures.into_iter().filter(|(c, _)| sel.selects(c)) {
        let distinct = by_signature.len();
        let mut shown: Vec<(String, Candidate)> = by_signature.into_iter().collect();
        shown.sort_by_key(|(_, c)| c.at.position);
        shown.truncate(SHOWN_FAILURES);
        reported.insert(check, (Vec::new(), distinct));
        for (k, (sig, c)) in shown.into_iter().enumerate() {
            jobs.push((check, k, sig, c));
        }
    }
    // Failures shrink side by side (`shrink_jobs` at once, one request in flight each): against
    // a slow target, shrinking one failure after another would take the sum of their times.
    let done = futures_util::future::join_all(jobs.into_iter().map(|(check, k, sig, c)| {
        let s = &shrinker;
        async move { (check, k, s.shrink(check, sig, c).await) }
    }))
    .await;
    for (check, k, failure) in done {
        let failure = failure.with_body_files(opts.bodies_dir.as_deref(), check, k)?;
        if let Some((list, _)) = reported.get_mut(check) {
            list.push(failure);
        }
    }
    // Endpoint presence, from the probes.
    for (endpoint, p) in &probes {
        let check = presence_check(*endpoint);
        *observations.entry(check).or_default() += 1;
        if let Some(reason) = &p.missing {
            let mut f = shrinker.failure(
                &p.input,
                std::slice::from_ref(&p.observed),
                reason.clone(),
                Shrunk::default(),
            );
            f.minimal = true;
            f.signature = format!("{} for endpoint probe", p.observed.class());
            reported.insert(check, (vec![f], 1));
        }
    }
    let both_missing = missing(Endpoint::Single) && missing(Endpoint::Batch);
    if both_missing {
        if let Some((list, _)) = reported.get_mut(id::SINGLE_ENDPOINT) {
            for f in list {
                f.message = format!("{}; the batch endpoint is missing too, so --target is probably wrong: it should be the API base, e.g. http://host:5000/api/v1", f.message);
            }
        }
        reported.remove(id::BATCH_ENDPOINT);
        observations.remove(id::BATCH_ENDPOINT);
    }
    let stalled = sender.stalled().then(|| {
        format!("the target stopped answering after {} consecutive requests without an answer; later requests were not sent", opts.stall_after)
    });
    if let Some(s) = &stalled {
        reported
            .entry(id::TRANSPORT_ANSWERED)
            .or_insert_with(|| (vec![Failure::message_only(s.clone())], 1));
    }
    let results = CHECKS
        .iter()
        .filter(|c| sel.selects(c.id))
        .map(|c| {
            let (failures, distinct) = reported.remove(c.id).unwrap_or_default();
            let seen = observations.get(c.id).copied().unwrap_or(0);
            let mut result =
                CheckResult::judge(c, seen, failures, distinct, opts.expectations.as_ref());
            if result.outcome == Outcome::NotRun {
                result.not_run_reason = Some(not_run_reason(
                    c.id,
                    &families,
                    sel,
                    &probes,
                    both_missing,
                    stalled.is_some(),
                ));
            }
            result
        })
        .collect();
    if let Some(recorder) = &sender.recorder {
        recorder.finish()?;
    }
    let stale = opts
        .expectations
        .as_ref()
        .map(|e| e.stale(CHECKS.iter().map(|c| c.id)))
        .unwrap_or_default();
    Ok(Report {
        schema_version: 1,
        target: opts.target.as_str().trim_end_matches('/').to_string(),
        seed: opts.seed,
        cases: opts.cases,
        cases_run: cases,
        strict: opts.strict,
        requests: sender.sent(),
        duration_ms: started.elapsed().as_millis() as u64,
        stalled,
        stale_expectations: stale,
        bodies_dir: opts.bodies_dir.as_ref().map(|d| d.display().to_string()),
        results,
    })
}

fn presence_check(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Single => id::SINGLE_ENDPOINT,
        Endpoint::Batch => id::BATCH_ENDPOINT,
    }
}

/// Why a selected check got no verdict.
fn not_run_reason(
    check: &str,
    families: &[Family],
    sel: &Selection,
    probes: &BTreeMap<Endpoint, Probe>,
    both_missing: bool,
    stalled: bool,
) -> String {
    if check == id::BATCH_ENDPOINT && both_missing {
        return format!(
            "not checked: the single-event endpoint is missing too (see {})",
            id::SINGLE_ENDPOINT
        );
    }
    if let Some(endpoint) = endpoint_of(check) {
        if probes.get(&endpoint).is_some_and(|p| p.missing.is_some()) {
            return format!(
                "not run: the target has no {} (see {})",
                endpoint.noun(),
                presence_check(endpoint)
            );
        }
    }
    let own: Vec<&Family> = families
        .iter()
        .filter(|f| f.checks().any(|c| c == check))
        .collect();
    if !own.is_empty() && own.iter().all(|f| !sel.sends(f)) {
        let primaries: Vec<&str> = own.iter().map(|f| f.check).collect();
        return format!(
            "not run: its cases ride on {}, which are excluded",
            primaries.join(", ")
        );
    }
    if stalled {
        return "not run: the target stopped answering first".into();
    }
    "not run: no case reached it (each got no answer or a 5xx, reported by transport.answered or no_server_error, or its condition never arose)".into()
}

/// Shrinks failures, each on its own sequence of requests, several at once.
struct Shrinker<'a> {
    sender: &'a Sender,
    families: &'a [Family],
    deadline: Instant,
    permits: tokio::sync::Semaphore,
}

impl Shrinker<'_> {
    async fn shrink(&self, check: &'static str, sig: String, c: Candidate) -> Failure {
        let family = &self.families[c.at.family];
        let opts = &self.sender.opts;
        let skip = if check == id::TRANSPORT_ANSWERED {
            Some("a transport failure is not shrunk: each attempt could crash the target again")
        } else if !family.shrinks {
            Some("this case is not shrunk: its size or shape is the point")
        } else if self.sender.stalled() {
            Some("not shrunk: the target had stopped answering")
        } else {
            None
        };
        let mut f = match skip {
            Some(why) => self.failure(
                &c.input,
                &c.observed,
                c.message,
                Shrunk {
                    stopped: Some(why),
                    ..Shrunk::default()
                },
            ),
            None => match case_tree(family, opts.seed, c.at.case) {
                // The case is made again from its seed; it must be the one that was sent.
                Ok(mut tree) if tree.current() == c.input => {
                    let Ok(_permit) = self.permits.acquire().await else {
                        return self.failure(&c.input, &c.observed, c.message, Shrunk::default());
                    };
                    let seed = case_seed(opts.seed, family.name, c.at.case);
                    let (input, observed, message, shrunk) = self
                        .shrink_tree(family, &mut tree, check, &sig, c, seed)
                        .await;
                    self.failure(&input, &observed, message, shrunk)
                }
                _ => self.failure(
                    &c.input,
                    &c.observed,
                    c.message,
                    Shrunk {
                        stopped: Some("not shrunk: the case could not be made again from its seed"),
                        ..Shrunk::default()
                    },
                ),
            },
        };
        f.signature = sig;
        f
    }

    /// Whether `input` still fails `check` with signature `sig`: the failure message, if so.
    fn still_fails(
        family: &Family,
        check: &str,
        sig: &str,
        input: &Input,
        observed: &[Observed],
    ) -> Option<String> {
        if signature(input, observed) != sig {
            return None;
        }
        judge_all(&family.judge, input, observed)
            .into_iter()
            .find_map(|(c, v)| (c == check).then_some(v).and_then(Result::err))
    }

    /// proptest's own shrink loop: simplify after a failure, complicate after a pass, and test
    /// every value the tree moves to, with fresh run ids each time.
    async fn shrink_tree(
        &self,
        family: &Family,
        tree: &mut Box<dyn ValueTree<Value = Input>>,
        check: &'static str,
        sig: &str,
        c: Candidate,
        seed: u64,
    ) -> (Input, Vec<Observed>, String, Shrunk) {
        let sender = self.sender;
        let mut best = (c.input, c.observed, c.message);
        let mut shrunk = Shrunk::default();
        let mut crashes = 0;
        let mut more = tree.simplify();
        while more {
            if shrunk.attempts >= SHRINK_BUDGET {
                shrunk.stopped = Some("stopped at the budget of 48 requests");
                break;
            }
            if Instant::now() >= self.deadline {
                shrunk.stopped = Some("stopped at the shrinking time limit (--shrink-time)");
                break;
            }
            if sender.stalled() {
                shrunk.stopped = Some("stopped: the target had stopped answering");
                break;
            }
            if crashes >= CRASH_RESENDS && !sender.opts.resend_crashes {
                shrunk.stopped =
                    Some("stopped: the target crashed while shrinking (--resend-crashes goes on)");
                break;
            }
            shrunk.attempts += 1;
            let candidate = tree
                .current()
                .with_fresh_run_ids(mix(seed ^ shrunk.attempts as u64));
            let obs = sender.send_input(&candidate).await;
            if obs.iter().any(|o| o.status.is_none() && !o.skipped) {
                crashes += 1;
            }
            more = match Self::still_fails(family, check, sig, &candidate, &obs) {
                Some(m) => {
                    shrunk.steps += 1;
                    best = (candidate, obs, m);
                    tree.simplify()
                }
                None => tree.complicate(),
            };
        }
        if crashes > 0 && shrunk.stopped.is_none() {
            // A crash says nothing about whether the simpler input fails the check.
            shrunk.stopped =
                Some("the target crashed on simpler inputs, which could not be judged");
        }
        let may_resend = crashes < CRASH_RESENDS || sender.opts.resend_crashes;
        // Unknown `x-` fields rarely matter; drop them when the failure stays without them.
        if let Some(bare) = without_x_fields(&best.0).filter(|_| may_resend) {
            if shrunk.stopped.is_none() || shrunk.stopped.is_some_and(|s| s.contains("budget")) {
                shrunk.attempts += 1;
                let obs = sender.send_input(&bare).await;
                if let Some(m) = Self::still_fails(family, check, sig, &bare, &obs) {
                    shrunk.steps += 1;
                    best = (bare, obs, m);
                }
            }
        }
        (best.0, best.1, best.2, shrunk)
    }

    fn failure(
        &self,
        input: &Input,
        observed: &[Observed],
        message: String,
        shrunk: Shrunk,
    ) -> Failure {
        let sender = self.sender;
        let opts = &sender.opts;
        // Report the request the check is about: the last one that got a problem, else the last.
        let index = observed
            .iter()
            .rposition(|o| o.error.is_some() || o.status.is_some_and(|s| s >= 300))
            .unwrap_or(observed.len().saturating_sub(1))
            .min(input.requests.len().saturating_sub(1));
        let exchange = |r: &Req| {
            Exchange::request(sender.url(r.endpoint).as_str(), r, &opts.headers, opts.gzip)
        };
        let req = &input.requests[index];
        let o = observed.get(index).cloned().unwrap_or_default();
        let earlier: Vec<Exchange> = if input.requests.len() > 1 {
            input.requests.iter().map(exchange).collect()
        } else {
            Vec::new()
        };
        Failure {
            message,
            signature: String::new(),
            shrink_steps: shrunk.steps,
            shrink_attempts: shrunk.attempts,
            minimal: shrunk.stopped.is_none() && shrunk.attempts > 0,
            shrink_note: shrunk.stopped.map(String::from),
            request: Some(exchange(req)),
            response: Some(Exchange::response(&o)),
            sequence: earlier,
            curl: None,
            body_files: Vec::new(),
            wire: input
                .requests
                .iter()
                .map(|r| crate::report::WireRequest {
                    url: sender.url(r.endpoint).to_string(),
                    headers: r.headers(&opts.headers, opts.gzip),
                    body: r.wire_body(opts.gzip),
                })
                .collect(),
        }
        .with_curl()
    }
}

/// The case with every `x-` field of its JSON bodies removed; `None` when there were none.
fn without_x_fields(input: &Input) -> Option<Input> {
    fn strip(v: &mut Value) -> bool {
        match v {
            Value::Object(map) => {
                let before = map.len();
                map.retain(|k, _| !k.starts_with("x-"));
                let mut changed = map.len() != before;
                for item in map.values_mut() {
                    changed |= strip(item);
                }
                changed
            }
            Value::Array(items) => items.iter_mut().fold(false, |c, i| strip(i) | c),
            _ => false,
        }
    }
    let mut out = input.clone();
    let mut changed = false;
    for req in &mut out.requests {
        if let Ok(mut v) = serde_json::from_slice::<Value>(&req.body) {
            if strip(&mut v) {
                req.body = v.to_string().into_bytes();
                changed = true;
            }
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client speaks TLS to an `https://` target: the first bytes a loopback listener
    /// receives are a TLS handshake record carrying a ClientHello.
    #[test]
    fn https_targets_get_a_tls_handshake() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let url = format!("https://{addr}/api/v1/lineage");
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().ok()?;
            let mut head = [0u8; 6];
            conn.read_exact(&mut head).ok()?;
            Some(head)
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        // The listener closes without answering, so the request itself fails.
        let sent = rt.block_on(async {
            let client = http_client(Duration::from_secs(5)).expect("client with a TLS provider");
            client.post(&url).body("{}").send().await
        });
        assert!(sent.is_err());
        // Unblocks the listener if the client never connected, so the test fails, not hangs.
        let _ = std::net::TcpStream::connect(addr);
        let head = server
            .join()
            .expect("listener")
            .expect("the client sent a handshake");
        assert_eq!(head[0], 0x16, "TLS handshake record");
        assert_eq!(head[5], 0x01, "ClientHello");
    }

    #[test]
    fn a_run_that_lost_cases_is_an_error_unless_the_target_stalled() {
        assert!(complete(10, 10, false).is_ok());
        assert!(complete(3, 10, true).is_ok());
        let e = complete(3, 10, false).expect_err("cases were lost");
        assert!(e.to_string().contains("only 3 of 10 cases"), "{e}");
    }

    #[test]
    fn excluding_a_check_stops_its_family_even_when_riders_are_selected() {
        let gen = ValueGen::new(GenConfig::SMALL).expect("generator");
        let all = families(&gen).expect("families");
        let malformed = all
            .iter()
            .find(|f| f.check == id::MALFORMED)
            .expect("family");
        let sel = Selection::new(&[], &["single.malformed.*".into()]).expect("globs");
        assert!(sel.selects(id::INVALID_STATUS));
        assert!(!sel.sends(malformed));
        let riders_only = Selection::new(&[id::INVALID_STATUS.into()], &[]).expect("globs");
        assert!(riders_only.sends(malformed));
    }

    #[test]
    fn x_fields_are_dropped_at_every_level() {
        let input = Input::one(
            "x",
            Req::single(br#"{"x-a":1,"run":{"x-b":[{"x-c":2}],"runId":"r"}}"#.to_vec()),
            vec![true],
        );
        let bare = without_x_fields(&input).expect("changed");
        assert_eq!(bare.requests[0].body, br#"{"run":{"runId":"r"}}"#.to_vec());
        assert!(without_x_fields(&bare).is_none());
    }
}
