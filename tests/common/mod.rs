//! Helpers shared by the root package's integration tests: building small
//! runtimes, drop guards that report when a future's destructor ran, bounded
//! waits that fail instead of hanging (from threads and from async code),
//! thread-callback counters, a counting waker, the descriptor limit, the
//! voluntary context switches of a runtime's named threads, and runtimes on a
//! paused clock.
//!
//! Each test binary uses only some of these, hence the `dead_code` allowance.

#![allow(dead_code)]

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Poll, Wake};
use std::thread;
use std::time::{Duration, Instant};

use magpie::runtime::{Builder, Runtime};

/// How long any single wait in these tests may take before it counts as a
/// hang (a lost wakeup, a deadlock). Generous: it only matters on failure.
pub const HANG_LIMIT: Duration = Duration::from_secs(20);

/// `millis` milliseconds.
pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Runtimes whose clock starts paused, named for assertion messages: the
/// current-thread flavor, then a multi-thread one for each entry of
/// `workers`.
pub fn paused_runtimes(workers: &[usize]) -> Vec<(String, Runtime)> {
    let mut runtimes = vec![(
        "current_thread".to_string(),
        Builder::new_current_thread()
            .start_paused(true)
            .build()
            .unwrap(),
    )];
    for &n in workers {
        let rt = Builder::new()
            .worker_threads(n)
            .start_paused(true)
            .build()
            .unwrap();
        runtimes.push((format!("multi_thread({n})"), rt));
    }
    runtimes
}

/// A runtime with `workers` worker threads and otherwise default settings.
pub fn runtime(workers: usize) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .build()
        .expect("building a test runtime")
}

/// Sets its flag when dropped: put one in a future to learn when the
/// future's destructor ran.
pub struct DropFlag(pub Arc<AtomicBool>);

impl DropFlag {
    /// A guard and the flag it sets.
    pub fn new() -> (DropFlag, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (DropFlag(flag.clone()), flag)
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Increments its counter when dropped.
pub struct DropCount(pub Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Panics with `message` when dropped (after counting the drop).
pub struct PanicOnDrop {
    pub drops: Arc<AtomicUsize>,
    pub message: &'static str,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        panic!("{}", self.message);
    }
}

/// Polls `cond` every millisecond until it holds; panics naming `what` when
/// it still does not after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` on a fresh thread and returns its result, or panics when it
/// takes longer than `limit` (a hang then fails the test instead of stalling
/// the whole run). A panic inside `f` is propagated.
pub fn with_timeout<T, F>(limit: Duration, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = thread.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the test thread neither sent a result nor panicked"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish within {limit:?}: a hang or a lost wakeup")
        }
    }
}

/// Counts `on_thread_start` / `on_thread_stop` calls of a runtime.
#[derive(Clone, Default)]
pub struct ThreadCounters {
    pub started: Arc<AtomicUsize>,
    pub stopped: Arc<AtomicUsize>,
}

impl ThreadCounters {
    /// Installs both callbacks on `builder`.
    pub fn install(&self, builder: &mut Builder) {
        let started = self.started.clone();
        let stopped = self.stopped.clone();
        builder
            .on_thread_start(move || {
                started.fetch_add(1, SeqCst);
            })
            .on_thread_stop(move || {
                stopped.fetch_add(1, SeqCst);
            });
    }

    pub fn started(&self) -> usize {
        self.started.load(SeqCst)
    }

    pub fn stopped(&self) -> usize {
        self.stopped.load(SeqCst)
    }
}

/// Names of this process's live threads (their `comm`, at most 15 bytes).
pub fn live_thread_names() -> Vec<String> {
    let mut names = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return names;
    };
    for entry in dir.flatten() {
        if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
            names.push(comm.trim_end().to_owned());
        }
    }
    names
}

/// The message of a panic payload, when it is a string.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Awaits `future`, panicking with `what` if it takes longer than
/// [`HANG_LIMIT`]: the async counterpart of [`with_timeout`].
pub async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    match magpie::time::timeout(HANG_LIMIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {HANG_LIMIT:?} waiting for {what}"),
    }
}

/// Runs `future`, calling `on_parked` the first time it returns `Pending`
/// (so the test knows it waits in the reactor, not merely that it started).
pub async fn report_first_pending<F: Future>(future: F, on_parked: impl FnOnce()) -> F::Output {
    let mut future = pin!(future);
    let mut on_parked = Some(on_parked);
    poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(output),
        Poll::Pending => {
            if let Some(on_parked) = on_parked.take() {
                on_parked();
            }
            Poll::Pending
        }
    })
    .await
}

/// A callback for [`report_first_pending`] that sends `()` on `parked`.
pub fn send_on(parked: mpsc::Sender<()>) -> impl FnOnce() {
    move || {
        let _ = parked.send(());
    }
}

/// A waker that counts its wakes. `Arc::strong_count` of it tells whether
/// something (a timer, a socket) still holds a clone.
#[derive(Default)]
pub struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }
}

impl CountingWaker {
    /// How many times it was woken so far.
    pub fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }
}

/// This process's `RLIMIT_NOFILE`, soft and hard.
pub fn descriptor_limit() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call to fill in.
    let result = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(result, 0, "getrlimit: {}", std::io::Error::last_os_error());
    limit
}

/// Sets this process's `RLIMIT_NOFILE` to `limit`.
pub fn set_descriptor_limit(limit: &libc::rlimit) {
    // SAFETY: `limit` is a valid rlimit that the call only reads.
    let result = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, limit) };
    assert_eq!(result, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// Runs `body` on a fresh 2-worker runtime, inside a spawned task (so its
/// timers live in a worker's shard), failing instead of hanging.
pub fn in_task<F>(body: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    with_timeout(HANG_LIMIT, move || {
        let rt = runtime(2);
        rt.block_on(rt.spawn(body)).unwrap();
    });
}

/// Voluntary context switches so far of this process's threads whose name
/// starts with `prefix` (`voluntary_ctxt_switches` in each thread's
/// `/proc/self/task/<tid>/status`): each wake-up of a sleeping thread ends
/// in one when it sleeps again.
pub fn wakeups_of_threads(prefix: &str) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let switches = status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
            .expect("no voluntary_ctxt_switches in /proc/self/task/*/status");
        total += switches.trim().parse::<u64>().unwrap();
    }
    total
}
