//! The blocking pool: `spawn_blocking` runs closures on threads that are not
//! workers, so blocking calls do not stall async tasks.
//!
//! Uses the task layer (`task_core`) for the closures' tasks and join
//! handles; knows nothing of the runtime, which hands it the callbacks to
//! run on its threads (`PoolConfig`, `EnterRuntime`).

mod pool;
mod task;

pub(crate) use pool::{BlockingPool, BlockingSpawner, Mandatory, PoolConfig};

use std::any::Any;

/// Run first on a new pool thread: makes the thread part of its runtime (so
/// a blocking closure can spawn) until the returned guard drops, when the
/// thread exits.
pub(crate) type EnterRuntime = Box<dyn FnOnce() -> Box<dyn Any> + Send>;
