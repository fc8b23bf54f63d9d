//! The driver's time base: ticks of 1 ms counted from the driver's start `Instant`. Deadlines
//! round up to the next tick and "now" rounds down, so a timer that fires when `now_tick >=
//! deadline_tick` can never fire before its `Instant`.

use crate::Instant;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Converts between `Instant`s and the wheel's millisecond ticks, and keeps
/// the runtime's time, which a test may pause and advance.
///
/// Time is `base + (std now - unfrozen)` while running and `base` while
/// paused: pausing folds the elapsed real time into `base`, advancing adds
/// to it, resuming restarts the real-time part. Until the first pause, `now`
/// is std's clock read directly (the fast path).
#[derive(Debug)]
pub(crate) struct Clock {
    /// Tick 0.
    start: Instant,
    /// Set once by the first `pause` (under `time`'s lock); read lock-free
    /// by `now`. Release/Acquire: a reader that sees it also sees `time`.
    virtual_time: AtomicBool,
    /// The clock's time, written by `pause`, `resume` and `advance`.
    time: Mutex<VirtualTime>,
    /// `spawn_blocking` jobs in flight (and anything else that must hold a
    /// paused clock still): auto-advance waits while it is not zero.
    /// Incremented and decremented by whoever holds an `AutoAdvanceGuard`;
    /// read by the driver deciding on an auto-advance.
    inhibit: AtomicUsize,
}

#[derive(Debug)]
struct VirtualTime {
    base: std::time::Instant,
    /// When real time last started counting again; `None` while paused.
    unfrozen: Option<std::time::Instant>,
}

impl Clock {
    pub(crate) fn new() -> Self {
        let now = std::time::Instant::now();
        Clock {
            start: Instant::from_std(now),
            virtual_time: AtomicBool::new(false),
            time: Mutex::new(VirtualTime {
                base: now,
                unfrozen: Some(now),
            }),
            inhibit: AtomicUsize::new(0),
        }
    }

    /// The clock's current time.
    pub(crate) fn now(&self) -> Instant {
        if !self.virtual_time.load(Ordering::Acquire) {
            return Instant::from_std(std::time::Instant::now());
        }
        let time = self.time.lock();
        Instant::from_std(match time.unfrozen {
            Some(unfrozen) => time.base + unfrozen.elapsed(),
            None => time.base,
        })
    }

    /// Whether the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.virtual_time.load(Ordering::Acquire) && self.time.lock().unfrozen.is_none()
    }

    /// Stops the clock.
    ///
    /// # Panics
    /// When it is already paused.
    pub(crate) fn pause(&self) {
        let mut time = self.time.lock();
        let Some(unfrozen) = time.unfrozen.take() else {
            panic!("time::pause(): the clock is already paused");
        };
        time.base += unfrozen.elapsed();
        // Stop on a whole tick (rounding up: time never goes back), so that
        // whole-millisecond sleeps and advances from here land exactly on
        // their ticks and `now` shows their exact deadlines.
        let since_start = time.base.saturating_duration_since(self.start.into_std());
        let sub_tick = since_start.subsec_nanos() % 1_000_000;
        if sub_tick != 0 {
            time.base += Duration::from_nanos(u64::from(1_000_000 - sub_tick));
        }
        self.virtual_time.store(true, Ordering::Release);
    }

    /// Lets the clock run again from where it stands.
    ///
    /// # Panics
    /// When it is not paused.
    pub(crate) fn resume(&self) {
        let mut time = self.time.lock();
        if time.unfrozen.is_some() {
            panic!("time::resume(): the clock is not paused");
        }
        time.unfrozen = Some(std::time::Instant::now());
    }

    /// Moves a paused clock forward by `duration`.
    ///
    /// # Panics
    /// When the clock is not paused.
    pub(crate) fn advance(&self, duration: Duration) {
        let mut time = self.time.lock();
        if time.unfrozen.is_some() {
            panic!(
                "time::advance() needs a paused clock: call time::pause() first, or use \
                 #[magpie::test(start_paused = true)]"
            );
        }
        time.base = time.base.checked_add(duration).unwrap_or(time.base);
    }

    /// Moves a paused clock forward to the start of `tick`, if it is ahead.
    pub(crate) fn advance_to_tick(&self, tick: u64) {
        let target = crate::clock::instant_after(self.start, Duration::from_millis(tick));
        let now = self.now();
        if target > now {
            self.advance(target.duration_since(now));
        }
    }

    /// Holds a paused clock still (no auto-advance) until the guard drops.
    pub(crate) fn inhibit_auto_advance(&self) {
        // Relaxed: a counter; the driver re-reads it after the runtime went
        // idle, which the scheduler's own synchronisation orders.
        self.inhibit.fetch_add(1, Ordering::Relaxed);
    }

    /// Undoes one `inhibit_auto_advance`.
    pub(crate) fn allow_auto_advance(&self) {
        // Relaxed: see `inhibit_auto_advance`.
        self.inhibit.fetch_sub(1, Ordering::Relaxed);
    }

    /// Whether a paused clock may jump to the next deadline now.
    pub(crate) fn may_auto_advance(&self) -> bool {
        // Relaxed: see `inhibit_auto_advance`.
        self.is_paused() && self.inhibit.load(Ordering::Relaxed) == 0
    }

    /// Whole milliseconds since the start (rounded down), saturating at `u64::MAX`.
    pub(crate) fn now_tick(&self) -> u64 {
        u64::try_from(self.now().duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
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
        Duration::from_millis(tick).saturating_sub(self.now().duration_since(self.start))
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
        assert!(clock.now_tick() <= clock.deadline_tick(clock.now()));
    }

    #[test]
    fn a_paused_clock_stands_still_and_moves_only_by_advance() {
        let clock = Clock::new();
        std::thread::sleep(Duration::from_micros(300));
        clock.pause();
        assert!(clock.is_paused());
        let paused_at = clock.now();
        assert_eq!(
            paused_at.duration_since(clock.start).subsec_nanos() % 1_000_000,
            0,
            "paused on a whole tick"
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), paused_at);
        clock.advance(Duration::from_millis(250));
        assert_eq!(clock.now(), paused_at + Duration::from_millis(250));
        let tick = clock.now_tick();
        clock.advance_to_tick(tick + 10);
        assert_eq!(clock.now_tick(), tick + 10);
        clock.advance_to_tick(tick);
        assert_eq!(clock.now_tick(), tick + 10, "never backwards");
        clock.resume();
        assert!(!clock.is_paused());
        std::thread::sleep(Duration::from_millis(2));
        assert!(clock.now() > paused_at + Duration::from_millis(250));
    }

    #[test]
    fn pausing_twice_resuming_or_advancing_a_running_clock_panic() {
        let clock = Clock::new();
        let try_it = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        assert!(try_it(&|| clock.advance(Duration::from_millis(1))).is_err());
        assert!(try_it(&|| clock.resume()).is_err());
        clock.pause();
        assert!(try_it(&|| clock.pause()).is_err());
        // Still usable after the refused calls.
        clock.advance(Duration::from_millis(1));
        clock.resume();
    }

    #[test]
    fn inhibitors_hold_a_paused_clock() {
        let clock = Clock::new();
        assert!(
            !clock.may_auto_advance(),
            "running: nothing to auto-advance"
        );
        clock.pause();
        assert!(clock.may_auto_advance());
        clock.inhibit_auto_advance();
        assert!(!clock.may_auto_advance());
        clock.allow_auto_advance();
        assert!(clock.may_auto_advance());
    }

    #[test]
    fn far_deadlines_do_not_overflow() {
        let clock = Clock::new();
        let far = instant_after(clock.now(), Duration::MAX);
        assert!(far > clock.now() + Duration::from_secs(86_400 * 365 * 29));
        let tick = clock.deadline_tick(far);
        assert!(tick > 86_400_000 * 365 * 29);
        assert!(clock.until_tick(u64::MAX) > Duration::from_secs(1 << 40));
        assert_eq!(clock.until_tick(0), Duration::ZERO);
    }
}
