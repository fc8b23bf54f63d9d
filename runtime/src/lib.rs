//! magpie-runtime: the multi-threaded work-stealing scheduler, tasks and
//! their handles, the blocking pool, and the runtime that ties them to the
//! timer and the IO reactor.
//!
//! Users depend on the `magpie` facade, which re-exports this crate's
//! `spawn`, `task` and `runtime` modules.

#![deny(missing_docs)]

mod blocking;
mod rt;
mod scheduler;
mod sync;
pub mod task;

pub use rt::spawn;

/// Building, running and shutting down a runtime.
pub mod runtime {
    pub use crate::rt::{Builder, EnterGuard, Handle, Runtime, TryCurrentError};
}
