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
//! Shared state (`ThreadWaker`): `state` (the `block_on` thread and wakers,
//! as above), `scheduler` (set and cleared by the `block_on` thread around
//! its call; read by wakers).

use crate::scheduler::{self, park::Parker};
use parking_lot::Mutex;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering::SeqCst};

/// The `block_on` thread polls (or is about to).
const RUNNING: u8 = 0;
/// It sleeps, counted out of the busy `block_on`s.
const SLEEPING: u8 = 1;
/// Its future was woken since it last looked.
const WOKEN: u8 = 2;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct ThreadWaker {
    parker: Parker,
    /// RUNNING, SLEEPING or WOKEN (see the module comment).
    state: AtomicU8,
    /// The scheduler of the `block_on` running on the thread, if any.
    scheduler: Mutex<Option<scheduler::Handle>>,
}

impl ThreadWaker {
    fn wake_thread(&self) {
        if self.state.swap(WOKEN, SeqCst) == SLEEPING {
            if let Some(scheduler) = &*self.scheduler.lock() {
                scheduler.shared.block_on_running(true);
            }
        }
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
            state: AtomicU8::new(RUNNING),
            scheduler: Mutex::new(None),
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
    struct Running<'a>(&'a ThreadWaker);

    impl Drop for Running<'_> {
        fn drop(&mut self) {
            if let Some(scheduler) = self.0.scheduler.lock().take() {
                scheduler.shared.block_on_running(false);
            }
        }
    }

    let mut future = pin!(future);
    WAKER.with(|(thread, waker)| {
        scheduler.shared.block_on_running(true);
        *thread.scheduler.lock() = Some(scheduler.clone());
        let _running = Running(thread);
        let mut cx = Context::from_waker(waker);
        loop {
            thread.state.store(RUNNING, SeqCst);
            if let Poll::Ready(out) = magpie_coop::budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
            if thread
                .state
                .compare_exchange(RUNNING, SLEEPING, SeqCst, SeqCst)
                .is_err()
            {
                // Woken during the poll: poll again, still counted busy.
                continue;
            }
            scheduler.shared.block_on_running(false);
            thread.parker.park();
            if thread.state.swap(RUNNING, SeqCst) == SLEEPING {
                // Nobody woke us through the waker (an unpark left over, or
                // a spurious wake-up): count ourselves back in.
                scheduler.shared.block_on_running(true);
            }
        }
    })
}
