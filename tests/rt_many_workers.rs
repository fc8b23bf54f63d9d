//! More workers than cores: every task spawned or woken runs exactly once
//! while workers steal from each other, a worker's run queue overflows into
//! the global queue, and tasks arrive from outside the runtime, with 1, 3, 8
//! and 16 workers on whatever cores the machine has.

mod common;

use common::{runtime, with_timeout, HANG_LIMIT};
use magpie::task;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

const WORKERS: [usize; 4] = [1, 3, 8, 16];

/// Tasks spawned from outside, each spawning a few children from its worker
/// and awaiting them, children yielding a little: all run, once each.
#[test]
fn spawned_trees_run_every_task_once_on_any_number_of_workers() {
    with_timeout(HANG_LIMIT, || {
        for workers in WORKERS {
            let rt = runtime(workers);
            for _ in 0..5 {
                let ran = Arc::new(AtomicUsize::new(0));
                let count = ran.clone();
                rt.block_on(async move {
                    let parents: Vec<_> = (0..1000usize)
                        .map(|i| {
                            let count = count.clone();
                            magpie::spawn(async move {
                                let children: Vec<_> = (0..i % 7)
                                    .map(|j| {
                                        let count = count.clone();
                                        magpie::spawn(async move {
                                            for _ in 0..j % 3 {
                                                task::yield_now().await;
                                            }
                                            count.fetch_add(1, SeqCst);
                                        })
                                    })
                                    .collect();
                                for child in children {
                                    child.await.unwrap();
                                }
                                task::yield_now().await;
                                count.fetch_add(1, SeqCst);
                            })
                        })
                        .collect();
                    for parent in parents {
                        parent.await.unwrap();
                    }
                });
                let expected: usize = (0..1000).map(|i| 1 + i % 7).sum();
                assert_eq!(ran.load(SeqCst), expected, "{workers} workers");
            }
        }
    });
}

/// One task spawns far more tasks than a worker's run queue holds, all from
/// its worker, then each of them yields once: the overflow goes through the
/// global queue, and still every task runs to the end exactly once.
#[test]
fn a_burst_larger_than_a_run_queue_loses_no_task() {
    const BURST: usize = 5000;
    with_timeout(HANG_LIMIT, || {
        for workers in WORKERS {
            let rt = runtime(workers);
            let finished = Arc::new(AtomicUsize::new(0));
            let count = finished.clone();
            let spawned = rt.block_on(async move {
                magpie::spawn(async move {
                    let tasks: Vec<_> = (0..BURST)
                        .map(|_| {
                            let count = count.clone();
                            magpie::spawn(async move {
                                task::yield_now().await;
                                count.fetch_add(1, SeqCst)
                            })
                        })
                        .collect();
                    let mut seen = Vec::with_capacity(BURST);
                    for task in tasks {
                        seen.push(task.await.unwrap());
                    }
                    seen
                })
                .await
                .unwrap()
            });
            assert_eq!(finished.load(SeqCst), BURST, "{workers} workers");
            // Each task saw a distinct count: none ran its end twice.
            let mut seen = spawned;
            seen.sort_unstable();
            assert_eq!(seen, (0..BURST).collect::<Vec<_>>(), "{workers} workers");
        }
    });
}
