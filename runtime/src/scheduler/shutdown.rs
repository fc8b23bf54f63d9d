//! Shutting a runtime down: the protocol, the `Lifecycle` that tracks the
//! worker threads until it completes, and `finalize`, its last step.
//!
//! # The shutdown protocol
//!
//! 1. `Runtime::shutdown` (or dropping the runtime) calls
//!    [`Handle::begin_shutdown`]: `Shared::is_shutdown` is set (SeqCst) and
//!    every worker is unparked, the one in the IO driver through the reactor.
//! 2. Each worker sees the flag at the top of its loop (a task it is running
//!    finishes its poll first), drops the queued references in its LIFO slot
//!    and local queue without running them, and exits its loop. The futures
//!    themselves are not dropped here: the owned-task list holds them.
//! 3. Each exiting worker counts itself out of [`Lifecycle`]; the last one
//!    (or the builder, for workers whose thread never started) runs
//!    [`finalize`], steps 4 to 7.
//! 4. The owned-task list is closed and every task still in it is shut
//!    down: its future is dropped (its destructor runs on this thread) and
//!    its `JoinHandle` resolves to a cancelled `JoinError`.
//! 5. The injector is drained (references only).
//! 6. The driver is shut down, waking every timer and socket future still
//!    waiting in a `block_on` elsewhere, so it sees the shutdown.
//! 7. `Lifecycle::mark_done` releases whoever waits in step 8.
//! 8. `Runtime::shutdown` waits for step 7 (up to its deadline), joins the
//!    worker threads and then shuts the blocking pool down (queued closures
//!    are cancelled, running ones waited for up to a bound).
//!
//! A spawn made during shutdown, from any thread, including a future's
//! destructor in step 4: `OwnedTasks::bind` fails once the list is closed,
//! and the spawner then shuts the new task down at once (its `JoinHandle`
//! yields a cancelled `JoinError`). A spawn that binds before the list is
//! closed is shut down by step 4 like any other task. A task woken during
//! shutdown is pushed to the injector; `Shared::push_remote` sees the flag
//! after its push and drains the injector itself, so no reference is
//! stranded whichever of it and step 5 runs first.
//!
//! Uses the scheduler's shared state and the driver.

use super::Handle;
use crate::sync::{Condvar, Mutex};
use std::sync::atomic::{AtomicUsize, Ordering::AcqRel};
use std::time::Instant;

/// Tracks the worker threads of a runtime until shutdown completes.
/// `live_workers` is decremented by each exiting worker; `done` is set once
/// by the last one and read by whoever waits in `wait_done`.
pub(crate) struct Lifecycle {
    live_workers: AtomicUsize,
    done: Mutex<bool>,
    done_cvar: Condvar,
}

impl Lifecycle {
    pub(crate) fn new(workers: usize) -> Lifecycle {
        Lifecycle {
            live_workers: AtomicUsize::new(workers),
            done: Mutex::new(false),
            done_cvar: Condvar::new(),
        }
    }

    /// A worker exits; true for the last one, which must finalize.
    fn worker_exited(&self) -> bool {
        // AcqRel: the last worker must see the others' final writes.
        self.live_workers.fetch_sub(1, AcqRel) == 1
    }

    fn mark_done(&self) {
        *self.done.lock() = true;
        self.done_cvar.notify_all();
    }

    /// Waits until shutdown completed, or the deadline passed (false).
    fn wait_done(&self, deadline: Option<Instant>) -> bool {
        let mut done = self.done.lock();
        while !*done {
            match deadline {
                None => done = self.done_cvar.wait(done),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    done = self.done_cvar.wait_timeout(done, deadline - now);
                }
            }
        }
        true
    }
}

impl Handle {
    /// Step 1: later spawns are cancelled at once, and every worker is woken
    /// to exit.
    pub(crate) fn begin_shutdown(&self) {
        let shared = &self.shared;
        shared
            .is_shutdown
            .store(true, std::sync::atomic::Ordering::SeqCst);
        shared.watchdog.shutdown();
        for worker in shared.idle.all_workers() {
            shared.unpark(worker);
        }
    }

    /// Step 3: a worker thread has left its loop (or will never run); the
    /// last one finalizes.
    pub(crate) fn worker_exited(&self) {
        if self.shared.lifecycle.worker_exited() {
            finalize(self);
        }
    }

    /// Step 8's wait: true once shutdown completed, false when `deadline`
    /// passed first.
    pub(crate) fn wait_shutdown(&self, deadline: Option<Instant>) -> bool {
        self.shared.lifecycle.wait_done(deadline)
    }
}

/// Steps 4 to 7, run by the last worker to exit.
fn finalize(handle: &Handle) {
    let shared = &handle.shared;
    shared.owned.close_and_shutdown_all();
    shared.drain_injector();
    shared.driver.shutdown();
    shared.lifecycle.mark_done();
}
