//! The mpsc channels' storage: an unbounded, lock-free, multi-producer
//! single-consumer queue made of a linked list of fixed-size blocks.
//!
//! It owns the slots and their memory and nothing else (no wakers, no counts of
//! senders); it uses the crate's loom shim.
//!
//! # How it works
//!
//! Positions are numbered from 0. A block holds `CAP` slots (31, fewer for values
//! over 2 KiB; see [`block_cap`]), and every block
//! takes `LAP` = `CAP + 1` positions: the last position of each lap is never a
//! slot but means "the next block is being linked in".
//!
//! - Senders share the tail: `tail_index` (`position << 2 | RX_WAITING | CLOSED`) and
//!   `tail_block`,
//!   the block that holds the tail position. A sender claims a position by a
//!   compare-and-swap of `tail_index`; the sender that claims a block's last slot
//!   links a new block, publishes it as `tail_block` and then steps `tail_index` over
//!   the reserved position. It then writes its value into the slot and sets the
//!   slot's `ready` flag. A sender never touches a block before its claim succeeds, so
//!   a block the receiver has freed is never read through a stale `tail_block`.
//! - The receiver alone owns the head ([`Rx`]): it reads slots in position order,
//!   each only after its `ready` flag is set, and frees a block once it read the
//!   block's last slot (whose writer linked the next block before writing).
//! - `close` sets `CLOSED` in `tail_index`, so claims fail from then on: every
//!   position claimed before it is a value that will be written.
//! - A receiver about to sleep on an empty queue sets `RX_WAITING` in `tail_index`
//!   ([`Rx::park`]). The next sender's claim clears it (in the same
//!   compare-and-swap) and that sender, alone, wakes the receiver after writing. So
//!   senders pay for a wake-up only when the receiver actually sleeps, and never
//!   touch the receiver's waker while it is busy draining.

use std::mem::MaybeUninit;
use std::ptr;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

#[cfg(loom)]
use loom::sync::atomic::AtomicPtr;
#[cfg(not(loom))]
use std::sync::atomic::AtomicPtr;

/// The most slots a block holds (for values of up to 2 KiB; fewer for larger ones).
/// Small under loom, so the models cross block boundaries.
#[cfg(not(loom))]
pub(crate) const BLOCK_CAP: usize = 31;
#[cfg(loom)]
pub(crate) const BLOCK_CAP: usize = 2;

/// Blocks of large values hold fewer slots, so a block's values take at most this
/// many bytes (or one value): a channel of 32 KiB messages then allocates 32 KiB
/// per message instead of 1 MiB per 31, which `malloc` would map and unmap.
#[cfg(not(loom))]
const MAX_BLOCK_BYTES: usize = 64 * 1024;

/// The slots per block for values of type `T`: [`BLOCK_CAP`], halved (31, 15, 7,
/// 3, 1: always one less than a power of two, so positions divide cheaply) until
/// the values fit in [`MAX_BLOCK_BYTES`].
const fn block_cap<T>() -> usize {
    #[cfg(not(loom))]
    {
        let size = std::mem::size_of::<T>();
        let mut cap = BLOCK_CAP;
        while cap > 1 && cap * size > MAX_BLOCK_BYTES {
            cap /= 2;
        }
        cap
    }
    #[cfg(loom)]
    {
        BLOCK_CAP
    }
}

/// In `tail_index`: no more claims.
const CLOSED: usize = 1;

/// In `tail_index`: the receiver sleeps until the next claim's value is written.
const RX_WAITING: usize = 2;

/// Tail positions sit above the flags.
const SHIFT: usize = 2;

/// `Block::<T>::CAP` slots and the link to the next block.
///
/// The `ready` flags sit together in the block's head, apart from the values, so a
/// new block needs only its head initialised: a block of large values is never
/// zeroed or touched beyond the slots actually written.
struct Block<T> {
    /// Set (once) by the sender that claims this block's last slot, before it writes
    /// that slot; read by the receiver after it read that slot, and by `free_all`.
    next: AtomicPtr<Block<T>>,
    /// Per slot: 0 until its value is written, then 1. Set by the claiming sender
    /// (Release), read by the receiver (Acquire).
    /// Only the first `Block::<T>::CAP` are used.
    ready: [AtomicUsize; BLOCK_CAP],
    /// `Block::<T>::CAP` slots, each written once by the sender that claimed it,
    /// before it sets the slot's `ready` flag, and read once by the receiver after
    /// it sees the flag.
    values: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

impl<T> Block<T> {
    /// Slots per block.
    const CAP: usize = block_cap::<T>();
    /// Positions per block: the slots plus the one reserved for linking the next.
    const LAP: usize = Self::CAP + 1;

    /// A block with no values and no successor, on the heap.
    fn alloc() -> *mut Block<T> {
        #[cfg(not(loom))]
        // SAFETY: an uninitialised `UnsafeCell<MaybeUninit<T>>` is a valid one (it
        // is a `MaybeUninit` inside a transparent cell); the values are read only
        // after their `ready` flag is set. This spares writing (or building on the
        // stack) large values that are never used.
        let values = unsafe { Box::new_uninit_slice(Self::CAP).assume_init() };
        #[cfg(loom)]
        let values = (0..Self::CAP)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        Box::into_raw(Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            ready: std::array::from_fn(|_| AtomicUsize::new(0)),
            values,
        }))
    }

    /// Frees a block made by [`Block::alloc`], without dropping any value in it.
    ///
    /// # Safety
    ///
    /// `block` came from `Block::alloc`, is freed only once, and nobody uses it after.
    unsafe fn free(block: *mut Block<T>) {
        // SAFETY: made by `Box::into_raw` (caller's contract); the values are
        // `MaybeUninit`, so dropping the box drops none of them.
        drop(unsafe { Box::from_raw(block) });
    }
}

/// The senders' end of the queue. Shared by all senders.
pub(crate) struct Tx<T> {
    /// `position << SHIFT | RX_WAITING | CLOSED`: the next position to claim.
    /// Senders compare-and-swap it (clearing `RX_WAITING`); `close` and the
    /// receiver's `park` set their flags.
    tail_index: AtomicUsize,
    /// The block that holds the tail position. Stored by the sender that links a new
    /// block; loaded by senders (who dereference it only after a successful claim).
    tail_block: AtomicPtr<Block<T>>,
}

/// The receiver's end of the queue: used by the receiver alone.
pub(crate) struct Rx<T> {
    /// The next position to read.
    index: usize,
    /// The block that holds `index`.
    block: *mut Block<T>,
}

// SAFETY: `Rx` is the receiver's cursor into blocks that the channel owns; it moves
// values of `T` out, so it may move to another thread when `T` can.
unsafe impl<T: Send> Send for Rx<T> {}

/// What [`Rx::pop`] found.
pub(crate) enum Pop<T> {
    /// The next value.
    Value(T),
    /// Nothing was sent (or everything was received).
    Empty,
    /// A sender claimed the next position but has not written it yet.
    Busy,
    /// Not produced by the queue: the channel's answer when nothing can come any
    /// more. It lives here so one enum carries a value all the way out, and large
    /// values are not copied from one wrapper into the next.
    Closed,
}

/// Makes an empty queue: its two ends share the first block.
pub(crate) fn queue<T>() -> (Tx<T>, Rx<T>) {
    let block = Block::alloc();
    (
        Tx {
            tail_index: AtomicUsize::new(0),
            tail_block: AtomicPtr::new(block),
        },
        Rx { index: 0, block },
    )
}

/// The number of slots before `position` (positions count the reserved ones too).
fn slots_before<T>(position: usize) -> usize {
    let (cap, lap) = (Block::<T>::CAP, Block::<T>::LAP);
    position / lap * cap + (position % lap).min(cap)
}

impl<T> Tx<T> {
    /// Appends `value`, or hands it back if the queue was closed. `Ok(true)` means
    /// the receiver was parked on this claim: the caller must wake it.
    #[inline]
    pub(crate) fn push(&self, value: T) -> Result<bool, T> {
        let mut spins = 0u32;
        // Acquire: a tail position in a new lap comes with that lap's `tail_block`.
        let mut tail = self.tail_index.load(Ordering::Acquire);
        let mut next_block: *mut Block<T> = ptr::null_mut();
        loop {
            if tail & CLOSED != 0 {
                if !next_block.is_null() {
                    // SAFETY: ours, never published.
                    unsafe { Block::free(next_block) };
                }
                return Err(value);
            }
            let position = tail >> SHIFT;
            let offset = position % Block::<T>::LAP;
            if offset == Block::<T>::CAP {
                // Another sender is linking the next block: wait for it.
                backoff(&mut spins);
                tail = self.tail_index.load(Ordering::Acquire);
                continue;
            }
            if offset + 1 == Block::<T>::CAP && next_block.is_null() {
                // We may claim the last slot, and then link the next block: make it
                // before claiming, so the others wait as briefly as possible.
                next_block = Block::alloc();
            }
            // Acquire: the block stored before the index stepped into this lap.
            let block = self.tail_block.load(Ordering::Acquire);
            // AcqRel: claims the position (and takes over the receiver's waiting
            // flag, seeing the waker it registered before setting it).
            match self.tail_index.compare_exchange_weak(
                tail,
                (tail + (1 << SHIFT)) & !RX_WAITING,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == Block::<T>::CAP {
                        // Link the next block and step over the reserved position.
                        // Release: senders loading the new lap's index see the block.
                        self.tail_block.store(next_block, Ordering::Release);
                        self.tail_index.fetch_add(1 << SHIFT, Ordering::Release);
                        // SAFETY: the claim succeeded, so `block` is the tail block and
                        // is not freed before its last slot (ours) is read.
                        // Release: the receiver reads it after our slot's `ready`.
                        unsafe { (*block).next.store(next_block, Ordering::Release) };
                    } else if !next_block.is_null() {
                        // SAFETY: ours, never published.
                        unsafe { Block::free(next_block) };
                    }
                    // SAFETY: the claim makes this slot ours alone to write, and the
                    // receiver neither reads it nor frees its block before `ready`.
                    unsafe {
                        let block = &*block;
                        block
                            .values
                            .get_unchecked(offset)
                            .with_mut(|v| (*v).write(value));
                        // Release: publishes the value to the receiver.
                        block
                            .ready
                            .get_unchecked(offset)
                            .store(1, Ordering::Release);
                    }
                    return Ok(tail & RX_WAITING != 0);
                }
                Err(current) => {
                    tail = current;
                    std::hint::spin_loop();
                }
            }
        }
    }

    /// Stops all later pushes. Returns `false` if it was already closed.
    pub(crate) fn close(&self) -> bool {
        // AcqRel: ordered with the claims; the receiver learns the final tail from it.
        self.tail_index.fetch_or(CLOSED, Ordering::AcqRel) & CLOSED == 0
    }

    /// Whether `close` was called.
    pub(crate) fn is_closed(&self) -> bool {
        // Acquire: pairs with `close`.
        self.tail_index.load(Ordering::Acquire) & CLOSED != 0
    }

    /// The number of positions claimed so far, as a count of slots.
    fn claimed(&self) -> usize {
        // Acquire: pairs with the claims.
        slots_before::<T>(self.tail_index.load(Ordering::Acquire) >> SHIFT)
    }
}

impl<T> Rx<T> {
    /// Takes the next value, if one is there.
    #[inline]
    pub(crate) fn pop(&mut self, tx: &Tx<T>) -> Pop<T> {
        let mut value = MaybeUninit::uninit();
        // SAFETY: `value` is ours to write.
        match unsafe { self.pop_into(tx, value.as_mut_ptr()) } {
            // SAFETY: `pop_into` wrote it.
            Pop::Value(()) => Pop::Value(unsafe { value.assume_init() }),
            Pop::Empty => Pop::Empty,
            Pop::Busy => Pop::Busy,
            Pop::Closed => Pop::Closed,
        }
    }

    /// Like [`pop`](Rx::pop), but moves the value straight into `*out` (answering
    /// `Value(())`), so a large value is copied once on its way out rather than
    /// once per wrapper.
    ///
    /// # Safety
    ///
    /// `out` is valid for writing a `T`; on `Value(())` it holds one the caller
    /// now owns (nothing is written otherwise).
    #[inline]
    pub(crate) unsafe fn pop_into(&mut self, tx: &Tx<T>, out: *mut T) -> Pop<()> {
        let offset = self.index % Block::<T>::LAP;
        // SAFETY: `self.block` is the live block holding `self.index` (only the
        // receiver frees blocks, below).
        let block = unsafe { &*self.block };
        // SAFETY: `offset < CAP <= BLOCK_CAP`: the index never rests on the reserved
        // position.
        let ready = unsafe { block.ready.get_unchecked(offset) };
        // Acquire: pairs with the writer's Release.
        if ready.load(Ordering::Acquire) == 0 {
            // Acquire: see the claim of `self.index`, if there was one.
            let tail = tx.tail_index.load(Ordering::Acquire) >> SHIFT;
            return if tail == self.index {
                Pop::Empty
            } else {
                Pop::Busy
            };
        }
        // SAFETY: `ready` is set, so the slot holds a value that nobody else reads or
        // writes again; we move it out exactly once (the index moves past it), into
        // `out`, which the caller lets us write.
        unsafe { block.values.get_unchecked(offset) }
            .with(|v| unsafe { ptr::copy_nonoverlapping((*v).as_ptr(), out, 1) });
        if offset + 1 == Block::<T>::CAP {
            // SAFETY: the writer of the last slot linked the next block before it set
            // `ready` (which we acquired), and `self.block` is still live.
            let next = unsafe { (*self.block).next.load(Ordering::Acquire) };
            debug_assert!(!next.is_null());
            // SAFETY: every slot of the block was written and read, and senders never
            // touch a block whose slots are all claimed (see the module docs).
            unsafe { Block::free(self.block) };
            self.block = next;
            self.index += 2;
        } else {
            self.index += 1;
        }
        Pop::Value(())
    }

    /// Tells the senders the receiver is about to sleep: the next claim's sender
    /// will wake it (the caller registered its waker before). Returns `false` if a
    /// position past the head is already claimed, so the caller should look again
    /// instead of sleeping.
    pub(crate) fn park(&self, tx: &Tx<T>) -> bool {
        // AcqRel: publishes the waker registered before; sees every claim so far.
        let prev = tx.tail_index.fetch_or(RX_WAITING, Ordering::AcqRel);
        prev >> SHIFT == self.index
    }

    /// Like [`pop_into`](Rx::pop_into), but waits out a sender that is mid-write:
    /// answers `Value(())` or `Empty` only.
    ///
    /// # Safety
    ///
    /// As for `pop_into`.
    #[inline]
    pub(crate) unsafe fn pop_written_into(&mut self, tx: &Tx<T>, out: *mut T) -> Pop<()> {
        let mut spins = 0;
        loop {
            // SAFETY: the caller's contract.
            match unsafe { self.pop_into(tx, out) } {
                Pop::Busy => backoff(&mut spins),
                found => return found,
            }
        }
    }

    /// Like [`pop`](Rx::pop), but waits out a sender that is mid-write instead of
    /// answering `Busy` (the write takes a few instructions).
    #[inline]
    pub(crate) fn pop_now(&mut self, tx: &Tx<T>) -> Option<T> {
        let mut spins = 0;
        loop {
            match self.pop(tx) {
                Pop::Value(value) => return Some(value),
                Pop::Empty | Pop::Closed => return None,
                Pop::Busy => backoff(&mut spins),
            }
        }
    }

    /// The number of values claimed but not yet received (including any being
    /// written right now).
    pub(crate) fn len(&self, tx: &Tx<T>) -> usize {
        tx.claimed() - slots_before::<T>(self.index)
    }

    /// Drops every value left and frees every block. Called once, when the channel
    /// is dropped, so no sender is left.
    ///
    /// # Safety
    ///
    /// No sender uses `tx` any more, and `self` is not used afterwards.
    pub(crate) unsafe fn free_all(&mut self, tx: &Tx<T>) {
        // Acquire: every claim and write happened before the senders went away.
        let tail = tx.tail_index.load(Ordering::Acquire) >> SHIFT;
        while self.index != tail {
            let offset = self.index % Block::<T>::LAP;
            if offset == Block::<T>::CAP {
                // Cannot happen: the index always skips the reserved position, and a
                // tail left there would mean a sender died mid-link.
                break;
            }
            // SAFETY: every claimed slot was written before its sender left, and the
            // receiver never read this one: drop its value once.
            let block = unsafe { &*self.block };
            // SAFETY: as above (`offset < CAP`).
            unsafe { block.values.get_unchecked(offset) }
                .with_mut(|v| unsafe { (*v).assume_init_drop() });
            if offset + 1 == Block::<T>::CAP {
                // SAFETY: as in `pop`.
                let next = unsafe { (*self.block).next.load(Ordering::Acquire) };
                // SAFETY: as in `pop`.
                unsafe { Block::free(self.block) };
                self.block = next;
                self.index += 2;
            } else {
                self.index += 1;
            }
        }
        // SAFETY: the last block; nothing points to it any more.
        unsafe { Block::free(self.block) };
        self.block = ptr::null_mut();
    }
}

/// Waits a little for another thread: spins first, then yields the thread.
fn backoff(spins: &mut u32) {
    #[cfg(loom)]
    {
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        if *spins < 6 {
            for _ in 0..1 << *spins {
                std::hint::spin_loop();
            }
            *spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    use super::*;

    /// A queue whose two ends live in one struct, freed on drop, for the tests.
    struct Queue<T> {
        tx: Tx<T>,
        rx: Rx<T>,
    }

    impl<T> Queue<T> {
        fn new() -> Self {
            let (tx, rx) = queue();
            Queue { tx, rx }
        }
    }

    impl<T> Drop for Queue<T> {
        fn drop(&mut self) {
            // SAFETY: the test owns both ends and stops using them here.
            unsafe { self.rx.free_all(&self.tx) };
        }
    }

    #[test]
    fn values_come_out_in_order_across_many_blocks() {
        let mut q = Queue::new();
        for round in 0..3 {
            for i in 0..(BLOCK_CAP * 5 + 3) {
                q.tx.push((round, i)).unwrap();
            }
            assert_eq!(q.rx.len(&q.tx), BLOCK_CAP * 5 + 3);
            for i in 0..(BLOCK_CAP * 5 + 3) {
                assert_eq!(q.rx.pop_now(&q.tx), Some((round, i)));
            }
            assert!(matches!(q.rx.pop(&q.tx), Pop::Empty));
            assert_eq!(q.rx.len(&q.tx), 0);
        }
    }

    #[test]
    fn close_rejects_later_pushes_and_keeps_earlier_values() {
        let mut q = Queue::new();
        q.tx.push(1).unwrap();
        assert!(q.tx.close());
        assert!(!q.tx.close());
        assert!(q.tx.is_closed());
        assert_eq!(q.tx.push(2), Err(2));
        assert_eq!(q.rx.pop_now(&q.tx), Some(1));
        assert_eq!(q.rx.pop_now(&q.tx), None);
    }

    /// Values never received are dropped exactly once with the queue.
    #[test]
    fn leftover_values_are_dropped_once() {
        struct Counted(Arc<StdAtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        let drops = Arc::new(StdAtomicUsize::new(0));
        {
            let mut q = Queue::new();
            for _ in 0..(BLOCK_CAP * 2 + 5) {
                assert!(q.tx.push(Counted(drops.clone())).is_ok());
            }
            for _ in 0..(BLOCK_CAP + 1) {
                drop(q.rx.pop_now(&q.tx));
            }
            assert_eq!(drops.load(SeqCst), BLOCK_CAP + 1);
        }
        assert_eq!(drops.load(SeqCst), BLOCK_CAP * 2 + 5);
    }

    /// Large values go straight to the heap (a block of them would not fit on a
    /// test thread's stack), in blocks of a single slot, in order.
    #[test]
    fn large_values_do_not_touch_the_stack() {
        let mut q = Queue::new();
        q.tx.push(Box::new([7u8; 1 << 16])).unwrap();
        let big = q.rx.pop_now(&q.tx).unwrap();
        assert_eq!(big[100], 7);
        assert_eq!(Block::<[u8; 1 << 16]>::CAP, 1);
        assert_eq!(Block::<[u8; 512]>::CAP, 31);
        let mut q = Queue::<[u8; 1 << 16]>::new();
        for i in 0..5u8 {
            q.tx.push([i; 1 << 16]).unwrap();
        }
        assert_eq!(q.rx.len(&q.tx), 5);
        for i in 0..3u8 {
            assert_eq!(q.rx.pop_now(&q.tx).unwrap()[7], i);
        }
        drop(q);
    }

    /// Four threads push concurrently; the receiver gets every value, each
    /// producer's in its order.
    #[test]
    fn concurrent_pushes_keep_per_producer_order() {
        const PER: usize = 20_000;
        let (tx, mut rx) = queue();
        let tx = Arc::new(tx);
        let producers: Vec<_> = (0..4)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..PER {
                        tx.push((p, i)).unwrap();
                    }
                })
            })
            .collect();
        let mut next = [0usize; 4];
        let mut got = 0;
        while got < 4 * PER {
            match rx.pop(&tx) {
                Pop::Value((p, i)) => {
                    assert_eq!(i, next[p]);
                    next[p] += 1;
                    got += 1;
                }
                Pop::Empty | Pop::Busy | Pop::Closed => std::thread::yield_now(),
            }
        }
        for p in producers {
            p.join().unwrap();
        }
        assert!(rx.pop_now(&tx).is_none());
        // SAFETY: the producers are gone; neither end is used again.
        unsafe { rx.free_all(&tx) };
    }
}
