//! Scheduler workloads of `benches/scheduler.rs` (magpie's side) as a plain
//! binary, for counting instructions with callgrind: `probe WORKLOAD ITERS
//! [WORKERS]` runs WORKLOAD ITERS times on a runtime with WORKERS workers
//! (default 1: one worker keeps the count repeatable). Built against any
//! tree's runtime by `scripts/callgrind_cost.sh`, which compares two trees.

use magpie_runtime as m;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};

fn chain(done: mpsc::SyncSender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        m::spawn(async move { chain(done, n - 1) });
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    const USAGE: &str = "usage: probe WORKLOAD ITERS [WORKERS]";
    let which = args.next().expect(USAGE);
    let iters: usize = args.next().and_then(|n| n.parse().ok()).expect(USAGE);
    let workers: usize = args.next().map_or(1, |w| w.parse().expect(USAGE));
    let rt = m::runtime::Builder::new()
        .worker_threads(workers)
        .build()
        .unwrap();
    for _ in 0..iters {
        match which.as_str() {
            "chained_spawn" => {
                let (tx, rx) = mpsc::sync_channel(1);
                rt.block_on(async move {
                    m::spawn(async move { chain(tx, 1000) });
                    rx.recv().unwrap();
                });
            }
            "yield_many" => {
                let (tx, rx) = mpsc::sync_channel(200);
                rt.block_on(async move {
                    for _ in 0..200 {
                        let tx = tx.clone();
                        m::spawn(async move {
                            for _ in 0..1000 {
                                m::task::yield_now().await;
                            }
                            tx.send(()).unwrap();
                        });
                    }
                    for _ in 0..200 {
                        rx.recv().unwrap();
                    }
                });
            }
            "spawn_many_remote" => {
                // 10k tasks spawned from outside the runtime (the injector),
                // then awaited.
                let handles: Vec<_> = (0..10_000).map(|_| rt.spawn(async {})).collect();
                rt.block_on(async move {
                    for handle in handles {
                        handle.await.unwrap();
                    }
                });
            }
            "spawn_many_local" => {
                let (tx, rx) = mpsc::sync_channel(1);
                let rem = Arc::new(AtomicUsize::new(10_000));
                rt.block_on(async move {
                    m::spawn(async move {
                        for _ in 0..10_000 {
                            let tx = tx.clone();
                            let rem = rem.clone();
                            m::spawn(async move {
                                if rem.fetch_sub(1, Relaxed) == 1 {
                                    tx.send(()).unwrap();
                                }
                            });
                        }
                    });
                    rx.recv().unwrap();
                });
            }
            "ping_pong" => {
                let (done_tx, done_rx) = mpsc::sync_channel(1);
                let rem = Arc::new(AtomicUsize::new(1000));
                rt.block_on(async move {
                    for _ in 0..1000 {
                        let rem = rem.clone();
                        let done_tx = done_tx.clone();
                        m::spawn(async move {
                            let (tx1, rx1) = futures::channel::oneshot::channel::<()>();
                            let (tx2, rx2) = futures::channel::oneshot::channel::<()>();
                            m::spawn(async move {
                                rx1.await.unwrap();
                                tx2.send(()).unwrap();
                            });
                            tx1.send(()).unwrap();
                            rx2.await.unwrap();
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                done_tx.send(()).unwrap();
                            }
                        });
                    }
                    done_rx.recv().unwrap();
                });
            }
            other => panic!("unknown workload {other:?} (spawn_many_local, spawn_many_remote, yield_many, ping_pong, chained_spawn)"),
        }
    }
}
