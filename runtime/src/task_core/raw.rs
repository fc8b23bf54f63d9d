//! The task allocation and its type-erased operations.
//!
//! One heap allocation per task, laid out `#[repr(C)]`:
//!
//! | field        | who may touch it                                                |
//! |--------------|-----------------------------------------------------------------|
//! | `Header`     | anyone with a reference (state word is atomic; `owned` is guarded by the owned-task list's shard lock) |
//! | `scheduler`  | read-only after creation                                        |
//! | `stage`      | the thread that set RUNNING (future), then the `JoinHandle` once COMPLETE is observed (output) |
//! | `join_waker` | the `JoinHandle` while JOIN_WAKER is clear; the completer while it is set and COMPLETE |
//!
//! `RawTask` is a pointer to the header plus the vtable that knows the real
//! `Cell<F, S>` type; wakers, join handles and queues hold only that.

use super::harness;
use super::list::Pointers;
use super::state::State;
use super::stats::{TaskMeta, TaskStats};
use super::{Id, Schedule};
use std::cell::UnsafeCell;
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

/// The start of every task allocation: 56 bytes on 64-bit targets. Keep it
/// there: a task of a small future then stays within glibc malloc's
/// lock-free fastbin sizes, and 24 more bytes made spawning 1.75x slower on
/// malloc's arena lock when tasks are freed on another worker (measured on
/// `spawn_many_local`).
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Where the task was spawned (`#[track_caller]` on every spawn path).
    pub(crate) spawned_at: &'static Location<'static>,
    /// Poll count and time, for dumps.
    pub(crate) stats: TaskStats,
    /// Links in the owned-task list. Guarded by that list's shard lock.
    pub(crate) owned: UnsafeCell<Pointers>,
}

/// Operations that need the concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Consumes one reference (a queued `Notified`): poll or cancel the task.
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Consumes one reference: hand the task to its scheduler as `Notified`.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; called when the reference count reaches zero.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// `JoinHandle::poll`: writes `Poll<Result<T, JoinError>>` to the pointer.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// `JoinHandle::drop`: consumes the handle's reference.
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: consumes one reference; cancels the task if idle.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

/// The future while it runs, then its output until the `JoinHandle` takes it.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(super::Output<F::Output>),
    Consumed,
}

/// The whole task allocation.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

// No `Send` bound here: local tasks (`new_local_task`) hold futures that
// are not `Send`, and their spawner guarantees they are polled and dropped
// on one thread only. `new_task` adds the bounds for every other task.
impl<F, S> Cell<F, S>
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    const VTABLE: Vtable = Vtable {
        run: harness::run::<F, S>,
        schedule: harness::schedule::<F, S>,
        dealloc: harness::dealloc::<F, S>,
        try_read_output: harness::try_read_output::<F, S>,
        drop_join_handle: harness::drop_join_handle::<F, S>,
        shutdown: harness::shutdown::<F, S>,
    };

    /// Allocates a task holding `refs` references, queued once, spawned at
    /// `spawned_at`.
    pub(crate) fn allocate(
        future: F,
        scheduler: S,
        id: Id,
        spawned_at: &'static Location<'static>,
        refs: usize,
    ) -> RawTask {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(refs),
                vtable: &Self::VTABLE,
                id,
                spawned_at,
                stats: TaskStats::new(),
                owned: UnsafeCell::new(Pointers::default()),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
            join_waker: UnsafeCell::new(None),
        });
        // `Cell` is repr(C) with the header first, so the cell pointer is
        // also a valid header pointer.
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }
}

/// A type-erased pointer to a task. Copying it does not count a reference:
/// the owner of a `RawTask` must know which reference it stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a RawTask is only a pointer; every access through it goes through
// the atomic state word or is granted exclusively by it, and the task's
// future and output are Send, except for local tasks, whose spawner
// guarantees that they are run, shut down and have their output taken only
// on their own thread (see `new_local_task`); other threads then only touch
// the state word, the scheduler handle (Send + Sync) and the join waker.
unsafe impl Send for RawTask {}
// SAFETY: as above; shared access only reads the atomic header.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// # Safety
    /// `ptr` must point to a live task header.
    pub(crate) unsafe fn from_header(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: whoever holds a RawTask holds (or borrows) a reference, so
        // the allocation is alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id
    }

    /// The task's id and spawn location, for hooks.
    pub(crate) fn meta(&self) -> TaskMeta {
        let header = self.header();
        TaskMeta::new(header.id, header.spawned_at)
    }

    /// Consumes one reference.
    pub(crate) fn run(self) {
        // SAFETY: the caller gives up the reference it holds; the vtable
        // matches the allocation's real type.
        unsafe { (self.header().vtable.run)(self.ptr) }
    }

    /// Consumes one reference.
    pub(crate) fn shutdown(self) {
        // SAFETY: as for `run`.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// Consumes one reference.
    pub(crate) fn schedule(self) {
        // SAFETY: as for `run`.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    /// Consumes one reference, freeing the task if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.header().state.ref_dec(1) {
            // SAFETY: that was the last reference; nobody can reach the task.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }

    /// Aborts the task (from a `JoinHandle` or `AbortHandle`).
    pub(crate) fn remote_abort(self) {
        if self.header().state.transition_to_aborted() == super::state::Wake::Schedule {
            // The transition added the reference `schedule` consumes.
            self.schedule();
        }
    }
}

#[cfg(all(test, target_pointer_width = "64", not(loom)))]
mod tests {
    #[test]
    fn the_header_stays_56_bytes() {
        assert_eq!(std::mem::size_of::<super::Header>(), 56);
    }
}
