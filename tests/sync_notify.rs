//! `magpie::sync::Notify` through its public API, on magpie's runtime: the one stored
//! permit, FIFO wake-ups, `notify_waiters` (also for a `Notified` not yet polled),
//! `enable`, and a chosen waiter that is dropped passing its notification on.

use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use futures::poll;
use magpie::sync::Notify;

#[magpie::test]
async fn notify_one_stores_one_permit_and_no_more() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    notify.notified().await; // the stored permit
    let mut second = pin!(notify.notified());
    assert!(
        poll!(second.as_mut()).is_pending(),
        "only one permit was stored"
    );
    notify.notify_one();
    second.await;
}

#[magpie::test]
async fn notify_waiters_stores_nothing() {
    let notify = Notify::new();
    notify.notify_waiters();
    let mut later = pin!(notify.notified());
    assert!(poll!(later.as_mut()).is_pending());
}

#[magpie::test]
async fn notify_one_wakes_waiters_in_fifo_order() {
    let notify = Notify::new();
    let mut waiters: Vec<_> = (0..5).map(|_| Box::pin(notify.notified())).collect();
    for waiter in &mut waiters {
        assert!(poll!(waiter.as_mut()).is_pending());
    }
    for i in 0..5 {
        notify.notify_one();
        for (j, waiter) in waiters.iter_mut().enumerate().skip(i) {
            let ready = poll!(waiter.as_mut()).is_ready();
            assert_eq!(ready, j == i, "after {} notify_one calls", i + 1);
        }
    }
}

#[magpie::test]
async fn notify_waiters_wakes_every_waiting_task() {
    let notify = Arc::new(Notify::new());
    let woken = Arc::new(AtomicUsize::new(0));
    let all_queued = Arc::new(Notify::new());
    let queued = Arc::new(AtomicUsize::new(0));
    const TASKS: usize = 100;
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (notify, woken) = (notify.clone(), woken.clone());
            let (all_queued, queued) = (all_queued.clone(), queued.clone());
            magpie::spawn(async move {
                let mut notified = pin!(notify.notified());
                notified.as_mut().enable();
                if queued.fetch_add(1, SeqCst) + 1 == TASKS {
                    all_queued.notify_one();
                }
                notified.await;
                woken.fetch_add(1, SeqCst);
            })
        })
        .collect();
    all_queued.notified().await;
    notify.notify_waiters();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(woken.load(SeqCst), TASKS);
}

#[magpie::test]
async fn a_notified_made_before_notify_waiters_completes_even_if_unpolled() {
    let notify = Notify::new();
    let made_before = notify.notified();
    notify.notify_waiters();
    let made_after = notify.notified();
    made_before.await;
    let mut made_after = pin!(made_after);
    assert!(poll!(made_after.as_mut()).is_pending());
}

#[magpie::test]
async fn a_dropped_chosen_waiter_passes_the_notification_on() {
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    let mut second = pin!(notify.notified());
    assert!(poll!(first.as_mut()).is_pending());
    assert!(poll!(second.as_mut()).is_pending());
    notify.notify_one(); // chooses `first`
    drop(first);
    second.await;

    // With nobody else waiting, it is stored as the permit.
    let mut only = Box::pin(notify.notified());
    assert!(poll!(only.as_mut()).is_pending());
    notify.notify_one();
    drop(only);
    notify.notified().await;
}

#[magpie::test]
async fn a_dropped_waiter_after_notify_waiters_passes_nothing_on() {
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    assert!(poll!(first.as_mut()).is_pending());
    notify.notify_waiters();
    drop(first);
    let mut later = pin!(notify.notified());
    assert!(poll!(later.as_mut()).is_pending());
}

#[magpie::test]
async fn notify_last_wakes_the_newest_waiter() {
    let notify = Notify::new();
    let mut old = pin!(notify.notified());
    let mut new = pin!(notify.notified());
    assert!(poll!(old.as_mut()).is_pending());
    assert!(poll!(new.as_mut()).is_pending());
    notify.notify_last();
    assert!(poll!(old.as_mut()).is_pending());
    new.await;
}

#[magpie::test]
async fn enable_lets_notify_one_choose_an_unpolled_future() {
    let notify = Notify::new();
    let mut enabled = pin!(notify.notified());
    assert!(!enabled.as_mut().enable());
    let mut polled = pin!(notify.notified());
    assert!(poll!(polled.as_mut()).is_pending());
    notify.notify_one();
    assert!(enabled.as_mut().enable(), "first in the queue");
    assert!(poll!(polled.as_mut()).is_pending());
    enabled.await;
}

/// Ping-pong across two tasks on two workers: no notification is ever lost.
#[magpie::test(worker_threads = 2)]
async fn ping_pong_loses_no_notification() {
    let ping = Arc::new(Notify::new());
    let pong = Arc::new(Notify::new());
    const ROUNDS: usize = 10_000;
    let other = magpie::spawn({
        let (ping, pong) = (ping.clone(), pong.clone());
        async move {
            for _ in 0..ROUNDS {
                ping.notified().await;
                pong.notify_one();
            }
        }
    });
    for _ in 0..ROUNDS {
        ping.notify_one();
        pong.notified().await;
    }
    other.await.unwrap();
}

#[test]
fn const_new_in_a_static() {
    static NOTIFY: Notify = Notify::const_new();
    NOTIFY.notify_one();
    futures::executor::block_on(NOTIFY.notified());
}

#[magpie::test]
async fn owned_notified_moves_into_a_task_and_hands_on_when_dropped() {
    let notify = Arc::new(Notify::new());
    let waiter = magpie::spawn(notify.clone().notified_owned());
    let mut chosen = Box::pin(notify.clone().notified_owned());
    let mut next: Pin<Box<magpie::sync::futures::OwnedNotified>> =
        Box::pin(notify.clone().notified_owned());
    notify.notify_waiters(); // all three were made before: all complete
    waiter.await.unwrap();
    chosen.as_mut().await;
    next.as_mut().await;

    let mut chosen = Box::pin(notify.clone().notified_owned());
    let mut next = Box::pin(notify.clone().notified_owned());
    assert!(!chosen.as_mut().enable());
    assert!(!next.as_mut().enable());
    notify.notify_one();
    drop(chosen);
    assert!(next.as_mut().enable(), "the dropped one passed it on");
}
