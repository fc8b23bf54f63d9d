//! Tasks: spawned futures, their handles, and the public `magpie::task` API.
//!
//! [`spawn`] runs a future as a task on the runtime's workers and
//! [`spawn_blocking`] runs a closure on the blocking pool; both return a
//! [`JoinHandle`] that yields the output, or a [`JoinError`] when the task
//! panicked or was aborted. A [`JoinSet`] collects the results of many tasks
//! as they complete; [`yield_now`] lets the other tasks of a worker run.
//!
//! ```
//! # use magpie_runtime as magpie;
//! let rt = magpie::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let computed = magpie::task::spawn(async { 6 * 7 });
//!     let read = magpie::task::spawn_blocking(|| "from a blocking thread".len());
//!     assert_eq!(computed.await.unwrap(), 42);
//!     assert_eq!(read.await.unwrap(), 22);
//! });
//! ```

// The internals (`state`, `raw`, `harness`, `waker`, `list`) implement one
// allocation per task with one atomic state word; the scheduler sees a task
// only as a `Notified` to run, through the `Schedule` trait.

mod error;
mod harness;
mod id;
mod join_handle;
mod join_set;
pub(crate) mod list;
mod raw;
pub(crate) mod state;
mod waker;
mod yield_now;

#[cfg(all(test, loom))]
mod loom_tests;

pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join_handle::{AbortHandle, JoinHandle};
pub use join_set::JoinSet;
pub use yield_now::yield_now;

pub use crate::blocking::spawn_blocking;
pub use crate::rt::spawn;

pub(crate) use raw::RawTask;

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

/// Creates a task queued once. Returns the owner's reference (for the
/// owned-task list), the queued reference, and the join handle.
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    id: Id,
) -> (RawTask, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = raw::Cell::allocate(future, scheduler, id, 3);
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
) -> (Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = raw::Cell::allocate(future, scheduler, id, 2);
    // SAFETY: two references were counted: queue and join handle.
    unsafe { (Notified::from_raw(raw), JoinHandle::new(raw)) }
}
