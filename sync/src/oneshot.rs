//! A one-shot channel: a single value, sent once, from one [`Sender`] to one
//! [`Receiver`].
//!
//! The [`Receiver`] is itself the future: it resolves to `Ok(value)` once the
//! sender calls [`Sender::send`], or to `Err(RecvError)` if the sender is dropped
//! without sending. That makes it the hand-completed future of the guide: whoever
//! holds the `Sender` decides when and how the awaiting side resumes (asyncio's
//! `set_result`; sending an `Err` value plays `set_exception`).
//!
//! ```
//! use magpie::sync::oneshot;
//!
//! #[magpie::main]
//! async fn main() {
//!     let (tx, rx) = oneshot::channel();
//!
//!     magpie::spawn(async move {
//!         if tx.send(3).is_err() {
//!             println!("the receiver dropped");
//!         }
//!     });
//!
//!     match rx.await {
//!         Ok(v) => println!("got = {v:?}"),
//!         Err(_) => println!("the sender dropped"),
//!     }
//! }
//! ```
//!
//! This module owns the channel's state machine; it uses only the crate's loom shim
//! (atomics, `UnsafeCell`), `magpie-coop` for the budget and the crate's `block_on`.
//!
//! # How it works
//!
//! One allocation holds a state word, the value slot and two waker slots (one per
//! side). The state word's bits say who may touch which slot:
//!
//! - `COMPLETE`: the sender is done (it sent a value, or it dropped). From then on
//!   only the receiver touches the value slot.
//! - `CLOSED`: the receiver is done (it called `close`, or it dropped). A `send`
//!   that finds it set takes its value back.
//! - `RX_WAKER`: the receiver stored a waker; the sender may read (not change) the
//!   receiver's waker slot while it sets `COMPLETE`.
//! - `TX_WAKER`: the same for the sender's waker slot, read by the receiver when it
//!   sets `CLOSED`.
//!
//! A side changes its own waker slot only while its bit is clear, and clears the bit
//! (by an atomic read-modify-write) before changing it; if the other side's event
//! bit turns out to be set, it leaves the slot alone, since the other side may be
//! reading it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[cfg(loom)]
use loom::sync::Arc;
#[cfg(not(loom))]
use std::sync::Arc;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

pub mod error {
    //! The errors of [`oneshot`](super) channels.

    use std::fmt;

    /// Returned by the receiver's future when the sender was dropped without sending.
    #[derive(Debug, Eq, PartialEq, Clone)]
    pub struct RecvError(pub(super) ());

    /// Returned by [`Receiver::try_recv`](super::Receiver::try_recv).
    #[derive(Debug, Eq, PartialEq, Clone)]
    pub enum TryRecvError {
        /// The sender has not sent a value yet.
        Empty,
        /// The sender was dropped without sending a value, or the value was already
        /// taken, or the receiver closed the channel before a value was sent.
        Closed,
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use self::error::{RecvError, TryRecvError};

/// The sender is done: a value is in the slot, or the sender dropped without one.
const COMPLETE: usize = 0b0001;
/// The receiver is done: it closed the channel or dropped.
const CLOSED: usize = 0b0010;
/// The receiver's waker slot holds a waker the sender may read.
const RX_WAKER: usize = 0b0100;
/// The sender's waker slot holds a waker the receiver may read.
const TX_WAKER: usize = 0b1000;

/// What both halves share.
struct Inner<T> {
    /// The bits above. Both sides read-modify-write it; every change that hands a
    /// slot over is AcqRel, so what one side wrote into a slot is visible to the side
    /// that sees the bit.
    state: AtomicUsize,
    /// Written by the sender before it sets `COMPLETE` (or taken back by it when it
    /// finds `CLOSED`); read by the receiver only after it sees `COMPLETE`.
    value: UnsafeCell<Option<T>>,
    /// Written by the receiver while `RX_WAKER` is clear; read by the sender when it
    /// sets `COMPLETE` and finds `RX_WAKER` set.
    rx_waker: UnsafeCell<Option<Waker>>,
    /// Written by the sender while `TX_WAKER` is clear; read by the receiver when it
    /// sets `CLOSED` and finds `TX_WAKER` set.
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are handed between the two sides by the state word's bits (see
// the module docs), so no cell is touched by two threads at once; the value moves
// from the sender's thread to the receiver's, hence `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as for `Send`: shared access to `Inner` only ever reaches a cell through
// the state-word protocol.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Sends a value to the paired [`Receiver`]. Created by [`channel`].
pub struct Sender<T> {
    /// `None` once `send` consumed it.
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the value from the paired [`Sender`]. Created by [`channel`].
///
/// `Receiver` is a future: awaiting it yields `Ok(value)` once the value is sent, or
/// `Err(RecvError)` if the sender dropped without sending. Awaiting `&mut rx` keeps
/// the receiver usable (for [`try_recv`](Receiver::try_recv), say) after a
/// `select!` picked another branch.
///
/// # Cancel safety
///
/// Dropping the receiver (or a `&mut rx` future) loses nothing that could still be
/// received: a value already sent stays in the channel until the receiver itself is
/// dropped, which drops it.
pub struct Receiver<T> {
    /// `None` once the receiver yielded its result.
    inner: Option<Arc<Inner<T>>>,
    /// Set by a `close` that came before the sender completed: then a racing `send`
    /// takes its value back, and the receiver must never read the value slot.
    closed_first: bool,
}

/// Creates a one-shot channel: a [`Sender`] that can send one value and the
/// [`Receiver`] that resolves to it.
///
/// # Examples
///
/// ```
/// use magpie::sync::oneshot;
///
/// #[magpie::main]
/// async fn main() {
///     let (tx, rx) = oneshot::channel::<Result<u32, String>>();
///     magpie::spawn(async move {
///         // The listener completes the caller's future.
///         let _ = tx.send(Ok(42));
///     });
///     assert_eq!(rx.await.unwrap(), Ok(42));
/// }
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver {
            inner: Some(inner),
            closed_first: false,
        },
    )
}

impl<T> Inner<T> {
    /// Sets `COMPLETE` and wakes the receiver if it stored a waker. Returns the
    /// previous state.
    fn complete(&self) -> usize {
        // AcqRel: releases the value written before; acquires the receiver's waker.
        let prev = self.state.fetch_or(COMPLETE, Ordering::AcqRel);
        if prev & (RX_WAKER | CLOSED) == RX_WAKER {
            // SAFETY: `RX_WAKER` was set when we set `COMPLETE`, so the receiver
            // stored a waker and will not change the slot again (it clears the bit
            // first and then finds `COMPLETE`); we only read it.
            self.rx_waker
                .with(|waker| unsafe { (*waker).as_ref().map(Waker::wake_by_ref) });
        }
        prev
    }

    /// Sets `CLOSED` and wakes the sender if it waits in `closed`. Returns the
    /// previous state.
    fn close(&self) -> usize {
        // AcqRel: acquires the sender's waker (and a sent value, for `try_recv`).
        let prev = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if prev & (TX_WAKER | COMPLETE) == TX_WAKER {
            // SAFETY: `TX_WAKER` was set when we set `CLOSED`, so the sender stored a
            // waker and will not change its slot again; we only read it.
            self.tx_waker
                .with(|waker| unsafe { (*waker).as_ref().map(Waker::wake_by_ref) });
        }
        prev
    }

    /// Takes the value out of its slot.
    ///
    /// # Safety
    ///
    /// The caller is the receiver and has seen `COMPLETE` in the state word (with
    /// Acquire ordering), so the sender no longer touches the slot.
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: by the caller's contract the receiver owns the slot now.
        self.value.with_mut(|value| unsafe { (*value).take() })
    }

    /// Stores `waker` in the slot that `bit` guards, unless the event `event` (set by
    /// the other side) happened. Returns `true` if the waker is in place and the
    /// event had not happened when it was published, `false` if the event happened.
    ///
    /// # Safety
    ///
    /// `slot`/`bit` are the caller's own side's waker slot and bit, and the caller is
    /// the only one of its side (it holds `&mut` to its half).
    unsafe fn register(
        &self,
        slot: &UnsafeCell<Option<Waker>>,
        bit: usize,
        event: usize,
        waker: &Waker,
    ) -> bool {
        // Acquire: the other side's writes before its event are visible if we see it.
        let state = self.state.load(Ordering::Acquire);
        if state & event != 0 {
            return false;
        }
        if state & bit != 0 {
            // SAFETY: our bit is set, so the other side may read the slot, but
            // nobody writes it; reading it here is shared access.
            let same = slot.with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
            if same {
                return true;
            }
            // Take the slot back before changing it. AcqRel: see the event's writes.
            let prev = self.state.fetch_and(!bit, Ordering::AcqRel);
            if prev & event != 0 {
                // The other side may be reading the slot right now: leave it.
                return false;
            }
        }
        // SAFETY: our bit is clear, so the other side does not read the slot; we are
        // the only writer (our side is a single `&mut` handle).
        slot.with_mut(|w| unsafe { *w = Some(waker.clone()) });
        // AcqRel: publishes the waker; acquires the event's writes if it raced us.
        let prev = self.state.fetch_or(bit, Ordering::AcqRel);
        prev & event == 0
    }
}

impl<T> Sender<T> {
    /// Sends `value` to the receiver, completing its future.
    ///
    /// Returns `Err(value)` if the receiver was dropped or closed the channel first;
    /// otherwise the value is delivered (or dropped with the receiver, if it drops
    /// before looking).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::oneshot;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, rx) = oneshot::channel();
    ///     drop(rx);
    ///     assert_eq!(tx.send("late"), Err("late"));
    /// }
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self
            .inner
            .take()
            .expect("a sender holds its channel until send");
        // Acquire: pairs with the receiver's close.
        if inner.state.load(Ordering::Acquire) & CLOSED != 0 {
            return Err(value);
        }
        // SAFETY: `COMPLETE` is not set (only we set it), so the receiver does not
        // touch the value slot; we are the only sender.
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        let prev = inner.complete();
        if prev & CLOSED != 0 {
            // The receiver closed while we wrote. Its `close` found no `COMPLETE`,
            // so it counts as closed first (`closed_first`) and never reads the slot.
            // SAFETY: `CLOSED` was set before our `COMPLETE`, and a receiver that
            // closed first never reads the value slot, so it is ours again.
            let value = unsafe { inner.take_value() };
            return Err(value.expect("the value we just stored"));
        }
        Ok(())
    }

    /// Returns `true` if the receiver was dropped or closed the channel, so a `send`
    /// would fail.
    pub fn is_closed(&self) -> bool {
        let inner = self
            .inner
            .as_ref()
            .expect("a sender holds its channel until send");
        // Acquire: pairs with the receiver's close.
        inner.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Waits until the receiver is dropped or closes the channel.
    ///
    /// Useful to stop computing a reply nobody awaits any more, e.g. in a `select!`
    /// with the work itself.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::oneshot;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (mut tx, rx) = oneshot::channel::<()>();
    ///     magpie::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// }
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Polls whether the receiver is gone: `Ready(())` once it dropped or closed the
    /// channel; otherwise stores `cx`'s waker (only the last poll's waker is woken).
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let unit = std::task::ready!(magpie_coop::poll_unit(cx));
        let inner = self
            .inner
            .as_ref()
            .expect("a sender holds its channel until send");
        // SAFETY: the sender's own slot and bit; `&mut self` makes us the only sender.
        if unsafe { inner.register(&inner.tx_waker, TX_WAKER, CLOSED, cx.waker()) } {
            Poll::Pending
        } else {
            unit.made_progress();
            Poll::Ready(())
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Without a value: the receiver sees `COMPLETE` and an empty slot.
            inner.complete();
        }
    }
}

impl<T> Receiver<T> {
    /// Closes the channel without dropping the receiver: a later `send` fails, and
    /// a sender waiting in [`Sender::closed`] wakes. A value sent before `close`
    /// can still be taken with [`try_recv`](Receiver::try_recv) (or by awaiting).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::oneshot::{self, error::TryRecvError};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = oneshot::channel::<u8>();
    ///     rx.close();
    ///     assert!(tx.send(1).is_err());
    ///     assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// }
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = self.inner.as_ref() {
            if self.closed_first {
                return;
            }
            let prev = inner.close();
            // A value sent before this point is still ours; one sent after is not.
            self.closed_first = prev & (COMPLETE | CLOSED) == 0;
        }
    }

    /// Returns `true` once the receiver yielded its result (awaiting it again would
    /// panic).
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Returns `true` if no value waits in the channel (none sent yet, the sender
    /// dropped, or the value was already taken).
    pub fn is_empty(&self) -> bool {
        let Some(inner) = self.inner.as_ref() else {
            return true;
        };
        // Acquire: pairs with the sender's `complete`.
        if self.closed_first || inner.state.load(Ordering::Acquire) & COMPLETE == 0 {
            return true;
        }
        // SAFETY: `COMPLETE` is set and the receiver did not close first, so the
        // receiver owns the value slot; we only read whether it is filled.
        inner.value.with(|value| unsafe { (*value).is_none() })
    }

    /// Takes the value if it was sent, without waiting.
    ///
    /// Returns `Err(TryRecvError::Empty)` if nothing was sent yet, and
    /// `Err(TryRecvError::Closed)` if the sender dropped without sending, the
    /// channel was closed before a value came, or the value was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::oneshot::{self, error::TryRecvError};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = oneshot::channel();
    ///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    ///     tx.send("hi").unwrap();
    ///     assert_eq!(rx.try_recv(), Ok("hi"));
    ///     assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// }
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = self.inner.as_ref() else {
            return Err(TryRecvError::Closed);
        };
        match self.take_result(inner.state.load(Ordering::Acquire)) {
            Some(result) => result.map_err(|RecvError(())| TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// The result for state word `state` (loaded with Acquire), if there is one;
    /// `None` means "nothing yet". Terminates the receiver when it returns one.
    fn take_result(&mut self, state: usize) -> Option<Result<T, RecvError>> {
        let inner = self.inner.as_ref()?;
        let result = if self.closed_first || state & (COMPLETE | CLOSED) == CLOSED {
            // Closed before any value came (closing again after a value came does
            // not set `closed_first`, so that value is still delivered).
            Err(RecvError(()))
        } else if state & COMPLETE != 0 {
            // SAFETY: `COMPLETE` was seen with Acquire ordering and we did not close
            // first, so the slot is the receiver's.
            unsafe { inner.take_value() }.ok_or(RecvError(()))
        } else {
            return None;
        };
        self.inner = None;
        Some(result)
    }

    /// Blocks the current thread until the value comes or the sender drops.
    ///
    /// For synchronous code handing work to async code. Calling it inside an async
    /// task blocks that task's worker thread (and can deadlock if the sender needs
    /// that worker): do not.
    ///
    /// # Examples
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    ///
    /// ```
    /// use magpie::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// let t = std::thread::spawn(move || rx.blocking_recv());
    /// tx.send(10).unwrap();
    /// assert_eq!(t.join().unwrap(), Ok(10));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::block_on::block_on(self)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let prev = inner.close();
            if prev & COMPLETE != 0 && !self.closed_first {
                // SAFETY: `COMPLETE` was seen (AcqRel) and we did not close first, so
                // the slot is the receiver's. Drop the value now rather than with
                // the last `Arc`.
                drop(unsafe { inner.take_value() });
            }
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let unit = std::task::ready!(magpie_coop::poll_unit(cx));
        let inner = this
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after it completed");
        // Acquire: pairs with the sender's `complete`.
        if let Some(result) = this.take_result(inner.state.load(Ordering::Acquire)) {
            unit.made_progress();
            return Poll::Ready(result);
        }
        let inner = this.inner.as_ref().expect("still there without a result");
        // SAFETY: the receiver's own slot and bit; `&mut self` makes us the only
        // receiver.
        let waiting = unsafe { inner.register(&inner.rx_waker, RX_WAKER, COMPLETE, cx.waker()) };
        if waiting {
            // Pending: the unit goes back to the budget.
            return Poll::Pending;
        }
        let state = inner.state.load(Ordering::Acquire);
        let result = this
            .take_result(state)
            .expect("COMPLETE is set once register reports the event");
        unit.made_progress();
        Poll::Ready(result)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// The receiver awaits while the sender sends from another thread: the value
    /// arrives and the receiver is woken.
    #[test]
    fn loom_oneshot_send_wakes_the_receiver() {
        loom::model(|| {
            let (tx, rx) = channel();
            let sender = thread::spawn(move || tx.send(1u8).unwrap());
            assert_eq!(loom::future::block_on(rx), Ok(1));
            sender.join().unwrap();
        });
    }

    /// The sender drops without sending while the receiver awaits: it gets an error.
    #[test]
    fn loom_oneshot_sender_drop_wakes_the_receiver() {
        loom::model(|| {
            let (tx, rx) = channel::<u8>();
            let sender = thread::spawn(move || drop(tx));
            assert!(loom::future::block_on(rx).is_err());
            sender.join().unwrap();
        });
    }

    /// `send` racing `close` + `try_recv`: the value is received exactly when the
    /// send succeeded.
    #[test]
    fn loom_oneshot_send_races_close() {
        loom::model(|| {
            let (tx, mut rx) = channel::<Box<u8>>();
            let sender = thread::spawn(move || tx.send(Box::new(3)).is_ok());
            rx.close();
            let received = rx.try_recv().is_ok();
            let sent = sender.join().unwrap();
            assert_eq!(received, sent);
        });
    }

    /// `send` racing the receiver's drop: the value is dropped once, by whichever
    /// side ends up with it (loom checks the `Box` is not leaked or freed twice).
    #[test]
    fn loom_oneshot_send_races_receiver_drop() {
        loom::model(|| {
            let (tx, rx) = channel::<Box<u8>>();
            let sender = thread::spawn(move || {
                let _ = tx.send(Box::new(4));
            });
            drop(rx);
            sender.join().unwrap();
        });
    }

    /// The sender waits in `closed` while the receiver drops: it is woken.
    #[test]
    fn loom_oneshot_closed_wakes_on_receiver_drop() {
        loom::model(|| {
            let (mut tx, rx) = channel::<u8>();
            let receiver = thread::spawn(move || drop(rx));
            loom::future::block_on(tx.closed());
            receiver.join().unwrap();
        });
    }
}
