//! `Sleep`: the handshake between the current-thread core going to sleep in
//! the driver and the threads that queue work for it, so that no wake-up is
//! lost and no wake costs a syscall while the core is awake.
//!
//! The sleeper announces itself (`parked = true`), then looks for work once
//! more, and blocks in the driver only if there is none. A notifier first
//! publishes its work (a queue push, a woken flag), then interrupts the
//! driver only if it sees the announcement. A SeqCst fence stands between
//! the write and the read on each side (the store-buffering pattern), so of
//! the sleeper's re-check and the notifier's read of `parked` at least one
//! sees the other's write: either the sleeper finds the work, or the
//! notifier interrupts it. (Fences rather than SeqCst accesses alone: loom
//! models fences exactly, and the model below found the lost wake-up that
//! SeqCst accesses alone allow under its memory model.) The driver's interruption is sticky (a `mio::Waker` write
//! before the poll makes the poll return at once), so an interruption that
//! lands just before the block is not lost. Modeled in `loom_tests`.
//!
//! `parked` is written by the core's thread only, read by every notifier.
//!
//! Uses the crate's `sync` shim (loom's atomics under `--cfg loom`).

use crate::sync::{fence, AtomicBool};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

#[derive(Debug)]
pub(crate) struct Sleep {
    parked: AtomicBool,
}

impl Sleep {
    pub(crate) fn new() -> Sleep {
        Sleep {
            parked: AtomicBool::new(false),
        }
    }

    /// The core's side: announces the park, runs `block` (the driver's
    /// blocking poll) unless `has_work` finds work after the announcement,
    /// and clears the announcement. Returns whether it blocked.
    pub(crate) fn park(&self, has_work: impl FnOnce() -> bool, block: impl FnOnce()) -> bool {
        // Relaxed + fence: the fence orders this store before the re-check.
        self.parked.store(true, Relaxed);
        fence(SeqCst);
        let blocked = !has_work();
        if blocked {
            block();
        }
        // Relaxed: a notifier that still sees `true` only interrupts once
        // too often (the token makes the next park return at once).
        self.parked.store(false, Relaxed);
        blocked
    }

    /// A notifier's side, after it published its work: runs `interrupt`
    /// (the driver's unpark) when the core may be asleep.
    pub(crate) fn notify(&self, interrupt: impl FnOnce()) {
        // Orders the caller's publication before the read of `parked`.
        fence(SeqCst);
        // Relaxed: the fences on both sides carry the ordering.
        if self.parked.load(Relaxed) {
            interrupt();
        }
    }
}
