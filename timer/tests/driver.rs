//! The driver protocol and the runtime-facing API: `park_timeout` / `process` by hand, no lost
//! unpark when an earlier timer is armed while the driver sleeps (tokio issue 3190), no needless
//! unparks, shutdown, wakers that drop timers, and the thread-local context.

mod support;

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

use futures_test::task::new_count_waker;
use magpie_timer::context;
use magpie_timer::{sleep, timeout, Sleep, TimerHandle};
use parking_lot::Mutex;
use support::{poll_once, within, Rng, TestDriver};

const MS: Duration = Duration::from_millis(1);

fn counting_handle(shards: usize) -> (TimerHandle, Arc<AtomicUsize>) {
    let unparks = Arc::new(AtomicUsize::new(0));
    let handle = TimerHandle::new(shards, {
        let unparks = unparks.clone();
        Arc::new(move || {
            unparks.fetch_add(1, Ordering::SeqCst);
        })
    });
    (handle, unparks)
}

#[test]
fn park_timeout_and_process_driven_by_hand() {
    let (handle, unparks) = counting_handle(2);
    let _guard = context::enter(&handle, 1);
    assert_eq!(
        handle.park_timeout(),
        None,
        "no timers: block until unparked"
    );
    handle.process();

    let (waker, counter) = new_count_waker();
    let mut late = Box::pin(sleep(30 * MS));
    assert_eq!(poll_once(&mut late, &waker), Poll::Pending);
    assert_eq!(
        unparks.load(Ordering::SeqCst),
        0,
        "an awake driver is never unparked"
    );
    let timeout = handle.park_timeout().unwrap();
    assert!(timeout <= 31 * MS, "{timeout:?}");

    // The driver now "sleeps" until ~30 ms: a later timer leaves it alone, an earlier one unparks.
    let mut later = Box::pin(sleep(Duration::from_secs(5)));
    assert_eq!(poll_once(&mut later, &waker), Poll::Pending);
    assert_eq!(unparks.load(Ordering::SeqCst), 0);
    let mut early = Box::pin(sleep(10 * MS));
    assert_eq!(poll_once(&mut early, &waker), Poll::Pending);
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
    let mut also_early = Box::pin(sleep(12 * MS));
    assert_eq!(poll_once(&mut also_early, &waker), Poll::Pending);
    assert_eq!(
        unparks.load(Ordering::SeqCst),
        1,
        "the target is already lower"
    );
    assert!(handle.park_timeout().unwrap() <= 11 * MS);

    std::thread::sleep(35 * MS);
    assert_eq!(handle.park_timeout(), Some(Duration::ZERO));
    assert_eq!(handle.process(), 3);
    assert_eq!(counter.get(), 3);
    assert_eq!(poll_once(&mut early, &waker), Poll::Ready(()));
    assert_eq!(poll_once(&mut late, &waker), Poll::Ready(()));
    assert_eq!(handle.armed_timers(), 1);
    drop(later);
    assert_eq!(handle.park_timeout(), None);
    handle.shutdown();
}

#[test]
fn an_earlier_timer_armed_while_the_driver_sleeps_on_a_later_one_fires_on_time() {
    let driver = Arc::new(TestDriver::start(2));
    let (waker, _counter) = new_count_waker();
    let mut long = {
        let _guard = driver.enter(0);
        Box::pin(sleep(Duration::from_secs(10)))
    };
    assert_eq!(poll_once(&mut long, &waker), Poll::Pending);
    driver.wait_until_blocked(|timeout| timeout.is_some_and(|t| t > Duration::from_secs(5)));

    let start = Instant::now();
    let took = within(Duration::from_secs(5), {
        let driver = driver.clone();
        move || {
            driver.block_on(1, async {
                sleep(5 * MS).await;
                start.elapsed()
            })
        }
    });
    assert!(
        took >= 5 * MS && took < Duration::from_secs(1),
        "took {took:?}"
    );
}

#[test]
fn arming_later_timers_does_not_unpark_the_driver() {
    let driver = TestDriver::start(2);
    let _guard = driver.enter(0);
    let (waker, counter) = new_count_waker();
    let mut first = Box::pin(sleep(Duration::from_secs(1)));
    assert_eq!(poll_once(&mut first, &waker), Poll::Pending);
    driver.wait_until_blocked(|timeout| timeout.is_some_and(|t| t > 500 * MS));
    let unparks = driver.unparks();
    let mut later: Vec<Pin<Box<Sleep>>> = (0..1000)
        .map(|i| Box::pin(sleep(Duration::from_secs(2) + i * MS)))
        .collect();
    for sleep in &mut later {
        assert_eq!(poll_once(sleep, &waker), Poll::Pending);
    }
    assert_eq!(
        driver.unparks(),
        unparks,
        "later timers must not unpark the driver"
    );
    // An earlier one does, once.
    let mut earlier = Box::pin(sleep(5 * MS));
    assert_eq!(poll_once(&mut earlier, &waker), Poll::Pending);
    assert_eq!(driver.unparks(), unparks + 1);
    drop(later);
    drop(first);
    while counter.get() == 0 {
        std::thread::sleep(MS);
    }
    std::thread::sleep(5 * MS);
    assert_eq!(counter.get(), 1);
}

#[test]
fn racing_arms_never_lose_an_unpark() {
    // Many short sleeps from two threads while the driver keeps going between "no timers" and
    // short timeouts: a lost unpark would leave a sleep waiting forever (caught by `within`).
    let driver = Arc::new(TestDriver::start(2));
    within(Duration::from_secs(30), {
        let driver = driver.clone();
        move || {
            std::thread::scope(|scope| {
                for shard in 0..2 {
                    let driver = &driver;
                    scope.spawn(move || {
                        let mut rng = Rng::new(shard as u64 + 11);
                        driver.block_on(shard, async move {
                            for _ in 0..300 {
                                let requested = Duration::from_micros(rng.below(2_000));
                                let start = Instant::now();
                                sleep(requested).await;
                                assert!(start.elapsed() >= requested);
                            }
                        });
                    });
                }
            });
        }
    });
}

#[test]
fn shutdown_wakes_pending_sleeps_whose_next_poll_panics() {
    let driver = Arc::new(TestDriver::start(2));
    let sleepers: Vec<_> = (0..3)
        .map(|shard| {
            let driver = driver.clone();
            std::thread::spawn(move || {
                driver.block_on(shard % 2, async { sleep(Duration::from_secs(10)).await })
            })
        })
        .collect();
    while driver.handle().armed_timers() < 3 {
        std::thread::sleep(MS);
    }
    let start = Instant::now();
    driver.handle().shutdown();
    assert!(driver.handle().is_shutdown());
    assert_eq!(driver.handle().armed_timers(), 0);
    for sleeper in sleepers {
        let panic = within(Duration::from_secs(5), move || sleeper.join().unwrap_err());
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        assert!(message.contains("timer has shut down"), "{message}");
    }
    assert!(start.elapsed() < Duration::from_secs(2));
    driver.handle().shutdown(); // idempotent
}

#[test]
fn after_shutdown_creating_panics_and_dropping_does_not() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, _counter) = new_count_waker();
    let mut armed = Box::pin(sleep(Duration::from_secs(10)));
    assert_eq!(poll_once(&mut armed, &waker), Poll::Pending);
    let never_polled = sleep(Duration::from_secs(10));
    driver.handle().shutdown();
    drop(armed);
    drop(never_polled);
    let created = std::panic::catch_unwind(|| drop(sleep(MS)));
    let message = *created.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("timer has shut down"), "{message}");
    let polled = std::panic::catch_unwind(|| {
        // Built before shutdown could be observed by `timeout`: poll a pending one.
        let mut pending = timeout(MS, futures::future::pending::<()>());
        let (waker, _counter) = new_count_waker();
        let _ = poll_once(&mut pending, &waker);
    });
    assert!(polled.is_err());
}

/// Drops the sleep it holds when woken.
struct DropOnWake {
    victim: Mutex<Option<Pin<Box<Sleep>>>>,
    woken: AtomicBool,
}

impl Wake for DropOnWake {
    fn wake(self: Arc<Self>) {
        self.victim.lock().take();
        self.woken.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_waker_that_drops_a_sleep_of_the_same_shard_does_not_deadlock_the_driver() {
    let driver = Arc::new(TestDriver::start(1));
    let handle = driver.handle().clone();
    within(Duration::from_secs(10), move || {
        let _guard = context::enter(&handle, 0);
        let (plain, counter) = new_count_waker();
        let mut victim = Box::pin(sleep(Duration::from_secs(10)));
        assert_eq!(poll_once(&mut victim, &plain), Poll::Pending);
        let dropper = Arc::new(DropOnWake {
            victim: Mutex::new(Some(victim)),
            woken: AtomicBool::new(false),
        });
        let mut trigger = Box::pin(sleep(5 * MS));
        assert_eq!(
            poll_once(&mut trigger, &Waker::from(dropper.clone())),
            Poll::Pending
        );
        while !dropper.woken.load(Ordering::SeqCst) {
            std::thread::sleep(MS);
        }
        assert_eq!(handle.armed_timers(), 0, "the victim was cancelled");
        futures::executor::block_on(sleep(5 * MS));
        assert_eq!(counter.get(), 0);
    });
}

/// A waker that owns a sleep, which is dropped with the waker's last reference.
struct OwnsSleep {
    _owned: Mutex<Option<Pin<Box<Sleep>>>>,
}

impl Wake for OwnsSleep {
    fn wake(self: Arc<Self>) {}
}

/// A waker whose drop drops an armed sleep of shard 0.
fn waker_owning_an_armed_sleep() -> Waker {
    let (plain, _counter) = new_count_waker();
    let mut owned = Box::pin(sleep(Duration::from_secs(10)));
    assert_eq!(poll_once(&mut owned, &plain), Poll::Pending);
    Waker::from(Arc::new(OwnsSleep {
        _owned: Mutex::new(Some(owned)),
    }))
}

#[test]
fn wakers_replaced_or_cancelled_are_dropped_outside_the_shard_lock() {
    let driver = Arc::new(TestDriver::start(1));
    let handle = driver.handle().clone();
    within(Duration::from_secs(10), move || {
        let _guard = context::enter(&handle, 0);
        // Replaced: polling with a new waker drops the stored one, the last reference.
        let mut sleep_a = Box::pin(sleep(Duration::from_secs(10)));
        assert_eq!(
            poll_once(&mut sleep_a, &waker_owning_an_armed_sleep()),
            Poll::Pending
        );
        assert_eq!(handle.armed_timers(), 2);
        let (other, _counter) = new_count_waker();
        assert_eq!(poll_once(&mut sleep_a, &other), Poll::Pending);
        assert_eq!(handle.armed_timers(), 1);
        // Cancelled: dropping the sleep drops its stored waker.
        let mut sleep_b = Box::pin(sleep(Duration::from_secs(10)));
        assert_eq!(
            poll_once(&mut sleep_b, &waker_owning_an_armed_sleep()),
            Poll::Pending
        );
        assert_eq!(handle.armed_timers(), 3);
        drop(sleep_b);
        assert_eq!(handle.armed_timers(), 1);
    });
}

#[test]
fn context_nests_and_restores() {
    let (one, _) = counting_handle(1);
    let (three, _) = counting_handle(3);
    assert!(context::try_current().is_none());
    {
        let _outer = context::enter(&one, 0);
        assert_eq!(context::try_current().unwrap().shard_count(), 1);
        {
            let _inner = context::enter(&three, 2);
            assert_eq!(context::try_current().unwrap().shard_count(), 3);
            drop(sleep(MS));
        }
        assert_eq!(context::try_current().unwrap().shard_count(), 1);
        let _any = context::enter_any_shard(&three);
        drop(sleep(MS));
    }
    assert!(context::try_current().is_none());
}

#[test]
#[should_panic(expected = "shard index 2 out of range for a timer with 2 shards")]
fn entering_an_out_of_range_shard_panics() {
    let (handle, _) = counting_handle(2);
    let _guard = context::enter(&handle, 2);
}

#[test]
#[should_panic(expected = "dropped out of order")]
fn dropping_enter_guards_out_of_order_panics() {
    let (handle, _) = counting_handle(1);
    let outer = context::enter(&handle, 0);
    let _inner = context::enter(&handle, 0);
    drop(outer);
}

#[test]
#[should_panic(expected = "`shards` must be at least 1")]
fn zero_shards_panics() {
    let (_handle, _) = counting_handle(0);
}
