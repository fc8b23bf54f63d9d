//! Scheduler benchmarks: tokio's own multi-thread suite, each workload run
//! on magpie and on tokio (2 workers each) inside one criterion group, so
//! the ratio magpie/tokio comes from a single run.
//!
//! Both sides are generated from one body by `workloads!`, so they cannot
//! drift apart: only the runtime paths differ.

#[macro_use]
mod common;

use common::{magpie_rt, tokio_rt};
use criterion::{criterion_main, Criterion};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};

const NUM_SPAWN: usize = 10_000;
const NUM_YIELD_TASKS: usize = 200;
const NUM_YIELDS: usize = 1_000;
const NUM_PINGS: usize = 1_000;
const CHAIN: usize = 1_000;
const BUSY_TASKS: usize = 4;

/// Defines a module of workload functions for one runtime. `$spawn` and
/// `$yield_now` are that runtime's free functions; `$rt` its runtime type.
macro_rules! workloads {
    ($name:ident, $rt:ty, $spawn:path, $yield_now:path) => {
        mod $name {
            use super::*;

            pub fn spawn_many_local(rt: &$rt) {
                let (tx, rx) = mpsc::sync_channel(1);
                let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
                rt.block_on(async move {
                    $spawn(async move {
                        for _ in 0..NUM_SPAWN {
                            let tx = tx.clone();
                            let rem = rem.clone();
                            $spawn(async move {
                                if rem.fetch_sub(1, Relaxed) == 1 {
                                    tx.send(()).unwrap();
                                }
                            });
                        }
                    });
                    rx.recv().unwrap();
                });
            }

            pub fn spawn_many_remote(rt: &$rt) {
                let handle = rt.handle();
                let handles: Vec<_> = (0..NUM_SPAWN).map(|_| handle.spawn(async {})).collect();
                rt.block_on(async move {
                    for h in handles {
                        h.await.unwrap();
                    }
                });
            }

            /// Starts tasks that keep every worker busy until the flag drops.
            pub fn start_busy(rt: &$rt, flag: &Arc<AtomicBool>) {
                for _ in 0..BUSY_TASKS {
                    let flag = flag.clone();
                    rt.spawn(async move {
                        while flag.load(Relaxed) {
                            $yield_now().await;
                        }
                    });
                }
            }

            pub fn yield_many(rt: &$rt) {
                let (tx, rx) = mpsc::sync_channel(NUM_YIELD_TASKS);
                rt.block_on(async move {
                    for _ in 0..NUM_YIELD_TASKS {
                        let tx = tx.clone();
                        $spawn(async move {
                            for _ in 0..NUM_YIELDS {
                                $yield_now().await;
                            }
                            tx.send(()).unwrap();
                        });
                    }
                    for _ in 0..NUM_YIELD_TASKS {
                        rx.recv().unwrap();
                    }
                });
            }

            pub fn ping_pong(rt: &$rt) {
                let (done_tx, done_rx) = mpsc::sync_channel(1);
                let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
                rt.block_on(async move {
                    for _ in 0..NUM_PINGS {
                        let rem = rem.clone();
                        let done_tx = done_tx.clone();
                        $spawn(async move {
                            let (tx1, rx1) = futures::channel::oneshot::channel::<()>();
                            let (tx2, rx2) = futures::channel::oneshot::channel::<()>();
                            $spawn(async move {
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

            fn chain(done: mpsc::SyncSender<()>, n: usize) {
                if n == 0 {
                    done.send(()).unwrap();
                } else {
                    $spawn(async move { chain(done, n - 1) });
                }
            }

            pub fn chained_spawn(rt: &$rt) {
                let (done_tx, done_rx) = mpsc::sync_channel(1);
                rt.block_on(async move {
                    $spawn(async move { chain(done_tx, CHAIN) });
                    done_rx.recv().unwrap();
                });
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::spawn,
    magpie::task::yield_now
);
workloads!(
    on_tokio,
    tokio::runtime::Runtime,
    tokio::spawn,
    tokio::task::yield_now
);

fn scheduler(c: &mut Criterion) {
    pair!(c, "spawn_many_local", spawn_many_local);
    pair!(c, "spawn_many_remote_idle", spawn_many_remote);
    {
        let mut group = c.benchmark_group("spawn_many_remote_busy");
        let flag = Arc::new(AtomicBool::new(true));
        let rt = magpie_rt();
        on_magpie::start_busy(&rt, &flag);
        group.bench_function("magpie", |b| b.iter(|| on_magpie::spawn_many_remote(&rt)));
        flag.store(false, Relaxed);
        drop(rt);
        let flag = Arc::new(AtomicBool::new(true));
        let rt = tokio_rt();
        on_tokio::start_busy(&rt, &flag);
        group.bench_function("tokio", |b| b.iter(|| on_tokio::spawn_many_remote(&rt)));
        flag.store(false, Relaxed);
        drop(rt);
        group.finish();
    }
    pair!(c, "yield_many", yield_many);
    pair!(c, "ping_pong", ping_pong);
    pair!(c, "chained_spawn", chained_spawn);
}

/// Holds `benches`, the group `main` runs: `criterion_group!` makes it a `pub fn`, which
/// cannot take a doc comment, so it stays private in here.
mod group {
    criterion::criterion_group!(benches, super::scheduler);
}
criterion_main!(group::benches);
