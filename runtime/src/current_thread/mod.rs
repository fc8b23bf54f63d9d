//! The current-thread scheduler: every task runs on the thread that calls
//! `block_on`, which also drives the IO reactor and the timers between
//! tasks. Tasks spawned while nobody is in `block_on` wait in the queue and
//! run at the next `block_on`.
//!
//! The run queue is in two parts. `Core::local` is a plain `VecDeque` that
//! only the thread holding the core touches: a task spawned or woken on that
//! thread goes there without any synchronisation. Everything else (wakes
//! from other threads, from the blocking pool, spawns while no `block_on`
//! runs) goes to `Shared::remote`, under a mutex, and interrupts the driver
//! if the core's thread sleeps in it. The core is a token: one `block_on` at
//! a time holds it; a second, concurrent `block_on` (from another thread,
//! through a `Handle`) only polls its own future until the core comes back.
//!
//! Shared state: `remote` (any thread pushes; the core holder pops),
//! `sleep` (written by the core holder, read by remote schedulers),
//! `is_shutdown` (set once by shutdown, read by everyone), `core` (taken and
//! returned by `block_on`), `core_waiters` (wakers of `block_on` calls
//! waiting for the core; any `block_on` pushes, the returning one drains).
//!
//! Uses the task layer (`task_core`) and the driver; knows nothing of the
//! runtime (`rt`) above it.

mod block_on;
mod sleep;

#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use block_on::block_on;

use crate::driver::Driver;
use crate::observe::hooks::TaskHooks;
use crate::observe::watchdog::{Watchdog, Watched};
use crate::observe::worker_stats::WorkerStats;
use crate::task_core::{self, list::OwnedTasks, Id, JoinHandle, Notified, RawTask, Schedule};
use parking_lot::Mutex;
use sleep::Sleep;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Waker;

pub(crate) type Task = Notified<Handle>;

/// The state a current-thread runtime's handles, tasks and `block_on`
/// calls share.
pub(crate) struct Shared {
    /// Tasks scheduled from outside the core's thread.
    remote: Mutex<VecDeque<Task>>,
    /// Every live task, for shutdown.
    owned: OwnedTasks,
    /// The IO and timer driver, driven by the core's thread.
    driver: Driver,
    /// Whether the core's thread may sleep in the driver: the handshake with
    /// the threads that queue work for it (see `sleep`).
    sleep: Sleep,
    /// Set once by shutdown. SeqCst: it orders against `remote` pushes (see
    /// `push_remote`).
    is_shutdown: AtomicBool,
    /// The run-queue token; `None` while a `block_on` holds it.
    core: Mutex<Option<Box<Core>>>,
    /// `block_on` calls waiting for the core.
    core_waiters: Mutex<Vec<Waker>>,
    /// The counters of the thread running the tasks (written by whichever
    /// thread holds the core).
    pub(crate) stats: WorkerStats,
    /// The user's task hooks (read-only).
    pub(crate) hooks: TaskHooks,
    /// The stall watchdog's wake-up and shutdown.
    pub(crate) watchdog: Watchdog,
    /// True while a thread holds the core and is not asleep in the driver:
    /// the watchdog sleeps while it is false. Written by the core holder;
    /// SeqCst for the watchdog's handshake (`Watchdog::worker_awake`).
    busy: AtomicBool,
}

/// What the thread running the tasks owns.
pub(crate) struct Core {
    /// Tasks scheduled on the core's own thread.
    local: VecDeque<Task>,
    /// Counts tasks run, to interleave the remote queue and the driver.
    tick: u32,
}

/// The scheduler of one current-thread runtime. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// The core held by the `block_on` running on this thread, while it runs.
struct Context {
    handle: Handle,
    /// `None` while the core is lent out (never, today) — a `RefCell` so
    /// that wakes made by the running task can push to it.
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    /// The `Context` of the current-thread `block_on` running on this
    /// thread, or null. Only this thread reads or writes it.
    static CURRENT: std::cell::Cell<*const Context> = const { std::cell::Cell::new(ptr::null()) };
}

impl Handle {
    /// A current-thread scheduler around `driver`.
    pub(crate) fn new(driver: Driver, hooks: TaskHooks) -> Handle {
        Handle {
            shared: Arc::new(Shared {
                remote: Mutex::new(VecDeque::new()),
                owned: OwnedTasks::new(1),
                driver,
                sleep: Sleep::new(),
                is_shutdown: AtomicBool::new(false),
                core: Mutex::new(Some(Box::new(Core {
                    local: VecDeque::new(),
                    tick: 0,
                }))),
                core_waiters: Mutex::new(Vec::new()),
                stats: WorkerStats::new(),
                hooks,
                watchdog: Watchdog::new(),
                busy: AtomicBool::new(false),
            }),
        }
    }

    /// The driver the core's thread drives.
    pub(crate) fn driver(&self) -> &Driver {
        &self.shared.driver
    }

    /// True when both handles refer to the same scheduler.
    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Makes `future` a task and queues it. After shutdown the task is
    /// cancelled at once.
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
        self.shared.hooks.spawned(owned.meta());
        self.bind_and_schedule(owned, notified);
        join
    }

    fn bind_and_schedule(&self, owned: RawTask, notified: Task) {
        if self.shared.owned.bind(owned) {
            self.schedule_task(notified);
        } else {
            owned.shutdown();
            drop(notified);
        }
    }

    fn schedule_task(&self, task: Task) {
        if let Err(task) = self.push_local(task) {
            self.push_remote(task);
        }
    }

    /// Queues `task` in the core's local queue when this thread holds this
    /// scheduler's core and it is not borrowed; hands it back otherwise.
    fn push_local(&self, task: Task) -> Result<(), Task> {
        let ctx = CURRENT.with(|c| c.get());
        if ctx.is_null() {
            return Err(task);
        }
        // SAFETY: CURRENT points to the Context on `block_on`'s stack frame
        // while it runs on this thread, and is reset before that frame ends.
        let ctx = unsafe { &*ctx };
        if !ctx.handle.ptr_eq(self) {
            return Err(task);
        }
        let Ok(mut core) = ctx.core.try_borrow_mut() else {
            return Err(task);
        };
        match core.as_mut() {
            Some(core) => {
                core.local.push_back(task);
                Ok(())
            }
            None => Err(task),
        }
    }

    /// Queues a task from outside the core's thread.
    fn push_remote(&self, task: Task) {
        let shared = &self.shared;
        shared.remote.lock().push_back(task);
        if shared.is_shutdown.load(SeqCst) {
            // Shutdown may already have drained the queue: drain it again so
            // no reference is stranded (either it sees our push or we see
            // its flag: both SeqCst).
            shared.drain_remote();
            return;
        }
        self.unpark();
    }

    /// Interrupts the core's thread if it sleeps in the driver; called
    /// after the work for it was published.
    fn unpark(&self) {
        let driver = &self.shared.driver;
        self.shared.sleep.notify(|| driver.reactor_handle.unpark());
    }

    /// True when no task of this runtime is queued: the one being polled
    /// now (the caller, a task or the `block_on` future) is in no queue. The
    /// paused clock's `advance` waits for it (`rt::settle`). On another
    /// thread than the core's, only the remote queue is seen.
    pub(crate) fn is_idle_but_caller(&self) -> bool {
        let ctx = CURRENT.with(|c| c.get());
        if !ctx.is_null() {
            // SAFETY: see `push_local`.
            let ctx = unsafe { &*ctx };
            if ctx.handle.ptr_eq(self) {
                let local_empty = match ctx.core.try_borrow() {
                    Ok(core) => core.as_ref().is_none_or(|core| core.local.is_empty()),
                    // Borrowed by the scheduler itself: not from a poll.
                    Err(_) => false,
                };
                if !local_empty {
                    return false;
                }
            }
        }
        self.shared.remote.lock().is_empty()
    }

    /// Polls started so far.
    pub(crate) fn polls(&self) -> u64 {
        self.shared.stats.polls()
    }

    /// Shuts the scheduler down from the thread dropping the runtime: later
    /// spawns are cancelled, every live task is dropped here, the queues
    /// are emptied and the driver shut down.
    pub(crate) fn shutdown(&self) {
        let shared = &self.shared;
        shared.is_shutdown.store(true, SeqCst);
        shared.watchdog.shutdown();
        shared.owned.close_and_shutdown_all();
        shared.drain_remote();
        // (A `block_on` holding the core clears its queue itself when it
        // sees the flag.)
        if let Some(core) = shared.core.lock().as_mut() {
            core.local.clear();
        }
        shared.driver.shutdown();
    }
}

impl Shared {
    /// The tasks waiting in the remote queue.
    pub(crate) fn remote_queue_depth(&self) -> usize {
        self.remote.lock().len()
    }

    /// Every live task, for metrics and dumps.
    pub(crate) fn owned(&self) -> &OwnedTasks {
        &self.owned
    }

    /// The core's thread starts running tasks (`true`) or stops (`false`:
    /// asleep, or the core was returned).
    fn set_busy(&self, busy: bool) {
        self.busy.store(busy, SeqCst);
        if busy {
            self.watchdog.worker_awake();
        }
    }

    fn drain_remote(&self) {
        let drained = std::mem::take(&mut *self.remote.lock());
        drop(drained);
    }
}

impl Schedule for Handle {
    fn schedule(&self, task: Task) {
        self.schedule_task(task);
    }

    fn release(&self, task: RawTask) -> bool {
        self.shared.hooks.terminated(task.meta());
        self.shared.owned.remove(task)
    }
}

/// Report-only: the one thread's queued tasks have no other thread to go
/// to, so a stall is reported and nothing more.
impl Watched for Shared {
    fn worker_stats(&self, _worker: usize) -> &WorkerStats {
        &self.stats
    }

    fn num_workers(&self) -> usize {
        1
    }

    fn all_parked(&self) -> bool {
        !self.busy.load(SeqCst)
    }

    fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(SeqCst)
    }

    fn set_stalled(&self, _worker: usize, _stalled: bool) {}
}
