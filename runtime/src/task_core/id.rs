//! Task identifiers: unique among all tasks of the process for its lifetime,
//! and the `task::id()` / `task::try_id()` accessors for the running task.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque identifier of a task, unique among the tasks of this process.
///
/// Ids are never reused, and can be compared and hashed. A task's id is
/// known to its [`JoinHandle::id`](super::JoinHandle::id),
/// [`AbortHandle::id`](super::AbortHandle::id) and
/// [`JoinError::id`](super::JoinError::id), and to the task itself through
/// [`id()`] and [`try_id()`].
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let task = magpie::spawn(async { magpie::task::id() });
///     let id = task.id();
///     assert_eq!(task.await.unwrap(), id);
///     let other = magpie::spawn(async {});
///     assert_ne!(other.id(), id);
/// });
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        // Ids are handed out in blocks per thread so that spawning from
        // several workers does not bounce one global counter's cache line.
        const BLOCK: u64 = 1024;
        // Relaxed: only uniqueness matters, which the RMW alone guarantees.
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        RANGE.with(|range| {
            let (mut next, mut end) = range.get();
            if next == end {
                next = NEXT_BLOCK.fetch_add(BLOCK, Relaxed);
                end = next + BLOCK;
            }
            range.set((next + 1, end));
            Id(NonZeroU64::new(next).expect("task id counter overflowed"))
        })
    }

    pub(crate) fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// The id whose `as_u64` is `v`; `None` for 0, which no task has.
    pub(crate) fn from_u64(v: u64) -> Option<Id> {
        NonZeroU64::new(v).map(Id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

thread_local! {
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

/// Sets the current task id for the duration of a poll or drop.
pub(crate) struct IdGuard(Option<Id>);

impl IdGuard {
    pub(crate) fn enter(id: Id) -> IdGuard {
        IdGuard(CURRENT.with(|c| c.replace(Some(id))))
    }
}

impl Drop for IdGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

/// Returns the [`Id`] of the task currently running on this thread.
///
/// # Panics
///
/// Panics when called from outside a task (for example from `block_on`'s
/// future or from a plain thread). Use [`try_id`] to get an `Option`.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// let id = rt.block_on(async {
///     magpie::spawn(async { magpie::task::id() }).await.unwrap()
/// });
/// println!("the task was {id}");
/// ```
pub fn id() -> Id {
    try_id().expect("magpie::task::id() called outside of a task")
}

/// Returns the [`Id`] of the task currently running on this thread, or
/// `None` outside a task.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use magpie::task::try_id;
///
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     assert_eq!(try_id(), None); // `block_on`'s future is not a task
///     let in_task = magpie::spawn(async { try_id() }).await.unwrap();
///     assert!(in_task.is_some());
/// });
/// ```
pub fn try_id() -> Option<Id> {
    CURRENT.with(|c| c.get())
}
