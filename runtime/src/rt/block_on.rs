//! `block_on` on a multi-thread runtime: drive one future to completion on
//! the calling thread, sleeping on a `Parker` between polls.
//!
//! The thread also reports to the scheduler whether it is awake, because a
//! paused clock may only auto-advance while no `block_on` thread can still
//! create work. It counts itself busy when it starts, and out only when it
//! really goes to sleep: not when its future was woken during the poll
//! (`WOKEN`). Whoever ends the sleep first counts it back in: the waker,
//! before it unparks the thread (so the woken thread is never counted
//! idle), or the thread itself after a spurious wake-up. `state` decides:
//! the thread moves it RUNNING -> SLEEPING (and counts out) only if no wake
//! came; a waker swaps it to WOKEN and counts in only if it was SLEEPING;
//! the waking thread swaps it back to RUNNING and counts in only if it
//! still was SLEEPING.
//!
//! A waker holds the thread's scheduler slot locked from its swap to its
//! count-in. Before, it swapped first and locked after: a thread woken by a
//! left-over unpark in between saw WOKEN (so did not count itself in), ran
//! to the end and cleared the slot, the waker then found no scheduler, and
//! the busy count stayed one too low for good (a paused clock could then
//! auto-advance while a `block_on` thread was running).
//!
//! Shared state (`Accounting`): `state` (the `block_on` thread and wakers,
//! as above), `scheduler` (set and cleared by the `block_on` thread around
//! its call; read by wakers under its lock).

use crate::scheduler::{self, park::Parker};
use crate::sync::{AtomicUsize, Mutex};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The `block_on` thread polls (or is about to).
const RUNNING: usize = 0;
/// It sleeps, counted out of the busy `block_on`s.
const SLEEPING: usize = 1;
/// Its future was woken since it last looked.
const WOKEN: usize = 2;

/// Where a `block_on` thread counts itself busy or asleep: its scheduler
/// (a counter in the loom model).
pub(crate) trait BusyCount {
    fn block_on_running(&self, running: bool);
}

impl BusyCount for scheduler::Handle {
    fn block_on_running(&self, running: bool) {
        self.shared.block_on_running(running);
    }
}

/// The busy accounting of one `block_on` thread (see the module comment).
pub(crate) struct Accounting<S> {
    /// RUNNING, SLEEPING or WOKEN.
    state: AtomicUsize,
    /// The scheduler of the `block_on` running on the thread, if any. Its
    /// lock also orders a waker's count-in against the thread leaving
    /// `block_on`: a waker holds it from its swap to its count-in, so the
    /// thread (which needs it to leave) cannot count itself out for good in
    /// between and leave the waker's count-in to nobody.
    scheduler: Mutex<Option<S>>,
}

impl<S: BusyCount> Accounting<S> {
    pub(crate) fn new() -> Accounting<S> {
        Accounting {
            state: AtomicUsize::new(RUNNING),
            scheduler: Mutex::new(None),
        }
    }

    /// The thread enters `block_on` on `scheduler`: counted busy.
    pub(crate) fn enter(&self, scheduler: S) {
        scheduler.block_on_running(true);
        *self.scheduler.lock() = Some(scheduler);
    }

    /// The thread leaves `block_on` (busy, as it only leaves after a poll).
    pub(crate) fn leave(&self) {
        if let Some(scheduler) = self.scheduler.lock().take() {
            scheduler.block_on_running(false);
        }
    }

    /// The thread is about to poll.
    pub(crate) fn polling(&self) {
        // A swap, not a store (the same `xchg` on x86): reading a waker's
        // WOKEN makes this thread see what the waker did before waking
        // (made the future ready), even where SeqCst is modelled as
        // acquire/release only (loom), so the poll cannot miss it.
        self.state.swap(RUNNING, SeqCst);
    }

    /// The poll returned pending: true when the thread may sleep (it is then
    /// counted out); false when a wake came during the poll (poll again).
    pub(crate) fn try_sleep(&self, scheduler: &S) -> bool {
        if self
            .state
            .compare_exchange(RUNNING, SLEEPING, SeqCst, SeqCst)
            .is_err()
        {
            return false;
        }
        scheduler.block_on_running(false);
        true
    }

    /// The thread woke from its sleep.
    pub(crate) fn woke(&self, scheduler: &S) {
        if self.state.swap(RUNNING, SeqCst) == SLEEPING {
            // Nobody woke us through the waker (an unpark left over, or a
            // spurious wake-up): count ourselves back in.
            scheduler.block_on_running(true);
        }
    }

    /// A waker woke the future: counts a sleeping thread back in, before
    /// the caller unparks it (so the woken thread is never counted idle).
    pub(crate) fn wake(&self) {
        let scheduler = self.scheduler.lock();
        if self.state.swap(WOKEN, SeqCst) == SLEEPING {
            if let Some(scheduler) = &*scheduler {
                scheduler.block_on_running(true);
            }
        }
    }
}

struct ThreadWaker {
    parker: Parker,
    accounting: Accounting<scheduler::Handle>,
}

impl ThreadWaker {
    fn wake_thread(&self) {
        self.accounting.wake();
        self.parker.unpark();
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_thread();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wake_thread();
    }
}

thread_local! {
    /// Reused across calls: a `block_on` allocates nothing per call.
    static WAKER: (Arc<ThreadWaker>, Waker) = {
        let thread = Arc::new(ThreadWaker {
            parker: Parker::new(),
            accounting: Accounting::new(),
        });
        let waker = Waker::from(thread.clone());
        (thread, waker)
    };
}

/// Polls `future` on this thread until it completes, reporting to
/// `scheduler` when this thread sleeps and wakes. The caller has already
/// entered the runtime context and the driving guard (so this is never
/// re-entered on the same thread).
pub(crate) fn block_on<F: Future>(scheduler: &scheduler::Handle, future: F) -> F::Output {
    /// Counts this thread out of the busy `block_on`s however it leaves.
    struct Leave<'a>(&'a Accounting<scheduler::Handle>);

    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.leave();
        }
    }

    let mut future = pin!(future);
    WAKER.with(|(thread, waker)| {
        let accounting = &thread.accounting;
        accounting.enter(scheduler.clone());
        let _leave = Leave(accounting);
        let mut cx = Context::from_waker(waker);
        loop {
            accounting.polling();
            if let Poll::Ready(out) = magpie_coop::budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
            if !accounting.try_sleep(scheduler) {
                // Woken during the poll: poll again, still counted busy.
                continue;
            }
            thread.parker.park();
            accounting.woke(scheduler);
        }
    })
}

/// Loom model of the accounting: see `block_on_loom_tests.rs`.
#[cfg(all(test, loom))]
#[path = "block_on_loom_tests.rs"]
mod loom_tests;
