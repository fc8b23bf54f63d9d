//! The `Waker` of a task: the task pointer plus one static vtable. Cloning
//! adds a reference, dropping removes one, waking schedules the task if it
//! was idle (one atomic RMW when it is already queued or running).

use super::raw::{Header, RawTask};
use super::state::Wake;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn raw(data: *const ()) -> RawTask {
    // SAFETY: every waker built with VTABLE carries a non-null live header
    // pointer (it holds a reference, or is borrowed while one is held).
    unsafe { RawTask::from_header(NonNull::new_unchecked(data as *mut Header)) }
}

/// `RawWakerVTable::clone`: adds a reference for the new waker.
///
/// # Safety
/// `data` comes from a waker built with `VTABLE`: a live task header on
/// which the waker holds (or borrows) a reference.
unsafe fn clone(data: *const ()) -> RawWaker {
    raw(data).header().state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

/// `RawWakerVTable::wake`: wakes and consumes the waker's reference.
///
/// # Safety
/// `data` comes from an owned waker built with `VTABLE` (it holds one
/// reference, which this call consumes; the waker is not used again).
unsafe fn wake(data: *const ()) {
    let task = raw(data);
    match task.header().state.transition_to_notified_by_val() {
        // The waker's reference becomes the queued one.
        (Wake::Schedule, _) => task.schedule(),
        (Wake::Nothing, true) => {
            // The waker held the last reference.
            // SAFETY: count reached zero: nobody else can reach the task.
            unsafe { (task.header().vtable.dealloc)(task.header_ptr()) }
        }
        (Wake::Nothing, false) => {}
    }
}

/// `RawWakerVTable::wake_by_ref`: wakes, keeping the waker's reference.
///
/// # Safety
/// `data` comes from a waker built with `VTABLE` that is still alive.
unsafe fn wake_by_ref(data: *const ()) {
    let task = raw(data);
    if task.header().state.transition_to_notified_by_ref() == Wake::Schedule {
        // The transition added the reference `schedule` consumes.
        task.schedule();
    }
}

/// `RawWakerVTable::drop`: gives up the waker's reference.
///
/// # Safety
/// `data` comes from an owned waker built with `VTABLE`, dropped once (a
/// borrowed waker is never dropped: see `borrowed`).
unsafe fn drop_waker(data: *const ()) {
    raw(data).drop_reference();
}

/// A waker that borrows the caller's reference instead of owning one.
///
/// # Safety
/// The caller must keep a reference alive while the waker is in use, and
/// must not drop the returned waker (wrap it in `ManuallyDrop`).
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    // SAFETY: VTABLE's functions uphold the RawWaker contract for task
    // pointers; the caller guarantees the reference.
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)) }
}
