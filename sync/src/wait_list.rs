//! The one waiting mechanism of the crate: a FIFO, intrusive, doubly linked list of
//! waiters, each node living inside the future that waits, plus [`WakeList`], a
//! fixed-size batch of wakers to wake once the list's lock is released.
//!
//! This module owns the links between nodes and the wakers they hold. It knows
//! nothing of permits or notifications: the primitive that owns a list decides what a
//! node's `status` word means and when a node is taken off. It uses only `crate::loom`.
//!
//! # How a primitive uses it
//!
//! * The primitive keeps a `WaitList<T>` inside its own lock (`crate::loom::Mutex`),
//!   next to whatever else that lock guards. Every call on the list, and on any node
//!   that is or was on it, happens with that lock held; that is what the `&mut` receiver
//!   stands for, and the `unsafe` methods' contracts spell out the rest.
//! * A waiting future embeds a [`Waiter<T>`]. The future is `!Unpin` (the node carries
//!   `PhantomPinned`), so once polled the node stays at its address. Waiting allocates
//!   nothing: the node *is* the queue entry.
//! * To wait, the future locks, re-checks its condition, and if it must wait, calls
//!   [`WaitList::push_back`] with its waker. Later polls call
//!   [`WaitList::update_waker`] under the lock, or first read [`Waiter::status`]
//!   without the lock.
//! * To wake, the primitive (under the lock) looks at [`WaitList::front`], and takes
//!   nodes off with [`WaitList::pop_front`]/[`WaitList::pop_back`], which unlink the node,
//!   store the status value the primitive chose (its last touch of the node) and hand
//!   back the node's waker. The wakers go in a [`WakeList`] and are woken after the lock
//!   is dropped.
//! * A node's status is the primitive's word, written only under the lock, readable by
//!   the owner without it. The primitive must choose a value that means "taken off the
//!   list" and store it only through `pop_*`: an owner that reads such a value may drop
//!   its node without locking, so nothing may touch the node after that store.
//! * A future dropped while its node may still be linked must lock and call
//!   [`WaitList::remove`]; then it hands back whatever the primitive gave it (permits,
//!   a notification) to the next waiter, so nothing is lost.

use std::fmt;
use std::marker::PhantomPinned;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::Waker;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

/// One waiter: the node a waiting future embeds.
///
/// Shared state: `links` is read and written only by holders of the owning list's lock.
/// `status` is written only by holders of that lock and read by the owning future
/// with or without it. `data` is set when the node is made and never changes.
pub(crate) struct Waiter<T> {
    /// The list pointers and the waker; guarded by the owning list's lock.
    links: UnsafeCell<Links<T>>,
    /// The primitive's word about this waiter (permits still needed, notification
    /// received...).
    status: AtomicUsize,
    /// Fixed facts about the waiter that the waking side reads (e.g. a generation).
    data: T,
    /// Nodes are linked by address.
    _pinned: PhantomPinned,
}

/// The part of a node that the list rewrites.
struct Links<T> {
    prev: Option<NonNull<Waiter<T>>>,
    next: Option<NonNull<Waiter<T>>>,
    /// Whether the node is on a list now.
    linked: bool,
    /// Woken when the node is taken off the list.
    waker: Option<Waker>,
}

// SAFETY: a `Waiter` is moved between threads inside the future that owns it. Its
// `links` (the only non-thread-safe part: raw pointers and the cell) are touched only
// under the owning list's lock, which orders every access; `status` is atomic and
// `data` is `T`, so sending needs `T: Send`.
unsafe impl<T: Send> Send for Waiter<T> {}
// SAFETY: shared access from several threads goes through the list's lock for `links`
// (see above), through atomics for `status`, and as `&T` for `data`, so `T: Sync`
// suffices.
unsafe impl<T: Sync> Sync for Waiter<T> {}

impl<T> Waiter<T> {
    /// A node not on any list, with the given status and data.
    #[cfg(not(loom))]
    pub(crate) const fn new(status: usize, data: T) -> Waiter<T> {
        Waiter {
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
                linked: false,
                waker: None,
            }),
            status: AtomicUsize::new(status),
            data,
            _pinned: PhantomPinned,
        }
    }

    /// A node not on any list, with the given status and data.
    #[cfg(loom)]
    pub(crate) fn new(status: usize, data: T) -> Waiter<T> {
        Waiter {
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
                linked: false,
                waker: None,
            }),
            status: AtomicUsize::new(status),
            data,
            _pinned: PhantomPinned,
        }
    }

    /// The status word. Acquire: pairs with the Release store of the waking side, so a
    /// status that says "taken off" also shows everything done before it.
    pub(crate) fn status(&self) -> usize {
        self.status.load(Ordering::Acquire)
    }

    /// Rewrites the status of a node that stays on the list (or was never put on one).
    /// The caller holds the list's lock, and the value must not be one that lets the
    /// owner free the node without locking while it is still linked.
    pub(crate) fn set_status(&self, status: usize) {
        // Release: pairs with the owner's Acquire read in `status`.
        self.status.store(status, Ordering::Release);
    }

    /// The fixed data given to [`Waiter::new`].
    pub(crate) fn data(&self) -> &T {
        &self.data
    }

    /// Raw pointer to the node, as the list stores it.
    fn ptr(self: Pin<&Self>) -> NonNull<Waiter<T>> {
        NonNull::from(self.get_ref())
    }
}

impl<T: fmt::Debug> fmt::Debug for Waiter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("status", &self.status())
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

/// A FIFO list of [`Waiter`]s. It lives inside the lock of the primitive that owns it.
///
/// Shared state: `head` and `tail` are read and written only by holders of that lock.
pub(crate) struct WaitList<T> {
    head: Option<NonNull<Waiter<T>>>,
    tail: Option<NonNull<Waiter<T>>>,
}

// SAFETY: the list is only reached through the lock that owns it, and the nodes it
// points to are `Waiter<T>`s, which may be sent and shared when `T` is `Send + Sync`;
// the list itself owns nothing.
unsafe impl<T: Send + Sync> Send for WaitList<T> {}
// SAFETY: as above: `&WaitList` only reads the head and tail, under the owning lock.
unsafe impl<T: Send + Sync> Sync for WaitList<T> {}

impl<T> fmt::Debug for WaitList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("is_empty", &self.is_empty())
            .finish()
    }
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        WaitList::new()
    }
}

impl<T> WaitList<T> {
    /// An empty list.
    pub(crate) const fn new() -> WaitList<T> {
        WaitList {
            head: None,
            tail: None,
        }
    }

    /// Whether no node is on the list.
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// The oldest waiter, if any. The reference is good while the lock is held: a node
    /// leaves the list only under the lock, and its owner may not drop it while linked.
    pub(crate) fn front(&self) -> Option<&Waiter<T>> {
        // SAFETY: every node on the list is alive and pinned until it is removed under
        // the lock (the contract of `push_back`); `&self` comes from that lock's guard,
        // so no node can go while this borrow lasts.
        self.head.map(|node| unsafe { node.as_ref() })
    }

    /// Puts `node` at the back of the list with `waker` (if any) to wake.
    ///
    /// # Safety
    ///
    /// * `node` is not on any list now.
    /// * `node` stays pinned and alive until it has been taken off this list again,
    ///   either by `pop_*` or by its owner calling [`WaitList::remove`] (normally in
    ///   its `Drop`) under this list's lock.
    /// * `node` is only ever put on this one list, and every access to this list goes
    ///   through one lock (the `&mut self` comes from its guard).
    pub(crate) unsafe fn push_back(&mut self, node: Pin<&Waiter<T>>, waker: Option<Waker>) {
        let ptr = node.ptr();
        let old_tail = self.tail;
        node.links.with_mut(|links| {
            // SAFETY: the node's links are guarded by this list's lock, which we hold
            // (caller's contract), so no one else reads or writes them now.
            let links = unsafe { &mut *links };
            debug_assert!(!links.linked, "a waiter was queued twice");
            links.prev = old_tail;
            links.next = None;
            links.linked = true;
            links.waker = waker;
        });
        match old_tail {
            // SAFETY: the old tail is on this list, hence alive (contract of
            // `push_back`), and its links are guarded by the lock we hold.
            Some(tail) => unsafe { tail.as_ref() }
                .links
                // SAFETY: as above, we hold the lock guarding these links.
                .with_mut(|links| unsafe { (*links).next = Some(ptr) }),
            None => self.head = Some(ptr),
        }
        self.tail = Some(ptr);
    }

    /// Replaces the waker of `node` if it is still on the list (keeping the old one when
    /// it would wake the same task). Returns whether the node is on the list.
    ///
    /// # Safety
    ///
    /// `node` is never put on any list other than this one (so this list's lock, which
    /// the caller holds, guards its links).
    pub(crate) unsafe fn update_waker(&mut self, node: Pin<&Waiter<T>>, waker: &Waker) -> bool {
        node.links.with_mut(|links| {
            // SAFETY: the caller holds the lock that guards this node's links.
            let links = unsafe { &mut *links };
            if !links.linked {
                return false;
            }
            match &links.waker {
                Some(old) if old.will_wake(waker) => {}
                _ => links.waker = Some(waker.clone()),
            }
            true
        })
    }

    /// Takes `node` off the list if it is on it; returns whether it was. Drops the
    /// node's waker either way.
    ///
    /// # Safety
    ///
    /// As for [`WaitList::update_waker`]: `node` is on this list or on none.
    pub(crate) unsafe fn remove(&mut self, node: Pin<&Waiter<T>>) -> bool {
        let (linked, prev, next) = node.links.with_mut(|links| {
            // SAFETY: the caller holds the lock that guards this node's links.
            let links = unsafe { &mut *links };
            let linked = std::mem::replace(&mut links.linked, false);
            links.waker = None;
            (linked, links.prev.take(), links.next.take())
        });
        if !linked {
            return false;
        }
        // SAFETY: `node` was on this list, so its neighbours are too: alive, and their
        // links guarded by the lock we hold.
        unsafe { self.unlink_between(prev, next) };
        true
    }

    /// Takes the oldest node off the list, stores `status` in it, and returns its
    /// waker (`None` inside if it was queued without one), or `None` if the list is
    /// empty. Storing the status is the last touch of the node: an owner that reads it
    /// may free the node at once.
    pub(crate) fn pop_front(&mut self, status: usize) -> Option<Option<Waker>> {
        let head = self.head?;
        // SAFETY: `head` is on this list, hence alive, and we hold the list's lock.
        Some(unsafe { self.take_off(head, status) })
    }

    /// As [`WaitList::pop_front`], for the newest node.
    pub(crate) fn pop_back(&mut self, status: usize) -> Option<Option<Waker>> {
        let tail = self.tail?;
        // SAFETY: `tail` is on this list, hence alive, and we hold the list's lock.
        Some(unsafe { self.take_off(tail, status) })
    }

    /// Unlinks `node`, stores `status` in it last, and returns its waker.
    ///
    /// # Safety
    ///
    /// `node` is on this list.
    unsafe fn take_off(&mut self, node: NonNull<Waiter<T>>, status: usize) -> Option<Waker> {
        // SAFETY: `node` is on this list (caller), so it is alive until we store its
        // status below; its links are guarded by the lock we hold.
        let node = unsafe { node.as_ref() };
        let (prev, next, waker) = node.links.with_mut(|links| {
            // SAFETY: as above.
            let links = unsafe { &mut *links };
            links.linked = false;
            (links.prev.take(), links.next.take(), links.waker.take())
        });
        // SAFETY: the neighbours of a node on this list are on it too.
        unsafe { self.unlink_between(prev, next) };
        // Release: the owner's Acquire read of the status sees the unlinking above.
        node.status.store(status, Ordering::Release);
        waker
    }

    /// Joins `prev` and `next`, the former neighbours of a node just unlinked.
    ///
    /// # Safety
    ///
    /// `prev` and `next` are on this list (or `None` at its ends).
    unsafe fn unlink_between(
        &mut self,
        prev: Option<NonNull<Waiter<T>>>,
        next: Option<NonNull<Waiter<T>>>,
    ) {
        match prev {
            // SAFETY: `prev` is on this list (caller), alive, links guarded by our lock.
            Some(prev) => unsafe { prev.as_ref() }
                .links
                // SAFETY: as above.
                .with_mut(|links| unsafe { (*links).next = next }),
            None => self.head = next,
        }
        match next {
            // SAFETY: `next` is on this list (caller), alive, links guarded by our lock.
            Some(next) => unsafe { next.as_ref() }
                .links
                // SAFETY: as above.
                .with_mut(|links| unsafe { (*links).prev = prev }),
            None => self.tail = prev,
        }
    }
}

/// How many wakers a [`WakeList`] holds before its owner must wake them.
pub(crate) const WAKE_BATCH: usize = 32;

/// A batch of wakers collected under a lock and woken after it is released (waking
/// under the lock would make the woken tasks contend for it). Holds [`WAKE_BATCH`]
/// without allocating; a primitive with more to wake releases the lock, calls
/// [`WakeList::wake_all`], and locks again.
pub(crate) struct WakeList {
    /// Slots `..len` may hold wakers; every slot from `len` on is `None`. Not
    /// dropped as a whole: `drop` wakes (and so empties) the first `len`, and the
    /// rest hold nothing, so the drop glue's pass over all 32 slots (104 instructions,
    /// a quarter of the cost of closing an uncontended channel) is skipped without
    /// leaking (only a waker whose `wake` panics would leave the ones after it
    /// unwoken and undropped).
    wakers: ManuallyDrop<[Option<Waker>; WAKE_BATCH]>,
    len: usize,
}

impl fmt::Debug for WakeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeList").field("len", &self.len).finish()
    }
}

impl WakeList {
    /// An empty batch.
    pub(crate) fn new() -> WakeList {
        WakeList {
            wakers: ManuallyDrop::new([const { None }; WAKE_BATCH]),
            len: 0,
        }
    }

    /// Whether another waker fits.
    pub(crate) fn can_push(&self) -> bool {
        self.len < WAKE_BATCH
    }

    /// Adds a waker.
    ///
    /// # Panics
    ///
    /// If the batch is full (check [`WakeList::can_push`] first).
    pub(crate) fn push(&mut self, waker: Waker) {
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    /// Wakes every waker in the batch and empties it.
    pub(crate) fn wake_all(&mut self) {
        let len = std::mem::replace(&mut self.len, 0);
        for slot in &mut self.wakers[..len] {
            if let Some(waker) = slot.take() {
                waker.wake();
            }
        }
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        // Leaves every slot `None`, so not dropping the array loses nothing.
        self.wake_all();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    use super::*;

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn order(list: &mut WaitList<u32>) -> Vec<u32> {
        let mut seen = Vec::new();
        while let Some(front) = list.front() {
            seen.push(*front.data());
            list.pop_front(0);
        }
        seen
    }

    #[test]
    fn fifo_order_and_removal_from_anywhere() {
        let mut list = WaitList::new();
        let a = pin!(Waiter::new(1, 1u32));
        let b = pin!(Waiter::new(1, 2u32));
        let c = pin!(Waiter::new(1, 3u32));
        let d = pin!(Waiter::new(1, 4u32));
        // SAFETY: the nodes outlive the list's use of them (the list is emptied
        // before they drop), each goes on this list only, and the test is one thread.
        unsafe {
            list.push_back(a.as_ref(), None);
            list.push_back(b.as_ref(), None);
            list.push_back(c.as_ref(), None);
            list.push_back(d.as_ref(), None);
            assert!(list.remove(c.as_ref()), "middle");
            assert!(!list.remove(c.as_ref()), "twice");
            assert!(list.remove(a.as_ref()), "head");
            assert!(list.remove(d.as_ref()), "tail");
        }
        assert_eq!(order(&mut list), vec![2]);
        assert!(list.is_empty());
        assert_eq!(b.status(), 0, "pop stores the status");
    }

    #[test]
    fn pop_hands_back_the_latest_waker() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut list = WaitList::new();
        let a = pin!(Waiter::new(0, ()));
        let b = pin!(Waiter::new(0, ()));
        // SAFETY: as in the test above.
        unsafe {
            list.push_back(a.as_ref(), None);
            list.push_back(b.as_ref(), None);
            assert!(list.update_waker(a.as_ref(), &waker));
        }
        let mut wakes = WakeList::new();
        wakes.push(list.pop_back(7).unwrap().unwrap_or_else(|| waker.clone()));
        wakes.push(list.pop_front(5).unwrap().expect("a had a waker"));
        // SAFETY: as in the test above.
        assert!(!unsafe { list.update_waker(a.as_ref(), &waker) });
        assert_eq!((a.status(), b.status()), (5, 7));
        assert!(list.pop_front(0).is_none());
        wakes.wake_all();
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn wake_list_fills_at_the_batch_size() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut wakes = WakeList::new();
        while wakes.can_push() {
            wakes.push(waker.clone());
        }
        drop(wakes);
        assert_eq!(counter.0.load(Ordering::SeqCst), WAKE_BATCH);
    }
}
