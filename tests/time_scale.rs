//! Many timers at once on a real runtime: 100,000 concurrent sleeps, spread
//! over the first two wheel levels, all complete and none early. Kept in its
//! own test binary because it loads both cores for a moment, which would
//! skew the lateness that other timer tests measure.

mod common;

use common::{runtime, with_timeout, HANG_LIMIT};
use magpie::time::{self, Duration, Instant};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// The sleep of task `i`: 1-20 ms (the lowest wheel level), and every tenth
/// task 65-84 ms (past the 64 slots of the lowest level, so those timers
/// cascade down before they fire).
fn requested(i: u64) -> Duration {
    let base = 1 + i % 20;
    Duration::from_millis(if i.is_multiple_of(10) {
        base + 64
    } else {
        base
    })
}

#[test]
fn a_hundred_thousand_concurrent_sleeps_all_complete_and_none_early() {
    const SLEEPS: u64 = 100_000;
    let early = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let (early_count, done_count) = (early.clone(), done.clone());
    let took = with_timeout(HANG_LIMIT, move || {
        runtime(2).block_on(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..SLEEPS)
                .map(|i| {
                    let (early, done) = (early_count.clone(), done_count.clone());
                    magpie::spawn(async move {
                        let requested = requested(i);
                        let slept_from = Instant::now();
                        time::sleep(requested).await;
                        if slept_from.elapsed() < requested {
                            early.fetch_add(1, SeqCst);
                        }
                        done.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            start.elapsed()
        })
    });
    println!("{SLEEPS} concurrent sleeps of 1-84 ms completed in {took:?}");
    assert_eq!(done.load(SeqCst), SLEEPS as usize);
    assert_eq!(early.load(SeqCst), 0, "some sleeps completed early");
}
