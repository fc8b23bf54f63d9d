//! Loom model of the current-thread sleep handshake (`Sleep`): work queued
//! by other threads while the core goes to sleep in the driver is never
//! stranded. The driver is a fake whose interruption is a sticky token, like
//! the `mio::Waker` write that makes the next poll return at once.
//!
//! Run with the other loom models:
//! `RUSTFLAGS="--cfg loom -C debug-assertions" cargo test -p magpie-runtime --lib --release loom`.
//! A lost wake-up shows up as loom's deadlock error (every thread blocked).

use super::sleep::Sleep;
use loom::sync::atomic::AtomicUsize;
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

/// A driver whose only event is an interruption (a sticky token).
struct FakeDriver {
    token: Mutex<bool>,
    cvar: Condvar,
}

impl FakeDriver {
    fn new() -> FakeDriver {
        FakeDriver {
            token: Mutex::new(false),
            cvar: Condvar::new(),
        }
    }

    /// The blocking poll: returns once the token is set, consuming it.
    fn block(&self) {
        let mut token = self.token.lock().unwrap();
        while !*token {
            token = self.cvar.wait(token).unwrap();
        }
        *token = false;
    }

    fn interrupt(&self) {
        *self.token.lock().unwrap() = true;
        self.cvar.notify_one();
    }
}

/// The core sleeps whenever the queue is empty until it has taken every
/// item that `notifiers` threads push (one each, then notify).
fn core_never_misses_queued_work(notifiers: usize) {
    let sleep = Arc::new(Sleep::new());
    let driver = Arc::new(FakeDriver::new());
    let queued = Arc::new(AtomicUsize::new(0));

    let handles: Vec<_> = (0..notifiers)
        .map(|_| {
            let (sleep, driver, queued) = (sleep.clone(), driver.clone(), queued.clone());
            thread::spawn(move || {
                queued.fetch_add(1, SeqCst);
                sleep.notify(|| driver.interrupt());
            })
        })
        .collect();

    let mut taken = 0;
    while taken < notifiers {
        let available = queued.load(SeqCst);
        if available > taken {
            taken = available;
            continue;
        }
        sleep.park(|| queued.load(SeqCst) > taken, || driver.block());
    }
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn loom_current_thread_sleep_one_notifier() {
    loom::model(|| core_never_misses_queued_work(1));
}

#[test]
fn loom_current_thread_sleep_two_notifiers() {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        // Exhaustive search of three threads is slow; 3 preemptions cover
        // every ordering of the two notifiers around the park.
        builder.preemption_bound = Some(3);
    }
    builder.check(|| core_never_misses_queued_work(2));
}
