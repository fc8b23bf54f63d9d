//! `Sleep::reset` on a real runtime: moving an armed deadline earlier, later
//! (across wheel levels, and repeatedly), resetting after the sleep fired,
//! and resetting from another task while a task waits on the sleep. A reset
//! must never let the sleep complete before its new deadline, nor lose the
//! waiter's wakeup.

mod common;

use common::{in_task, ms};
use futures::future::{select, Either};
use magpie::time::{self, Duration, Instant, Sleep};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// How late a sleep may complete and still count as on time. Generous
/// (the machine is shared): every bug these tests look for shows up as
/// seconds, not milliseconds.
const ON_TIME: Duration = Duration::from_millis(150);

/// Awaits `sleep` and checks that it completed at its deadline: not before,
/// and not much after.
async fn completes_on_time(mut sleep: Pin<&mut Sleep>) {
    let deadline = sleep.deadline();
    sleep.as_mut().await;
    let now = Instant::now();
    assert!(now >= deadline, "completed {:?} early", deadline - now);
    assert!(
        now - deadline < ON_TIME,
        "completed {:?} late",
        now - deadline
    );
    assert!(sleep.is_elapsed());
}

#[test]
fn resetting_an_armed_sleep_earlier_fires_at_the_new_deadline() {
    in_task(async {
        let mut sleep = pin!(time::sleep(Duration::from_secs(10)));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        let earlier = Instant::now() + ms(10);
        sleep.as_mut().reset(earlier);
        assert_eq!(sleep.deadline(), earlier);
        assert!(!sleep.is_elapsed());
        completes_on_time(sleep).await;
    });
}

#[test]
fn resetting_later_across_wheel_levels_then_earlier_again() {
    in_task(async {
        // 5 ms sits in the lowest wheel level, 2 s a higher one.
        let mut sleep = pin!(time::sleep(ms(5)));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        sleep
            .as_mut()
            .reset(Instant::now() + Duration::from_secs(2));
        // The old 5 ms wheel entry fires meanwhile: the sleep must not complete.
        match select(sleep.as_mut(), pin!(time::sleep(ms(30)))).await {
            Either::Left(((), _)) => panic!("a sleep reset to 2 s completed within 30 ms"),
            Either::Right(((), _)) => {}
        }
        assert!(!sleep.is_elapsed());
        sleep.as_mut().reset(Instant::now() + ms(10));
        completes_on_time(sleep).await;
    });
}

#[test]
fn resetting_later_waits_for_the_new_deadline() {
    in_task(async {
        let mut sleep = pin!(time::sleep(ms(5)));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        sleep.as_mut().reset(Instant::now() + ms(60));
        completes_on_time(sleep.as_mut()).await;

        // Pushed back repeatedly while armed, as an idle timeout is: each old
        // wheel entry fires and re-arms, and only the last deadline counts.
        sleep.as_mut().reset(Instant::now() + ms(20));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        for _ in 0..4 {
            time::sleep(ms(5)).await;
            assert!(!sleep.is_elapsed());
            sleep.as_mut().reset(Instant::now() + ms(20));
        }
        completes_on_time(sleep).await;
    });
}

#[test]
fn resetting_after_firing_arms_the_sleep_again() {
    in_task(async {
        let mut sleep = pin!(time::sleep(ms(5)));
        sleep.as_mut().await;
        assert!(sleep.is_elapsed());

        sleep.as_mut().reset(Instant::now() + ms(20));
        assert!(!sleep.is_elapsed());
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        completes_on_time(sleep.as_mut()).await;

        // Reset without an await in between: never polled, then awaited.
        sleep.as_mut().reset(Instant::now() + ms(10));
        completes_on_time(sleep.as_mut()).await;

        // A deadline in the past completes on the next poll.
        sleep.as_mut().reset(Instant::now() - ms(1));
        assert!(sleep.is_elapsed());
        assert!(futures::poll!(sleep.as_mut()).is_ready());
    });
}

/// A sleep shared by a waiting task and a resetting one.
type SharedSleep = Arc<Mutex<Pin<Box<Sleep>>>>;

/// Spawns a task that awaits `sleep` and returns when it completed; returns
/// once that task has polled it (armed it with its waker).
async fn spawn_waiter(sleep: &SharedSleep) -> magpie::task::JoinHandle<Instant> {
    let polled = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (sleep, polled) = (sleep.clone(), polled.clone());
        magpie::spawn(async move {
            poll_fn(|cx| {
                let ready = sleep.lock().unwrap().as_mut().poll(cx);
                polled.store(true, SeqCst);
                ready
            })
            .await;
            Instant::now()
        })
    };
    while !polled.load(SeqCst) {
        magpie::task::yield_now().await;
    }
    waiter
}

#[test]
fn resetting_from_another_task_wakes_the_waiting_task() {
    in_task(async {
        let sleep: SharedSleep =
            Arc::new(Mutex::new(Box::pin(time::sleep(Duration::from_secs(10)))));

        // Earlier, to a future instant: the waiter wakes then.
        let waiter = spawn_waiter(&sleep).await;
        let earlier = Instant::now() + ms(10);
        sleep.lock().unwrap().as_mut().reset(earlier);
        let woke = waiter.await.unwrap();
        assert!(woke >= earlier, "woke {:?} early", earlier - woke);
        assert!(woke - earlier < ON_TIME, "woke {:?} late", woke - earlier);

        // Armed again far away, then earlier to an instant already passed: the
        // reset itself must wake the waiter.
        sleep
            .lock()
            .unwrap()
            .as_mut()
            .reset(Instant::now() + Duration::from_secs(10));
        let waiter = spawn_waiter(&sleep).await;
        let past = Instant::now() - ms(1);
        sleep.lock().unwrap().as_mut().reset(past);
        let reset_at = Instant::now();
        let woke = waiter.await.unwrap();
        assert!(
            woke - reset_at < ON_TIME,
            "woke {:?} after the reset",
            woke - reset_at
        );
    });
}
