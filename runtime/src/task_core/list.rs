//! `OwnedTasks`: every live task of a runtime, so that shutdown can drop each
//! pending future even if nothing will ever wake it again.
//!
//! An intrusive doubly linked list threaded through the task headers,
//! sharded by task id so that spawns and completions on different workers
//! rarely take the same lock. Each shard's lock guards the `owned` pointers
//! of the tasks in it; a task is in the shard `id % shards`.
//! Writers: `bind` (spawn), `remove` (completion), `close_and_shutdown_all`
//! (runtime shutdown). Nobody reads the links without the shard lock; dumps
//! walk a shard's list under its lock (`for_each`).
//!
//! Each shard also counts the tasks bound to it and removed from it, for the
//! runtime's metrics: written under the shard lock, read without it (a
//! Release store of `removed` and an Acquire load of it keep a reader from
//! ever seeing more removals than binds in a shard, see `alive_count`).

use super::raw::{Header, RawTask};
use parking_lot::Mutex;
use std::ptr::NonNull;
use std::sync::atomic::{
    AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};

/// The links of one task in its shard's list.
#[derive(Default)]
pub(crate) struct Pointers {
    prev: Option<NonNull<Header>>,
    next: Option<NonNull<Header>>,
}

struct Shard {
    head: Option<NonNull<Header>>,
    closed: bool,
}

// SAFETY: the raw pointers are only followed under the shard's mutex, and
// tasks are Send.
unsafe impl Send for Shard {}

struct ShardSlot {
    list: Mutex<Shard>,
    /// Tasks ever bound, and ever unlinked. Written only under `list`'s lock
    /// (so a load-and-store counts); read by metrics without it. `bound` is
    /// Relaxed: `spawned_count` publishes nothing through it. `removed` is
    /// stored Release and loaded Acquire (see `alive_count`).
    bound: AtomicU64,
    removed: AtomicU64,
}

pub(crate) struct OwnedTasks {
    shards: Box<[ShardSlot]>,
    mask: u64,
}

impl OwnedTasks {
    pub(crate) fn new(workers: usize) -> OwnedTasks {
        let n = (workers * 4).next_power_of_two().max(4);
        OwnedTasks {
            shards: (0..n)
                .map(|_| ShardSlot {
                    list: Mutex::new(Shard {
                        head: None,
                        closed: false,
                    }),
                    bound: AtomicU64::new(0),
                    removed: AtomicU64::new(0),
                })
                .collect(),
            mask: n as u64 - 1,
        }
    }

    fn shard(&self, task: RawTask) -> &ShardSlot {
        &self.shards[(task.id().as_u64() & self.mask) as usize]
    }

    /// Tasks ever bound (spawned onto the runtime).
    pub(crate) fn spawned_count(&self) -> u64 {
        self.shards.iter().map(|s| s.bound.load(Relaxed)).sum()
    }

    /// Tasks bound and not yet unlinked. Read shard by shard without locks,
    /// so only exact while nothing spawns or completes.
    pub(crate) fn alive_count(&self) -> usize {
        let alive: u64 = self
            .shards
            .iter()
            .map(|s| {
                // In a shard, the store that made `removed` n came after (in
                // the shard lock's order) the stores that made `bound` n or
                // more: each removal unlinks a task bound before it.
                // Acquire: pairs with that Release store, so the binds it
                // follows happen before the `bound` load below.
                let removed = s.removed.load(Acquire);
                // Relaxed: ordered after the Acquire load above, and
                // coherence then gives a value at least that new.
                let bound = s.bound.load(Relaxed);
                debug_assert!(bound >= removed, "{removed} removals of {bound} tasks");
                bound - removed
            })
            .sum();
        alive as usize
    }

    /// Calls `f` with the header of every task in the list, one shard at a
    /// time under its lock (so `f` must not spawn or complete tasks).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header)) {
        for slot in self.shards.iter() {
            let shard = slot.list.lock();
            let mut next = shard.head;
            while let Some(ptr) = next {
                // SAFETY: the shard lock is held, so every task linked in it
                // is alive (the list holds a reference) and its links are
                // stable.
                unsafe {
                    f(ptr.as_ref());
                    next = (*ptr.as_ref().owned.get()).next;
                }
            }
        }
    }

    /// Takes ownership of one reference of `task`. Returns false (and keeps
    /// nothing) when the list is closed: the caller must shut the task down.
    pub(crate) fn bind(&self, task: RawTask) -> bool {
        let slot = self.shard(task);
        let mut shard = slot.list.lock();
        if shard.closed {
            return false;
        }
        slot.bound.store(slot.bound.load(Relaxed) + 1, Relaxed);
        let ptr = task.header_ptr();
        // SAFETY: we hold the shard lock, which guards the links of every
        // task in this shard, including the new one and the current head.
        unsafe {
            let links = &mut *task.header().owned.get();
            debug_assert!(links.prev.is_none() && links.next.is_none() && shard.head != Some(ptr));
            links.prev = None;
            links.next = shard.head;
            if let Some(head) = shard.head {
                (*head.as_ref().owned.get()).prev = Some(ptr);
            }
        }
        shard.head = Some(ptr);
        true
    }

    /// Unlinks `task` if it is still in the list; true when it was, in which
    /// case the list's reference now belongs to the caller.
    pub(crate) fn remove(&self, task: RawTask) -> bool {
        let slot = self.shard(task);
        let mut shard = slot.list.lock();
        // SAFETY: shard lock held; see `bind`.
        let unlinked = unsafe { unlink(&mut shard, task.header_ptr()) };
        if unlinked {
            // Release: publishes the bind of this task (and every earlier
            // store under the lock) to `alive_count`'s Acquire load.
            slot.removed.store(slot.removed.load(Relaxed) + 1, Release);
        }
        unlinked
    }

    /// Closes the list (later `bind`s fail) and shuts down every task in it.
    pub(crate) fn close_and_shutdown_all(&self) {
        for slot in self.shards.iter() {
            loop {
                let task = {
                    let mut shard = slot.list.lock();
                    shard.closed = true;
                    match shard.head {
                        // SAFETY: shard lock held; the head is in this shard.
                        Some(head) => unsafe {
                            unlink(&mut shard, head);
                            // Release: as in `remove`.
                            slot.removed.store(slot.removed.load(Relaxed) + 1, Release);
                            RawTask::from_header(head)
                        },
                        None => break,
                    }
                };
                // Outside the lock: dropping a future may spawn or complete
                // other tasks, which take shard locks.
                task.shutdown();
            }
        }
    }
}

/// # Safety
/// The caller holds the lock of the shard `task` belongs to.
unsafe fn unlink(shard: &mut Shard, task: NonNull<Header>) -> bool {
    // SAFETY: guaranteed by the caller: the links of this shard's tasks are
    // ours while the lock is held, and linked tasks are alive (the list
    // holds a reference).
    unsafe {
        let links = &mut *task.as_ref().owned.get();
        // Linked means: somebody's successor, or the head. (No flag of its
        // own: 8 more bytes per task pushed common tasks out of malloc's
        // lock-free fastbin sizes, see `raw::Header`.)
        if links.prev.is_none() && shard.head != Some(task) {
            return false;
        }
        match links.prev {
            Some(prev) => (*prev.as_ref().owned.get()).next = links.next,
            None => shard.head = links.next,
        }
        if let Some(next) = links.next {
            (*next.as_ref().owned.get()).prev = links.prev;
        }
        *links = Pointers::default();
        true
    }
}
