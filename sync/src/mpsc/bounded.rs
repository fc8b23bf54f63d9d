//! The bounded channel's public handles: [`Sender`], [`Receiver`], [`WeakSender`],
//! and the reserved slots [`Permit`], [`PermitIterator`] and [`OwnedPermit`]. Its
//! capacity is the crate's batch semaphore (one permit per value in flight), so
//! waiting senders are served in FIFO order and a dropped `send` or `reserve`
//! future gives its place and anything it held back.

use std::fmt;
use std::task::{Context, Poll};

use super::chan::{self, Bounded};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::batch_semaphore::{Semaphore, TryAcquireError};

/// Sends values to the [`Receiver`] of a bounded channel. Cloning it makes another
/// sender of the same channel. Created by [`channel`].
pub struct Sender<T> {
    chan: chan::Tx<T, Bounded>,
}

/// A sender that does not keep the channel open: [`upgrade`](WeakSender::upgrade)
/// it to send. Created by [`Sender::downgrade`].
pub struct WeakSender<T> {
    chan: chan::WeakTx<T, Bounded>,
}

/// One reserved slot of a bounded channel: [`send`](Permit::send) uses it and cannot
/// fail or wait; dropping it gives the slot back. Created by [`Sender::reserve`].
pub struct Permit<'a, T> {
    chan: &'a chan::Tx<T, Bounded>,
}

/// Several reserved slots, handed out one [`Permit`] at a time; those never taken
/// are given back on drop. Created by [`Sender::reserve_many`].
pub struct PermitIterator<'a, T> {
    chan: &'a chan::Tx<T, Bounded>,
    left: usize,
}

/// A reserved slot that owns its sender (so it can be moved into a task). Created
/// by [`Sender::reserve_owned`].
pub struct OwnedPermit<T> {
    /// `None` once sent or released.
    chan: Option<chan::Tx<T, Bounded>>,
}

/// Receives the values of a bounded channel. Created by [`channel`].
pub struct Receiver<T> {
    chan: chan::Rx<T, Bounded>,
}

/// Creates a bounded channel that holds at most `buffer` values: a sender then
/// waits (`send`, `reserve`) or fails (`try_send`) until the receiver takes one.
///
/// # Panics
///
/// Panics if `buffer` is 0 ("mpsc bounded channel requires buffer > 0") or larger
/// than the semaphore's limit, `usize::MAX >> 3`.
///
/// # Examples
///
/// ```
/// use magpie::sync::mpsc;
///
/// #[magpie::main]
/// async fn main() {
///     let (tx, mut rx) = mpsc::channel(100);
///     magpie::spawn(async move {
///         for i in 0..10 {
///             if tx.send(i).await.is_err() {
///                 println!("receiver dropped");
///                 return;
///             }
///         }
///     });
///     while let Some(i) = rx.recv().await {
///         println!("got = {i}");
///     }
/// }
/// ```
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    assert!(
        buffer <= Semaphore::MAX_PERMITS,
        "mpsc bounded channel requires buffer <= {}",
        Semaphore::MAX_PERMITS
    );
    let (tx, rx) = chan::channel(Bounded {
        semaphore: Semaphore::new(buffer),
        bound: buffer,
    });
    (Sender { chan: tx }, Receiver { chan: rx })
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting for one. Returns `None` once every sender is
    /// gone (or the channel was [closed](Receiver::close)) and every value sent
    /// before was received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped (say, another `select!` branch
    /// completed), no value was taken from the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(8);
    ///     tx.send("hello").await.unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Some("hello"));
    ///     assert_eq!(rx.recv().await, None);
    /// }
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Receives up to `limit` values into `buffer` (appending), waiting until at
    /// least one is there. Returns how many were received: 0 once the channel is
    /// closed and drained, or at once if `limit` is 0.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`recv`](Receiver::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(8);
    ///     for i in 0..5 {
    ///         tx.send(i).await.unwrap();
    ///     }
    ///     let mut buf = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
    ///     assert_eq!(buf, [0, 1, 2]);
    /// }
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Takes a value if one is waiting. `Err(TryRecvError::Empty)` if none is,
    /// `Err(TryRecvError::Disconnected)` if none can come any more.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Blocks the thread until a value comes (`recv` for synchronous code). Do not
    /// call it inside an async task: it blocks that task's worker.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(7).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(7));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        super::block_on(self.recv())
    }

    /// Blocks the thread until values come (`recv_many` for synchronous code).
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        super::block_on(self.recv_many(buffer, limit))
    }

    /// Closes the channel without dropping the receiver: sends fail from now on and
    /// [`Sender::closed`] resolves, but values already sent, and values sent through
    /// permits reserved before, are still received; then `recv` returns `None`.
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(8);
    ///     tx.send(1).await.unwrap();
    ///     rx.close();
    ///     assert!(tx.send(2).await.is_err());
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// }
    /// ```
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

    /// The free capacity now (the channel's capacity minus values in flight and
    /// reserved slots).
    pub fn capacity(&self) -> usize {
        self.chan.capacity().semaphore.available_permits()
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity().bound
    }

    /// Polls for the next value (`recv` for hand-written futures): `Ready(Some(v))`,
    /// `Ready(None)` once closed and drained, or `Pending` with `cx`'s waker stored
    /// (only the last poll's waker is woken).
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

    /// The number of live [`Sender`]s.
    pub fn sender_strong_count(&self) -> usize {
        self.chan.sender_strong_count()
    }

    /// The number of live [`WeakSender`]s.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.sender_weak_count()
    }
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for capacity if the channel is full. Fails, handing
    /// the value back, if the receiver closed the channel or was dropped.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while it waits loses the value it owns and its place in
    /// the queue of waiting senders, but no capacity: nothing is sent. Use
    /// [`reserve`](Sender::reserve) to keep the value when a `select!` may cancel.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     magpie::spawn(async move {
    ///         tx.send(1).await.unwrap();
    ///         tx.send(2).await.unwrap(); // waits until 1 was received
    ///     });
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, Some(2));
    /// }
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.chan.capacity().semaphore.acquire(1).await {
            Ok(()) => {
                self.push_reserved(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Sends `value`, waiting at most `timeout` for capacity:
    /// `Err(SendTimeoutError::Timeout(value))` if none came free in time,
    /// `Err(SendTimeoutError::Closed(value))` if the receiver is gone or closed.
    /// Waits in the queue of senders as [`send`](Sender::send) does.
    ///
    /// # Cancel safety
    ///
    /// As `send`: if the future is dropped before it completes, the value is
    /// dropped with it and nothing is sent.
    ///
    /// # Panics
    ///
    /// As `magpie::time::timeout`: outside a magpie
    /// runtime, or after its timer has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::mpsc::{self, error::SendTimeoutError};
    /// use std::time::Duration;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     tx.send_timeout(1, Duration::from_millis(10)).await.unwrap();
    ///     // Full: the second value comes back after the timeout.
    ///     let err = tx.send_timeout(2, Duration::from_millis(10)).await;
    ///     assert_eq!(err, Err(SendTimeoutError::Timeout(2)));
    ///     assert_eq!(rx.recv().await, Some(1));
    /// }
    /// ```
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: std::time::Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match magpie_timer::timeout(timeout, self.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(value);
                Ok(())
            }
            Ok(Err(_)) => Err(SendTimeoutError::Closed(value)),
            Err(_) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Sends into a slot this sender holds a permit for.
    #[inline]
    fn push_reserved(&self, value: T) {
        push_reserved(&self.chan, value);
    }

    /// Sends `value` if there is capacity now: `Err(TrySendError::Full(value))` if
    /// not, `Err(TrySendError::Closed(value))` if the receiver is gone or closed.
    ///
    /// ```
    /// use magpie::sync::mpsc::{self, error::TrySendError};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, _rx) = mpsc::channel(1);
    ///     tx.try_send(1).unwrap();
    ///     assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// }
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.capacity().semaphore.try_acquire(1) {
            Ok(()) => {
                self.push_reserved(value);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Blocks the thread until `value` is sent (`send` for synchronous code). Do not
    /// call it inside an async task: it blocks that task's worker.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        super::block_on(self.send(value))
    }

    /// Waits until the receiver closes the channel or is dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, rx) = mpsc::channel::<()>(1);
    ///     magpie::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// }
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver closed the channel or was dropped.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Waits for one slot of capacity and reserves it: the returned [`Permit`]
    /// sends without waiting. Fails if the receiver closed the channel or was
    /// dropped.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses its place in the queue of waiting senders and
    /// nothing else.
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     let permit = tx.reserve().await.unwrap();
    ///     assert!(tx.try_send(0).is_err()); // the slot is taken
    ///     permit.send(1);
    ///     assert_eq!(rx.recv().await, Some(1));
    /// }
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match self.chan.capacity().semaphore.acquire(1).await {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Waits for `n` slots and reserves them all at once. Fails if the receiver is
    /// gone or `n` exceeds the channel's capacity.
    ///
    /// # Cancel safety
    ///
    /// As [`reserve`](Sender::reserve).
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        let Some(request) = self.many(n) else {
            return Err(SendError(()));
        };
        match self.chan.capacity().semaphore.acquire(request).await {
            Ok(()) => Ok(PermitIterator {
                chan: &self.chan,
                left: n,
            }),
            Err(_) => Err(SendError(())),
        }
    }

    /// `n` as a semaphore request, if the channel could ever grant it.
    fn many(&self, n: usize) -> Option<u32> {
        if n > self.max_capacity() {
            return None;
        }
        u32::try_from(n).ok()
    }

    /// Reserves one slot if one is free now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.capacity().semaphore.try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Reserves `n` slots if they are free now.
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        let Some(request) = self.many(n) else {
            return Err(TrySendError::Full(()));
        };
        match self.chan.capacity().semaphore.try_acquire(request) {
            Ok(()) => Ok(PermitIterator {
                chan: &self.chan,
                left: n,
            }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Like [`reserve`](Sender::reserve), but the permit owns this sender, so it can
    /// outlive the borrow (move it into a task); `OwnedPermit::send` gives the
    /// sender back.
    ///
    /// # Cancel safety
    ///
    /// As [`reserve`](Sender::reserve) (the sender is dropped with the future).
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        match self.chan.capacity().semaphore.acquire(1).await {
            Ok(()) => Ok(OwnedPermit {
                chan: Some(self.chan),
            }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Like [`try_reserve`](Sender::try_reserve) with an owned permit; hands the
    /// sender back in the error.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.capacity().semaphore.try_acquire(1) {
            Ok(()) => Ok(OwnedPermit {
                chan: Some(self.chan),
            }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(self)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Whether both senders belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.chan.same_channel(&other.chan)
    }

    /// The free capacity now.
    pub fn capacity(&self) -> usize {
        self.chan.capacity().semaphore.available_permits()
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity().bound
    }

    /// A [`WeakSender`] for this channel, which does not keep it open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
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

/// Pushes `value` into a slot already paid for by a permit (the bounded queue is
/// never marked closed, so the push cannot fail).
#[inline]
fn push_reserved<T>(chan: &chan::Tx<T, Bounded>, value: T) {
    if chan.push(value).is_err() {
        unreachable!("a bounded channel's queue is never closed");
    }
}

/// Gives one unused reserved slot back, and lets a closed channel's receiver
/// finish if that was the last one outstanding.
fn release_reserved<T>(chan: &chan::Tx<T, Bounded>, n: usize) {
    let capacity = chan.capacity();
    capacity.semaphore.release(n);
    if capacity.semaphore.is_closed() && n > 0 {
        chan.wake_rx();
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if any sender of the channel is still alive.
    ///
    /// ```
    /// use magpie::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.upgrade().map(|chan| Sender { chan })
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

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot. Never waits and never fails; if the
    /// receiver is gone, the value is dropped with the channel.
    pub fn send(self, value: T) {
        push_reserved(self.chan, value);
        // The slot now belongs to the value; the receiver gives it back.
        std::mem::forget(self);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        release_reserved(self.chan, 1);
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        release_reserved(self.chan, self.left);
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let chan = self.chan.take().expect("an owned permit is used once");
        push_reserved(&chan, value);
        Sender { chan }
    }

    /// Gives the reserved slot back unused, and the sender with it.
    pub fn release(mut self) -> Sender<T> {
        let chan = self.chan.take().expect("an owned permit is used once");
        release_reserved(&chan, 1);
        Sender { chan }
    }

    /// Whether both permits belong to one channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        match (&self.chan, &other.chan) {
            (Some(a), Some(b)) => a.same_channel(b),
            _ => false,
        }
    }

    /// Whether this permit belongs to `sender`'s channel.
    pub fn same_channel_as_sender(&self, sender: &Sender<T>) -> bool {
        self.chan
            .as_ref()
            .is_some_and(|chan| chan.same_channel(&sender.chan))
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(chan) = self.chan.take() {
            release_reserved(&chan, 1);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
