//! A single-value channel: senders replace (or modify) one value; receivers see the
//! latest value and can wait for it to change. Intermediate values may be skipped.
//!
//! Names and meanings are `tokio::sync::watch`'s. Each receiver remembers the
//! version it saw last; [`Receiver::changed`] waits until the current version is a
//! different one, and reports `Err(RecvError)` only once every sender is gone *and*
//! the receiver has seen the last value.
//!
//! ```
//! use magpie::sync::watch;
//!
//! #[magpie::main]
//! async fn main() {
//!     let (tx, mut rx) = watch::channel("hello");
//!     magpie::spawn(async move {
//!         tx.send("world").unwrap();
//!     });
//!     rx.changed().await.unwrap();
//!     assert_eq!(*rx.borrow_and_update(), "world");
//! }
//! ```
//!
//! This module owns the channel: the value behind a read-write lock, a state word
//! (version and closed flag), receiver and sender counts, and two `Notify`s (the
//! receivers' "changed" and the senders' "no receivers left"). It uses the crate's
//! loom shim and `Notify`, and `magpie-coop`.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::pin;
use std::task::{ready, Poll};

#[cfg(loom)]
use loom::sync::Arc;
#[cfg(not(loom))]
use std::sync::Arc;

use crate::loom::{AtomicUsize, Ordering};
use crate::Notify;

#[cfg(not(loom))]
type RwLock<T> = parking_lot::RwLock<T>;
#[cfg(not(loom))]
type ReadGuard<'a, T> = parking_lot::RwLockReadGuard<'a, T>;
#[cfg(loom)]
type RwLock<T> = loom::sync::RwLock<T>;
#[cfg(loom)]
type ReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;

/// Takes the read lock (loom's lock returns a `Result`; no model poisons it).
fn read<T>(lock: &RwLock<T>) -> ReadGuard<'_, T> {
    #[cfg(not(loom))]
    return lock.read();
    #[cfg(loom)]
    return lock.read().expect("not poisoned in a passing model");
}

/// Runs `f` with the write lock held.
fn write<T, R>(lock: &RwLock<T>, f: impl FnOnce(&mut T) -> R) -> R {
    #[cfg(not(loom))]
    let mut guard = lock.write();
    #[cfg(loom)]
    let mut guard = lock.write().expect("not poisoned in a passing model");
    f(&mut guard)
}

pub mod error {
    //! The errors of [`watch`](super) channels.

    use std::fmt;

    /// Returned by [`Sender::send`](super::Sender::send) when no receiver is left;
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

    /// Returned by [`Receiver::changed`](super::Receiver::changed) (and friends)
    /// once every sender is gone and the last value was seen.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

use self::error::{RecvError, SendError};

/// In `state`: every sender is gone.
const CLOSED: usize = 1;
/// In `state`: each new value adds this (the version sits above the flag).
const STEP: usize = 2;

/// What the handles share.
struct Shared<T> {
    /// The current value. Senders write it (and bump the version) under the write
    /// lock; everyone reads it under the read lock.
    value: RwLock<T>,
    /// `version * STEP | CLOSED`. The version changes only under `value`'s write
    /// lock; the last sender's drop sets `CLOSED`. Read by receivers.
    state: AtomicUsize,
    /// Live receivers. Changed by receivers (clone/drop) and `subscribe`; read by
    /// senders (`send` fails at 0).
    rx_count: AtomicUsize,
    /// Live senders; the last one's drop closes the channel.
    tx_count: AtomicUsize,
    /// Woken (all waiters) on every new value and on close: the receivers'
    /// `changed` waits here.
    notify_rx: Notify,
    /// Woken (all waiters) when the last receiver drops: `Sender::closed` waits here.
    notify_tx: Notify,
}

impl<T> Shared<T> {
    /// The current state word.
    fn state(&self) -> usize {
        // Acquire: pairs with the Release of a version bump or close, so the value
        // read afterwards (under the lock) is at least that new.
        self.state.load(Ordering::Acquire)
    }
}

/// Sends values to the receivers of a watch channel. Created by [`channel`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Sees the latest value of a watch channel and waits for changes. Cloning it makes
/// a receiver that has seen what this one has. Created by [`channel`] or
/// [`Sender::subscribe`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version (state without the flag) this receiver saw last.
    version: usize,
}

/// A borrowed view of the value; holds the read lock, so keep it briefly (senders
/// wait while it lives, and holding it across an `.await` can deadlock).
pub struct Ref<'a, T> {
    inner: ReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value was new to the receiver that borrowed it (always `false`
    /// for [`Sender::borrow`]).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// Creates a watch channel holding `init`; the receiver counts `init` as seen.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        state: AtomicUsize::new(0),
        rx_count: AtomicUsize::new(1),
        tx_count: AtomicUsize::new(1),
        notify_rx: Notify::new(),
        notify_tx: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, version: 0 },
    )
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers, unless there are none: then it
    /// fails and hands `value` back (the stored value is unchanged).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Modifies the value in place and notifies the receivers, even if there are
    /// none.
    ///
    /// # Panics
    ///
    /// If `modify` panics, the panic propagates and the receivers are not notified.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Runs `modify` on the value; notifies the receivers only if it returns `true`.
    /// Returns what `modify` returned.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let modified = write(&self.shared.value, |value| {
            let modified = modify(value);
            if modified {
                // Release: a receiver that sees the new version reads the new value.
                self.shared.state.fetch_add(STEP, Ordering::Release);
            }
            modified
        });
        if modified {
            self.shared.notify_rx.notify_waiters();
        }
        modified
    }

    /// Replaces the value, notifies the receivers (even if there are none) and
    /// returns the old value.
    pub fn send_replace(&self, value: T) -> T {
        let mut value = Some(value);
        let mut old = None;
        self.send_if_modified(|current| {
            old = Some(std::mem::replace(current, value.take().expect("set above")));
            true
        });
        old.expect("replaced above")
    }

    /// Borrows the current value (its `has_changed` is `false`).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: read(&self.shared.value),
            has_changed: false,
        }
    }

    /// A new receiver that counts the current value as seen.
    pub fn subscribe(&self) -> Receiver<T> {
        // Relaxed: the count is only compared with 0 by senders; no data rides on it.
        self.shared.rx_count.fetch_add(1, Ordering::Relaxed);
        let version = self.shared.state() & !CLOSED;
        Receiver {
            shared: self.shared.clone(),
            version,
        }
    }

    /// The number of live receivers.
    pub fn receiver_count(&self) -> usize {
        // Relaxed: a report (and `send`'s early check, racy by nature).
        self.shared.rx_count.load(Ordering::Relaxed)
    }

    /// The number of live senders.
    pub fn sender_count(&self) -> usize {
        // Relaxed: a report.
        self.shared.tx_count.load(Ordering::Relaxed)
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
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
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Whether both senders belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
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
        // AcqRel: the last sender sees the others' drops before closing.
        if self.shared.tx_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Release: receivers that see CLOSED see every value sent before.
            self.shared.state.fetch_or(CLOSED, Ordering::Release);
            self.shared.notify_rx.notify_waiters();
        }
    }
}

/// Waits until `shared`'s version differs from `*version` (then records it) or the
/// channel is closed with nothing unseen. Spends one budget unit when it completes.
async fn changed_impl<T>(shared: &Shared<T>, version: &mut usize) -> Result<(), RecvError> {
    // Made before the first look at the version: a send after that look bumps
    // `notify_rx`'s generation, which completes this `Notified` whether or not it is
    // queued yet. So it is queued (one lock) only when the look finds nothing new, and
    // a receiver that finds a new value at once takes no lock at all.
    let mut notified = pin!(shared.notify_rx.notified());
    std::future::poll_fn(|cx| {
        let unit = ready!(magpie_coop::poll_unit(cx));
        loop {
            let state = shared.state();
            let current = state & !CLOSED;
            if current != *version {
                *version = current;
                unit.made_progress();
                return Poll::Ready(Ok(()));
            }
            if state & CLOSED != 0 {
                unit.made_progress();
                return Poll::Ready(Err(RecvError(())));
            }
            match notified.as_mut().poll(cx) {
                Poll::Ready(()) => notified.set(shared.notify_rx.notified()),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen; [`Ref::has_changed`] says
    /// whether it is new to this receiver.
    pub fn borrow(&self) -> Ref<'_, T> {
        let inner = read(&self.shared.value);
        // Under the read lock the version cannot move, so it matches the value.
        let has_changed = (self.shared.state() & !CLOSED) != self.version;
        Ref { inner, has_changed }
    }

    /// Borrows the current value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let inner = read(&self.shared.value);
        let current = self.shared.state() & !CLOSED;
        let has_changed = current != self.version;
        self.version = current;
        Ref { inner, has_changed }
    }

    /// Whether a value this receiver has not seen is there. `Err(RecvError)` if every
    /// sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = self.shared.state();
        if state & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok((state & !CLOSED) != self.version)
    }

    /// Counts the current value as unseen, so the next `changed` returns at once.
    pub fn mark_changed(&mut self) {
        self.version = (self.shared.state() & !CLOSED).wrapping_sub(STEP);
    }

    /// Counts the current value as seen.
    pub fn mark_unchanged(&mut self) {
        self.version = self.shared.state() & !CLOSED;
    }

    /// Waits for a value this receiver has not seen, and marks it seen (read it
    /// with [`borrow`](Receiver::borrow)). If one is already there, returns at once.
    /// Returns `Err(RecvError)` once every sender is gone and the last value was
    /// seen: a value sent just before the last sender dropped is reported first.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future marks nothing seen.
    ///
    /// ```
    /// use magpie::sync::watch;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     tx.send(1).unwrap();
    ///     drop(tx);
    ///     assert!(rx.changed().await.is_ok()); // the unseen 1 first
    ///     assert_eq!(*rx.borrow(), 1);
    ///     assert!(rx.changed().await.is_err());
    /// }
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        changed_impl(&self.shared, &mut self.version).await
    }

    /// Waits until the value satisfies `condition` (checking the current value
    /// first) and returns it borrowed, marked seen. Returns `Err(RecvError)` if every
    /// sender is gone and the last value does not satisfy it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// use magpie::sync::watch;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     magpie::spawn(async move {
    ///         for i in 1..=5 {
    ///             tx.send(i).unwrap();
    ///             magpie::task::yield_now().await;
    ///         }
    ///     });
    ///     let v = rx.wait_for(|v| *v >= 3).await.unwrap();
    ///     assert!(*v >= 3);
    /// }
    /// ```
    pub async fn wait_for(
        &mut self,
        mut condition: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        loop {
            let closed;
            {
                let inner = read(&self.shared.value);
                let state = self.shared.state();
                let current = state & !CLOSED;
                let has_changed = current != self.version;
                self.version = current;
                closed = state & CLOSED != 0;
                if condition(&inner) {
                    return Ok(Ref { inner, has_changed });
                }
            }
            if closed {
                return Err(RecvError(()));
            }
            changed_impl(&self.shared, &mut self.version).await?;
        }
    }

    /// Whether both receivers belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        // Relaxed: a count compared with 0 only.
        self.shared.rx_count.fetch_add(1, Ordering::Relaxed);
        Receiver {
            shared: self.shared.clone(),
            version: self.version,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: orders the count with `closed`'s check after its `enable`.
        if self.shared.rx_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.notify_tx.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("value", &*self.borrow())
            .finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// A send racing `changed`: the receiver wakes and sees the new value.
    #[test]
    fn loom_watch_send_wakes_changed() {
        loom::model(|| {
            let (tx, mut rx) = channel(0u8);
            let sender = thread::spawn(move || {
                tx.send(1).unwrap();
            });
            loom::future::block_on(rx.changed()).unwrap();
            assert_eq!(*rx.borrow_and_update(), 1);
            sender.join().unwrap();
        });
    }

    /// The sender sends then drops while the receiver waits: `Ok` for the unseen
    /// value first, then `Err`.
    #[test]
    fn loom_watch_drop_after_send() {
        // At most 2 preemptions: the full model (Notify, the lock, two waits) takes
        // minutes.
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let (tx, mut rx) = channel(0u8);
            let sender = thread::spawn(move || {
                tx.send(1).unwrap();
                drop(tx);
            });
            loom::future::block_on(rx.changed()).unwrap();
            assert_eq!(*rx.borrow(), 1);
            assert!(loom::future::block_on(rx.changed()).is_err());
            sender.join().unwrap();
        });
    }
}
