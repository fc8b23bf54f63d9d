//! Cost of the arm-then-cancel path (a `timeout` whose future is pending on the first poll and
//! completes on the second, as in a request with a deadline) from two threads, with one shard
//! per thread versus both threads on one shared shard (tokio's single-lock layout). A
//! measurement, not a check: run with
//! `cargo test --release -p magpie-timer --test contention -- --ignored --nocapture`.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use magpie_timer::timeout;
use support::{CountingWaker, TestDriver};

/// Pending on its first poll, ready on the second.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Wall time per arm+cancel, over all threads (`shard_of_thread[i]` is thread i's shard).
fn arm_cancel_ns_per_op(shards: usize, shard_of_thread: &[usize], iterations: u32) -> f64 {
    let driver = TestDriver::start(shards);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for &shard in shard_of_thread {
            let driver = &driver;
            scope.spawn(move || {
                let _guard = driver.enter(shard);
                let (_counter, waker) = CountingWaker::new();
                let mut cx = Context::from_waker(&waker);
                for _ in 0..iterations {
                    let mut guarded =
                        std::pin::pin!(timeout(Duration::from_secs(10), YieldOnce(false)));
                    assert!(guarded.as_mut().poll(&mut cx).is_pending());
                    assert!(guarded.as_mut().poll(&mut cx).is_ready());
                }
            });
        }
    });
    let ops = iterations as usize * shard_of_thread.len();
    let per_op = start.elapsed().as_nanos() as f64 / ops as f64;
    assert_eq!(driver.handle().armed_timers(), 0);
    per_op
}

#[test]
#[ignore = "measurement; run in release with --nocapture"]
fn arm_and_cancel_from_two_threads_sharded_versus_shared() {
    const ITERATIONS: u32 = 1_000_000;
    for round in 0..3 {
        let alone = arm_cancel_ns_per_op(1, &[0], ITERATIONS);
        let sharded = arm_cancel_ns_per_op(2, &[0, 1], ITERATIONS);
        let shared = arm_cancel_ns_per_op(1, &[0, 0], ITERATIONS);
        println!(
            "round {round}: timeout arm+cancel: 1 thread {alone:.1} ns/op; 2 threads \
             {sharded:.1} ns/op with a shard each, {shared:.1} ns/op sharing one shard"
        );
    }
}
