//! A small stand-in for the runtime's driver thread, used by the crate's integration tests:
//! `loop { park_timeout -> park on a condvar; process }`, unparked through the `unpark` callback,
//! plus helpers to run futures on plain threads with the timer entered.
#![allow(dead_code)] // each test binary uses a different subset

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use magpie_timer::context::{self, EnterGuard};
use magpie_timer::TimerHandle;
use parking_lot::{Condvar, Mutex};

/// A sticky unpark flag plus what the driver is doing, for tests to wait on.
#[derive(Default)]
struct Parker {
    state: Mutex<ParkerState>,
    changed: Condvar,
}

#[derive(Default)]
struct ParkerState {
    notified: bool,
    /// `Some(timeout)` while the driver is blocked (`timeout` as given by `park_timeout`).
    blocked_for: Option<Option<Duration>>,
}

impl Parker {
    fn unpark(&self) {
        self.state.lock().notified = true;
        self.changed.notify_all();
    }

    fn park(&self, timeout: Option<Duration>) {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let mut state = self.state.lock();
        state.blocked_for = Some(timeout);
        self.changed.notify_all();
        while !state.notified {
            match deadline {
                Some(deadline) => {
                    if self.changed.wait_until(&mut state, deadline).timed_out() {
                        break;
                    }
                }
                None => self.changed.wait(&mut state),
            }
        }
        state.notified = false;
        state.blocked_for = None;
    }
}

/// A driver thread for one `TimerHandle`; shuts the timer down and joins on drop.
pub struct TestDriver {
    handle: TimerHandle,
    parker: Arc<Parker>,
    stop: Arc<AtomicBool>,
    unparks: Arc<AtomicUsize>,
    fired: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl TestDriver {
    pub fn start(shards: usize) -> TestDriver {
        let parker = Arc::new(Parker::default());
        let unparks = Arc::new(AtomicUsize::new(0));
        let unpark: Arc<dyn Fn() + Send + Sync> = {
            let parker = parker.clone();
            let unparks = unparks.clone();
            Arc::new(move || {
                unparks.fetch_add(1, Ordering::SeqCst);
                parker.unpark();
            })
        };
        let handle = TimerHandle::new(shards, unpark);
        let stop = Arc::new(AtomicBool::new(false));
        let fired = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (handle, parker, stop, fired) =
                (handle.clone(), parker.clone(), stop.clone(), fired.clone());
            std::thread::Builder::new()
                .name("test-timer-driver".into())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let timeout = handle.park_timeout();
                        parker.park(timeout);
                        fired.fetch_add(handle.process(), Ordering::SeqCst);
                    }
                })
                .unwrap()
        };
        TestDriver {
            handle,
            parker,
            stop,
            unparks,
            fired,
            thread: Some(thread),
        }
    }

    pub fn handle(&self) -> &TimerHandle {
        &self.handle
    }

    pub fn enter(&self, shard: usize) -> EnterGuard {
        context::enter(&self.handle, shard)
    }

    /// How many times a worker unparked the driver so far.
    pub fn unparks(&self) -> usize {
        self.unparks.load(Ordering::SeqCst)
    }

    /// How many timers the driver fired so far.
    pub fn fired(&self) -> usize {
        self.fired.load(Ordering::SeqCst)
    }

    /// Waits until the driver is blocked with a timeout accepted by `accept`.
    pub fn wait_until_blocked(&self, accept: impl Fn(Option<Duration>) -> bool) {
        let give_up = Instant::now() + Duration::from_secs(10);
        let mut state = self.parker.state.lock();
        loop {
            if let Some(timeout) = state.blocked_for {
                if accept(timeout) {
                    return;
                }
            }
            assert!(
                !self
                    .parker
                    .changed
                    .wait_until(&mut state, give_up)
                    .timed_out(),
                "the test driver never blocked as expected"
            );
        }
    }

    /// Runs `future` to completion on the current thread with the timer entered on `shard`.
    pub fn block_on<F: Future>(&self, shard: usize, future: F) -> F::Output {
        let _guard = self.enter(shard);
        futures::executor::block_on(future)
    }
}

impl Drop for TestDriver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.parker.unpark();
        if std::thread::panicking() {
            // The test failed, maybe because something deadlocked: joining or locking the
            // shards could hang, so leave the driver thread behind.
            return;
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the test driver thread panicked");
        }
        self.handle.shutdown();
    }
}

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    std::pin::Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Runs `body` on a new thread and fails the test if it does not finish within `limit` (a hang
/// would otherwise stall the whole test run).
pub fn within<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = sender.send(body());
    });
    match receiver.recv_timeout(limit) {
        Ok(value) => {
            thread.join().unwrap();
            value
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish within {limit:?} (lost wakeup or deadlock)")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: surface its panic.
            std::panic::resume_unwind(thread.join().unwrap_err())
        }
    }
}

/// A small deterministic xorshift generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// The `q`-quantile (0..=1) of `values` (sorted in place).
pub fn quantile(values: &mut [Duration], q: f64) -> Duration {
    values.sort_unstable();
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index]
}
