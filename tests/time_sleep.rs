//! `magpie::time::sleep` on a real runtime, through the public API: never
//! early and rarely late, the edge durations (zero, past instants,
//! `Duration::MAX`), sleeps polled by threads that are not workers, and the
//! panic outside a runtime. CPU-heavy timer tests live in other files, so
//! they cannot skew the lateness measured here.
//!
//! Every test runs inside `with_timeout`, so a lost wakeup fails the test
//! instead of stalling the run.

mod common;

use common::{ms, panic_message, runtime, with_timeout, HANG_LIMIT};
use magpie::time::{self, Duration, Instant};
use std::future::Future;
use std::panic::catch_unwind;
use std::pin::pin;
use std::task::{Context, Poll};

/// A fixed-seed xorshift64 generator: "random" durations that are the same
/// on every run, so a failure can be replayed.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `low..=high`.
    fn in_range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// The `percent`-th percentile of sorted `values`.
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() * percent / 100).min(sorted.len() - 1)]
}

#[test]
fn concurrent_random_sleeps_are_never_early_and_rarely_late() {
    const SLEEPS: usize = 200;
    let mut lateness = with_timeout(HANG_LIMIT, || {
        runtime(2).block_on(async {
            let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
            let tasks: Vec<_> = (0..SLEEPS)
                .map(|i| {
                    let requested = ms(rng.in_range(1, 30));
                    magpie::spawn(async move {
                        let start = Instant::now();
                        // Half by duration, half by deadline: both must hold.
                        if i % 2 == 0 {
                            time::sleep(requested).await;
                        } else {
                            time::sleep_until(start + requested).await;
                        }
                        (requested, start.elapsed())
                    })
                })
                .collect();
            let mut lateness = Vec::with_capacity(SLEEPS);
            for task in tasks {
                let (requested, actual) = task.await.unwrap();
                assert!(
                    actual >= requested,
                    "a sleep of {requested:?} completed after only {actual:?}"
                );
                lateness.push(actual - requested);
            }
            lateness
        })
    });
    lateness.sort();
    let (p50, p99) = (percentile(&lateness, 50), percentile(&lateness, 99));
    let max = lateness[lateness.len() - 1];
    println!("lateness of {SLEEPS} sleeps of 1-30 ms: p50 {p50:?}, p99 {p99:?}, max {max:?}");
    assert!(p99 < ms(20), "p99 lateness {p99:?} (p50 {p50:?})");
}

#[test]
fn zero_durations_and_past_deadlines_complete_on_the_first_poll() {
    with_timeout(HANG_LIMIT, || {
        runtime(2).block_on(async {
            let waker = futures::task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            let past = Instant::now()
                .checked_sub(Duration::from_secs(1))
                .unwrap_or_else(Instant::now);

            let mut zero = pin!(time::sleep(Duration::ZERO));
            assert!(zero.is_elapsed());
            assert_eq!(zero.as_mut().poll(&mut cx), Poll::Ready(()));
            // Polling again after completion stays ready.
            assert_eq!(zero.as_mut().poll(&mut cx), Poll::Ready(()));

            let mut in_the_past = pin!(time::sleep_until(past));
            assert!(in_the_past.is_elapsed());
            assert_eq!(in_the_past.as_mut().poll(&mut cx), Poll::Ready(()));

            // A deadline of exactly "now" has been reached by the time it is polled.
            let mut now = pin!(time::sleep_until(Instant::now()));
            assert_eq!(now.as_mut().poll(&mut cx), Poll::Ready(()));

            // The same, awaited from a task, including a sub-millisecond duration that
            // rounds up to the next tick.
            let start = Instant::now();
            magpie::spawn(async move {
                time::sleep(Duration::ZERO).await;
                time::sleep_until(past).await;
                time::sleep(Duration::from_nanos(1)).await;
            })
            .await
            .unwrap();
            assert!(start.elapsed() < Duration::from_secs(1));
        })
    });
}

#[test]
fn duration_max_and_far_deadlines_do_not_panic_and_never_fire() {
    with_timeout(HANG_LIMIT, || {
        runtime(2).block_on(async {
            let forever = time::sleep(Duration::MAX);
            let ten_years = Duration::from_secs(86_400 * 365 * 10);
            assert!(forever.deadline() > Instant::now() + ten_years);
            assert!(!forever.is_elapsed());
            let start = Instant::now();
            let raced = time::timeout(ms(20), forever).await;
            assert!(raced.is_err(), "sleep(Duration::MAX) completed");
            assert!(start.elapsed() >= ms(20));

            let far = Instant::now()
                .checked_add(Duration::from_secs(86_400 * 365 * 100))
                .expect("Instant cannot represent 100 years from now");
            assert!(time::timeout(ms(5), time::sleep_until(far)).await.is_err());

            // A maximal timeout is, in practice, no deadline.
            assert_eq!(time::timeout(Duration::MAX, async { 7 }).await, Ok(7));
            let sleep_first = time::timeout(Duration::MAX, time::sleep(ms(2))).await;
            assert_eq!(sleep_first, Ok(()));

            // An interval with a maximal period ticks once, then never again.
            let mut interval = time::interval(Duration::MAX);
            interval.tick().await;
            assert!(time::timeout(ms(5), interval.tick()).await.is_err());
        })
    });
}

#[test]
fn sleeps_created_on_non_worker_threads_fire() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        // A blocking-pool thread polls its sleep with a foreign executor.
        let on_blocking_thread = rt.block_on(rt.spawn_blocking(|| {
            let start = Instant::now();
            futures::executor::block_on(time::sleep(ms(10)));
            start.elapsed()
        }));
        assert!(on_blocking_thread.unwrap() >= ms(10));

        // A plain thread that entered the runtime.
        let handle = rt.handle().clone();
        let on_plain_thread = std::thread::spawn(move || {
            let _entered = handle.enter();
            let start = Instant::now();
            futures::executor::block_on(time::sleep(ms(10)));
            start.elapsed()
        })
        .join()
        .unwrap();
        assert!(on_plain_thread >= ms(10));

        // A sleep created outside any task and awaited in a task on a worker.
        let sleep = {
            let _entered = rt.enter();
            time::sleep(ms(10))
        };
        let deadline = sleep.deadline();
        rt.block_on(rt.spawn(sleep)).unwrap();
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn timers_outside_a_runtime_panic_with_a_clear_message() {
    let attempts: [(&str, fn()); 5] = [
        ("sleep", || drop(time::sleep(ms(1)))),
        ("sleep_until", || drop(time::sleep_until(Instant::now()))),
        ("timeout", || drop(time::timeout(ms(1), async {}))),
        ("timeout_at", || {
            drop(time::timeout_at(Instant::now(), async {}))
        }),
        ("interval", || drop(time::interval(ms(1)))),
    ];
    for (what, attempt) in attempts {
        let payload =
            catch_unwind(attempt).expect_err("creating a timer outside a runtime did not panic");
        let message = panic_message(&*payload);
        assert!(
            message.contains("must be called from the context of a magpie runtime"),
            "`{what}` outside a runtime panicked with an unclear message: {message:?}"
        );
    }
}
