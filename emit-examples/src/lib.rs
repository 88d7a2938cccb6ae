//! Examples of `openlineage-emit`: `producer` sends a whole run through the client configured
//! from the environment; `emit_load` sends N distinct events and says whether all arrived
//! (its work is [`load`], so the benchmarks and tests share it).
#![deny(missing_docs)]

pub mod load;
