//! `interval` / `interval_at`: immediate first tick, fixed schedule, the three missed-tick
//! behaviors, reset, and bad periods.

mod support;

use magpie_timer::{Duration, Instant};
use std::task::Poll;

use futures_test::task::new_count_waker;
use magpie_timer::{interval, interval_at, Interval, MissedTickBehavior};
use support::TestDriver;

const MS: Duration = Duration::from_millis(1);
const PERIOD: Duration = Duration::from_millis(20);

fn assert_traits<T: Send + Sync + Unpin + 'static>() {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn interval_is_send_sync_unpin_and_so_is_its_tick_future() {
    assert_traits::<Interval>();
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let mut ticker = interval(PERIOD);
    assert_send(&ticker.tick());
}

#[test]
fn the_first_tick_completes_on_the_first_poll() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    let (waker, counter) = new_count_waker();
    let before = Instant::now();
    let mut ticker = interval(Duration::from_secs(3600));
    let first = ticker.poll_tick(&mut std::task::Context::from_waker(&waker));
    assert!(matches!(first, Poll::Ready(at) if at >= before && at <= Instant::now()));
    assert_eq!(counter.get(), 0);
    assert_eq!(driver.handle().armed_timers(), 0);
    // The second tick is an hour away.
    assert!(ticker
        .poll_tick(&mut std::task::Context::from_waker(&waker))
        .is_pending());
    assert_eq!(driver.handle().armed_timers(), 1);
}

#[test]
fn ticks_follow_the_schedule_and_never_come_early() {
    let driver = TestDriver::start(1);
    driver.block_on(0, async {
        let start = Instant::now() + 5 * MS;
        let mut ticker = interval_at(start, PERIOD);
        for k in 0..5u32 {
            let scheduled = ticker.tick().await;
            assert_eq!(scheduled, start + PERIOD * k);
            assert!(Instant::now() >= scheduled, "tick {k} came early");
        }
    });
}

/// Ticks at `start`, then misses ticks by blocking 70 ms, with `behavior`; returns the instants
/// of the next three ticks.
fn ticks_after_missing_some(behavior: MissedTickBehavior) -> (Instant, Vec<Instant>) {
    let driver = TestDriver::start(1);
    driver.block_on(0, async {
        let start = Instant::now();
        let mut ticker = interval_at(start, PERIOD);
        ticker.set_missed_tick_behavior(behavior);
        assert_eq!(ticker.missed_tick_behavior(), behavior);
        assert_eq!(ticker.tick().await, start);
        std::thread::sleep(70 * MS);
        let mut ticks = Vec::new();
        for _ in 0..3 {
            let scheduled = ticker.tick().await;
            assert!(Instant::now() >= scheduled, "tick came early");
            ticks.push(scheduled);
        }
        (start, ticks)
    })
}

#[test]
fn burst_catches_up_on_missed_ticks_back_to_back() {
    let (start, ticks) = ticks_after_missing_some(MissedTickBehavior::Burst);
    assert_eq!(
        ticks,
        vec![start + PERIOD, start + PERIOD * 2, start + PERIOD * 3]
    );
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    let (start, ticks) = ticks_after_missing_some(MissedTickBehavior::Delay);
    // The missed tick completes at once (>= 70 ms), then one period later, and so on.
    assert_eq!(ticks[0], start + PERIOD);
    assert!(
        ticks[1] >= start + 70 * MS + PERIOD,
        "{:?}",
        ticks[1] - start
    );
    assert!(ticks[2] >= ticks[1] + PERIOD);
}

#[test]
fn skip_drops_missed_ticks_and_stays_on_the_grid() {
    let (start, ticks) = ticks_after_missing_some(MissedTickBehavior::Skip);
    assert_eq!(ticks[0], start + PERIOD);
    // Next is the first grid point after the late tick (80 ms unless this machine is very slow).
    for &tick in &ticks[1..] {
        let offset = (tick - start).as_nanos();
        assert_eq!(
            offset % PERIOD.as_nanos(),
            0,
            "off the grid: {:?}",
            tick - start
        );
    }
    assert!(ticks[1] >= start + 80 * MS);
    assert!(ticks[2] > ticks[1]);
}

#[test]
fn reset_moves_the_next_tick_one_period_from_now() {
    let driver = TestDriver::start(1);
    driver.block_on(0, async {
        let mut ticker = interval(PERIOD);
        assert_eq!(ticker.period(), PERIOD);
        ticker.tick().await;
        std::thread::sleep(10 * MS);
        let reset_at = Instant::now();
        ticker.reset();
        let next = ticker.tick().await;
        assert!(next >= reset_at + PERIOD);
        assert!(Instant::now() >= reset_at + PERIOD);
    });
}

#[test]
#[should_panic(expected = "`period` must be non-zero")]
fn a_zero_period_panics() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    drop(interval(Duration::ZERO));
}

#[test]
#[should_panic(expected = "`period` must be non-zero")]
fn a_zero_period_panics_for_interval_at_too() {
    let driver = TestDriver::start(1);
    let _guard = driver.enter(0);
    drop(interval_at(Instant::now(), Duration::ZERO));
}

#[test]
#[should_panic(expected = "there is no timer running")]
fn interval_outside_a_runtime_panics() {
    drop(interval(PERIOD));
}
