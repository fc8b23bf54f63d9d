//! The thread-local runtime context: which runtime `spawn` and friends use
//! on this thread, and whether the thread is already driving async work
//! (so a nested `block_on` can be refused instead of deadlocking).
//!
//! Entering a runtime also enters its timer and reactor contexts, so that
//! `sleep` and `TcpStream::connect` find them. Only the owning thread reads
//! or writes these thread-locals.

use super::Handle;
use std::cell::{Cell, RefCell};
use std::fmt;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// True while this thread runs a worker loop or a `block_on`.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// The error returned by [`Handle::try_current`] when no runtime is current.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let error = magpie::runtime::Handle::try_current().unwrap_err();
/// assert!(error.is_missing_context());
/// assert!(!error.is_thread_local_destroyed());
/// println!("{error}");
/// ```
#[derive(Debug)]
pub struct TryCurrentError {
    thread_local_destroyed: bool,
}

impl TryCurrentError {
    /// True when the call was made outside the context of any runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// // The main thread of a program that has no runtime current.
    /// let error = magpie::runtime::Handle::try_current().unwrap_err();
    /// assert!(error.is_missing_context());
    /// ```
    pub fn is_missing_context(&self) -> bool {
        !self.thread_local_destroyed
    }

    /// True when the thread-local context was already destroyed (the call
    /// came from a thread-local destructor). Exactly one of this and
    /// [`is_missing_context`](Self::is_missing_context) is true.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// // An ordinary call site: the context is missing, not destroyed.
    /// let error = magpie::runtime::Handle::try_current().unwrap_err();
    /// assert!(!error.is_thread_local_destroyed());
    /// ```
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.thread_local_destroyed
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.thread_local_destroyed {
            f.write_str("the magpie runtime context was already destroyed on this thread")
        } else {
            f.write_str(NO_RUNTIME)
        }
    }
}

impl std::error::Error for TryCurrentError {}

pub(crate) const NO_RUNTIME: &str =
    "there is no reactor running, must be called from the context of a magpie runtime";

/// Runs `f` with the current runtime's handle, without cloning it.
pub(crate) fn with_current<R>(f: impl FnOnce(&Handle) -> R) -> Result<R, TryCurrentError> {
    match CURRENT.try_with(|c| c.borrow().as_ref().map(f)) {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(TryCurrentError {
            thread_local_destroyed: false,
        }),
        Err(_) => Err(TryCurrentError {
            thread_local_destroyed: true,
        }),
    }
}

/// Makes a runtime current on this thread (runtime, timer and reactor) until
/// the guard drops; nestable. Returned by [`Runtime::enter`](super::Runtime::enter)
/// and [`Handle::enter`], whose docs have examples.
pub struct EnterGuard {
    prev: Option<Handle>,
    _timer: magpie_timer::context::EnterGuard,
    _reactor: magpie_io_driver::context::EnterGuard,
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}

pub(crate) fn enter(handle: &Handle, timer_shard: usize) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(handle.clone())));
    let driver = handle.inner.scheduler.driver();
    EnterGuard {
        prev,
        _timer: magpie_timer::context::enter(&driver.timer, timer_shard),
        _reactor: magpie_io_driver::context::enter_with_blocking(
            &driver.reactor_handle,
            handle.inner.blocking_hook.clone(),
        ),
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// Marks this thread as driving async work until the guard drops.
pub(crate) struct DrivingGuard(());

/// # Panics
///
/// Panics when the thread already drives async work: `block_on` on a worker
/// thread or inside another `block_on` would block the thread that must
/// make progress.
pub(crate) fn enter_driving() -> DrivingGuard {
    let already = DRIVING.with(|d| d.replace(true));
    if already {
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function \
             (like `block_on`) attempted to block the current thread while the thread is \
             being used to drive asynchronous tasks."
        );
    }
    DrivingGuard(())
}

/// True when this thread is a worker or inside `block_on`.
pub(crate) fn is_driving() -> bool {
    DRIVING.try_with(|d| d.get()).unwrap_or(false)
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        let _ = DRIVING.try_with(|d| d.set(false));
    }
}
