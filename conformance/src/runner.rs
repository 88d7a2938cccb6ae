//! The engine: generates each family's cases on background threads, sends them, judges the
//! answers per check as they arrive, and shrinks each failure to a minimal input with a `curl`
//! line that reproduces it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openlineage_types::arb::{GenConfig, ValueGen};
use proptest::strategy::{Strategy, ValueTree};

use crate::checks::CHECKS;
use crate::cli::seeded_runner;
use crate::expectations::Expectations;
use crate::families::{
    families, judge_all, Endpoint, Family, Input, Judge, Observed, Req, Verdict,
};
use crate::record::{Recorder, SavedRequest};
use crate::report::shown_headers;
use crate::report::{CheckResult, Exchange, Failure, Outcome, Report};
use crate::Error;

/// Options for a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// API base URL, e.g. `http://127.0.0.1:5000/api/v1`.
    pub target: String,
    /// Extra headers on every request.
    pub headers: Vec<(String, String)>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Send request bodies gzip-compressed.
    pub gzip: bool,
    /// Seed for every generated case.
    pub seed: u64,
    /// Generated cases per family.
    pub cases: usize,
    /// Check id globs to run (all when empty).
    pub include: Vec<glob::Pattern>,
    /// Check id globs to skip.
    pub exclude: Vec<glob::Pattern>,
    /// Should-tier failures fail the run.
    pub strict: bool,
    /// Known failures of this target.
    pub expectations: Option<Expectations>,
    /// Consecutive timeouts after which the target counts as stalled.
    pub stall_after: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Save every request sent here, as JSON lines ([`crate::record`]).
    pub save_requests: Option<std::path::PathBuf>,
}

const BODY_CAP: usize = 1024 * 1024;
const SHRINK_BUDGET: usize = 48;

/// Whether a check id is selected by the include and exclude globs.
pub fn selected(id: &str, include: &[glob::Pattern], exclude: &[glob::Pattern]) -> bool {
    (include.is_empty() || include.iter().any(|p| p.matches(id)))
        && !exclude.iter().any(|p| p.matches(id))
}

/// The HTTP client for a run, able to reach `https://` targets.
///
/// reqwest is built without a TLS crypto provider of its own (see the workspace manifest), so
/// this installs ring as the process default first; a provider some other code installed wins.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| Error::Usage(format!("cannot build the HTTP client: {e}")))
}

/// Sends requests and tracks whether the target has stalled.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    opts: Arc<RunOptions>,
    consecutive_timeouts: Arc<AtomicUsize>,
    stalled: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    recorder: Option<Arc<Recorder>>,
    /// The single and batch endpoints, parsed once rather than per request.
    urls: Arc<(reqwest::Url, reqwest::Url)>,
}

impl Sender {
    fn new(opts: Arc<RunOptions>) -> Result<Self, Error> {
        let client = http_client(opts.timeout)?;
        let recorder = match &opts.save_requests {
            Some(path) => Some(Arc::new(Recorder::create(path)?)),
            None => None,
        };
        let base = opts.target.trim_end_matches('/');
        let parse = |url: String| {
            reqwest::Url::parse(&url)
                .map_err(|e| Error::Usage(format!("--target `{}` is not a URL: {e}", opts.target)))
        };
        let urls = Arc::new((
            parse(format!("{base}/lineage"))?,
            parse(format!("{base}/lineage/batch"))?,
        ));
        Ok(Sender {
            client,
            recorder,
            urls,
            opts,
            consecutive_timeouts: Arc::new(AtomicUsize::new(0)),
            stalled: Arc::new(AtomicBool::new(false)),
            sent: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn url(&self, endpoint: Endpoint) -> &reqwest::Url {
        match endpoint {
            Endpoint::Single => &self.urls.0,
            Endpoint::Batch => &self.urls.1,
        }
    }

    async fn send(&self, req: &Req) -> Observed {
        if self.stalled.load(Ordering::Relaxed) {
            return Observed {
                skipped: true,
                error: Some("not sent: the target had stopped answering".into()),
                ..Observed::default()
            };
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let url = self.url(req.endpoint);
        let mut builder = self
            .client
            .post(url.clone())
            .header("content-type", req.content_type);
        for (name, value) in &self.opts.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = if self.opts.gzip {
            builder = builder.header("content-encoding", "gzip");
            gzip(&req.body)
        } else {
            req.body.clone()
        };
        if let Some(recorder) = &self.recorder {
            let headers = shown_headers(req, &self.opts.headers, self.opts.gzip);
            recorder.record(&SavedRequest::new(url.as_str(), headers, &body));
        }
        let observed = match builder.body(body).send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let content_type = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                let mut body = Vec::new();
                let mut error = None;
                let mut timed_out = false;
                loop {
                    match resp.chunk().await {
                        Ok(Some(chunk)) => {
                            let room = BODY_CAP.saturating_sub(body.len());
                            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                            if room < chunk.len() {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            timed_out = e.is_timeout();
                            error = Some(format!("answer cut off: {e}"));
                            break;
                        }
                    }
                }
                Observed {
                    status: Some(status),
                    content_type,
                    body,
                    error,
                    timed_out,
                    skipped: false,
                }
            }
            Err(e) => Observed {
                error: Some(describe(&e)),
                timed_out: e.is_timeout(),
                ..Observed::default()
            },
        };
        if observed.timed_out {
            let n = self.consecutive_timeouts.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= self.opts.stall_after {
                self.stalled.store(true, Ordering::Relaxed);
            }
        } else {
            self.consecutive_timeouts.store(0, Ordering::Relaxed);
        }
        observed
    }

    async fn send_input(&self, input: &Input) -> Vec<Observed> {
        let mut out = Vec::with_capacity(input.requests.len());
        for req in &input.requests {
            out.push(self.send(req).await);
        }
        out
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if e.is_timeout() {
        format!("timed out ({text})")
    } else {
        text
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Checks that something listens at the target; `Err` means the run cannot start. A target that
/// accepts connections but answers garbage is not unreachable: the run reports it as findings.
pub async fn preflight(opts: &RunOptions) -> Result<(), Error> {
    let url = reqwest::Url::parse(&opts.target)
        .map_err(|e| Error::Usage(format!("--target `{}` is not a URL: {e}", opts.target)))?;
    let addrs = url
        .socket_addrs(|| None)
        .map_err(|e| Error::Unreachable(format!("{}: {e}", opts.target)))?;
    let mut last = String::from("no address");
    for addr in addrs {
        match tokio::time::timeout(opts.timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => last = format!("{addr}: {e}"),
            Err(_) => last = format!("{addr}: no connection within {:?}", opts.timeout),
        }
    }
    Err(Error::Unreachable(format!("{} ({last})", opts.target)))
}

/// Mixes the run seed with a family name and a case number. Each case can then be made again on
/// its own (to shrink it) and on any thread, and selecting checks does not change other cases.
pub fn case_seed(seed: u64, family: &str, case: usize) -> u64 {
    // FNV-1a over the name, then the splitmix64 finaliser to spread the bits.
    let name = family.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let mut z = seed ^ name.rotate_left(17) ^ (case as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The value tree of one case, made from its own seed.
fn case_tree(
    family: &Family,
    seed: u64,
    case: usize,
) -> Result<Box<dyn ValueTree<Value = Input>>, Error> {
    family
        .strategy
        .new_tree(&mut seeded_runner(case_seed(seed, family.name, case)))
        .map_err(|e| Error::Usage(format!("cannot generate cases for {}: {e}", family.name)))
}

/// One planned case: which family, which case number, and where it sits in the plan.
#[derive(Debug, Clone, Copy)]
struct Planned {
    family: usize,
    case: usize,
    /// Failures are reported for the earliest case in the plan, so the report does not depend
    /// on which answer came back first.
    position: usize,
}

/// One generated case, ready to send.
struct Case {
    at: Planned,
    input: Input,
}

/// Cases travel in chunks: one channel operation (and at most one thread wake-up) per chunk.
const CHUNK: usize = 16;

/// How many threads generate cases: generation is the runner's own main cost, but the cores
/// are shared with the HTTP client (and, with no `--target`, the embedded server).
fn generator_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 8))
}

type Chunks = tokio::sync::mpsc::Receiver<Result<Vec<Case>, Error>>;

/// Generates the planned cases on background threads, so requests go out while later cases
/// are still being made. Strategies cannot cross threads, so each thread builds its own
/// families; per-case seeds make the cases independent of the thread count.
fn generate(plan: Vec<Planned>, seed: u64, threads: usize) -> Result<Chunks, Error> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let chunks: Arc<Vec<Vec<Planned>>> = Arc::new(plan.chunks(CHUNK).map(<[_]>::to_vec).collect());
    for t in 0..threads {
        let (tx, chunks) = (tx.clone(), chunks.clone());
        std::thread::Builder::new()
            .name(format!("ol-generate-{t}"))
            .spawn(move || {
                let built = ValueGen::new(GenConfig::MEDIUM)
                    .map_err(Error::from)
                    .and_then(|gen| families(&gen));
                let families = match built {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                };
                for chunk in chunks.iter().skip(t).step_by(threads) {
                    let made = chunk
                        .iter()
                        .map(|&at| {
                            case_tree(&families[at.family], seed, at.case).map(|tree| Case {
                                at,
                                input: tree.current(),
                            })
                        })
                        .collect();
                    // A closed channel means the run has stopped (an error, or a stall).
                    if tx.blocking_send(made).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| Error::io("cannot start a case generator thread", e))?;
    }
    Ok(rx)
}

/// Hands generated cases to the send workers one at a time.
struct Queue(tokio::sync::Mutex<(Chunks, VecDeque<Case>)>);

impl Queue {
    /// The next case; `None` when generation is done.
    async fn next(&self) -> Result<Option<Case>, Error> {
        let mut guard = self.0.lock().await;
        let (chunks, ready) = &mut *guard;
        loop {
            if let Some(case) = ready.pop_front() {
                return Ok(Some(case));
            }
            match chunks.recv().await {
                Some(chunk) => ready.extend(chunk?),
                None => return Ok(None),
            }
        }
    }
}

/// The first failing case of one check, in plan order, kept for shrinking and the report.
struct Candidate {
    at: Planned,
    input: Input,
    observed: Vec<Observed>,
    message: String,
}

/// What the answers so far say: how often each check was observed, and each check's first
/// failing case.
#[derive(Default)]
struct Tally {
    /// Cases answered and judged.
    cases: usize,
    observations: BTreeMap<&'static str, usize>,
    candidates: BTreeMap<&'static str, Candidate>,
}

impl Tally {
    fn record(&mut self, case: &Case, observed: &[Observed], verdicts: Vec<Verdict>) {
        self.cases += 1;
        for (check, verdict) in verdicts {
            *self.observations.entry(check).or_default() += 1;
            let Err(message) = verdict else { continue };
            let earlier = |c: &Candidate| case.at.position < c.at.position;
            if self.candidates.get(check).is_none_or(earlier) {
                let candidate = Candidate {
                    at: case.at,
                    input: case.input.clone(),
                    observed: observed.to_vec(),
                    message,
                };
                self.candidates.insert(check, candidate);
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
    judges: Vec<Judge>,
    progress: &indicatif::ProgressBar,
) -> Result<Tally, Error> {
    let queue = Arc::new(Queue(tokio::sync::Mutex::new((chunks, VecDeque::new()))));
    let judges = Arc::new(judges);
    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..sender.opts.concurrency.max(1) {
        let (sender, queue, judges, tally) =
            (sender.clone(), queue.clone(), judges.clone(), tally.clone());
        let progress = progress.clone();
        workers.spawn(async move {
            while !sender.stalled.load(Ordering::Relaxed) {
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

/// Runs the selected checks against the target and builds the report.
pub async fn run(opts: RunOptions) -> Result<Report, Error> {
    let started = Instant::now();
    preflight(&opts).await?;
    let gen = ValueGen::new(GenConfig::MEDIUM)?;
    let families = families(&gen)?;
    let mut plan: Vec<Planned> = Vec::new();
    for (family, f) in families.iter().enumerate() {
        if !f
            .checks
            .iter()
            .any(|c| selected(c, &opts.include, &opts.exclude))
        {
            continue;
        }
        let count = if f.single_case() { 1 } else { opts.cases };
        for case in 0..count {
            let position = plan.len();
            plan.push(Planned {
                family,
                case,
                position,
            });
        }
    }
    let opts = Arc::new(opts);
    let sender = Sender::new(opts.clone())?;
    let planned = plan.len();
    let progress = crate::report::progress_bar(opts.progress, planned);
    let chunks = generate(plan, opts.seed, generator_threads())?;
    let judges = families.iter().map(|f| f.judge.clone()).collect();
    let Tally {
        cases,
        observations,
        candidates,
    } = send_all(&sender, chunks, judges, &progress).await?;
    // Only a stall stops sending early; fewer cases otherwise means a generator thread died,
    // and a report on part of the plan must not pass for a whole one.
    complete(cases, planned, sender.stalled.load(Ordering::Relaxed))?;
    progress.finish_and_clear();
    let mut failures: BTreeMap<&'static str, Failure> = BTreeMap::new();
    for (id, c) in candidates {
        let family = &families[c.at.family];
        let failure = if sender.stalled.load(Ordering::Relaxed)
            || id == "transport.answered"
            || !family.shrinks()
        {
            failure(&sender, &c.input, &c.observed, c.message, 0)
        } else {
            match case_tree(family, opts.seed, c.at.case) {
                // The case is made again from its seed; it must be the one that was sent.
                Ok(mut tree) if tree.current() == c.input => {
                    shrink(
                        &sender,
                        family,
                        &mut tree,
                        id,
                        &c.input,
                        &c.observed,
                        c.message,
                    )
                    .await
                }
                _ => failure(&sender, &c.input, &c.observed, c.message, 0),
            }
        };
        failures.insert(id, failure);
    }
    let stalled = sender.stalled.load(Ordering::Relaxed).then(|| {
        format!("the target stopped answering after {} consecutive timeouts; later requests were not sent", opts.stall_after)
    });
    if let Some(s) = &stalled {
        failures
            .entry("transport.answered")
            .or_insert_with(|| Failure::message_only(s.clone()));
    }
    let results = CHECKS
        .iter()
        .filter(|c| selected(c.id, &opts.include, &opts.exclude))
        .map(|c| {
            let failure = failures.remove(c.id);
            let seen = observations.get(c.id).copied().unwrap_or(0);
            let expectation = opts.expectations.as_ref().and_then(|e| e.reason_for(c.id));
            let outcome = match (&failure, seen, &expectation) {
                (Some(_), _, Some(_)) => Outcome::XFail,
                (Some(_), _, None) => Outcome::Fail,
                (None, 0, _) => Outcome::NotRun,
                (None, _, Some(_)) => Outcome::XPass,
                (None, _, None) => Outcome::Pass,
            };
            CheckResult {
                id: c.id.to_string(),
                tier: c.tier,
                description: c.description.to_string(),
                clause: c.clause.to_string(),
                outcome,
                observations: seen,
                failure,
                expectation,
            }
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
        target: opts.target.clone(),
        seed: opts.seed,
        cases: opts.cases,
        cases_run: cases,
        strict: opts.strict,
        requests: sender.sent.load(Ordering::Relaxed),
        duration_ms: started.elapsed().as_millis() as u64,
        stalled,
        stale_expectations: stale,
        results,
    })
}

/// Shrinks a failing case while the check keeps failing, within a request budget.
async fn shrink(
    sender: &Sender,
    family: &Family,
    tree: &mut Box<dyn ValueTree<Value = Input>>,
    id: &'static str,
    input: &Input,
    observed: &[Observed],
    message: String,
) -> Failure {
    let mut best = (input.clone(), observed.to_vec(), message);
    let mut steps = 0;
    // proptest's own shrink loop: simplify after a failure, complicate after a pass, and test
    // every value the tree moves to.
    let mut more = tree.simplify();
    while more && steps < SHRINK_BUDGET && !sender.stalled.load(Ordering::Relaxed) {
        steps += 1;
        let candidate = tree.current();
        let obs = sender.send_input(&candidate).await;
        let still = judge_all(&family.judge, &candidate, &obs)
            .into_iter()
            .find(|(c, v)| *c == id && v.is_err());
        more = match still {
            Some((_, Err(m))) => {
                best = (candidate, obs, m);
                tree.simplify()
            }
            _ => tree.complicate(),
        };
    }
    failure(sender, &best.0, &best.1, best.2, steps)
}

fn failure(
    sender: &Sender,
    input: &Input,
    observed: &[Observed],
    message: String,
    steps: usize,
) -> Failure {
    // Report the request the check is about: the last one that got a problem, else the last.
    let index = observed
        .iter()
        .rposition(|o| o.error.is_some() || o.status.is_some_and(|s| s >= 300))
        .unwrap_or(observed.len().saturating_sub(1));
    let req = &input.requests[index.min(input.requests.len().saturating_sub(1))];
    let o = observed.get(index).cloned().unwrap_or_default();
    let url = sender.url(req.endpoint).as_str();
    Failure {
        message,
        shrink_steps: steps,
        request: Some(Exchange::request(
            url,
            req,
            &sender.opts.headers,
            sender.opts.gzip,
        )),
        response: Some(Exchange::response(&o)),
        curl: Some(crate::report::curl(
            url,
            req,
            &sender.opts.headers,
            sender.opts.gzip,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_cases(plan: &[Planned], threads: usize) -> Vec<(usize, Input)> {
        let mut chunks = generate(plan.to_vec(), 7, threads).expect("generators start");
        let mut out = Vec::new();
        while let Some(chunk) = chunks.blocking_recv() {
            out.extend(
                chunk
                    .expect("cases generate")
                    .into_iter()
                    .map(|c| (c.at.position, c.input)),
            );
        }
        out.sort_by_key(|(p, _)| *p);
        out
    }

    #[test]
    fn cases_do_not_depend_on_the_generator_thread_count() {
        let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
        let count = families(&gen).expect("families").len();
        let plan: Vec<Planned> = (0..count)
            .flat_map(|family| (0..3).map(move |case| (family, case)))
            .enumerate()
            .map(|(position, (family, case))| Planned {
                family,
                case,
                position,
            })
            .collect();
        let one = all_cases(&plan, 1);
        assert_eq!(one.len(), plan.len());
        assert_eq!(one, all_cases(&plan, 3));
    }

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
    fn case_seeds_differ_by_family_case_and_run_seed() {
        let seeds = [
            case_seed(1, "valid batches", 0),
            case_seed(1, "valid batches", 1),
            case_seed(1, "mixed batches", 0),
            case_seed(2, "valid batches", 0),
        ];
        let distinct: std::collections::BTreeSet<u64> = seeds.into_iter().collect();
        assert_eq!(distinct.len(), seeds.len());
        assert_eq!(case_seed(1, "valid batches", 0), seeds[0]);
    }
}
