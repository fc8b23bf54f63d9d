//! [`Barrier`]: lets `n` tasks wait until all of them have arrived.
//!
//! It owns the arrival count of the current generation; the waiting is
//! [`Notify`](crate::Notify)'s (`notify_waiters` releases one generation). It uses
//! `crate::loom` for its lock.

use std::fmt;

use crate::loom::Mutex;
use crate::Notify;

/// A barrier: `n` tasks call [`wait`](Barrier::wait), and all of them continue once
/// the `n`-th has arrived. Exactly one of each group of `n` is the *leader*
/// ([`BarrierWaitResult::is_leader`]). The barrier then starts over for the next `n`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use magpie::sync::Barrier;
///
/// #[magpie::main]
/// async fn main() {
///     let barrier = Arc::new(Barrier::new(10));
///     let mut handles = Vec::new();
///     for _ in 0..10 {
///         let barrier = barrier.clone();
///         handles.push(magpie::spawn(async move { barrier.wait().await.is_leader() }));
///     }
///     let mut leaders = 0;
///     for handle in handles {
///         leaders += handle.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1);
/// }
/// ```
pub struct Barrier {
    /// The number of tasks that make up a group.
    n: usize,
    /// Shared state: arrivals of the current generation; read and written under the
    /// lock by every task that calls `wait`.
    arrived: Mutex<usize>,
    /// Wakes a finished generation (`notify_waiters`).
    release: Notify,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl Barrier {
    /// Creates a barrier for groups of `n` tasks.
    ///
    /// # Panics
    ///
    /// If `n` is 0: a barrier nobody can pass is a bug (tokio treats 0 as 1; magpie
    /// panics instead, as its API contract asks).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Barrier;
    ///
    /// let barrier = Barrier::new(3);
    /// ```
    pub fn new(n: usize) -> Barrier {
        assert!(
            n > 0,
            "a Barrier must be created for at least one task (n was 0)"
        );
        Barrier {
            n,
            arrived: Mutex::new(0),
            release: Notify::new(),
        }
    }

    /// Waits until `n` tasks (this one included) have called `wait` in this
    /// generation. The last one to arrive is the leader and does not wait.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe, as in tokio: a task counts as arrived from the first poll, and
    /// dropping the future does not take it back, so its group may be released one
    /// task short.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Barrier;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let barrier = Barrier::new(1);
    ///     assert!(barrier.wait().await.is_leader());
    /// }
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let released = {
            let mut arrived = self.arrived.lock();
            *arrived += 1;
            if *arrived == self.n {
                *arrived = 0;
                // Under the lock, so a task of the next generation (which registers
                // under the lock too) is never woken by it.
                self.release.notify_waiters();
                return BarrierWaitResult(true);
            }
            // Made under the lock, before the leader's `notify_waiters`: that call
            // completes it even if it is first polled afterwards.
            self.release.notified()
        };
        released.await;
        BarrierWaitResult(false)
    }
}

/// What [`Barrier::wait`] returns: whether this task was the group's leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the leader of its group (exactly one per group is).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}
