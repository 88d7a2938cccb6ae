//! The `ol-conformance` command line: argument parsing and the `generate` and `validate` commands;
//! the producer commands `collect` and `lint` live in [`crate::producer`].

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use openlineage_types::arb::draw::Draw;
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{EventKind, Tier, Validator};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

use std::time::Duration;

use crate::checks::CHECKS;
use crate::expectations::Expectations;
use crate::mutate::{catalogue, Body};
use crate::options::{
    CASES, CONCURRENCY, CRASH_RESENDS, FIRST_EVENT_SECS, INLINE_BODY, READ_BACK_WAIT_SECS,
    SHRINK_SECS, STALL_AFTER, TIMEOUT_SECS,
};
use crate::readback::{Adapter, ReadBackOptions};
use crate::runner::{RunOptions, Selection};
pub use crate::seed::seeded_runner;
use crate::server::ServerConfig;
use crate::Error;

/// Conformance suite for OpenLineage servers.
#[derive(Debug, Parser)]
#[command(name = "ol-conformance", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write generated events as JSON lines to stdout.
    Generate(GenerateArgs),
    /// Validate events from files (JSON, JSON lines, or `-` for stdin).
    Validate(ValidateArgs),
    /// Replay conformance cases against a server (the embedded reference server by default).
    Run(Box<RunArgs>),
    /// Run the reference server.
    Serve(ServeArgs),
    /// Receive events from a producer, answering as the reference server does, and check them
    /// event by event and as a stream.
    Collect(CollectArgs),
    /// Check recorded streams of events as `collect` does (JSON lines or arrays; `-` is stdin).
    Lint(LintArgs),
    /// Print the table of checks as Markdown (the README's copy is generated from it).
    Checks(ChecksArgs),
    /// Commands about the spec itself: `spec diff OLD_DIR NEW_DIR`.
    #[command(subcommand)]
    Spec(crate::spec::SpecCommand),
}

/// Arguments of `checks`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChecksArgs {
    /// The producer checks (`collect`, `lint`) instead of the server checks (`run`).
    #[arg(long)]
    pub producer: bool,
}

/// How a report (of `run`, `collect` or `lint`) is judged and written.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Fail on should-tier findings too.
    #[arg(long, overrides_with = "strict")]
    pub strict: bool,
    /// Known failures of this target or producer: lines of `check-id-or-glob = reason`.
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report here instead of stdout. With `--format json`, `junit` or `html`, the
    /// human report then goes to stderr.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

impl ReportArgs {
    /// The expectations file, read, when one was given.
    fn expectations(&self) -> Result<Option<Expectations>, Error> {
        self.expectations
            .as_deref()
            .map(Expectations::read)
            .transpose()
    }

    /// Writes `report` in the chosen format to `--output` (the human report then goes to
    /// stderr too, unless that is what was written) or to `out`; returns its exit code.
    fn write(&self, report: &impl Rendered, out: &mut impl Write) -> Result<u8, Error> {
        let text = match self.format {
            Format::Human => report.human(),
            Format::Json => report.json(),
            Format::Junit => report.junit(),
            Format::Html => report.html(),
        };
        match &self.output {
            Some(path) => {
                std::fs::write(path, &text)
                    .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
                if self.format != Format::Human {
                    eprint!("{}", report.human());
                }
            }
            None => out
                .write_all(text.as_bytes())
                .map_err(|e| Error::io("cannot write to stdout", e))?,
        }
        Ok(report.exit_code())
    }
}

/// What the server and producer reports share, so one writer serves `run`, `collect` and
/// `lint`.
trait Rendered {
    fn human(&self) -> String;
    fn json(&self) -> String;
    fn junit(&self) -> String;
    fn html(&self) -> String;
    fn exit_code(&self) -> u8;
}

/// Implements [`Rendered`] by the report type's own methods of the same names.
macro_rules! rendered_by_inherent_methods {
    ($($ty:ty),*) => {$(
        impl Rendered for $ty {
            fn human(&self) -> String {
                <$ty>::human(self)
            }
            fn json(&self) -> String {
                <$ty>::json(self)
            }
            fn junit(&self) -> String {
                <$ty>::junit(self)
            }
            fn html(&self) -> String {
                <$ty>::html(self)
            }
            fn exit_code(&self) -> u8 {
                <$ty>::exit_code(self)
            }
        }
    )*};
}
rendered_by_inherent_methods!(crate::report::Report, crate::producer::ProducerReport);

/// Arguments of `collect`.
#[derive(Debug, Clone, clap::Args)]
pub struct CollectArgs {
    /// Address to listen on (port 0 picks a free port; the API base is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub listen: String,
    /// Path prefix of the API.
    #[arg(long, default_value = "/api/v1")]
    pub prefix: String,
    /// Stop after this many seconds without an event, counted from the last event.
    #[arg(long, value_name = "SECS")]
    pub until_idle: Option<f64>,
    /// Stop when no event has arrived this many seconds after start-up (a slow producer, such
    /// as a scheduler, is not cut off by --until-idle before its first event).
    #[arg(long, value_name = "SECS", default_value_t = FIRST_EVENT_SECS)]
    pub first_event_timeout: f64,
    /// Print each event as it arrives even when stderr is not a terminal (CI logs).
    #[arg(long, overrides_with = "progress")]
    pub progress: bool,
    /// Stop once this many events have arrived.
    #[arg(long, value_name = "N")]
    pub max_events: Option<usize>,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_body: usize,
    /// How the report is judged and written.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Arguments of `lint`.
#[derive(Debug, Clone, clap::Args)]
pub struct LintArgs {
    /// Files of events, read in order as one stream: JSON lines, JSON arrays, or JSON values
    /// one after another; `-` is stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// How the report is judged and written.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table and failure details for people.
    Human,
    /// The stable JSON report.
    Json,
    /// JUnit XML, one testcase per check.
    Junit,
    /// One self-contained HTML page: summary, a filterable table of checks, each failure with
    /// its request, response and curl line (producers: the runs on a time line).
    Html,
}

/// Arguments of `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// API base URL, e.g. http://127.0.0.1:5000/api/v1; without it the embedded reference
    /// server is started on a loopback port and targeted.
    #[arg(long)]
    pub target: Option<String>,
    /// Extra request header, `Name: value` (repeatable).
    #[arg(long = "header", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = TIMEOUT_SECS)]
    pub timeout: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = CONCURRENCY)]
    pub concurrency: usize,
    /// Send gzip-compressed request bodies.
    #[arg(long, overrides_with = "gzip")]
    pub gzip: bool,
    /// Seed for the generated cases (random when not given; always printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Generated cases per check family (every kind of case is sent at least once).
    #[arg(long, default_value_t = CASES)]
    pub cases: usize,
    /// Run only checks whose id matches this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Skip checks whose id matches this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Print the selected checks (id, tier, description) and run nothing.
    #[arg(long, overrides_with = "list")]
    pub list: bool,
    /// How the report is judged and written.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Requests in a row that get no answer (timeouts, or resets on a fresh connection too)
    /// after which a fresh connection is tried; when that gets no answer either, the target
    /// counts as stalled and the run stops sending.
    #[arg(long, default_value_t = STALL_AFTER)]
    pub stall_after: usize,
    /// Save every request sent (shrinking included) to this file as JSON lines, for replay
    /// with other tools; secret header values are redacted.
    #[arg(long, value_name = "FILE")]
    pub save_requests: Option<PathBuf>,
    /// Seconds all shrinking together may take; failures found are shrunk in parallel.
    #[arg(long, default_value_t = SHRINK_SECS)]
    pub shrink_time: f64,
    /// Failures shrunk at once (default: --concurrency); 1 shrinks one failure after another.
    #[arg(long)]
    pub shrink_jobs: Option<usize>,
    /// Resend bodies that got no answer (crashed the target), which are otherwise sent at most
    /// CRASH_RESENDS times, e.g. to shrink a crash.
    #[arg(long, overrides_with = "resend_crashes", help = format!("Resend bodies that got no answer (crashed the target), which are otherwise sent at most {CRASH_RESENDS} times, e.g. to shrink a crash"))]
    pub resend_crashes: bool,
    /// Where failing requests' bodies too large for a curl line are written.
    #[arg(long, value_name = "DIR", help = format!("Where bodies over {} KiB of failing requests are written for the report's curl script to send (default: next to `--output`, else a folder in the temp directory)", INLINE_BODY / 1024))]
    pub bodies_dir: Option<PathBuf>,
    /// Read back what the target stored and run the `readback.*` checks: `reference` (the
    /// embedded server's `GET /events`), `marquez[=URL]` (Marquez's API, by default under
    /// --target), a shell command printing the run's stored events as JSON, with `{runId}`,
    /// `{eventType}`, `{eventTime}`, `{namespace}` and `{job}` replaced (also in $OL_RUN_ID,
    /// $OL_EVENT_TYPE, $OL_EVENT_TIME, $OL_JOB_NAMESPACE, $OL_JOB_NAME), or @FILE holding one of
    /// these. Without --target (the embedded server) it is `reference`
    #[arg(long, value_name = "ADAPTER")]
    pub read_back: Option<String>,
    /// A JSON pointer into an event that the store does not keep, so read-back does not compare
    /// it (repeatable), e.g. /producer
    #[arg(long, value_name = "POINTER", requires = "read_back")]
    pub read_back_not_kept: Vec<String>,
    /// Seconds an accepted event may take to become readable
    #[arg(long, value_name = "SECONDS", default_value_t = READ_BACK_WAIT_SECS, requires = "read_back")]
    pub read_back_wait: f64,
}

/// Arguments of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub listen: String,
    /// Path prefix of the API.
    #[arg(long, default_value = "/api/v1")]
    pub prefix: String,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_body: usize,
    /// Accept every well-formed event without schema validation (to measure its cost).
    #[arg(long, overrides_with = "no_validate")]
    pub no_validate: bool,
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("header `{s}` is not `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("bad header name in `{s}`"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Which kind of event to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventChoice {
    /// RunEvents.
    Run,
    /// DatasetEvents.
    Dataset,
    /// JobEvents.
    Job,
    /// All three.
    Any,
}

impl EventChoice {
    fn kind(self) -> Option<EventKind> {
        match self {
            EventChoice::Run => Some(EventKind::Run),
            EventChoice::Dataset => Some(EventKind::Dataset),
            EventChoice::Job => Some(EventKind::Job),
            EventChoice::Any => None,
        }
    }
}

/// Size presets for generated events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Size {
    /// Few datasets and facets, short strings.
    Small,
    /// Typical events.
    Medium,
    /// Many datasets and facets, long strings.
    Large,
}

impl Size {
    /// The generator configuration for this preset.
    pub fn config(self) -> GenConfig {
        match self {
            Size::Small => GenConfig::SMALL,
            Size::Medium => GenConfig::MEDIUM,
            Size::Large => GenConfig::LARGE,
        }
    }
}

/// Arguments of `generate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Generate valid events (the default).
    #[arg(long, conflicts_with = "invalid")]
    pub valid: bool,
    /// Generate invalid events, each labelled with the violation it carries.
    #[arg(long)]
    pub invalid: bool,
    /// Which kind of event.
    #[arg(long, value_enum, default_value = "any")]
    pub event: EventChoice,
    /// How many events.
    #[arg(long, default_value_t = 10)]
    pub count: usize,
    /// Seed; the same seed gives the same output.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Size preset.
    #[arg(long, value_enum, default_value = "medium")]
    pub size: Size,
}

/// Arguments of `validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// Deepest tier to check.
    #[arg(long, default_value = "facets", value_parser = parse_tier)]
    pub tier: Tier,
    /// Files of events: a JSON object, a JSON array of events, or JSON lines; `-` is stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn parse_tier(s: &str) -> Result<Tier, String> {
    s.parse()
}

/// Parses the command line and runs the command; the exit code follows each command's rules.
pub fn main() -> ExitCode {
    // The version names the spec snapshot the binary was built from.
    let version: &'static str = Box::leak(
        format!(
            "{} (OpenLineage spec {})",
            env!("CARGO_PKG_VERSION"),
            openlineage_types::SPEC_TAG
        )
        .into_boxed_str(),
    );
    let parsed = Cli::command()
        .version(version)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Generate(args) => generate(&args, &mut out).map(|()| 0),
        Command::Validate(args) => validate(&args, &mut out),
        Command::Checks(args) => out
            .write_all(
                if args.producer {
                    crate::producer::checks::markdown_table()
                } else {
                    crate::checks::markdown_table()
                }
                .as_bytes(),
            )
            .map(|()| 0)
            .map_err(|e| Error::io("cannot write to stdout", e)),
        Command::Spec(command) => crate::spec::run(&command, &mut out),
        Command::Run(args) => {
            run_runtime(args.target.is_some()).and_then(|rt| rt.block_on(run(&args, &mut out)))
        }
        Command::Collect(args) => runtime().and_then(|rt| rt.block_on(collect(&args, &mut out))),
        Command::Lint(args) => lint(&args, &mut out),
        Command::Serve(args) => runtime().and_then(|rt| {
            rt.block_on(crate::server::serve(
                &args.listen,
                ServerConfig {
                    prefix: args.prefix.clone(),
                    max_body: args.max_body,
                    validate: !args.no_validate,
                    log: true,
                    ..ServerConfig::default()
                },
            ))
            .map(|()| 0)
        }),
    };
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(code), Ok(())) => ExitCode::from(code),
        (Err(e), _) => {
            eprintln!("ol-conformance: {e}");
            ExitCode::from(2)
        }
        (Ok(_), Err(e)) => {
            eprintln!("ol-conformance: cannot write to stdout: {e}");
            ExitCode::from(2)
        }
    }
}

/// The runtime `run` works on. Against a target of its own the runner is only a client, and
/// one thread drives every connection (cases are generated on threads of their own): on a
/// small machine that leaves the other cores to the target, and no answer is handed from one
/// worker to another. It is the one-worker form of the multi-thread scheduler rather than the
/// current-thread one for its LIFO slot: a connection task woken by a case that has just
/// handed it a request runs next and writes it, instead of after every other case with an
/// answer waiting, so the target gets its next request while those are judged.
/// With no `--target`, the embedded server needs workers of its own.
fn run_runtime(target: bool) -> Result<tokio::runtime::Runtime, Error> {
    if !target {
        return runtime();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

/// A positive, finite number of seconds from option `--{name}`.
fn positive_seconds(name: &str, value: f64) -> Result<Duration, Error> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Error::Usage(format!(
            "--{name} must be a positive number of seconds, not {value}"
        )))
    }
}

/// `run`: replays the checks and writes the report; exit 0 pass, 1 fail, 2 unreachable.
pub async fn run(args: &RunArgs, out: &mut impl Write) -> Result<u8, Error> {
    let selection = Selection::new(&args.include, &args.exclude)?;
    if args.list {
        for c in CHECKS.iter().filter(|c| selection.selects(c.id)) {
            writeln!(out, "{}\t{}\t{}", c.id, c.tier, c.description)
                .map_err(|e| Error::io("cannot write to stdout", e))?;
        }
        return Ok(0);
    }
    let timeout = positive_seconds("timeout", args.timeout)?;
    let shrink_time = positive_seconds("shrink-time", args.shrink_time)?;
    let read_back = match &args.read_back {
        Some(spec) => Some(ReadBackOptions {
            adapter: Adapter::parse(spec)?,
            not_kept: args.read_back_not_kept.clone(),
            wait: positive_seconds("read-back-wait", args.read_back_wait)?,
        }),
        // The embedded server's stored events are readable, so its run reads them back too.
        None if args.target.is_none() => Some(ReadBackOptions::new(Adapter::Reference)),
        None => None,
    };
    if args.cases == 0
        || args.concurrency == 0
        || args.stall_after == 0
        || args.shrink_jobs == Some(0)
    {
        return Err(Error::Usage(
            "--cases, --concurrency, --stall-after and --shrink-jobs must be at least 1".into(),
        ));
    }
    if let Some(t) = &args.target {
        RunOptions::new(t)?;
    }
    let expectations = args.report.expectations()?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    });
    eprintln!("ol-conformance: seed {seed} (rerun with --seed {seed})");
    // Keep the embedded server alive for the whole run.
    let (_server, target) = match &args.target {
        Some(t) => (None, t.clone()),
        None => {
            let server = crate::server::start("127.0.0.1:0", ServerConfig::default()).await?;
            let base = server.base_url.clone();
            eprintln!("ol-conformance: no --target, running against the embedded reference server at {base}");
            (Some(server), base)
        }
    };
    let bodies_dir = args
        .bodies_dir
        .clone()
        .or_else(|| match &args.report.output {
            Some(path) => {
                let mut name = path.file_name().unwrap_or_default().to_os_string();
                name.push(".bodies");
                Some(path.with_file_name(name))
            }
            None => Some(std::env::temp_dir().join(format!("ol-conformance-bodies-{seed}"))),
        });
    let mut opts = RunOptions::new(&target)?;
    opts.headers = args.headers.clone();
    opts.timeout = timeout;
    opts.concurrency = args.concurrency;
    opts.gzip = args.gzip;
    opts.seed = seed;
    opts.cases = args.cases;
    opts.selection = selection;
    opts.strict = args.report.strict;
    opts.expectations = expectations;
    opts.stall_after = args.stall_after;
    opts.save_requests = args.save_requests.clone();
    opts.progress = true;
    opts.shrink_time = shrink_time;
    opts.shrink_jobs = args.shrink_jobs.unwrap_or(args.concurrency);
    opts.resend_crashes = args.resend_crashes;
    opts.bodies_dir = bodies_dir;
    opts.read_back = read_back;
    let report = match crate::runner::run(opts).await {
        Ok(r) => r,
        Err(Error::Unreachable(what)) => {
            eprintln!("ol-conformance: cannot reach the target {what}");
            return Ok(2);
        }
        Err(e) => return Err(e),
    };
    args.report.write(&report, out)
}

/// `collect`: receives and checks a producer's events; exit 0 pass, 1 fail, 2 usage errors.
pub async fn collect(args: &CollectArgs, out: &mut impl Write) -> Result<u8, Error> {
    let until_idle = args
        .until_idle
        .map(|secs| positive_seconds("until-idle", secs))
        .transpose()?;
    let first_event_timeout = Some(positive_seconds(
        "first-event-timeout",
        args.first_event_timeout,
    )?);
    if args.max_events == Some(0) {
        return Err(Error::Usage("--max-events must be at least 1".into()));
    }
    let expectations = args.report.expectations()?;
    let collector =
        crate::producer::collect::Collector::bind(crate::producer::collect::CollectOptions {
            listen: args.listen.clone(),
            server: ServerConfig {
                prefix: args.prefix.clone(),
                max_body: args.max_body,
                ..ServerConfig::default()
            },
            until_idle,
            first_event_timeout,
            max_events: args.max_events,
            live: true,
            progress: args.progress,
            strict: args.report.strict,
        })
        .await?;
    let report = collector.run(expectations.as_ref()).await?;
    if report.summary.events == 0 {
        eprintln!("ol-conformance: no events arrived, so no check was run");
    }
    args.report.write(&report, out)
}

/// `lint`: checks recorded streams; exit 0 pass, 1 fail, 2 unreadable input.
pub fn lint(args: &LintArgs, out: &mut impl Write) -> Result<u8, Error> {
    let expectations = args.report.expectations()?;
    let report =
        crate::producer::lint::lint(&args.files, args.report.strict, expectations.as_ref())?;
    args.report.write(&report, out)
}

fn sample<T: std::fmt::Debug>(
    strategy: &impl Draw<Value = T>,
    runner: &mut TestRunner,
) -> Result<T, Error> {
    strategy
        .draw(runner)
        .map_err(|e| Error::Generate(format!("cannot generate: {e}")))
}

/// `generate`: JSON lines of valid events, or of labelled invalid ones.
pub fn generate(args: &GenerateArgs, out: &mut impl Write) -> Result<(), Error> {
    let gen = ValueGen::new(args.size.config())?;
    let mut runner = seeded_runner(args.seed);
    let write = |out: &mut dyn Write, line: &Value| {
        writeln!(out, "{line}").map_err(|e| Error::io("cannot write to stdout", e))
    };
    if args.invalid {
        let mutations: Vec<_> = catalogue(&gen)
            .into_iter()
            .filter(|m| args.event.kind().is_none_or(|k| k == m.base))
            .collect();
        if mutations.is_empty() {
            return Err(Error::Usage(
                "no mutation applies to that event kind".into(),
            ));
        }
        let strategies = mutations
            .iter()
            .map(|m| m.strategy(&gen))
            .collect::<Result<Vec<_>, _>>()?;
        // Cycling through the catalogue covers every violation as soon as count allows.
        for i in 0..args.count {
            let mutated = sample(&strategies[i % strategies.len()], &mut runner)?;
            let mut line = json!({
                "violation": mutated.violation,
                "tier": mutated.breaks,
            });
            match body_as_json(&mutated.body) {
                BodyJson::Json(v) => line["event"] = v,
                BodyJson::Text(s) => line["event"] = Value::String(s),
                BodyJson::Hex(h) => line["event_hex"] = Value::String(h),
            }
            write(out, &line)?;
        }
    } else {
        let strategy = match args.event.kind() {
            Some(kind) => gen.event_value(kind)?,
            None => gen.any_event_value()?,
        };
        for _ in 0..args.count {
            write(out, &sample(&strategy, &mut runner)?)?;
        }
    }
    Ok(())
}

enum BodyJson {
    Json(Value),
    Text(String),
    Hex(String),
}

fn body_as_json(body: &Body) -> BodyJson {
    match body {
        Body::Json(v) => BodyJson::Json(v.clone()),
        Body::Raw(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) => BodyJson::Text(s.to_string()),
            Err(_) => BodyJson::Hex(bytes.iter().map(|b| format!("{b:02x}")).collect()),
        },
    }
}

/// `validate`: one line per event; exit 0 all valid, 1 some invalid, 2 unreadable input.
pub fn validate(args: &ValidateArgs, out: &mut impl Write) -> Result<u8, Error> {
    let validator = Validator::global();
    let mut any_invalid = false;
    for file in &args.files {
        // Lines are labelled with the path as given (`-` for stdin).
        let name = file.display().to_string();
        let (_, text) = crate::producer::lint::read_input(file)?;
        for (at, event) in split_events(&text) {
            let verdict = match event {
                Ok(value) => {
                    let found = validator.validate_value(&value, args.tier);
                    // Valid JSON that the typed model cannot hold without loss is reported too.
                    if found.is_empty() {
                        if let Err(e) = openlineage_types::Event::from_value(&value) {
                            writeln!(
                                out,
                                "{name}{at}: invalid: does not fit the typed model: {e}"
                            )
                            .map_err(|e| Error::io("cannot write to stdout", e))?;
                            any_invalid = true;
                            continue;
                        }
                    }
                    found
                }
                Err(message) => {
                    any_invalid = true;
                    writeln!(out, "{name}{at}: invalid: not JSON: {message}")
                        .map_err(|e| Error::io("cannot write to stdout", e))?;
                    continue;
                }
            };
            let w = |out: &mut dyn Write, s: String| {
                writeln!(out, "{s}").map_err(|e| Error::io("cannot write to stdout", e))
            };
            if verdict.is_empty() {
                w(out, format!("{name}{at}: valid"))?;
            } else {
                any_invalid = true;
                w(
                    out,
                    format!("{name}{at}: invalid ({} errors)", verdict.len()),
                )?;
                for v in verdict {
                    w(out, format!("    {v}"))?;
                }
            }
        }
    }
    Ok(u8::from(any_invalid))
}

/// Splits file text into events, each with where it is in the file: `:LINE` for JSON lines and a
/// lone object, `[INDEX]` (0-based) for the elements of a JSON array. Blank lines are skipped.
pub fn split_events(text: &str) -> Vec<(String, Result<Value, String>)> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("[{i}]"), Ok(v)))
                .collect(),
            other => vec![(":1".into(), Ok(other))],
        };
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            (
                format!(":{}", i + 1),
                serde_json::from_str(l).map_err(|e| e.to_string()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::split_events;

    fn places(text: &str) -> Vec<String> {
        split_events(text).into_iter().map(|(at, _)| at).collect()
    }

    #[test]
    fn array_elements_are_named_by_index_and_lines_by_number() {
        assert_eq!(
            places(r#"[{"a":1},{"a":2},{"a":3}]"#),
            ["[0]", "[1]", "[2]"]
        );
        assert_eq!(
            places("{\"a\":1}\n\n{\"a\":2}\nnot json\n"),
            [":1", ":3", ":4"]
        );
        assert_eq!(places(r#"{"a":1}"#), [":1"]);
        assert!(split_events("{\"a\":1}\nnot json\n")[1].1.is_err());
    }
}
