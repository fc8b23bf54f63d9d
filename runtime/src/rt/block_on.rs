//! `block_on`: drive one future to completion on the calling thread,
//! sleeping on a `Parker` between polls.

use crate::scheduler::park::Parker;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct ThreadWaker(Parker);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// Reused across calls: a `block_on` allocates nothing per call.
    static WAKER: (Arc<ThreadWaker>, Waker) = {
        let parker = Arc::new(ThreadWaker(Parker::new()));
        let waker = Waker::from(parker.clone());
        (parker, waker)
    };
}

/// Polls `future` on this thread until it completes. The caller has
/// already entered the runtime context and the driving guard (so this is
/// never re-entered on the same thread).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    WAKER.with(|(parker, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(out) = magpie_coop::budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
            parker.0.park();
        }
    })
}
