//! `magpie::sync::oneshot` through its public API, on magpie's runtime: delivery,
//! the sender dropping, the receiver closing or dropping (and a value sent before
//! `close` still being received), `Sender::closed`, `try_recv`, `blocking_recv`, and
//! a receiver future dropped while pending losing nothing.

use std::future::Future;
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use futures::task::noop_waker_ref;
use magpie::sync::oneshot::{self, error::RecvError, error::TryRecvError};
use magpie::time::timeout;

/// How long a wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(10);

#[magpie::test]
async fn the_value_reaches_the_awaiting_receiver() {
    let (tx, rx) = oneshot::channel();
    let waiter = magpie::spawn(rx);
    magpie::task::yield_now().await;
    tx.send(String::from("done")).unwrap();
    let got = timeout(HANG_LIMIT, waiter).await.unwrap().unwrap();
    assert_eq!(got.as_deref(), Ok("done"));
}

#[magpie::test]
async fn an_err_value_is_just_a_value() {
    let (tx, rx) = oneshot::channel::<Result<u8, &str>>();
    tx.send(Err("failed")).unwrap();
    assert_eq!(rx.await, Ok(Err("failed")));
}

#[magpie::test]
async fn dropping_the_sender_wakes_the_receiver_with_an_error() {
    let (tx, rx) = oneshot::channel::<u8>();
    let waiter = magpie::spawn(rx);
    magpie::task::yield_now().await;
    drop(tx);
    let got = timeout(HANG_LIMIT, waiter).await.unwrap().unwrap();
    let err: RecvError = got.unwrap_err();
    assert_eq!(err.to_string(), "channel closed");
}

#[magpie::test]
async fn send_fails_after_the_receiver_drops_and_returns_the_value() {
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(vec![1, 2]), Err(vec![1, 2]));
}

#[magpie::test]
async fn close_fails_later_sends_but_keeps_an_earlier_value() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(7).unwrap();
    rx.close();
    assert!(!rx.is_empty());
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<i32>();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(8), Err(8));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    let (tx, mut rx) = oneshot::channel::<i32>();
    rx.close();
    drop(tx);
    assert!((&mut rx).await.is_err());
    assert!(rx.is_terminated());
}

#[magpie::test]
async fn try_recv_reports_empty_then_the_value_then_closed() {
    let (tx, mut rx) = oneshot::channel();
    assert!(rx.is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1u8).unwrap();
    assert!(!rx.is_empty());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.is_terminated());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[magpie::test]
async fn sender_closed_resolves_when_the_receiver_goes() {
    let (mut tx, rx) = oneshot::channel::<()>();
    let watcher = magpie::spawn(async move {
        tx.closed().await;
        tx.is_closed()
    });
    magpie::task::yield_now().await;
    assert!(!watcher.is_finished());
    drop(rx);
    assert!(timeout(HANG_LIMIT, watcher).await.unwrap().unwrap());

    let (mut tx, mut rx) = oneshot::channel::<()>();
    let watcher = magpie::spawn(async move { tx.closed().await });
    magpie::task::yield_now().await;
    rx.close();
    timeout(HANG_LIMIT, watcher).await.unwrap().unwrap();
}

#[magpie::test]
async fn poll_closed_keeps_only_the_latest_waker_and_is_ready_after_close() {
    let (mut tx, rx) = oneshot::channel::<()>();
    let mut cx = Context::from_waker(noop_waker_ref());
    assert!(tx.poll_closed(&mut cx).is_pending());
    assert!(tx.poll_closed(&mut cx).is_pending());
    drop(rx);
    assert!(tx.poll_closed(&mut cx).is_ready());
}

/// Dropping a pending `&mut rx` future at any point loses nothing: the value sent
/// later is still received.
#[magpie::test]
async fn a_dropped_receive_future_loses_nothing() {
    let (tx, mut rx) = oneshot::channel();
    let mut cx = Context::from_waker(noop_waker_ref());
    for _ in 0..3 {
        let fut = pin!(&mut rx);
        assert!(fut.poll(&mut cx).is_pending());
    }
    tx.send(5).unwrap();
    assert_eq!((&mut rx).await, Ok(5));
}

#[test]
fn blocking_recv_waits_for_a_sender_on_another_thread() {
    let (tx, rx) = oneshot::channel();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        tx.send(99).unwrap();
    });
    assert_eq!(rx.blocking_recv(), Ok(99));
    sender.join().unwrap();

    let (tx, rx) = oneshot::channel::<u8>();
    std::thread::spawn(move || drop(tx));
    assert!(rx.blocking_recv().is_err());
}

/// The receiver is the caller's hand-completed future: a spawned listener completes
/// it from another worker.
#[magpie::test(worker_threads = 2)]
async fn the_listener_completes_the_callers_future_across_workers() {
    for i in 0..1000u32 {
        let (tx, rx) = oneshot::channel();
        magpie::spawn(async move {
            let _ = tx.send(i * 2);
        });
        assert_eq!(timeout(HANG_LIMIT, rx).await.unwrap(), Ok(i * 2));
    }
}

/// Send racing a drop or a close on another thread: the value is either delivered
/// or handed back, never lost or duplicated, and nothing hangs.
#[test]
fn send_racing_close_either_delivers_or_returns_the_value() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    for round in 0..2000 {
        let (tx, mut rx) = oneshot::channel();
        let value = Counted(drops.clone());
        let sender = std::thread::spawn(move || tx.send(value).is_ok());
        let received = if round % 2 == 0 {
            rx.close();
            rx.try_recv().is_ok()
        } else {
            drop(rx);
            false
        };
        let sent = sender.join().unwrap();
        if round % 2 == 0 {
            assert_eq!(
                received, sent,
                "a sent value is received, a failed one is not"
            );
        }
        assert_eq!(drops.load(SeqCst), round + 1, "dropped exactly once");
    }
}
