//! `IdleSpin`: whether a worker about to sleep in the IO driver first spins
//! on it (polls without blocking) and until when.
//!
//! Waking a thread blocked in `epoll_wait` costs the waker a
//! `try_to_wake_up` (often an inter-processor interrupt, a VM exit on a
//! virtual machine) and the sleeper a context switch: tens of microseconds
//! on the 2-core VM the benchmarks run on, more than the work of a whole
//! loopback connect. When socket events follow each other closely, polling
//! for a few tens of microseconds catches the next one without any of that.
//! When they do not, the spin is wasted CPU, taken from threads that could
//! use it, so the policy adapts. It judges by the last blocking poll: if
//! socket events woke tasks within the spin budget, a spin would have
//! caught them, so the next park spins; if the poll slept longer, or ended
//! for a timer or a scheduler wake-up (which a spin does not speed up: with
//! every park spinning, chained_spawn, yield_many and spawn_many_remote_idle
//! lost 10 to 30%, the spinner taking a core from a busy thread), the next
//! park blocks at once. An idle runtime therefore stays at ~0% CPU: one wasted
//! spin at most, when it turns idle.
//!
//! Owned by the driver: only the worker holding the driver's lock reads or
//! writes it.

use std::time::{Duration, Instant};

/// How long a worker polls the driver without blocking before it sleeps,
/// unless `Builder::idle_spin` says otherwise. Measured with `cargo bench --bench net` (2 workers): 10 us changed
/// nothing, 25 us gave part of the gain, 50 and 100 us the same full gain
/// (tcp_connect_churn 90 -> 42 ms, tcp_bulk 140 -> 73 ms).
pub(crate) const DEFAULT_IDLE_SPIN: Duration = Duration::from_micros(50);

/// The spin-or-block decision of the driver's parked worker.
#[derive(Debug)]
pub(crate) struct IdleSpin {
    /// Whether the next park spins first.
    enabled: bool,
    /// How long a spin lasts at most; zero: never spin.
    budget: Duration,
}

impl IdleSpin {
    /// A policy that spins for up to `budget` (never when zero), from the
    /// first park on (a runtime is usually started to do work).
    pub(crate) fn new(budget: Duration) -> IdleSpin {
        IdleSpin {
            enabled: !budget.is_zero(),
            budget,
        }
    }

    /// When a spin starting at `now` must give up, or `None` when this park
    /// should block at once.
    pub(crate) fn spin_deadline(&self, now: Instant) -> Option<Instant> {
        self.enabled.then(|| now + self.budget)
    }

    /// The blocking poll that ended the park slept for `slept`, and its
    /// socket events woke tasks (`woke_tasks`) or not. (A park whose spin
    /// found events does not block and keeps the policy as is.)
    pub(crate) fn slept(&mut self, slept: Duration, woke_tasks: bool) {
        self.enabled = woke_tasks && slept < self.budget;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPIN_BUDGET: Duration = DEFAULT_IDLE_SPIN;

    #[test]
    fn spins_at_first_for_the_budget() {
        let spin = IdleSpin::new(SPIN_BUDGET);
        let now = Instant::now();
        assert_eq!(spin.spin_deadline(now), Some(now + SPIN_BUDGET));
    }

    #[test]
    fn a_long_sleep_turns_spinning_off_and_a_short_one_back_on() {
        let mut spin = IdleSpin::new(SPIN_BUDGET);
        let now = Instant::now();
        spin.slept(Duration::from_millis(1), true);
        assert_eq!(spin.spin_deadline(now), None, "idle: block at once");
        spin.slept(Duration::from_millis(5), true);
        assert_eq!(spin.spin_deadline(now), None, "still idle");
        spin.slept(SPIN_BUDGET / 2, true);
        assert_eq!(spin.spin_deadline(now), Some(now + SPIN_BUDGET));
        spin.slept(SPIN_BUDGET / 5, true);
        assert!(spin.spin_deadline(now).is_some(), "still busy");
    }

    #[test]
    fn a_sleep_of_exactly_the_budget_counts_as_idle() {
        let mut spin = IdleSpin::new(SPIN_BUDGET);
        spin.slept(SPIN_BUDGET, true);
        assert_eq!(spin.spin_deadline(Instant::now()), None);
    }

    #[test]
    fn a_short_sleep_that_woke_no_task_turns_spinning_off() {
        // An unpark or a timer ended it: spinning would not have helped.
        let mut spin = IdleSpin::new(SPIN_BUDGET);
        spin.slept(SPIN_BUDGET / 10, false);
        assert_eq!(spin.spin_deadline(Instant::now()), None);
        spin.slept(SPIN_BUDGET / 10, true);
        assert!(spin.spin_deadline(Instant::now()).is_some());
    }

    #[test]
    fn a_zero_budget_never_spins() {
        let mut spin = IdleSpin::new(Duration::ZERO);
        let now = Instant::now();
        assert_eq!(spin.spin_deadline(now), None, "not even the first park");
        spin.slept(Duration::from_micros(1), true);
        assert_eq!(spin.spin_deadline(now), None, "nor after a short sleep");
    }

    #[test]
    fn a_custom_budget_sets_the_spin_and_the_idle_threshold() {
        let budget = Duration::from_micros(200);
        let mut spin = IdleSpin::new(budget);
        let now = Instant::now();
        assert_eq!(spin.spin_deadline(now), Some(now + budget));
        spin.slept(Duration::from_micros(150), true);
        assert_eq!(
            spin.spin_deadline(now),
            Some(now + budget),
            "a sleep shorter than this budget (if longer than the default) keeps it on"
        );
        spin.slept(budget, true);
        assert_eq!(spin.spin_deadline(now), None);
    }
}
