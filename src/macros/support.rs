//! What the expansions of `select!`, `join!` and `try_join!` name through
//! `$crate::macros::support`: std items (re-exported so that a user's own `Option`, `Poll`
//! or `pin` cannot shadow them), the proc-macro helpers, the cooperative-budget check and the
//! per-thread random start for `select!`. Not part of the public API.
//!
//! Uses `magpie-coop` for the budget and std's `RandomState` only to seed the generator.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

pub use core::future::{poll_fn, Future, IntoFuture};
pub use core::option::Option;
pub use core::pin::{pin, Pin};
pub use core::result::Result;
pub use core::task::{ready, Context, Poll};

pub use magpie_macros::{join_priv, select_priv, try_join_priv};

/// `Ready` if the current task has cooperative budget left, else wakes the task and returns
/// `Pending`, without spending any. `select!` checks it before polling its branches, so a
/// `select!` loop whose branches never return `Pending` by themselves still yields once
/// the task's budget is spent, like every other magpie operation.
#[inline]
pub fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    // Dropping the unit unspent hands it straight back.
    magpie_coop::poll_unit(cx).map(drop)
}

/// The panic of a `select!` without `else` whose branches are all disabled.
#[cold]
#[track_caller]
pub fn all_branches_disabled() -> ! {
    panic!(
        "all branches are disabled and there is no else branch: every `, if` precondition \
         of this select! was false or every completed output failed its pattern; add an \
         `else => ...` branch to handle that case"
    )
}

thread_local! {
    /// xorshift64 state of this thread's generator; 0 until first use.
    static RNG_STATE: Cell<u64> = const { Cell::new(0) };
}

/// A number in `0..n` (`n > 0`) from a per-thread xorshift64 generator: cheap, not
/// cryptographic, only good for spreading `select!`'s first polled branch.
pub fn thread_rng_n(n: u32) -> u32 {
    let x = RNG_STATE
        .try_with(|state| {
            let mut x = state.get();
            if x == 0 {
                // A fresh std `RandomState` carries random keys; `| 1` keeps the state
                // nonzero, the one value xorshift never leaves.
                x = RandomState::new().hash_one(std::thread::current().id()) | 1;
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.set(x);
            x
        })
        // The thread is tearing down its locals: any start branch will do.
        .unwrap_or(0);
    // The top 32 bits scaled into 0..n: (hi * n) >> 32 < n.
    (((x >> 32) * u64::from(n)) >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::thread_rng_n;

    #[test]
    fn stays_in_range_and_reaches_every_value() {
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            let n = thread_rng_n(5);
            assert!(n < 5);
            seen[n as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 1_000), "{seen:?}");
        assert_eq!(thread_rng_n(1), 0);
    }
}
