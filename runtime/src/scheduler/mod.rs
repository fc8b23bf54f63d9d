//! The multi-threaded work-stealing scheduler: the state its workers share
//! (`Shared`) and how a task gets queued (`Schedule for Handle`).
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

mod idle;
pub(crate) mod maintenance;
pub(crate) mod park;
pub(crate) mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

use crate::rt::Handle;
use crate::task::{list::OwnedTasks, Notified, RawTask, Schedule};
use crossbeam_deque::{Injector, Stealer};
use idle::Idle;
use park::Parker;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

pub(crate) type Task = Notified<Handle>;

/// What one worker exposes to the others and to notifiers.
pub(crate) struct Remote {
    /// Steals from the worker's local queue (the worker pushes and pops).
    pub(crate) stealer: Stealer<Task>,
    /// The worker sleeps on it; any thread may unpark it.
    pub(crate) parker: Parker,
}

/// State shared by all workers of one runtime and every handle to it.
pub(crate) struct Shared {
    /// Tasks spawned or woken from outside the workers. Any thread pushes;
    /// workers pop (every 61 ticks, and when their own queue is empty).
    pub(crate) injector: Injector<Task>,
    /// One per worker, indexed by worker number.
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    /// Every live task, for shutdown.
    pub(crate) owned: OwnedTasks,
    /// Interrupts the worker parked in the IO driver, if any.
    reactor: magpie_io_driver::ReactorHandle,
    /// Set once by shutdown (any thread); read by workers each loop and by
    /// remote schedules. SeqCst: it orders against injector pushes (see
    /// `push_remote`).
    pub(crate) is_shutdown: AtomicBool,
}

impl Shared {
    pub(crate) fn new(remotes: Box<[Remote]>, reactor: magpie_io_driver::ReactorHandle) -> Shared {
        let n = remotes.len();
        Shared {
            injector: Injector::new(),
            remotes,
            idle: Idle::new(n),
            owned: OwnedTasks::new(n),
            reactor,
            is_shutdown: AtomicBool::new(false),
        }
    }

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

    /// Wakes one sleeping worker if the work just queued needs it.
    pub(crate) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.unpark(worker);
        }
    }

    /// True when some queue other workers can take from is non-empty.
    pub(crate) fn has_stealable_work(&self) -> bool {
        !self.injector.is_empty() || self.remotes.iter().any(|r| !r.stealer.is_empty())
    }

    pub(crate) fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                crossbeam_deque::Steal::Success(task) => drop(task),
                crossbeam_deque::Steal::Retry => continue,
                crossbeam_deque::Steal::Empty => break,
            }
        }
    }

    /// Starts shutdown: later spawns are cancelled at once, and every worker
    /// is woken to exit.
    pub(crate) fn begin_shutdown(&self) {
        self.is_shutdown.store(true, SeqCst);
        for worker in self.idle.all_workers() {
            self.unpark(worker);
        }
    }

    fn unpark(&self, worker: usize) {
        self.remotes[worker]
            .parker
            .unpark_or(|| self.reactor.unpark());
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
        self.inner.shared.owned.remove(task)
    }
}
