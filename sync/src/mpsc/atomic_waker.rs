//! The receiver's waker slot: one task (the receiver) registers, any thread (a
//! sender) wakes. It owns one `Option<Waker>` and the state word that guards it; it
//! uses the crate's loom shim.
//!
//! # How it works
//!
//! The state is `WAITING` (nobody inside), `REGISTERING` (the receiver is storing a
//! waker) or `WAKING` (a waker is taking the stored waker), and the two busy bits may
//! be set together. Whoever moves the state from `WAITING` to its own bit owns the
//! slot until it clears the bit. A `wake` that finds the receiver registering leaves
//! `WAKING` set, and the receiver, on its way out, finds it and wakes the waker it
//! just stored; a `register` that finds a wake in progress wakes its own waker at
//! once. So a wake is never lost, and nobody waits for anybody.

use std::task::Waker;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

/// Nobody is inside.
const WAITING: usize = 0;
/// The receiver is storing its waker.
const REGISTERING: usize = 0b01;
/// A sender is taking the waker out to wake it.
const WAKING: usize = 0b10;

/// A waker slot for one registering task and any number of waking threads.
pub(crate) struct AtomicWaker {
    /// `WAITING`, or the busy bits of who is inside. Changed by atomic
    /// read-modify-writes only.
    state: AtomicUsize,
    /// Written and read only by whoever set its bit in `state` from `WAITING`.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the slot is only touched by the one thread that owns it through `state`;
// `Waker` is `Send + Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as for `Send`.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    /// An empty slot.
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` to be woken by the next [`wake`](AtomicWaker::wake). Only one
    /// thread (the receiver) may call it at a time.
    pub(crate) fn register(&self, waker: &Waker) {
        // Acquire: see the previous owner's writes to the slot.
        match self.state.compare_exchange(
            WAITING,
            REGISTERING,
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                // SAFETY: we moved the state from WAITING to REGISTERING: the slot is
                // ours until we clear the bit.
                let old = self.waker.with_mut(|slot| unsafe {
                    match &*slot {
                        Some(current) if current.will_wake(waker) => None,
                        _ => (*slot).replace(waker.clone()),
                    }
                });
                // AcqRel: publishes the waker; sees a racing wake's bit.
                if let Err(_actual) = self.state.compare_exchange(
                    REGISTERING,
                    WAITING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    // A wake came while we were storing (the state is REGISTERING |
                    // WAKING) and left the waking to us.
                    // SAFETY: still ours: only we clear REGISTERING.
                    let to_wake = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    // AcqRel: hands the (now empty) slot back.
                    self.state.swap(WAITING, Ordering::AcqRel);
                    if let Some(to_wake) = to_wake {
                        to_wake.wake();
                    }
                }
                drop(old);
            }
            Err(WAKING) => {
                // A wake is taking the previous waker out; it may not see ours, so
                // wake ourselves: the caller polls again and finds what it waits for.
                waker.wake_by_ref();
                // The waker is mid-wake: let it finish before the caller polls again
                // (under loom, a model must see this wait as a yield).
                #[cfg(loom)]
                loom::thread::yield_now();
                #[cfg(not(loom))]
                std::hint::spin_loop();
            }
            Err(_) => {
                // Two registrations at once: the channel's `&mut` receiver rules it
                // out, so this is unreachable; waking is the safe answer anyway.
                waker.wake_by_ref();
            }
        }
    }

    /// Wakes the registered waker, if any, and empties the slot.
    pub(crate) fn wake(&self) {
        // AcqRel: takes ownership of the slot (or tells the registerer to wake).
        if self.state.fetch_or(WAKING, Ordering::AcqRel) == WAITING {
            // SAFETY: we moved the state from WAITING to WAKING: the slot is ours.
            let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
            // Release: hands the slot back.
            self.state.fetch_and(!WAKING, Ordering::Release);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl std::fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicWaker").finish_non_exhaustive()
    }
}
