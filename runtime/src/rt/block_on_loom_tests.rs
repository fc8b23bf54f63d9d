//! Loom model of the busy accounting of a `block_on` thread: whatever the
//! interleaving of a wake with the thread's poll, sleep, spurious wake-up and
//! exit, the count never drops below zero and ends at zero, and a waker
//! only counts the thread in while the thread is still inside the call
//! (the scheduler it uses is only lent for the call).
//!
//! Run with the other loom models (see `scheduler/loom_tests.rs`).

use super::{Accounting, BusyCount};
use crate::scheduler::park::Parker;
use loom::sync::atomic::{AtomicBool, AtomicIsize};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

/// The busy count of a scheduler with one `block_on` thread, and whether
/// the thread is still inside its call (the scheduler still lent).
struct Counter {
    count: AtomicIsize,
    inside: AtomicBool,
}

impl BusyCount for Counter {
    fn block_on_running(&self, running: bool) {
        assert!(
            self.inside.load(SeqCst),
            "the scheduler was used after the block_on call returned"
        );
        let delta = if running { 1 } else { -1 };
        let now = self.count.fetch_add(delta, SeqCst) + delta;
        // A waker may count the thread in just before the thread counts
        // itself out for its sleep (1 -> 2 -> 1): harmless, the count only
        // holds back auto-advance. Below 0 is the bug.
        assert!(now >= 0, "busy count {now}");
    }
}

/// The thread polls a future that is ready once `ready` is set (by the
/// waker, before it wakes); `leftover` starts the parker with an unpark left
/// over from an earlier wake, so the first park returns at once; `spin`
/// adds the look for a wake that the idle spin takes before the sleep (a
/// wake it sees leaves an unpark behind, like `leftover`).
fn model(leftover: bool, spin: bool) {
    loom::model(move || {
        let count = Arc::new(Counter {
            count: AtomicIsize::new(0),
            inside: AtomicBool::new(true),
        });
        let accounting = Arc::new(Accounting::new());
        let parker = Arc::new(Parker::new());
        let ready = Arc::new(AtomicBool::new(false));
        if leftover {
            parker.unpark();
        }

        let waker = {
            let (accounting, parker, ready) = (accounting.clone(), parker.clone(), ready.clone());
            thread::spawn(move || {
                ready.store(true, SeqCst);
                accounting.wake();
                parker.unpark();
            })
        };

        // SAFETY: `count` outlives the model; `inside` checks the lending.
        unsafe { accounting.enter(&*count) };
        let mut slept = false;
        loop {
            accounting.polling();
            if ready.load(SeqCst) {
                break;
            }
            // One look of the spin before sleeping.
            if spin && accounting.is_woken() {
                continue;
            }
            if !accounting.try_sleep(&count) {
                continue;
            }
            slept = true;
            parker.park();
            accounting.woke(&count);
        }
        accounting.leave(&count, slept);
        count.inside.store(false, SeqCst);
        waker.join().unwrap();
        assert_eq!(
            count.count.load(SeqCst),
            0,
            "counted out exactly once in the end"
        );
    });
}

#[test]
fn loom_block_on_accounting_wake_races_the_sleep() {
    model(false, false);
}

#[test]
fn loom_block_on_accounting_wake_races_the_spin_and_the_sleep() {
    model(false, true);
}

#[test]
fn loom_block_on_accounting_wake_races_a_leftover_unpark_and_the_exit() {
    model(true, false);
}

#[test]
fn loom_block_on_accounting_wake_races_the_spin_and_a_leftover_unpark() {
    model(true, true);
}
