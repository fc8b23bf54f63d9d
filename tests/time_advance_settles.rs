//! `time::advance` lets the other tasks settle, on both runtime flavors:
//! tasks spawned just before it run (and set their timers against the old
//! time) before the clock moves, the tasks the due timers woke have run when
//! it returns, and a task that never stops (looping on `yield_now`, or
//! blocking its thread) delays it only boundedly.

mod common;

use magpie::runtime::{Builder, Runtime};
use magpie::sync::mpsc;
use magpie::time::{self, Duration, Instant};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

fn paused_runtimes() -> Vec<(String, Runtime)> {
    common::paused_runtimes(&[2, 4])
}

/// Sleepers spawned right before `advance` (no yield between) sleep from the
/// time before the move: after `advance(1.5 s)` the 1 s one has fired (and
/// its task has run), the others fire at 2 s and 3 s, in order. Without the
/// settling, the multi-thread runtime's workers polled some of them after the
/// move (deadlines 2.5 s, 3.5 s, 4.5 s) and they came out of order.
#[test]
fn tasks_spawned_before_advance_time_their_sleeps_from_before_it() {
    for (flavor, rt) in paused_runtimes() {
        rt.block_on(async {
            for round in 0..30 {
                let start = Instant::now();
                let (tx, mut rx) = mpsc::unbounded_channel();
                for secs in [3, 1, 2] {
                    let tx = tx.clone();
                    magpie::spawn(async move {
                        time::sleep(Duration::from_secs(secs)).await;
                        tx.send((secs, Instant::now() - start)).unwrap();
                    });
                }
                drop(tx);
                time::advance(Duration::from_millis(1500)).await;
                assert_eq!(
                    rx.try_recv().ok(),
                    Some((1, Duration::from_millis(1500))),
                    "{flavor}, round {round}: the due sleeper ran before advance returned"
                );
                assert!(rx.try_recv().is_err(), "{flavor}, round {round}");
                assert_eq!(
                    rx.recv().await,
                    Some((2, Duration::from_secs(2))),
                    "{flavor}"
                );
                assert_eq!(
                    rx.recv().await,
                    Some((3, Duration::from_secs(3))),
                    "{flavor}"
                );
                assert_eq!(rx.recv().await, None, "{flavor}");
            }
        });
    }
}

/// The same from inside a task (the caller then occupies a worker of the
/// multi-thread runtime), with the sleepers spawned from another task.
#[test]
fn advance_from_a_task_waits_for_the_tasks_on_other_workers() {
    for (flavor, rt) in paused_runtimes() {
        let result = rt.block_on(async {
            magpie::spawn(async move {
                for round in 0..30 {
                    let start = Instant::now();
                    let (tx, mut rx) = mpsc::unbounded_channel();
                    // A spawner task spawns the sleepers: two hops away.
                    magpie::spawn(async move {
                        for secs in [2, 1] {
                            let tx = tx.clone();
                            magpie::spawn(async move {
                                time::sleep(Duration::from_secs(secs)).await;
                                tx.send(secs).unwrap();
                            });
                        }
                    });
                    time::advance(Duration::from_millis(1500)).await;
                    eprintln!(
                        "{flavor} round {round} advanced {:?}",
                        Instant::now() - start
                    );
                    assert_eq!(rx.try_recv().ok(), Some(1), "{flavor}, round {round}");
                    assert!(rx.try_recv().is_err(), "{flavor}, round {round}");
                    assert_eq!(rx.recv().await, Some(2), "{flavor}, round {round}");
                    assert_eq!(Instant::now() - start, Duration::from_secs(2), "{flavor}");
                }
            })
            .await
        });
        result.unwrap();
    }
}

/// A task that never waits (it loops on `yield_now`) keeps the runtime busy
/// for good: `advance` still moves the clock and returns, after its bounded
/// wait, and timers fire.
#[test]
fn a_task_that_never_waits_delays_advance_only_boundedly() {
    for (flavor, rt) in paused_runtimes() {
        let real = std::time::Instant::now();
        rt.block_on(async {
            let stop = Arc::new(AtomicBool::new(false));
            let spinner = {
                let stop = stop.clone();
                magpie::spawn(async move {
                    while !stop.load(SeqCst) {
                        magpie::task::yield_now().await;
                    }
                })
            };
            let sleep = magpie::spawn(time::sleep(Duration::from_secs(10)));
            for _ in 0..3 {
                time::advance(Duration::from_secs(5)).await;
            }
            assert!(sleep.is_finished(), "{flavor}");
            stop.store(true, SeqCst);
            spinner.await.unwrap();
        });
        assert!(
            real.elapsed() < std::time::Duration::from_secs(5),
            "{flavor}: three advances took {:?}",
            real.elapsed()
        );
    }
}

/// A task that blocks its worker's thread until the caller has advanced
/// makes no polls: `advance` gives up waiting after its real-time bound
/// instead of hanging.
#[test]
fn a_task_blocking_its_thread_does_not_hang_advance() {
    let rt = Builder::new()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap();
    let real = std::time::Instant::now();
    rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let blocked = magpie::spawn(async move { rx.recv().unwrap() });
        // Let it start blocking.
        while real.elapsed() < std::time::Duration::from_millis(50) {
            magpie::task::yield_now().await;
        }
        time::advance(Duration::from_secs(1)).await;
        tx.send(()).unwrap();
        blocked.await.unwrap();
    });
    let took = real.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(10),
        "advance gave up after {took:?}, not after its bound of about a second"
    );
}
