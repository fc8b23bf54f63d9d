//! `Builder`: configures and starts a runtime (threads, reactor, timer).

use super::context;
use super::flavor::Scheduler;
use super::handle::{Handle, HandleInner};
use super::runtime::Runtime;
use crate::blocking::{BlockingPool, PoolConfig};
use crate::callback::{Callback, ThreadCallbacks};
use crate::current_thread;
use crate::driver::Driver;
use crate::observe::hooks::{TaskHook, TaskHooks};
use crate::observe::watchdog::{Stall, WatchdogConfig, Watched};
use crate::scheduler;
use crate::task_core::TaskMeta;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Configures a [`Runtime`]. Setters take `&mut self` and return
/// `&mut Self`, so a chain and a builder kept in a variable both work.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use magpie::runtime::Builder;
/// let rt = Builder::new()
///     .worker_threads(2)
///     .thread_name("my-pool")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 5 }), 5);
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    thread_name: String,
    thread_stack_size: Option<usize>,
    keep_alive: Duration,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    start_paused: bool,
    idle_spin: Duration,
    hooks: TaskHooks,
    stall_threshold: Option<Duration>,
    on_stall: Option<crate::observe::watchdog::StallHandler>,
}

/// The default `stall_threshold`.
const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(100);

/// Which scheduler `build` starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    MultiThread,
    CurrentThread,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder with the defaults: one worker per core (`num_cpus`), up to
    /// 512 blocking threads kept alive 10 s when idle, threads named
    /// `magpie-runtime-worker`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// ```
    pub fn new() -> Builder {
        Builder {
            kind: Kind::MultiThread,
            worker_threads: None,
            max_blocking_threads: 512,
            thread_name: "magpie-runtime-worker".to_owned(),
            thread_stack_size: None,
            keep_alive: Duration::from_secs(10),
            on_thread_start: None,
            on_thread_stop: None,
            start_paused: false,
            idle_spin: crate::driver::DEFAULT_IDLE_SPIN,
            hooks: TaskHooks::default(),
            stall_threshold: Some(DEFAULT_STALL_THRESHOLD),
            on_stall: None,
        }
    }

    /// The same as [`Builder::new`]: a multi-thread runtime (tokio's name,
    /// so `tokio::runtime::Builder::new_multi_thread()` compiles after the
    /// rename).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .enable_all()
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(async { 3 }), 3);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder::new()
    }

    /// A builder for a current-thread runtime: no worker threads; every
    /// task runs on the thread that calls `block_on`, which also drives the
    /// sockets and timers while its future waits. `spawn` works from inside
    /// and outside; tasks spawned while no `block_on` runs wait for the next
    /// one. `worker_threads` is ignored; the blocking pool works as usual.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new_current_thread().build().unwrap();
    /// let caller = std::thread::current().id();
    /// let ran_on = rt.block_on(async {
    ///     magpie::spawn(async { std::thread::current().id() }).await.unwrap()
    /// });
    /// assert_eq!(ran_on, caller);
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            kind: Kind::CurrentThread,
            ..Builder::new()
        }
    }

    /// Starts the runtime with its clock paused (see `magpie::time::pause`):
    /// time moves only by `time::advance`, or jumps to the next timer when
    /// every task waits only on timers. For tests; both flavors support it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::time::Duration;
    ///
    /// let rt = magpie::runtime::Builder::new_current_thread()
    ///     .start_paused(true)
    ///     .build()
    ///     .unwrap();
    /// let started = std::time::Instant::now();
    /// rt.block_on(async { magpie_timer::sleep(Duration::from_secs(3600)).await });
    /// assert!(started.elapsed() < Duration::from_secs(60), "an hour passed at once");
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Self {
        self.start_paused = paused;
        self
    }

    /// How long a worker that runs out of work keeps polling the IO driver
    /// without blocking before it sleeps in `epoll_wait` (default 50 µs;
    /// `Duration::ZERO` turns the spin off). Not a tokio setting: tokio
    /// always blocks at once. The same budget holds for a thread in
    /// [`Runtime::block_on`] whose future waits while a worker is awake: it
    /// watches for the wake-up that long before it sleeps (a `block_on`
    /// that spawns a few tasks and joins them then takes microseconds, not
    /// two thread wake-ups), and sleeps at once after a long wait.
    ///
    /// The spin is on only while it catches something: a worker spins
    /// after a blocking poll whose socket events came within the budget,
    /// and blocks at once after a longer sleep, so an idle runtime stays at
    /// ~0% CPU. When requests follow each other closely it answers them
    /// without the cost of a sleep and a wake-up (the load generator no
    /// longer has to wake the server), which buys throughput and latency
    /// with CPU time: on a key-value server under `redis-benchmark`, one
    /// worker on its own core, 50 µs served 1.16x tokio's requests/s at
    /// 1.16x its CPU per request, no spin 1.03x at 0.94x (BENCHMARKS.md).
    /// Turn it off where CPU time is what you pay for; keep it where
    /// latency is.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::time::Duration;
    ///
    /// let rt = magpie::runtime::Builder::new()
    ///     .idle_spin(Duration::ZERO) // block in epoll_wait at once
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(async { 2 + 2 }), 4);
    /// ```
    pub fn idle_spin(&mut self, budget: Duration) -> &mut Self {
        self.idle_spin = budget;
        self
    }

    /// Does nothing: IO and timers are always on in magpie. Kept so that
    /// tokio's `Builder::...().enable_all()` compiles after the rename.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// rt.block_on(magpie::task::yield_now());
    /// ```
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Does nothing: the IO driver is always on (see [`Builder::enable_all`]).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Does nothing: timers are always on (see [`Builder::enable_all`]).
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// The number of worker threads. `build` fails when it is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::runtime::Builder;
    ///
    /// let mut builder = Builder::new();
    /// let error = builder.worker_threads(0).build().unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    ///
    /// let rt = builder.worker_threads(2).build().unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap(), 3);
    /// ```
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// The most threads the blocking pool may run at once (default 512).
    /// `build` fails when it is 0.
    ///
    /// # Examples
    ///
    /// With one blocking thread, closures run one after another on it:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::task::spawn_blocking;
    ///
    /// let rt = magpie::runtime::Builder::new()
    ///     .max_blocking_threads(1)
    ///     .build()
    ///     .unwrap();
    /// let (first, second) = rt.block_on(async {
    ///     let first = spawn_blocking(|| std::thread::current().id());
    ///     let second = spawn_blocking(|| std::thread::current().id());
    ///     (first.await.unwrap(), second.await.unwrap())
    /// });
    /// assert_eq!(first, second);
    /// ```
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.max_blocking_threads = n;
        self
    }

    /// The name of the runtime's threads (workers and blocking threads alike).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new()
    ///     .thread_name("my-pool")
    ///     .build()
    ///     .unwrap();
    /// let thread_name = || std::thread::current().name().map(String::from);
    /// let on_worker = rt.block_on(rt.spawn(async move { thread_name() }));
    /// let on_blocking = rt.block_on(rt.spawn_blocking(thread_name));
    /// assert_eq!(on_worker.unwrap().as_deref(), Some("my-pool"));
    /// assert_eq!(on_blocking.unwrap().as_deref(), Some("my-pool"));
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = name.into();
        self
    }

    /// The stack size of the runtime's threads (workers and blocking threads), in
    /// bytes. Without it they get the standard library's default (2 MiB unless
    /// `RUST_MIN_STACK` says otherwise).
    ///
    /// # Examples
    ///
    /// A closure that keeps 3 MiB on its stack, more than the default allows:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new()
    ///     .thread_stack_size(16 * 1024 * 1024)
    ///     .build()
    ///     .unwrap();
    /// let ones = rt.block_on(rt.spawn_blocking(|| {
    ///     let buffer = [1u8; 3 * 1024 * 1024];
    ///     buffer.iter().map(|&b| u32::from(b)).sum::<u32>()
    /// }));
    /// assert_eq!(ones.unwrap(), 3 * 1024 * 1024);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// How long an idle blocking thread waits for work before exiting
    /// (default 10 s).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let rt = magpie::runtime::Builder::new()
    ///     .worker_threads(1)
    ///     .thread_keep_alive(Duration::from_millis(10))
    ///     .on_thread_stop({
    ///         let stopped = stopped.clone();
    ///         move || {
    ///             stopped.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// // The blocking thread exits once it has been idle for 10 ms; the worker stays.
    /// while stopped.load(Ordering::SeqCst) == 0 {
    ///     std::thread::sleep(Duration::from_millis(1));
    /// }
    /// assert_eq!(stopped.load(Ordering::SeqCst), 1);
    /// ```
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.keep_alive = duration;
        self
    }

    /// Runs `f` on each runtime thread (worker and blocking) when it starts,
    /// before it runs any task.
    ///
    /// # Examples
    ///
    /// Setting up a thread-local on every runtime thread:
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::cell::Cell;
    ///
    /// thread_local! {
    ///     static IN_POOL: Cell<bool> = const { Cell::new(false) };
    /// }
    ///
    /// let rt = magpie::runtime::Builder::new()
    ///     .on_thread_start(|| IN_POOL.with(|flag| flag.set(true)))
    ///     .build()
    ///     .unwrap();
    /// let on_worker = rt.block_on(rt.spawn(async { IN_POOL.with(Cell::get) }));
    /// let on_blocking = rt.block_on(rt.spawn_blocking(|| IN_POOL.with(Cell::get)));
    /// assert!(on_worker.unwrap() && on_blocking.unwrap());
    /// assert!(!IN_POOL.with(Cell::get)); // this thread is not one of the runtime's
    /// ```
    pub fn on_thread_start<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each runtime thread (worker and blocking) before it exits.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let rt = magpie::runtime::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_stop({
    ///         let stopped = stopped.clone();
    ///         move || {
    ///             stopped.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {});
    /// drop(rt); // joins the two workers (no blocking thread was started)
    /// assert_eq!(stopped.load(Ordering::SeqCst), 2);
    /// ```
    pub fn on_thread_stop<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Calls `f` on the spawning thread each time a task is spawned onto
    /// the runtime (`spawn`, `Handle::spawn`, `JoinSet::spawn`...; not
    /// `spawn_blocking` closures nor `LocalSet` tasks), before it first runs.
    /// A panic in `f` is caught and reported on stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new()
    ///     .on_task_spawn(|meta| println!("task {} spawned at {}", meta.id(), meta.spawned_at()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { magpie::spawn(async {}).await.unwrap() });
    /// ```
    pub fn on_task_spawn<F: Fn(&TaskMeta) + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.hooks.on_spawn = Some(hook(f));
        self
    }

    /// Calls `f` once when a task completes, is aborted, or is dropped at
    /// shutdown, on the thread where that happens: for a task that ends in
    /// a poll, inside that poll (before its `on_after_task_poll`). A panic
    /// in `f` is caught and reported on stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new()
    ///     .on_task_terminate(|meta| println!("task {} is done", meta.id()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { magpie::spawn(async {}).await.unwrap() });
    /// ```
    pub fn on_task_terminate<F: Fn(&TaskMeta) + Send + Sync + 'static>(
        &mut self,
        f: F,
    ) -> &mut Self {
        self.hooks.on_terminate = Some(hook(f));
        self
    }

    /// Calls `f` on the worker just before each poll of a task. Keep it
    /// cheap: it runs on every poll. A panic in `f` is caught and reported.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let polls = Arc::new(AtomicU64::new(0));
    /// let counter = polls.clone();
    /// let rt = magpie::runtime::Builder::new()
    ///     .on_before_task_poll(move |_| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { magpie::spawn(async {}).await.unwrap() });
    /// assert!(polls.load(Ordering::Relaxed) >= 1);
    /// ```
    pub fn on_before_task_poll<F: Fn(&TaskMeta) + Send + Sync + 'static>(
        &mut self,
        f: F,
    ) -> &mut Self {
        self.hooks.on_before_poll = Some(hook(f));
        self
    }

    /// Calls `f` on the worker just after each poll of a task (the task may
    /// have completed in it). Keep it cheap. A panic in `f` is caught and
    /// reported.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Builder::new()
    ///     .on_after_task_poll(|meta| assert!(meta.spawned_at().line() > 0))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { magpie::spawn(async {}).await.unwrap() });
    /// ```
    pub fn on_after_task_poll<F: Fn(&TaskMeta) + Send + Sync + 'static>(
        &mut self,
        f: F,
    ) -> &mut Self {
        self.hooks.on_after_poll = Some(hook(f));
        self
    }

    /// A poll that holds a worker longer than `threshold` is a stall: it is
    /// reported once (see [`on_stall`](Builder::on_stall)) while it still
    /// runs, and on a multi-thread runtime the other workers take over the
    /// stalled worker's queued tasks (its LIFO slot included) until the
    /// poll returns. The IO driver is never held by a polling worker, so
    /// sockets and timers keep going. Default: `Some(100 ms)`; `None` turns
    /// detection off (no watchdog thread). A watchdog thread samples the
    /// workers every quarter threshold while any is awake and sleeps while
    /// all are idle.
    ///
    /// `build()` returns an `InvalidInput` error for `Some(Duration::ZERO)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::time::Duration;
    /// let rt = magpie::runtime::Builder::new()
    ///     .stall_threshold(Some(Duration::from_millis(20)))
    ///     .on_stall(|stall| eprintln!("{stall}"))
    ///     .build()
    ///     .unwrap();
    /// let error = magpie::runtime::Builder::new()
    ///     .stall_threshold(Some(Duration::ZERO))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn stall_threshold(&mut self, threshold: Option<Duration>) -> &mut Self {
        self.stall_threshold = threshold;
        self
    }

    /// Calls `f` (on the watchdog thread) for each stall, instead of the
    /// default handler, which prints one line to stderr. A panic in `f` is
    /// caught and reported.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::time::Duration;
    /// let rt = magpie::runtime::Builder::new()
    ///     .worker_threads(2)
    ///     .stall_threshold(Some(Duration::from_millis(10)))
    ///     .on_stall(|stall| {
    ///         assert!(stall.duration() >= Duration::from_millis(10));
    ///         println!("task {} blocked worker {}", stall.task_id(), stall.worker());
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) }))
    ///     .unwrap();
    /// ```
    pub fn on_stall<F: Fn(&Stall) + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_stall = Some(Arc::new(f));
        self
    }

    /// Starts the runtime.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `worker_threads` or `max_blocking_threads` is 0,
    /// or `stall_threshold` is `Some(Duration::ZERO)`; otherwise the OS
    /// error from creating the reactor or a thread.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::runtime::Builder;
    ///
    /// let rt = Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.block_on(async { "built" }), "built");
    ///
    /// let error = Builder::new().max_blocking_threads(0).build().unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let workers = self.worker_threads.unwrap_or_else(num_cpus::get);
        if workers == 0 {
            return Err(invalid("worker_threads must be at least 1"));
        }
        if self.max_blocking_threads == 0 {
            return Err(invalid("max_blocking_threads must be at least 1"));
        }
        if self.stall_threshold == Some(Duration::ZERO) {
            return Err(invalid(
                "stall_threshold must be longer than zero (None turns stall detection off)",
            ));
        }
        if self.kind == Kind::CurrentThread {
            return self.build_current_thread();
        }

        let (scheduler, cores) = scheduler::Handle::new(
            new_driver(workers, self.start_paused, self.idle_spin)?,
            workers,
            self.thread_callbacks(),
            self.hooks.clone(),
        );
        let blocking = self.blocking_pool();
        let handle = Handle {
            inner: HandleInner::new(
                Scheduler::MultiThread(scheduler.clone()),
                blocking.spawner(),
            ),
        };

        let mut threads = Vec::with_capacity(workers);
        for (index, core) in cores.into_iter().enumerate() {
            let mut builder = std::thread::Builder::new().name(self.thread_name.clone());
            if let Some(size) = self.thread_stack_size {
                builder = builder.stack_size(size);
            }
            let worker_handle = handle.clone();
            let worker_scheduler = scheduler.clone();
            let spawned = builder.spawn(move || {
                let callbacks = worker_scheduler.thread_callbacks().clone();
                callbacks.started();
                {
                    let _enter = context::enter(&worker_handle, index);
                    let _driving = context::enter_driving();
                    scheduler::run_worker(&worker_scheduler, core);
                }
                drop(worker_handle);
                drop(worker_scheduler);
                callbacks.stopped();
            });
            match spawned {
                Ok(thread) => threads.push(thread),
                Err(e) => {
                    // Count out the workers that will never run (the last
                    // one finalizes), then shut down what was started.
                    for _ in index..workers {
                        scheduler.worker_exited();
                    }
                    drop(Runtime::from_parts(handle, threads, blocking));
                    return Err(e);
                }
            }
        }
        match self.start_watchdog(scheduler.shared.clone()) {
            Ok(Some(watchdog)) => threads.push(watchdog),
            Ok(None) => {}
            Err(e) => {
                drop(Runtime::from_parts(handle, threads, blocking));
                return Err(e);
            }
        }
        Ok(Runtime::from_parts(handle, threads, blocking))
    }
}

impl Builder {
    /// `build` for `new_current_thread`: the driver and the blocking pool,
    /// no threads (the thread in `block_on` runs the tasks).
    fn build_current_thread(&mut self) -> io::Result<Runtime> {
        let driver = new_driver(1, self.start_paused, self.idle_spin)?;
        let blocking = self.blocking_pool();
        let scheduler = current_thread::Handle::new(driver, self.hooks.clone());
        let watchdog = self.start_watchdog(scheduler.shared.clone());
        let handle = Handle {
            inner: HandleInner::new(Scheduler::CurrentThread(scheduler), blocking.spawner()),
        };
        let threads = match watchdog {
            Ok(watchdog) => watchdog.into_iter().collect(),
            Err(e) => {
                drop(Runtime::from_parts(handle, Vec::new(), blocking));
                return Err(e);
            }
        };
        Ok(Runtime::from_parts(handle, threads, blocking))
    }

    /// Starts the stall watchdog's thread over `watched`, unless stall
    /// detection is off. The thread ends at the scheduler's shutdown.
    fn start_watchdog<W: Watched + WatchdogOf>(
        &self,
        watched: Arc<W>,
    ) -> io::Result<Option<std::thread::JoinHandle<()>>> {
        let Some(threshold) = self.stall_threshold else {
            return Ok(None);
        };
        let config = WatchdogConfig {
            threshold,
            handler: self.on_stall.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("{}-watchdog", self.thread_name))
            .spawn(move || watched.watchdog().run(&*watched, &config))?;
        Ok(Some(thread))
    }

    fn blocking_pool(&self) -> BlockingPool {
        BlockingPool::new(PoolConfig {
            max_threads: self.max_blocking_threads,
            keep_alive: self.keep_alive,
            thread_name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            callbacks: self.thread_callbacks(),
        })
    }

    fn thread_callbacks(&self) -> ThreadCallbacks {
        ThreadCallbacks {
            on_start: self.on_thread_start.clone(),
            on_stop: self.on_thread_stop.clone(),
        }
    }
}

/// The reactor and a timer with one shard per worker plus one for every
/// other thread, woken through the reactor; its clock paused if asked.
fn new_driver(workers: usize, start_paused: bool, idle_spin: Duration) -> io::Result<Driver> {
    let reactor = magpie_io_driver::Reactor::new()?;
    let unpark_reactor = reactor.handle();
    let timer =
        magpie_timer::TimerHandle::new(workers + 1, Arc::new(move || unpark_reactor.unpark()));
    if start_paused {
        timer.pause();
    }
    Ok(Driver::new(reactor, timer, workers, idle_spin))
}

/// How the builder reaches a scheduler's watchdog.
trait WatchdogOf {
    fn watchdog(&self) -> &crate::observe::watchdog::Watchdog;
}

impl WatchdogOf for scheduler::Shared {
    fn watchdog(&self) -> &crate::observe::watchdog::Watchdog {
        &self.watchdog
    }
}

impl WatchdogOf for current_thread::Shared {
    fn watchdog(&self) -> &crate::observe::watchdog::Watchdog {
        &self.watchdog
    }
}

fn hook<F: Fn(&TaskMeta) + Send + Sync + 'static>(f: F) -> TaskHook {
    Arc::new(f)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("start_paused", &self.start_paused)
            .field("idle_spin", &self.idle_spin)
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("thread_keep_alive", &self.keep_alive)
            .field("stall_threshold", &self.stall_threshold)
            .finish_non_exhaustive()
    }
}
