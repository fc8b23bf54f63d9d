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
///
/// # Examples
///
/// A panic in the task comes back as an error, and a dropped handle leaves
/// its task running:
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let ok = magpie::spawn(async { 1 });
///     assert_eq!(ok.await.unwrap(), 1);
///
///     let failed = magpie::spawn(async { panic!("boom") });
///     assert!(failed.await.unwrap_err().is_panic());
/// });
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// drop(rt.spawn(async move { tx.send("still ran").unwrap() }));
/// assert_eq!(rx.recv().unwrap(), "still ran");
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(std::future::pending::<()>());
    ///     task.abort();
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has completed (with output, panic or cancellation).
    /// Awaiting the handle then returns at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(async { 2 + 2 });
    ///     while !task.is_finished() {
    ///         magpie::task::yield_now().await;
    ///     }
    ///     assert_eq!(task.await.unwrap(), 4);
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// A handle that can abort the task without owning its output.
    ///
    /// # Examples
    ///
    /// Aborting from another task while this one awaits the output:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(std::future::pending::<()>());
    ///     let abort = task.abort_handle();
    ///     magpie::spawn(async move { abort.abort() });
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }

    /// The id of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(async { magpie::task::id() });
    ///     let id = task.id();
    ///     assert_eq!(task.await.unwrap(), id);
    /// });
    /// ```
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
/// to the task. Made by [`JoinHandle::abort_handle`] and by
/// [`JoinSet`](crate::task::JoinSet)'s `spawn` methods.
///
/// # Examples
///
/// A worker task that a supervisor stops later:
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let worker = magpie::spawn(std::future::pending::<()>());
///     let stop = worker.abort_handle();
///     let supervisor = magpie::spawn(async move {
///         stop.abort();
///         stop.id()
///     });
///     let stopped_id = supervisor.await.unwrap();
///     assert_eq!(stopped_id, worker.id());
///     assert!(worker.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Aborts the task, like [`JoinHandle::abort`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(std::future::pending::<()>());
    ///     let abort = task.abort_handle();
    ///     abort.abort();
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has completed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(std::future::pending::<()>());
    ///     let abort = task.abort_handle();
    ///     assert!(!abort.is_finished()); // `pending` never completes on its own
    ///     abort.abort();
    ///     let _ = task.await;
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The id of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let task = magpie::spawn(async {});
    ///     assert_eq!(task.abort_handle().id(), task.id());
    /// });
    /// ```
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
