//! `Scheduler`: the scheduler a runtime runs its tasks on, multi-thread
//! (work-stealing workers) or current-thread (the thread in `block_on`),
//! and what the runtime asks of either.
//!
//! Uses the two schedulers and the driver.

use super::block_on;
use crate::current_thread;
use crate::driver::Driver;
use crate::scheduler::{self, worker, Activity};
use crate::task_core::JoinHandle;
use std::future::Future;
use std::panic::Location;
use std::time::Instant;

/// The scheduler of one runtime.
pub(crate) enum Scheduler {
    MultiThread(scheduler::Handle),
    CurrentThread(current_thread::Handle),
}

impl Scheduler {
    /// The IO and timer driver.
    pub(crate) fn driver(&self) -> &Driver {
        match self {
            Scheduler::MultiThread(h) => h.driver(),
            Scheduler::CurrentThread(h) => h.driver(),
        }
    }

    /// Spawns `future` as a task (boxing was decided by the caller).
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Scheduler::MultiThread(h) => h.spawn(future, spawned_at),
            Scheduler::CurrentThread(h) => h.spawn(future, spawned_at),
        }
    }

    /// Worker threads (1 for a current-thread runtime: the `block_on` one).
    pub(crate) fn num_workers(&self) -> usize {
        match self {
            Scheduler::MultiThread(h) => h.num_workers(),
            Scheduler::CurrentThread(_) => 1,
        }
    }

    /// The timer shard the calling thread uses: a worker's own, or the one
    /// for every other thread.
    pub(crate) fn timer_shard(&self) -> usize {
        match self {
            Scheduler::MultiThread(h) => {
                worker::current_index_in(h).unwrap_or_else(|| h.driver().shard_for_thread())
            }
            // One thread runs everything: one shard for all.
            Scheduler::CurrentThread(_) => 0,
        }
    }

    /// What of this runtime is active besides the caller (a task being
    /// polled on this thread, or the future of a `block_on` on it); see
    /// `rt::settle`. A current-thread runtime has no other thread: its
    /// answer is `None` or `Queued`.
    pub(crate) fn activity_besides_caller(&self) -> Activity {
        match self {
            Scheduler::MultiThread(h) => h.shared.activity_besides(worker::current_index_in(h)),
            Scheduler::CurrentThread(h) => {
                if h.is_idle_but_caller() {
                    Activity::None
                } else {
                    Activity::Queued
                }
            }
        }
    }

    /// Polls of tasks started so far, by every worker.
    pub(crate) fn polls(&self) -> u64 {
        match self {
            Scheduler::MultiThread(h) => h.shared.polls(),
            Scheduler::CurrentThread(h) => h.polls(),
        }
    }

    /// Runs `future` to completion on the calling thread; the caller has
    /// entered the runtime's context and the driving guard. On a
    /// current-thread runtime this thread also runs the tasks.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Scheduler::MultiThread(h) => block_on::block_on(h, future),
            Scheduler::CurrentThread(h) => current_thread::block_on(h, future),
        }
    }

    /// Shuts the scheduler down; false when `deadline` passed before every
    /// task was dropped (multi-thread only: a current-thread runtime drops
    /// them on the calling thread, synchronously).
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) -> bool {
        match self {
            Scheduler::MultiThread(h) => {
                h.begin_shutdown();
                h.wait_shutdown(deadline)
            }
            Scheduler::CurrentThread(h) => {
                h.shutdown();
                true
            }
        }
    }
}
