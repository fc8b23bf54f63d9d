//! [`Interval`], [`interval`] and [`interval_at`]: ticks at a fixed period, with a choice of what
//! to do about ticks missed while nobody was waiting ([`MissedTickBehavior`]).

use crate::Instant;
use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::clock::instant_after;
use crate::entry::TimerEntry;

/// A tick observed more than this after its scheduled instant counts as missed. Small delays
/// (driver wake-up, a busy worker) keep the schedule as is, like tokio.
const MISSED_TICK_TOLERANCE: Duration = Duration::from_millis(5);

/// Creates an [`Interval`] whose first tick completes immediately, then one every `period`.
///
/// # Panics
/// If `period` is zero, when called outside the context of a magpie runtime, or after its timer
/// has shut down.
///
/// # Examples
/// ```
/// use magpie::time::{interval, Duration};
///
/// #[magpie::main]
/// async fn main() {
///     let mut ticks = interval(Duration::from_millis(10));
///     let first = ticks.tick().await; // completes at once
///     let second = ticks.tick().await; // 10 ms later
///     assert_eq!(second - first, Duration::from_millis(10));
/// }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert_period_is_not_zero(period);
    Interval {
        delay: TimerEntry::after(Instant::now(), Duration::ZERO),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// Creates an [`Interval`] whose first tick completes at `start`, then one every `period`.
///
/// # Panics
/// If `period` is zero, when called outside the context of a magpie runtime, or after its timer
/// has shut down.
///
/// # Examples
/// ```
/// use magpie::time::{interval_at, Duration, Instant};
///
/// #[magpie::main]
/// async fn main() {
///     let start = Instant::now() + Duration::from_millis(20);
///     let mut ticks = interval_at(start, Duration::from_millis(10));
///     assert_eq!(ticks.tick().await, start);
///     assert!(Instant::now() >= start);
///     assert_eq!(ticks.tick().await, start + Duration::from_millis(10));
/// }
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert_period_is_not_zero(period);
    Interval {
        delay: TimerEntry::at(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

#[track_caller]
fn assert_period_is_not_zero(period: Duration) {
    assert!(
        !period.is_zero(),
        "magpie::time::interval: `period` must be non-zero"
    );
}

/// What an [`Interval`] does when ticks were missed: when a tick completes more than a few
/// milliseconds after it was scheduled (the task was busy, or did not call `tick` for a while).
/// In the examples the period is 10 ms, ticks were due at 10, 20, 30 and 40 ms, and `tick` is
/// called again only at 35 ms: it returns the 10 ms tick at once.
///
/// # Examples
/// With the default, [`Burst`](Self::Burst), a task that was away for a while gets every
/// tick it missed, each stamped with the instant it was scheduled for:
/// ```
/// use magpie::time::{interval, sleep, Duration, MissedTickBehavior};
///
/// #[magpie::main]
/// async fn main() {
///     let period = Duration::from_millis(10);
///     let mut ticks = interval(period);
///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
///     let first = ticks.tick().await;
///     sleep(Duration::from_millis(35)).await; // busy elsewhere: ticks are missed
///     for n in 1..=3 {
///         assert_eq!(ticks.tick().await, first + period * n);
///     }
/// }
/// ```
/// [`Interval::set_missed_tick_behavior`] shows [`Skip`](Self::Skip).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks (20, 30) complete back to back as fast as `tick` is called, then
    /// the schedule resumes as if nothing happened (40, 50, ...). The default.
    #[default]
    Burst,
    /// Start a new schedule from now: the next ticks are at 45, 55, ... (one period after the
    /// late tick completed).
    Delay,
    /// Drop the missed ticks and stay on the original grid: the next tick is the first scheduled
    /// one after now, 40, then 50, ...
    Skip,
}

impl MissedTickBehavior {
    /// The tick after `scheduled`, which completed late, at `now`.
    fn next_after_missed(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => instant_after(scheduled, period),
            MissedTickBehavior::Delay => instant_after(now, period),
            MissedTickBehavior::Skip => {
                let behind = now.saturating_duration_since(scheduled).as_nanos();
                let into_period = behind % period.as_nanos();
                // `into_period < period`, so this is in (0, period] and converts losslessly.
                let to_next = period - duration_from_nanos(into_period);
                instant_after(now, to_next)
            }
        }
    }
}

fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    Duration::new(secs, (nanos % NANOS_PER_SEC) as u32)
}

/// Ticks at a fixed period; created by [`interval`] or [`interval_at`].
///
/// Each [`tick`](Self::tick) completes at the next scheduled instant and returns it. Ticks are
/// not queued while nobody waits: what happens to the missed ones is set by
/// [`MissedTickBehavior`]. `Send + Sync + Unpin`; no allocation.
///
/// # Panics
/// Ticking panics once the runtime's timer has shut down.
#[derive(Debug)]
pub struct Interval {
    /// Its deadline is the next scheduled tick.
    delay: TimerEntry,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Completes at the next scheduled tick and returns the instant it was scheduled for (not the
    /// time it was observed). Cancel safe: dropping the future loses no tick.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{interval, Duration, Instant};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let start = Instant::now();
    ///     let mut ticks = interval(Duration::from_millis(5));
    ///     for _ in 0..3 {
    ///         ticks.tick().await; // at 0, 5 and 10 ms
    ///     }
    ///     assert!(start.elapsed() >= Duration::from_millis(10));
    /// }
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Poll version of [`tick`](Self::tick): `Ready(scheduled instant)` once the next tick is
    /// due, else registers `cx` to be woken then.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{interval, Duration};
    /// use std::future::poll_fn;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let mut ticks = interval(Duration::from_millis(10));
    ///     let first = poll_fn(|cx| ticks.poll_tick(cx)).await;
    ///     let second = poll_fn(|cx| ticks.poll_tick(cx)).await;
    ///     assert_eq!(second - first, Duration::from_millis(10));
    /// }
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.delay.poll_elapsed(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.delay.deadline();
        let now = Instant::now();
        let next = if now.saturating_duration_since(scheduled) > MISSED_TICK_TOLERANCE {
            self.missed_tick_behavior
                .next_after_missed(scheduled, now, self.period)
        } else {
            instant_after(scheduled, self.period)
        };
        // The entry is elapsed, so this only records the deadline: the next poll arms it.
        self.delay.reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// # Examples
    /// A heartbeat that is only sent after a period without other traffic:
    /// ```
    /// use magpie::time::{interval, Duration, Instant};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let period = Duration::from_millis(10);
    ///     let mut heartbeat = interval(period);
    ///     heartbeat.tick().await; // the first tick completes at once
    ///     let traffic = Instant::now(); // a message went out: no heartbeat needed yet
    ///     heartbeat.reset();
    ///     assert!(heartbeat.tick().await >= traffic + period);
    /// }
    /// ```
    pub fn reset(&mut self) {
        self.delay.reset(instant_after(Instant::now(), self.period));
    }

    /// How missed ticks are handled.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{interval, Duration, MissedTickBehavior};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let ticks = interval(Duration::from_millis(10));
    ///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// }
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets how missed ticks are handled from now on.
    ///
    /// # Examples
    /// With [`Skip`](MissedTickBehavior::Skip), the tick after a miss is the next one on the
    /// original grid:
    /// ```
    /// use magpie::time::{interval, sleep, Duration, MissedTickBehavior};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let period = Duration::from_millis(10);
    ///     let mut ticks = interval(period);
    ///     let first = ticks.tick().await;
    ///     ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ///     sleep(Duration::from_millis(35)).await; // busy elsewhere: ticks are missed
    ///     assert_eq!(ticks.tick().await, first + period); // the late tick, at once
    ///     let next = ticks.tick().await - first;
    ///     assert!(next >= Duration::from_millis(40)); // 20 and 30 were skipped
    ///     assert_eq!(next.as_nanos() % period.as_nanos(), 0); // still on the grid
    /// }
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period between ticks.
    ///
    /// # Examples
    /// ```
    /// use magpie::time::{interval, Duration};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     assert_eq!(interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// }
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tick_after_a_miss_follows_each_behavior() {
        let start = Instant::now();
        let period = Duration::from_millis(10);
        let scheduled = start + Duration::from_millis(10);
        let now = start + Duration::from_millis(35);
        let at = |ms| start + Duration::from_millis(ms);
        let next =
            |behavior: MissedTickBehavior| behavior.next_after_missed(scheduled, now, period);
        assert_eq!(next(MissedTickBehavior::Burst), at(20));
        assert_eq!(next(MissedTickBehavior::Delay), at(45));
        assert_eq!(next(MissedTickBehavior::Skip), at(40));
        // Exactly on a grid point, Skip moves to the following one (the current is now).
        let on_grid = start + Duration::from_millis(40);
        assert_eq!(
            MissedTickBehavior::Skip.next_after_missed(scheduled, on_grid, period),
            at(50)
        );
        assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
    }

    #[test]
    fn huge_periods_do_not_overflow() {
        let start = Instant::now();
        let now = start + Duration::from_secs(3);
        let far = MissedTickBehavior::Skip.next_after_missed(start, now, Duration::MAX);
        assert!(far > now + Duration::from_secs(86_400 * 365 * 29));
        assert_eq!(
            duration_from_nanos(u128::from(u64::MAX) * 1_000_000_000 + 7),
            Duration::new(u64::MAX, 7)
        );
    }
}
