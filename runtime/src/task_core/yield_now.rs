//! `yield_now`: give the worker to the other runnable tasks once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields execution back to the scheduler once: the task is queued behind
/// the other runnable tasks of its worker and resumes on a later poll.
///
/// # Examples
///
/// A long computation that lets the other tasks of its worker run now and
/// then:
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// let sum = rt.block_on(rt.spawn(async {
///     let mut sum = 0u64;
///     for i in 0..10_000u64 {
///         sum += i;
///         if i % 1_000 == 0 {
///             magpie::task::yield_now().await;
///         }
///     }
///     sum
/// }));
/// assert_eq!(sum.unwrap(), 49_995_000);
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A wake during our own poll marks the task NOTIFIED; the worker then
        // re-queues it at the back of its queue (not the LIFO slot).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
