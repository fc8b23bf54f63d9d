//! The unbounded channel's public handles: [`UnboundedSender`],
//! [`UnboundedReceiver`] and [`WeakUnboundedSender`]. Sending never waits; closing
//! marks the queue itself, so a send either lands before the close (and is
//! received) or fails.

use std::fmt;
use std::task::{Context, Poll};

use super::chan::{self, Unbounded};
use super::error::{SendError, TryRecvError};

/// Sends values to the [`UnboundedReceiver`] of an unbounded channel; `send` never
/// waits. Created by [`unbounded_channel`].
pub struct UnboundedSender<T> {
    chan: chan::Tx<T, Unbounded>,
}

/// An unbounded sender that does not keep the channel open. Created by
/// [`UnboundedSender::downgrade`].
pub struct WeakUnboundedSender<T> {
    chan: chan::WeakTx<T, Unbounded>,
}

/// Receives the values of an unbounded channel. Created by [`unbounded_channel`].
pub struct UnboundedReceiver<T> {
    chan: chan::Rx<T, Unbounded>,
}

/// Creates an unbounded channel: sends never wait, so the queue grows as long as
/// the receiver lags (memory is the only bound).
///
/// # Examples
///
/// ```
/// use magpie::sync::mpsc;
///
/// #[magpie::main]
/// async fn main() {
///     let (tx, mut rx) = mpsc::unbounded_channel();
///     magpie::spawn(async move {
///         for i in 0..3 {
///             tx.send(i).unwrap();
///         }
///     });
///     let mut got = Vec::new();
///     while let Some(i) = rx.recv().await {
///         got.push(i);
///     }
///     assert_eq!(got, [0, 1, 2]);
/// }
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = chan::channel(Unbounded);
    (UnboundedSender { chan: tx }, UnboundedReceiver { chan: rx })
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next value, waiting for one; `None` once every sender is gone
    /// (or the channel was closed) and every value sent before was received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future took no value from the channel.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Receives up to `limit` values into `buffer`, waiting for at least one;
    /// returns how many (0 once closed and drained, or if `limit` is 0).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`recv`](UnboundedReceiver::recv).
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Takes a value if one is waiting: `Err(TryRecvError::Empty)` if none is,
    /// `Err(TryRecvError::Disconnected)` if none can come any more.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Blocks the thread until a value comes. Do not call it inside an async task.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        super::block_on(self.recv())
    }

    /// Blocks the thread until values come. Do not call it inside an async task.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        super::block_on(self.recv_many(buffer, limit))
    }

    /// Closes the channel without dropping the receiver: sends fail from now on,
    /// values sent before are still received, then `recv` returns `None`.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Whether the channel is closed: the receiver closed it or every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether no value is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of values waiting.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Polls for the next value (`recv` for hand-written futures).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Polls for up to `limit` values (`recv_many` for hand-written futures).
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.chan.poll_recv_many(cx, buffer, limit)
    }

    /// The number of live senders.
    pub fn sender_strong_count(&self) -> usize {
        self.chan.sender_strong_count()
    }

    /// The number of live weak senders.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.sender_weak_count()
    }
}

impl<T> UnboundedSender<T> {
    /// Sends `value` without waiting. Fails, handing the value back, if the receiver
    /// closed the channel or was dropped.
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value).map_err(SendError)
    }

    /// Waits until the receiver closes the channel or is dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver closed the channel or was dropped.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether both senders belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.chan.same_channel(&other.chan)
    }

    /// A weak sender for this channel, which does not keep it open.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.downgrade(),
        }
    }

    /// The number of live senders.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// The number of live weak senders.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakUnboundedSender<T> {
    /// An [`UnboundedSender`], if any sender of the channel is still alive.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.upgrade().map(|chan| UnboundedSender { chan })
    }

    /// The number of live senders.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// The number of live weak senders.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
