//! `LifoSlot`: the one task a worker runs next (the task the running one
//! just woke), which other workers may take while the worker is stalled.
//!
//! Shared state: the owner puts and takes; a thief takes only from a worker
//! the stall watchdog marked stalled. One atomic pointer holds the task's
//! queued reference (null when empty). The owner fills an empty slot with a
//! plain store (only the owner ever makes it non-empty, so it stays empty
//! until that store) and every take is a swap, so a task is taken once.

use super::Task;
use crate::sync::AtomicPtr;
use crate::task_core::raw::Header;
use crate::task_core::{Notified, RawTask};
use std::ptr::{self, NonNull};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// Cache-line aligned: the owner writes it on most wakes and spawns, and
/// sharing a line with what other workers read or write (the stealer, the
/// parker) made every such write a cache miss for them and for us
/// (ping_pong 1.46x, spawn_many_local 2.6x slower, measured).
#[repr(align(128))]
pub(crate) struct LifoSlot {
    task: AtomicPtr<Header>,
}

impl LifoSlot {
    pub(crate) fn new() -> LifoSlot {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Owner: puts `task` in the slot; returns the task it displaces.
    #[inline]
    pub(crate) fn replace(&self, task: Task) -> Option<Task> {
        let new = task.into_raw().header_ptr().as_ptr();
        // Relaxed: only the owner makes the slot non-empty, so an empty slot
        // seen here stays empty until our store.
        if self.task.load(Relaxed).is_null() {
            // Release: a thief that takes the task sees it fully queued.
            self.task.store(new, Release);
            return None;
        }
        // AcqRel: acquire the displaced task, release the new one.
        from_ptr(self.task.swap(new, AcqRel))
    }

    /// Owner or thief: takes the task in the slot.
    #[inline]
    pub(crate) fn take(&self) -> Option<Task> {
        // Relaxed: an empty slot is the common case and needs no ordering;
        // a non-empty one is taken with the swap below.
        if self.task.load(Relaxed).is_null() {
            return None;
        }
        // Acquire: pairs with the release that put the task there.
        from_ptr(self.task.swap(ptr::null_mut(), Acquire))
    }

    /// True when a task sits in the slot (a hint: it may be taken at once).
    pub(crate) fn is_occupied(&self) -> bool {
        // Relaxed: a hint for the idle and stall checks, which re-check.
        !self.task.load(Relaxed).is_null()
    }
}

fn from_ptr(ptr: *mut Header) -> Option<Task> {
    let ptr = NonNull::new(ptr)?;
    // SAFETY: the slot only holds pointers from `Notified::into_raw` of this
    // scheduler's tasks, each a queued reference that the swap just handed
    // to us alone.
    Some(unsafe { Notified::from_raw(RawTask::from_header(ptr)) })
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}
