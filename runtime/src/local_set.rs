//! `LocalSet`: a set of tasks whose futures need not be `Send`, all run on
//! the thread that owns the set, while it is awaited (`run_until`, or
//! awaiting the set itself) — tokio's `LocalSet`.
//!
//! A local task is an ordinary task allocation (`task_core::new_local_task`)
//! scheduled by `LocalHandle`. Its futures are polled only in `tick`, and
//! dropped only by `LocalSet`'s destructor or on completion, both on the
//! owner thread (the set is `!Send`). Wakers may still fire on any thread:
//! a wake only moves a task reference into a queue. Wakes on the owner
//! thread while the set is being polled go to `Context::local` (no lock);
//! the others go to `LocalShared::remote` and wake whatever polls the set.
//!
//! Shared state (`LocalShared`): `remote` (any thread pushes; the owner
//! pops), `waker` (the owner stores the waker of the task polling the set;
//! any scheduler wakes it), `owned` and `live` (spawns and completions, on
//! the owner thread; `live` is read by the set's own poll), `closed` (set
//! once by the destructor, read by remote schedules).
//!
//! Uses the task layer (`task_core`) only; `rt` offers `spawn_local`.

use crate::task_core::{self, list::OwnedTasks, Id, JoinHandle, Notified, RawTask, Schedule};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::Location;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Poll, Waker};

/// Tasks run per poll of the set before it yields to its own scheduler.
const MAX_TASKS_PER_TICK: u32 = 61;
/// Every this many tasks the remote queue goes first.
const REMOTE_INTERVAL: u32 = 31;

type LocalTask = Notified<LocalHandle>;

/// The part of a set that wakers (any thread) reach.
pub(crate) struct LocalShared {
    remote: Mutex<VecDeque<LocalTask>>,
    owned: OwnedTasks,
    /// The waker of the task that polls the set.
    waker: Mutex<Option<Waker>>,
    /// Tasks spawned and not yet completed or shut down.
    live: AtomicUsize,
    /// Set once by the set's destructor. SeqCst, paired with remote pushes
    /// as in the schedulers: no reference is stranded in `remote`.
    closed: AtomicBool,
}

/// What a local task holds to get back into its set's queue.
#[derive(Clone)]
pub(crate) struct LocalHandle {
    shared: Arc<LocalShared>,
}

/// The owner thread's side of a set.
struct Context {
    shared: Arc<LocalShared>,
    /// Tasks woken on the owner thread while the set is polled.
    local: RefCell<VecDeque<LocalTask>>,
    tick: std::cell::Cell<u32>,
}

thread_local! {
    /// The set being polled (or entered) on this thread.
    static CURRENT: RefCell<Option<Rc<Context>>> = const { RefCell::new(None) };
}

/// A set of tasks that are not `Send`, run on the thread that owns the set
/// while the set is awaited: inside [`LocalSet::run_until`] (or
/// [`LocalSet::block_on`]), or by awaiting the set itself, which completes
/// once every task in it has. Inside, [`spawn_local`](crate::task::spawn_local)
/// adds tasks to it. Dropping the set drops every task still in it (their
/// `JoinHandle`s yield a cancelled `JoinError`).
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let rt = magpie::runtime::Builder::new_current_thread().build().unwrap();
/// let local = magpie::task::LocalSet::new();
/// let shared = Rc::new(RefCell::new(Vec::new())); // not Send
/// local.block_on(&rt, async {
///     let mut tasks = Vec::new();
///     for i in 0..3 {
///         let shared = shared.clone();
///         tasks.push(magpie::task::spawn_local(async move {
///             shared.borrow_mut().push(i);
///         }));
///     }
///     for task in tasks {
///         task.await.unwrap();
///     }
/// });
/// assert_eq!(*shared.borrow(), [0, 1, 2]);
/// ```
pub struct LocalSet {
    context: Rc<Context>,
}

/// Makes a set current on this thread until dropped ([`LocalSet::enter`]).
pub struct LocalEnterGuard {
    prev: Option<Rc<Context>>,
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl LocalSet {
    /// The part of the set other threads may hold (for dumps).
    pub(crate) fn shared(&self) -> Arc<LocalShared> {
        self.context.shared.clone()
    }

    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            context: Rc::new(Context {
                shared: Arc::new(LocalShared {
                    remote: Mutex::new(VecDeque::new()),
                    owned: OwnedTasks::new(1),
                    waker: Mutex::new(None),
                    live: AtomicUsize::new(0),
                    closed: AtomicBool::new(false),
                }),
                local: RefCell::new(VecDeque::new()),
                tick: std::cell::Cell::new(0),
            }),
        }
    }

    /// Spawns a task that is not `Send` onto this set. It runs while the set
    /// is awaited; spawning does not need a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let local = magpie::task::LocalSet::new();
    /// let task = local.spawn_local(async { std::rc::Rc::new(5) });
    /// let five = local.block_on(&rt, async { task.await.unwrap() });
    /// assert_eq!(*five, 5);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.context.spawn(future, Location::caller())
    }

    /// Runs `future` on the calling task, running this set's tasks while it
    /// waits; inside, [`spawn_local`](crate::task::spawn_local) spawns onto
    /// this set. Returns the future's output; tasks still running stay in
    /// the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let local = magpie::task::LocalSet::new();
    ///     let value = local
    ///         .run_until(async {
    ///             let not_send = std::rc::Rc::new(21);
    ///             magpie::task::spawn_local(async move { *not_send * 2 }).await.unwrap()
    ///         })
    ///         .await;
    ///     assert_eq!(value, 42);
    /// });
    /// ```
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        poll_fn(|cx| {
            let _enter = self.enter();
            self.context.shared.register(cx.waker());
            if let Poll::Ready(out) = future.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if self.context.tick() {
                // More tasks are queued: come back after the others ran.
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        })
        .await
    }

    /// Runs `future` to completion on `rt`, with this set's tasks running
    /// on the calling thread meanwhile (`rt.block_on(self.run_until(future))`).
    ///
    /// # Panics
    ///
    /// As [`Runtime::block_on`](crate::runtime::Runtime::block_on): when
    /// called from inside a runtime.
    pub fn block_on<F: Future>(&self, rt: &crate::runtime::Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Makes this set the one [`spawn_local`](crate::task::spawn_local)
    /// uses on this thread until the guard drops (its tasks still run only
    /// while the set is awaited).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let local = magpie::task::LocalSet::new();
    /// let task = {
    ///     let _guard = local.enter();
    ///     magpie::task::spawn_local(async { "spawned outside run_until" })
    /// };
    /// assert_eq!(local.block_on(&rt, task).unwrap(), "spawned outside run_until");
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        let prev = CURRENT.with(|c| c.replace(Some(self.context.clone())));
        LocalEnterGuard { prev }
    }
}

impl Future for LocalSet {
    type Output = ();

    /// Runs the set's tasks; ready once none is left.
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let _enter = self.enter();
        self.context.shared.register(cx.waker());
        if self.context.tick() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.context.shared.live.load(SeqCst) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // Entered, so a destructor that calls spawn_local finds the (closed)
        // set and gets a cancelled task instead of a panic.
        let _enter = self.enter();
        let shared = &self.context.shared;
        shared.closed.store(true, SeqCst);
        // On the owner thread (the set is !Send): the futures may be dropped
        // here.
        shared.owned.close_and_shutdown_all();
        let local = std::mem::take(&mut *self.context.local.borrow_mut());
        drop(local);
        shared.drain_remote();
    }
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.context.shared.live.load(SeqCst))
            .finish()
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalEnterGuard")
    }
}

impl Context {
    fn spawn<F>(&self, future: F, spawned_at: &'static Location<'static>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let handle = LocalHandle {
            shared: self.shared.clone(),
        };
        // SAFETY: the task is run only by `tick` and shut down only by the
        // set's destructor (or right here), all on this thread: `Context` is
        // reachable only through the `!Send` `LocalSet` and this thread's
        // CURRENT. An output that is not `Send` has a `!Send` JoinHandle.
        let (owned, notified, join) =
            unsafe { task_core::new_local_task(future, handle, Id::next(), spawned_at) };
        if self.shared.owned.bind(owned) {
            self.shared.live.fetch_add(1, SeqCst);
            self.schedule(notified);
        } else {
            // The set is being dropped: cancel the task here.
            owned.shutdown();
            drop(notified);
        }
        join
    }

    fn schedule(&self, task: LocalTask) {
        match self.local.try_borrow_mut() {
            Ok(mut local) => local.push_back(task),
            Err(_) => self.shared.push_remote(task),
        }
        self.shared.wake_poller();
    }

    /// Runs up to `MAX_TASKS_PER_TICK` tasks; true when more may be queued.
    fn tick(&self) -> bool {
        // One reading per tick: polls are stamped late by at most the
        // tick's earlier polls, and a thread that keeps no fresh clock
        // cache pays for one clock read per tick, not per poll.
        let stamp = task_core::stats::stamp_ns();
        for _ in 0..MAX_TASKS_PER_TICK {
            let tick = self.tick.get().wrapping_add(1);
            self.tick.set(tick);
            let task = if tick.is_multiple_of(REMOTE_INTERVAL) {
                self.shared.pop_remote().or_else(|| self.pop_local())
            } else {
                self.pop_local().or_else(|| self.shared.pop_remote())
            };
            let Some(task) = task else { return false };
            // For dumps of the implicit set (`rt::implicit_local`).
            task.raw().header().stats.record_poll(stamp);
            magpie_coop::budget(|| task.run());
        }
        true
    }

    fn pop_local(&self) -> Option<LocalTask> {
        self.local.borrow_mut().pop_front()
    }
}

impl LocalShared {
    /// The set's live tasks, for dumps of the runtime whose implicit set
    /// this is. Their headers may be read on any thread (atomics and
    /// immutable fields); their futures are never touched there.
    pub(crate) fn owned(&self) -> &OwnedTasks {
        &self.owned
    }

    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock();
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    fn wake_poller(&self) {
        let waker = self.waker.lock().clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn push_remote(&self, task: LocalTask) {
        self.remote.lock().push_back(task);
        if self.closed.load(SeqCst) {
            self.drain_remote();
        }
    }

    fn pop_remote(&self) -> Option<LocalTask> {
        self.remote.lock().pop_front()
    }

    fn drain_remote(&self) {
        let drained = std::mem::take(&mut *self.remote.lock());
        drop(drained);
    }
}

impl Schedule for LocalHandle {
    fn schedule(&self, task: LocalTask) {
        let on_this_set = CURRENT.with(|c| {
            let current = c.borrow();
            match current.as_ref() {
                Some(ctx) if Arc::ptr_eq(&ctx.shared, &self.shared) => {
                    ctx.schedule_local_or_back(task)
                }
                _ => Some(task),
            }
        });
        if let Some(task) = on_this_set {
            self.shared.push_remote(task);
            self.shared.wake_poller();
        }
    }

    fn release(&self, task: RawTask) -> bool {
        let removed = self.shared.owned.remove(task);
        if removed {
            self.shared.live.fetch_sub(1, SeqCst);
        }
        removed
    }
}

impl Context {
    /// Queues `task` locally (and wakes the poller); hands it back when the
    /// local queue is borrowed.
    fn schedule_local_or_back(&self, task: LocalTask) -> Option<LocalTask> {
        let Ok(mut local) = self.local.try_borrow_mut() else {
            return Some(task);
        };
        local.push_back(task);
        drop(local);
        self.shared.wake_poller();
        None
    }
}

/// Spawns `future` onto the `LocalSet` current on this thread.
///
/// # Panics
///
/// Panics when no `LocalSet` is current (see `task::spawn_local`).
#[track_caller]
pub(crate) fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let context = CURRENT.with(|c| c.borrow().clone());
    match context {
        Some(context) => context.spawn(future, Location::caller()),
        None => panic!(
            "`spawn_local` called from outside of a `task::LocalSet` or a current-thread \
             runtime: spawn the future inside `LocalSet::run_until`, `LocalSet::block_on`, \
             a task of the set or `LocalSet::enter`, or on a runtime built with \
             `Builder::new_current_thread`"
        ),
    }
}
