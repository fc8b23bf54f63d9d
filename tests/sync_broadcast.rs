//! `magpie::sync::broadcast` through its public API, on magpie's runtime: every
//! receiver sees every value, `Lagged(n)` with the exact count when the ring
//! overflows (old values are dropped, sending never waits), the channel staying
//! open with no receivers while a sender lives, `Closed` after the last sender
//! drops (after draining), the capacity panics, and a dropped `recv` losing nothing.

use std::future::Future;
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use futures::task::noop_waker_ref;
use magpie::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use magpie::time::timeout;

/// How long a wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(10);

#[magpie::test]
async fn every_receiver_sees_every_value() {
    let (tx, mut rx1) = broadcast::channel(16);
    let mut rx2 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    assert_eq!(tx.send("a").unwrap(), 2);
    tx.send("b").unwrap();
    assert_eq!(tx.len(), 2);
    for rx in [&mut rx1, &mut rx2] {
        assert_eq!(rx.len(), 2);
        assert_eq!(rx.recv().await.unwrap(), "a");
        assert_eq!(rx.recv().await.unwrap(), "b");
        assert!(rx.is_empty());
    }
    assert!(tx.is_empty(), "every receiver read both");
}

#[magpie::test]
async fn a_waiting_receiver_is_woken_by_send() {
    let (tx, mut rx) = broadcast::channel(4);
    let waiter = magpie::spawn(async move { rx.recv().await });
    magpie::task::yield_now().await;
    tx.send(7).unwrap();
    assert_eq!(timeout(HANG_LIMIT, waiter).await.unwrap().unwrap(), Ok(7));
}

/// A slow receiver misses exactly the overwritten values, then continues at the
/// oldest value still held.
#[magpie::test]
async fn a_slow_receiver_gets_lagged_with_the_exact_count() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut fast = tx.subscribe();
    for i in 0..10 {
        tx.send(i).unwrap();
        assert_eq!(
            fast.recv().await,
            Ok(i),
            "sending never waits for the slow one"
        );
    }
    assert_eq!(rx.len(), 10);
    assert_eq!(rx.recv().await, Err(RecvError::Lagged(6)));
    for i in 6..10 {
        assert_eq!(rx.recv().await, Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));

    // Capacity rounds up to a power of two (3 -> 4), and try_recv reports lag too.
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(rx.try_recv(), Ok(1));
}

#[magpie::test]
async fn overwritten_values_are_dropped() {
    let marker = std::sync::Arc::new(());
    let (tx, _rx) = broadcast::channel(2);
    for _ in 0..10 {
        tx.send(marker.clone()).unwrap();
    }
    assert_eq!(
        std::sync::Arc::strong_count(&marker),
        3,
        "only the ring's 2 remain"
    );
}

#[magpie::test]
async fn the_channel_stays_open_without_receivers_while_a_sender_lives() {
    let (tx, rx) = broadcast::channel(4);
    drop(rx);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(1).unwrap_err().0, 1);
    let mut late = tx.subscribe();
    tx.send(2).unwrap();
    assert_eq!(late.recv().await, Ok(2));
}

#[magpie::test]
async fn receivers_drain_then_see_closed_after_the_last_sender_drops() {
    let (tx, mut rx) = broadcast::channel(4);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    tx2.send(2).unwrap();
    drop(tx2);
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx.recv().await, Ok(2));
    assert_eq!(rx.recv().await, Err(RecvError::Closed));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = broadcast::channel::<u8>(4);
    let waiter = magpie::spawn(async move { rx.recv().await });
    magpie::task::yield_now().await;
    drop(tx);
    assert_eq!(
        timeout(HANG_LIMIT, waiter).await.unwrap().unwrap(),
        Err(RecvError::Closed)
    );
}

#[test]
#[should_panic(expected = "broadcast channel capacity cannot be zero")]
fn capacity_zero_panics() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
#[should_panic(expected = "broadcast channel capacity exceeded `usize::MAX / 2`")]
fn capacity_over_half_of_usize_panics() {
    let _ = broadcast::channel::<u8>(usize::MAX / 2 + 1);
}

#[magpie::test]
async fn resubscribe_starts_at_the_tail() {
    let (tx, mut rx) = broadcast::channel(4);
    tx.send(1).unwrap();
    let mut rx2 = rx.resubscribe();
    tx.send(2).unwrap();
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx2.recv().await, Ok(2));
    assert!(rx.same_channel(&rx2));
}

/// A `recv` dropped while pending, or right after a value arrived but before it was
/// polled again, takes nothing.
#[magpie::test]
async fn recv_is_cancel_safe() {
    let (tx, mut rx) = broadcast::channel(8);
    for i in 0..5 {
        {
            let mut fut = pin!(rx.recv());
            assert!(fut
                .as_mut()
                .poll(&mut Context::from_waker(noop_waker_ref()))
                .is_pending());
            tx.send(i).unwrap();
        }
        assert_eq!(rx.recv().await, Ok(i));
    }
}

#[magpie::test]
async fn sender_closed_resolves_when_the_last_receiver_drops() {
    let (tx, rx) = broadcast::channel::<u8>(4);
    let tx2 = tx.clone();
    let watcher = magpie::spawn(async move { tx2.closed().await });
    magpie::task::yield_now().await;
    assert!(!watcher.is_finished());
    drop(rx);
    timeout(HANG_LIMIT, watcher).await.unwrap().unwrap();
}

/// Several receivers on 2 workers each get all 1000 values, or lag reports whose
/// counts add up with the received values to exactly 1000.
#[magpie::test(worker_threads = 2)]
async fn receivers_on_two_workers_account_for_every_value() {
    let (tx, rx) = broadcast::channel::<u32>(64);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let mut rx = rx.resubscribe();
        tasks.push(magpie::spawn(async move {
            let mut seen = 0u64;
            let mut last = None;
            loop {
                match rx.recv().await {
                    Ok(v) => {
                        assert!(last.is_none_or(|l| v > l), "values in order");
                        last = Some(v);
                        seen += 1;
                    }
                    Err(RecvError::Lagged(n)) => seen += n,
                    Err(RecvError::Closed) => return seen,
                }
            }
        }));
    }
    drop(rx);
    for i in 0..1000 {
        tx.send(i).unwrap();
        if i % 50 == 0 {
            magpie::task::yield_now().await;
        }
    }
    drop(tx);
    for t in tasks {
        assert_eq!(timeout(HANG_LIMIT, t).await.unwrap().unwrap(), 1000);
    }
}

#[test]
fn blocking_recv_from_a_thread() {
    let (tx, mut rx) = broadcast::channel(4);
    let t = std::thread::spawn(move || rx.blocking_recv());
    std::thread::sleep(Duration::from_millis(10));
    tx.send(3).unwrap();
    assert_eq!(t.join().unwrap(), Ok(3));
}

/// A value is dropped as soon as every receiver alive when it was sent has read it
/// (or dropped without reading it), not only when the ring reuses its slot.
#[magpie::test]
async fn a_value_read_by_every_receiver_is_dropped() {
    let marker = std::sync::Arc::new(());
    let (tx, mut rx1) = broadcast::channel(8);
    let rx2 = tx.subscribe();
    tx.send(marker.clone()).unwrap();
    assert_eq!(std::sync::Arc::strong_count(&marker), 2);
    drop(rx1.recv().await.unwrap());
    assert_eq!(
        std::sync::Arc::strong_count(&marker),
        2,
        "rx2 has yet to read it"
    );
    drop(rx2);
    assert_eq!(std::sync::Arc::strong_count(&marker), 1);
    assert!(tx.is_empty());
}
