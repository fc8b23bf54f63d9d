//! `magpie::sync::watch` through its public API, on magpie's runtime: latest value
//! wins, `changed` after the sender drops (an unseen value is reported first),
//! `send` without receivers, `send_if_modified`, `wait_for`, `mark_changed`,
//! `Sender::closed`, and a dropped `changed` future losing nothing.

use std::future::Future;
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use futures::task::noop_waker_ref;
use magpie::sync::watch;
use magpie::time::timeout;

/// How long a wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(10);

#[magpie::test]
async fn changed_wakes_on_send_and_sees_the_latest_value() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!rx.has_changed().unwrap());
    let waiter = magpie::spawn(async move {
        rx.changed().await.unwrap();
        let v = *rx.borrow_and_update();
        (v, rx)
    });
    magpie::task::yield_now().await;
    tx.send(1).unwrap();
    let (v, rx) = timeout(HANG_LIMIT, waiter).await.unwrap().unwrap();
    assert_eq!(v, 1);
    assert!(!rx.has_changed().unwrap());
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    assert!(rx.has_changed().unwrap());
    let r = rx.borrow();
    assert_eq!(*r, 3, "intermediate values are skipped");
    assert!(r.has_changed());
}

#[magpie::test]
async fn changed_after_the_sender_drops_reports_the_unseen_value_first() {
    let (tx, mut rx) = watch::channel("a");
    tx.send("b").unwrap();
    drop(tx);
    assert!(rx.has_changed().is_err());
    assert!(rx.changed().await.is_ok());
    assert_eq!(*rx.borrow(), "b");
    assert!(rx.changed().await.is_err());

    let (tx, mut rx) = watch::channel(());
    let waiter = magpie::spawn(async move { rx.changed().await });
    magpie::task::yield_now().await;
    drop(tx);
    assert!(timeout(HANG_LIMIT, waiter).await.unwrap().unwrap().is_err());
}

#[magpie::test]
async fn send_fails_without_receivers_but_send_replace_stores() {
    let (tx, rx) = watch::channel(1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(*tx.borrow(), 1);
    assert_eq!(tx.send_replace(3), 1);
    let mut late = tx.subscribe();
    assert_eq!(*late.borrow_and_update(), 3);
    assert_eq!(tx.receiver_count(), 1);
    tx.send(4).unwrap();
    assert!(late.has_changed().unwrap());
}

#[magpie::test]
async fn send_if_modified_notifies_only_on_true() {
    let (tx, mut rx) = watch::channel(vec![1]);
    assert!(!tx.send_if_modified(|_| false));
    assert!(!rx.has_changed().unwrap());
    assert!(tx.send_if_modified(|v| {
        v.push(2);
        true
    }));
    rx.changed().await.unwrap();
    assert_eq!(*rx.borrow(), [1, 2]);
    tx.send_modify(|v| v.clear());
    rx.changed().await.unwrap();
    assert!(rx.borrow().is_empty());
}

#[magpie::test]
async fn wait_for_checks_the_current_value_then_each_change() {
    let (tx, mut rx) = watch::channel(5);
    assert_eq!(*rx.wait_for(|v| *v == 5).await.unwrap(), 5);
    let producer = magpie::spawn(async move {
        for i in 6..=10 {
            tx.send(i).unwrap();
            magpie::task::yield_now().await;
        }
    });
    let v = *timeout(HANG_LIMIT, rx.wait_for(|v| *v >= 8))
        .await
        .unwrap()
        .unwrap();
    assert!(v >= 8);
    producer.await.unwrap();
    assert!(
        rx.wait_for(|v| *v > 100).await.is_err(),
        "sender gone, never true"
    );
}

#[magpie::test]
async fn mark_changed_and_mark_unchanged() {
    let (tx, mut rx) = watch::channel(0);
    rx.mark_changed();
    assert!(rx.has_changed().unwrap());
    rx.changed().await.unwrap();
    tx.send(1).unwrap();
    rx.mark_unchanged();
    assert!(!rx.has_changed().unwrap());
    let rx2 = rx.clone();
    assert!(rx2.same_channel(&rx));
    assert_eq!(tx.receiver_count(), 2);
}

#[magpie::test]
async fn sender_closed_resolves_when_the_last_receiver_drops() {
    let (tx, rx) = watch::channel(0);
    let rx2 = rx.clone();
    let tx2 = tx.clone();
    let watcher = magpie::spawn(async move { tx2.closed().await });
    magpie::task::yield_now().await;
    drop(rx);
    magpie::task::yield_now().await;
    assert!(!watcher.is_finished());
    drop(rx2);
    timeout(HANG_LIMIT, watcher).await.unwrap().unwrap();
    assert!(tx.is_closed());
}

/// A `changed` future dropped while pending marks nothing seen: the value sent
/// after it is still reported.
#[magpie::test]
async fn changed_is_cancel_safe() {
    let (tx, mut rx) = watch::channel(0);
    for i in 1..=3 {
        {
            let mut fut = pin!(rx.changed());
            let mut cx = Context::from_waker(noop_waker_ref());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
        }
        tx.send(i).unwrap();
        // A changed() created and dropped unpolled consumes nothing either.
        drop(rx.changed());
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), i);
    }
}

/// Many receivers on 2 workers all see the final value.
#[magpie::test(worker_threads = 2)]
async fn every_receiver_sees_the_final_value() {
    let (tx, rx) = watch::channel(0u32);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let mut rx = rx.clone();
        tasks.push(magpie::spawn(async move {
            *rx.wait_for(|v| *v == 1000).await.unwrap()
        }));
    }
    for i in 1..=1000 {
        tx.send(i).unwrap();
        if i % 100 == 0 {
            magpie::task::yield_now().await;
        }
    }
    for t in tasks {
        assert_eq!(timeout(HANG_LIMIT, t).await.unwrap().unwrap(), 1000);
    }
}
