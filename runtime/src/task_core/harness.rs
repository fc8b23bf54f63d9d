//! The monomorphised task operations behind the vtable: polling, completion,
//! cancellation, and the join handle's side of the output hand-over.
//!
//! Every function here is entered holding a task reference whose meaning the
//! caller states; the state transitions in `state.rs` decide who owns the
//! future, the output and the join waker at each point.

use super::error::JoinError;
use super::id::IdGuard;
use super::raw::{Cell, Header, RawTask, Stage};
use super::{waker, Notified, Output, Schedule};
use crate::task_core::state::{ToIdle, ToRunning};
use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, Waker};

/// # Safety
/// `ptr` is a live `Cell<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the caller guarantees the type, and holds a reference.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

/// Drops whatever the stage holds, catching a panicking destructor, and
/// leaves it `Consumed`.
///
/// # Safety
/// The caller has exclusive access to the stage.
unsafe fn drop_stage<F: Future>(stage: *mut Stage<F>) -> Result<(), Box<dyn Any + Send>> {
    // SAFETY: exclusive access; after `drop_in_place` (even one that unwound,
    // which still drops every field) the slot is treated as uninitialised and
    // overwritten without dropping.
    unsafe {
        let res = catch_unwind(AssertUnwindSafe(|| ptr::drop_in_place(stage)));
        ptr::write(stage, Stage::Consumed);
        res
    }
}

/// Vtable `run`: consumes a queued reference.
///
/// # Safety
/// `ptr` is the header of a live `Cell<F, S>` (the vtable was built for
/// exactly these types), and the caller gives up one queued reference (the
/// one NOTIFIED accounts for).
pub(super) unsafe fn run<F, S>(ptr: NonNull<Header>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    // SAFETY: the vtable is only installed on `Cell<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Poll => {}
        ToRunning::Cancel => {
            // SAFETY: we set RUNNING, so the future is ours.
            unsafe { cancel_and_complete(cell) };
            return;
        }
        ToRunning::Failed => {
            // SAFETY: ptr is live; we give up our reference.
            unsafe { RawTask::from_header(ptr) }.drop_reference();
            return;
        }
    }

    let _id = IdGuard::enter(cell.header.id);
    // SAFETY: we hold a reference for as long as this borrowed waker lives;
    // ManuallyDrop stops it from giving back a reference it never took.
    let waker = ManuallyDrop::new(unsafe { waker::borrowed(ptr) });
    let mut cx = Context::from_waker(&waker);
    let stage = cell.stage.get();
    let polled = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: RUNNING grants exclusive access to the stage, which holds
        // the future until completion.
        match unsafe { &mut *stage } {
            // SAFETY: the future never moves (the task allocation is never
            // moved, and the stage is only replaced by dropping the future
            // in place), so pinning it is sound.
            Stage::Running(fut) => unsafe { Pin::new_unchecked(fut) }.poll(&mut cx),
            _ => unreachable!("a task was polled after completion"),
        }
    }));

    let output = match polled {
        Ok(Poll::Pending) => {
            match cell.header.state.transition_to_idle() {
                ToIdle::Idle => {
                    // SAFETY: as above, we drop the reference we were given.
                    unsafe { RawTask::from_header(ptr) }.drop_reference();
                }
                ToIdle::Notified => {
                    // SAFETY: NOTIFIED stays set: our reference is the queued one.
                    let task = unsafe { Notified::<S>::from_raw(RawTask::from_header(ptr)) };
                    cell.scheduler.yield_now(task);
                }
                // SAFETY: still RUNNING, so the future is ours.
                ToIdle::Cancel => unsafe { cancel_and_complete(cell) },
            }
            return;
        }
        Ok(Poll::Ready(out)) => {
            // The future's destructor runs before completion is observable.
            // SAFETY: still RUNNING, exclusive access.
            match unsafe { drop_stage(stage) } {
                Ok(()) => Ok(out),
                Err(panic) => Err(JoinError::panic(cell.header.id, panic)),
            }
        }
        Err(panic) => {
            // SAFETY: still RUNNING, exclusive access.
            let _ = unsafe { drop_stage(stage) };
            Err(JoinError::panic(cell.header.id, panic))
        }
    };
    // SAFETY: the stage is Consumed and still ours.
    unsafe {
        ptr::write(stage, Stage::Finished(output));
        complete(cell);
    }
}

/// Drops the future as the result of an abort or shutdown and completes.
///
/// # Safety
/// The caller set RUNNING and holds one reference, which this consumes.
unsafe fn cancel_and_complete<F, S>(cell: &Cell<F, S>)
where
    F: Future,
    S: Schedule,
{
    let id = cell.header.id;
    let _id = IdGuard::enter(id);
    let stage = cell.stage.get();
    // SAFETY: RUNNING grants exclusive access to the stage.
    let output = match unsafe { drop_stage(stage) } {
        Ok(()) => Err(JoinError::cancelled(id)),
        Err(panic) => Err(JoinError::panic(id, panic)),
    };
    // SAFETY: the stage is Consumed and still ours.
    unsafe {
        ptr::write(stage, Stage::Finished(output));
        complete(cell);
    }
}

/// Publishes the stored output and gives up the running reference.
///
/// # Safety
/// The caller set RUNNING, stored `Stage::Finished`, and holds one reference.
unsafe fn complete<F, S>(cell: &Cell<F, S>)
where
    F: Future,
    S: Schedule,
{
    let ptr = NonNull::from(&cell.header);
    let prev = cell.header.state.transition_to_complete();
    // Leave the owner's list before waking the joiner: whoever the output
    // wakes sees the task gone from the runtime (metrics, dumps, the
    // terminate hook has run).
    // SAFETY: ptr is live (we hold a reference).
    let raw = unsafe { RawTask::from_header(ptr) };
    let released = cell.scheduler.release(raw);
    if !prev.is_join_interested() {
        // Nobody will read the output: drop it here; a panicking destructor
        // must not escape into the worker.
        // SAFETY: without join interest nobody else touches the stage.
        let _ = unsafe { drop_stage(cell.stage.get()) };
    } else if prev.is_join_waker_set() {
        // SAFETY: JOIN_WAKER set and COMPLETE: the handle does not touch the
        // slot until we clear JOIN_WAKER below, so a shared read is sound.
        if let Some(w) = unsafe { &*cell.join_waker.get() } {
            w.wake_by_ref();
        }
        if !cell.header.state.unset_join_waker_after_complete() {
            // The handle went away meanwhile: the waker is ours to drop.
            // SAFETY: without join interest nobody else touches the slot.
            drop(unsafe { (*cell.join_waker.get()).take() });
        }
    }
    let refs = 1 + usize::from(released);
    if cell.header.state.ref_dec(refs) {
        // SAFETY: those were the last references.
        unsafe { (cell.header.vtable.dealloc)(ptr) };
    }
}

/// Vtable `schedule`: consumes a reference that becomes the queued one.
///
/// # Safety
/// `ptr` is the header of a live `Cell<F, S>`, NOTIFIED was just set for
/// this call, and the caller gives up one reference to the queue.
pub(super) unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future,
    S: Schedule,
{
    // SAFETY: the vtable matches; the caller transitioned to NOTIFIED and
    // gives us the reference the `Notified` owns.
    unsafe {
        let cell = cell::<F, S>(ptr);
        cell.scheduler
            .schedule(Notified::from_raw(RawTask::from_header(ptr)));
    }
}

/// Vtable `dealloc`: frees the allocation.
///
/// # Safety
/// `ptr` is the header of a `Cell<F, S>` allocated by `Cell::allocate`,
/// whose reference count just reached zero: nothing can reach it any more,
/// and it is freed exactly once.
pub(super) unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the reference count reached zero, so this is the only access;
    // the allocation was made by `Box<Cell<F, S>>`. Dropping a leftover
    // output must not unwind into whichever thread dropped the last
    // reference.
    let cell = unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(cell)));
}

/// Vtable `try_read_output`: `dst` is a `*mut Poll<Output<F::Output>>`.
///
/// # Safety
/// `ptr` is the header of a live `Cell<F, S>`; the caller is its
/// `JoinHandle` (the only reader of the output and owner of the join waker
/// slot while JOIN_WAKER is clear), and `dst` is valid for writes of a
/// `Poll<Output<F::Output>>`.
pub(super) unsafe fn try_read_output<F: Future, S>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: the vtable matches; the JoinHandle holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: we are the JoinHandle, the only user of this side of the slot.
    if unsafe { can_read_output(cell, waker) } {
        // SAFETY: COMPLETE observed with Acquire: the stage holds the output
        // and only the JoinHandle reads it.
        let out = unsafe { ptr::replace(cell.stage.get(), Stage::Consumed) };
        let Stage::Finished(out) = out else {
            panic!("JoinHandle polled after it returned Ready");
        };
        // SAFETY: the JoinHandle passes a pointer of exactly this type.
        unsafe { *dst.cast::<Poll<Output<F::Output>>>() = Poll::Ready(out) };
    }
}

/// True when the task is complete; otherwise makes sure `waker` is stored to
/// be woken on completion.
///
/// # Safety
/// Called only by the task's `JoinHandle`.
unsafe fn can_read_output<F: Future, S>(cell: &Cell<F, S>, waker: &Waker) -> bool {
    let state = &cell.header.state;
    let snapshot = state.load();
    if snapshot.is_complete() {
        return true;
    }
    if snapshot.is_join_waker_set() {
        // SAFETY: JOIN_WAKER set and not COMPLETE: the completer only reads
        // the slot, so a shared read here is sound.
        let same = unsafe { &*cell.join_waker.get() }
            .as_ref()
            .is_some_and(|w| w.will_wake(waker));
        if same {
            return false;
        }
        if state.unset_join_waker().is_err() {
            return true; // completed meanwhile
        }
    }
    // SAFETY: JOIN_WAKER is clear: the slot is the handle's alone.
    unsafe { *cell.join_waker.get() = Some(waker.clone()) };
    if state.set_join_waker().is_err() {
        // Completed before we published the waker: it will never be read.
        // SAFETY: JOIN_WAKER still clear: still ours.
        drop(unsafe { (*cell.join_waker.get()).take() });
        return true;
    }
    false
}

/// Vtable `drop_join_handle`: consumes the handle's reference.
///
/// # Safety
/// `ptr` is the header of a live `Cell<F, S>`, the caller is its
/// `JoinHandle` being dropped (JOIN_INTEREST is set and cleared here, once),
/// and it gives up the handle's reference.
pub(super) unsafe fn drop_join_handle<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the vtable matches; the handle holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    let prev = cell.header.state.drop_join_interest();
    if prev.is_complete() {
        // The output was left for us: drop it (a panicking destructor is
        // contained, like everywhere else an output is dropped).
        // SAFETY: COMPLETE observed: only the join side touches the stage.
        let _ = unsafe { drop_stage(cell.stage.get()) };
    } else if prev.is_join_waker_set() {
        // We cleared JOIN_WAKER before completion: the slot is ours.
        // SAFETY: see above.
        drop(unsafe { (*cell.join_waker.get()).take() });
    }
    // SAFETY: ptr is live; we give up the handle's reference.
    unsafe { RawTask::from_header(ptr) }.drop_reference();
}

/// Vtable `shutdown`: consumes one reference; drops the future if the task
/// is idle or queued, otherwise leaves CANCELLED for its poller.
///
/// # Safety
/// `ptr` is the header of a live `Cell<F, S>`, and the caller gives up one
/// reference (the owned-task list's, or a queued one at spawn after close).
pub(super) unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future,
    S: Schedule,
{
    // SAFETY: the vtable matches; the caller holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // SAFETY: we set RUNNING; our reference is consumed by completion.
        unsafe { cancel_and_complete(cell) };
    } else {
        // SAFETY: ptr is live; we give up our reference.
        unsafe { RawTask::from_header(ptr) }.drop_reference();
    }
}
