//! `advance`: the paused clock's `time::advance` as users call it. The timer
//! moves the clock and fires the due timers; what the runtime adds is to let
//! the other tasks settle first and after: before the clock moves, every task
//! already runnable (a sleeper just spawned, say) runs until it waits, so its
//! timer is registered against the old time; after, the tasks the due timers
//! woke run until they wait again. On a current-thread runtime a single yield
//! does that (tokio's `advance` yields once); on magpie's multi-thread runtime
//! the spawned tasks sit on other workers, and a yield alone let some of them
//! register their timers after the clock moved (they then fired out of order).
//!
//! Settled means: nothing of the runtime left to run but the caller (see
//! `Scheduler::activity_besides_caller`). The caller yields until it is, or until
//! the other tasks have made `GIVE_UP_POLLS` polls (a task that never waits,
//! one looping on `yield_now`, keeps a runtime busy for good), or until
//! `GIVE_UP_AFTER` of real time passed without that (a task blocking its
//! worker's thread). Giving up is what a plain yield would have done.
//!
//! Uses the runtime's handle (`context`) and the timer's handle.

use super::context::{self, NO_RUNTIME};
use super::flavor::Scheduler;
use crate::scheduler::{worker, Activity};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Polls by other tasks after which a runtime that has not settled is taken
/// to be busy for good. Far above a test's burst of spawned sleepers (each
/// settles in one or two polls); a task looping on `yield_now` reaches it in
/// a few tens of milliseconds.
const GIVE_UP_POLLS: u64 = 100_000;

/// How long a task waits in place, in one poll, for the tasks running on
/// other workers (see `Settle::poll`).
const SPIN_IN_PLACE: Duration = Duration::from_micros(50);

/// Real time after which `advance` stops waiting for the other tasks to
/// settle (a task that blocks its worker's thread makes no polls).
const GIVE_UP_AFTER: Duration = Duration::from_secs(1);

/// Moves the paused clock forward by `duration`, once the runtime's other
/// tasks have run out of work: a task that is runnable when `advance` is
/// called (one just spawned, say) first runs until it waits, so the timers
/// it sets count from the time before the move. Then the timers due by the
/// new time fire, and the tasks they woke run until they wait again before
/// `advance` returns. On both runtime flavors (tokio's paused clock exists
/// on the current-thread one only, where one yield does this).
///
/// The wait is bounded: when other tasks never stop (one loops on
/// `yield_now`, or blocks its thread), `advance` goes on after 100,000 of
/// their polls or one second of real time, as a single yield would.
///
/// # Panics
///
/// Panics outside a runtime, and when the clock is not paused (call
/// [`pause`](magpie_timer::pause) first, or use
/// `#[magpie::test(start_paused = true)]`).
///
/// # Examples
///
/// ```
/// # mod magpie {
/// #     pub use magpie_runtime::{runtime, spawn};
/// #     pub mod time {
/// #         pub use magpie_runtime::time::advance;
/// #         pub use magpie_timer::{pause, sleep, Duration};
/// #     }
/// # }
/// use magpie::time::{self, Duration};
/// use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
/// use std::sync::Arc;
///
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     time::pause();
///     let fired = Arc::new(AtomicBool::new(false));
///     let flag = fired.clone();
///     // Not polled yet when `advance` is called: it runs first.
///     magpie::spawn(async move {
///         time::sleep(Duration::from_secs(5)).await;
///         flag.store(true, SeqCst);
///     });
///     time::advance(Duration::from_secs(4)).await;
///     assert!(!fired.load(SeqCst));
///     time::advance(Duration::from_secs(1)).await;
///     assert!(fired.load(SeqCst));
/// });
/// ```
pub async fn advance(duration: Duration) {
    let timer = match context::with_current(|handle| handle.inner.scheduler.driver().timer.clone())
    {
        Ok(timer) => timer,
        Err(_) => panic!("time::advance() must be called from the context of a magpie runtime"),
    };
    assert!(
        timer.is_paused(),
        "time::advance() needs a paused clock: call time::pause() first, or use \
         #[magpie::test(start_paused = true)]"
    );
    let settled = Settle::new(true).await;
    timer.advance(duration);
    // One bound for both waits: after giving up once, only yield.
    Settle::new(settled).await;
}

/// Resolves when the current runtime has nothing to run but the caller
/// (`true`), or when waiting gave up (`false`; see the module comment).
/// Always yields once first, as `advance` always did; with `wait` false it
/// only does that.
struct Settle {
    wait: bool,
    /// The runtime's task polls and the real time when the wait began;
    /// `None` before the first poll.
    start: Option<(u64, Instant)>,
    /// Times this future was polled (the caller's own polls, when it is a
    /// task, are among the runtime's).
    polled: u64,
}

impl Settle {
    fn new(wait: bool) -> Settle {
        Settle {
            wait,
            start: None,
            polled: 0,
        }
    }
}

impl Future for Settle {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let this = &mut *self;
        // On a worker of a multi-thread runtime, or else on a thread of its
        // own: a multi-thread `block_on`'s (`Some(false)`) or the
        // current-thread runtime's (`None`).
        let (polls, on_worker) = context::with_current(|handle| {
            let scheduler = &handle.inner.scheduler;
            let on_worker = match scheduler {
                Scheduler::MultiThread(h) => Some(worker::current_index_in(h).is_some()),
                Scheduler::CurrentThread(_) => None,
            };
            (scheduler.polls(), on_worker)
        })
        .unwrap_or_else(|_| panic!("{NO_RUNTIME}"));
        let Some((start_polls, started)) = this.start else {
            // First poll: yield once, whatever the runtime does.
            this.start = Some((polls, Instant::now()));
            return yield_now(cx, on_worker);
        };
        this.polled += 1;
        let spin_until = Instant::now() + SPIN_IN_PLACE;
        loop {
            let activity =
                context::with_current(|handle| handle.inner.scheduler.activity_besides_caller())
                    .unwrap_or_else(|_| panic!("{NO_RUNTIME}"));
            if activity == Activity::None {
                return Poll::Ready(true);
            }
            let others = polls.saturating_sub(start_polls + this.polled);
            if !this.wait || others >= GIVE_UP_POLLS || started.elapsed() >= GIVE_UP_AFTER {
                return Poll::Ready(false);
            }
            // Only other threads are busy and nothing is queued: on a worker,
            // wait here a little. Going behind its queue would wake a parked
            // worker (work to steal) and keep it from ever settling.
            if activity == Activity::Running
                && on_worker == Some(true)
                && Instant::now() < spin_until
            {
                std::thread::yield_now();
                continue;
            }
            return yield_now(cx, on_worker);
        }
    }
}

/// Lets the others run: a task goes behind its worker's queue, and the
/// current-thread `block_on` runs the queued tasks before its future; a
/// multi-thread `block_on` thread re-polls at once, so it also gives its core
/// to the workers.
fn yield_now(cx: &mut Context<'_>, on_worker: Option<bool>) -> Poll<bool> {
    cx.waker().wake_by_ref();
    if on_worker == Some(false) {
        std::thread::yield_now();
    }
    Poll::Pending
}
