//! What a bounded and an unbounded mpsc channel share: the queue, the receiver's
//! waker, the sender counts, closing, and the receive logic. The two flavours differ
//! only in their [`Capacity`]: the batch semaphore for bounded channels, nothing for
//! unbounded ones.
//!
//! It uses `super::list` (the storage), `super::atomic_waker`, the crate's
//! `Notify` (for `Sender::closed`), the loom shim and `magpie-coop`.
//!
//! # Closing
//!
//! - The receiver closes (`close` or drop): senders fail from then on (the bounded
//!   semaphore closes, or the unbounded queue's tail is marked), and `closed()`
//!   waiters wake. Values already sent, and values sent through permits reserved
//!   before, are still received; `recv` returns `None` once none can come.
//! - The last sender drops: the receiver is woken and, once it has taken every
//!   value, gets `None`.

use std::mem::MaybeUninit;
use std::ops::Deref;
use std::task::{ready, Context, Poll};

use super::atomic_waker::AtomicWaker;
use super::list::{self, Pop};
use crate::batch_semaphore::Semaphore;
#[cfg(loom)]
use loom::sync::Arc;
#[cfg(not(loom))]
use std::sync::Arc;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};
use crate::Notify;

/// Aligns its content to its own cache lines, so the senders' hot tail and the
/// receiver's waker do not share a line with anything else.
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// How a channel bounds the values in flight.
pub(crate) trait Capacity: Send + Sync {
    /// `n` received values give their capacity back.
    fn release(&self, n: usize);
    /// The receiver closed: later sends fail.
    fn close<T>(&self, list: &list::Tx<T>);
    /// Whether the receiver closed.
    fn is_closed<T>(&self, list: &list::Tx<T>) -> bool;
    /// After the receiver closed and found the queue empty: whether no sender can
    /// still add a value (no reserved capacity is outstanding).
    fn is_idle(&self) -> bool;
}

/// A bounded channel's capacity: one semaphore permit per value in flight.
pub(crate) struct Bounded {
    /// Permits free; a value holds its permit from `send` until it is received.
    pub(crate) semaphore: Semaphore,
    /// The channel's capacity.
    pub(crate) bound: usize,
}

impl Capacity for Bounded {
    fn release(&self, n: usize) {
        self.semaphore.release(n);
    }
    fn close<T>(&self, _list: &list::Tx<T>) {
        self.semaphore.close();
    }
    fn is_closed<T>(&self, _list: &list::Tx<T>) -> bool {
        self.semaphore.is_closed()
    }
    fn is_idle(&self) -> bool {
        self.semaphore.available_permits() == self.bound
    }
}

/// An unbounded channel: no limit; closing marks the queue itself.
pub(crate) struct Unbounded;

impl Capacity for Unbounded {
    fn release(&self, _n: usize) {}
    fn close<T>(&self, list: &list::Tx<T>) {
        list.close();
    }
    fn is_closed<T>(&self, list: &list::Tx<T>) -> bool {
        list.is_closed()
    }
    fn is_idle(&self) -> bool {
        // A marked queue takes no more claims, so "empty" is final.
        true
    }
}

/// The receiver's private part of the channel.
struct RxFields<T> {
    /// The read end of the queue.
    list: list::Rx<T>,
    /// Whether the receiver closed the channel.
    rx_closed: bool,
}

/// The state one channel's handles share.
pub(crate) struct Chan<T, S> {
    /// The senders' end of the queue (all senders push through it).
    tx: Padded<list::Tx<T>>,
    /// The receiver's waker: registered by the receiver before it parks; woken by the
    /// sender whose claim found it parked, by the last sender's drop, and by permits
    /// given back after a close.
    rx_waker: Padded<AtomicWaker>,
    /// Live `Sender`s (and `OwnedPermit`s, which hold one). Changed by senders;
    /// read by the receiver (0 = no value can come any more) and by `upgrade`.
    tx_count: AtomicUsize,
    /// Live `WeakSender`s; only reported, never acted on.
    tx_weak_count: AtomicUsize,
    /// Woken (all waiters) when the receiver closes; awaited by `Sender::closed`.
    notify_rx_closed: Notify,
    /// Bounds the values in flight.
    capacity: S,
    /// Used by the receiver alone (it is a single `&mut` handle), and by `Drop`.
    rx: UnsafeCell<RxFields<T>>,
}

// SAFETY: values of `T` move from senders to the receiver through the channel,
// hence `T: Send`; the receiver-only cell is reached only from the single receiver
// handle (or `Drop`), and everything else is atomic or synchronised.
unsafe impl<T: Send, S: Send> Send for Chan<T, S> {}
// SAFETY: as for `Send`; shared references to the channel never reach a `T` except
// through the queue's protocol.
unsafe impl<T: Send, S: Sync> Sync for Chan<T, S> {}

impl<T, S> Drop for Chan<T, S> {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone, so no sender or receiver uses the queue.
        self.rx
            .with_mut(|rx| unsafe { (*rx).list.free_all(&self.tx) });
    }
}

/// Makes a channel with capacity `capacity` and returns its first sender and its
/// receiver.
pub(crate) fn channel<T, S: Capacity>(capacity: S) -> (Tx<T, S>, Rx<T, S>) {
    let (list_tx, list_rx) = list::queue();
    let chan = Arc::new(Chan {
        tx: Padded(list_tx),
        rx_waker: Padded(AtomicWaker::new()),
        tx_count: AtomicUsize::new(1),
        tx_weak_count: AtomicUsize::new(0),
        notify_rx_closed: Notify::new(),
        capacity,
        rx: UnsafeCell::new(RxFields {
            list: list_rx,
            rx_closed: false,
        }),
    });
    (Tx { chan: chan.clone() }, Rx { chan })
}

/// A counted sender handle.
pub(crate) struct Tx<T, S> {
    chan: Arc<Chan<T, S>>,
}

/// A weak sender handle: keeps the memory, not the channel, alive.
pub(crate) struct WeakTx<T, S> {
    chan: Arc<Chan<T, S>>,
}

/// The receiver handle.
pub(crate) struct Rx<T, S: Capacity> {
    chan: Arc<Chan<T, S>>,
}

impl<T, S: Capacity> Tx<T, S> {
    /// The channel's capacity bookkeeping.
    pub(crate) fn capacity(&self) -> &S {
        &self.chan.capacity
    }

    /// Appends `value` and wakes the receiver; hands the value back if the queue
    /// is closed (only unbounded channels close their queue).
    #[inline]
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        if self.chan.tx.push(value)? {
            // Our claim found the receiver parked: we are the one to wake it.
            self.chan.rx_waker.wake();
        }
        Ok(())
    }

    /// Wakes the receiver (after a reserved slot was given back unused, which may
    /// let a closed channel's `recv` finish).
    pub(crate) fn wake_rx(&self) {
        self.chan.rx_waker.wake();
    }

    /// Whether the receiver closed the channel or was dropped.
    pub(crate) fn is_closed(&self) -> bool {
        self.chan.capacity.is_closed(&self.chan.tx)
    }

    /// Waits until the receiver closes the channel or is dropped.
    pub(crate) async fn closed(&self) {
        let notified = self.chan.notify_rx_closed.notified();
        let mut notified = std::pin::pin!(notified);
        // Queue first, then look: a close between the two still wakes us.
        notified.as_mut().enable();
        if self.is_closed() {
            return;
        }
        notified.await;
    }

    /// Whether both handles belong to one channel.
    pub(crate) fn same_channel(&self, other: &Tx<T, S>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// The number of live senders.
    pub(crate) fn strong_count(&self) -> usize {
        // Relaxed: a report, ordered with nothing.
        self.chan.tx_count.load(Ordering::Relaxed)
    }

    /// The number of live weak senders.
    pub(crate) fn weak_count(&self) -> usize {
        // Relaxed: a report, ordered with nothing.
        self.chan.tx_weak_count.load(Ordering::Relaxed)
    }

    /// A weak handle to the same channel.
    pub(crate) fn downgrade(&self) -> WeakTx<T, S> {
        // Relaxed: only a count for reports.
        self.chan.tx_weak_count.fetch_add(1, Ordering::Relaxed);
        WeakTx {
            chan: self.chan.clone(),
        }
    }
}

impl<T, S> Clone for Tx<T, S> {
    fn clone(&self) -> Self {
        // Relaxed: we hold a sender, so the count is above 0 and stays so; nothing
        // is published by a clone.
        self.chan.tx_count.fetch_add(1, Ordering::Relaxed);
        Tx {
            chan: self.chan.clone(),
        }
    }
}

impl<T, S> Drop for Tx<T, S> {
    fn drop(&mut self) {
        // AcqRel: the last sender's decrement carries every sender's pushes to the
        // receiver that reads 0.
        if self.chan.tx_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.rx_waker.wake();
        }
    }
}

impl<T, S: Capacity> WeakTx<T, S> {
    /// A sender, if any sender is still alive.
    pub(crate) fn upgrade(&self) -> Option<Tx<T, S>> {
        // Relaxed: the compare-and-swap below decides.
        let mut count = self.chan.tx_count.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            // Relaxed as in `Tx::clone`: a live sender exists while count > 0.
            match self.chan.tx_count.compare_exchange_weak(
                count,
                count + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(Tx {
                        chan: self.chan.clone(),
                    })
                }
                Err(actual) => count = actual,
            }
        }
    }

    /// The number of live senders.
    pub(crate) fn strong_count(&self) -> usize {
        // Relaxed: a report.
        self.chan.tx_count.load(Ordering::Relaxed)
    }

    /// The number of live weak senders.
    pub(crate) fn weak_count(&self) -> usize {
        // Relaxed: a report.
        self.chan.tx_weak_count.load(Ordering::Relaxed)
    }
}

impl<T, S> Clone for WeakTx<T, S> {
    fn clone(&self) -> Self {
        // Relaxed: only a count for reports.
        self.chan.tx_weak_count.fetch_add(1, Ordering::Relaxed);
        WeakTx {
            chan: self.chan.clone(),
        }
    }
}

impl<T, S> Drop for WeakTx<T, S> {
    fn drop(&mut self) {
        // Relaxed: only a count for reports.
        self.chan.tx_weak_count.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T, S: Capacity> Rx<T, S> {
    /// Runs `f` on the receiver's private fields.
    #[inline]
    fn fields<R>(&mut self, f: impl FnOnce(&mut RxFields<T>, &Chan<T, S>) -> R) -> R {
        let chan = &*self.chan;
        // SAFETY: `&mut self` on the single receiver handle: nobody else uses the
        // receiver's fields (the channel's `Drop` runs only after we are gone).
        chan.rx.with_mut(|rx| f(unsafe { &mut *rx }, chan))
    }

    /// Reads the receiver's private fields.
    fn fields_ref<R>(&self, f: impl FnOnce(&RxFields<T>, &Chan<T, S>) -> R) -> R {
        let chan = &*self.chan;
        // SAFETY: `&self` on the receiver handle: only `&self` methods (which only
        // read) can run now; the mutating ones take `&mut self`.
        chan.rx.with(|rx| f(unsafe { &*rx }, chan))
    }

    /// One look at the queue, moving a value found into `*out`: answers
    /// `Value(())`, `Closed` (nothing can come any more) or `Empty`. A sender caught
    /// mid-write is waited out (it takes a few instructions, and it would not wake
    /// a receiver that did not park before its claim).
    ///
    /// # Safety
    ///
    /// As for `list::Rx::pop_into`: `out` is writable, and holds a value the caller
    /// owns after `Value(())`.
    #[inline]
    unsafe fn step_into(&mut self, out: *mut T) -> Pop<()> {
        self.fields(|rx, chan| {
            // SAFETY: the caller's contract.
            let found = unsafe { rx.list.pop_written_into(&chan.tx, out) };
            if !matches!(found, Pop::Empty) {
                return found;
            }
            // Acquire: pairs with the last sender's AcqRel decrement.
            let senders_gone = chan.tx_count.load(Ordering::Acquire) == 0;
            if senders_gone || (rx.rx_closed && chan.capacity.is_idle()) {
                // No new claim can come; one more look sees everything sent before
                // (all of it is written by now: its senders are gone or idle).
                // SAFETY: the caller's contract.
                match unsafe { rx.list.pop_written_into(&chan.tx, out) } {
                    Pop::Empty => Pop::Closed,
                    found => found,
                }
            } else {
                Pop::Empty
            }
        })
    }

    /// Receives a value, waiting for one; `None` once the channel is closed and
    /// drained. Spends one unit of the task's budget when it completes.
    #[inline]
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let unit = ready!(magpie_coop::poll_unit(cx));
        let mut value = MaybeUninit::<T>::uninit();
        // SAFETY: `value` is ours to write; we read it only after `Value(())`.
        let step = match unsafe { self.step_into(value.as_mut_ptr()) } {
            Pop::Empty => {
                self.chan.rx_waker.register(cx.waker());
                // Park, then look again: a claim made before the park woke nobody,
                // and the last sender may have left meanwhile.
                self.fields(|rx, chan| rx.list.park(&chan.tx));
                // SAFETY: as above.
                unsafe { self.step_into(value.as_mut_ptr()) }
            }
            done => done,
        };
        match step {
            Pop::Value(()) => {
                self.chan.capacity.release(1);
                unit.made_progress();
                // SAFETY: `step_into` answered `Value(())`, so it wrote `value`.
                Poll::Ready(Some(unsafe { value.assume_init() }))
            }
            Pop::Closed => {
                unit.made_progress();
                Poll::Ready(None)
            }
            Pop::Empty | Pop::Busy => Poll::Pending,
        }
    }

    /// Receives up to `limit` values into `buffer`, waiting for the first; returns
    /// how many, 0 once the channel is closed and drained (or if `limit` is 0).
    pub(crate) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let first = ready!(self.poll_recv(cx));
        let Some(first) = first else {
            return Poll::Ready(0);
        };
        buffer.push(first);
        let mut taken = 1;
        let more = self.fields(|rx, chan| {
            let mut more = 0;
            while taken + more < limit {
                match rx.list.pop(&chan.tx) {
                    Pop::Value(value) => {
                        buffer.push(value);
                        more += 1;
                    }
                    Pop::Empty | Pop::Busy | Pop::Closed => break,
                }
            }
            more
        });
        if more > 0 {
            self.chan.capacity.release(more);
            taken += more;
        }
        Poll::Ready(taken)
    }

    /// Takes a value if one is waiting, without waiting.
    pub(crate) fn try_recv(&mut self) -> Result<T, super::error::TryRecvError> {
        let mut value = MaybeUninit::<T>::uninit();
        // SAFETY: `value` is ours to write; we read it only after `Value(())`.
        match unsafe { self.step_into(value.as_mut_ptr()) } {
            Pop::Value(()) => {
                self.chan.capacity.release(1);
                // SAFETY: `step_into` answered `Value(())`, so it wrote `value`.
                Ok(unsafe { value.assume_init() })
            }
            Pop::Closed => Err(super::error::TryRecvError::Disconnected),
            Pop::Empty | Pop::Busy => Err(super::error::TryRecvError::Empty),
        }
    }

    /// Closes the channel: senders fail from now on; what was sent (or reserved)
    /// before is still received.
    pub(crate) fn close(&mut self) {
        let first = self.fields(|rx, chan| {
            let first = !rx.rx_closed;
            rx.rx_closed = true;
            if first {
                chan.capacity.close(&chan.tx);
            }
            first
        });
        if first {
            self.chan.notify_rx_closed.notify_waiters();
        }
    }

    /// Whether the receiver closed the channel or every sender is gone.
    pub(crate) fn is_closed(&self) -> bool {
        // Acquire: pairs with the last sender's decrement.
        self.fields_ref(|rx, chan| rx.rx_closed || chan.tx_count.load(Ordering::Acquire) == 0)
    }

    /// The number of values waiting (counting those being written right now).
    pub(crate) fn len(&self) -> usize {
        self.fields_ref(|rx, chan| rx.list.len(&chan.tx))
    }

    /// The channel's capacity bookkeeping.
    pub(crate) fn capacity(&self) -> &S {
        &self.chan.capacity
    }

    /// The number of live senders.
    pub(crate) fn sender_strong_count(&self) -> usize {
        // Relaxed: a report.
        self.chan.tx_count.load(Ordering::Relaxed)
    }

    /// The number of live weak senders.
    pub(crate) fn sender_weak_count(&self) -> usize {
        // Relaxed: a report.
        self.chan.tx_weak_count.load(Ordering::Relaxed)
    }
}

impl<T, S: Capacity> Drop for Rx<T, S> {
    fn drop(&mut self) {
        self.close();
        // Drop what is left now rather than with the last sender, giving its capacity
        // back (values sent through permits later are dropped with the channel).
        let drained = self.fields(|rx, chan| {
            let mut drained = 0;
            while let Some(value) = rx.list.pop_now(&chan.tx) {
                drop(value);
                drained += 1;
            }
            drained
        });
        self.chan.capacity.release(drained);
    }
}
