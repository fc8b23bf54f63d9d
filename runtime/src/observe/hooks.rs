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
    #[inline]
    pub(crate) fn has_poll_hooks(&self) -> bool {
        self.on_before_poll.is_some() || self.on_after_poll.is_some()
    }

    // The four below are inlined so that a hook that is not set costs its
    // caller one load and a branch (no call); `call` is the cold path.

    #[inline]
    pub(crate) fn spawned(&self, meta: TaskMeta) {
        if let Some(hook) = &self.on_spawn {
            call(hook, "on_task_spawn", &meta);
        }
    }

    #[inline]
    pub(crate) fn terminated(&self, meta: TaskMeta) {
        if let Some(hook) = &self.on_terminate {
            call(hook, "on_task_terminate", &meta);
        }
    }

    #[inline]
    pub(crate) fn before_poll(&self, meta: &TaskMeta) {
        if let Some(hook) = &self.on_before_poll {
            call(hook, "on_before_task_poll", meta);
        }
    }

    #[inline]
    pub(crate) fn after_poll(&self, meta: &TaskMeta) {
        if let Some(hook) = &self.on_after_poll {
            call(hook, "on_after_task_poll", meta);
        }
    }
}

/// Runs `hook`; a panic in it is caught and reported, never passed on (it
/// would otherwise unwind through the scheduler).
#[cold]
#[inline(never)]
fn call(hook: &TaskHook, name: &str, meta: &TaskMeta) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| hook(meta))) {
        eprintln!(
            "magpie: the {name} hook panicked for task {} (spawned at {}): {}; the runtime goes on",
            meta.id(),
            meta.spawned_at(),
            panic_message(&*panic)
        );
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
