//! `BlockingTask`: a closure wrapped as a future that runs it on its first
//! poll, and `BlockingSchedule`, the scheduler of such tasks.

use crate::task_core::{Notified, RawTask, Schedule};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) struct BlockingTask<F> {
    f: Option<F>,
}

impl<F> BlockingTask<F> {
    pub(crate) fn new(f: F) -> BlockingTask<F> {
        BlockingTask { f: Some(f) }
    }
}

// The closure is never pinned: it is moved out and called.
impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .f
            .take()
            .expect("a blocking task was polled after it completed");
        // A blocking closure must not be interrupted by the coop budget of
        // whatever polled it.
        Poll::Ready(f())
    }
}

/// Blocking tasks complete on their first poll and never register their
/// waker, so nothing ever re-schedules them; they are in no owned list.
#[derive(Clone, Copy)]
pub(crate) struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, _task: Notified<Self>) {
        unreachable!("blocking tasks complete on their first poll and are never woken");
    }

    fn release(&self, _task: RawTask) -> bool {
        false
    }
}
