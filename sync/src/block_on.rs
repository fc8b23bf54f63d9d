//! `block_on` for the locks' `blocking_*` methods: polls one future on the calling
//! thread and parks the thread between polls. Uses only std.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Unparks the thread that blocks.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread. A spurious unpark costs one more poll.
///
/// # Panics
///
/// When called inside an async task or a runtime's `block_on` future: blocking there
/// would stall the thread that drives those tasks (and deadlock it if the value it
/// waits for must come from one of them). tokio's `blocking_*` methods panic there
/// too; `spawn_blocking` threads and plain threads may block.
#[track_caller]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    assert!(
        !magpie_coop::in_task_poll(),
        "a blocking_* method of magpie::sync was called inside an async task (or a \
         runtime's block_on), where it would block the thread that runs the tasks; \
         use the async method with .await, or call it from spawn_blocking or a plain thread"
    );
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
