//! Running one closure on the runtime's blocking pool and awaiting its result: the
//! waiting side of [`context::SpawnBlocking`](crate::context::SpawnBlocking).
//!
//! [`run`] hands the closure to the hook from [`crate::context`] and returns a
//! [`BlockingResult`] future; the two share a one-shot slot (a mutex holding the result
//! and the waiting task's waker). Either side may go first or go away:
//!
//! * the future dropped while the closure is queued: the closure sees it is alone and
//!   does not run its work;
//! * the future dropped while the closure runs: the result lands in the slot and is
//!   dropped with it;
//! * the closure dropped unrun (the pool shut down, or it panicked): the future gets an
//!   `io::Error` instead of waiting forever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::context;

/// The panic message for a host name lookup with no blocking pool in context.
const NO_BLOCKING_POOL: &str = "there is no blocking pool to resolve host names on: \
     resolve host names from within a magpie runtime (inside `Runtime::block_on` or a task \
     it runs), or pass an IP address";

/// The slot both sides share.
struct Slot<R> {
    /// The closure's result, until the future takes it.
    result: Option<io::Result<R>>,
    /// The task to wake once `result` is set.
    waker: Option<Waker>,
}

/// Runs `work` on the current runtime's blocking pool; the returned future resolves to
/// its result.
///
/// # Panics
/// When this thread has no blocking pool in context (outside a magpie runtime).
pub(crate) fn run<R, F>(work: F) -> BlockingResult<R>
where
    F: FnOnce() -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    let spawn_blocking = context::spawn_blocking().expect(NO_BLOCKING_POOL);
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let completer = Completer {
        slot: Some(slot.clone()),
    };
    spawn_blocking(Box::new(move || completer.complete(work)));
    BlockingResult { slot }
}

/// The pool's side: fills the slot once, or with an error if dropped unrun.
struct Completer<R> {
    /// `None` once the slot is filled.
    slot: Option<Arc<Mutex<Slot<R>>>>,
}

impl<R> Completer<R> {
    fn complete(mut self, work: impl FnOnce() -> io::Result<R>) {
        let waiting = self
            .slot
            .as_ref()
            .is_some_and(|slot| Arc::strong_count(slot) > 1);
        if waiting {
            let result = work();
            self.fill(result);
        } else {
            // Nobody waits any more: skip the work (best effort; a future dropped
            // while `work` runs just drops the result with the slot).
            self.slot = None;
        }
    }

    fn fill(&mut self, result: io::Result<R>) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        let waker = {
            let mut slot = slot.lock();
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<R> Drop for Completer<R> {
    fn drop(&mut self) {
        self.fill(Err(io::Error::other(
            "the blocking job was dropped before it finished (the runtime is shutting down)",
        )));
    }
}

/// The result of a closure given to [`run`]. Cancel safe: dropping it never blocks and
/// leaks nothing, whether or not the closure has started.
pub(crate) struct BlockingResult<R> {
    slot: Arc<Mutex<Slot<R>>>,
}

impl<R> Future for BlockingResult<R> {
    type Output = io::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let mut slot = self.slot.lock();
        if let Some(result) = slot.result.take() {
            return Poll::Ready(result);
        }
        match &mut slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            waker => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<R> std::fmt::Debug for BlockingResult<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingResult").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reactor;
    use futures_test::task::new_count_waker;
    use std::sync::mpsc;

    /// A hook that queues jobs for the test to run (or drop) by hand.
    fn queued_hook() -> (
        context::SpawnBlocking,
        mpsc::Receiver<Box<dyn FnOnce() + Send>>,
    ) {
        let (sender, jobs) = mpsc::channel();
        let sender = Mutex::new(sender);
        let hook: context::SpawnBlocking = Arc::new(move |job| sender.lock().send(job).unwrap());
        (hook, jobs)
    }

    #[test]
    fn the_result_wakes_the_waiting_task() {
        let reactor = Reactor::new().unwrap();
        let (hook, jobs) = queued_hook();
        let _guard = context::enter_with_blocking(&reactor.handle(), hook);
        let mut result = run(|| Ok(7));
        let (waker, wakes) = new_count_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut result).poll(&mut cx).is_pending());
        jobs.try_recv().unwrap()();
        assert_eq!(wakes.get(), 1);
        match Pin::new(&mut result).poll(&mut cx) {
            Poll::Ready(Ok(7)) => {}
            other => panic!("expected Ready(Ok(7)), got {other:?}"),
        }
    }

    #[test]
    fn a_job_dropped_unrun_is_an_error_not_a_hang() {
        let reactor = Reactor::new().unwrap();
        let (hook, jobs) = queued_hook();
        let _guard = context::enter_with_blocking(&reactor.handle(), hook);
        let mut result = run(|| Ok(()));
        let (waker, wakes) = new_count_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut result).poll(&mut cx).is_pending());
        drop(jobs.try_recv().unwrap());
        assert_eq!(wakes.get(), 1);
        match Pin::new(&mut result).poll(&mut cx) {
            Poll::Ready(Err(error)) => assert!(error.to_string().contains("shutting down")),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn a_dropped_future_skips_the_queued_work() {
        let reactor = Reactor::new().unwrap();
        let (hook, jobs) = queued_hook();
        let _guard = context::enter_with_blocking(&reactor.handle(), hook);
        let ran = Arc::new(Mutex::new(false));
        let result = run({
            let ran = ran.clone();
            move || {
                *ran.lock() = true;
                Ok(())
            }
        });
        drop(result);
        jobs.try_recv().unwrap()();
        assert!(!*ran.lock());
    }

    #[test]
    #[should_panic(expected = "no blocking pool")]
    fn run_panics_without_a_pool() {
        drop(run(|| Ok(())));
    }
}
