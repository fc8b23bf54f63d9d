//! A worker's local run queue: a ring of `CAPACITY` slots that only its
//! worker pushes to and pops from (first in, first out), and from which other
//! workers steal half at a time.
//!
//! Why not crossbeam's deque, which this replaced: its buffer grows and
//! shrinks with the queue, and the old buffer of each resize is freed through
//! crossbeam's epoch collector, on whichever thread collects next. Memory
//! freed by another thread than the one that allocated it lands, with glibc's
//! malloc, in the freeing thread's cache although it belongs to the other
//! thread's arena; the user's own small allocations then reuse it, and every
//! `realloc` of them takes the other arena's lock. In `benches/sync_paired.rs`
//! watch_500 (500 tasks woken at once, every round) the two workers ended up
//! contending on one arena lock in every `String` they grew: 1.67x tokio's
//! time, 12 context switches a round against tokio's 1. A fixed ring
//! allocates once. When it is full, the older half moves to the injector in
//! one batch (as tokio's queue does; tokio's is also 256 slots).
//!
//! Positions are `u32` counters that wrap; a slot is `position % CAPACITY`.
//! `head` packs two positions: `real`, the next slot to pop or steal, and
//! `steal`, the first slot a stealer may still be copying out of (equal to
//! `real` when no steal is under way). A steal claims `[real, real + n)` by
//! moving `real` forward with a CAS (so neither the owner nor another thief
//! can take those slots), copies the tasks out, then sets `steal` to `real`
//! (freeing the slots for the owner to reuse). Only one steal runs at a time.
//!
//! Shared state: `tail` is written by the owner only (release, after the
//! slot is written) and read by thieves; `head` is CASed by the owner (pop,
//! overflow) and by thieves (claim, release); a slot is written by the owner
//! while it is free (between `tail` and `steal + CAPACITY`) and read by
//! whoever claimed it.
//!
//! Generic over the value so the loom model can use plain values; uses the
//! crate's sync shim only.

use crate::sync::{AtomicU32, AtomicU64, UnsafeCell};
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::Arc;

/// Slots per queue; a power of two. 1024 rather than tokio's 256: what
/// overflows goes to the injector, whose blocks (crossbeam's, ~1 KB each) are
/// allocated by the pushing thread and freed by the popping one. A `watch`
/// send waking 500 receivers overflowed 256 slots every round: 758 such
/// cross-thread frees in 300 rounds, which leave foreign chunks in the
/// workers' malloc arenas and made the receivers' own allocations 2-3x
/// dearer inside glibc (446M instructions an iteration against tokio's
/// 437M; 416M with 1024 slots, 15 cross-thread frees). 8 KB per worker.
#[cfg(not(loom))]
pub(crate) const CAPACITY: usize = 1024;
/// Small under loom, so the model reaches a full queue.
#[cfg(loom)]
pub(crate) const CAPACITY: usize = 4;
const MASK: u32 = CAPACITY as u32 - 1;

struct Inner<T> {
    /// `steal` (high half) and `real` (low half); see the module comment.
    head: AtomicU64,
    /// The next position the owner pushes to.
    tail: AtomicU32,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: the queue moves `T`s between threads (a thief takes what the owner
// pushed), so it needs `T: Send`; every slot is accessed by one thread at a
// time, as the protocol in the module comment guarantees.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; shared access goes through the atomics.
unsafe impl<T: Send> Sync for Inner<T> {}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// The owner's end: push and pop. One per worker, used by its thread only.
pub(crate) struct Local<T> {
    inner: Arc<Inner<T>>,
}

/// The thieves' end: any thread may hold one and steal from it.
pub(crate) struct Stealer<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer {
            inner: self.inner.clone(),
        }
    }
}

/// A new empty queue: its owner's end and a thieves' end.
pub(crate) fn new<T>() -> (Local<T>, Stealer<T>) {
    let slots = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        slots,
    });
    (
        Local {
            inner: inner.clone(),
        },
        Stealer { inner },
    )
}

impl<T> Inner<T> {
    /// Moves the value out of the slot of `position`.
    ///
    /// # Safety
    /// The caller has claimed the position (it holds a value nobody else
    /// will read).
    unsafe fn take(&self, position: u32) -> T {
        self.slots[(position & MASK) as usize].with_mut(|slot| {
            // SAFETY: by the caller's claim, the slot holds a value written
            // by a push and not yet moved out, and no one else touches it.
            unsafe { (*slot).assume_init_read() }
        })
    }

    /// Writes `value` into the slot of `position`.
    ///
    /// # Safety
    /// The slot is free: nobody reads it until the position is published.
    unsafe fn put(&self, position: u32, value: T) {
        self.slots[(position & MASK) as usize].with_mut(|slot| {
            // SAFETY: by the caller's guarantee nobody else accesses it.
            unsafe { (*slot).write(value) };
        });
    }

    fn len(&self) -> usize {
        // Acquire on both: a thief's emptiness check must see what the owner
        // published; the value is a snapshot either way.
        let (_, real) = unpack(self.head.load(Acquire));
        let tail = self.tail.load(Acquire);
        tail.wrapping_sub(real) as usize
    }
}

impl<T> Local<T> {
    /// How many values are queued (not counting those a thief is copying).
    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes `value` at the back. When the ring is full, `spill` receives
    /// the values that must leave it, oldest first, ending with `value`:
    /// half the ring when no steal is under way, else just `value`.
    pub(crate) fn push_back(&self, value: T, spill: impl FnOnce(&mut dyn Iterator<Item = T>)) {
        let inner = &*self.inner;
        // Relaxed: only this thread writes `tail`.
        let tail = inner.tail.load(Relaxed);
        let mut head = inner.head.load(Acquire);
        loop {
            let (steal, real) = unpack(head);
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                // SAFETY: positions from `steal` up to `tail` are taken or
                // being copied; `tail` is below `steal + CAPACITY`, so its
                // slot is free, and no thief reads it before `tail` moves.
                unsafe { inner.put(tail, value) };
                // Release: a thief that sees the new tail sees the value.
                inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // Full, and a thief is copying: it will make room soon;
                // this value goes elsewhere now.
                spill(&mut std::iter::once(value));
                return;
            }
            // Full: claim the older half for the spill, as a thief would.
            let half = (CAPACITY / 2) as u32;
            let next = real.wrapping_add(half);
            // AcqRel: the claim must win against thieves claiming the same
            // slots (they CAS `head` too); on failure, look again.
            match inner
                .head
                .compare_exchange(head, pack(next, next), AcqRel, Acquire)
            {
                Ok(_) => {
                    let mut claimed = (0..half).map(|i| {
                        // SAFETY: the CAS claimed `[real, real + half)`.
                        unsafe { inner.take(real.wrapping_add(i)) }
                    });
                    spill(&mut claimed.by_ref().chain(std::iter::once(value)));
                    // Should `spill` stop early, what it left must not leak.
                    claimed.for_each(drop);
                    return;
                }
                Err(actual) => head = actual,
            }
        }
    }

    /// Takes the value at the front.
    pub(crate) fn pop(&self) -> Option<T> {
        let inner = &*self.inner;
        let mut head = inner.head.load(Acquire);
        let real = loop {
            let (steal, real) = unpack(head);
            // Relaxed: only this thread writes `tail`.
            if real == inner.tail.load(Relaxed) {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // With no steal under way both halves move; otherwise `steal`
            // stays where the thief needs it.
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            // AcqRel: races with a thief's claim of the same slot.
            match inner.head.compare_exchange(head, next, AcqRel, Acquire) {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS claimed `real`.
        Some(unsafe { inner.take(real) })
    }
}

impl<T> Stealer<T> {
    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Steals half of the values (rounded up) into `dst`, the thief's own
    /// queue, and returns one of them to run now; the rest are queued in
    /// `dst`. Returns `None` when there is nothing to take, when another
    /// thief is at it, or when `dst` has less than half its room free.
    /// Also returns how many it took, the returned one included.
    pub(crate) fn steal_into(&self, dst: &Local<T>) -> Option<(T, usize)> {
        let src = &*self.inner;
        let dst_inner = &*dst.inner;
        // Relaxed: `dst` belongs to the calling thread, which alone writes
        // its tail.
        let dst_tail = dst_inner.tail.load(Relaxed);
        let (dst_steal, _) = unpack(dst_inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > (CAPACITY / 2) as u32 {
            return None;
        }

        // Claim `[real, real + n)`.
        let mut head = src.head.load(Acquire);
        let (start, n) = loop {
            let (steal, real) = unpack(head);
            if steal != real {
                return None;
            }
            // Acquire: pairs with the owner's release of `tail`, so the
            // slots below it hold their values.
            let tail = src.tail.load(Acquire);
            let queued = tail.wrapping_sub(real);
            // `queued` can look larger than the ring when `head` was read
            // before a burst of pops and pushes; the CAS below then fails.
            let n = (queued - queued / 2).min((CAPACITY / 2) as u32);
            if n == 0 {
                return None;
            }
            let next = pack(steal, real.wrapping_add(n));
            // AcqRel: races with the owner's pops and other thieves.
            match src.head.compare_exchange(head, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => head = actual,
            }
        };

        // Copy all but the last into `dst`; the last is returned.
        for i in 0..n - 1 {
            // SAFETY: the claim above gives us the source slot; `dst` has
            // at least `CAPACITY / 2` free slots from its tail (checked
            // above, and only this thread fills them), and no thief reads
            // them before its tail moves.
            unsafe {
                let value = src.take(start.wrapping_add(i));
                dst_inner.put(dst_tail.wrapping_add(i), value);
            }
        }
        // SAFETY: claimed above.
        let last = unsafe { src.take(start.wrapping_add(n - 1)) };

        // Release the claim: `steal` catches up with `real` (which the
        // owner's pops may have moved further).
        let mut head = src.head.load(Acquire);
        loop {
            let (steal, real) = unpack(head);
            debug_assert_eq!(steal, start, "one steal at a time");
            // AcqRel: the owner may reuse the slots once it sees this.
            match src
                .head
                .compare_exchange(head, pack(real, real), AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        if n > 1 {
            // Release: thieves of `dst` that see the tail see the values.
            dst_inner.tail.store(dst_tail.wrapping_add(n - 1), Release);
        }
        Some((last, n as usize))
    }
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        // Both ends are gone, so no steal is under way: drop what is left.
        // Relaxed: `&mut self`, no other thread can touch them.
        let (_, real) = unpack(self.head.load(Relaxed));
        let tail = self.tail.load(Relaxed);
        let mut position = real;
        while position != tail {
            // SAFETY: `[real, tail)` hold values nobody took, and nobody
            // else can reach them now.
            drop(unsafe { self.take(position) });
            position = position.wrapping_add(1);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn spill_into(out: &mut Vec<u32>) -> impl FnOnce(&mut dyn Iterator<Item = u32>) + '_ {
        move |values| out.extend(values)
    }

    #[test]
    fn pops_in_push_order() {
        let (local, _) = new();
        let mut spilled = vec![];
        for i in 0..10 {
            local.push_back(i, spill_into(&mut spilled));
        }
        assert_eq!(local.len(), 10);
        let popped: Vec<u32> = std::iter::from_fn(|| local.pop()).collect();
        assert_eq!(popped, (0..10).collect::<Vec<_>>());
        assert!(spilled.is_empty());
        assert!(local.is_empty());
    }

    #[test]
    fn a_full_ring_spills_its_older_half_then_the_new_value() {
        let (local, _) = new();
        let mut spilled = vec![];
        for i in 0..CAPACITY as u32 {
            local.push_back(i, spill_into(&mut spilled));
        }
        assert!(spilled.is_empty());
        local.push_back(1000, spill_into(&mut spilled));
        let half = CAPACITY as u32 / 2;
        let mut expected: Vec<u32> = (0..half).collect();
        expected.push(1000);
        assert_eq!(spilled, expected);
        let rest: Vec<u32> = std::iter::from_fn(|| local.pop()).collect();
        assert_eq!(rest, (half..CAPACITY as u32).collect::<Vec<_>>());
    }

    #[test]
    fn positions_wrap_around_the_counter() {
        let (local, stealer) = new();
        let (thief, _) = new();
        let mut spilled = vec![];
        // Start just below u32::MAX, so the positions wrap.
        let start = u32::MAX - 5;
        local.inner.head.store(pack(start, start), Relaxed);
        local.inner.tail.store(start, Relaxed);
        for i in 0..12 {
            local.push_back(i, spill_into(&mut spilled));
        }
        let (first, n) = stealer.steal_into(&thief).unwrap();
        assert_eq!((first, n), (5, 6));
        let stolen: Vec<u32> = std::iter::from_fn(|| thief.pop()).collect();
        assert_eq!(stolen, vec![0, 1, 2, 3, 4]);
        let rest: Vec<u32> = std::iter::from_fn(|| local.pop()).collect();
        assert_eq!(rest, (6..12).collect::<Vec<_>>());
        assert!(spilled.is_empty());
    }

    #[test]
    fn a_steal_takes_the_older_half_rounded_up() {
        let (local, stealer) = new();
        let (thief, _) = new();
        let mut spilled = vec![];
        for i in 0..7 {
            local.push_back(i, spill_into(&mut spilled));
        }
        let (next, taken) = stealer.steal_into(&thief).unwrap();
        assert_eq!((next, taken), (3, 4));
        assert_eq!(thief.len(), 3);
        assert_eq!(local.len(), 3);
        assert_eq!(thief.pop(), Some(0));
        assert_eq!(local.pop(), Some(4));
        assert!(stealer.steal_into(&thief).is_some());
    }

    #[test]
    fn nothing_to_steal_from_an_empty_queue() {
        let (_local, stealer) = new::<u32>();
        let (thief, _) = new();
        assert!(stealer.steal_into(&thief).is_none());
        assert!(stealer.is_empty());
    }

    #[test]
    fn a_thief_with_a_full_queue_does_not_steal() {
        let (local, stealer) = new();
        let (thief, _) = new();
        let mut spilled = vec![];
        for i in 0..10 {
            local.push_back(i, spill_into(&mut spilled));
        }
        for i in 0..=CAPACITY as u32 / 2 {
            thief.push_back(i, spill_into(&mut spilled));
        }
        assert!(stealer.steal_into(&thief).is_none());
        assert_eq!(local.len(), 10);
    }

    #[test]
    fn values_left_behind_are_dropped_with_the_queue() {
        let value = Arc::new(());
        let (local, stealer) = new();
        for _ in 0..5 {
            local.push_back(value.clone(), |_| unreachable!());
        }
        drop(local);
        drop(stealer);
        assert_eq!(Arc::strong_count(&value), 1);
    }

    #[test]
    fn concurrent_thieves_and_owner_see_every_value_once() {
        const VALUES: u32 = 200_000;
        let (local, stealer) = new();
        let done = std::sync::atomic::AtomicBool::new(false);
        let taken: Vec<u32> = std::thread::scope(|s| {
            let thieves: Vec<_> = (0..2)
                .map(|_| {
                    let stealer = stealer.clone();
                    let done = &done;
                    s.spawn(move || {
                        let (mine, _) = new();
                        let mut got = vec![];
                        while !done.load(Acquire) || !stealer.is_empty() {
                            if let Some((value, _)) = stealer.steal_into(&mine) {
                                got.push(value);
                            }
                            while let Some(value) = mine.pop() {
                                got.push(value);
                            }
                        }
                        got
                    })
                })
                .collect();
            let mut got = vec![];
            let mut spilled = vec![];
            for i in 0..VALUES {
                local.push_back(i, |values| spilled.extend(values));
                if i % 3 == 0 {
                    got.extend(local.pop());
                }
            }
            got.extend(std::iter::from_fn(|| local.pop()));
            done.store(true, Release);
            got.extend(spilled);
            for thief in thieves {
                got.extend(thief.join().unwrap());
            }
            got
        });
        let mut sorted = taken;
        sorted.sort_unstable();
        assert_eq!(sorted, (0..VALUES).collect::<Vec<_>>());
    }
}

/// Loom models of the ring: the owner pushing (up to a spill), popping, and a
/// thief stealing at the same time never lose or duplicate a value, and the
/// slots a thief copies are never overwritten (loom's `UnsafeCell` checks
/// catch a slot written while another thread reads it). Run with the other
/// loom models (see `scheduler/loom_tests.rs`).
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::thread;

    /// Runs the owner's part and a thief's part at once, then drains both
    /// queues and checks that `0..pushed` came out exactly once.
    fn model(pushed: usize, owner_pops: usize, steals: usize) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(move || {
            let (local, stealer) = new::<usize>();
            let thief = thread::spawn(move || {
                let (mine, _) = new();
                let mut got = vec![];
                for _ in 0..steals {
                    if let Some((value, _)) = stealer.steal_into(&mine) {
                        got.push(value);
                    }
                }
                got.extend(std::iter::from_fn(|| mine.pop()));
                got
            });
            let mut got = vec![];
            for value in 0..pushed {
                local.push_back(value, |spilled| got.extend(spilled));
            }
            for _ in 0..owner_pops {
                got.extend(local.pop());
            }
            got.extend(thief.join().unwrap());
            got.extend(std::iter::from_fn(|| local.pop()));
            got.sort_unstable();
            assert_eq!(got, (0..pushed).collect::<Vec<_>>());
        });
    }

    #[test]
    fn loom_queue_pop_races_a_steal() {
        model(3, 2, 1);
    }

    #[test]
    fn loom_queue_spill_races_a_steal() {
        // Capacity 4 under loom: the fifth and sixth pushes spill, either
        // half the ring or, while the thief copies, the value alone.
        model(6, 1, 2);
    }
}
