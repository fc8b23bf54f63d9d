//! `JoinHandle` (awaits a task's output, detaches on drop) and
//! `AbortHandle` (aborts without owning the output).

use super::raw::RawTask;
use super::{Id, Output};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or `Err(JoinError)` when the task
/// panicked or was cancelled. Dropping it detaches the task, which keeps
/// running; use [`JoinHandle::abort`] to stop it.
///
/// # Panics
///
/// Polling it again after it returned `Ready` panics.
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves a `T` out of the task, to whichever thread
// polls it, which requires `T: Send`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows abort / is_finished / id, which touch
// the atomic header alone.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `raw` is a task whose output type is `T`, and the handle takes over
    /// the join reference.
    pub(crate) unsafe fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Aborts the task: its future is dropped at its next yield point (at
    /// once if it is idle), and awaiting this handle then yields a
    /// cancelled [`JoinError`](super::JoinError). A no-op on a finished task.
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has completed (with output, panic or cancellation).
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// A handle that can abort the task without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }

    /// The id of the task.
    pub fn id(&self) -> Id {
        self.raw.id()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Output<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output<T>> {
        let mut out: Poll<Output<T>> = Poll::Pending;
        // SAFETY: the task's output type is T (checked at construction), and
        // `out` is a valid destination of exactly that type.
        unsafe {
            (self.raw.header().vtable.try_read_output)(
                self.raw.header_ptr(),
                &mut out as *mut Poll<Output<T>> as *mut (),
                cx.waker(),
            );
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: the handle owns the join reference, given up here.
        unsafe { (self.raw.header().vtable.drop_join_handle)(self.raw.header_ptr()) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// Aborts a task without awaiting it. Cloneable; dropping it does nothing
/// to the task.
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Aborts the task, like [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has completed.
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The id of the task.
    pub fn id(&self) -> Id {
        self.raw.id()
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
