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
//! A waker holds `wake_lock` from its swap to its count-in, and a thread
//! that slept takes that lock once on its way out. Without it, a waker
//! that swapped the state from SLEEPING could be overtaken: the thread,
//! woken meanwhile by a left-over unpark, saw WOKEN (so did not count
//! itself in), ran to the end and left, and the waker's count-in came too
//! late (an earlier version then found no scheduler, and the busy count
//! stayed one too low for good: a paused clock could auto-advance under a
//! running `block_on`).
//!
//! The fast path (a future ready without ever sleeping, as in a loop of
//! `block_on`s around uncontended operations) touches no lock and no
//! reference count: the scheduler is lent to the slot as a pointer for the
//! call, and the exit skips the lock when the thread never slept.
//!
//! Before it sleeps, the thread may spin: while a worker is awake (running
//! what the future waits for, likely), it watches `state` for a wake for up
//! to the runtime's idle spin budget (`Builder::idle_spin`), so a wait of a
//! few microseconds costs neither side a sleep and a wake-up (tens of
//! microseconds each on the benchmark VM: a `block_on` that spawns five
//! tasks and joins them took ~85 us, mostly that). The policy adapts as the
//! driver's does (`IdleSpin`): after a sleep longer than the budget, the next
//! wait sleeps at once, so a `block_on` that waits long (a server's accept
//! loop) stays at ~0% CPU. Spinning only reads `state`; the handshake is
//! the same.
//!
//! Shared state (`Accounting`): `state` (the `block_on` thread and wakers,
//! as above); `scheduler` (written only by the `block_on` thread around its
//! call; read by a waker that swapped the state from SLEEPING, under
//! `wake_lock`); `wake_lock` (wakers, and the thread leaving after a
//! sleep).

use crate::driver::IdleSpin;
use crate::scheduler::{self, park::Parker};
use crate::sync::{AtomicPtr, AtomicUsize, Mutex};
use std::future::Future;
use std::pin::pin;
use std::ptr;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

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
    /// The scheduler of the `block_on` running on the thread, lent for the
    /// call (null outside one). A waker dereferences it only after swapping
    /// `state` from SLEEPING, while holding `wake_lock`: the thread is then
    /// inside the call that set it, and cannot leave before the waker
    /// unlocks, so the scheduler is alive.
    scheduler: AtomicPtr<S>,
    /// Orders a waker's count-in before the exit of a thread that slept.
    wake_lock: Mutex<()>,
}

impl<S: BusyCount> Accounting<S> {
    pub(crate) fn new() -> Accounting<S> {
        Accounting {
            state: AtomicUsize::new(RUNNING),
            scheduler: AtomicPtr::new(ptr::null_mut()),
            wake_lock: Mutex::new(()),
        }
    }

    /// The thread enters `block_on` on `scheduler`: counted busy.
    ///
    /// # Safety
    ///
    /// `scheduler` must stay alive until the matching [`leave`](Self::leave)
    /// has returned (wakers on other threads may use it until then).
    pub(crate) unsafe fn enter(&self, scheduler: &S) {
        scheduler.block_on_running(true);
        // Relaxed: a waker reads it only after seeing SLEEPING, which this
        // thread stores later with a SeqCst compare-exchange; that orders
        // this store before the read.
        self.scheduler
            .store(ptr::from_ref(scheduler).cast_mut(), Relaxed);
    }

    /// The thread leaves `block_on` (busy, as it only leaves after a poll);
    /// `slept`: whether it slept during this call.
    pub(crate) fn leave(&self, scheduler: &S, slept: bool) {
        if slept {
            // A waker that saw this thread asleep may still be about to count
            // it in: let it finish first, or its count-in would come after
            // the count-out below and stay. (If the thread never slept in
            // this call, no waker can have seen SLEEPING since the last
            // call's exit, which took this lock.)
            drop(self.wake_lock.lock());
        }
        // Relaxed: only this thread writes it; wakers that could read it
        // are excluded by the lock above.
        self.scheduler.store(ptr::null_mut(), Relaxed);
        scheduler.block_on_running(false);
    }

    /// The thread is about to poll.
    pub(crate) fn polling(&self) {
        // A swap, not a store (the same `xchg` on x86): reading a waker's
        // WOKEN makes this thread see what the waker did before waking
        // (made the future ready), even where SeqCst is modelled as
        // acquire/release only (loom), so the poll cannot miss it.
        self.state.swap(RUNNING, SeqCst);
    }

    /// Whether a waker woke the future since the thread last polled.
    pub(crate) fn is_woken(&self) -> bool {
        self.state.load(SeqCst) == WOKEN
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
        let _counting_in = self.wake_lock.lock();
        if self.state.swap(WOKEN, SeqCst) == SLEEPING {
            // Relaxed: the SeqCst swap read the SLEEPING that the thread
            // stored after lending the scheduler.
            let scheduler = self.scheduler.load(Relaxed);
            debug_assert!(
                !scheduler.is_null(),
                "a sleeping block_on without a scheduler"
            );
            // SAFETY: the thread slept inside a `block_on` call (SLEEPING is
            // only stored there, after `enter` lent `scheduler`), and that
            // call cannot return before we unlock `wake_lock` (its `leave`
            // takes it after any sleep), so `enter`'s contract keeps the
            // scheduler alive until then.
            unsafe { &*scheduler }.block_on_running(true);
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
    struct Leave<'a> {
        accounting: &'a Accounting<scheduler::Handle>,
        scheduler: &'a scheduler::Handle,
        slept: bool,
    }

    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.accounting.leave(self.scheduler, self.slept);
        }
    }

    let mut future = pin!(future);
    WAKER.with(|(thread, waker)| {
        let accounting = &thread.accounting;
        // SAFETY: `scheduler` is borrowed for this whole call, and `leave`
        // (below) runs before the call returns or unwinds.
        unsafe { accounting.enter(scheduler) };
        let mut leave = Leave {
            accounting,
            scheduler,
            slept: false,
        };
        let mut cx = Context::from_waker(waker);
        let mut spin = IdleSpin::new(scheduler.driver().idle_spin());
        loop {
            accounting.polling();
            if let Poll::Ready(out) = magpie_coop::budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
            let awake = scheduler.shared.idle.unparked();
            if awake > 0 && awake < scheduler.num_workers() {
                if let Some(until) = spin.spin_deadline(Instant::now()) {
                    if spin_until_woken(accounting, until) {
                        continue;
                    }
                }
            }
            if !accounting.try_sleep(scheduler) {
                // Woken during the poll: poll again, still counted busy.
                continue;
            }
            leave.slept = true;
            let slept_at = Instant::now();
            thread.parker.park();
            spin.slept(slept_at.elapsed(), true);
            accounting.woke(scheduler);
        }
    })
}

/// Watches for a wake until `until`, giving the core away between looks (a
/// worker this thread waits on may share it). True when woken.
fn spin_until_woken(accounting: &Accounting<scheduler::Handle>, until: Instant) -> bool {
    loop {
        if accounting.is_woken() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::yield_now();
    }
}

/// Loom model of the accounting: see `block_on_loom_tests.rs`.
#[cfg(all(test, loom))]
#[path = "block_on_loom_tests.rs"]
mod loom_tests;
