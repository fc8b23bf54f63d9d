//! `timeout` / `timeout_at`: the race between the future and the deadline, lazy registration,
//! cancellation on completion, and `Elapsed`.

mod support;

use magpie_timer::{Duration, Instant};
use std::task::Poll;

use futures::future::{pending, ready};
use futures_test::task::new_count_waker;
use magpie_timer::error::Elapsed;
use magpie_timer::{sleep, timeout, timeout_at, Timeout};
use support::{poll_once, TestDriver};

const MS: Duration = Duration::from_millis(1);

fn assert_unpin<T: Unpin>() {}

#[test]
fn timeout_is_unpin_when_its_future_is() {
    assert_unpin::<Timeout<futures::future::Ready<u8>>>();
    assert_unpin::<Timeout<std::pin::Pin<Box<magpie_timer::Sleep>>>>();
}

#[test]
fn a_ready_future_wins_even_against_a_zero_timeout_without_arming_anything() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, counter) = new_count_waker();
    let mut zero = timeout(Duration::ZERO, ready(7));
    assert_eq!(poll_once(&mut zero, &waker), Poll::Ready(Ok(7)));
    let mut long = timeout(Duration::from_secs(10), ready("done"));
    assert_eq!(poll_once(&mut long, &waker), Poll::Ready(Ok("done")));
    assert_eq!(
        driver.handle().armed_timers(),
        0,
        "no wheel operation expected"
    );
    assert_eq!(counter.get(), 0);
}

#[test]
fn a_pending_future_with_a_past_deadline_elapses_on_the_first_poll() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, _counter) = new_count_waker();
    let past = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let mut late = timeout_at(past, pending::<()>());
    let outcome: Poll<Result<(), Elapsed>> = poll_once(&mut late, &waker);
    assert!(matches!(outcome, Poll::Ready(Err(_))), "{outcome:?}");
    let mut zero = timeout(Duration::ZERO, pending::<()>());
    assert!(matches!(poll_once(&mut zero, &waker), Poll::Ready(Err(_))));
    assert_eq!(driver.handle().armed_timers(), 0);
}

#[test]
fn the_deadline_registers_only_when_the_future_is_pending_and_is_cancelled_on_drop() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, counter) = new_count_waker();
    let mut guarded = timeout(Duration::from_secs(10), pending::<()>());
    assert_eq!(poll_once(&mut guarded, &waker), Poll::Pending);
    assert_eq!(driver.handle().armed_timers(), 1);
    drop(guarded);
    assert_eq!(driver.handle().armed_timers(), 0);
    assert_eq!(counter.get(), 0);
}

#[test]
fn a_future_that_completes_in_time_returns_ok() {
    let driver = TestDriver::start(1);
    let result = driver.block_on(0, async {
        timeout(Duration::from_secs(5), async {
            sleep(10 * MS).await;
            42
        })
        .await
    });
    assert_eq!(result, Ok(42));
    assert_eq!(driver.handle().armed_timers(), 0);
}

#[test]
fn a_slow_future_elapses_at_the_deadline_not_before() {
    let driver = TestDriver::start(1);
    let start = Instant::now();
    let result = driver.block_on(0, async {
        timeout(20 * MS, sleep(Duration::from_secs(10))).await
    });
    let took = start.elapsed();
    assert!(result.is_err(), "{result:?}");
    assert!(
        took >= 20 * MS && took < Duration::from_secs(2),
        "took {took:?}"
    );
    // The inner sleep was dropped with the timeout: nothing stays armed.
    assert_eq!(driver.handle().armed_timers(), 0);
}

#[test]
fn elapsed_converts_to_a_timed_out_io_error() {
    let driver = TestDriver::start(1);
    let error = driver
        .block_on(0, async { timeout(MS, pending::<()>()).await })
        .unwrap_err();
    assert_eq!(error.to_string(), "deadline has elapsed");
    let io: std::io::Error = error.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn accessors_and_huge_durations() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let mut forever = timeout(Duration::MAX, ready(1u8));
    assert!(forever.deadline() > Instant::now() + Duration::from_secs(86_400 * 365 * 29));
    assert_eq!(forever.get_ref().clone().into_inner(), 1);
    assert_eq!(forever.get_mut().clone().into_inner(), 1);
    assert_eq!(forever.into_inner().into_inner(), 1);
}

#[test]
#[should_panic(expected = "there is no timer running")]
fn timeout_outside_a_runtime_panics() {
    drop(timeout(MS, ready(())));
}
