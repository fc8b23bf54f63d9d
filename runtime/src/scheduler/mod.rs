//! The multi-threaded work-stealing scheduler: the state its workers share
//! (`Shared`), the scheduler's own `Handle` (what a task holds to get back
//! into a run queue: `Schedule for Handle`), spawning a future as a task, and
//! the worker threads' lifecycle up to shutdown (`shutdown`).
//!
//! Where a woken or spawned task goes:
//! - on a worker thread of the same runtime: that worker's LIFO slot (a
//!   message-passing partner then runs next, hot in cache); the task it
//!   displaces goes to the back of the local queue, where others may steal it;
//! - a task that woke itself (`yield_now`, coop budget): the back of the
//!   local queue, behind everything else;
//! - anywhere else (another thread, a blocking closure): the global
//!   injector, plus an unpark of one sleeping worker if nobody is searching.
//!   Socket and timer wakes happen on the worker polling the driver, so they
//!   take the local path.
//!
//! Uses the task layer (`task_core`) and the driver; knows nothing of the
//! runtime (`rt`) or the blocking pool above it.

mod idle;
mod inject;
mod lifo;
pub(crate) mod park;
mod queue;
mod shutdown;
pub(crate) mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

use crate::callback::ThreadCallbacks;
use crate::driver::Driver;
use crate::observe::hooks::TaskHooks;
use crate::observe::watchdog::{Watchdog, Watched};
use crate::observe::worker_stats::WorkerStats;
use crate::task_core::{self, list::OwnedTasks, Id, JoinHandle, Notified, RawTask, Schedule};
use idle::Idle;
use inject::Inject;
use lifo::LifoSlot;
use park::Parker;
use shutdown::Lifecycle;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::Arc;

pub(crate) type Task = Notified<Handle>;

/// What one worker exposes to the others and to notifiers.
pub(crate) struct Remote {
    /// Steals from the worker's local queue (the worker pushes and pops).
    pub(crate) stealer: queue::Stealer<Task>,
    /// The worker sleeps on it; any thread may unpark it.
    pub(crate) parker: Parker,
    /// The task the worker runs next; others take it only while the worker
    /// is stalled.
    pub(crate) lifo: LifoSlot,
    /// The worker's counters and current poll (written by the worker).
    pub(crate) stats: WorkerStats,
    /// Set by the stall watchdog while the worker is stuck in one poll;
    /// read by searching workers, which then take its LIFO task too.
    stalled: AtomicBool,
}

impl Remote {
    /// True while the watchdog considers the worker stalled.
    pub(crate) fn is_stalled(&self) -> bool {
        // Relaxed: a hint; taking the LIFO task is a swap either way.
        self.stalled.load(Relaxed)
    }
}

/// State shared by all workers of one runtime and every handle to it.
pub(crate) struct Shared {
    /// Tasks spawned or woken from outside the workers. Any thread pushes;
    /// workers pop (every 61 ticks, and when their own queue is empty).
    pub(crate) injector: Inject,
    /// One per worker, indexed by worker number.
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    /// Every live task, for shutdown.
    pub(crate) owned: OwnedTasks,
    /// The IO and timer driver the workers take turns at; its reactor handle
    /// interrupts the worker parked in it.
    pub(crate) driver: Driver,
    /// Counts the worker threads out at shutdown.
    lifecycle: Lifecycle,
    /// Run by each worker thread as it starts and stops; kept here so they
    /// live as long as anything (a task, a waker) refers to the scheduler.
    thread_callbacks: ThreadCallbacks,
    /// Set once by shutdown (any thread); read by workers each loop and by
    /// remote schedules. SeqCst: it orders against injector pushes (see
    /// `push_remote`).
    pub(crate) is_shutdown: AtomicBool,
    /// The user's task hooks (read-only).
    pub(crate) hooks: TaskHooks,
    /// The stall watchdog's wake-up and shutdown (its thread is started by
    /// the runtime when a stall threshold is set).
    pub(crate) watchdog: Watchdog,
    /// `block_on` calls on this runtime whose thread is not asleep: they may
    /// still create work, so a paused clock must not auto-advance. Each such
    /// thread increments and decrements it; the idle check reads it.
    block_on_busy: AtomicUsize,
}

/// What a runtime is doing besides one caller (see
/// `Shared::activity_besides`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activity {
    /// Nothing: every other worker parked, no other `block_on` awake, no
    /// task queued.
    None,
    /// No task is queued, but another worker or `block_on` thread is awake
    /// (running a task, or searching for one).
    Running,
    /// A task waits in a queue or LIFO slot.
    Queued,
}

/// The scheduler of one runtime, as its tasks, workers and the runtime's own
/// handle hold it. Cheap to clone; every clone refers to the same `Shared`.
#[derive(Clone)]
pub(crate) struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// A scheduler with `workers` workers around `driver`, and the `Core`s
    /// their threads run with ([`run_worker`]).
    pub(crate) fn new(
        driver: Driver,
        workers: usize,
        thread_callbacks: ThreadCallbacks,
        hooks: TaskHooks,
    ) -> (Handle, Vec<worker::Core>) {
        let (locals, stealers): (Vec<_>, Vec<_>) = (0..workers).map(|_| queue::new()).unzip();
        let remotes = stealers
            .into_iter()
            .map(|stealer| Remote {
                stealer,
                parker: Parker::new(),
                lifo: LifoSlot::new(),
                stats: WorkerStats::new(),
                stalled: AtomicBool::new(false),
            })
            .collect();
        let handle = Handle {
            shared: Arc::new(Shared {
                injector: Inject::new(),
                remotes,
                idle: Idle::new(workers),
                owned: OwnedTasks::new(workers),
                driver,
                lifecycle: Lifecycle::new(workers),
                thread_callbacks,
                hooks,
                watchdog: Watchdog::new(),
                is_shutdown: AtomicBool::new(false),
                block_on_busy: AtomicUsize::new(0),
            }),
        };
        let cores = locals
            .into_iter()
            .enumerate()
            .map(|(index, local)| worker::Core::new(index, local))
            .collect();
        (handle, cores)
    }

    /// What the worker threads run as they start and stop.
    pub(crate) fn thread_callbacks(&self) -> &ThreadCallbacks {
        &self.shared.thread_callbacks
    }

    /// The driver the workers take turns at.
    pub(crate) fn driver(&self) -> &Driver {
        &self.shared.driver
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.shared.num_workers()
    }

    /// Makes `future` a task of this scheduler and queues it (on this worker
    /// when called on one). After shutdown began the task is cancelled at
    /// once (see the protocol in `shutdown`).
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (owned, notified, join) =
            task_core::new_task(future, self.clone(), Id::next(), spawned_at);
        // Before binding: a task bound to the list may already complete
        // (and call the terminate hook) on another thread.
        self.shared.hooks.spawned(owned.meta());
        if self.shared.owned.bind(owned) {
            worker::schedule(self, notified, false);
        } else {
            owned.shutdown();
            drop(notified);
        }
        join
    }

    /// True when both handles refer to the same scheduler.
    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// A worker thread's body: runs `core`'s loop until shutdown, then counts
/// the worker out (the last one finalizes the shutdown).
pub(crate) fn run_worker(handle: &Handle, core: worker::Core) {
    worker::run(handle.clone(), core);
    handle.worker_exited();
}

impl Shared {
    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    /// Queues a task from outside the workers.
    pub(crate) fn push_remote(&self, task: Task) {
        self.injector.push(task);
        if self.is_shutdown.load(SeqCst) {
            // Shutdown may already have drained the injector: drain it
            // ourselves so no reference is stranded. (Either shutdown's drain
            // sees our push, or we see its flag: both are SeqCst.)
            self.drain_injector();
            return;
        }
        self.notify_parked();
    }

    /// Moves the tasks a worker's full local queue spills into the injector.
    /// Like `push_remote`, it drains the injector itself when shutdown may
    /// already have drained it, so no task reference is stranded there (a
    /// worker still running a task during shutdown can spill).
    pub(crate) fn spill(&self, tasks: &mut dyn Iterator<Item = Task>) {
        self.injector.push_batch(tasks);
        if self.is_shutdown.load(SeqCst) {
            self.drain_injector();
        }
    }

    /// Wakes one sleeping worker if the work just queued needs it.
    pub(crate) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.unpark(worker);
        }
    }

    /// True when some queue other workers can take from is non-empty.
    pub(crate) fn has_stealable_work(&self) -> bool {
        !self.injector.is_empty()
            || self
                .remotes
                .iter()
                .any(|r| !r.stealer.is_empty() || (r.is_stalled() && r.lifo.is_occupied()))
    }

    pub(crate) fn drain_injector(&self) {
        while let Some(task) = self.injector.pop() {
            drop(task);
        }
    }

    /// True when the runtime has nothing to do but wait: every worker is
    /// parking, no queue holds work, and no `block_on` thread is awake. Then
    /// a paused clock may jump to the next timer (auto-advance).
    pub(crate) fn is_idle(&self) -> bool {
        self.idle.all_parked() && self.block_on_busy.load(SeqCst) == 0 && !self.has_stealable_work()
    }

    /// What of this runtime is still active besides the caller: a task
    /// being polled on worker `caller_worker`, or (`None`) a `block_on`
    /// thread, which counts itself busy. The paused clock's `advance` waits
    /// for `Activity::None` (`rt::settle`); each part is a snapshot, and the
    /// caller asks again on every poll.
    pub(crate) fn activity_besides(&self, caller_worker: Option<usize>) -> Activity {
        let (awake_workers, awake_block_ons) = match caller_worker {
            Some(_) => (1, 0),
            None => (0, 1),
        };
        if self.has_stealable_work() || self.remotes.iter().any(|r| r.lifo.is_occupied()) {
            Activity::Queued
        } else if self.idle.unparked() != awake_workers
            || self.block_on_busy.load(SeqCst) > awake_block_ons
        {
            Activity::Running
        } else {
            Activity::None
        }
    }

    /// Polls started by all workers so far.
    pub(crate) fn polls(&self) -> u64 {
        self.remotes.iter().map(|r| r.stats.polls()).sum()
    }

    /// Called by a thread that just went idle (a parking worker, a sleeping
    /// `block_on`): with a paused clock, if the whole runtime is now idle,
    /// the worker in the driver must look again, to auto-advance.
    pub(crate) fn nudge_paused_driver(&self) {
        if self.driver.timer.is_paused() && self.is_idle() {
            self.driver.reactor_handle.unpark();
        }
    }

    /// A `block_on` thread of this runtime starts running (`true`) or goes
    /// to sleep (`false`).
    pub(crate) fn block_on_running(&self, running: bool) {
        if running {
            self.block_on_busy.fetch_add(1, SeqCst);
        } else {
            self.block_on_busy.fetch_sub(1, SeqCst);
            self.nudge_paused_driver();
        }
    }

    /// Wakes one sleeping worker for work just queued where others can
    /// steal it; with a single worker there is nobody to wake.
    pub(crate) fn notify_stealable(&self) {
        if self.num_workers() > 1 {
            self.notify_parked();
        }
    }

    fn unpark(&self, worker: usize) {
        self.remotes[worker]
            .parker
            .unpark_or(|| self.driver.reactor_handle.unpark());
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(SeqCst)
    }
}

impl Schedule for Handle {
    fn schedule(&self, task: Task) {
        worker::schedule(self, task, false);
    }

    fn yield_now(&self, task: Task) {
        worker::schedule(self, task, true);
    }

    fn release(&self, task: RawTask) -> bool {
        self.shared.hooks.terminated(task.meta());
        self.shared.owned.remove(task)
    }
}

impl Watched for Shared {
    fn worker_stats(&self, worker: usize) -> &WorkerStats {
        &self.remotes[worker].stats
    }

    fn num_workers(&self) -> usize {
        Shared::num_workers(self)
    }

    fn all_parked(&self) -> bool {
        self.idle.all_parked()
    }

    fn is_shutdown(&self) -> bool {
        Shared::is_shutdown(self)
    }

    fn set_stalled(&self, worker: usize, stalled: bool) {
        let remote = &self.remotes[worker];
        // Relaxed: a hint for thieves (see `Remote::is_stalled`); the wake-up
        // below is what makes them look.
        remote.stalled.store(stalled, Relaxed);
        if stalled && (!remote.stealer.is_empty() || remote.lifo.is_occupied()) {
            self.notify_parked();
        }
    }
}
