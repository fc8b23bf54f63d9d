//! The test clock: `pause`, `resume` and `advance` on the clock of the
//! runtime current on this thread (tokio's `time::pause` family, on both
//! runtime flavors). Auto-advance (the clock jumping to the next timer when
//! the runtime has nothing else to do) is the runtime's part: it calls
//! `TimerHandle::auto_advance` when it goes idle.
//!
//! Uses the thread's timer context.

use crate::context;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

const OUTSIDE_RUNTIME: &str = "time::pause(), resume() and advance() must be called from the \
     context of a magpie runtime: inside #[magpie::test], Runtime::block_on or a task";

/// Pauses the runtime's clock: [`Instant::now`](crate::Instant::now) stands
/// still, and timers move only when the clock does: by [`advance`], or on
/// its own when every task waits only on timers (auto-advance: the clock
/// jumps to the next deadline). A `spawn_blocking` job in flight holds the
/// clock still, and so does any runnable task or socket event. Unlike
/// tokio's, this works on the multi-thread runtime too.
///
/// `#[magpie::test(start_paused = true)]` starts a test with the clock
/// paused.
///
/// # Panics
///
/// Panics outside a runtime, and when the clock is already paused.
///
/// # Examples
///
/// ```
/// use magpie::time::{self, Duration, Instant};
///
/// #[magpie::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     let start = Instant::now();
///     // Nothing else to do: the clock jumps straight to the deadline.
///     time::sleep(Duration::from_secs(3600)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// }
/// ```
#[track_caller]
pub fn pause() {
    match context::try_current() {
        Some(timer) => timer.pause(),
        None => panic!("{OUTSIDE_RUNTIME}"),
    }
}

/// Lets a paused clock run again, from the time it shows.
///
/// # Panics
///
/// Panics outside a runtime, and when the clock is not paused.
///
/// # Examples
///
/// ```
/// use magpie::time::{self, Duration};
///
/// #[magpie::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     time::advance(Duration::from_secs(10)).await;
///     time::resume();
///     time::sleep(Duration::from_millis(1)).await; // real time again
/// }
/// ```
#[track_caller]
pub fn resume() {
    match context::try_current() {
        Some(timer) => timer.resume(),
        None => panic!("{OUTSIDE_RUNTIME}"),
    }
}

/// Moves the paused clock forward by `duration`: timers due by then fire,
/// and their tasks run before this returns (it yields once).
///
/// This is the timer's half. `magpie::time::advance`, the runtime's, also
/// lets the other tasks settle before and after the move: on a multi-thread
/// runtime a single yield does not run the tasks queued on other workers.
///
/// # Panics
///
/// Panics outside a runtime, and when the clock is not paused (call
/// [`pause`] first, or use `#[magpie::test(start_paused = true)]`).
///
/// # Examples
///
/// ```
/// use magpie::time::{self, Duration};
///
/// #[magpie::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     let mut sleep = Box::pin(time::sleep(Duration::from_millis(100)));
///     time::advance(Duration::from_millis(99)).await;
///     assert!(!sleep.is_elapsed());
///     time::advance(Duration::from_millis(1)).await;
///     assert!(sleep.is_elapsed());
///     sleep.await;
/// }
/// ```
pub async fn advance(duration: Duration) {
    match context::try_current() {
        Some(timer) => timer.advance(duration),
        None => panic!("{OUTSIDE_RUNTIME}"),
    }
    YieldOnce { yielded: false }.await
}

/// Returns `Pending` once (waking itself), so the tasks that `advance` woke
/// run before the caller continues.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
