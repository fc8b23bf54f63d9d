//! `magpie::sync::mpsc` through its public API, on magpie's runtime: delivery and
//! order, backpressure and capacity (no capacity lost to a dropped `send`), cancel
//! safety of `recv`, `recv_many`'s limits, close semantics (buffered and reserved
//! values survive a close), weak senders, the capacity-0 panic, the cooperative
//! budget on one worker, and a 4 x 100k stress run on 2 workers.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::noop_waker_ref;
use magpie::sync::mpsc::{self, error::TryRecvError, error::TrySendError};
use magpie::time::timeout;

/// How long a wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(10);

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(noop_waker_ref()))
}

#[magpie::test]
async fn values_arrive_in_order_then_none_after_the_senders_drop() {
    let (tx, mut rx) = mpsc::channel(4);
    let tx2 = tx.clone();
    let producer = magpie::spawn(async move {
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(timeout(HANG_LIMIT, rx.recv()).await.unwrap(), Some(i));
    }
    producer.await.unwrap();
    assert!(!rx.is_closed(), "one sender is still alive");
    drop(tx2);
    assert_eq!(rx.recv().await, None);
    assert!(rx.is_closed());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[magpie::test]
async fn values_sent_before_the_last_sender_drops_are_still_received() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..40 {
        tx.send(i).unwrap();
    }
    drop(tx);
    for i in 0..40 {
        assert_eq!(rx.recv().await, Some(i));
    }
    assert_eq!(rx.recv().await, None);
}

#[test]
#[should_panic(expected = "mpsc bounded channel requires buffer > 0")]
fn a_bounded_channel_of_capacity_zero_panics() {
    let _ = mpsc::channel::<u8>(0);
}

#[magpie::test]
async fn a_full_channel_makes_send_wait_until_a_value_is_received() {
    let (tx, mut rx) = mpsc::channel(2);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    assert_eq!(tx.capacity(), 0);
    assert_eq!(tx.max_capacity(), 2);
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    {
        let mut send = pin!(tx.send(3));
        assert!(poll_once(send.as_mut()).is_pending());
        assert_eq!(rx.recv().await, Some(1));
        assert!(poll_once(send.as_mut()).is_ready());
    }
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, Some(3));
    assert_eq!(tx.capacity(), 2);
}

/// A waiting `send` (or `reserve`) dropped at any point gives back everything:
/// afterwards the full capacity is usable again.
#[magpie::test]
async fn a_dropped_waiting_send_loses_no_capacity() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(0).await.unwrap();
    for _ in 0..3 {
        let mut send = pin!(tx.send(1));
        assert!(poll_once(send.as_mut()).is_pending());
    }
    {
        let mut reserve = pin!(tx.reserve());
        assert!(poll_once(reserve.as_mut()).is_pending());
        // The slot frees while the reserve waits, then the reserve is dropped.
        assert_eq!(rx.recv().await, Some(0));
    }
    assert_eq!(tx.capacity(), 1, "the dropped reserve handed its slot back");
    tx.try_send(2).unwrap();
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(tx.capacity(), 1);
}

/// Dropping a pending `recv` future at any point loses no value: every value is
/// received exactly once, in order, by later receives.
#[magpie::test]
async fn recv_is_cancel_safe() {
    let (tx, mut rx) = mpsc::channel(8);
    let mut next = 0;
    for i in 0..50 {
        {
            let mut recv = pin!(rx.recv());
            assert!(poll_once(recv.as_mut()).is_pending());
            // Drop the recv before any value comes; sometimes send one first.
            if i % 2 == 0 {
                tx.send(i).await.unwrap();
            }
        }
        if i % 2 == 0 {
            assert_eq!(rx.recv().await, Some(i));
            next += 1;
        }
    }
    // A recv dropped right after a value arrived (and before the next poll).
    {
        let mut recv = pin!(rx.recv());
        assert!(poll_once(recv.as_mut()).is_pending());
        tx.send(100).await.unwrap();
        // `recv` goes out of scope here, woken but never polled again.
    }
    assert_eq!(rx.try_recv(), Ok(100));
    assert_eq!(next, 25);
}

#[magpie::test]
async fn recv_many_respects_its_limit() {
    let (tx, mut rx) = mpsc::channel(16);
    for i in 0..5 {
        tx.send(i).await.unwrap();
    }
    let mut buf = vec![99];
    assert_eq!(rx.recv_many(&mut buf, 0).await, 0);
    assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
    assert_eq!(buf, [99, 0, 1, 2]);
    assert_eq!(
        tx.capacity(),
        14,
        "received values give their capacity back"
    );
    assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
    assert_eq!(buf, [99, 0, 1, 2, 3, 4]);
    drop(tx);
    assert_eq!(rx.recv_many(&mut buf, 10).await, 0);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let waiter = magpie::spawn(async move {
        let mut buf = Vec::new();
        let n = rx.recv_many(&mut buf, 2).await;
        (n, buf)
    });
    magpie::task::yield_now().await;
    tx.send('a').unwrap();
    let (n, buf) = timeout(HANG_LIMIT, waiter).await.unwrap().unwrap();
    assert!((1..=2).contains(&n) && buf[0] == 'a');
}

#[magpie::test]
async fn close_fails_senders_but_buffered_values_are_received() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    rx.close();
    assert!(tx.is_closed());
    assert!(rx.is_closed());
    assert_eq!(tx.send(3).await.unwrap_err().0, 3);
    assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
    assert!(tx.reserve().await.is_err());
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);

    let (tx, mut rx) = mpsc::unbounded_channel();
    tx.send(1).unwrap();
    rx.close();
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[magpie::test]
async fn a_permit_reserved_before_close_can_still_send() {
    let (tx, mut rx) = mpsc::channel(4);
    let permit = tx.reserve().await.unwrap();
    let owned = tx.clone().reserve_owned().await.unwrap();
    rx.close();
    permit.send(10);
    let tx_back = owned.send(11);
    assert!(tx_back.is_closed());
    assert_eq!(rx.recv().await, Some(10));
    assert_eq!(rx.recv().await, Some(11));
    assert_eq!(rx.recv().await, None);

    // A receiver waiting on a closed channel while a permit is out finishes when
    // the permit is dropped unused.
    let (tx, mut rx) = mpsc::channel::<u8>(4);
    let permit = tx.clone().reserve_owned().await.unwrap();
    rx.close();
    let waiter = magpie::spawn(async move { rx.recv().await });
    magpie::task::yield_now().await;
    assert!(!waiter.is_finished());
    drop(permit);
    assert_eq!(timeout(HANG_LIMIT, waiter).await.unwrap().unwrap(), None);
    drop(tx);
}

#[magpie::test]
async fn permits_reserve_and_release_capacity() {
    let (tx, mut rx) = mpsc::channel(3);
    let permit = tx.try_reserve().unwrap();
    assert_eq!(tx.capacity(), 2);
    drop(permit);
    assert_eq!(tx.capacity(), 3);

    let mut many = tx.reserve_many(2).await.unwrap();
    assert_eq!(many.len(), 2);
    assert_eq!(tx.capacity(), 1);
    many.next().unwrap().send(1);
    drop(many);
    assert_eq!(tx.capacity(), 2, "the untaken permit went back");
    assert!(tx.reserve_many(4).await.is_err(), "more than the capacity");
    assert!(matches!(
        tx.try_reserve_many(3),
        Err(TrySendError::Full(()))
    ));

    let owned = tx.clone().try_reserve_owned().unwrap();
    assert!(owned.same_channel_as_sender(&tx));
    let tx2 = owned.release();
    assert!(tx2.same_channel(&tx));
    assert_eq!(tx.capacity(), 2);
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(tx.capacity(), 3);
}

#[magpie::test]
async fn weak_senders_upgrade_only_while_a_sender_lives() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let weak = tx.downgrade();
    assert_eq!(tx.strong_count(), 1);
    assert_eq!(tx.weak_count(), 1);
    assert_eq!(rx.sender_weak_count(), 1);
    let tx2 = weak.upgrade().unwrap();
    assert_eq!(weak.strong_count(), 2);
    drop(tx);
    drop(tx2);
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.recv().await, None, "a weak sender does not keep it open");

    let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    let weak = tx.downgrade();
    assert!(weak.upgrade().is_some());
    drop(tx);
    assert!(weak.upgrade().is_none());
}

#[magpie::test]
async fn closed_resolves_when_the_receiver_goes() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let tx2 = tx.clone();
    let watcher = magpie::spawn(async move { tx2.closed().await });
    magpie::task::yield_now().await;
    assert!(!watcher.is_finished());
    drop(rx);
    timeout(HANG_LIMIT, watcher).await.unwrap().unwrap();
    assert!(tx.is_closed());

    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    let watcher = magpie::spawn(async move { tx.closed().await });
    magpie::task::yield_now().await;
    rx.close();
    timeout(HANG_LIMIT, watcher).await.unwrap().unwrap();
}

#[magpie::test]
async fn try_recv_len_and_is_empty() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    assert!(rx.is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    for i in 0..70 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 70);
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(rx.len(), 69);
    assert!(!rx.is_empty());
}

#[test]
fn blocking_send_and_recv_between_threads() {
    let (tx, mut rx) = mpsc::channel(1);
    let producer = std::thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(rx.blocking_recv(), Some(i));
    }
    assert_eq!(rx.blocking_recv(), None);
    producer.join().unwrap();

    let (tx, mut rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || tx.send(5).unwrap());
    assert_eq!(rx.blocking_recv(), Some(5));
}

/// Values left in the channel when the receiver drops are dropped then, once.
#[magpie::test]
async fn dropping_the_receiver_drops_the_queued_values() {
    let marker = Arc::new(());
    let (tx, rx) = mpsc::channel(8);
    for _ in 0..5 {
        tx.send(marker.clone()).await.unwrap();
    }
    assert_eq!(Arc::strong_count(&marker), 6);
    drop(rx);
    assert_eq!(Arc::strong_count(&marker), 1);
    assert!(tx.send(marker.clone()).await.is_err());
    assert_eq!(Arc::strong_count(&marker), 1);
}

/// On one worker, a task receiving in an endless loop from a channel that always
/// has a value (it re-sends each value it gets) still yields, so a neighbour task
/// on the same worker runs.
#[magpie::test(worker_threads = 1)]
async fn receiving_from_an_always_ready_channel_lets_neighbours_run() {
    for bounded in [true, false] {
        let neighbour_ran = Arc::new(AtomicBool::new(false));
        let flag = neighbour_ran.clone();
        let spinner = magpie::spawn(async move {
            let mut spins = 0u64;
            if bounded {
                let (tx, mut rx) = mpsc::channel(4);
                tx.send(0u8).await.unwrap();
                while !flag.load(SeqCst) && spins < 50_000_000 {
                    let v = rx.recv().await.unwrap();
                    tx.try_send(v).unwrap();
                    spins += 1;
                }
            } else {
                let (tx, mut rx) = mpsc::unbounded_channel();
                tx.send(0u8).unwrap();
                while !flag.load(SeqCst) && spins < 50_000_000 {
                    let v = rx.recv().await.unwrap();
                    tx.send(v).unwrap();
                    spins += 1;
                }
            }
            flag.load(SeqCst)
        });
        let neighbour = magpie::spawn(async move { neighbour_ran.store(true, SeqCst) });
        neighbour.await.unwrap();
        assert!(
            spinner.await.unwrap(),
            "the neighbour ran while the receiver spun"
        );
    }
}

/// 4 producers x 100k messages on 2 workers: every message
/// arrives, each producer's in its order, for both flavours.
#[magpie::test(worker_threads = 2)]
async fn stress_four_producers_on_two_workers() {
    const PRODUCERS: usize = 4;
    let per: usize = 100_000;

    let (tx, mut rx) = mpsc::channel::<(usize, usize)>(128);
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        magpie::spawn(async move {
            for i in 0..per {
                tx.send((p, i)).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut next = [0usize; PRODUCERS];
    let mut buf = Vec::new();
    while timeout(HANG_LIMIT, rx.recv_many(&mut buf, 64))
        .await
        .unwrap()
        > 0
    {
        for (p, i) in buf.drain(..) {
            assert_eq!(i, next[p], "producer {p} out of order");
            next[p] += 1;
        }
    }
    assert_eq!(next, [per; PRODUCERS]);

    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, usize)>();
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        magpie::spawn(async move {
            for i in 0..per {
                tx.send((p, i)).unwrap();
                if i % 1024 == 0 {
                    magpie::task::yield_now().await;
                }
            }
        });
    }
    drop(tx);
    let mut next = [0usize; PRODUCERS];
    while let Some((p, i)) = timeout(HANG_LIMIT, rx.recv()).await.unwrap() {
        assert_eq!(i, next[p], "producer {p} out of order");
        next[p] += 1;
    }
    assert_eq!(next, [per; PRODUCERS]);
}

#[magpie::test]
async fn send_timeout_hands_the_value_back_on_timeout_and_on_close() {
    use magpie::sync::mpsc::error::SendTimeoutError;
    use std::time::{Duration, Instant};

    let (tx, mut rx) = mpsc::channel(1);
    tx.send_timeout(1, Duration::from_millis(50)).await.unwrap();
    let start = Instant::now();
    assert_eq!(
        tx.send_timeout(2, Duration::from_millis(30)).await,
        Err(SendTimeoutError::Timeout(2))
    );
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "timed out early"
    );

    // Capacity that comes free within the timeout lets the send through.
    let receiver = magpie::spawn(async move {
        magpie::time::sleep(Duration::from_millis(20)).await;
        let first = rx.recv().await;
        let second = rx.recv().await;
        (first, second, rx)
    });
    tx.send_timeout(3, Duration::from_secs(5)).await.unwrap();
    let (first, second, rx) = receiver.await.unwrap();
    assert_eq!((first, second), (Some(1), Some(3)));

    drop(rx);
    let err = tx
        .send_timeout(4, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(err, SendTimeoutError::Closed(4));
    assert_eq!(err.to_string(), "channel closed");
    assert_eq!(err.into_inner(), 4);
}
