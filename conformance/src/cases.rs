//! Case generation: each planned case made from its own seed, generated on background threads
//! in chunks while earlier cases are in flight, and the queue the send workers take them from.
//! Per-case seeds make the cases independent of the thread count. The threads draw each case's
//! value directly ([`Draw`]); only a failing case that shrinks has its value tree made, from
//! the same seed ([`case_tree`]), and the tree shows the value that was drawn.

use std::collections::VecDeque;
use std::sync::Arc;

use openlineage_types::arb::draw::Draw;
use openlineage_types::arb::{GenConfig, ValueGen};
use proptest::strategy::{Strategy, ValueTree};

use crate::families::{families, Family};
use crate::seed::{case_seed, seeded_runner};
use crate::wire::Input;
use crate::Error;

/// The value tree of one case, made from its own seed.
pub(crate) fn case_tree(
    family: &Family,
    seed: u64,
    case: usize,
) -> Result<Box<dyn ValueTree<Value = Input>>, Error> {
    family
        .strategy(case)
        .new_tree(&mut seeded_runner(case_seed(seed, family.name, case)))
        .map_err(|e| Error::Generate(format!("cannot generate cases for {}: {e}", family.name)))
}

/// The value of one case, made from its own seed without its value tree: what
/// [`case_tree`]'s tree shows before shrinking.
pub(crate) fn case_value(family: &Family, seed: u64, case: usize) -> Result<Input, Error> {
    family
        .strategy(case)
        .draw(&mut seeded_runner(case_seed(seed, family.name, case)))
        .map_err(|e| Error::Generate(format!("cannot generate cases for {}: {e}", family.name)))
}

/// One planned case: which family, which case number, and where it sits in the plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Planned {
    pub(crate) family: usize,
    pub(crate) case: usize,
    /// Failures are reported for the earliest case in the plan, so the report does not depend
    /// on which answer came back first.
    pub(crate) position: usize,
}

/// One generated case, ready to send.
pub(crate) struct Case {
    pub(crate) at: Planned,
    pub(crate) input: Input,
}

/// Cases travel in chunks: one channel operation (and at most one thread wake-up) per chunk.
const CHUNK: usize = 16;

/// How many threads generate cases: generation is the runner's own main cost, but the cores
/// are shared with the HTTP client (and, with no `--target`, the embedded server).
pub(crate) fn generator_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 8))
}

pub(crate) type Chunks = tokio::sync::mpsc::Receiver<Result<Vec<Case>, Error>>;

/// The case generator threads of one run. They start before the plan is known: building each
/// thread's families (its strategies) takes as long as the target's preflight, so the two
/// overlap instead of delaying the first request.
pub(crate) struct Generators {
    plans: Vec<std::sync::mpsc::Sender<Arc<Vec<Vec<Planned>>>>>,
    chunks: Chunks,
}

impl Generators {
    /// Starts `threads` generator threads for the run seeded with `seed`. Strategies cannot
    /// cross threads, so each thread builds its own families; per-case seeds make the cases
    /// independent of the thread count. Dropped before [`Generators::generate`], the threads
    /// stop once their families are built.
    pub(crate) fn start(seed: u64, threads: usize) -> Result<Self, Error> {
        let (tx, chunks) = tokio::sync::mpsc::channel(16);
        let mut plans = Vec::with_capacity(threads);
        for t in 0..threads {
            let tx = tx.clone();
            let (plan_tx, plan_rx) = std::sync::mpsc::channel::<Arc<Vec<Vec<Planned>>>>();
            plans.push(plan_tx);
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
                    // No plan means the run ended before sending anything.
                    let Ok(plan) = plan_rx.recv() else {
                        return;
                    };
                    for chunk in plan.iter().skip(t).step_by(threads) {
                        let made = chunk
                            .iter()
                            .map(|&at| {
                                case_value(&families[at.family], seed, at.case)
                                    .map(|input| Case { at, input })
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
        Ok(Generators { plans, chunks })
    }

    /// Has the threads generate the planned cases, in chunks, while earlier ones are sent.
    pub(crate) fn generate(self, plan: Vec<Planned>) -> Chunks {
        let chunks: Arc<Vec<Vec<Planned>>> =
            Arc::new(plan.chunks(CHUNK).map(<[_]>::to_vec).collect());
        for thread in &self.plans {
            // A thread that failed to build its families has already reported it on `chunks`.
            let _ = thread.send(chunks.clone());
        }
        self.chunks
    }
}

/// Hands generated cases to the send workers one at a time.
pub(crate) struct Queue(tokio::sync::Mutex<(Chunks, VecDeque<Case>)>);

impl Queue {
    /// A queue over the chunks `generate` sends.
    pub(crate) fn new(chunks: Chunks) -> Self {
        Queue(tokio::sync::Mutex::new((chunks, VecDeque::new())))
    }

    /// The next case; `None` when generation is done.
    pub(crate) async fn next(&self) -> Result<Option<Case>, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn all_cases(plan: &[Planned], threads: usize) -> Vec<(usize, Input)> {
        let mut chunks = Generators::start(7, threads)
            .expect("generators start")
            .generate(plan.to_vec());
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
    fn every_family_draws_what_its_case_trees_show() {
        let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
        for family in families(&gen).expect("families") {
            let (runs, cases) = match family.fixed_cases {
                // The large batch is 300 events: a few seeds say enough.
                Some(n) => (2, n),
                None => (12, family.case_count(1)),
            };
            for seed in 0..runs {
                for case in 0..cases {
                    let drawn = case_value(&family, seed, case).expect("a value");
                    let tree = case_tree(&family, seed, case).expect("a tree");
                    assert!(
                        tree.current() == drawn,
                        "{} case {case} seed {seed}: the draw differs from the tree",
                        family.name
                    );
                    let runner = seeded_runner(case_seed(seed, family.name, case));
                    openlineage_types::arb::draw::check_draw(family.strategy(case), runner)
                        .unwrap_or_else(|e| panic!("{} case {case}: {e}", family.name));
                }
            }
        }
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
}
