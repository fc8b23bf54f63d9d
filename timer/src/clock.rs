//! The driver's time base: ticks of 1 ms counted from the driver's start `Instant`. Deadlines
//! round up to the next tick and "now" rounds down, so a timer that fires when `now_tick >=
//! deadline_tick` can never fire before its `Instant`.

use std::time::{Duration, Instant};

/// Converts between `Instant`s and the wheel's millisecond ticks.
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            start: Instant::now(),
        }
    }

    /// Whole milliseconds since the start (rounded down), saturating at `u64::MAX`.
    pub(crate) fn now_tick(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The first tick at or after `deadline` (rounded up); 0 for instants before the start.
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        let since_start = deadline.saturating_duration_since(self.start);
        // Whole seconds are whole milliseconds, so only the sub-second part needs rounding up;
        // u64 arithmetic avoids a (slow) u128 division on this per-timer path.
        let subsec_millis = u64::from(since_start.subsec_nanos().div_ceil(1_000_000));
        since_start
            .as_secs()
            .saturating_mul(1_000)
            .saturating_add(subsec_millis)
    }

    /// How long from now until the start of `tick` (zero if it has passed).
    pub(crate) fn until_tick(&self, tick: u64) -> Duration {
        Duration::from_millis(tick).saturating_sub(self.start.elapsed())
    }
}

/// The instant used for deadlines too far to represent (`Duration::MAX`, or an overflowing
/// `Instant + Duration`): about 30 years from now, which in practice never fires.
pub(crate) fn far_future() -> Instant {
    const THIRTY_YEARS: Duration = Duration::from_secs(86_400 * 365 * 30);
    let now = Instant::now();
    now.checked_add(THIRTY_YEARS).unwrap_or(now)
}

/// `base + offset`, or [`far_future`] when that is not representable.
pub(crate) fn instant_after(base: Instant, offset: Duration) -> Instant {
    base.checked_add(offset).unwrap_or_else(far_future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let clock = Clock::new();
        let start = clock.start;
        assert_eq!(clock.deadline_tick(start), 0);
        assert_eq!(clock.deadline_tick(start + Duration::from_nanos(1)), 1);
        assert_eq!(clock.deadline_tick(start + Duration::from_millis(5)), 5);
        assert_eq!(clock.deadline_tick(start + Duration::from_micros(5_001)), 6);
        if let Some(before_start) = start.checked_sub(Duration::from_millis(3)) {
            assert_eq!(clock.deadline_tick(before_start), 0);
        }
        assert_eq!(
            clock.deadline_tick(start + Duration::new(7, 999_000_001)),
            8_000
        );
        assert_eq!(
            clock.deadline_tick(start + Duration::new(7, 999_000_000)),
            7_999
        );
        assert!(clock.now_tick() <= clock.deadline_tick(Instant::now()));
    }

    #[test]
    fn far_deadlines_do_not_overflow() {
        let clock = Clock::new();
        let far = instant_after(Instant::now(), Duration::MAX);
        assert!(far > Instant::now() + Duration::from_secs(86_400 * 365 * 29));
        let tick = clock.deadline_tick(far);
        assert!(tick > 86_400_000 * 365 * 29);
        assert!(clock.until_tick(u64::MAX) > Duration::from_secs(1 << 40));
        assert_eq!(clock.until_tick(0), Duration::ZERO);
    }
}
