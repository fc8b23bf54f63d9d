//! `Handle`: a cloneable reference to a runtime, used to spawn onto it from
//! anywhere (including threads that are not part of it).

use super::context::{self, EnterGuard, TryCurrentError};
use super::flavor::Scheduler;
use super::implicit_local::ImplicitLocal;
use super::metrics::RuntimeMetrics;
use crate::blocking::{BlockingSpawner, Mandatory};
use crate::observe::dump::Dump;
use crate::task_core::JoinHandle;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

/// A handle to a runtime: spawn tasks onto it, block on futures with it,
/// from any thread. Cheap to clone.
///
/// A handle does not keep the runtime running: once the [`Runtime`](super::Runtime)
/// is dropped, tasks spawned through a handle are cancelled at once (their
/// `JoinHandle` yields a cancelled [`JoinError`](crate::task::JoinError)).
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<HandleInner>,
}

/// Everything a runtime's threads and tasks share. Created by the builder,
/// immutable afterwards apart from the synchronised state inside.
pub(crate) struct HandleInner {
    /// The scheduler (multi-thread or current-thread) and its driver.
    pub(crate) scheduler: Scheduler,
    pub(crate) blocking: BlockingSpawner,
    /// Current-thread runtimes only: the `LocalSet` of `spawn_local`.
    pub(crate) implicit_local: ImplicitLocal,
    /// How the IO driver runs host name lookups on this runtime's blocking
    /// pool; made once here, so entering the runtime (every `block_on`)
    /// clones it instead of allocating one.
    pub(crate) blocking_hook: magpie_io_driver::context::SpawnBlocking,
}

impl HandleInner {
    /// The shared state of a runtime with `scheduler` and `blocking`.
    pub(crate) fn new(scheduler: Scheduler, blocking: BlockingSpawner) -> Arc<HandleInner> {
        Arc::new_cyclic(|weak: &std::sync::Weak<HandleInner>| {
            // Weak: the hook lives inside what it points to. A lookup only
            // starts on a runtime thread, whose context keeps the runtime
            // alive; a job dropped unrun is an error the driver reports,
            // not a hang.
            let weak = weak.clone();
            let blocking_hook: magpie_io_driver::context::SpawnBlocking = Arc::new(move |job| {
                if let Some(inner) = weak.upgrade() {
                    drop(Handle { inner }.spawn_blocking(job));
                }
            });
            HandleInner {
                scheduler,
                blocking,
                implicit_local: Default::default(),
                blocking_hook,
            }
        })
    }
}

impl Handle {
    /// The handle of the runtime this thread is running in.
    ///
    /// # Panics
    ///
    /// Panics when called outside the context of a magpie runtime (not on
    /// one of its threads, not inside its `block_on`, and no
    /// [`Handle::enter`] guard alive). Use [`Handle::try_current`] to get an
    /// error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::runtime::{Handle, Runtime};
    /// let rt = Runtime::new().unwrap();
    /// let handle = rt.block_on(async { Handle::current() });
    /// let task = handle.spawn(async { 1 + 1 });
    /// assert_eq!(rt.block_on(task).unwrap(), 2);
    /// ```
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the current runtime, or an error outside one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::runtime::{Handle, Runtime};
    ///
    /// let error = Handle::try_current().unwrap_err();
    /// assert!(error.is_missing_context());
    ///
    /// let rt = Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// assert!(Handle::try_current().is_ok());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(Handle::clone)
    }

    /// The runtime's counters: tasks, queues, the IO driver, the blocking
    /// pool, and per worker polls, steals, parks, busy time and poll times.
    /// Cheap; reading it never blocks a worker.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new().worker_threads(2).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.num_workers(), 2);
    /// println!("{} tasks alive", metrics.num_alive_tasks());
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.clone())
    }

    /// A snapshot of every live task of the runtime: id, spawn location,
    /// state, polls and time since the last poll, the longest idle first
    /// (see [`Dump`], which says which tasks are listed: not those of a
    /// `LocalSet` created by the program, nor `spawn_blocking` closures). It reads the task list shard by shard and never waits
    /// for tasks to yield, so it works while a worker is stuck.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let sleeper = magpie::spawn(async {
    ///         magpie_timer::sleep(std::time::Duration::from_secs(60)).await
    ///     });
    ///     magpie::task::yield_now().await;
    ///     let dump = magpie::runtime::Handle::current().dump().await;
    ///     assert!(dump.tasks().iter().any(|t| t.id() == sleeper.id()));
    ///     sleeper.abort();
    /// });
    /// ```
    pub async fn dump(&self) -> Dump {
        let owned = match &self.inner.scheduler {
            Scheduler::MultiThread(h) => &h.shared.owned,
            Scheduler::CurrentThread(h) => h.shared.owned(),
        };
        // A current-thread runtime's `spawn_local` tasks live in its
        // implicit `LocalSet`, which the runtime holds: list them too.
        match self.inner.implicit_local.shared() {
            Some(local) => Dump::capture(&[owned, local.owned()]),
            None => Dump::capture(&[owned]),
        }
    }

    /// Spawns a future onto this runtime; see [`crate::spawn`]. Works from any
    /// thread, inside the runtime or not.
    ///
    /// # Examples
    ///
    /// Spawning from a thread that is not part of the runtime:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { 3 }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let spawned_at = Location::caller();
        super::boxed_if_large!(future => self.spawn_task(future, spawned_at))
    }

    /// `spawn` once the future is small enough to move around (see
    /// [`super::BOX_FUTURE_THRESHOLD`]).
    pub(crate) fn spawn_task<F>(
        &self,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.scheduler.spawn(future, spawned_at)
    }

    /// Runs `f` on the blocking pool; see [`crate::task::spawn_blocking`].
    /// Works from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let task = handle.spawn_blocking(|| "x".repeat(3));
    /// assert_eq!(handle.block_on(task).unwrap(), "xxx");
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_blocking_at(f, Mandatory::No, Location::caller())
    }

    /// `spawn_blocking` for a closure spawned at `spawned_at`; a `mandatory`
    /// one runs even if the runtime shuts down before a thread took it.
    pub(crate) fn spawn_blocking_at<F, R>(
        &self,
        f: F,
        mandatory: Mandatory,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // A paused clock stands still while the job runs: the job's work
        // is invisible to the idle check.
        let hold_clock = self.inner.scheduler.driver().timer.inhibit_auto_advance();
        let f = move || {
            let _hold_clock = hold_clock;
            f()
        };
        let enter = || -> crate::blocking::EnterRuntime {
            let handle = self.clone();
            Box::new(move || Box::new(handle.enter()))
        };
        self.inner.blocking.spawn(f, mandatory, enter, spawned_at)
    }

    /// Runs `future` to completion on the calling thread, with this runtime
    /// as its context (tasks it spawns run on the runtime's workers).
    ///
    /// # Panics
    ///
    /// Panics when called from a runtime's worker thread or from inside
    /// another `block_on`: blocking there would stall the tasks that thread
    /// must drive.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = magpie_runtime::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let v = std::thread::spawn(move || handle.block_on(async { 7 })).join().unwrap();
    /// assert_eq!(v, 7);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        super::boxed_if_large!(future => self.block_on_small(future))
    }

    /// `block_on` once the future is small enough to move around (see
    /// [`super::BOX_FUTURE_THRESHOLD`]).
    pub(crate) fn block_on_small<F: Future>(&self, future: F) -> F::Output {
        // Pinned here, so the layers below move a pointer, not the future
        // (each move of a large future state is a memcpy).
        let mut future = std::pin::pin!(future);
        let future = future.as_mut();
        let _driving = context::enter_driving();
        let _enter = self.enter();
        let scheduler = &self.inner.scheduler;
        if let Scheduler::CurrentThread(_) = scheduler {
            // `spawn_local` works anywhere on a current-thread runtime: its
            // thread's implicit set is entered and run alongside `future`.
            if let Some(local) = self.inner.implicit_local.for_this_thread() {
                let _local = local.enter();
                return scheduler.block_on(local.run_until(future));
            }
        }
        scheduler.block_on(future)
    }

    /// Makes this runtime the current one on this thread until the guard is
    /// dropped, so `spawn`, `sleep` and socket constructors find it.
    ///
    /// # Examples
    ///
    /// Giving a plain thread a runtime to spawn onto:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     magpie::spawn(async { "spawned from a plain thread" })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), "spawned from a plain thread");
    /// ```
    pub fn enter(&self) -> EnterGuard {
        context::enter(self, self.inner.scheduler.timer_shard())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.inner.scheduler.num_workers())
            .finish()
    }
}
