//! Cooperative scheduling budget: a task that keeps finding its sockets ready is made
//! to yield now and then, so one hot connection cannot starve the other tasks of its
//! worker.
//!
//! The runtime runs each task poll inside [`budget`], which grants
//! [`TASK_POLL_BUDGET`] units. Every IO operation that is ready spends one unit (an
//! operation that ends up `Pending` gets its unit back). With the budget spent, IO
//! operations wake their task at once and return `Pending`, so the task goes back to
//! the run queue behind the others. Outside [`budget`] there is no limit.
//!
//! The sync primitives (`magpie-sync`) spend it the same way: a receive or
//! an acquire that completes at once costs a unit, so a task looping on an
//! always-ready channel or lock yields too.
//!
//! Uses nothing but std; the IO driver, the sync primitives and the runtime
//! use it.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units granted to one task poll (tokio uses the same figure).
pub const TASK_POLL_BUDGET: u8 = 128;

thread_local! {
    /// Units left in the task poll running on this thread; `None` = unlimited.
    /// Only this thread reads or writes it.
    static BUDGET: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` with a fresh budget of [`TASK_POLL_BUDGET`] units, restoring the previous
/// budget afterwards (also when `f` panics). The runtime wraps every task poll in it.
pub fn budget<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the previous budget back on drop.
    struct RestoreBudget(Option<u8>);

    impl Drop for RestoreBudget {
        fn drop(&mut self) {
            let _ = BUDGET.try_with(|budget| budget.set(self.0));
        }
    }

    let previous = BUDGET.with(|budget| budget.replace(Some(TASK_POLL_BUDGET)));
    let _restore = RestoreBudget(previous);
    f()
}

/// True while a task poll (or a runtime's `block_on` future) runs on this thread,
/// that is inside [`budget`]: code that must not block a thread driving tasks, such
/// as the `blocking_*` methods of magpie's channels and locks, checks it.
///
/// ```
/// assert!(!magpie_coop::in_task_poll());
/// magpie_coop::budget(|| assert!(magpie_coop::in_task_poll()));
/// ```
pub fn in_task_poll() -> bool {
    BUDGET.with(|budget| budget.get().is_some())
}

/// Spends one unit of the current task's budget before doing IO work.
///
/// Returns `Ready(())` if a unit was available (or there is no budget in force). If
/// the budget is spent, wakes `cx`'s waker (so the task is polled again soon) and
/// returns `Pending`, making the task yield.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    poll_unit(cx).map(BudgetUnit::made_progress)
}

/// One unit of budget taken by an operation in progress. Unless the operation calls
/// [`BudgetUnit::made_progress`], dropping it gives the unit back, so an operation that
/// ends up `Pending` costs nothing.
#[must_use = "dropping the unit refunds it at once"]
#[derive(Debug)]
pub struct BudgetUnit {
    /// Whether a unit was actually taken from a limited budget.
    taken: bool,
}

impl BudgetUnit {
    /// Keeps the unit spent: the operation did something.
    pub fn made_progress(mut self) {
        self.taken = false;
    }
}

impl Drop for BudgetUnit {
    fn drop(&mut self) {
        if self.taken {
            let _ = BUDGET.try_with(|budget| {
                if let Some(left) = budget.get() {
                    budget.set(Some(left.saturating_add(1).min(TASK_POLL_BUDGET)));
                }
            });
        }
    }
}

/// Takes one unit, or wakes `cx` and returns `Pending` if the budget is spent.
pub fn poll_unit(cx: &mut Context<'_>) -> Poll<BudgetUnit> {
    let taken = BUDGET
        .try_with(|budget| match budget.get() {
            None => Some(false),
            Some(0) => None,
            Some(left) => {
                budget.set(Some(left - 1));
                Some(true)
            }
        })
        // Thread-locals being torn down: no budget applies any more.
        .unwrap_or(Some(false));
    match taken {
        Some(taken) => Poll::Ready(BudgetUnit { taken }),
        None => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_test::task::new_count_waker;

    use super::*;

    #[test]
    fn budget_runs_out_after_the_task_poll_budget() {
        let (waker, counter) = new_count_waker();
        let mut cx = Context::from_waker(&waker);
        budget(|| {
            for _ in 0..TASK_POLL_BUDGET {
                assert!(poll_proceed(&mut cx).is_ready());
            }
            assert!(poll_proceed(&mut cx).is_pending());
            assert_eq!(counter.get(), 1, "woken to run again");
        });
        // Outside a budget there is no limit.
        for _ in 0..1000 {
            assert!(poll_proceed(&mut cx).is_ready());
        }
    }

    #[test]
    fn pending_operations_get_their_unit_back() {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        budget(|| {
            for _ in 0..1000 {
                let unit = match poll_unit(&mut cx) {
                    Poll::Ready(unit) => unit,
                    Poll::Pending => panic!("refunded units must never run out"),
                };
                drop(unit);
            }
        });
    }

    #[test]
    fn nested_budget_restores_the_outer_one() {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        budget(|| {
            assert!(poll_proceed(&mut cx).is_ready());
            budget(|| {
                for _ in 0..TASK_POLL_BUDGET {
                    assert!(poll_proceed(&mut cx).is_ready());
                }
                assert!(poll_proceed(&mut cx).is_pending());
            });
            assert_eq!(BUDGET.with(Cell::get), Some(TASK_POLL_BUDGET - 1));
        });
        assert_eq!(BUDGET.with(Cell::get), None);
    }

    #[test]
    fn budget_is_restored_after_a_panic() {
        let result = std::panic::catch_unwind(|| budget(|| panic!("task panicked")));
        assert!(result.is_err());
        assert_eq!(BUDGET.with(Cell::get), None);
    }
}
