//! The task state word: lifecycle flags and the reference count packed into
//! one `AtomicUsize`, so a wake is a single read-modify-write in the common
//! case. Every transition the task harness, wakers and handles perform lives
//! here, each one a single CAS loop or RMW, so the protocol can be read (and
//! model-checked with loom) in one place.
//!
//! Who touches the word: any thread holding a reference (a `Waker`, a queued
//! `Notified`, the `JoinHandle`, an `AbortHandle`, the owned-task list), and
//! the worker currently polling the task.
//!
//! Orderings: transitions that hand over the right to touch the future or the
//! output (RUNNING, COMPLETE, JOIN_WAKER) use AcqRel so the data written
//! before the transition is visible to whoever observes it; reference count
//! increments are Relaxed (the caller already holds a reference), decrements
//! are AcqRel so the thread that frees the task sees every prior access.

use crate::sync::AtomicUsize;
use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

/// The task is being polled (or cancelled) by exactly one thread.
/// Set: `transition_to_running` (a worker took its queued `Notified`), or
/// `transition_to_shutdown` on an idle task (shutdown claims the future).
/// Cleared: `transition_to_idle` (the poll returned `Pending`), or together
/// with setting COMPLETE in `transition_to_complete`.
const RUNNING: usize = 0b00_0001;
/// The future is gone and the output (or error) is stored.
/// Set: `transition_to_complete`, once. Never cleared.
const COMPLETE: usize = 0b00_0010;
/// The task is in a run queue, or must be re-queued after its current poll.
/// Set: at creation (the task is queued once), by a wake of an idle or
/// running task (`transition_to_notified_by_val` / `_by_ref`), and by
/// `transition_to_aborted` of a task that is not complete.
/// Cleared: `transition_to_running` (the queued reference is being run).
/// A poll that ends with it still set (`ToIdle::Notified`) keeps it and
/// re-queues the poller's reference.
const NOTIFIED: usize = 0b00_0100;
/// A `JoinHandle` still exists and may read the output.
/// Set: at creation. Cleared: `drop_join_interest` (the handle is dropped,
/// after reading the output or not). Never set again.
const JOIN_INTEREST: usize = 0b00_1000;
/// The join waker slot holds a waker the task must wake on completion; while
/// set, the task side owns the slot, while clear, the `JoinHandle` does.
/// Set: `set_join_waker` (the handle stored a waker, task not complete).
/// Cleared: `unset_join_waker` (the handle takes the slot back to replace the
/// waker), `unset_join_waker_after_complete` (the completer woke it and hands
/// the slot back), or `drop_join_interest` on a task not yet complete.
const JOIN_WAKER: usize = 0b01_0000;
/// The task was aborted; the next time it is taken to run, its future is dropped.
/// Set: `transition_to_aborted` (`abort()`) or `transition_to_shutdown`
/// (runtime shutdown). Never cleared: a cancelled task stays cancelled.
const CANCELLED: usize = 0b10_0000;

const FLAG_BITS: u32 = 6;
/// One reference in the counter held in the bits above the flags.
const REF_ONE: usize = 1 << FLAG_BITS;
const REF_MASK: usize = !(REF_ONE - 1);

/// A snapshot of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> FLAG_BITS
    }
    fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// Outcome of taking a queued task to run it.
#[must_use = "the outcome says who now owns the future"]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// The caller now owns the future and must poll it.
    Poll,
    /// The caller now owns the future and must drop it (the task was aborted).
    Cancel,
    /// The task is already complete; the caller only drops its reference.
    Failed,
}

/// Outcome of the end of a poll that returned `Pending`.
#[must_use = "the outcome says what happens to the poller's reference"]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Nobody woke the task during the poll; the caller drops its reference.
    Idle,
    /// The task was woken during the poll; the caller re-queues its reference.
    Notified,
    /// The task was aborted during the poll; the caller still owns the future
    /// and must cancel it.
    Cancel,
}

/// Outcome of a wake.
#[must_use = "on `Schedule` the caller holds a reference it must queue"]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Nothing to schedule (already queued, running, or complete).
    Nothing,
    /// The task was idle: the caller must schedule a `Notified`.
    Schedule,
}

pub(crate) struct State {
    word: AtomicUsize,
}

impl State {
    /// A new task: queued once, with a `JoinHandle`, and `refs` references.
    pub(crate) fn new(refs: usize) -> State {
        State {
            word: AtomicUsize::new((refs * REF_ONE) | JOIN_INTEREST | NOTIFIED),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        // Acquire: a caller that sees COMPLETE reads the output next.
        Snapshot(self.word.load(Acquire))
    }

    fn update<T>(&self, mut f: impl FnMut(Snapshot) -> (Option<usize>, T)) -> T {
        // Acquire on the first load pairs with the AcqRel of the last writer.
        let mut cur = self.word.load(Acquire);
        loop {
            let (next, out) = f(Snapshot(cur));
            let Some(next) = next else { return out };
            // AcqRel: publishes our prior writes and observes the previous owner's.
            match self.word.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return out,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A worker took a queued `Notified` and wants to run it.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            debug_assert!(s.is_notified() || s.is_complete(), "{s:?}");
            if !s.is_idle() {
                // Complete (cancelled by shutdown while queued) or, defensively,
                // running elsewhere: leave it alone.
                return (None, ToRunning::Failed);
            }
            let next = (s.0 & !NOTIFIED) | RUNNING;
            let out = if s.is_cancelled() {
                ToRunning::Cancel
            } else {
                ToRunning::Poll
            };
            (Some(next), out)
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.update(|s| {
            debug_assert!(s.is_running(), "{s:?}");
            if s.is_cancelled() {
                return (None, ToIdle::Cancel);
            }
            // Keep NOTIFIED if it was set during the poll: the caller's
            // reference becomes the queued one.
            let out = if s.is_notified() {
                ToIdle::Notified
            } else {
                ToIdle::Idle
            };
            (Some(s.0 & !RUNNING), out)
        })
    }

    /// The output (or error) is stored: hand it to the join side. Returns the
    /// state just before, which tells whether a `JoinHandle` is interested and
    /// whether its waker must be woken.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        // AcqRel: the output stored before this is published to the JoinHandle.
        let prev = Snapshot(self.word.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete(), "{prev:?}");
        prev
    }

    /// Shutdown of the runtime (or a spawn on a closed runtime): claim the
    /// task to cancel it. Returns true when the caller now owns the future;
    /// false when it is running (its poller will see CANCELLED) or complete.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            if s.is_idle() {
                (Some(s.0 | RUNNING | CANCELLED), true)
            } else {
                (Some(s.0 | CANCELLED), false)
            }
        })
    }

    /// `abort()`: returns `Wake::Schedule` when the task was idle, in which
    /// case a reference was added for the caller to schedule, so the worker
    /// that picks it up drops the future.
    pub(crate) fn transition_to_aborted(&self) -> Wake {
        self.update(|s| {
            if s.is_complete() || s.is_cancelled() {
                (None, Wake::Nothing)
            } else if s.is_running() || s.is_notified() {
                // The poller or the queue entry will see CANCELLED.
                (Some(s.0 | CANCELLED | NOTIFIED), Wake::Nothing)
            } else {
                (Some((s.0 | CANCELLED | NOTIFIED) + REF_ONE), Wake::Schedule)
            }
        })
    }

    /// A wake that consumes the waker's reference. On `Schedule`, that
    /// reference becomes the queued `Notified`; otherwise it was dropped here
    /// (and the caller must free the task if the snapshot's count hit zero:
    /// see `wake_by_val_drop`).
    pub(crate) fn transition_to_notified_by_val(&self) -> (Wake, bool) {
        self.update(|s| {
            if s.is_idle() && !s.is_notified() {
                (Some(s.0 | NOTIFIED), (Wake::Schedule, false))
            } else {
                debug_assert!(s.ref_count() > 0);
                let mut next = s.0 - REF_ONE;
                if s.is_running() {
                    next |= NOTIFIED;
                }
                let last = Snapshot(next).ref_count() == 0;
                (Some(next), (Wake::Nothing, last))
            }
        })
    }

    /// A wake through a borrowed waker. On `Schedule`, a reference was added
    /// for the queued `Notified`.
    pub(crate) fn transition_to_notified_by_ref(&self) -> Wake {
        self.update(|s| {
            if s.is_complete() {
                // Final: no poll follows that could need our writes.
                (None, Wake::Nothing)
            } else if s.is_notified() {
                // Nothing changes, but the queued run must still see what
                // the waker wrote before waking: store the same value so the
                // AcqRel CAS pairs with `transition_to_running`'s Acquire.
                (Some(s.0), Wake::Nothing)
            } else if s.is_running() {
                (Some(s.0 | NOTIFIED), Wake::Nothing)
            } else {
                (Some((s.0 | NOTIFIED) + REF_ONE), Wake::Schedule)
            }
        })
    }

    /// The `JoinHandle` wants to store a waker; it owns the slot (JOIN_WAKER
    /// is clear) and has written it. Fails with the snapshot if the task
    /// completed meanwhile (the slot stays the handle's).
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 | JOIN_WAKER), Ok(()))
            }
        })
    }

    /// The `JoinHandle` wants to replace its stored waker: take the slot back.
    /// Fails if the task completed (the completer may be reading the slot).
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            if s.is_complete() {
                // The completer may already have handed the slot back
                // (JOIN_WAKER clear): only before completion is it set.
                return (None, Err(s));
            }
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            (Some(s.0 & !JOIN_WAKER), Ok(()))
        })
    }

    /// After completion and waking the join waker: give the slot back to the
    /// handle. Fails if the handle was dropped meanwhile, in which case the
    /// completer drops the waker itself.
    pub(crate) fn unset_join_waker_after_complete(&self) -> bool {
        self.update(|s| {
            debug_assert!(s.is_complete() && s.is_join_waker_set());
            if s.is_join_interested() {
                (Some(s.0 & !JOIN_WAKER), true)
            } else {
                (None, false)
            }
        })
    }

    /// The `JoinHandle` is dropped. Returns the snapshot before: if it was
    /// complete, the handle must drop the output; if it was not and
    /// JOIN_WAKER was set, the handle took the slot back and drops the waker.
    pub(crate) fn drop_join_interest(&self) -> Snapshot {
        self.update(|s| {
            debug_assert!(s.is_join_interested());
            let mut next = s.0 & !JOIN_INTEREST;
            if !s.is_complete() {
                next &= !JOIN_WAKER;
            }
            (Some(next), s)
        })
    }

    pub(crate) fn ref_inc(&self) {
        // Relaxed: the caller already holds a reference, so the task cannot be
        // freed concurrently; no data is published by the increment.
        let prev = self.word.fetch_add(REF_ONE, Relaxed);
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops `n` references; true when they were the last ones.
    pub(crate) fn ref_dec(&self, n: usize) -> bool {
        // AcqRel: the last dropper must see every other holder's accesses
        // before it frees the allocation.
        let prev = Snapshot(self.word.fetch_sub(n * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= n, "{prev:?} - {n}");
        prev.ref_count() == n
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(3)
    }

    #[test]
    fn new_task_is_queued_with_join_interest() {
        let s = state().load();
        assert!(s.is_notified() && s.is_join_interested());
        assert!(!s.is_running() && !s.is_complete() && !s.is_cancelled());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn run_then_idle_then_wake_schedules_once() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert_eq!(st.transition_to_idle(), ToIdle::Idle);
        assert!(!st.load().is_notified());
        assert_eq!(st.transition_to_notified_by_ref(), Wake::Schedule);
        assert_eq!(st.load().ref_count(), 4);
        // A second wake while queued does nothing.
        assert_eq!(st.transition_to_notified_by_ref(), Wake::Nothing);
        assert_eq!(st.load().ref_count(), 4);
    }

    #[test]
    fn wake_while_running_requeues_after_poll() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert_eq!(st.transition_to_notified_by_ref(), Wake::Nothing);
        assert_eq!(st.transition_to_idle(), ToIdle::Notified);
        assert!(st.load().is_notified() && !st.load().is_running());
    }

    #[test]
    fn wake_by_val_transfers_or_drops_reference() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert_eq!(st.transition_to_idle(), ToIdle::Idle);
        st.ref_inc(); // a waker
        assert_eq!(
            st.transition_to_notified_by_val(),
            (Wake::Schedule, false),
            "idle: the waker's reference becomes the queued one"
        );
        assert_eq!(st.load().ref_count(), 4);
        st.ref_inc(); // another waker, while queued
        assert_eq!(st.transition_to_notified_by_val(), (Wake::Nothing, false));
        assert_eq!(st.load().ref_count(), 4);
    }

    #[test]
    fn abort_idle_schedules_and_run_cancels() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert_eq!(st.transition_to_idle(), ToIdle::Idle);
        assert_eq!(st.transition_to_aborted(), Wake::Schedule);
        assert!(st.load().is_cancelled() && st.load().is_notified());
        assert_eq!(st.transition_to_running(), ToRunning::Cancel);
        // Aborting twice does nothing.
        assert_eq!(st.transition_to_aborted(), Wake::Nothing);
    }

    #[test]
    fn abort_while_running_cancels_at_idle() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert_eq!(st.transition_to_aborted(), Wake::Nothing);
        assert_eq!(st.transition_to_idle(), ToIdle::Cancel);
    }

    #[test]
    fn abort_queued_cancels_when_taken() {
        let st = state();
        assert_eq!(st.transition_to_aborted(), Wake::Nothing);
        assert_eq!(st.transition_to_running(), ToRunning::Cancel);
    }

    #[test]
    fn abort_of_complete_task_is_noop() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        st.transition_to_complete();
        assert_eq!(st.transition_to_aborted(), Wake::Nothing);
        assert!(!st.load().is_cancelled());
    }

    #[test]
    fn complete_reports_join_interest_and_waker() {
        let st = state();
        st.set_join_waker().unwrap();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        let prev = st.transition_to_complete();
        assert!(prev.is_join_interested() && prev.is_join_waker_set());
        assert!(st.load().is_complete() && !st.load().is_running());
        assert!(st.unset_join_waker_after_complete());
        assert!(!st.load().is_join_waker_set());
    }

    #[test]
    fn join_waker_cannot_be_set_after_complete() {
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        st.transition_to_complete();
        assert!(st.set_join_waker().is_err());
    }

    #[test]
    fn replacing_join_waker_after_completer_gave_slot_back_fails_cleanly() {
        // The handle saw "waker set, not complete", then the task completed
        // and the completer cleared JOIN_WAKER before the handle's CAS.
        let st = state();
        st.set_join_waker().unwrap();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        st.transition_to_complete();
        assert!(st.unset_join_waker_after_complete());
        assert!(st.unset_join_waker().unwrap_err().is_complete());
    }

    #[test]
    fn dropping_join_handle_before_complete_takes_waker_back() {
        let st = state();
        st.set_join_waker().unwrap();
        let prev = st.drop_join_interest();
        assert!(!prev.is_complete() && prev.is_join_waker_set());
        let now = st.load();
        assert!(!now.is_join_interested() && !now.is_join_waker_set());
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert!(!st.transition_to_complete().is_join_interested());
    }

    #[test]
    fn dropping_join_handle_after_complete_leaves_waker_to_completer() {
        let st = state();
        st.set_join_waker().unwrap();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        st.transition_to_complete();
        let prev = st.drop_join_interest();
        assert!(prev.is_complete());
        assert!(!st.unset_join_waker_after_complete());
    }

    #[test]
    fn shutdown_claims_idle_task_but_not_running_one() {
        let st = state();
        assert!(st.transition_to_shutdown());
        assert!(st.load().is_running() && st.load().is_cancelled());
        let st = state();
        assert_eq!(st.transition_to_running(), ToRunning::Poll);
        assert!(!st.transition_to_shutdown());
        assert_eq!(st.transition_to_idle(), ToIdle::Cancel);
    }

    #[test]
    fn ref_counting_reports_last() {
        let st = state();
        assert!(!st.ref_dec(1));
        assert!(!st.ref_dec(1));
        assert!(st.ref_dec(1));
    }
}
