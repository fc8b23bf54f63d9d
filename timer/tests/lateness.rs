//! Lateness of `sleep`: 200 random sleeps of 1-30 ms, each must last at least what was asked;
//! p50/p99 lateness is printed (`--nocapture`) and p99 bounded. In its own test binary so that
//! the crate's other tests (100k sleeps) do not run beside it and skew the figures.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use magpie_timer::sleep;
use support::{Rng, TestDriver};

const MS: Duration = Duration::from_millis(1);

#[test]
fn random_sleeps_never_complete_early_and_are_rarely_late() {
    let driver = Arc::new(TestDriver::start(2));
    let mut lateness: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|shard| {
                let driver = &driver;
                scope.spawn(move || {
                    let mut rng = Rng::new(0x5eed + shard as u64);
                    let sleeps: FuturesUnordered<_> = (0..100)
                        .map(|_| {
                            let requested = Duration::from_millis(1 + rng.below(30));
                            async move {
                                let start = Instant::now();
                                sleep(requested).await;
                                (requested, start.elapsed())
                            }
                        })
                        .collect();
                    driver.block_on(shard, sleeps.collect::<Vec<_>>())
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .map(|(requested, actual)| {
                assert!(
                    actual >= requested,
                    "slept {actual:?} < requested {requested:?}"
                );
                actual - requested
            })
            .collect()
    });
    assert_eq!(lateness.len(), 200);
    let p50 = support::quantile(&mut lateness, 0.5);
    let p99 = support::quantile(&mut lateness, 0.99);
    println!("sleep lateness over 200 sleeps of 1-30 ms: p50 {p50:?}, p99 {p99:?}");
    assert!(p99 < 20 * MS, "p99 lateness {p99:?}");
}
