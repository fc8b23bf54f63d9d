//! `WorkerStats`: what one worker (or a current-thread runtime's thread)
//! publishes about itself: the poll it is in (for the stall watchdog), its
//! counters, its busy time and its share of the poll-time histogram.
//!
//! Shared state: every field is written by the worker alone and read by
//! any thread (metrics, the watchdog) without a lock. A single writer means
//! a counter is bumped with a load and a store, no read-modify-write, on a
//! cache line (the struct is 128-byte aligned) that only readers share.
//! Two groups of fields must be read together; each is a seqlock:
//! - `poll_seq`, `task_id`, `task_loc`: which task the running poll is for;
//! - `busy_seq`, `busy_ns`, `busy_since_ns`: the busy time so far.

use super::histogram::{bucket_of, BUCKETS};
use crate::clock;
use crate::sync::{fence, AtomicPtr, AtomicU64};
use crate::task_core::Id;
use std::panic::Location;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::Duration;

/// One poll in this many is timed (see `clock` for why not all). Callgrind,
/// 1 worker, yield_many: sampling one poll in 32 cost ~9 instructions per
/// poll (two clock readings of ~150 each); one in 128 costs ~2.5, and a busy
/// worker still times thousands of polls a second.
pub(crate) const POLL_SAMPLE: u64 = 128;

/// The poll a worker is in, as the watchdog sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CurrentPoll {
    /// Identifies this poll among all of the worker's polls.
    pub(crate) seq: u64,
    pub(crate) task_id: Id,
    pub(crate) spawned_at: &'static Location<'static>,
}

#[repr(align(128))]
pub(crate) struct WorkerStats {
    /// Twice the polls started, plus one while a poll runs.
    poll_seq: AtomicU64,
    /// The running (or last) poll's task id and spawn location; written
    /// before `poll_seq` turns odd.
    task_id: AtomicU64,
    task_loc: AtomicPtr<Location<'static>>,
    /// Tasks this worker stole from others and the injector's batches.
    steals: AtomicU64,
    /// Times the worker went to sleep.
    parks: AtomicU64,
    /// Exponentially weighted mean of the timed polls, in ns.
    mean_poll_ns: AtomicU64,
    /// Odd while `park`/`unpark` update the two fields after it.
    busy_seq: AtomicU64,
    /// Busy time up to the last park, in ns.
    busy_ns: AtomicU64,
    /// `clock` reading when the worker last woke; 0 while it sleeps.
    busy_since_ns: AtomicU64,
    /// Timed polls per histogram bucket.
    histogram: [AtomicU64; BUCKETS],
}

/// Adds one to a counter that only the calling thread writes.
fn bump(counter: &AtomicU64, n: u64) {
    // Relaxed: a single writer, and nothing is published through counters.
    counter.store(counter.load(Relaxed) + n, Relaxed);
}

impl WorkerStats {
    /// Stats of a worker that is awake since now.
    pub(crate) fn new() -> WorkerStats {
        WorkerStats {
            poll_seq: AtomicU64::new(0),
            task_id: AtomicU64::new(0),
            task_loc: AtomicPtr::new(std::ptr::null_mut()),
            steals: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            mean_poll_ns: AtomicU64::new(0),
            busy_seq: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            busy_since_ns: AtomicU64::new(clock::now_ns()),
            histogram: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    // ---- the worker's side ----

    /// A poll of task `id` spawned at `loc` starts. Returns the poll's
    /// number (for sampling), to be passed to `end_poll`.
    #[inline]
    pub(crate) fn begin_poll(&self, id: Id, loc: &'static Location<'static>) -> u64 {
        // Relaxed: we are the only writer.
        let seq = self.poll_seq.load(Relaxed);
        debug_assert!(seq.is_multiple_of(2), "begin_poll inside a poll");
        // Release fence: a reader that sees the id stored below also sees
        // the `poll_seq` store that ended the previous poll, so it can tell
        // the id is not the one of the poll it sampled (see `current_poll`).
        fence(Release);
        self.task_id.store(id.as_u64(), Relaxed);
        self.task_loc.store(loc as *const _ as *mut _, Relaxed);
        // Release: a reader that sees the odd value sees this poll's id.
        self.poll_seq.store(seq + 1, Release);
        seq / 2
    }

    /// The poll numbered `poll` (from `begin_poll`) ended.
    #[inline]
    pub(crate) fn end_poll(&self, poll: u64) {
        // Release: orders the poll's end before the next poll's id stores
        // for readers (with the fence in `begin_poll`).
        self.poll_seq.store(poll * 2 + 2, Release);
    }

    /// A timed poll took `ns`.
    pub(crate) fn timed_poll(&self, ns: u64) {
        bump(&self.histogram[bucket_of(ns)], 1);
        // Weight 1/8 per sample: with one poll in 128 timed, the mean
        // follows the last thousand polls or so.
        let mean = self.mean_poll_ns.load(Relaxed);
        let next = if mean == 0 {
            ns
        } else {
            mean - mean / 8 + ns / 8
        };
        self.mean_poll_ns.store(next, Relaxed);
    }

    /// The worker took `n` tasks from other queues.
    pub(crate) fn stole(&self, n: u64) {
        bump(&self.steals, n);
    }

    /// The worker goes to sleep at `now_ns`.
    pub(crate) fn park(&self, now_ns: u64) {
        bump(&self.parks, 1);
        let since = self.busy_since_ns.load(Relaxed);
        self.write_busy(|| {
            bump(&self.busy_ns, now_ns.saturating_sub(since));
            self.busy_since_ns.store(0, Relaxed);
        });
    }

    /// The worker woke up at `now_ns`.
    pub(crate) fn unpark(&self, now_ns: u64) {
        self.write_busy(|| self.busy_since_ns.store(now_ns, Relaxed));
    }

    /// Runs `update` as a seqlock write of the busy fields.
    fn write_busy(&self, update: impl FnOnce()) {
        let seq = self.busy_seq.load(Relaxed);
        self.busy_seq.store(seq + 1, Relaxed);
        // Release fence: a reader that sees any store of `update` also sees
        // the odd sequence number, and retries.
        fence(Release);
        update();
        // Release: a reader that sees the even value sees the whole update.
        self.busy_seq.store(seq + 2, Release);
    }

    // ---- readers (any thread) ----

    /// The poll the worker is in, if any. Consistent: the id and location
    /// are those of the poll `seq` names.
    pub(crate) fn current_poll(&self) -> Option<CurrentPoll> {
        // Acquire: pairs with `begin_poll`'s release store, so the fields
        // read below are at least this poll's.
        let seq = self.poll_seq.load(Acquire);
        if seq.is_multiple_of(2) {
            return None;
        }
        let id = self.task_id.load(Relaxed);
        let loc = self.task_loc.load(Relaxed);
        // Acquire fence: if the loads above saw a later poll's stores, the
        // load below sees that the sequence moved on (see `begin_poll`).
        fence(Acquire);
        if self.poll_seq.load(Relaxed) != seq {
            return None;
        }
        // SAFETY: `task_loc` only ever holds null or a `&'static Location`
        // (stored by `begin_poll`), and the sequence check guarantees the
        // store of this poll was seen, so it is not null.
        let spawned_at = unsafe { &*loc };
        Some(CurrentPoll {
            seq,
            task_id: Id::from_u64(id)?,
            spawned_at,
        })
    }

    /// Polls started.
    pub(crate) fn polls(&self) -> u64 {
        self.poll_seq.load(Relaxed).div_ceil(2)
    }

    pub(crate) fn steals(&self) -> u64 {
        self.steals.load(Relaxed)
    }

    pub(crate) fn parks(&self) -> u64 {
        self.parks.load(Relaxed)
    }

    pub(crate) fn mean_poll_time(&self) -> Duration {
        Duration::from_nanos(self.mean_poll_ns.load(Relaxed))
    }

    /// Timed polls in histogram bucket `i`.
    pub(crate) fn histogram_count(&self, i: usize) -> u64 {
        self.histogram[i].load(Relaxed)
    }

    /// Time spent awake, including the stretch in progress.
    pub(crate) fn busy_duration(&self) -> Duration {
        loop {
            // Acquire: pairs with `write_busy`'s final store.
            let seq = self.busy_seq.load(Acquire);
            if !seq.is_multiple_of(2) {
                std::hint::spin_loop();
                continue;
            }
            let total = self.busy_ns.load(Relaxed);
            let since = self.busy_since_ns.load(Relaxed);
            // Acquire fence: pairs with `write_busy`'s release fence.
            fence(Acquire);
            if self.busy_seq.load(Relaxed) != seq {
                continue;
            }
            let running = if since == 0 {
                0
            } else {
                clock::now_ns().saturating_sub(since)
            };
            return Duration::from_nanos(total + running);
        }
    }
}
