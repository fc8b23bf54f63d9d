//! [`Notify`]: wake one task or all of them, with one stored permit.
//!
//! This module owns the notify state word and the meaning of a notification; the
//! waiting itself is the shared [`WaitList`](crate::wait_list::WaitList). It uses
//! `crate::wait_list` and `crate::loom`.
//!
//! # How it works
//!
//! `state` holds `generation << 2 | EMPTY/WAITING/NOTIFIED`. `notify_one` and
//! `notify_waiters` with nobody waiting, and a `Notified` finding the permit, are one
//! compare-and-swap each, without the lock. `WAITING` is set and cleared only under the
//! lock and means the list is not empty; while it is set only lock holders change the
//! word. The generation counts `notify_waiters` calls: a `Notified` remembers the
//! generation it was made in, so a call made after its creation completes it even if
//! it had never been polled (tokio's documented meaning), and `notify_waiters` wakes
//! exactly the queued nodes older than its own call. A node's status says which
//! notification it got; a node chosen by `notify_one` whose future is dropped before
//! it sees the notification passes it on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait_list::{WaitList, Waiter, WakeList};

/// Low bits of `Notify::state`: nobody waits and no permit is stored.
const EMPTY: usize = 0;
/// Low bits: the waiter list is not empty (so no permit is stored).
const WAITING: usize = 1;
/// Low bits: one permit is stored for the next `Notified`.
const NOTIFIED: usize = 2;
/// Mask of the low bits.
const STATE_MASK: usize = 3;
/// The `notify_waiters` generation sits above the low bits.
const GEN_SHIFT: usize = 2;

/// Node status: not notified yet.
const NONE: usize = 0;
/// Node status: chosen by `notify_one` (from the front).
const ONE_FIFO: usize = 1;
/// Node status: chosen by `notify_last` (from the back).
const ONE_LIFO: usize = 2;
/// Node status: woken by `notify_waiters`.
const ALL: usize = 3;

/// Notifies a single task, or all waiting tasks, of an event.
///
/// `Notify` is a permit that can be stored, and a queue of waiting tasks. Calling
/// [`notified().await`](Notify::notified) waits for a permit; [`notify_one`] hands one
/// to the oldest waiter, or stores it when nobody waits, so the next `notified()`
/// completes at once. At most one permit is stored: further `notify_one` calls with
/// nobody waiting change nothing. [`notify_waiters`] wakes every task waiting now (and
/// every `Notified` created before the call, even one not yet polled) and stores no
/// permit.
///
/// Waiting allocates nothing: the queue entry lives inside the [`Notified`] future.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use magpie::sync::Notify;
///
/// #[magpie::main]
/// async fn main() {
///     let notify = Arc::new(Notify::new());
///     let notify2 = notify.clone();
///
///     let handle = magpie::spawn(async move {
///         notify2.notified().await;
///         println!("received notification");
///     });
///
///     println!("sending notification");
///     notify.notify_one();
///     handle.await.unwrap();
/// }
/// ```
///
/// [`notify_one`]: Notify::notify_one
/// [`notify_waiters`]: Notify::notify_waiters
pub struct Notify {
    /// `generation << GEN_SHIFT | EMPTY/WAITING/NOTIFIED`.
    ///
    /// Shared state: while `WAITING` is clear, anyone moves the low bits between
    /// `EMPTY` and `NOTIFIED`, or bumps the generation, with a compare-and-swap; only
    /// holders of `waiters`' lock set or clear `WAITING`, and while it is set only they
    /// change the word.
    state: AtomicUsize,
    /// The waiting `Notified` futures; a node's data is its creation generation and its
    /// status the notification it received.
    waiters: Mutex<WaitList<usize>>,
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl Notify {
    /// Creates a new `Notify` with no stored permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Notify;
    ///
    /// let notify = Notify::new();
    /// ```
    pub fn new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Creates a new `Notify` in a `const` context (e.g. a `static`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Notify;
    ///
    /// static NOTIFY: Notify = Notify::const_new();
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Waits for a notification.
    ///
    /// The returned [`Notified`] completes when a permit is handed to it by
    /// [`notify_one`](Notify::notify_one)/[`notify_last`](Notify::notify_last) (or was
    /// stored before), or when [`notify_waiters`](Notify::notify_waiters) is called after
    /// this method. It joins the queue when first polled (or
    /// [enabled](Notified::enable)); the queue is FIFO.
    ///
    /// # Cancel safety
    ///
    /// Dropping a `Notified` that `notify_one` had chosen but that had not yet
    /// completed passes the notification on to the next waiter (or stores it), so no
    /// notification is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Notify;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let notify = Arc::new(Notify::new());
    ///     let notify2 = notify.clone();
    ///
    ///     magpie::spawn(async move {
    ///         notify2.notify_one();
    ///     });
    ///
    ///     notify.notified().await;
    /// }
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            wait: Wait::new(self),
        }
    }

    /// As [`notified`](Notify::notified), holding the `Notify` by `Arc`: the future
    /// is `'static`, so it can be stored or moved into another task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Notify;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let notify = Arc::new(Notify::new());
    ///     let notified = notify.clone().notified_owned();
    ///     let waiter = magpie::spawn(notified);
    ///     notify.notify_one();
    ///     waiter.await.unwrap();
    /// }
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        OwnedNotified {
            wait: Wait::new(&self),
            notify: self,
        }
    }

    /// Notifies the oldest waiting task, or stores a permit if no task waits.
    ///
    /// If a permit is already stored, nothing changes: at most one is kept. The next
    /// call to [`notified().await`](Notify::notified) then completes at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Notify;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let notify = Notify::new();
    ///     notify.notify_one();
    ///     notify.notify_one(); // still one permit
    ///     notify.notified().await; // completes at once
    /// }
    /// ```
    pub fn notify_one(&self) {
        self.notify_with(ONE_FIFO);
    }

    /// Notifies the newest waiting task (the last to join the queue), or stores a
    /// permit if no task waits. Otherwise as [`notify_one`](Notify::notify_one).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Notify;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let notify = Notify::new();
    ///     notify.notify_last();
    ///     notify.notified().await;
    /// }
    /// ```
    pub fn notify_last(&self) {
        self.notify_with(ONE_LIFO);
    }

    /// Shared body of `notify_one` and `notify_last`.
    fn notify_with(&self, strategy: usize) {
        // SeqCst: the permit/waiting protocol is a handful of operations on one word
        // plus the lock; SeqCst keeps its reasoning simple and costs nothing extra here.
        let mut cur = self.state.load(Ordering::SeqCst);
        while cur & STATE_MASK != WAITING {
            let next = (cur & !STATE_MASK) | NOTIFIED;
            match self
                .state
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let mut list = self.waiters.lock();
        let waker = self.notify_locked(&mut list, strategy);
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Under the lock: hands one notification to the front (`ONE_FIFO`) or back
    /// (`ONE_LIFO`) waiter, or stores the permit. Returns the waker to wake once the
    /// lock is released.
    fn notify_locked(
        &self,
        list: &mut MutexGuard<'_, WaitList<usize>>,
        strategy: usize,
    ) -> Option<Waker> {
        // SeqCst: see `notify_with`.
        let mut cur = self.state.load(Ordering::SeqCst);
        loop {
            if cur & STATE_MASK == WAITING {
                let waker = if strategy == ONE_FIFO {
                    list.pop_front(strategy)
                } else {
                    list.pop_back(strategy)
                };
                if list.is_empty() {
                    // Only lock holders change the word while WAITING is set.
                    self.state.store(cur & !STATE_MASK, Ordering::SeqCst);
                }
                return waker.flatten();
            }
            // Nobody waits: store the permit (racing only with lock-free CASes).
            let next = (cur & !STATE_MASK) | NOTIFIED;
            match self
                .state
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return None,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Notifies every task waiting now, and every [`Notified`] created before this
    /// call even if it has not been polled yet. Stores no permit: a `notified()` made
    /// after this call waits for the next notification.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Notify;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let notify = Notify::new();
    ///     let notified1 = notify.notified();
    ///     let notified2 = notify.notified();
    ///
    ///     notify.notify_waiters();
    ///     // Both were created before the call, so both complete, although neither
    ///     // had been polled.
    ///     notified1.await;
    ///     notified2.await;
    /// }
    /// ```
    pub fn notify_waiters(&self) {
        // Nobody queued: bumping the generation is all there is to do, and it needs no
        // lock. The bump completes every `Notified` created before now when it is next
        // polled (a first poll racing this compare-and-swap either loses it and sees
        // the new generation, or wins it by setting WAITING, and then we take the
        // lock). A caller that calls in a loop so leaves the lock to the waiters.
        // SeqCst: see `notify_with`.
        let mut cur = self.state.load(Ordering::SeqCst);
        while cur & STATE_MASK != WAITING {
            match self.state.compare_exchange(
                cur,
                cur.wrapping_add(1 << GEN_SHIFT),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let mut list = self.waiters.lock();
        // SeqCst: see `notify_with`. While WAITING is set only lock holders change the
        // word, so `before` is exact; if it was cleared meanwhile, this bump is the
        // whole call, as above.
        let before = self.state.fetch_add(1 << GEN_SHIFT, Ordering::SeqCst);
        if before & STATE_MASK != WAITING {
            return;
        }
        let this_call = (before >> GEN_SHIFT).wrapping_add(1) & (usize::MAX >> GEN_SHIFT);
        let mut wakes = WakeList::new();
        loop {
            while wakes.can_push() {
                // Nodes queue in generation order; those made since this call are
                // not ours to wake (the counter would need 2^62 calls to wrap).
                match list.front() {
                    Some(front) if *front.data() < this_call => {}
                    _ => break,
                }
                if let Some(Some(waker)) = list.pop_front(ALL) {
                    wakes.push(waker);
                }
            }
            let done = match list.front() {
                None => {
                    // SeqCst: see `notify_with`; only lock holders change the word
                    // while WAITING is set, so the read-modify-write is exact.
                    self.state.fetch_and(!STATE_MASK, Ordering::SeqCst);
                    true
                }
                Some(front) => *front.data() >= this_call,
            };
            if done {
                break;
            }
            // A full batch and more to wake: wake it without the lock, then go on.
            drop(list);
            wakes.wake_all();
            list = self.waiters.lock();
        }
        drop(list);
        wakes.wake_all();
    }
}

/// Where a [`Notified`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotifiedState {
    /// Not queued yet.
    Init,
    /// Queued (it may since have been notified and taken off).
    Waiting,
    /// Completed.
    Done,
}

/// One wait on a [`Notify`]: the queue entry and how far it got. Both
/// [`Notified`] and [`OwnedNotified`] are a handle on the `Notify` plus one of these.
#[derive(Debug)]
struct Wait {
    /// The queue entry: data is the creation generation, status the notification.
    node: Waiter<usize>,
    state: NotifiedState,
}

impl Wait {
    /// A wait that counts `notify_waiters` calls made from now on.
    fn new(notify: &Notify) -> Wait {
        // SeqCst: the generation read here must order with `notify_waiters`' bump, so a
        // call that returns before this one is never counted as "after" it.
        let generation = notify.state.load(Ordering::SeqCst) >> GEN_SHIFT;
        Wait {
            node: Waiter::new(NONE, generation),
            state: NotifiedState::Init,
        }
    }

    /// Splits the pinned wait into its pinned node and its state.
    fn project(self: Pin<&mut Self>) -> (Pin<&Waiter<usize>>, &mut NotifiedState) {
        // SAFETY: `node` is never moved out of the wait; it is only handed out as a
        // pinned reference. `state` is not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.node` is inside the pinned wait, hence pinned.
        let node = unsafe { Pin::new_unchecked(&this.node) };
        (node, &mut this.state)
    }

    /// Polls with `waker` (or none, for `enable`).
    fn poll(self: Pin<&mut Self>, notify: &Notify, waker: Option<&Waker>) -> Poll<()> {
        let (node, state) = self.project();
        match *state {
            NotifiedState::Init => {
                let ready = notify.register(node, waker);
                *state = if ready.is_ready() {
                    NotifiedState::Done
                } else {
                    NotifiedState::Waiting
                };
                ready
            }
            NotifiedState::Waiting => {
                if node.status() != NONE {
                    *state = NotifiedState::Done;
                    return Poll::Ready(());
                }
                let Some(waker) = waker else {
                    return Poll::Pending;
                };
                let mut list = notify.waiters.lock();
                if node.status() != NONE {
                    drop(list);
                    *state = NotifiedState::Done;
                    return Poll::Ready(());
                }
                // SAFETY: the node is only ever queued on this list, whose lock we hold.
                let linked = unsafe { list.update_waker(node, waker) };
                debug_assert!(linked, "an unnotified node is still queued");
                Poll::Pending
            }
            NotifiedState::Done => Poll::Ready(()),
        }
    }

    /// Leaves the queue when the future is dropped, passing on a `notify_one` it was
    /// chosen by but never saw.
    fn cancel(self: Pin<&mut Self>, notify: &Notify) {
        let (node, state) = self.project();
        if *state != NotifiedState::Waiting {
            return;
        }
        // Woken by `notify_waiters` (e.g. a watch receiver that saw the new value
        // without polling this again): `pop_front` stored that status as its last
        // touch of the node, which is off the list, and there is nothing to pass on.
        if node.status() == ALL {
            return;
        }
        let mut list = notify.waiters.lock();
        // SAFETY: the node is only ever queued on this list, whose lock we hold.
        if unsafe { list.remove(node) } {
            if list.is_empty() {
                // SeqCst: see `notify_with`. WAITING was set (the list was not empty)
                // and only lock holders change the word while it is.
                notify.state.fetch_and(!STATE_MASK, Ordering::SeqCst);
            }
            return;
        }
        // Off the list: it was notified. A `notify_one`/`notify_last` it never saw
        // goes to the next waiter, or is stored.
        let status = node.status();
        if status == ONE_FIFO || status == ONE_LIFO {
            let waker = notify.notify_locked(&mut list, status);
            drop(list);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// The future returned by [`Notify::notified`]: completes when notified.
///
/// It is `!Unpin` (its queue entry lives inside it): pin it before polling by hand,
/// e.g. with `std::pin::pin!`. See [`Notify::notified`] for when it completes.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Notified<'a> {
    notify: &'a Notify,
    wait: Wait,
}

impl Notified<'_> {
    /// Adds this future to the queue of waiters without a waker, so that a
    /// [`notify_one`](Notify::notify_one) from now on may choose it (and a
    /// [`notify_waiters`](Notify::notify_waiters) wakes it) even before it is polled.
    /// Returns `true` if it is already notified (polling it would complete at once).
    ///
    /// Calling it again, or after a poll, changes nothing but the answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use magpie::sync::Notify;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let notify = Notify::new();
    ///     let mut notified = pin!(notify.notified());
    ///     assert!(!notified.as_mut().enable());
    ///     notify.notify_one(); // chooses the enabled future
    ///     assert!(notified.as_mut().enable());
    ///     notified.await;
    /// }
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let (notify, wait) = self.project();
        wait.poll(notify, None).is_ready()
    }

    /// Splits the pinned future into the `Notify` and the pinned wait.
    fn project(self: Pin<&mut Self>) -> (&Notify, Pin<&mut Wait>) {
        // SAFETY: `wait` is never moved out of the future; it is only handed out
        // pinned. `notify` is not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.wait` is inside the pinned future, hence pinned.
        (this.notify, unsafe { Pin::new_unchecked(&mut this.wait) })
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (notify, wait) = self.project();
        wait.poll(notify, Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs on the pinned future in place, so `wait` is pinned and
        // is not moved.
        let wait = unsafe { Pin::new_unchecked(&mut self.wait) };
        wait.cancel(self.notify);
    }
}

/// The future returned by [`Notify::notified_owned`]: as [`Notified`], but it holds
/// the `Notify` by `Arc`, so it is `'static` and can move into a spawned task.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    wait: Wait,
}

impl OwnedNotified {
    /// As [`Notified::enable`].
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let (notify, wait) = self.project();
        wait.poll(notify, None).is_ready()
    }

    /// Splits the pinned future into the `Notify` and the pinned wait.
    fn project(self: Pin<&mut Self>) -> (&Notify, Pin<&mut Wait>) {
        // SAFETY: `wait` is never moved out of the future; it is only handed out
        // pinned. `notify` is not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.wait` is inside the pinned future, hence pinned.
        (&this.notify, unsafe { Pin::new_unchecked(&mut this.wait) })
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (notify, wait) = self.project();
        wait.poll(notify, Some(cx.waker()))
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        // SAFETY: `drop` runs on the pinned future in place, so `wait` is pinned and
        // is not moved.
        let wait = unsafe { Pin::new_unchecked(&mut self.wait) };
        wait.cancel(&self.notify);
    }
}

impl Notify {
    /// First poll of a `Notified`: complete at once if a permit is stored or a
    /// `notify_waiters` came since its creation, otherwise queue `node`.
    fn register(&self, node: Pin<&Waiter<usize>>, waker: Option<&Waker>) -> Poll<()> {
        let generation = *node.data();
        // SeqCst: see `notify_with`.
        let mut cur = self.state.load(Ordering::SeqCst);
        let mut list = None;
        loop {
            if cur >> GEN_SHIFT != generation {
                return Poll::Ready(());
            }
            let next = match cur & STATE_MASK {
                NOTIFIED => (cur & !STATE_MASK) | EMPTY,
                // Setting WAITING needs the lock; take it and look again.
                EMPTY if list.is_none() => {
                    list = Some(self.waiters.lock());
                    cur = self.state.load(Ordering::SeqCst);
                    continue;
                }
                EMPTY => (cur & !STATE_MASK) | WAITING,
                _ => {
                    // WAITING: seen with the lock held or not; get it, then queue.
                    if list.is_none() {
                        list = Some(self.waiters.lock());
                        cur = self.state.load(Ordering::SeqCst);
                        continue;
                    }
                    break;
                }
            };
            match self
                .state
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) if next & STATE_MASK == EMPTY => return Poll::Ready(()),
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        let mut list = list.expect("queueing happens under the lock");
        // SAFETY: the node is in the Init state, so on no list; it is pinned inside the
        // `Notified`, whose Drop removes it under this lock before it goes away; it is
        // only ever queued on this list, and we hold its lock.
        unsafe { list.push_back(node, waker.cloned()) };
        Poll::Pending
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

    fn counting() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    fn poll(f: Pin<&mut Notified<'_>>, waker: &Waker) -> Poll<()> {
        f.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn notify_one_stores_exactly_one_permit() {
        let notify = Notify::new();
        let (_, waker) = counting();
        notify.notify_one();
        notify.notify_one();
        assert!(poll(pin!(notify.notified()), &waker).is_ready());
        assert!(poll(pin!(notify.notified()), &waker).is_pending());
    }

    #[test]
    fn notify_one_wakes_in_fifo_order_and_notify_last_from_the_back() {
        let notify = Notify::new();
        let (counter, waker) = counting();
        let mut a = pin!(notify.notified());
        let mut b = pin!(notify.notified());
        let mut c = pin!(notify.notified());
        for f in [a.as_mut(), b.as_mut(), c.as_mut()] {
            assert!(poll(f, &waker).is_pending());
        }
        notify.notify_last();
        assert!(poll(c.as_mut(), &waker).is_ready());
        notify.notify_one();
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
        assert!(poll(b.as_mut(), &waker).is_pending());
        assert!(poll(a.as_mut(), &waker).is_ready());
        notify.notify_one();
        assert!(poll(b.as_mut(), &waker).is_ready());
        // Nobody waits now, and no permit was left over.
        assert!(poll(pin!(notify.notified()), &waker).is_pending());
    }

    #[test]
    fn a_dropped_chosen_waiter_passes_the_notification_on() {
        let notify = Notify::new();
        let (_, waker) = counting();
        let mut a = Box::pin(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(poll(a.as_mut(), &waker).is_pending());
        assert!(poll(b.as_mut(), &waker).is_pending());
        notify.notify_one();
        drop(a);
        assert!(poll(b.as_mut(), &waker).is_ready());
        // And with nobody else waiting, it is stored.
        let mut c = Box::pin(notify.notified());
        assert!(poll(c.as_mut(), &waker).is_pending());
        notify.notify_one();
        drop(c);
        assert!(poll(pin!(notify.notified()), &waker).is_ready());
    }

    #[test]
    fn notify_waiters_wakes_all_registered_and_unpolled_but_stores_nothing() {
        let notify = Notify::new();
        let (counter, waker) = counting();
        let mut queued: Vec<_> = (0..70).map(|_| Box::pin(notify.notified())).collect();
        for f in &mut queued {
            assert!(poll(f.as_mut(), &waker).is_pending());
        }
        let mut unpolled = pin!(notify.notified());
        notify.notify_waiters();
        assert_eq!(counter.0.load(Ordering::SeqCst), 70, "three wake batches");
        for f in &mut queued {
            assert!(poll(f.as_mut(), &waker).is_ready());
        }
        assert!(
            poll(unpolled.as_mut(), &waker).is_ready(),
            "created before the call"
        );
        assert!(
            poll(pin!(notify.notified()), &waker).is_pending(),
            "no permit"
        );
        // A waiter dropped after notify_waiters passes nothing on.
        let mut a = Box::pin(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(poll(a.as_mut(), &waker).is_pending());
        assert!(poll(b.as_mut(), &waker).is_pending());
        drop(a);
        assert!(poll(b.as_mut(), &waker).is_pending());
    }

    #[test]
    fn enable_queues_without_a_waker() {
        let notify = Notify::new();
        let (counter, waker) = counting();
        let mut a = pin!(notify.notified());
        assert!(!a.as_mut().enable());
        notify.notify_one();
        assert!(a.as_mut().enable());
        assert!(poll(a.as_mut(), &waker).is_ready());
        let mut b = pin!(notify.notified());
        assert!(!b.as_mut().enable());
        assert!(
            poll(b.as_mut(), &waker).is_pending(),
            "the poll sets the waker"
        );
        notify.notify_waiters();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(poll(b.as_mut(), &waker).is_ready());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use std::pin::pin;
    use std::task::Context;

    use futures::task::noop_waker_ref;

    use super::*;
    use crate::loom::{thread, Arc};

    #[test]
    fn loom_notify_one_is_never_lost() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let notifier = notify.clone();
            let t = thread::spawn(move || notifier.notify_one());
            loom::future::block_on(notify.notified());
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_dropped_chosen_waiter_hands_on() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let notifier = notify.clone();
            let t = thread::spawn(move || notifier.notify_one());
            {
                let mut first = pin!(notify.notified());
                let mut cx = Context::from_waker(noop_waker_ref());
                // Either completes (the permit is consumed here) or is queued and then
                // dropped, maybe after being chosen.
                if first.as_mut().poll(&mut cx).is_ready() {
                    t.join().unwrap();
                    return;
                }
            }
            // The notification must reach this second waiter.
            loom::future::block_on(notify.notified());
            t.join().unwrap();
        });
    }

    /// A waiter dropped while `notify_waiters` takes it off the queue: its drop
    /// either unlinks it under the lock or, seeing the `ALL` status, frees it without
    /// the lock; the notifier must not touch it after that, and the other waiter is
    /// still woken.
    #[test]
    fn loom_waiter_dropped_during_notify_waiters() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let mut cx = Context::from_waker(noop_waker_ref());
            let mut first = Box::pin(notify.notified());
            let mut second = Box::pin(notify.notified());
            assert!(first.as_mut().poll(&mut cx).is_pending());
            assert!(second.as_mut().poll(&mut cx).is_pending());
            let notifier = notify.clone();
            let t = thread::spawn(move || notifier.notify_waiters());
            drop(first);
            loom::future::block_on(second);
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_notify_waiters_wakes_a_created_waiter() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let notified = notify.clone();
            let created = Arc::new(crate::loom::AtomicUsize::new(0));
            let created2 = created.clone();
            let t = thread::spawn(move || {
                let fut = notified.notified();
                created2.store(1, Ordering::SeqCst);
                loom::future::block_on(fut);
            });
            // Call notify_waiters only once the Notified exists; loom explores whether
            // it is queued by then or not.
            while created.load(Ordering::SeqCst) == 0 {
                thread::yield_now();
            }
            notify.notify_waiters();
            t.join().unwrap();
        });
    }
}
