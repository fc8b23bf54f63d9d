//! What the runtime records about each task for its dump (`Handle::dump`):
//! where it was spawned, how often it was polled and when last, and
//! `TaskMeta`, the part of it that task hooks receive.

use super::Id;
use crate::clock;
use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

/// `last_poll` counts in units of 2^20 ns (~1.05 ms): 32 bits then cover
/// 52 days, and differences are taken modulo that.
const UNIT_SHIFT: u32 = 20;

/// Poll statistics of one task, in its header.
///
/// Written by the thread about to poll the task, which holds its only
/// queued reference (at most one exists, see `state`), so writers never
/// overlap and a plain load-and-store counts; read by dumps at any time.
/// Relaxed everywhere: the values are reports, nothing is published
/// through them.
///
/// Two 32-bit words, not two 64-bit ones: the task allocation of a small
/// future must stay within malloc's lock-free fastbin sizes (up to 120
/// bytes here); 16 more bytes per task pushed `spawn_many_local` over it
/// and made it 1.75x slower on malloc's arena lock (measured).
pub(crate) struct TaskStats {
    /// Saturates at `u32::MAX`.
    polls: AtomicU32,
    /// `clock` reading at the last poll (at the spawn before the first, see
    /// `stamp_ns`), in units of `1 << UNIT_SHIFT` ns, wrapping.
    last_poll: AtomicU32,
}

thread_local! {
    /// True while this thread runs tasks and so keeps its `clock` cache
    /// fresh (a worker, or the thread holding a current-thread runtime's
    /// core): spawns there stamp the task with the cached reading. Any
    /// other thread's cache may be arbitrarily old (a thread outside the
    /// runtime that spawned once long ago), so spawns there read the clock.
    static CLOCK_CACHE_FRESH: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as keeping its clock cache fresh (see
/// `CLOCK_CACHE_FRESH`) until the guard drops. Nestable.
pub(crate) fn enter_fresh_clock() -> FreshClockGuard {
    FreshClockGuard(CLOCK_CACHE_FRESH.with(|f| f.replace(true)))
}

/// Restores the thread's previous `CLOCK_CACHE_FRESH` on drop.
pub(crate) struct FreshClockGuard(bool);

impl Drop for FreshClockGuard {
    fn drop(&mut self) {
        let _ = CLOCK_CACHE_FRESH.try_with(|f| f.set(self.0));
    }
}

/// The reading a task spawned (or polled) now is stamped with: the cached
/// one where it is kept fresh (a worker's hot path must not pay ~40 ns for
/// the clock), a real one elsewhere.
#[inline]
pub(crate) fn stamp_ns() -> u64 {
    if CLOCK_CACHE_FRESH.with(Cell::get) {
        clock::cached_ns()
    } else {
        clock::now_ns()
    }
}

/// `ns` in units of `1 << UNIT_SHIFT` ns, wrapping at 32 bits.
fn units(ns: u64) -> u32 {
    (ns >> UNIT_SHIFT) as u32
}

impl TaskStats {
    pub(crate) fn new() -> TaskStats {
        TaskStats {
            polls: AtomicU32::new(0),
            last_poll: AtomicU32::new(units(stamp_ns())),
        }
    }

    /// Counts a poll starting at (about) `now_ns`.
    #[inline]
    pub(crate) fn record_poll(&self, now_ns: u64) {
        self.polls
            .store(self.polls.load(Relaxed).saturating_add(1), Relaxed);
        self.last_poll.store(units(now_ns), Relaxed);
    }

    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Relaxed).into()
    }

    /// Time from the last poll (or the spawn) to the `clock` reading `now_ns`,
    /// to ~1 ms, modulo 52 days.
    pub(crate) fn since_last_poll(&self, now_ns: u64) -> Duration {
        let elapsed = units(now_ns).wrapping_sub(self.last_poll.load(Relaxed));
        Duration::from_nanos(u64::from(elapsed) << UNIT_SHIFT)
    }
}

/// What a task hook learns about the task it is called for.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let spawned = Arc::new(AtomicUsize::new(0));
/// let count = spawned.clone();
/// let rt = magpie::runtime::Builder::new()
///     .worker_threads(1)
///     .on_task_spawn(move |meta| {
///         assert!(meta.spawned_at().file().ends_with(".rs"));
///         count.fetch_add(1, Ordering::Relaxed);
///     })
///     .build()
///     .unwrap();
/// rt.block_on(async { magpie::spawn(async {}).await.unwrap() });
/// assert_eq!(spawned.load(Ordering::Relaxed), 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TaskMeta {
    id: Id,
    spawned_at: &'static Location<'static>,
}

impl TaskMeta {
    pub(crate) fn new(id: Id, spawned_at: &'static Location<'static>) -> TaskMeta {
        TaskMeta { id, spawned_at }
    }

    /// The task's id (as `JoinHandle::id` and `task::id()` give it).
    pub fn id(&self) -> Id {
        self.id
    }

    /// Where the task was spawned: the source location of the `spawn`
    /// (or `Handle::spawn`, `Runtime::spawn`, `JoinSet::spawn`...) call;
    /// every spawn entry point is `#[track_caller]`. Hooks see only tasks
    /// spawned onto the runtime: not `spawn_blocking` closures nor
    /// `LocalSet`/`spawn_local` tasks (see `Builder::on_task_spawn`).
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}
