//! The engine: checks that each endpoint exists, has each family's cases generated on background
//! threads ([`crate::cases`]), sends them ([`crate::transport`]), judges the answers per check as they arrive
//! ([`crate::judge`]), groups each check's failures by signature, and shrinks the distinct ones
//! in parallel, within a time limit, to inputs with a `curl` script that reproduces them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use openlineage_types::arb::{GenConfig, ValueGen};
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

use crate::cases::{case_tree, generator_threads, Case, Chunks, Generators, Planned, Queue};
use crate::checks::{CheckId, Distinct, Scope, CHECKS};
use crate::families::{families, Family};
use crate::judge::{judge_all, Judgement, Verdict};
pub use crate::options::{RunOptions, Selection};
use crate::options::{CRASH_RESENDS, SHOWN_FAILURES, SHRINK_BUDGET};
use crate::report::{
    CheckResult, Exchange, Failure, FailureKind, NotJudged, Report, REPORT_SCHEMA_VERSION,
};
use crate::seed::{case_seed, mix};
pub use crate::transport::http_client;
use crate::transport::{preflight, Sender};
use crate::wire::{probe_event, Endpoint, Input, Observed, Req};
use crate::Error;

/// The first failing case of one signature of one check, in plan order.
struct Candidate {
    at: Planned,
    input: Input,
    observed: Vec<Observed>,
    message: String,
}

/// What tells two failures of one check apart ([`Distinct`]): the class of each answer and the
/// kind of case, or the exact answer alone when the kinds are examples of one cause.
fn signature(check: CheckId, input: &Input, observed: &[Observed]) -> String {
    match check.check().distinct {
        Distinct::Answer => {
            let answers: Vec<String> = observed.iter().map(Observed::exact).collect();
            answers.join(" then ")
        }
        Distinct::AnswerAndKind => {
            let classes: Vec<String> = observed.iter().map(Observed::class).collect();
            format!("{} for {}", classes.join(" then "), input.label)
        }
    }
}

/// One distinct failure of one check: the first failing case in plan order, and how many
/// cases failed the same way.
struct Seen {
    first: Candidate,
    cases: usize,
}

/// What the answers so far say: how often each check was judged, why it could not be, and
/// every distinct failure of each check.
#[derive(Default)]
struct Tally {
    /// Cases answered and judged.
    cases: usize,
    observations: BTreeMap<CheckId, usize>,
    moot: BTreeMap<CheckId, BTreeMap<String, usize>>,
    failures: BTreeMap<CheckId, BTreeMap<String, Seen>>,
}

impl Tally {
    fn record(&mut self, case: &Case, observed: &[Observed], verdicts: Vec<Verdict>) {
        self.cases += 1;
        for Verdict { check, judgement } in verdicts {
            let message = match judgement {
                Judgement::Pass => {
                    *self.observations.entry(check).or_default() += 1;
                    continue;
                }
                Judgement::Moot(why) => {
                    *self.moot.entry(check).or_default().entry(why).or_default() += 1;
                    continue;
                }
                Judgement::Fail(message) => message,
            };
            *self.observations.entry(check).or_default() += 1;
            let sig = signature(check, &case.input, observed);
            let candidate = || Candidate {
                at: case.at,
                input: case.input.clone(),
                observed: observed.to_vec(),
                message: message.clone(),
            };
            let slot = self.failures.entry(check).or_default();
            match slot.get_mut(&sig) {
                Some(seen) => {
                    seen.cases += 1;
                    if case.at.position < seen.first.at.position {
                        seen.first = candidate();
                    }
                }
                None => {
                    slot.insert(
                        sig,
                        Seen {
                            first: candidate(),
                            cases: 1,
                        },
                    );
                }
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

/// Runs the selected checks against the target and builds the report.
pub async fn run(opts: RunOptions) -> Result<Report, Error> {
    let started = Instant::now();
    let generators = Generators::start(opts.seed, generator_threads())?;
    preflight(&opts).await?;
    let gen = ValueGen::new(GenConfig::MEDIUM)?;
    let families = families(&gen)?;
    let opts = Arc::new(opts);
    let sender = Sender::new(opts.clone())?;
    let reads_back = families
        .iter()
        .any(|f| f.reads_back() && opts.selection.sends(f));
    if let (Some(reader), true) = (&sender.reader, reads_back) {
        reader.preflight().await?;
    }
    let sel = &opts.selection;
    let sends = |f: &Family| sel.sends(f) && (!f.reads_back() || sender.reader.is_some());
    // Each endpoint the selected families need is probed once; a missing one stops its
    // families rather than failing (or passing) each of them on a 404.
    let mut probes: BTreeMap<Endpoint, Probe> = BTreeMap::new();
    for endpoint in [Endpoint::Single, Endpoint::Batch] {
        let presence = presence_check(endpoint);
        let needed = families.iter().any(|f| f.endpoint == endpoint && sends(f))
            || sel.selects(presence.id());
        if needed {
            probes.insert(endpoint, probe(&sender, endpoint, opts.seed).await);
        }
    }
    let missing = |e: Endpoint| probes.get(&e).is_some_and(|p| p.missing.is_some());
    let mut plan: Vec<Planned> = Vec::new();
    for (family, f) in families.iter().enumerate() {
        if !sends(f) || missing(f.endpoint) {
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
    let chunks = generators.generate(plan);
    let judges = families.iter().map(|f| f.judge().clone()).collect();
    let Tally {
        cases,
        mut observations,
        moot,
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
    let mut reported: BTreeMap<CheckId, (Vec<Failure>, Vec<FailureKind>)> = BTreeMap::new();
    let mut jobs = Vec::new();
    // Unselected checks (riders of a selected family) are neither shrunk nor reported.
    for (check, by_signature) in failures.into_iter().filter(|(c, _)| sel.selects(c.id())) {
        let mut all: Vec<(String, Seen)> = by_signature.into_iter().collect();
        all.sort_by_key(|(_, seen)| seen.first.at.position);
        let kinds = all
            .iter()
            .enumerate()
            .map(|(k, (sig, seen))| FailureKind {
                signature: sig.clone(),
                cases: seen.cases,
                example: example(&families[seen.first.at.family], &seen.first),
                shown: k < SHOWN_FAILURES,
            })
            .collect();
        reported.insert(check, (Vec::new(), kinds));
        for (k, (sig, seen)) in all.into_iter().take(SHOWN_FAILURES).enumerate() {
            jobs.push((check, k, sig, seen.first));
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
        let failure = failure.with_body_files(opts.bodies_dir.as_deref(), check.id(), k)?;
        if let Some((list, _)) = reported.get_mut(&check) {
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
            let kind = FailureKind {
                signature: f.signature.clone(),
                cases: 1,
                example: "the endpoint probe".into(),
                shown: true,
            };
            reported.insert(check, (vec![f], vec![kind]));
        }
    }
    let both_missing = missing(Endpoint::Single) && missing(Endpoint::Batch);
    if both_missing {
        if let Some((list, _)) = reported.get_mut(&CheckId::SingleEndpoint) {
            for f in list {
                f.message = format!("{}; the batch endpoint is missing too, so --target is probably wrong: it should be the API base, e.g. http://host:5000/api/v1", f.message);
            }
        }
        reported.remove(&CheckId::BatchEndpoint);
        observations.remove(&CheckId::BatchEndpoint);
    }
    let stalled = sender.stalled().then(|| {
        format!("the target stopped answering: {} requests in a row got no answer, and a fresh connection got none either; later requests were not sent", opts.stall_after)
    });
    if let Some(s) = &stalled {
        reported
            .entry(CheckId::TransportAnswered)
            .or_insert_with(|| {
                let kind = FailureKind {
                    signature: "stalled".into(),
                    cases: 1,
                    example: "the run".into(),
                    shown: true,
                };
                (vec![Failure::message_only(s.clone())], vec![kind])
            });
    }
    let results = CheckId::ALL
        .iter()
        .filter(|c| sel.selects(c.id()))
        .map(|&c| {
            let (failures, kinds) = reported.remove(&c).unwrap_or_default();
            let seen = observations.get(&c).copied().unwrap_or(0);
            let not_judged: Vec<NotJudged> = moot
                .get(&c)
                .map(|m| {
                    m.iter()
                        .map(|(reason, cases)| NotJudged {
                            reason: reason.clone(),
                            cases: *cases,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut result = CheckResult::judge(
                c.check(),
                seen,
                failures,
                kinds,
                opts.expectations.as_ref(),
                opts.strict,
            );
            if seen == 0 && result.failures.is_empty() {
                let off = matches!(c.check().scope, Scope::ReadBack(_)) && sender.reader.is_none();
                result.not_run_reason = Some(if off {
                    format!("not run: {}", crate::readback::HOW_TO_ENABLE)
                } else {
                    not_run_reason(
                        c,
                        &families,
                        sel,
                        &probes,
                        both_missing,
                        stalled.is_some(),
                        &not_judged,
                    )
                });
            }
            result.not_judged = not_judged;
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
        schema_version: REPORT_SCHEMA_VERSION,
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
        compatibility_notes: crate::checks::ALIASES,
        read_back: opts.read_back.as_ref().map(|rb| rb.adapter.describe()),
        results,
    })
}

/// A failing case in a few words, to find it again: its kind and where it sits in its family.
fn example(family: &Family, c: &Candidate) -> String {
    let run = c
        .input
        .requests
        .first()
        .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .and_then(|v| {
            let v = v.as_array().and_then(|a| a.first().cloned()).unwrap_or(v);
            v.pointer("/run/runId")
                .and_then(Value::as_str)
                .map(String::from)
        });
    match run {
        Some(run) => format!(
            "{}, case {} of {} (runId {run})",
            c.input.label, c.at.case, family.name
        ),
        None => format!("{}, case {} of {}", c.input.label, c.at.case, family.name),
    }
}

fn presence_check(endpoint: Endpoint) -> CheckId {
    match endpoint {
        Endpoint::Single => CheckId::SingleEndpoint,
        Endpoint::Batch => CheckId::BatchEndpoint,
    }
}

/// Why a selected check got no verdict.
fn not_run_reason(
    check: CheckId,
    families: &[Family],
    sel: &Selection,
    probes: &BTreeMap<Endpoint, Probe>,
    both_missing: bool,
    stalled: bool,
    not_judged: &[NotJudged],
) -> String {
    if check == CheckId::BatchEndpoint && both_missing {
        return format!(
            "not checked: the single-event endpoint is missing too (see {})",
            CheckId::SingleEndpoint
        );
    }
    if let Some(endpoint) = check.check().endpoint() {
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
        let primaries: Vec<&str> = own.iter().map(|f| f.check().id()).collect();
        return format!(
            "not run: its cases ride on {}, which are excluded",
            primaries.join(", ")
        );
    }
    if stalled {
        return "not run: the target stopped answering first".into();
    }
    // The most frequent reason it could not be judged says why it never was.
    if let Some(most) = not_judged.iter().max_by_key(|n| n.cases) {
        return format!("not run: {}", most.reason);
    }
    "not run: no case reached it".into()
}

/// Shrinks failures, each on its own sequence of requests, several at once, and replays each
/// result before it is reported.
struct Shrinker<'a> {
    sender: &'a Sender,
    families: &'a [Family],
    deadline: Instant,
    permits: tokio::sync::Semaphore,
}

/// How shrinking one failure went.
#[derive(Debug, Clone, Copy, Default)]
struct Shrunk {
    /// Simplifications that kept the failure.
    steps: usize,
    /// Requests sent while shrinking.
    attempts: usize,
    /// Why shrinking stopped before the input was minimal, if it did.
    stopped: Option<Stop>,
    /// Whether the reported case failed again, the same way, when replayed; `None` when it
    /// was not replayed.
    reproduced: Option<bool>,
}

/// Why shrinking stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Budget,
    Time,
    Stalled,
    Crashed,
    CrashedOnSimpler,
    NotShrunkTransport,
    NotShrunkShape,
    NotShrunkStalled,
    NotRemade,
}

impl Stop {
    fn note(self) -> String {
        match self {
            Stop::Budget => format!("stopped at the budget of {SHRINK_BUDGET} requests"),
            Stop::Time => "stopped at the shrinking time limit (--shrink-time)".into(),
            Stop::Stalled => "stopped: the target had stopped answering".into(),
            Stop::Crashed => {
                "stopped: the target crashed while shrinking (--resend-crashes goes on)".into()
            }
            Stop::CrashedOnSimpler => {
                "the target crashed on simpler inputs, which could not be judged".into()
            }
            Stop::NotShrunkTransport => {
                "a transport failure is not shrunk: each attempt could crash the target again"
                    .into()
            }
            Stop::NotShrunkShape => {
                "this case is not shrunk: its size or shape is the point".into()
            }
            Stop::NotShrunkStalled => "not shrunk: the target had stopped answering".into(),
            Stop::NotRemade => "not shrunk: the case could not be made again from its seed".into(),
        }
    }

    /// Whether shrinking happened at all.
    fn shrank(self) -> bool {
        !matches!(
            self,
            Stop::NotShrunkTransport
                | Stop::NotShrunkShape
                | Stop::NotShrunkStalled
                | Stop::NotRemade
        )
    }
}

impl Shrinker<'_> {
    async fn shrink(&self, check: CheckId, sig: String, c: Candidate) -> Failure {
        let family = &self.families[c.at.family];
        let opts = &self.sender.opts;
        let skip = if check.check().scope == Scope::Transport {
            Some(Stop::NotShrunkTransport)
        } else if !family.shrinks {
            Some(Stop::NotShrunkShape)
        } else if self.sender.stalled() {
            Some(Stop::NotShrunkStalled)
        } else {
            None
        };
        let Ok(_permit) = self.permits.acquire().await else {
            return self.failure(&c.input, &c.observed, c.message, Shrunk::default());
        };
        let seed = case_seed(opts.seed, family.name, c.at.case);
        let (best, mut shrunk) = match skip {
            Some(why) => (
                (c.input, c.observed, c.message),
                Shrunk {
                    stopped: Some(why),
                    ..Shrunk::default()
                },
            ),
            None => match case_tree(family, opts.seed, c.at.case) {
                // The case is made again from its seed; it must be the one that was sent.
                Ok(mut tree) if tree.current() == c.input => {
                    self.shrink_tree(family, &mut tree, check, &sig, c, seed)
                        .await
                }
                _ => (
                    (c.input, c.observed, c.message),
                    Shrunk {
                        stopped: Some(Stop::NotRemade),
                        ..Shrunk::default()
                    },
                ),
            },
        };
        // Every reported reproducer is replayed first (with fresh run ids, as shrinking sends
        // them), and what is reported is that replay: its request is the curl line's.
        let crashed = matches!(shrunk.stopped, Some(Stop::Crashed | Stop::CrashedOnSimpler));
        let (input, observed, message) =
            if check.check().scope == Scope::Transport || (crashed && !opts.resend_crashes) {
                best
            } else {
                let replay = best.0.with_fresh_run_ids(mix(seed ^ 0x7e91a7));
                shrunk.attempts += 1;
                let obs = self.sender.send_input(&replay).await;
                match Self::still_fails(family, check, &sig, &replay, &obs) {
                    Some(m) => {
                        shrunk.reproduced = Some(true);
                        (replay, obs, m)
                    }
                    None => {
                        shrunk.reproduced = Some(false);
                        best
                    }
                }
            };
        let mut f = self.failure(&input, &observed, message, shrunk);
        f.signature = sig;
        f
    }

    /// Whether `input` still fails `check` with signature `sig`, and still has what the case
    /// exists for: the failure message, if so.
    fn still_fails(
        family: &Family,
        check: CheckId,
        sig: &str,
        input: &Input,
        observed: &[Observed],
    ) -> Option<String> {
        if signature(check, input, observed) != sig || !input.keeps_purpose() {
            return None;
        }
        judge_all(&family.judge, input, observed)
            .into_iter()
            .find_map(|v| match v.judgement {
                Judgement::Fail(m) if v.check == check => Some(m),
                _ => None,
            })
    }

    /// proptest's own shrink loop: simplify after a failure, complicate after a pass, and test
    /// every value the tree moves to, with fresh run ids each time. A simpler case that lost
    /// what the case exists for counts as a pass without being sent.
    async fn shrink_tree(
        &self,
        family: &Family,
        tree: &mut Box<dyn ValueTree<Value = Input>>,
        check: CheckId,
        sig: &str,
        c: Candidate,
        seed: u64,
    ) -> ((Input, Vec<Observed>, String), Shrunk) {
        let sender = self.sender;
        let mut best = (c.input, c.observed, c.message);
        let mut shrunk = Shrunk::default();
        let mut crashes = 0;
        // One request of the budget is kept for the replay.
        let budget = SHRINK_BUDGET - 1;
        let mut more = tree.simplify();
        while more {
            if let Some(stop) = self.stop(&shrunk, crashes, budget) {
                shrunk.stopped = Some(stop);
                break;
            }
            let candidate = tree
                .current()
                .with_fresh_run_ids(mix(seed ^ (shrunk.attempts as u64 + 1)));
            if !candidate.keeps_purpose() {
                more = tree.complicate();
                continue;
            }
            shrunk.attempts += 1;
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
            shrunk.stopped = Some(Stop::CrashedOnSimpler);
        }
        // Unknown `x-` fields rarely matter; drop them when the failure stays without them.
        let may_try = matches!(shrunk.stopped, None | Some(Stop::Budget))
            && shrunk.attempts < budget + usize::from(shrunk.stopped == Some(Stop::Budget));
        if let Some(bare) = without_x_fields(&best.0).filter(|b| may_try && b.keeps_purpose()) {
            if shrunk.attempts < budget {
                shrunk.attempts += 1;
                let obs = sender.send_input(&bare).await;
                if let Some(m) = Self::still_fails(family, check, sig, &bare, &obs) {
                    shrunk.steps += 1;
                    best = (bare, obs, m);
                }
            }
        }
        (best, shrunk)
    }

    /// Why shrinking must stop before the next request, if it must.
    fn stop(&self, shrunk: &Shrunk, crashes: usize, budget: usize) -> Option<Stop> {
        if shrunk.attempts >= budget {
            Some(Stop::Budget)
        } else if Instant::now() >= self.deadline {
            Some(Stop::Time)
        } else if self.sender.stalled() {
            Some(Stop::Stalled)
        } else if crashes >= CRASH_RESENDS && !self.sender.opts.resend_crashes {
            Some(Stop::Crashed)
        } else {
            None
        }
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
            .rposition(|o| {
                o.error.is_some() || o.framing.is_some() || o.status.is_some_and(|s| s >= 300)
            })
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
        let shrank = shrunk.stopped.is_none_or(Stop::shrank) && shrunk.attempts > 0;
        Failure {
            message,
            signature: String::new(),
            shrink_steps: shrunk.steps,
            shrink_attempts: shrunk.attempts,
            minimal: shrunk.stopped.is_none() && shrank,
            shrink_note: shrunk.stopped.map(Stop::note),
            reproduced: shrunk.reproduced,
            request: Some(exchange(req)),
            response: Some(Exchange::response(&o)),
            sequence: earlier,
            curl: None,
            body_files: Vec::new(),
            read_back: o
                .stored
                .iter()
                .find(|l| l.refused && l.stored.as_ref().is_ok_and(|s| !s.is_empty()))
                .or(o.stored.first())
                .map(crate::report::ReadBackShown::of),
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
            .find(|f| f.check() == CheckId::Malformed)
            .expect("family");
        let sel = Selection::new(&[], &["single.malformed.*".into()]).expect("globs");
        assert!(sel.selects(CheckId::InvalidStatus.id()));
        assert!(!sel.sends(malformed));
        let riders_only =
            Selection::new(&[CheckId::InvalidStatus.id().into()], &[]).expect("globs");
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
