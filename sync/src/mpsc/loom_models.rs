//! Loom models of the mpsc channels: sends racing receives across block
//! boundaries (blocks hold 2 slots under loom), the last sender's drop, close
//! racing send, and a reserved permit surviving a close.

use crate::loom::thread;
use crate::mpsc;

/// Runs `f` under loom with at most 2 preemptions per execution: the models with
/// three threads or a block crossing are too large to explore unbounded in the
/// time CI gives them, and bugs of this kind show within 2 preemptions.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(f);
}

/// A sender sends two values into a bounded channel of capacity 1 (so the second
/// send waits for the first value to be received) while the receiver takes both,
/// then `None`.
#[test]
fn loom_mpsc_bounded_send_recv() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let sender = thread::spawn(move || {
            loom::future::block_on(tx.send(1)).unwrap();
            loom::future::block_on(tx.send(2)).unwrap();
        });
        assert_eq!(loom::future::block_on(rx.recv()), Some(1));
        assert_eq!(loom::future::block_on(rx.recv()), Some(2));
        assert_eq!(loom::future::block_on(rx.recv()), None);
        sender.join().unwrap();
    });
}

/// One sender fills more than a block while the receiver drains; values arrive in
/// order and the end is seen once the sender drops.
#[test]
fn loom_mpsc_unbounded_crosses_blocks() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let sender = thread::spawn(move || {
            for i in 0..3 {
                tx.send(i).unwrap();
            }
        });
        for i in 0..3 {
            assert_eq!(loom::future::block_on(rx.recv()), Some(i));
        }
        assert_eq!(loom::future::block_on(rx.recv()), None);
        sender.join().unwrap();
    });
}

/// `send` racing `close`: a send that succeeded is received, one that failed is not.
#[test]
fn loom_mpsc_unbounded_send_races_close() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<Box<u8>>();
        let sender = thread::spawn(move || tx.send(Box::new(1)).is_ok());
        rx.close();
        let received = loom::future::block_on(rx.recv()).is_some();
        assert_eq!(received, sender.join().unwrap());
        assert!(loom::future::block_on(rx.recv()).is_none());
    });
}

/// A permit reserved before `close` still sends; the receiver waiting on the closed
/// channel gets it, then `None`.
#[test]
fn loom_mpsc_permit_survives_close() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit = tx.try_reserve_owned().unwrap();
        let sender = thread::spawn(move || drop(permit.send(7)));
        rx.close();
        assert_eq!(loom::future::block_on(rx.recv()), Some(7));
        assert_eq!(loom::future::block_on(rx.recv()), None);
        sender.join().unwrap();
    });
}

/// The receiver drops while a sender sends: the value is dropped exactly once
/// (loom checks the `Box`'s memory is neither leaked nor freed twice).
#[test]
fn loom_mpsc_receiver_drop_races_send() {
    loom::model(|| {
        let (tx, rx) = mpsc::unbounded_channel::<Box<u8>>();
        let sender = thread::spawn(move || {
            let _ = tx.send(Box::new(1));
        });
        drop(rx);
        sender.join().unwrap();
    });
}

/// Two senders race to claim while the receiver parks between values: whichever
/// claim finds the receiver parked wakes it, so both values arrive.
#[test]
fn loom_mpsc_unbounded_two_senders_wake_a_parked_receiver() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        let mut got = [
            loom::future::block_on(rx.recv()).unwrap(),
            loom::future::block_on(rx.recv()).unwrap(),
        ];
        got.sort();
        assert_eq!(got, [1, 2]);
        a.join().unwrap();
        b.join().unwrap();
    });
}
