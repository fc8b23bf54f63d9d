//! A multi-producer, multi-consumer broadcast channel: every value sent is seen by
//! every receiver alive when it was sent.
//!
//! Names and meanings are `tokio::sync::broadcast`'s. The channel holds the last
//! `capacity` values (rounded up to a power of two) in a ring. Sending never waits:
//! when the ring is full the oldest value is overwritten, and a receiver that had
//! not read it gets `RecvError::Lagged(n)`, `n` being exactly the number of values
//! it missed, then continues at the oldest value still held. The channel stays open
//! while a sender lives, even with no receivers (sends then fail, but later
//! subscribers work); when the last sender drops, receivers read what is left and
//! then get `RecvError::Closed`.
//!
//! ```
//! use magpie::sync::broadcast;
//!
//! #[magpie::main]
//! async fn main() {
//!     let (tx, mut rx1) = broadcast::channel(16);
//!     let mut rx2 = tx.subscribe();
//!     tx.send(10).unwrap();
//!     tx.send(20).unwrap();
//!     assert_eq!(rx1.recv().await.unwrap(), 10);
//!     assert_eq!(rx1.recv().await.unwrap(), 20);
//!     assert_eq!(rx2.recv().await.unwrap(), 10);
//!     assert_eq!(rx2.recv().await.unwrap(), 20);
//! }
//! ```
//!
//! This module owns the ring, the tail (next position, receiver count, closed flag)
//! and the per-slot "readers left" counts (a value is dropped once every receiver
//! alive when it was sent has read it, or when it is overwritten). Receivers wait on the crate's `Notify`,
//! which every send and the close wake. It uses the loom shim and `magpie-coop`.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::{ready, Poll};

#[cfg(loom)]
use loom::sync::Arc;
#[cfg(not(loom))]
use std::sync::Arc;

use crate::loom::{AtomicUsize, Mutex, Ordering};
use crate::Notify;

#[cfg(not(loom))]
type RwLock<T> = parking_lot::RwLock<T>;
#[cfg(loom)]
type RwLock<T> = loom::sync::RwLock<T>;

/// Runs `f` with `lock` read-locked.
fn with_read<T, R>(lock: &RwLock<T>, f: impl FnOnce(&T) -> R) -> R {
    #[cfg(not(loom))]
    let guard = lock.read();
    #[cfg(loom)]
    let guard = lock.read().expect("not poisoned in a passing model");
    f(&guard)
}

/// Runs `f` with `lock` write-locked.
fn with_write<T, R>(lock: &RwLock<T>, f: impl FnOnce(&mut T) -> R) -> R {
    #[cfg(not(loom))]
    let mut guard = lock.write();
    #[cfg(loom)]
    let mut guard = lock.write().expect("not poisoned in a passing model");
    f(&mut guard)
}

pub mod error {
    //! The errors of [`broadcast`](super) channels.

    use std::fmt;

    /// Returned by [`Sender::send`](super::Sender::send) when no receiver is alive;
    /// it hands the value back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Returned by [`Receiver::recv`](super::Receiver::recv).
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub enum RecvError {
        /// Every sender is gone and every value was received.
        Closed,
        /// The receiver fell behind: this many values were overwritten before it
        /// read them. The next receive returns the oldest value still held.
        Lagged(u64),
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("channel closed"),
                RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for RecvError {}

    /// Returned by [`Receiver::try_recv`](super::Receiver::try_recv).
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub enum TryRecvError {
        /// No value is waiting now.
        Empty,
        /// Every sender is gone and every value was received.
        Closed,
        /// The receiver fell behind by this many values (see [`RecvError::Lagged`]).
        Lagged(u64),
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
                TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use self::error::{RecvError, SendError, TryRecvError};

/// One place in the ring.
struct Slot<T> {
    /// The position of the value in it (`None`: never written).
    pos: Option<u64>,
    /// How many receivers have yet to read it; set by the sender, decremented by
    /// each receiver that reads it (or drops before reading it). Whoever brings it
    /// to 0 drops the value.
    rem: AtomicUsize,
    /// The value, cloned by each receiver that reads it.
    value: Option<T>,
}

/// The sending end's bookkeeping, under one lock.
struct Tail {
    /// The position the next value takes.
    pos: u64,
    /// Live receivers.
    rx_count: usize,
    /// The last sender dropped.
    closed: bool,
}

/// What the handles share.
struct Shared<T> {
    /// The ring. Senders write a slot under its write lock while holding `tail`;
    /// receivers read (and clone) under its read lock.
    ring: Box<[RwLock<Slot<T>>]>,
    /// `ring.len() - 1` (the length is a power of two).
    mask: u64,
    /// Next position, receiver count, closed flag. Locked by senders, subscribers,
    /// dropping receivers, and receivers that fell behind (to find the oldest
    /// value).
    tail: Mutex<Tail>,
    /// `tail.pos << 1 | closed` (the position truncated to the word) as of the last
    /// completed send or close: stored under `tail`'s lock, after the slot is
    /// written; loaded by receivers that find no value, so telling "nothing new" or
    /// "closed" takes no lock (a receiver is never ahead of the tail, so equal
    /// positions mean nothing new).
    published: AtomicUsize,
    /// Live senders; the last one's drop closes the channel.
    tx_count: AtomicUsize,
    /// Woken (all waiters) on every send and on close: receivers wait here.
    notify_rx: Notify,
    /// Woken (all waiters) when the last receiver drops: `Sender::closed` waits here.
    notify_tx: Notify,
}

/// Sends values to every receiver. Cloning makes another sender. Created by
/// [`channel`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives every value sent after it was created. Created by [`channel`],
/// [`Sender::subscribe`] or [`Receiver::resubscribe`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position of the next value to read.
    next: u64,
}

/// Creates a broadcast channel holding up to `capacity` values (rounded up to a
/// power of two), and its first receiver.
///
/// # Panics
///
/// Panics if `capacity` is 0 ("broadcast channel capacity cannot be zero") or larger
/// than `usize::MAX / 2` ("broadcast channel capacity exceeded `usize::MAX / 2`").
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(
        capacity <= usize::MAX >> 1,
        "broadcast channel capacity exceeded `usize::MAX / 2`"
    );
    let capacity = capacity.next_power_of_two();
    let ring = (0..capacity)
        .map(|_| {
            RwLock::new(Slot {
                pos: None,
                rem: AtomicUsize::new(0),
                value: None,
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        ring,
        mask: capacity as u64 - 1,
        tail: Mutex::new(Tail {
            pos: 0,
            rx_count: 1,
            closed: false,
        }),
        published: AtomicUsize::new(0),
        tx_count: AtomicUsize::new(1),
        notify_rx: Notify::new(),
        notify_tx: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

impl<T> Shared<T> {
    /// The ring's length.
    fn capacity(&self) -> u64 {
        self.mask + 1
    }

    /// Drops the value at position `pos` now that no receiver is left to read it.
    /// Called by whoever brought the slot's reader count to 0; a slot already
    /// reused for a later value is left alone.
    fn release(&self, pos: u64) {
        let value = with_write(&self.ring[(pos & self.mask) as usize], |slot| {
            // Relaxed: under the slot's write lock.
            if slot.pos == Some(pos) && slot.rem.load(Ordering::Relaxed) == 0 {
                slot.value.take()
            } else {
                None
            }
        });
        // Dropped outside the lock.
        drop(value);
    }
}

/// Position `pos` as `Shared::published` holds it: truncated to the word less its
/// flag bit.
fn published_pos(pos: u64) -> usize {
    (pos as usize) & (usize::MAX >> 1)
}

/// A new receiver of `shared`, positioned at the tail (it sees only later values).
fn new_receiver<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut tail = shared.tail.lock();
    tail.rx_count += 1;
    let next = tail.pos;
    drop(tail);
    Receiver {
        shared: shared.clone(),
        next,
    }
}

impl<T> Sender<T> {
    /// Sends `value` to every live receiver and returns how many there are. Never
    /// waits; when the ring is full the oldest value is overwritten (receivers that
    /// had not read it will see `Lagged`). Fails, handing the value back, if no
    /// receiver is alive.
    ///
    /// ```
    /// use magpie::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(2);
    /// assert_eq!(tx.send(1).unwrap(), 1);
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let shared = &*self.shared;
        let mut tail = shared.tail.lock();
        if tail.rx_count == 0 {
            return Err(SendError(value));
        }
        let pos = tail.pos;
        tail.pos += 1;
        let rx_count = tail.rx_count;
        let old = with_write(&shared.ring[(pos & shared.mask) as usize], |slot| {
            slot.pos = Some(pos);
            // Relaxed: the slot's write lock orders it with the readers.
            slot.rem.store(rx_count, Ordering::Relaxed);
            slot.value.replace(value)
        });
        // Release: a receiver that sees the new position finds the slot written.
        shared
            .published
            .store(published_pos(pos + 1) << 1, Ordering::Release);
        drop(tail);
        // The overwritten value is dropped outside the locks.
        drop(old);
        shared.notify_rx.notify_waiters();
        Ok(rx_count)
    }

    /// A new receiver that sees the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// The number of live receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.tail.lock().rx_count
    }

    /// The number of values some receiver alive when they were sent has yet to read
    /// (at most the capacity).
    pub fn len(&self) -> usize {
        let shared = &*self.shared;
        let end = shared.tail.lock().pos;
        let start = end.saturating_sub(shared.capacity());
        let mut len = 0;
        for pos in (start..end).rev() {
            let unread = with_read(&shared.ring[(pos & shared.mask) as usize], |slot| {
                // Relaxed: read under the slot's lock.
                slot.pos == Some(pos) && slot.rem.load(Ordering::Relaxed) > 0
            });
            if !unread {
                break;
            }
            len += 1;
        }
        len
    }

    /// Whether no value is waiting for any receiver.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The number of live senders.
    pub fn strong_count(&self) -> usize {
        // Relaxed: a report.
        self.shared.tx_count.load(Ordering::Relaxed)
    }

    /// Waits until every receiver is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn closed(&self) {
        loop {
            let mut notified = pin!(self.shared.notify_tx.notified());
            notified.as_mut().enable();
            if self.receiver_count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // Relaxed: we hold a sender, so the count stays above 0.
        self.shared.tx_count.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last sender orders the others' sends before the close.
        if self.shared.tx_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut tail = self.shared.tail.lock();
            tail.closed = true;
            // Release: a receiver that sees the flag sees every value sent before.
            self.shared.published.fetch_or(1, Ordering::Release);
            drop(tail);
            self.shared.notify_rx.notify_waiters();
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// One look for the next value.
    fn try_recv_inner(&mut self) -> Result<T, TryRecvError> {
        let shared = &*self.shared;
        let next = self.next;
        let found = with_read(&shared.ring[(next & shared.mask) as usize], |slot| {
            if slot.pos == Some(next) {
                // Relaxed: under the slot's lock; only counts readers.
                let last = slot.rem.fetch_sub(1, Ordering::Relaxed) == 1;
                Some((slot.value.clone(), last))
            } else {
                None
            }
        });
        if let Some((value, last)) = found {
            self.next += 1;
            if last {
                // Every receiver has its copy: the channel's goes now, as in tokio,
                // rather than when the slot is reused.
                shared.release(next);
            }
            return Ok(value.expect("a slot with readers left holds its value"));
        }
        // Not there: not sent yet, closed, or overwritten (we fell behind). The
        // first two need no lock. Acquire: pairs with the send's or close's Release.
        let published = shared.published.load(Ordering::Acquire);
        if published >> 1 == published_pos(next) {
            return Err(if published & 1 != 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let tail = shared.tail.lock();
        if tail.pos <= next {
            return Err(if tail.closed {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let oldest = tail.pos.saturating_sub(shared.capacity());
        if next < oldest {
            self.next = oldest;
            return Err(TryRecvError::Lagged(oldest - next));
        }
        // The slot was written after our look (a send slipped in): look again.
        drop(tail);
        self.try_recv_inner()
    }

    /// Receives the next value, waiting for one. `Err(RecvError::Lagged(n))` if `n`
    /// values were overwritten before this receiver read them (the next call returns
    /// the oldest value still held); `Err(RecvError::Closed)` once every sender is
    /// gone and every value was received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future took no value.
    ///
    /// ```
    /// use magpie::sync::broadcast::{self, error::RecvError};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = broadcast::channel(2);
    ///     for i in 0..5 {
    ///         tx.send(i).unwrap();
    ///     }
    ///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(3)));
    ///     assert_eq!(rx.recv().await, Ok(3));
    ///     assert_eq!(rx.recv().await, Ok(4));
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// }
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        let shared = self.shared.clone();
        let mut notified = pin!(shared.notify_rx.notified());
        std::future::poll_fn(|cx| {
            let unit = ready!(magpie_coop::poll_unit(cx));
            loop {
                // Queue first, then look, so a send between the two still wakes us.
                notified.as_mut().enable();
                let result = match self.try_recv_inner() {
                    Ok(value) => Ok(value),
                    Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                    Err(TryRecvError::Closed) => Err(RecvError::Closed),
                    Err(TryRecvError::Empty) => match notified.as_mut().poll(cx) {
                        Poll::Ready(()) => {
                            notified.set(shared.notify_rx.notified());
                            continue;
                        }
                        Poll::Pending => return Poll::Pending,
                    },
                };
                unit.made_progress();
                return Poll::Ready(result);
            }
        })
        .await
    }

    /// Takes the next value if one is there (the errors as for `recv`, plus
    /// `Empty`).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.try_recv_inner()
    }

    /// Blocks the thread until the next value (`recv` for synchronous code). Do not
    /// call it inside an async task.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::block_on::block_on(self.recv())
    }
}

impl<T> Receiver<T> {
    /// A new receiver that sees the values sent from now on (not the ones this one
    /// has yet to read).
    pub fn resubscribe(&self) -> Self {
        new_receiver(&self.shared)
    }

    /// The number of values sent that this receiver has yet to read (lagged ones
    /// included, so it may exceed the capacity).
    pub fn len(&self) -> usize {
        let end = self.shared.tail.lock().pos;
        (end - self.next) as usize
    }

    /// Whether this receiver has read every value sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both receivers belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The number of live senders.
    pub fn sender_strong_count(&self) -> usize {
        // Relaxed: a report.
        self.shared.tx_count.load(Ordering::Relaxed)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let shared = &*self.shared;
        let mut tail = shared.tail.lock();
        tail.rx_count -= 1;
        let last = tail.rx_count == 0;
        let end = tail.pos;
        drop(tail);
        // The values we never read no longer wait for us.
        let start = self.next.max(end.saturating_sub(shared.capacity()));
        for pos in start..end {
            let last = with_read(&shared.ring[(pos & shared.mask) as usize], |slot| {
                // Relaxed: under the slot's lock; only counts readers.
                slot.pos == Some(pos) && slot.rem.fetch_sub(1, Ordering::Relaxed) == 1
            });
            if last {
                shared.release(pos);
            }
        }
        if last {
            shared.notify_tx.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// A send racing a waiting receive: the receiver wakes with the value.
    #[test]
    fn loom_broadcast_send_wakes_recv() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u8>(2);
            let sender = thread::spawn(move || {
                tx.send(1).unwrap();
            });
            assert_eq!(loom::future::block_on(rx.recv()), Ok(1));
            sender.join().unwrap();
        });
    }

    /// Sends overrunning a capacity-1 ring while the receiver reads: it sees either
    /// both values or `Lagged(1)` then the last, and then `Closed`.
    #[test]
    fn loom_broadcast_lag_and_close() {
        // At most 2 preemptions: the full model takes minutes.
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let (tx, mut rx) = channel::<u8>(1);
            let sender = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
            });
            let mut got = Vec::new();
            loop {
                match loom::future::block_on(rx.recv()) {
                    Ok(v) => got.push(Ok(v)),
                    Err(RecvError::Lagged(n)) => got.push(Err(n)),
                    Err(RecvError::Closed) => break,
                }
            }
            assert!(got == [Ok(1), Ok(2)] || got == [Err(1), Ok(2)], "{got:?}");
            sender.join().unwrap();
        });
    }

    /// Two receivers read one value on two threads while it is sent: each gets its
    /// copy, and the channel's copy is dropped exactly once (loom checks the
    /// `Box`es are neither leaked nor freed twice).
    #[test]
    fn loom_broadcast_last_reader_drops_the_value() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let (tx, mut rx1) = channel::<Box<u8>>(2);
            let mut rx2 = tx.subscribe();
            let other = thread::spawn(move || {
                assert_eq!(*loom::future::block_on(rx2.recv()).unwrap(), 5);
            });
            tx.send(Box::new(5)).unwrap();
            assert_eq!(*loom::future::block_on(rx1.recv()).unwrap(), 5);
            other.join().unwrap();
            assert!(tx.is_empty());
        });
    }
}
