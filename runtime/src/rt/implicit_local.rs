//! The `LocalSet` a current-thread runtime gives to `spawn_local`: created
//! for the first thread that runs `block_on` on the runtime, entered (and
//! its tasks run) by every `block_on` on that thread, so `spawn_local` works
//! anywhere on a current-thread runtime, as the API promises, and local
//! tasks left over run at the next `block_on` there.
//!
//! The set is not `Send` (its tasks need not be), yet the runtime handle
//! that holds it is: the set is touched only on its owner thread, checked
//! by `ThreadId` at every access. The runtime drops it at shutdown when
//! shut down on that thread (its tasks' futures are dropped there); from
//! any other thread it is leaked instead, never touched.
//!
//! Uses `local_set`.

use crate::local_set::{LocalSet, LocalShared};
use parking_lot::Mutex;
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::{self, ThreadId};

/// The implicit set of one current-thread runtime. `slot` is written by
/// the first `block_on` (creation) and by shutdown (removal), read by
/// every `block_on`; the set inside is used only on `owner`.
#[derive(Default)]
pub(crate) struct ImplicitLocal {
    slot: Mutex<Option<Owned>>,
}

struct Owned {
    owner: ThreadId,
    set: ManuallyDrop<Rc<LocalSet>>,
    /// The set's thread-safe part, so `Handle::dump` (on any thread) can
    /// list its tasks.
    shared: Arc<LocalShared>,
}

// SAFETY: `set` (an `Rc`, whose count is not atomic, over tasks that need
// not be `Send`) is cloned only in `for_this_thread` and dropped only in
// `shutdown_on_this_thread`, both after checking that the calling thread is
// `owner`; anywhere else an `Owned` is only moved or dropped, and dropping
// it leaves the `ManuallyDrop` untouched, so the `Rc` and what it holds are
// only ever touched on `owner`.
unsafe impl Send for Owned {}

impl ImplicitLocal {
    /// The set for the calling thread (created on first use), or `None`
    /// when it belongs to another thread.
    pub(crate) fn for_this_thread(&self) -> Option<Rc<LocalSet>> {
        let me = thread::current().id();
        let mut slot = self.slot.lock();
        match &*slot {
            Some(owned) if owned.owner == me => Some(Rc::clone(&owned.set)),
            Some(_) => None,
            None => {
                let set = Rc::new(LocalSet::new());
                *slot = Some(Owned {
                    owner: me,
                    shared: set.shared(),
                    set: ManuallyDrop::new(Rc::clone(&set)),
                });
                Some(set)
            }
        }
    }

    /// The set's thread-safe part, if the set exists: its task list, for
    /// dumps on any thread.
    pub(crate) fn shared(&self) -> Option<Arc<LocalShared>> {
        self.slot.lock().as_ref().map(|owned| owned.shared.clone())
    }

    /// Runtime shutdown: drops the set (and its tasks' futures) when called
    /// on its owner thread; leaks it otherwise.
    pub(crate) fn shutdown_on_this_thread(&self) {
        let owned = self.slot.lock().take();
        if let Some(owned) = owned {
            if owned.owner == thread::current().id() {
                drop(ManuallyDrop::into_inner(owned.set));
            }
            // Otherwise dropping `owned` leaves the `ManuallyDrop` set
            // untouched: another thread's tasks are leaked, not dropped here.
        }
    }
}

impl Drop for ImplicitLocal {
    fn drop(&mut self) {
        // The handle may go on any thread: drop only on the owner.
        self.shutdown_on_this_thread();
    }
}
