//! [`Sleep`], [`sleep`] and [`sleep_until`]: a future that completes at a deadline.

use crate::Instant;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::entry::TimerEntry;

/// Waits until `duration` has elapsed (1 ms granularity, never less than `duration`).
///
/// `Duration::ZERO` completes on the first poll; `Duration::MAX` (or any duration that
/// overflows `Instant`) is clamped to about 30 years from now and never fires in practice. The
/// timer is registered with the runtime lazily, on the first poll that has to wait.
///
/// # Panics
/// When called outside the context of a magpie runtime, or after its timer has shut down.
///
/// # Examples
/// ```
/// use magpie::time::{sleep, Duration, Instant};
///
/// #[magpie::main]
/// async fn main() {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// }
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        entry: TimerEntry::after(Instant::now(), duration),
        _pinned: PhantomPinned,
    }
}

/// Waits until `deadline`; a deadline in the past completes on the first poll.
///
/// # Panics
/// When called outside the context of a magpie runtime, or after its timer has shut down.
///
/// # Examples
/// ```
/// use magpie::time::{sleep_until, Duration, Instant};
///
/// #[magpie::main]
/// async fn main() {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// }
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        entry: TimerEntry::at(deadline),
        _pinned: PhantomPinned,
    }
}

/// Future returned by [`sleep`] and [`sleep_until`]; completes once its deadline has passed.
///
/// It is bound to the runtime that was current when it was created and can then be polled,
/// reset and dropped from any thread; dropping it cancels its timer. `Send + Sync` and, as in
/// tokio, `!Unpin`: pin it (`std::pin::pin!`, `Box::pin`) to poll or [`reset`](Self::reset) it.
///
/// # Panics
/// Polling panics once the runtime's timer has shut down.
///
/// # Examples
/// A deadline that moves: the sleep is pinned once and then reset instead of being
/// replaced.
/// ```
/// use magpie::time::{sleep, Duration, Instant};
/// use std::pin::pin;
///
/// #[magpie::main]
/// async fn main() {
///     let mut delay = pin!(sleep(Duration::from_secs(60)));
///     assert!(!delay.is_elapsed());
///     delay.as_mut().reset(Instant::now() + Duration::from_millis(5));
///     delay.as_mut().await;
///     assert!(delay.is_elapsed());
/// }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    entry: TimerEntry,
    _pinned: PhantomPinned,
}

impl Sleep {
    /// The instant at which this future completes.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{sleep_until, Duration, Instant};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let deadline = Instant::now() + Duration::from_millis(5);
    ///     let delay = sleep_until(deadline);
    ///     assert_eq!(delay.deadline(), deadline);
    ///     delay.await;
    /// }
    /// ```
    pub fn deadline(&self) -> Instant {
        self.entry.deadline()
    }

    /// Whether the deadline has been reached, i.e. whether a poll now would return `Ready`.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{sleep, Duration};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     assert!(!sleep(Duration::from_secs(60)).is_elapsed());
    ///     assert!(sleep(Duration::ZERO).is_elapsed());
    /// }
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.entry.is_elapsed()
    }

    /// Changes the deadline, whether or not this future has already completed; it then completes
    /// at the new deadline. Moving it later costs no lock; moving it earlier re-places its timer.
    ///
    /// # Examples
    /// An idle timeout that starts over whenever there is activity:
    /// ```
    /// use magpie::time::{sleep, Duration, Instant};
    /// use std::pin::pin;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let idle_limit = Duration::from_millis(10);
    ///     let mut idle = pin!(sleep(idle_limit));
    ///     let mut last_activity = Instant::now();
    ///     for _message in 0..3 {
    ///         // ... handle the message, then push the idle deadline back:
    ///         last_activity = Instant::now();
    ///         idle.as_mut().reset(last_activity + idle_limit);
    ///     }
    ///     idle.as_mut().await;
    ///     assert!(last_activity.elapsed() >= idle_limit);
    /// }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.entry_mut().reset(deadline);
    }

    fn entry_mut(self: Pin<&mut Self>) -> &mut TimerEntry {
        // SAFETY: `entry` is not structurally pinned: `TimerEntry` is `Unpin`, holds no
        // self-references and is only ever used through `&mut`; nothing is moved out of `self`.
        unsafe { &mut self.get_unchecked_mut().entry }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.entry_mut().poll_elapsed(cx)
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .finish_non_exhaustive()
    }
}
