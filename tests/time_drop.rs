//! Cancellation and teardown of timers on a real runtime: dropping an armed
//! `Sleep` (in its task, from another task, racing its firing, and from
//! inside waker code the timer driver runs) cancels it and releases its
//! waker; dropping a runtime with many pending sleeps is prompt; a sleep
//! that outlives its runtime can be dropped, and polling it panics clearly
//! instead of hanging.

mod common;

use common::{
    in_task, ms, panic_message, runtime, wait_until, with_timeout, CountingWaker, DropCount,
    HANG_LIMIT,
};
use magpie::time::{self, Duration, Instant, Sleep};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};

/// Polls `sleep` once with `waker`, expecting it to be armed (pending).
fn arm(sleep: Pin<&mut Sleep>, waker: &Waker) {
    let pending = sleep.poll(&mut Context::from_waker(waker)).is_pending();
    assert!(pending, "the sleep was expected to be still pending");
}

/// A sleep armed with a fresh counting waker, and that waker's counter.
fn armed_sleep(duration: Duration) -> (Pin<Box<Sleep>>, Arc<CountingWaker>) {
    let counter = Arc::new(CountingWaker::default());
    let mut sleep = Box::pin(time::sleep(duration));
    arm(sleep.as_mut(), &Waker::from(counter.clone()));
    assert_eq!(Arc::strong_count(&counter), 2, "the timer holds the waker");
    (sleep, counter)
}

#[test]
fn dropping_an_armed_sleep_cancels_it_and_releases_its_waker() {
    in_task(async {
        let (sleep, counter) = armed_sleep(ms(10));
        drop(sleep);
        assert_eq!(Arc::strong_count(&counter), 1, "the waker was not released");
        time::sleep(ms(30)).await;
        assert_eq!(counter.wakes(), 0, "a dropped sleep woke its waker");
    });
}

#[test]
fn dropping_a_sleep_from_another_task_cancels_it() {
    in_task(async {
        let (armed_tx, armed_rx) = futures::channel::oneshot::channel();
        let (counter_tx, counter_rx) = futures::channel::oneshot::channel();
        // Created and armed in one task (its worker's shard) ...
        magpie::spawn(async move {
            let (sleep, counter) = armed_sleep(ms(10));
            armed_tx.send(sleep).ok().unwrap();
            counter_tx.send(counter).ok().unwrap();
        });
        // ... dropped in another, possibly on the other worker.
        let dropper = magpie::spawn(async move { drop(armed_rx.await.unwrap()) });
        dropper.await.unwrap();
        let counter = counter_rx.await.unwrap();
        assert_eq!(Arc::strong_count(&counter), 1, "the waker was not released");
        time::sleep(ms(30)).await;
        assert_eq!(counter.wakes(), 0, "a dropped sleep woke its waker");
    });
}

#[test]
fn dropping_sleeps_while_they_fire_never_hangs_or_leaks_a_waker() {
    in_task(async {
        let mut counters = Vec::new();
        let mut droppers = Vec::new();
        for i in 0..200u64 {
            let (sleep, counter) = armed_sleep(ms(1 + i % 3));
            counters.push(counter);
            droppers.push(magpie::spawn(async move {
                // Let some fire first and drop others while they are due.
                time::sleep(ms(i % 4)).await;
                drop(sleep);
            }));
        }
        for dropper in droppers {
            dropper.await.unwrap();
        }
        for counter in &counters {
            assert_eq!(Arc::strong_count(counter), 1, "a waker was not released");
            assert!(counter.wakes() <= 1, "a sleep woke its waker twice");
        }
    });
}

/// A waker whose wake drops the sleep it holds; counts its wakes.
struct DropsSleepOnWake {
    sleep: Mutex<Option<Pin<Box<Sleep>>>>,
    woken: AtomicBool,
}

impl Wake for DropsSleepOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let sleep = self.sleep.lock().unwrap().take();
        drop(sleep);
        self.woken.store(true, SeqCst);
    }
}

/// Arms a 5 ms sleep whose waker drops another armed sleep of the same shard
/// (due `other_after` from now), waits until it fired, and checks that the
/// other sleep's waker was released and woken at most once.
async fn fire_a_waker_that_drops(other_after: Duration) -> usize {
    let (other, counter) = armed_sleep(other_after);
    let dropper = Arc::new(DropsSleepOnWake {
        sleep: Mutex::new(Some(other)),
        woken: AtomicBool::new(false),
    });
    let mut firing = Box::pin(time::sleep(ms(5)));
    arm(firing.as_mut(), &Waker::from(dropper.clone()));
    let start = Instant::now();
    while !dropper.woken.load(SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the 5 ms sleep never fired"
        );
        time::sleep(ms(1)).await;
    }
    assert!(dropper.sleep.lock().unwrap().is_none());
    assert_eq!(
        Arc::strong_count(&counter),
        1,
        "the dropped sleep's waker was not released"
    );
    counter.wakes()
}

#[test]
fn a_waker_run_by_the_timer_can_drop_another_sleep() {
    in_task(async {
        // The other sleep is far away: cancelled before it fires.
        assert_eq!(fire_a_waker_that_drops(Duration::from_secs(10)).await, 0);
        // The other sleep is due in the same tick, so it may already have
        // been taken out of the wheel with the firing one: either way no
        // deadlock, no leak, at most one wake.
        for _ in 0..20 {
            assert!(fire_a_waker_that_drops(ms(5)).await <= 1);
        }
    });
}

/// A waker that owns a sleep: dropping the waker's last clone drops it.
struct OwnsSleep {
    _sleep: Pin<Box<Sleep>>,
}

impl Wake for OwnsSleep {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn dropping_a_sleep_whose_waker_owns_another_sleep_cancels_both() {
    in_task(async {
        let (inner, counter) = armed_sleep(Duration::from_secs(10));
        let mut outer = Box::pin(time::sleep(Duration::from_secs(10)));
        // After this, the outer sleep's timer holds the only clone of a waker
        // that owns the inner sleep: cancelling the outer timer drops the inner
        // one, in the same shard.
        arm(
            outer.as_mut(),
            &Waker::from(Arc::new(OwnsSleep { _sleep: inner })),
        );
        assert_eq!(Arc::strong_count(&counter), 2);
        drop(outer);
        assert_eq!(
            Arc::strong_count(&counter),
            1,
            "the inner sleep was not dropped"
        );
        assert_eq!(counter.wakes(), 0);
    });
}

#[test]
fn dropping_a_runtime_with_a_thousand_pending_sleeps_is_prompt() {
    const TASKS: usize = 1_000;
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let started = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        for _ in 0..TASKS {
            let (started, guard) = (started.clone(), DropCount(dropped.clone()));
            rt.spawn(async move {
                let _guard = guard;
                started.fetch_add(1, SeqCst);
                time::sleep(Duration::from_secs(10)).await;
                unreachable!("a 10 s sleep completed before the runtime was dropped");
            });
        }
        wait_until("every task is sleeping", HANG_LIMIT, || {
            started.load(SeqCst) == TASKS
        });
        let start = Instant::now();
        drop(rt);
        let took = start.elapsed();
        println!("dropping a runtime with {TASKS} pending sleeps took {took:?}");
        assert!(
            took < Duration::from_secs(1),
            "dropping the runtime took {took:?}"
        );
        assert_eq!(
            dropped.load(SeqCst),
            TASKS,
            "not every sleeping task was dropped"
        );
    });
}

#[test]
fn a_sleep_that_outlives_its_runtime_panics_clearly_when_polled() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let entered = rt.enter();
        let (mut armed, counter) = armed_sleep(Duration::from_secs(10));
        let never_polled = time::sleep(Duration::from_secs(10));
        drop(entered);
        drop(rt);
        // Shutdown woke the armed sleep's waiter and let go of its waker.
        assert_eq!(counter.wakes(), 1);
        assert_eq!(Arc::strong_count(&counter), 1);
        let waker = futures::task::noop_waker();
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let _ = armed.as_mut().poll(&mut Context::from_waker(&waker));
        }));
        let message = panic_message(&*polled.expect_err("polling after shutdown did not panic"));
        assert!(
            message.contains("shut down"),
            "unclear panic message: {message:?}"
        );
        // Dropping either kind is fine.
        drop(armed);
        drop(never_polled);
    });
}

#[test]
fn a_thread_waiting_on_a_sleep_is_released_when_the_runtime_drops() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle().clone();
        let waiting = Arc::new(AtomicBool::new(false));
        let waiter = {
            let waiting = waiting.clone();
            std::thread::spawn(move || {
                let sleep = {
                    let _entered = handle.enter();
                    time::sleep(Duration::from_secs(10))
                };
                drop(handle);
                futures::executor::block_on(async {
                    let mut sleep = std::pin::pin!(sleep);
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                    waiting.store(true, SeqCst);
                    sleep.await;
                });
            })
        };
        wait_until("the thread waits on its sleep", HANG_LIMIT, || {
            waiting.load(SeqCst)
        });
        let start = Instant::now();
        drop(rt);
        let outcome = waiter.join();
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "the waiting thread was released after {took:?}"
        );
        let message = panic_message(&*outcome.expect_err("the 10 s sleep completed"));
        assert!(
            message.contains("shut down"),
            "unclear panic message: {message:?}"
        );
    });
}
