//! Seeing inside a running runtime: per-worker counters (`worker_stats`),
//! the poll-time histogram (`histogram`), task hooks (`hooks`), the stall
//! watchdog (`watchdog`) and task dumps (`dump`).
//!
//! Everything here is always on, so the hot path pays only plain stores to
//! lines its own worker owns: counters are written by one thread each and
//! read by anyone without a lock; clock readings are sampled (`clock`).
//!
//! Uses the task layer (ids, headers, the owned-task list) and the clock;
//! knows nothing of the schedulers, which feed it, nor of the runtime,
//! which presents it (`rt::metrics`).

pub(crate) mod dump;
pub(crate) mod histogram;
pub(crate) mod hooks;
pub(crate) mod poll;
pub(crate) mod watchdog;
pub(crate) mod worker_stats;

#[cfg(all(test, loom))]
mod loom_tests;
