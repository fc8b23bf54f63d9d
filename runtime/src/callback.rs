//! The user callbacks the runtime runs on the threads it starts
//! (`Builder::on_thread_start` / `on_thread_stop`).
//!
//! A leaf: uses nothing of the crate; the blocking pool and the scheduler
//! each keep the ones for their threads.

use std::sync::Arc;

/// One user callback, shared by every thread that runs it.
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// What runs when a thread starts and when it stops.
#[derive(Clone, Default)]
pub(crate) struct ThreadCallbacks {
    pub(crate) on_start: Option<Callback>,
    pub(crate) on_stop: Option<Callback>,
}

impl ThreadCallbacks {
    /// Runs the start callback, if any.
    pub(crate) fn started(&self) {
        if let Some(f) = &self.on_start {
            f();
        }
    }

    /// Runs the stop callback, if any.
    pub(crate) fn stopped(&self) {
        if let Some(f) = &self.on_stop {
            f();
        }
    }
}
