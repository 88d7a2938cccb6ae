//! `emit_load --url URL --count N [--batch]`: sends N distinct valid RunEvents and exits 0 only
//! when every one was delivered. Prints one JSON line with the counts and the rate.

use std::time::Duration;

use clap::Parser;
use openlineage_emit_examples::load::{run, LoadOptions};

#[derive(Parser)]
#[command(about = "Sends N distinct RunEvents through openlineage-emit and counts deliveries")]
struct Args {
    /// The server root, as OPENLINEAGE_URL (events go to {url}/api/v1/lineage).
    #[arg(long)]
    url: String,
    /// How many events (a START and a COMPLETE per run).
    #[arg(long)]
    count: usize,
    /// Send batches to /lineage/batch instead of one request per event.
    #[arg(long)]
    batch: bool,
    /// Events per batch.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// gzip request bodies.
    #[arg(long)]
    gzip: bool,
    /// Non-blocking mode with a queue of this many events.
    #[arg(long)]
    queue: Option<usize>,
    /// Seconds a queued run waits for the queue to drain.
    #[arg(long, default_value_t = 60.0)]
    drain: f64,
    /// Requests in flight at once, from the async client (1: the blocking client).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !(args.drain.is_finite() && args.drain >= 0.0) {
        anyhow::bail!("--drain must be a non-negative number of seconds");
    }
    let opts = LoadOptions {
        url: args.url,
        count: args.count,
        batch: args.batch.then_some(args.batch_size),
        gzip: args.gzip,
        queue: args.queue,
        drain: Duration::from_secs_f64(args.drain),
        concurrency: args.concurrency.max(1),
    };
    let report = run(&opts)?;
    println!("{report}");
    if report["delivered"].as_u64() != Some(opts.count as u64) {
        std::process::exit(1);
    }
    Ok(())
}
