//! The task layer: one allocation per task with one atomic state word
//! (`state`, `raw`, `harness`, `waker`), the list of a runtime's live tasks
//! (`list`), and the task types users hold (`JoinHandle`, `AbortHandle`,
//! `JoinError`, `Id`, `yield_now`). The scheduler sees a task only as a
//! `Notified` to run, and a task reaches its scheduler only through the
//! `Schedule` trait.
//!
//! The bottom layer: it uses nothing of the scheduler, the blocking pool or
//! the runtime. The public `magpie::task` module (`lib.rs`) re-exports its
//! user-facing types next to the runtime's spawn functions.

mod error;
mod harness;
mod id;
mod join_handle;
pub(crate) mod list;
pub(crate) mod raw;
pub(crate) mod state;
pub(crate) mod stats;
mod waker;
mod yield_now;

#[cfg(all(test, loom))]
mod loom_tests;

pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join_handle::{AbortHandle, JoinHandle};
pub use stats::TaskMeta;
pub use yield_now::yield_now;

pub(crate) use raw::RawTask;
pub(crate) use stats::enter_fresh_clock;

use std::future::Future;
use std::marker::PhantomData;

/// What a task produces: its output, or why there is none.
pub(crate) type Output<T> = Result<T, JoinError>;

/// How a task gets back into a run queue, and leaves its owner's list.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// The task was woken while idle (or aborted): queue it.
    fn schedule(&self, task: Notified<Self>);

    /// The task woke itself during its poll (`yield_now`, coop budget):
    /// queue it behind the other runnable tasks.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// The task completed: unlink it from the owner's list. True when it was
    /// linked (the list's reference then goes away with the caller's).
    fn release(&self, task: RawTask) -> bool;
}

/// A task reference that sits in a run queue: running it consumes it.
pub(crate) struct Notified<S: Schedule> {
    raw: RawTask,
    _scheduler: PhantomData<fn(S)>,
}

impl<S: Schedule> Notified<S> {
    /// # Safety
    /// `raw` is a task of scheduler type `S`, and the caller gives up one
    /// reference that NOTIFIED accounts for.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified<S> {
        Notified {
            raw,
            _scheduler: PhantomData,
        }
    }

    /// Polls (or cancels) the task, consuming the queued reference.
    pub(crate) fn run(self) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.run();
    }

    /// The task's header.
    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// Gives up the queued reference as a bare pointer (a queue that stores
    /// pointers); `from_raw` takes it back.
    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Drops the future without polling it (runtime closed), consuming the
    /// reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.shutdown();
    }
}

impl<S: Schedule> Drop for Notified<S> {
    fn drop(&mut self) {
        // A queued task dropped without running (queues drained at
        // shutdown): only the reference goes. Its future is dropped by the
        // owned-task list's shutdown pass.
        self.raw.drop_reference();
    }
}

/// Creates a task queued once, spawned at `spawned_at`. Returns the owner's reference (for the
/// owned-task list), the queued reference, and the join handle.
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    spawned_at: &'static std::panic::Location<'static>,
) -> (RawTask, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = raw::Cell::allocate(future, scheduler, id, spawned_at, 3);
    // SAFETY: three references were counted: owner, queue, join handle; the
    // output type is F::Output.
    unsafe { (raw, Notified::from_raw(raw), JoinHandle::new(raw)) }
}

/// Creates a local task (its future need not be `Send`), queued once.
/// Returns the owner's reference, the queued reference, and the join handle.
///
/// # Safety
/// The caller guarantees that the task is only ever run (`Notified::run`)
/// and shut down (`RawTask::shutdown`, `Notified::shutdown`) on the thread
/// that calls this function, and that its output, if it is not `Send`, is
/// only taken or dropped there (the `JoinHandle<T>` is `!Send` then, and the
/// owner shuts the task down on this thread before it goes away).
pub(crate) unsafe fn new_local_task<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    spawned_at: &'static std::panic::Location<'static>,
) -> (RawTask, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let raw = raw::Cell::allocate(future, scheduler, id, spawned_at, 3);
    // SAFETY: three references were counted: owner, queue, join handle; the
    // output type is F::Output.
    unsafe { (raw, Notified::from_raw(raw), JoinHandle::new(raw)) }
}

/// Creates a task that no list owns (blocking tasks): the queued reference
/// and the join handle.
pub(crate) fn new_unowned_task<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    spawned_at: &'static std::panic::Location<'static>,
) -> (Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = raw::Cell::allocate(future, scheduler, id, spawned_at, 2);
    // SAFETY: two references were counted: queue and join handle.
    unsafe { (Notified::from_raw(raw), JoinHandle::new(raw)) }
}
