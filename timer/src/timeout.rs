//! [`Timeout`], [`timeout`] and [`timeout_at`]: run a future with a deadline.

use crate::Instant;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::entry::TimerEntry;
use crate::error::Elapsed;

/// Runs `future` for at most `duration`: resolves to `Ok(output)` if it completes first, else
/// `Err(Elapsed)`. The future is polled before the deadline is checked, so a future that is
/// ready completes with `Ok` even with a zero duration, and without touching the timer wheel.
/// `Duration::MAX` means, in practice, no deadline.
///
/// # Panics
/// When called outside the context of a magpie runtime, or after its timer has shut down.
///
/// # Examples
/// ```
/// use magpie::time::{timeout, Duration};
///
/// #[magpie::main]
/// async fn main() {
///     let in_time = timeout(Duration::from_secs(60), async { 7 }).await;
///     assert_eq!(in_time, Ok(7));
///
///     let too_slow = timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
///     assert!(too_slow.is_err());
/// }
/// ```
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
///
/// # Examples
/// One deadline shared by several steps:
/// ```
/// use magpie::time::{timeout_at, Duration, Instant};
///
/// #[magpie::main]
/// async fn main() {
///     let deadline = Instant::now() + Duration::from_secs(60);
///     let first = timeout_at(deadline, async { 1 }).await;
///     let second = timeout_at(deadline, async { 2 }).await;
///     assert_eq!((first, second), (Ok(1), Ok(2)));
///
///     let past = Instant::now() - Duration::from_millis(1);
///     assert!(timeout_at(past, std::future::pending::<()>()).await.is_err());
/// }
/// ```
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
///
/// # Examples
/// Waiting a while for a task, and keeping its handle when the wait times out:
/// ```
/// use magpie::time::{timeout, Duration};
///
/// #[magpie::main]
/// async fn main() {
///     let task = magpie::spawn(std::future::pending::<()>());
///     let mut waiting = timeout(Duration::from_millis(10), task);
///     assert!((&mut waiting).await.is_err());
///     let task = waiting.into_inner();
///     task.abort();
///     assert!(task.await.unwrap_err().is_cancelled());
/// }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    future: F,
    delay: TimerEntry,
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{sleep_until, timeout, Duration, Instant};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let wake_at = Instant::now() + Duration::from_millis(5);
    ///     let limited = timeout(Duration::from_secs(60), sleep_until(wake_at));
    ///     assert_eq!(limited.get_ref().deadline(), wake_at);
    ///     assert_eq!(limited.await, Ok(()));
    /// }
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    ///
    /// # Examples
    /// Bringing the wrapped sleep forward so that it completes before the timeout:
    /// ```
    /// use magpie::time::{sleep, timeout, Duration, Instant};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let mut limited = timeout(Duration::from_secs(30), Box::pin(sleep(Duration::from_secs(60))));
    ///     limited.get_mut().as_mut().reset(Instant::now());
    ///     assert_eq!(limited.await, Ok(()));
    /// }
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives back the wrapped future, cancelling the deadline.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{timeout, Duration};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let limited = timeout(Duration::from_millis(1), async { "no deadline any more" });
    ///     // Give up on the deadline before polling: the future runs as long as it needs.
    ///     let unlimited = limited.into_inner();
    ///     assert_eq!(unlimited.await, "no deadline any more");
    /// }
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant at which the timeout elapses.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{timeout_at, Duration, Instant};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let deadline = Instant::now() + Duration::from_secs(5);
    ///     let limited = timeout_at(deadline, async {});
    ///     assert_eq!(limited.deadline(), deadline);
    ///     assert_eq!(limited.await, Ok(()));
    /// }
    /// ```
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
