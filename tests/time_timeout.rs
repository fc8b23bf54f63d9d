//! `magpie::time::timeout` on a real runtime: the inner future is polled
//! before the deadline is checked, so a ready future wins even a zero or
//! past deadline, and a pending one loses to it at once; a deadline and a
//! completion due in the same tick settle without hanging or completing
//! early; the deadline never fires early.

mod common;

use common::{ms, runtime, with_timeout, HANG_LIMIT};
use magpie::time::{self, error::Elapsed, Duration, Instant};
use std::future::{pending, ready, Future};
use std::pin::pin;
use std::task::{Context, Poll};

/// Generous bound for "completed on time" (see time_reset.rs).
const ON_TIME: Duration = Duration::from_millis(150);

fn block_on_runtime<T: Send + 'static>(body: impl Future<Output = T> + Send + 'static) -> T {
    with_timeout(HANG_LIMIT, move || runtime(2).block_on(body))
}

#[test]
fn a_ready_future_beats_a_zero_or_past_deadline() {
    block_on_runtime(async {
        let past = Instant::now() - ms(10);
        assert_eq!(time::timeout(Duration::ZERO, ready(7)).await, Ok(7));
        assert_eq!(time::timeout(Duration::ZERO, async { 8 }).await, Ok(8));
        assert_eq!(time::timeout_at(past, ready(9)).await, Ok(9));
        // From a task as well, with the inner future ready on its first poll.
        let in_task = magpie::spawn(async { time::timeout(Duration::ZERO, async { 10 }).await });
        assert_eq!(in_task.await.unwrap(), Ok(10));
    });
}

#[test]
fn a_pending_future_loses_to_a_past_deadline_on_the_first_poll() {
    block_on_runtime(async {
        let past = Instant::now() - ms(10);
        {
            let waker = futures::task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            let mut at_past = pin!(time::timeout_at(past, pending::<()>()));
            assert!(matches!(
                at_past.as_mut().poll(&mut cx),
                Poll::Ready(Err(_))
            ));
            let mut zero = pin!(time::timeout(Duration::ZERO, pending::<()>()));
            assert!(matches!(zero.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
        }

        let elapsed: Elapsed = time::timeout_at(past, pending::<()>()).await.unwrap_err();
        assert_eq!(elapsed.to_string(), "deadline has elapsed");
        let as_io: std::io::Error = elapsed.into();
        assert_eq!(as_io.kind(), std::io::ErrorKind::TimedOut);
    });
}

#[test]
fn whichever_comes_first_wins_and_the_deadline_is_never_early() {
    block_on_runtime(async {
        // The future first.
        let start = Instant::now();
        let won = time::timeout(Duration::from_secs(5), time::sleep(ms(5))).await;
        assert_eq!(won, Ok(()));
        assert!(start.elapsed() < ON_TIME + ms(5));

        // The deadline first.
        let start = Instant::now();
        let lost = time::timeout(ms(10), time::sleep(Duration::from_secs(5))).await;
        assert!(lost.is_err());
        let took = start.elapsed();
        assert!(took >= ms(10), "the deadline fired after only {took:?}");
        assert!(took < ms(10) + ON_TIME, "the deadline fired after {took:?}");

        let deadline = Instant::now() + ms(10);
        assert!(time::timeout_at(deadline, pending::<()>()).await.is_err());
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn a_completion_due_in_the_same_tick_as_the_deadline_settles_either_way() {
    // Both timers are due in the same millisecond: either outcome is right,
    // but it must come, and not before the deadline.
    let outcomes = block_on_runtime(async {
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                magpie::spawn(async move {
                    let deadline = Instant::now() + ms(1 + i % 10);
                    let outcome = time::timeout_at(deadline, time::sleep_until(deadline)).await;
                    assert!(Instant::now() >= deadline, "settled before the deadline");
                    outcome.is_ok()
                })
            })
            .collect();
        let mut completed = 0;
        for task in tasks {
            completed += usize::from(task.await.unwrap());
        }
        completed
    });
    println!("same-tick races: {outcomes} of 200 completed, the rest timed out");
}

#[test]
fn into_inner_cancels_the_deadline_and_gives_back_the_future() {
    block_on_runtime(async {
        let mut waiting = time::timeout(ms(5), Box::pin(time::sleep(ms(30))));
        // Both timers armed; then the deadline is given up before it fires.
        assert!(futures::poll!(&mut waiting).is_pending());
        assert!(waiting.deadline() <= Instant::now() + ms(5));
        let inner = waiting.into_inner();
        let deadline = inner.deadline();
        inner.await;
        let now = Instant::now();
        assert!(now >= deadline && now - deadline < ON_TIME);
    });
}
