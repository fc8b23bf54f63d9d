//! `magpie::time::Interval` on a real runtime, and what each
//! `MissedTickBehavior` does after its task blocked its worker thread for
//! several periods. The assertions are on the scheduled instants that
//! `tick` returns, which the behaviours define exactly, and on "never
//! early"; none depends on how promptly the machine ran the task.

mod common;

use common::{runtime, with_timeout, HANG_LIMIT};
use magpie::time::{self, Duration, Instant, MissedTickBehavior};

const PERIOD: Duration = Duration::from_millis(10);
/// How long the task blocks its worker after the first tick: the ticks due
/// at 10, 20 and 30 ms are all missed.
const STALL: Duration = Duration::from_millis(35);
const TICKS_AFTER_STALL: usize = 4;

/// What one interval did around a stall of its worker.
struct Trace {
    /// The instants `tick` returned: the first one, then those after the stall.
    scheduled: Vec<Instant>,
    /// When each `tick` call returned.
    observed: Vec<Instant>,
    /// When the stall ended.
    stall_end: Instant,
}

impl Trace {
    fn first(&self) -> Instant {
        self.scheduled[0]
    }

    /// Offsets of the scheduled instants from the first tick.
    fn offsets(&self) -> Vec<Duration> {
        self.scheduled.iter().map(|&t| t - self.first()).collect()
    }

    fn assert_never_early(&self) {
        for (k, (scheduled, observed)) in self.scheduled.iter().zip(&self.observed).enumerate() {
            assert!(
                observed >= scheduled,
                "tick {k} completed before its instant"
            );
        }
        for pair in self.scheduled.windows(2) {
            assert!(
                pair[1] > pair[0],
                "ticks out of order: {:?}",
                self.offsets()
            );
        }
    }
}

/// Ticks a `PERIOD` interval with `behavior` in a task: the first tick, then
/// the task blocks its worker thread for `STALL`, then `TICKS_AFTER_STALL`
/// more ticks. Also checks that the default behaviour is `Burst`.
fn ticks_around_a_stall(behavior: MissedTickBehavior) -> Trace {
    with_timeout(HANG_LIMIT, move || {
        let rt = runtime(2);
        rt.block_on(rt.spawn(async move {
            let mut interval = time::interval(PERIOD);
            assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
            interval.set_missed_tick_behavior(behavior);
            assert_eq!(interval.missed_tick_behavior(), behavior);
            let mut scheduled = vec![interval.tick().await];
            let mut observed = vec![Instant::now()];
            std::thread::sleep(STALL);
            let stall_end = Instant::now();
            for _ in 0..TICKS_AFTER_STALL {
                scheduled.push(interval.tick().await);
                observed.push(Instant::now());
            }
            Trace {
                scheduled,
                observed,
                stall_end,
            }
        }))
        .unwrap()
    })
}

#[test]
fn burst_catches_up_on_missed_ticks_and_keeps_the_schedule() {
    let trace = ticks_around_a_stall(MissedTickBehavior::Burst);
    trace.assert_never_early();
    // Every tick of the original schedule, the missed ones (10, 20, 30 ms) included.
    let expected: Vec<Duration> = (0..=TICKS_AFTER_STALL as u32).map(|k| PERIOD * k).collect();
    assert_eq!(trace.offsets(), expected);
    // The missed ones were already due when the stall ended.
    assert!(trace.scheduled[3] < trace.stall_end);
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    let trace = ticks_around_a_stall(MissedTickBehavior::Delay);
    trace.assert_never_early();
    // The first missed tick still completes (late) ...
    assert_eq!(trace.scheduled[1] - trace.first(), PERIOD);
    // ... and the next one is a full period after it was observed, not at 20 ms.
    assert!(
        trace.scheduled[2] >= trace.stall_end + PERIOD,
        "offsets {:?}, stall ended at {:?}",
        trace.offsets(),
        trace.stall_end - trace.first()
    );
    // From then on ticks are at least a period apart, and each is due at most
    // a period after the previous one completed.
    for k in 2..trace.scheduled.len() {
        assert!(trace.scheduled[k] - trace.scheduled[k - 1] >= PERIOD);
        assert!(trace.scheduled[k] <= trace.observed[k - 1] + PERIOD);
    }
}

#[test]
fn skip_drops_missed_ticks_and_stays_on_the_original_grid() {
    let trace = ticks_around_a_stall(MissedTickBehavior::Skip);
    trace.assert_never_early();
    assert_eq!(trace.scheduled[1] - trace.first(), PERIOD);
    for offset in trace.offsets() {
        assert_eq!(
            offset.as_nanos() % PERIOD.as_nanos(),
            0,
            "a tick off the grid: {:?}",
            trace.offsets()
        );
    }
    // The next tick is the first grid point after the late one was observed:
    // 20 and 30 ms are skipped.
    assert!(trace.scheduled[2] > trace.stall_end);
    assert!(trace.scheduled[2] <= trace.observed[1] + PERIOD);
    assert!(trace.scheduled[2] - trace.first() >= PERIOD * 4);
}

#[test]
fn an_interval_ticks_on_time_when_nothing_is_missed() {
    let (scheduled, observed) = with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        rt.block_on(rt.spawn(async {
            let start = Instant::now() + PERIOD;
            let mut interval = time::interval_at(start, PERIOD);
            let (mut scheduled, mut observed) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                scheduled.push(interval.tick().await);
                observed.push(Instant::now());
            }
            assert_eq!(scheduled[0], start);
            (scheduled, observed)
        }))
        .unwrap()
    });
    for k in 0..scheduled.len() {
        assert_eq!(scheduled[k] - scheduled[0], PERIOD * k as u32);
        assert!(observed[k] >= scheduled[k], "tick {k} was early");
    }
}

#[test]
fn reset_restarts_the_schedule_one_period_from_now() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        rt.block_on(rt.spawn(async {
            let mut interval = time::interval(PERIOD);
            let first = interval.tick().await;
            time::sleep(PERIOD / 2).await;
            let before_reset = Instant::now();
            interval.reset();
            let after_reset = Instant::now();
            // Without the reset this tick would be due at `first + PERIOD`.
            let next = interval.tick().await;
            assert!(next >= before_reset + PERIOD && next <= after_reset + PERIOD);
            assert!(next > first + PERIOD);
            assert!(Instant::now() >= next);
            assert_eq!(interval.period(), PERIOD);
        }))
        .unwrap();
    });
}
