//! What the runtime records about each task for its dump (`Handle::dump`):
//! where it was spawned, how often it was polled and when last, and
//! `TaskMeta`, the part of it that task hooks receive.

use super::Id;
use crate::clock;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Poll statistics of one task, in its header.
///
/// Written by the thread about to poll the task, which holds its only
/// queued reference (at most one exists, see `state`), so writers never
/// overlap and a plain load-and-store counts; read by dumps at any time.
/// Relaxed everywhere: the values are reports, nothing is published
/// through them.
pub(crate) struct TaskStats {
    polls: AtomicU64,
    /// `clock` reading at the last poll, or at the spawn before the first.
    last_poll_ns: AtomicU64,
}

impl TaskStats {
    pub(crate) fn new() -> TaskStats {
        TaskStats {
            polls: AtomicU64::new(0),
            last_poll_ns: AtomicU64::new(clock::cached_ns()),
        }
    }

    /// Counts a poll starting at (about) `now_ns`.
    pub(crate) fn record_poll(&self, now_ns: u64) {
        self.polls.store(self.polls.load(Relaxed) + 1, Relaxed);
        self.last_poll_ns.store(now_ns, Relaxed);
    }

    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Relaxed)
    }

    pub(crate) fn last_poll_ns(&self) -> u64 {
        self.last_poll_ns.load(Relaxed)
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
    /// (or `spawn_blocking`, `spawn_local`, `JoinSet::spawn`) call.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}
