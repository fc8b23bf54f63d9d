//! One instrumented task poll, as both schedulers run it: counted and
//! announced to the stall watchdog (`WorkerStats::begin_poll`), stamped in
//! the task's header for dumps, timed once in `POLL_SAMPLE` polls, and
//! wrapped in the poll hooks when any is set.

use super::hooks::TaskHooks;
use super::worker_stats::{WorkerStats, POLL_SAMPLE};
use crate::clock;
use crate::task_core::RawTask;

/// Polls the task `raw` by calling `run` (which consumes the scheduler's
/// queued reference; `raw` must not be used after it).
#[inline]
pub(crate) fn poll_task(stats: &WorkerStats, hooks: &TaskHooks, raw: RawTask, run: impl FnOnce()) {
    let header = raw.header();
    let poll = stats.begin_poll(header.id, header.spawned_at);
    let timed = poll.is_multiple_of(POLL_SAMPLE);
    let start = if timed {
        clock::now_ns()
    } else {
        clock::cached_ns()
    };
    header.stats.record_poll(start);
    if hooks.has_poll_hooks() {
        // The poll may free the task: keep a copy of its metadata.
        let meta = raw.meta();
        hooks.before_poll(&meta);
        magpie_coop::budget(run);
        hooks.after_poll(&meta);
    } else {
        magpie_coop::budget(run);
    }
    if timed {
        stats.timed_poll(clock::now_ns().saturating_sub(start));
    }
    stats.end_poll(poll);
}
