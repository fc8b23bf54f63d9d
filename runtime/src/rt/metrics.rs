//! `RuntimeMetrics`: the runtime's counters as users read them
//! (`Handle::metrics`), gathered from the scheduler (per-worker
//! `WorkerStats`, queues, the owned-task list), the reactor and the
//! blocking pool. Reading never takes a lock a worker needs, except the
//! current-thread runtime's remote-queue lock for `global_queue_depth`.

use super::flavor::Scheduler;
use super::handle::Handle;
use crate::observe::histogram::{Histogram, BUCKETS};
use crate::observe::worker_stats::WorkerStats;
use crate::task_core::list::OwnedTasks;
use std::time::Duration;

/// A view of a runtime's counters (`Handle::metrics()`); each method reads
/// the current value. Cheap to get and to read: the counters are plain
/// atomics that each worker writes for itself, and reading them never
/// blocks or slows a worker.
///
/// Per-worker methods take a worker index `0..num_workers()` (a
/// current-thread runtime has one "worker": the thread in `block_on`) and
/// panic, with a message saying so, for an index out of range.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Builder::new().worker_threads(2).build().unwrap();
/// let metrics = rt.handle().metrics();
/// let before = metrics.spawned_tasks_count();
/// rt.block_on(async {
///     for _ in 0..10 {
///         magpie::spawn(async {}).await.unwrap();
///     }
/// });
/// assert_eq!(metrics.spawned_tasks_count() - before, 10);
/// assert_eq!(metrics.num_alive_tasks(), 0);
/// let polls: u64 = (0..metrics.num_workers()).map(|i| metrics.worker_poll_count(i)).sum();
/// assert!(polls >= 10);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    handle: Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn scheduler(&self) -> &Scheduler {
        &self.handle.inner.scheduler
    }

    fn owned(&self) -> &OwnedTasks {
        match self.scheduler() {
            Scheduler::MultiThread(h) => &h.shared.owned,
            Scheduler::CurrentThread(h) => h.shared.owned(),
        }
    }

    #[track_caller]
    fn worker(&self, worker: usize) -> &WorkerStats {
        let n = self.num_workers();
        assert!(
            worker < n,
            "RuntimeMetrics: worker index {worker} out of range (the runtime has {n} workers)"
        );
        match self.scheduler() {
            Scheduler::MultiThread(h) => &h.shared.remotes[worker].stats,
            Scheduler::CurrentThread(h) => &h.shared.stats,
        }
    }

    /// Worker threads (1 for a current-thread runtime).
    pub fn num_workers(&self) -> usize {
        self.scheduler().num_workers()
    }

    /// Tasks spawned and not yet completed (blocking closures not counted).
    pub fn num_alive_tasks(&self) -> usize {
        self.owned().alive_count()
    }

    /// Tasks spawned since the runtime started.
    pub fn spawned_tasks_count(&self) -> u64 {
        self.owned().spawned_count()
    }

    /// Tasks waiting in the global queue (spawned or woken from outside the
    /// workers).
    pub fn global_queue_depth(&self) -> usize {
        match self.scheduler() {
            Scheduler::MultiThread(h) => h.shared.injector.len(),
            Scheduler::CurrentThread(h) => h.shared.remote_queue_depth(),
        }
    }

    /// Socket readiness events the IO driver has dispatched.
    pub fn io_driver_ready_count(&self) -> u64 {
        self.scheduler().driver().reactor_handle.ready_count()
    }

    /// Threads in the blocking pool, busy or idle.
    pub fn blocking_threads(&self) -> usize {
        self.handle.inner.blocking.num_threads()
    }

    /// Blocking closures waiting for a thread.
    pub fn blocking_queue_depth(&self) -> usize {
        self.handle.inner.blocking.queue_depth()
    }

    /// Task polls worker `worker` has started.
    ///
    /// # Panics
    ///
    /// When `worker >= num_workers()`.
    #[track_caller]
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls()
    }

    /// Tasks worker `worker` took from other workers' queues and from the
    /// global queue.
    ///
    /// # Panics
    ///
    /// When `worker >= num_workers()`.
    #[track_caller]
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals()
    }

    /// Times worker `worker` went to sleep for lack of work.
    ///
    /// # Panics
    ///
    /// When `worker >= num_workers()`.
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks()
    }

    /// Time worker `worker` has spent awake (running tasks and looking for
    /// them), including the stretch in progress: it grows while a task
    /// blocks the worker.
    ///
    /// # Panics
    ///
    /// When `worker >= num_workers()`.
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        self.worker(worker).busy_duration()
    }

    /// Tasks in worker `worker`'s local queue, stealable by the others (its
    /// LIFO slot not counted). Always 0 for a current-thread runtime, whose
    /// queue only its thread can read.
    ///
    /// # Panics
    ///
    /// When `worker >= num_workers()`.
    #[track_caller]
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.worker(worker);
        match self.scheduler() {
            Scheduler::MultiThread(h) => h.shared.remotes[worker].stealer.len(),
            Scheduler::CurrentThread(_) => 0,
        }
    }

    /// A moving mean of worker `worker`'s poll durations, over its timed
    /// polls (one in [`Histogram::sample_interval`]); zero before the first.
    ///
    /// # Panics
    ///
    /// When `worker >= num_workers()`.
    #[track_caller]
    pub fn worker_mean_poll_time(&self, worker: usize) -> Duration {
        self.worker(worker).mean_poll_time()
    }

    /// Poll durations of all workers' timed polls, by bucket.
    pub fn poll_time_histogram(&self) -> Histogram {
        let mut counts = [0u64; BUCKETS];
        for worker in 0..self.num_workers() {
            let stats = self.worker(worker);
            for (i, count) in counts.iter_mut().enumerate() {
                *count += stats.histogram_count(i);
            }
        }
        Histogram::from_counts(counts)
    }
}

impl std::fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("spawned_tasks_count", &self.spawned_tasks_count())
            .field("global_queue_depth", &self.global_queue_depth())
            .finish_non_exhaustive()
    }
}
