//! magpie-runtime: the multi-threaded work-stealing scheduler, tasks and
//! their handles, the blocking pool, and the runtime that ties them to the
//! timer and the IO reactor.
//!
//! Users depend on the `magpie` facade, which re-exports this crate's
//! `spawn`, `task` and `runtime` modules.

#![deny(missing_docs)]

// The layers, each using only those listed before it:
// `sync` (loom shim), `clock` (sampled time for the counters), `callback`
// (thread callbacks), `task_core` (tasks), `observe` (counters, hooks, the
// stall watchdog, dumps; uses task_core), `driver` (IO + timers),
// `blocking` (the pool; uses task_core), `local_set` (uses task_core),
// `scheduler` and `current_thread` (the two schedulers; each uses task_core
// and driver), `rt` (the runtime; uses all of them). Each module's top comment
// says what it owns and what it may use.
mod blocking;
mod callback;
mod clock;
mod current_thread;
mod driver;
mod local_set;
mod observe;
mod rt;
mod scheduler;
mod sync;
mod task_core;

pub use rt::spawn;

pub mod task {
    //! Tasks: spawned futures, their handles, and the public `magpie::task` API.
    //!
    //! [`spawn`] runs a future as a task on the runtime's workers and
    //! [`spawn_blocking`] runs a closure on the blocking pool; both return a
    //! [`JoinHandle`] that yields the output, or a [`JoinError`] when the task
    //! panicked or was aborted. A [`JoinSet`] collects the results of many tasks
    //! as they complete; [`yield_now`] lets the other tasks of a worker run.
    //! [`LocalSet`] and [`spawn_local`] run futures that are not `Send`.
    //!
    //! ```
    //! # use magpie_runtime as magpie;
    //! let rt = magpie::runtime::Runtime::new().unwrap();
    //! rt.block_on(async {
    //!     let computed = magpie::task::spawn(async { 6 * 7 });
    //!     let read = magpie::task::spawn_blocking(|| "from a blocking thread".len());
    //!     assert_eq!(computed.await.unwrap(), 42);
    //!     assert_eq!(read.await.unwrap(), 22);
    //! });
    //! ```

    pub use crate::local_set::{LocalEnterGuard, LocalSet};
    pub use crate::rt::{spawn, spawn_blocking, spawn_local, JoinSet};
    pub use crate::task_core::{id, try_id, yield_now, AbortHandle, Id, JoinError, JoinHandle};
}

/// Not public API: what the `magpie` facade's own modules need from this
/// crate and do not re-export (`magpie::fs` runs its file writes as
/// mandatory blocking jobs).
#[doc(hidden)]
pub mod internal {
    pub use crate::rt::spawn_mandatory_blocking;
}

pub mod time {
    //! The runtime's part of the paused clock: [`advance`] lets the other
    //! tasks settle before and after the clock moves. The rest of
    //! `magpie::time` is the timer crate's.

    pub use crate::rt::advance;
}

pub mod runtime {
    //! Building, running and shutting down a runtime.
    //!
    //! Seeing inside: [`Handle::metrics`] (counters per runtime and per
    //! worker, the poll-time histogram), task hooks and the stall detector
    //! ([`Builder::on_task_spawn`], [`Builder::stall_threshold`]), and
    //! [`Handle::dump`] (every live task, the longest idle first).

    pub use crate::observe::dump::{Dump, TaskInfo, TaskState};
    pub use crate::observe::histogram::{Histogram, HistogramBucket};
    pub use crate::observe::watchdog::Stall;
    pub use crate::rt::{Builder, EnterGuard, Handle, Runtime, RuntimeMetrics, TryCurrentError};
    pub use crate::task_core::TaskMeta;
}
