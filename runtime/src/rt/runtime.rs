//! `Runtime`: owns the worker, driver and blocking threads of one runtime,
//! and shuts them down: the protocol is numbered in
//! `scheduler/shutdown.rs`; this file runs its steps 1 and 8. Dropping the
//! runtime waits for step 7, so every future's destructor has run when
//! `drop` returns.

use super::context::{self, EnterGuard};
use super::Handle;
use crate::blocking::BlockingPool;
use crate::task_core::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

/// How long dropping a runtime waits for running `spawn_blocking` closures.
pub(crate) const DROP_BLOCKING_WAIT: Duration = Duration::from_secs(10);

/// A magpie runtime: worker threads running spawned tasks (and, when idle,
/// polling sockets and timers), and a pool for blocking work.
///
/// Dropping it shuts it down: every task still alive is dropped (its
/// future's destructor has run when `drop` returns), and the worker threads
/// are joined; closures running on the blocking pool are waited for up to
/// 10 seconds.
///
/// # Panics
///
/// Dropping a runtime from inside an asynchronous context (a task, or a
/// `block_on` future) panics: it would block the thread that drives that
/// context. Use [`Runtime::shutdown_background`] there.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use magpie::runtime::Runtime;
/// let rt = Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     magpie::spawn(async { 6 * 7 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<std::thread::JoinHandle<()>>,
    blocking: BlockingPool,
    shut_down: bool,
}

impl Runtime {
    /// A runtime with the default configuration: one worker per core.
    ///
    /// # Errors
    ///
    /// Fails when the reactor cannot be created or a thread cannot be spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// fn main() -> std::io::Result<()> {
    ///     let rt = magpie::runtime::Runtime::new()?;
    ///     rt.block_on(async { println!("hello from magpie") });
    ///     Ok(())
    /// }
    /// ```
    pub fn new() -> io::Result<Runtime> {
        super::Builder::new().build()
    }

    pub(crate) fn from_parts(
        handle: Handle,
        workers: Vec<std::thread::JoinHandle<()>>,
        blocking: BlockingPool,
    ) -> Runtime {
        Runtime {
            handle,
            workers,
            blocking,
            shut_down: false,
        }
    }

    /// Runs `future` to completion on the calling thread, with this runtime
    /// as its context; tasks it spawns run on the workers.
    ///
    /// # Panics
    ///
    /// Panics when called from a runtime's worker thread or from inside
    /// another `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let total = rt.block_on(async {
    ///     // `block_on` makes the runtime current, so `magpie::spawn` finds it.
    ///     let a = magpie::spawn(async { 20 });
    ///     let b = magpie::spawn(async { 22 });
    ///     a.await.unwrap() + b.await.unwrap()
    /// });
    /// assert_eq!(total, 42);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Boxed here already: a large future is not copied once more on
        // its way to `Handle::block_on` (see `BOX_FUTURE_THRESHOLD`).
        super::boxed_if_large!(future => self.handle.block_on_small(future))
    }

    /// Spawns a task onto this runtime; see [`crate::spawn`]. Unlike the free
    /// function, this works from any thread, inside the runtime or not.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(async { "ran on a worker" });
    /// assert_eq!(rt.block_on(task).unwrap(), "ran on a worker");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let spawned_at = std::panic::Location::caller();
        super::boxed_if_large!(future => self.handle.spawn_task(future, spawned_at))
    }

    /// Runs `f` on this runtime's blocking pool; see
    /// [`crate::task::spawn_blocking`]. Works from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn_blocking(|| (1..=5u64).product::<u64>());
    /// assert_eq!(rt.block_on(task).unwrap(), 120);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime's handle; clone it to spawn onto the runtime from other
    /// threads.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { 9 }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 9);
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops, so
    /// that `magpie::spawn`, timers and sockets created here find it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let guard = rt.enter();
    /// let task = magpie::spawn(async { 5 }); // no `block_on` needed to spawn
    /// drop(guard);
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// ```
    pub fn enter(&self) -> EnterGuard {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `timeout` in all for tasks to be dropped
    /// and threads to exit; whatever is still running after that is left
    /// to finish in the background.
    ///
    /// # Examples
    ///
    /// A blocking closure cannot be cancelled; dropping the runtime would wait
    /// 10 seconds for it, this waits 100 ms:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::time::{Duration, Instant};
    ///
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.spawn_blocking(|| std::thread::sleep(Duration::from_secs(60)));
    /// let start = Instant::now();
    /// rt.shutdown_timeout(Duration::from_millis(100));
    /// assert!(start.elapsed() < Duration::from_secs(10));
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(Instant::now() + timeout), timeout);
    }

    /// Shuts down without waiting: tasks are dropped and threads exit in the
    /// background. Unlike dropping, this may be called from async context.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::runtime::Runtime;
    ///
    /// let outer = Runtime::new().unwrap();
    /// outer.block_on(async {
    ///     let inner = Runtime::new().unwrap();
    ///     inner.spawn(std::future::pending::<()>());
    ///     // Dropping `inner` here would panic: this thread drives `outer`'s
    ///     // `block_on`, and dropping waits for the shutdown to finish.
    ///     inner.shutdown_background();
    /// });
    /// ```
    pub fn shutdown_background(mut self) {
        self.shutdown(Some(Instant::now()), Duration::ZERO);
    }

    fn shutdown(&mut self, deadline: Option<Instant>, blocking_wait: Duration) {
        if self.shut_down {
            return;
        }
        self.shut_down = true;
        // The current-thread runtime's local tasks first, on their thread
        // (they are leaked if this is another one: see `implicit_local`).
        self.handle.inner.implicit_local.shutdown_on_this_thread();
        if self.handle.inner.scheduler.shutdown(deadline) {
            for worker in self.workers.drain(..) {
                let _ = worker.join();
            }
        }
        let remaining = deadline.map_or(blocking_wait, |d| {
            d.saturating_duration_since(Instant::now())
                .min(blocking_wait)
        });
        self.blocking.shutdown(remaining);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if self.shut_down {
            return;
        }
        if context::is_driving() && !std::thread::panicking() {
            panic!(
                "Cannot drop a runtime in a context where blocking is not allowed. This \
                 happens when a runtime is dropped from within an asynchronous context; \
                 use `shutdown_background` there."
            );
        }
        self.shutdown(None, DROP_BLOCKING_WAIT);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers.len())
            .finish()
    }
}
