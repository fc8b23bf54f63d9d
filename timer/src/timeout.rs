//! [`Timeout`], [`timeout`] and [`timeout_at`]: run a future with a deadline.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::entry::TimerEntry;
use crate::error::Elapsed;

/// Runs `future` for at most `duration`: resolves to `Ok(output)` if it completes first, else
/// `Err(Elapsed)`. The future is polled before the deadline is checked, so a future that is
/// ready completes with `Ok` even with a zero duration, and without touching the timer wheel.
/// `Duration::MAX` means, in practice, no deadline.
///
/// # Panics
/// When called outside the context of a magpie runtime, or after its timer has shut down.
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        delay: TimerEntry::after(Instant::now(), duration),
    }
}

/// Like [`timeout`], with the deadline given as an instant (a past one gives `Err(Elapsed)` unless
/// the future is ready on its first poll).
///
/// # Panics
/// When called outside the context of a magpie runtime, or after its timer has shut down.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        delay: TimerEntry::at(deadline),
    }
}

/// Future returned by [`timeout`] and [`timeout_at`]. `Unpin` when `F` is.
///
/// # Panics
/// Polling panics once the runtime's timer has shut down, unless the inner future completes.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    future: F,
    delay: TimerEntry,
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives back the wrapped future, cancelling the deadline.
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant at which the timeout elapses.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned and `delay` is not. `Timeout` never moves
        // `future` out while pinned (`into_inner` takes `self` by value, which a pinned `Timeout`
        // only allows when it is `Unpin`), has no `Drop` impl of its own and gets `Unpin` only
        // from the auto trait, i.e. only when `F: Unpin`. `delay` is `Unpin` and used by `&mut`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.future` stays where it is for as long as `self` is pinned.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match this.delay.poll_elapsed(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: std::fmt::Debug> std::fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeout")
            .field("future", &self.future)
            .field("deadline", &self.deadline())
            .finish()
    }
}
