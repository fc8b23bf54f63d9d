//! `JoinSet`: a set of spawned tasks whose results are collected in the
//! order they complete.
//!
//! Each member's `JoinHandle` is polled only when that member's own waker
//! fired, so `join_next` costs O(1) per completed task, not O(set size).
//! The ready list is shared with those wakers: they push (any thread), the
//! set pops (its owner).

use crate::task_core::{AbortHandle, JoinHandle, Output};
use parking_lot::Mutex;
use slab::Slab;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, Ordering::AcqRel, Ordering::Release};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A collection of tasks spawned on the runtime, awaited in completion
/// order. Dropping the set aborts every task still in it.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use magpie::task::JoinSet;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u32 {
///         set.spawn(async move { i * 2 });
///     }
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap();
///     }
///     assert_eq!(sum, 90);
/// });
/// ```
pub struct JoinSet<T> {
    entries: Slab<Entry<T>>,
    ready: Arc<ReadyList>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    member: Arc<MemberWaker>,
    waker: Waker,
}

struct ReadyList {
    /// Slots whose task may have completed; pushed by member wakers.
    slots: Mutex<VecDeque<usize>>,
    /// The waker of the task awaiting `join_next`.
    parent: Mutex<Option<Waker>>,
}

struct MemberWaker {
    slot: usize,
    /// True while the slot is already in the ready list (no duplicates).
    queued: AtomicBool,
    ready: Arc<ReadyList>,
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // AcqRel: pairs with the Release reset in `join_next`, so a wake
        // after that reset always queues the slot again.
        if !self.queued.swap(true, AcqRel) {
            self.ready.slots.lock().push_back(self.slot);
            if let Some(w) = self.ready.parent.lock().take() {
                w.wake();
            }
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use magpie::task::JoinSet;
    ///
    /// // Creating a set needs no runtime; spawning into it does.
    /// let set: JoinSet<u32> = JoinSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Arc::new(ReadyList {
                slots: Mutex::new(VecDeque::new()),
                parent: Mutex::new(None),
            }),
        }
    }

    /// The number of tasks in the set (completed ones not yet joined included).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { 2 });
    ///     assert_eq!(set.len(), 2);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the set holds no task.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     assert!(!set.is_empty());
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Aborts every task in the set; they stay in it until joined.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.abort_all();
    ///     assert_eq!(set.len(), 3);
    ///     while let Some(result) = set.join_next().await {
    ///         assert!(result.unwrap_err().is_cancelled());
    ///     }
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for (_, entry) in self.entries.iter() {
            entry.handle.abort();
        }
    }

    /// Removes every task without aborting it (they keep running detached).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let mut set = magpie::task::JoinSet::new();
    /// set.spawn_on(async move { tx.send("ran anyway").unwrap() }, rt.handle());
    /// set.detach_all();
    /// assert!(set.is_empty());
    /// drop(set); // would abort the task had it not been detached
    /// assert_eq!(rx.recv().unwrap(), "ran anyway");
    /// ```
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.ready.slots.lock().clear();
    }

    /// Waits for the next task to complete and returns its result, or
    /// `None` when the set is empty. Results come in the order the tasks
    /// complete, not the order they were spawned in.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     set.spawn(async { "fast" });
    ///     set.spawn(std::future::pending::<&str>()); // never completes
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Output<T>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Aborts every task and waits for all of them to finish (each
    /// future is dropped when this returns); their results are discarded.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task of the set and returns their outputs, in the
    /// order they completed (tokio's `join_all`).
    ///
    /// # Panics
    ///
    /// If a task panicked, its panic is resumed here (the other tasks are
    /// aborted first, when the set drops); a cancelled task panics with a
    /// message that says so. Use [`JoinSet::join_next`] to handle each
    /// outcome instead.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     for i in 1..=3u32 {
    ///         set.spawn(async move { i * 10 });
    ///     }
    ///     let mut outputs = set.join_all().await;
    ///     outputs.sort();
    ///     assert_eq!(outputs, [10, 20, 30]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(outcome) = self.join_next().await {
            match outcome {
                Ok(output) => outputs.push(output),
                Err(error) => match error.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    Err(error) => panic!("JoinSet::join_all: a task was cancelled: {error}"),
                },
            }
        }
        outputs
    }

    /// Polls for the next completed task; see [`JoinSet::join_next`].
    /// Returns `Pending` (and wakes `cx` later) while no task has completed,
    /// for use in a hand-written `Future` or `Stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// use std::future::poll_fn;
    ///
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     set.spawn(async { 7 });
    ///     let next = poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(next.unwrap().unwrap(), 7);
    ///     assert!(poll_fn(|cx| set.poll_join_next(cx)).await.is_none());
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Output<T>>> {
        if self.entries.is_empty() {
            return Poll::Ready(None);
        }
        loop {
            let slot = self.ready.slots.lock().pop_front();
            let Some(slot) = slot else {
                *self.ready.parent.lock() = Some(cx.waker().clone());
                // A member may have queued itself before we stored the
                // waker: check once more.
                if self.ready.slots.lock().is_empty() {
                    return Poll::Pending;
                }
                continue;
            };
            let Some(entry) = self.entries.get_mut(slot) else {
                continue; // detached meanwhile
            };
            // Release: a wake that follows sees the reset and re-queues.
            entry.member.queued.store(false, Release);
            let mut member_cx = Context::from_waker(&entry.waker);
            if let Poll::Ready(out) = std::pin::Pin::new(&mut entry.handle).poll(&mut member_cx) {
                self.entries.remove(slot);
                return Poll::Ready(Some(out));
            }
        }
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime as a member of the set.
    ///
    /// # Panics
    ///
    /// Panics when called outside the context of a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     let stuck = set.spawn(std::future::pending::<u8>());
    ///     set.spawn(async { 1u8 });
    ///     stuck.abort(); // the returned handle aborts just that member
    ///     let mut outcomes = Vec::new();
    ///     while let Some(result) = set.join_next().await {
    ///         outcomes.push(result.is_ok());
    ///     }
    ///     outcomes.sort();
    ///     assert_eq!(outcomes, [false, true]);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        // Boxed before it is passed on, like `crate::spawn` does (see
        // `BOX_FUTURE_THRESHOLD`): this frame's copy would add to the stack.
        super::boxed_if_large!(future => self.insert(super::spawn(future)))
    }

    /// Spawns `future` onto the runtime of `handle` as a member of the set.
    /// Works from any thread, inside a runtime or not.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let mut set = magpie::task::JoinSet::new();
    /// for i in 1..=3u32 {
    ///     set.spawn_on(async move { i * 10 }, rt.handle());
    /// }
    /// let total = rt.block_on(async {
    ///     let mut total = 0;
    ///     while let Some(result) = set.join_next().await {
    ///         total += result.unwrap();
    ///     }
    ///     total
    /// });
    /// assert_eq!(total, 60);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &super::Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        super::boxed_if_large!(future => self.insert(handle.spawn(future)))
    }

    /// Runs `f` on the blocking pool as a member of the set.
    ///
    /// # Panics
    ///
    /// Panics when called outside the context of a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = magpie::task::JoinSet::new();
    ///     for n in [10u64, 20] {
    ///         set.spawn_blocking(move || (1..=n).sum::<u64>());
    ///     }
    ///     let mut sums = Vec::new();
    ///     while let Some(result) = set.join_next().await {
    ///         sums.push(result.unwrap());
    ///     }
    ///     sums.sort();
    ///     assert_eq!(sums, [55, 210]);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(super::spawn_blocking(f))
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.entries.vacant_key();
        let member = Arc::new(MemberWaker {
            slot,
            queued: AtomicBool::new(true),
            ready: self.ready.clone(),
        });
        // New members are polled once so they register their waker.
        self.ready.slots.lock().push_back(slot);
        if let Some(w) = self.ready.parent.lock().take() {
            w.wake();
        }
        self.entries.insert(Entry {
            handle,
            waker: Waker::from(member.clone()),
            member,
        });
        abort
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
