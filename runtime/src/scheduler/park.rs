//! `Parker`: puts one thread to sleep until another unparks it, without
//! losing an unpark that arrives before the sleep (the token is kept).
//!
//! A thread sleeps either on the condvar or inside the IO driver (a worker
//! that holds the reactor blocks in `mio::Poll`); the state says which, so an
//! unparker knows whether to signal the condvar or interrupt the poll. Before
//! blocking in the driver, a parker may first spin on it (non-blocking
//! polls, see `DriverSleep`); an unpark then only has to set the token, which
//! the spinner checks between polls.
//!
//! `state` is written by the parking thread (EMPTY -> SPINNING -> PARKED_*,
//! NOTIFIED -> EMPTY) and by unparkers (any -> NOTIFIED); the mutex only
//! closes the gap between the parker's check and its condvar wait.

use crate::driver::{DriverSleep, Spin};
use crate::sync::{AtomicUsize, Condvar, Mutex};
use std::sync::atomic::Ordering::SeqCst;

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
const PARKED_DRIVER: usize = 3;
const SPINNING: usize = 4;

pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
        }
    }

    /// Sleeps until `unpark` is called; returns at once (consuming the
    /// token) if it already was. Only one thread may park on a Parker.
    pub(crate) fn park(&self) {
        // SeqCst everywhere here: the handshake is rare on the hot path and
        // the total order makes the protocol easy to check.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = self.lock.lock();
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.consume_token();
                return;
            }
            Err(actual) => unreachable!("parker state {actual} while parking"),
        }
        loop {
            guard = self.cvar.wait(guard);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wake-up: wait again.
        }
    }

    /// Sleeps in the IO driver unless an unpark is already pending: first
    /// spins on `driver.spin()` while it says `Again` (an unpark meanwhile
    /// just leaves the token, seen before the next round), then, unless the
    /// spin found events, sleeps in `driver.block()`. An `unpark` during the
    /// block calls the `wake_driver` it is given, which must make `block`
    /// return.
    pub(crate) fn park_driver(&self, driver: &mut impl DriverSleep) {
        match self.state.compare_exchange(EMPTY, SPINNING, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.consume_token();
                return;
            }
            Err(actual) => unreachable!("parker state {actual} while parking"),
        }
        loop {
            if self.state.load(SeqCst) == NOTIFIED {
                self.consume_token();
                return;
            }
            match driver.spin() {
                Spin::Again => {}
                Spin::Woke => {
                    // Consume an unpark that raced with the last poll.
                    self.state.swap(EMPTY, SeqCst);
                    return;
                }
                Spin::Block => break,
            }
        }
        // From here an unparker must interrupt the poll: announce it.
        match self
            .state
            .compare_exchange(SPINNING, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.consume_token();
                return;
            }
            Err(actual) => unreachable!("parker state {actual} while spinning"),
        }
        driver.block(&|| self.state.load(SeqCst) == NOTIFIED);
        // Consume an unpark that arrived during (or right after) the poll.
        self.state.swap(EMPTY, SeqCst);
    }

    /// Clears a token a CAS just saw. A swap, not a store: another unpark
    /// may have come since that read, and only a read-modify-write (which
    /// reads the latest value) synchronizes with it, so that what every
    /// unparker wrote before unparking is visible once the park returns.
    fn consume_token(&self) {
        let prev = self.state.swap(EMPTY, SeqCst);
        debug_assert_eq!(prev, NOTIFIED, "parker state changed under the park");
    }

    /// Wakes a thread parked on the condvar, or makes its next `park` return
    /// at once. Only for parkers that never use `park_driver`.
    pub(crate) fn unpark(&self) {
        self.unpark_or(|| unreachable!("a condvar-only parker was parked in the driver"));
    }

    /// Wakes the parked thread, calling `wake_driver` if it sleeps in the IO
    /// driver, or makes its next park return at once.
    pub(crate) fn unpark_or(&self, wake_driver: impl FnOnce()) {
        match self.state.swap(NOTIFIED, SeqCst) {
            // A spinner sees the token before its next poll.
            EMPTY | NOTIFIED | SPINNING => {}
            PARKED_DRIVER => wake_driver(),
            PARKED => {
                // Taking the lock orders this notify after the parker's wait
                // began (it releases the lock only inside `wait`).
                drop(self.lock.lock());
                self.cvar.notify_one();
            }
            actual => unreachable!("parker state {actual} while unparking"),
        }
    }
}
