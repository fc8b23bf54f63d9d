//! [`SignalListener`]: one receiver of one signal's deliveries.
//!
//! Owns nothing but its entry in the signal's [`Slot`](super::slot::Slot) (its waker) and
//! the delivery count it has seen; uses the slot's lock for everything.

use std::os::raw::c_int;
use std::task::{Context, Poll};

use super::slot::Slot;
use crate::ReactorHandle;

/// Receives the deliveries of one signal from the moment it was created: every listener
/// of a signal sees each delivery, and one that arrives while nobody polls is kept
/// until the next poll. Deliveries between two polls coalesce into one.
pub struct SignalListener {
    slot: &'static Slot,
    signum: c_int,
    /// This listener's entry in the slot's waker table.
    key: usize,
    /// The slot's delivery count when this listener last reported one (or was made).
    seen: u64,
    /// The reactor that drains the self-pipe for it; once it is shut down, no delivery
    /// can come any more.
    handle: ReactorHandle,
}

impl SignalListener {
    /// A listener of `slot` (whose handler is installed) served by `handle`'s reactor.
    pub(super) fn new(slot: &'static Slot, signum: c_int, handle: ReactorHandle) -> Self {
        let mut state = slot.state().lock();
        let key = state.wakers.insert(None);
        let seen = state.generation;
        drop(state);
        SignalListener {
            slot,
            signum,
            key,
            seen,
            handle,
        }
    }

    /// The signal number listened for.
    pub fn signum(&self) -> c_int {
        self.signum
    }

    /// `Ready(Some(()))` if the signal was delivered since the last `Ready` (or since
    /// this listener was made); `Ready(None)` once the reactor serving it has shut
    /// down; otherwise `Pending`, and `cx`'s waker is woken by the next delivery.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut state = self.slot.state().lock();
        if state.generation != self.seen {
            self.seen = state.generation;
            state.wakers[self.key] = None;
            return Poll::Ready(Some(()));
        }
        if self.handle.is_shutdown() {
            state.wakers[self.key] = None;
            return Poll::Ready(None);
        }
        match &mut state.wakers[self.key] {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for SignalListener {
    fn drop(&mut self) {
        let waker = self.slot.state().lock().wakers.remove(self.key);
        drop(waker); // outside the lock
    }
}

impl std::fmt::Debug for SignalListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalListener")
            .field("signum", &self.signum)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}
