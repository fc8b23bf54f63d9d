//! `sleep` / `sleep_until` / `Sleep` driven by a stand-in driver thread: never early, lateness,
//! resets, drops from other threads, 100k concurrent sleeps, and use outside a runtime.

mod support;

use magpie_timer::{Duration, Instant};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;

use futures::stream::{FuturesUnordered, StreamExt};
use futures_test::task::new_count_waker;
use magpie_timer::{sleep, sleep_until, Sleep};
use parking_lot::Mutex;
use support::{poll_once, within, Rng, TestDriver};

const MS: Duration = Duration::from_millis(1);

fn assert_send_sync<T: Send + Sync + 'static>() {}

#[test]
fn sleep_is_send_and_sync() {
    assert_send_sync::<Sleep>();
}

#[test]
fn zero_and_past_deadlines_complete_on_the_first_poll() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, counter) = new_count_waker();
    let mut zero = Box::pin(sleep(Duration::ZERO));
    assert_eq!(poll_once(&mut zero, &waker), Poll::Ready(()));
    let mut now = Box::pin(sleep_until(Instant::now()));
    assert_eq!(poll_once(&mut now, &waker), Poll::Ready(()));
    let past = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let mut past = Box::pin(sleep_until(past));
    assert!(past.is_elapsed());
    assert_eq!(poll_once(&mut past, &waker), Poll::Ready(()));
    assert_eq!(counter.get(), 0);
    assert_eq!(
        driver.handle().armed_timers(),
        0,
        "completed sleeps must not be armed"
    );
}

#[test]
fn a_sleep_first_polled_after_its_deadline_completes_promptly() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    // Keep the driver asleep on a far timer, so its wheel time lags behind the clock.
    let (waker, _counter) = new_count_waker();
    let mut far = Box::pin(sleep(Duration::from_secs(10)));
    assert_eq!(poll_once(&mut far, &waker), Poll::Pending);
    driver.wait_until_blocked(|timeout| timeout.is_some_and(|t| t > Duration::from_secs(5)));
    let short = sleep(5 * MS);
    std::thread::sleep(20 * MS);
    let start = Instant::now();
    futures::executor::block_on(short);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn huge_durations_neither_overflow_nor_fire() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, counter) = new_count_waker();
    let mut forever = Box::pin(sleep(Duration::MAX));
    assert!(forever.deadline() > Instant::now() + Duration::from_secs(86_400 * 365 * 29));
    assert_eq!(poll_once(&mut forever, &waker), Poll::Pending);
    let mut also_far = Box::pin(sleep(Duration::from_secs(u64::MAX / 4)));
    assert_eq!(poll_once(&mut also_far, &waker), Poll::Pending);
    assert_eq!(driver.handle().armed_timers(), 2);
    futures::executor::block_on(sleep(5 * MS));
    assert_eq!(counter.get(), 0);
    assert!(!forever.is_elapsed());
}

#[test]
fn a_sleep_can_be_polled_on_a_thread_without_a_runtime() {
    let driver = TestDriver::start(1);
    let sleep = {
        let _guard = driver.enter(0);
        sleep(10 * MS)
    };
    let start = Instant::now();
    within(Duration::from_secs(5), move || {
        futures::executor::block_on(sleep)
    });
    assert!(start.elapsed() >= 10 * MS);
}

#[test]
fn reset_earlier_moves_the_timer_down_the_wheel() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let start = Instant::now();
    let mut sleep = Box::pin(sleep(Duration::from_secs(10)));
    let (waker, _counter) = new_count_waker();
    assert_eq!(poll_once(&mut sleep, &waker), Poll::Pending);
    sleep.as_mut().reset(start + 20 * MS);
    assert_eq!(sleep.deadline(), start + 20 * MS);
    futures::executor::block_on(sleep.as_mut());
    let took = start.elapsed();
    assert!(
        took >= 20 * MS && took < Duration::from_secs(2),
        "took {took:?}"
    );
    assert!(sleep.is_elapsed());
}

#[test]
fn reset_later_across_levels_does_not_complete_at_the_old_deadline() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let start = Instant::now();
    let mut sleep = Box::pin(sleep(20 * MS));
    let (waker, counter) = new_count_waker();
    assert_eq!(poll_once(&mut sleep, &waker), Poll::Pending);
    // From level 0 (20 ms) to level 1 (300 ms), without touching the wheel.
    sleep.as_mut().reset(start + 300 * MS);
    // The old entry fires at 20 ms (a spurious wake); the poll re-arms for the new deadline.
    while counter.get() == 0 {
        std::thread::sleep(MS);
    }
    assert_eq!(counter.get(), 1);
    assert!(!sleep.is_elapsed());
    assert_eq!(poll_once(&mut sleep, &waker), Poll::Pending);
    futures::executor::block_on(sleep.as_mut());
    let took = start.elapsed();
    assert!(
        took >= 300 * MS && took < Duration::from_secs(3),
        "took {took:?}"
    );
}

#[test]
fn reset_after_completion_sleeps_again() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let mut sleep = pin!(sleep(5 * MS));
    futures::executor::block_on(sleep.as_mut());
    assert!(sleep.is_elapsed());
    let again = Instant::now();
    sleep.as_mut().reset(again + 30 * MS);
    assert!(!sleep.is_elapsed());
    futures::executor::block_on(sleep.as_mut());
    assert!(again.elapsed() >= 30 * MS);
    assert!(sleep.is_elapsed());
}

#[test]
fn reset_to_the_past_from_another_thread_wakes_the_waiting_task() {
    let driver = TestDriver::start(1);
    let shared: Arc<Mutex<Pin<Box<Sleep>>>> = {
        let _guard = driver.enter(0);
        Arc::new(Mutex::new(Box::pin(sleep(Duration::from_secs(10)))))
    };
    let waiter = {
        let shared = shared.clone();
        std::thread::spawn(move || {
            futures::executor::block_on(futures::future::poll_fn(|cx| {
                shared.lock().as_mut().poll(cx)
            }))
        })
    };
    // Let the waiter arm the 10 s timer, then move the deadline to the past.
    while driver.handle().armed_timers() == 0 {
        std::thread::sleep(MS);
    }
    let start = Instant::now();
    shared.lock().as_mut().reset(Instant::now());
    within(Duration::from_secs(5), move || waiter.join().unwrap());
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn dropping_a_pending_sleep_on_another_thread_cancels_it() {
    let driver = TestDriver::start(2);
    let (waker, counter) = new_count_waker();
    let mut sleeps: Vec<Pin<Box<Sleep>>> = {
        let _guard = driver.enter(1);
        (0..10).map(|_| Box::pin(sleep(15 * MS))).collect()
    };
    for sleep in &mut sleeps {
        assert_eq!(poll_once(sleep, &waker), Poll::Pending);
    }
    assert_eq!(driver.handle().armed_timers(), 10);
    std::thread::spawn(move || drop(sleeps)).join().unwrap();
    assert_eq!(driver.handle().armed_timers(), 0);
    std::thread::sleep(40 * MS);
    assert_eq!(counter.get(), 0, "a dropped sleep woke its task");
    assert_eq!(driver.fired(), 0);
}

#[test]
fn a_hundred_thousand_concurrent_sleeps_all_complete() {
    let driver = Arc::new(TestDriver::start(4));
    let start = Instant::now();
    let completed: usize = within(Duration::from_secs(60), {
        let driver = driver.clone();
        move || {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..4)
                    .map(|shard| {
                        let driver = &driver;
                        scope.spawn(move || {
                            let mut rng = Rng::new(77 + shard as u64);
                            let sleeps: FuturesUnordered<_> = (0..25_000)
                                .map(|_| {
                                    let requested = Duration::from_millis(1 + rng.below(100));
                                    async move {
                                        let start = Instant::now();
                                        sleep(requested).await;
                                        assert!(start.elapsed() >= requested);
                                    }
                                })
                                .collect();
                            driver.block_on(shard, sleeps.count())
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|worker| worker.join().unwrap())
                    .sum()
            })
        }
    });
    assert_eq!(completed, 100_000);
    // Sleeps first polled after their tick was already processed complete without the driver.
    assert!(driver.fired() <= 100_000);
    assert_eq!(driver.handle().armed_timers(), 0);
    println!(
        "100k sleeps of 1-100 ms on 4 threads: {:?}",
        start.elapsed()
    );
}

#[test]
#[should_panic(
    expected = "there is no timer running, must be called from the context of a magpie runtime"
)]
fn sleep_outside_a_runtime_panics() {
    drop(sleep(MS));
}

#[test]
#[should_panic(expected = "there is no timer running")]
fn sleep_until_outside_a_runtime_panics() {
    drop(sleep_until(Instant::now()));
}
