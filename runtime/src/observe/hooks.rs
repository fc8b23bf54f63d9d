//! Task hooks: the user's callbacks for spawns, completions and polls
//! (`Builder::on_task_spawn` and friends), and how they are called: each
//! behind a `catch_unwind`, so a panicking hook is reported on stderr and
//! the runtime goes on.
//!
//! Set once at build time, read-only afterwards.

use crate::task_core::TaskMeta;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A task hook as the builder stores it.
pub(crate) type TaskHook = Arc<dyn Fn(&TaskMeta) + Send + Sync + 'static>;

/// The four task hooks of one runtime; `None` where the user set none.
#[derive(Clone, Default)]
pub(crate) struct TaskHooks {
    pub(crate) on_spawn: Option<TaskHook>,
    pub(crate) on_terminate: Option<TaskHook>,
    pub(crate) on_before_poll: Option<TaskHook>,
    pub(crate) on_after_poll: Option<TaskHook>,
}

impl TaskHooks {
    /// True when a poll hook is set: the poll loop checks this once per
    /// poll and skips building a `TaskMeta` otherwise.
    pub(crate) fn has_poll_hooks(&self) -> bool {
        self.on_before_poll.is_some() || self.on_after_poll.is_some()
    }

    pub(crate) fn spawned(&self, meta: TaskMeta) {
        call(&self.on_spawn, "on_task_spawn", &meta);
    }

    pub(crate) fn terminated(&self, meta: TaskMeta) {
        call(&self.on_terminate, "on_task_terminate", &meta);
    }

    pub(crate) fn before_poll(&self, meta: &TaskMeta) {
        call(&self.on_before_poll, "on_before_task_poll", meta);
    }

    pub(crate) fn after_poll(&self, meta: &TaskMeta) {
        call(&self.on_after_poll, "on_after_task_poll", meta);
    }
}

/// Runs `hook` if set; a panic in it is caught and reported, never passed
/// on (it would otherwise unwind through the scheduler).
fn call(hook: &Option<TaskHook>, name: &str, meta: &TaskMeta) {
    if let Some(hook) = hook {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| hook(meta))) {
            eprintln!(
                "magpie: the {name} hook panicked for task {} (spawned at {}): {}; the runtime goes on",
                meta.id(),
                meta.spawned_at(),
                panic_message(&*panic)
            );
        }
    }
}

/// The message of a panic payload, as the default panic hook prints it.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}
