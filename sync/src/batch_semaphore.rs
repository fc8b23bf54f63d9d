//! The FIFO batch semaphore under `Semaphore`, `Mutex`, `RwLock` and the bounded
//! channels' capacity: permits in one atomic word, waiters on the shared
//! [`WaitList`](crate::wait_list::WaitList).
//!
//! It owns the permit count and the order in which waiters get permits. It uses
//! `crate::wait_list`, `crate::loom` and `magpie_coop` (an acquire that completes spends
//! one unit of the task's budget).
//!
//! # How it works
//!
//! `state` holds `permits << 2 | WAITERS | CLOSED`. With no waiter queued, acquiring
//! and releasing are one compare-and-swap on it and never touch the lock. A request
//! that cannot be served at once locks the waiter list, takes whatever permits are
//! there (so later, smaller requests find none: strict FIFO) and queues with the number
//! it still needs as its node's status. While anyone waits the `WAITERS` bit is set and
//! the permit count is 0; `release` then goes through the lock and hands permits to the
//! waiters from the front, setting a node's status to 0 as it takes it off the list.
//! Only what is left once the list is empty goes back into `state`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait_list::{WaitList, Waiter, WakeList};

/// A counting semaphore whose waiters are served strictly in arrival order, each
/// asking for any number of permits at once.
pub(crate) struct Semaphore {
    /// `permits << PERMIT_SHIFT | WAITERS | CLOSED`.
    ///
    /// Shared state: anyone changes the permit count with a compare-and-swap while
    /// `WAITERS` is clear. `WAITERS` and `CLOSED` are set and cleared only by holders of
    /// `waiters`' lock, and while `WAITERS` is set only they change the count (which is
    /// then 0, so lock-free acquirers find nothing to take).
    state: AtomicUsize,
    /// The queued acquirers; a node's status is the number of permits it still needs.
    waiters: Mutex<WaitList<()>>,
}

/// Set when the semaphore is closed.
const CLOSED: usize = 1;
/// Set while the waiter list is not empty.
const WAITERS: usize = 2;
/// The permit count sits above the flags.
const PERMIT_SHIFT: usize = 2;

/// The error returned by the `try_acquire*` methods of
/// [`Semaphore`](crate::Semaphore).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore has been [closed](crate::Semaphore::close) and cannot hand out
    /// permits.
    Closed,
    /// Not enough permits are available now.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

/// The error returned by the `acquire*` methods of [`Semaphore`](crate::Semaphore):
/// the semaphore was [closed](crate::Semaphore::close).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold (tokio's figure: three bits are kept for
    /// flags).
    pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[cfg(not(loom))]
    pub(crate) const fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits"
        );
        Semaphore {
            state: AtomicUsize::new(permits << PERMIT_SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// A semaphore with `permits` permits (loom build: not `const`).
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[cfg(loom)]
    pub(crate) fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits"
        );
        Semaphore {
            state: AtomicUsize::new(permits << PERMIT_SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Permits available now (0 while anyone waits).
    pub(crate) fn available_permits(&self) -> usize {
        // Acquire: the count is a snapshot; callers that act on it order themselves.
        self.state.load(Ordering::Acquire) >> PERMIT_SHIFT
    }

    /// Whether [`Semaphore::close`] has been called.
    pub(crate) fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release in `close`.
        self.state.load(Ordering::Acquire) & CLOSED == CLOSED
    }

    /// Takes `n` permits if they are available now and nobody is queued.
    pub(crate) fn try_acquire(&self, n: u32) -> Result<(), TryAcquireError> {
        let n = n as usize;
        // Acquire: taking permits must see what their releaser did before releasing.
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & CLOSED == CLOSED {
                return Err(TryAcquireError::Closed);
            }
            if cur >> PERMIT_SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            let next = cur - (n << PERMIT_SHIFT);
            // AcqRel: Acquire as above; Release so a later acquirer of the same word
            // sees a consistent chain of updates.
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Takes `n` permits now if they are free and nobody is queued, spending one unit
    /// of the task's budget: `Ready(Ok(true))`. `Ready(Ok(false))` when the caller
    /// must queue (the unit is given back); `Pending` when the budget is spent (the
    /// task yields, as [`Acquire`] would make it).
    pub(crate) fn poll_acquire_now(
        &self,
        cx: &mut Context<'_>,
        n: u32,
    ) -> Poll<Result<bool, AcquireError>> {
        let unit = ready!(magpie_coop::poll_unit(cx));
        match self.try_acquire(n) {
            Ok(()) => {
                unit.made_progress();
                Poll::Ready(Ok(true))
            }
            Err(TryAcquireError::Closed) => {
                unit.made_progress();
                Poll::Ready(Err(AcquireError(())))
            }
            Err(TryAcquireError::NoPermits) => Poll::Ready(Ok(false)),
        }
    }

    /// A future that waits for `n` permits, in FIFO order. It takes free permits
    /// without building the queued future (its waiter node) first: the uncontended
    /// lock, permit or channel slot costs one compare-and-swap and the budget check;
    /// otherwise it becomes [`queued`](Self::queued) in place. Dropping it before it
    /// completes gives back any permits already assigned to it.
    ///
    /// # Panics
    ///
    /// As [`queued`](Self::queued), when it has to wait.
    pub(crate) fn acquire(&self, n: u32) -> AcquireFast<'_> {
        AcquireFast::Now { semaphore: self, n }
    }

    /// The queued part of [`acquire`](Self::acquire): a future that waits for `n`
    /// permits in FIFO order, with its waiter node.
    ///
    /// # Panics
    ///
    /// If `n` exceeds [`Semaphore::MAX_PERMITS`] (possible on 32-bit targets only).
    fn queued(&self, n: u32) -> Acquire<'_> {
        assert!(
            n as usize <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        Acquire {
            semaphore: self,
            node: Waiter::new(0, ()),
            num_permits: n,
            state: AcquireState::Idle,
        }
    }

    /// Gives `n` permits back (or adds new ones): to the queued waiters first, in
    /// order, the rest to the count.
    ///
    /// # Panics
    ///
    /// If the count would exceed [`Semaphore::MAX_PERMITS`].
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        // Relaxed: only a first guess for the compare-and-swap below.
        let mut cur = self.state.load(Ordering::Relaxed);
        while cur & WAITERS == 0 {
            assert_can_add(cur >> PERMIT_SHIFT, n);
            // Release: the acquirer that takes these permits sees what we did before
            // giving them back (e.g. the writes made under a mutex guard).
            match self.state.compare_exchange_weak(
                cur,
                cur + (n << PERMIT_SHIFT),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        self.add_permits_locked(n, self.waiters.lock());
    }

    /// Removes up to `n` available permits for good; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        // Relaxed: forgetting permits publishes nothing; the CAS keeps the count exact.
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let taken = (cur >> PERMIT_SHIFT).min(n);
            match self.state.compare_exchange_weak(
                cur,
                cur - (taken << PERMIT_SHIFT),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return taken,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Closes the semaphore: every queued acquirer, and every later one, fails with
    /// [`AcquireError`]. Permits can still be released into it.
    pub(crate) fn close(&self) {
        let mut list = self.waiters.lock();
        // Release: pairs with the Acquire loads that see CLOSED.
        self.state.fetch_or(CLOSED, Ordering::Release);
        let mut wakes = WakeList::new();
        loop {
            while wakes.can_push() {
                let Some(front) = list.front() else { break };
                // The node keeps its count of missing permits: a nonzero status on a
                // node off the list tells its owner (who then locks) it was closed.
                let needed = front.status();
                if let Some(Some(waker)) = list.pop_front(needed) {
                    wakes.push(waker);
                }
            }
            if list.is_empty() {
                // Relaxed: the lock orders this with every reader that acts on it.
                self.state.fetch_and(!WAITERS, Ordering::Relaxed);
                break;
            }
            drop(list);
            wakes.wake_all();
            list = self.waiters.lock();
        }
        drop(list);
        wakes.wake_all();
    }

    /// Hands `added` permits to the queued waiters in order and the rest to the count,
    /// waking the served waiters in batches with the lock released.
    fn add_permits_locked<'a>(&'a self, mut added: usize, mut list: MutexGuard<'a, WaitList<()>>) {
        let mut wakes = WakeList::new();
        loop {
            while added > 0 && wakes.can_push() {
                let Some(front) = list.front() else { break };
                let needed = front.status();
                if needed > added {
                    front.set_status(needed - added);
                    added = 0;
                } else {
                    added -= needed;
                    if let Some(Some(waker)) = list.pop_front(0) {
                        wakes.push(waker);
                    }
                }
            }
            if list.is_empty() {
                // Nobody waits: clear WAITERS and put the rest in the count, in one step.
                // AcqRel: Release publishes the permits like `release`'s fast path.
                let result = self
                    .state
                    .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |cur| {
                        let permits = cur >> PERMIT_SHIFT;
                        if added > Semaphore::MAX_PERMITS - permits {
                            return None;
                        }
                        Some((cur & CLOSED) | ((permits + added) << PERMIT_SHIFT))
                    });
                drop(list);
                wakes.wake_all();
                if let Err(cur) = result {
                    assert_can_add(cur >> PERMIT_SHIFT, added);
                }
                return;
            }
            if added == 0 {
                break;
            }
            // The batch is full and permits remain: wake it without the lock, go on.
            drop(list);
            wakes.wake_all();
            list = self.waiters.lock();
        }
        drop(list);
        wakes.wake_all();
    }

    /// The slow path of an acquire not yet queued: under the lock, take what is there,
    /// and queue `node` for the rest.
    fn acquire_locked(
        &self,
        node: Pin<&Waiter<()>>,
        n: usize,
        waker: &Waker,
    ) -> Poll<Result<(), AcquireError>> {
        let mut list = self.waiters.lock();
        // Acquire: permits taken must show their releaser's writes.
        let mut cur = self.state.load(Ordering::Acquire);
        let remaining = loop {
            if cur & CLOSED == CLOSED {
                return Poll::Ready(Err(AcquireError(())));
            }
            let available = cur >> PERMIT_SHIFT;
            let taken = available.min(n);
            let remaining = n - taken;
            let next = if remaining == 0 {
                cur - (taken << PERMIT_SHIFT)
            } else {
                // We take everything there is and queue: the count is 0 while anyone
                // waits.
                (cur & CLOSED) | WAITERS
            };
            // AcqRel: Acquire as above; Release keeps the word's chain of updates
            // visible to later acquirers.
            match self
                .state
                .compare_exchange(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break remaining,
                Err(actual) => cur = actual,
            }
        };
        if remaining == 0 {
            return Poll::Ready(Ok(()));
        }
        node.set_status(remaining);
        // SAFETY: the node is not on a list (its future is in the Idle state); it is
        // pinned inside the `Acquire` future, whose Drop removes it under this lock
        // before the node goes away; it is only ever queued on this semaphore's list,
        // and we hold that list's lock.
        unsafe { list.push_back(node, Some(waker.clone())) };
        Poll::Pending
    }

    /// A poll of an acquire whose node was queued.
    fn poll_queued(
        &self,
        node: Pin<&Waiter<()>>,
        n: usize,
        waker: &Waker,
    ) -> Poll<Result<(), AcquireError>> {
        if node.status() == 0 {
            // Fully served and taken off the list by a releaser.
            return Poll::Ready(Ok(()));
        }
        let mut list = self.waiters.lock();
        if node.status() == 0 {
            return Poll::Ready(Ok(()));
        }
        // SAFETY: the node is only ever queued on this list, whose lock we hold.
        if unsafe { list.update_waker(node, waker) } {
            return Poll::Pending;
        }
        // Off the list with permits still missing: `close` took it off. Give back
        // what it had been given.
        let assigned = n - node.status();
        if assigned > 0 {
            self.add_permits_locked(assigned, list);
        }
        Poll::Ready(Err(AcquireError(())))
    }
}

/// Panics if `added` more permits would take `permits` above `MAX_PERMITS`.
fn assert_can_add(permits: usize, added: usize) {
    assert!(
        added <= Semaphore::MAX_PERMITS - permits,
        "number of added permits ({added}) would overflow MAX_PERMITS ({})",
        Semaphore::MAX_PERMITS
    );
}

/// Where an [`Acquire`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcquireState {
    /// Not polled yet, or polled without needing to queue.
    Idle,
    /// The node was queued (it may since have been served or closed).
    Queued,
    /// Completed; its permits belong to the caller now.
    Done,
}

/// The future returned by [`Semaphore::queued`]: a waiter in the queue.
pub(crate) struct Acquire<'a> {
    semaphore: &'a Semaphore,
    /// The queue entry; pinned with the future.
    node: Waiter<()>,
    num_permits: u32,
    state: AcquireState,
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("num_permits", &self.num_permits)
            .field("state", &self.state)
            .finish()
    }
}

impl<'a> Acquire<'a> {
    /// Splits the pinned future into its pinned node and its other fields.
    fn project(self: Pin<&mut Self>) -> (&'a Semaphore, Pin<&Waiter<()>>, u32, &mut AcquireState) {
        // SAFETY: `node` is never moved out of the future: it is only handed out as
        // `Pin<&Waiter>`; the other fields are not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.node` lives in the pinned future, so it is pinned too.
        let node = unsafe { Pin::new_unchecked(&this.node) };
        (this.semaphore, node, this.num_permits, &mut this.state)
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (semaphore, node, n, state) = self.project();
        let unit = ready!(magpie_coop::poll_unit(cx));
        let result = match *state {
            AcquireState::Idle => match semaphore.try_acquire(n) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TryAcquireError::Closed) => Poll::Ready(Err(AcquireError(()))),
                Err(TryAcquireError::NoPermits) => {
                    let poll = semaphore.acquire_locked(node, n as usize, cx.waker());
                    if poll.is_pending() {
                        *state = AcquireState::Queued;
                    }
                    poll
                }
            },
            AcquireState::Queued => semaphore.poll_queued(node, n as usize, cx.waker()),
            AcquireState::Done => panic!("`Acquire` polled after it completed"),
        };
        if result.is_ready() {
            *state = AcquireState::Done;
            unit.made_progress();
        }
        result
    }
}

/// The future returned by [`Semaphore::acquire`]: free permits at once, else an
/// [`Acquire`] in the queue.
pub(crate) enum AcquireFast<'a> {
    /// Not polled yet, or polled while out of budget.
    Now { semaphore: &'a Semaphore, n: u32 },
    /// Queued (structurally pinned: the node is linked by address).
    Queued(Acquire<'a>),
}

/// What a lock's semaphore (never closed) gives back when it is acquired.
pub(crate) trait NeverClosed {
    /// Unwraps an acquisition of a lock's semaphore, which never fails.
    ///
    /// # Panics
    ///
    /// If it did fail: the lock (`what`) closed its semaphore, a bug.
    fn never_closed(self, what: &str);
}

impl NeverClosed for Result<(), AcquireError> {
    fn never_closed(self, what: &str) {
        if self.is_err() {
            unreachable!("a {what}'s semaphore is never closed");
        }
    }
}

impl Future for AcquireFast<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: the `Queued` variant's future is only used pinned (below) and
        // never moved out; this enum is only replaced while in `Now`, which holds
        // nothing pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if let AcquireFast::Now { semaphore, n } = *this {
            if ready!(semaphore.poll_acquire_now(cx, n))? {
                return Poll::Ready(Ok(()));
            }
            *this = AcquireFast::Queued(semaphore.queued(n));
        }
        let AcquireFast::Queued(acquire) = this else {
            unreachable!("set to Queued above");
        };
        // SAFETY: `acquire` lives in the pinned `self` and is never moved (see above).
        unsafe { Pin::new_unchecked(acquire) }.poll(cx)
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.state != AcquireState::Queued {
            return;
        }
        // SAFETY: `drop` runs on the pinned future in place; we only use the node
        // through a pinned reference and do not move it.
        let node = unsafe { Pin::new_unchecked(&self.node) };
        let n = self.num_permits as usize;
        if node.status() == 0 {
            // Served in full but never told: the permits are ours to give back.
            self.semaphore.release(n);
            return;
        }
        let mut list = self.semaphore.waiters.lock();
        // SAFETY: the node is only ever queued on this list, whose lock we hold.
        unsafe { list.remove(node) };
        // Under the lock the status is final: the node is off the list now.
        let assigned = n - node.status();
        if assigned > 0 || list.is_empty() {
            // Gives back what it was given, and clears WAITERS if the list emptied.
            self.semaphore.add_permits_locked(assigned, list);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::*;

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_cx() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        (counter, waker)
    }

    fn poll<F: Future>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn uncontended_acquire_and_release() {
        let sem = Semaphore::new(3);
        assert_eq!(sem.try_acquire(2), Ok(()));
        assert_eq!(sem.try_acquire(2), Err(TryAcquireError::NoPermits));
        let (_, waker) = counting_cx();
        assert_eq!(poll(pin!(sem.acquire(1)), &waker), Poll::Ready(Ok(())));
        assert_eq!(sem.available_permits(), 0);
        sem.release(3);
        assert_eq!(sem.available_permits(), 3);
        assert_eq!(sem.forget_permits(5), 3);
        assert_eq!(sem.available_permits(), 0);
    }

    #[test]
    fn a_big_request_at_the_head_blocks_later_small_ones() {
        let sem = Semaphore::new(1);
        let (counter, waker) = counting_cx();
        let mut big = pin!(sem.acquire(3));
        let mut small = pin!(sem.acquire(1));
        assert!(poll(big.as_mut(), &waker).is_pending());
        assert_eq!(sem.available_permits(), 0, "the head took the one permit");
        assert!(poll(small.as_mut(), &waker).is_pending());
        assert_eq!(sem.try_acquire(1), Err(TryAcquireError::NoPermits));
        sem.release(1);
        assert_eq!(counter.0.load(Ordering::SeqCst), 0, "3 not yet reached");
        sem.release(1);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "only the head served");
        assert!(poll(small.as_mut(), &waker).is_pending());
        assert_eq!(poll(big.as_mut(), &waker), Poll::Ready(Ok(())));
        sem.release(1);
        assert_eq!(poll(small.as_mut(), &waker), Poll::Ready(Ok(())));
        assert_eq!(sem.available_permits(), 0);
    }

    #[test]
    fn dropping_a_partly_served_waiter_passes_its_permits_on() {
        let sem = Semaphore::new(2);
        let (_, waker) = counting_cx();
        let mut big = Box::pin(sem.acquire(5));
        let mut next = pin!(sem.acquire(2));
        assert!(poll(big.as_mut(), &waker).is_pending());
        assert!(poll(next.as_mut(), &waker).is_pending());
        drop(big);
        assert_eq!(poll(next.as_mut(), &waker), Poll::Ready(Ok(())));
        assert_eq!(sem.available_permits(), 0);
        sem.release(2);
        assert_eq!(
            sem.available_permits(),
            2,
            "no waiter left: WAITERS cleared"
        );
        assert_eq!(sem.try_acquire(2), Ok(()));
    }

    #[test]
    fn dropping_a_served_but_unpolled_waiter_returns_its_permits() {
        let sem = Semaphore::new(0);
        let (_, waker) = counting_cx();
        let mut acquire = Box::pin(sem.acquire(2));
        assert!(poll(acquire.as_mut(), &waker).is_pending());
        sem.release(2);
        assert_eq!(sem.available_permits(), 0, "assigned to the waiter");
        drop(acquire);
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn close_fails_waiters_and_later_acquires() {
        let sem = Semaphore::new(1);
        let (counter, waker) = counting_cx();
        let mut waiters: Vec<_> = (0..40).map(|_| Box::pin(sem.acquire(2))).collect();
        for w in &mut waiters {
            assert!(poll(w.as_mut(), &waker).is_pending());
        }
        sem.close();
        assert!(sem.is_closed());
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            40,
            "woken across two batches"
        );
        for w in &mut waiters {
            assert_eq!(poll(w.as_mut(), &waker), Poll::Ready(Err(AcquireError(()))));
        }
        assert_eq!(
            sem.available_permits(),
            1,
            "the first waiter's permit came back"
        );
        assert_eq!(sem.try_acquire(1), Err(TryAcquireError::Closed));
        assert!(poll(pin!(sem.acquire(1)), &waker).is_ready());
    }

    #[test]
    fn release_serves_more_than_one_wake_batch() {
        let sem = Semaphore::new(0);
        let (counter, waker) = counting_cx();
        let mut waiters: Vec<_> = (0..100).map(|_| Box::pin(sem.acquire(1))).collect();
        for w in &mut waiters {
            assert!(poll(w.as_mut(), &waker).is_pending());
        }
        sem.release(150);
        assert_eq!(counter.0.load(Ordering::SeqCst), 100);
        assert_eq!(sem.available_permits(), 50);
        for w in &mut waiters {
            assert_eq!(poll(w.as_mut(), &waker), Poll::Ready(Ok(())));
        }
    }

    #[test]
    #[should_panic(expected = "a semaphore may not have more than MAX_PERMITS permits")]
    fn too_many_permits_panics() {
        let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
    }

    #[test]
    #[should_panic(expected = "would overflow MAX_PERMITS")]
    fn releasing_past_max_panics() {
        let sem = Semaphore::new(Semaphore::MAX_PERMITS);
        sem.release(1);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use std::pin::pin;
    use std::task::{Context, Poll};

    use futures::task::noop_waker_ref;

    use super::*;
    use crate::loom::{thread, Arc};

    /// Blocks on `f` inside loom (loom's `block_on` parks the model thread).
    fn block_on<F: Future>(f: F) -> F::Output {
        loom::future::block_on(f)
    }

    #[test]
    fn loom_acquire_release_hand_off() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(1));
            let other = sem.clone();
            let t = thread::spawn(move || {
                block_on(other.acquire(1)).unwrap();
                other.release(1);
            });
            block_on(sem.acquire(1)).unwrap();
            sem.release(1);
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 1);
        });
    }

    #[test]
    fn loom_cancelled_partial_acquire_returns_its_permits() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(1));
            let releaser = sem.clone();
            let t = thread::spawn(move || releaser.release(1));
            {
                let mut big = pin!(sem.acquire(3));
                let mut cx = Context::from_waker(noop_waker_ref());
                // One permit taken (maybe two), then cancelled.
                assert!(big.as_mut().poll(&mut cx).is_pending());
            }
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 2, "nothing lost");
        });
    }

    #[test]
    fn loom_cancel_races_release_with_a_second_waiter() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let second = sem.clone();
            let t = thread::spawn(move || {
                block_on(second.acquire(1)).unwrap();
            });
            {
                let mut first = pin!(sem.acquire(1));
                let mut cx = Context::from_waker(noop_waker_ref());
                let _ = first.as_mut().poll(&mut cx);
                sem.release(1);
                // Dropped here, served or not: if served, the permit moves on.
            }
            t.join().unwrap();
            // The one permit ended with the second waiter, whichever way the race went:
            // never lost (the second would hang) or doubled.
            assert_eq!(sem.available_permits(), 0);
        });
    }

    #[test]
    fn loom_cancel_races_two_partial_releases() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let releaser = sem.clone();
            let t = thread::spawn(move || {
                releaser.release(1);
                releaser.release(1);
            });
            {
                let mut big = pin!(sem.acquire(3));
                let mut cx = Context::from_waker(noop_waker_ref());
                // Queued before, between or after the releases; never served in full.
                assert!(big.as_mut().poll(&mut cx).is_pending());
            }
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 2, "both permits came back");
            assert_eq!(
                sem.try_acquire(2),
                Ok(()),
                "and no waiter is left in the way"
            );
        });
    }

    #[test]
    fn loom_close_wakes_a_waiter() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let closer = sem.clone();
            let t = thread::spawn(move || closer.close());
            let result = block_on(sem.acquire(1));
            assert_eq!(result, Err(AcquireError(())));
            t.join().unwrap();
            let mut cx = Context::from_waker(noop_waker_ref());
            assert_eq!(
                pin!(sem.acquire(1)).poll(&mut cx),
                Poll::Ready(Err(AcquireError(())))
            );
        });
    }
}
