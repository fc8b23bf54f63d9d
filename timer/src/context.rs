//! The thread-local "current timer": which [`TimerHandle`] (and which of its shards) the timers
//! created on this thread belong to. The runtime enters it on each of its threads; `sleep`,
//! `timeout` and `interval` read it when they are created and panic outside of it.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::driver::{Shard, TimerHandle, SHUT_DOWN_MESSAGE};

/// Panic message for creating a timer on a thread with no current timer.
const NO_TIMER_MESSAGE: &str =
    "there is no timer running, must be called from the context of a magpie runtime";

struct Entered {
    handle: TimerHandle,
    shard: usize,
}

struct Current {
    entered: RefCell<Option<Entered>>,
    /// Number of live `EnterGuard`s on this thread, to catch guards dropped out of order.
    depth: Cell<usize>,
}

thread_local! {
    static CURRENT: Current = const {
        Current { entered: RefCell::new(None), depth: Cell::new(0) }
    };
    /// This thread's pick for [`enter_any_shard`], assigned on first use.
    static ROUND_ROBIN_PICK: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Hands out shard picks to threads that are not workers, round robin. Relaxed: it only has to
/// spread threads over shards, no other memory depends on it.
static NEXT_ROUND_ROBIN_PICK: AtomicUsize = AtomicUsize::new(0);

/// Makes `handle` this thread's current timer until the guard drops; timers created meanwhile go
/// into shard `shard` (a worker passes its own index, so each worker arms its own shard). The
/// guard restores the previous current timer, so entering nests.
///
/// # Panics
/// If `shard >= handle.shard_count()`.
pub fn enter(handle: &TimerHandle, shard: usize) -> EnterGuard {
    assert!(
        shard < handle.shard_count(),
        "magpie_timer::context::enter: shard index {shard} out of range for a timer with {} shards",
        handle.shard_count()
    );
    CURRENT.with(|current| {
        let previous = current.entered.replace(Some(Entered {
            handle: handle.clone(),
            shard,
        }));
        let depth = current.depth.get() + 1;
        current.depth.set(depth);
        EnterGuard {
            previous,
            depth,
            _not_send: PhantomData,
        }
    })
}

/// Like [`enter`], for threads that are not workers (a `block_on` caller, blocking-pool threads):
/// the shard is picked once per thread, round robin, so such threads spread over the shards.
pub fn enter_any_shard(handle: &TimerHandle) -> EnterGuard {
    let pick = ROUND_ROBIN_PICK.with(|pick| match pick.get() {
        Some(value) => value,
        None => {
            // Relaxed: only spreads threads over shards; nothing else is published through it.
            let value = NEXT_ROUND_ROBIN_PICK.fetch_add(1, Ordering::Relaxed);
            pick.set(Some(value));
            value
        }
    });
    enter(handle, pick % handle.shard_count())
}

/// The current timer of this thread, if one is entered.
pub fn try_current() -> Option<TimerHandle> {
    CURRENT
        .try_with(|current| {
            current
                .entered
                .borrow()
                .as_ref()
                .map(|entered| entered.handle.clone())
        })
        .ok()
        .flatten()
}

/// The shard that a timer created on this thread belongs to.
///
/// # Panics
/// Outside of an entered timer, or once that timer has shut down.
/// The current time by the clock of the timer current on this thread, or std's clock outside
/// a runtime.
pub(crate) fn now() -> crate::Instant {
    CURRENT
        .try_with(|current| {
            current
                .entered
                .borrow()
                .as_ref()
                .map(|entered| entered.handle.now())
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::Instant::from_std(std::time::Instant::now()))
}

#[track_caller]
pub(crate) fn current_shard() -> Arc<Shard> {
    let shard = CURRENT
        .try_with(|current| {
            current
                .entered
                .borrow()
                .as_ref()
                .map(|entered| entered.handle.shard(entered.shard).clone())
        })
        .ok()
        .flatten();
    let Some(shard) = shard else {
        panic!("{NO_TIMER_MESSAGE}");
    };
    if shard.shared().is_shutdown() {
        panic!("{SHUT_DOWN_MESSAGE}");
    }
    shard
}

/// Restores the previous current timer when dropped. Returned by [`enter`]; not `Send`, since
/// it restores this thread's state.
///
/// # Panics
/// On drop, if guards of this thread are dropped in another order than the reverse of their
/// creation (unless the thread is already panicking).
#[must_use = "the timer stays current only while the guard is alive"]
pub struct EnterGuard {
    previous: Option<Entered>,
    depth: usize,
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard")
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let restored = self.previous.take();
        // If the thread-local is already destroyed there is nothing left to restore.
        let Ok((in_order, replaced)) = CURRENT.try_with(|current| {
            let in_order = current.depth.get() == self.depth;
            current.depth.set(self.depth - 1);
            (in_order, current.entered.replace(restored))
        }) else {
            return;
        };
        // Dropped outside the thread-local access: it may release the last handle.
        drop(replaced);
        if !in_order && !std::thread::panicking() {
            panic!(
                "magpie_timer::context::EnterGuard values were dropped out of order: \
                 drop them in the reverse order of `enter`"
            );
        }
    }
}
