//! The `ol-conformance` command line: argument parsing and the `generate` and `validate` commands.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{EventKind, Tier, Validator};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

use crate::mutate::{catalogue, Body};
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
    let cli = match Cli::try_parse() {
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

/// A proptest runner whose random choices follow `seed` only.
pub fn seeded_runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn sample<T: std::fmt::Debug>(
    strategy: &impl Strategy<Value = T>,
    runner: &mut TestRunner,
) -> Result<T, Error> {
    strategy
        .new_tree(runner)
        .map(|t| t.current())
        .map_err(|e| Error::Usage(format!("cannot generate: {e}")))
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
                "tier": mutated.tier,
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
        let name = file.display().to_string();
        let mut text = String::new();
        if name == "-" {
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::io("cannot read stdin", e))?;
        } else {
            text = std::fs::read_to_string(file)
                .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
        }
        for (line, event) in split_events(&text) {
            let verdict = match event {
                Ok(value) => validator.validate_value(&value, args.tier),
                Err(message) => {
                    any_invalid = true;
                    writeln!(out, "{name}:{line}: invalid: not JSON: {message}")
                        .map_err(|e| Error::io("cannot write to stdout", e))?;
                    continue;
                }
            };
            let w = |out: &mut dyn Write, s: String| {
                writeln!(out, "{s}").map_err(|e| Error::io("cannot write to stdout", e))
            };
            if verdict.is_empty() {
                w(out, format!("{name}:{line}: valid"))?;
            } else {
                any_invalid = true;
                w(
                    out,
                    format!("{name}:{line}: invalid ({} errors)", verdict.len()),
                )?;
                for v in verdict {
                    w(out, format!("    {v}"))?;
                }
            }
        }
    }
    Ok(u8::from(any_invalid))
}

/// Splits file text into events with their line numbers: one JSON object, a JSON array of
/// events, or JSON lines (blank lines skipped).
pub fn split_events(text: &str) -> Vec<(usize, Result<Value, String>)> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return match value {
            Value::Array(items) => items.into_iter().map(|v| (1, Ok(v))).collect(),
            other => vec![(1, Ok(other))],
        };
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, serde_json::from_str(l).map_err(|e| e.to_string())))
        .collect()
}
