//! Loom models of the worker sleep protocol: the `Parker` handshake alone,
//! on its condvar and in the IO driver (an unpark is never lost, whether it
//! comes before, during or after the park), and `Idle` + `Parker` together as a worker uses them (work pushed
//! while a worker goes to sleep is never stranded).
//!
//! Run with
//! `RUSTFLAGS="--cfg loom -C debug-assertions" cargo test -p magpie-runtime --lib --release loom`
//! (release keeps loom fast; the debug assertions check the state machine's
//! invariants in every interleaving; all models take ~15 s together).
//!
//! A lost wake-up shows up as loom's deadlock error (every thread blocked).
//! The flags the threads hand over are Relaxed on purpose: whatever the
//! woken thread must see has to be ordered by the protocol itself.

use super::idle::Idle;
use super::park::Parker;
use crate::driver::{DriverSleep, Spin};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
// Relaxed throughout: counters are read after the threads are joined, and a
// flag handed between threads must be ordered by the protocol under test,
// which is what the models check.
use std::sync::atomic::Ordering::Relaxed;

/// Runs `model` under loom over every interleaving (with at most
/// `preemptions` forced thread switches per run, when given) and reports
/// (with `--nocapture`) how many runs there were.
fn check(name: &str, preemptions: Option<usize>, model: impl Fn() + Sync + Send + 'static) {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = preemptions;
    }
    builder.check(move || {
        counter.fetch_add(1, Relaxed);
        model();
    });
    eprintln!("{name}: {} interleavings", runs.load(Relaxed));
}

/// Loom's bound on forced thread switches for the three-thread models:
/// unbounded, `idle_last_searcher` runs for more than 15 minutes; bounded
/// by 4 each takes a few seconds (5: ~10 s, 6: ~1 min).
/// `LOOM_MAX_PREEMPTIONS=n` overrides it for a deeper run.
const PREEMPTIONS: usize = 4;

/// One thread parks until it sees a flag the other sets before unparking,
/// so the unpark can land before the park, between its check and its wait,
/// or while it waits. Never a deadlock, and the flag is visible on return.
#[test]
fn loom_park_unpark() {
    check("park_unpark", None, || {
        let parker = Arc::new(Parker::new());
        let flag = Arc::new(AtomicBool::new(false));

        let (p, f) = (parker.clone(), flag.clone());
        let unparker = thread::spawn(move || {
            f.store(true, Relaxed);
            p.unpark();
        });
        // A park that returned without the flag visible would park again
        // with the token gone: a deadlock.
        while !flag.load(Relaxed) {
            parker.park();
        }
        unparker.join().unwrap();
    });
}

/// The token is consumed once: the parker can sleep again and be woken
/// again by a second unpark from the same thread.
#[test]
fn loom_park_twice() {
    check("park_twice", None, || {
        let parker = Arc::new(Parker::new());
        let stage = Arc::new(AtomicUsize::new(0));

        let (p, s) = (parker.clone(), stage.clone());
        let unparker = thread::spawn(move || {
            s.store(1, Relaxed);
            p.unpark();
            s.store(2, Relaxed);
            p.unpark();
        });
        for wanted in 1..=2 {
            while stage.load(Relaxed) < wanted {
                parker.park();
            }
        }
        unparker.join().unwrap();
    });
}

/// Two unparkers at once (a notifier and a shutdown): neither is lost, and
/// neither trips the state assertions when the other already notified.
#[test]
fn loom_park_two_unparkers() {
    check("park_two_unparkers", Some(PREEMPTIONS), || {
        let parker = Arc::new(Parker::new());
        let seen = Arc::new(AtomicUsize::new(0));

        let unparkers: Vec<_> = (0..2)
            .map(|_| {
                let (p, s) = (parker.clone(), seen.clone());
                thread::spawn(move || {
                    s.fetch_add(1, Relaxed);
                    p.unpark();
                })
            })
            .collect();
        while seen.load(Relaxed) < 2 {
            parker.park();
        }
        for unparker in unparkers {
            unparker.join().unwrap();
        }
    });
}

/// A stand-in for the IO driver's blocking poll: `block` sleeps until
/// `wake` (a mio `Waker`) was called, consuming that wake; a wake that comes
/// while nobody blocks makes the next `block` return at once, as mio's does.
struct FakeDriver {
    woken: Mutex<bool>,
    cvar: Condvar,
}

impl FakeDriver {
    fn new() -> FakeDriver {
        FakeDriver {
            woken: Mutex::new(false),
            cvar: Condvar::new(),
        }
    }

    fn block(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.cvar.wait(woken).unwrap();
        }
        *woken = false;
    }

    fn wake(&self) {
        *self.woken.lock().unwrap() = true;
        self.cvar.notify_one();
    }

    /// The driver as `park_driver` sees it, spinning at most `spins` times
    /// (a non-blocking look that consumes a pending wake, like a zero-timeout
    /// poll seeing the wake-up event) before it blocks.
    fn sleep(&self, spins: usize, look_first: bool) -> FakeSleep<'_> {
        FakeSleep {
            driver: self,
            spins,
            look_first,
        }
    }
}

struct FakeSleep<'a> {
    driver: &'a FakeDriver,
    spins: usize,
    /// `block` looks at the driver without blocking first (see there).
    look_first: bool,
}

impl DriverSleep for FakeSleep<'_> {
    fn spin(&mut self) -> Spin {
        if self.spins == 0 {
            return Spin::Block;
        }
        self.spins -= 1;
        let mut woken = self.driver.woken.lock().unwrap();
        if *woken {
            *woken = false;
            Spin::Woke
        } else {
            Spin::Again
        }
    }

    fn block(&mut self, unparked: &dyn Fn() -> bool) {
        if self.look_first {
            // A non-blocking look before the sleep (the paused clock's
            // socket check): it consumes a pending wake, as a zero-timeout
            // poll consumes the waker's event.
            *self.driver.woken.lock().unwrap() = false;
            if unparked() {
                return;
            }
        }
        self.driver.block();
    }
}

/// A worker sleeping in the IO driver (`park_driver`, after `spins` spins
/// on it, its block looking first when `look_first`) while another thread
/// unparks it once, and the worker parks until it sees the flag set before
/// the unpark. Never a deadlock.
fn park_driver_until_unparked(spins: usize, look_first: bool) {
    let parker = Arc::new(Parker::new());
    let driver = Arc::new(FakeDriver::new());
    let flag = Arc::new(AtomicBool::new(false));

    let (p, d, f) = (parker.clone(), driver.clone(), flag.clone());
    let unparker = thread::spawn(move || {
        f.store(true, Relaxed);
        p.unpark_or(|| d.wake());
    });
    while !flag.load(Relaxed) {
        parker.park_driver(&mut driver.sleep(spins, look_first));
    }
    unparker.join().unwrap();
}

/// Without spinning: the unpark lands before the park (the token is kept
/// and the driver is not entered), during it (the driver is woken), or
/// after it.
#[test]
fn loom_park_driver_unpark() {
    check("park_driver_unpark", None, || {
        park_driver_until_unparked(0, false)
    });
}

/// Spinning twice before blocking: the unpark also lands before the spin,
/// between two spins (only the token is set), or between the last spin and
/// the block (the driver must be woken).
#[test]
fn loom_park_driver_spin_then_block() {
    check("park_driver_spin_then_block", None, || {
        park_driver_until_unparked(2, false)
    });
}

/// A block that first looks at the driver without blocking (a paused
/// clock's socket check) may consume the unpark's wake-up; it must then see
/// the token and return, not sleep for good (the deadlock loom reports when
/// `block` ignores `unparked`).
#[test]
fn loom_park_driver_look_then_block() {
    check("park_driver_look_then_block", None, || {
        park_driver_until_unparked(0, true)
    });
}

/// A worker that sleeps once on the condvar, then once in the driver (it
/// picked up the reactor), woken by two unparks from the same thread: each
/// unpark reaches the right sleep, whichever way the two interleave.
#[test]
fn loom_park_condvar_then_driver() {
    check("park_condvar_then_driver", None, || {
        let parker = Arc::new(Parker::new());
        let driver = Arc::new(FakeDriver::new());
        let stage = Arc::new(AtomicUsize::new(0));

        let (p, d, s) = (parker.clone(), driver.clone(), stage.clone());
        let unparker = thread::spawn(move || {
            for next in 1..=2 {
                s.store(next, Relaxed);
                p.unpark_or(|| d.wake());
            }
        });
        while stage.load(Relaxed) < 1 {
            parker.park();
        }
        while stage.load(Relaxed) < 2 {
            parker.park_driver(&mut driver.sleep(1, false));
        }
        unparker.join().unwrap();
    });
}

/// The pieces of a runtime the sleep protocol touches: `Idle`, one
/// `Parker` per worker, a queue reduced to "one task is available", and
/// the shutdown flag.
struct Pool {
    idle: Idle,
    parkers: Vec<Parker>,
    /// The queue: true while a task waits to be taken. Any thread pushes;
    /// workers take it with a CAS.
    work: AtomicBool,
    /// Set by the worker that ran the task; every worker then exits.
    shutdown: AtomicBool,
}

impl Pool {
    fn new(workers: usize) -> Arc<Pool> {
        Arc::new(Pool {
            idle: Idle::new(workers),
            parkers: (0..workers).map(|_| Parker::new()).collect(),
            work: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
        })
    }

    /// `Shared::push_remote` without the injector: push, then wake a
    /// sleeper if `Idle` says one is needed.
    fn push(&self) {
        self.work.store(true, Relaxed);
        self.notify_parked();
    }

    fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.parkers[worker].unpark();
        }
    }

    /// A worker's loop as `worker::run` drives it, minus the queues: take
    /// the task if there is one (then shut the pool down), otherwise go
    /// through `worker::park`'s announce / re-check / sleep sequence.
    fn run_worker(&self, index: usize, mut searching: bool) {
        while !self.shutdown.load(Relaxed) {
            if self
                .work
                .compare_exchange(true, false, Relaxed, Relaxed)
                .is_ok()
            {
                if searching && self.idle.transition_from_searching() {
                    self.notify_parked();
                }
                // The task ran; end the model: every worker must exit.
                self.shutdown.store(true, Relaxed);
                for parker in &self.parkers {
                    parker.unpark();
                }
                return;
            }
            let last_searcher = self.idle.transition_to_parked(index, searching);
            if self.work.load(Relaxed) || self.shutdown.load(Relaxed) {
                searching = self.idle.transition_from_parked(index);
                if last_searcher && !searching {
                    self.notify_parked();
                }
                continue;
            }
            self.parkers[index].park();
            searching = self.idle.transition_from_parked(index);
        }
    }
}

/// One worker going to sleep while another thread pushes work: either the
/// worker's re-check sees the work, or the pusher sees the worker asleep
/// and unparks it. A stranded task leaves the worker asleep: deadlock.
#[test]
fn loom_idle_one_worker_never_strands_work() {
    check("idle_one_worker", None, || {
        let pool = Pool::new(1);
        let p = pool.clone();
        let worker = thread::spawn(move || p.run_worker(0, false));
        pool.push();
        worker.join().unwrap();
    });
}

/// Two workers, one of them the last searcher, both going to sleep while
/// work is pushed: the pusher may see a searcher and wake nobody, so the
/// searcher's re-check (or its hand-off to the other worker) must find it.
#[test]
fn loom_idle_last_searcher_never_strands_work() {
    check("idle_last_searcher", Some(PREEMPTIONS), || {
        let pool = Pool::new(2);
        assert!(pool.idle.transition_to_searching());
        let workers: Vec<_> = [(0, true), (1, false)]
            .into_iter()
            .map(|(index, searching)| {
                let p = pool.clone();
                thread::spawn(move || p.run_worker(index, searching))
            })
            .collect();
        pool.push();
        for worker in workers {
            worker.join().unwrap();
        }
    });
}
