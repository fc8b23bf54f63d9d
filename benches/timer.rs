//! Timer benchmarks: each workload run on magpie and on tokio (2 workers
//! each) inside one criterion group, so the ratio magpie/tokio comes from a
//! single run.
//!
//! Both sides are generated from one body by `workloads!`, so they cannot
//! drift apart: only the runtime paths differ.
//!
//! - `timeout_cancel`: tasks whose `timeout` is armed and then cancelled,
//!   the common case of a deadline around work that finishes in time.
//! - `sleeps_fire`: many sleeps spread over a few milliseconds, all firing.
//! - `sleep_reset`: one task pushes a pending sleep's deadline back again
//!   and again, as an idle timeout does on every read.

#[macro_use]
mod common;

use criterion::{criterion_main, Criterion};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const NUM_TIMEOUTS: usize = 20_000;
const NUM_SLEEPS: usize = 20_000;
/// Sleeps last 1 to `SLEEP_SPREAD_MS` ms, evenly spread.
const SLEEP_SPREAD_MS: u64 = 16;
const NUM_RESETS: usize = 100_000;
/// Far enough that no timer of these workloads fires unless meant to.
const FAR: Duration = Duration::from_secs(10);

/// Defines a module of workload functions for one runtime: `$rt` is its
/// runtime type, the rest its free functions and its `Instant` type.
macro_rules! workloads {
    (
        $name:ident,
        $rt:ty,
        $spawn:path,
        $yield_now:path,
        $sleep:path,
        $timeout:path,
        $instant:ty
    ) => {
        mod $name {
            use super::*;

            /// Spawns `tasks` tasks from inside a task (so each lands on a
            /// worker, and its timer in that worker's wheel), each running
            /// `make(i)`, and waits until all are done.
            fn spawn_all_and_wait<F, Fut>(rt: &$rt, tasks: usize, make: F)
            where
                F: Fn(usize) -> Fut + Send + 'static,
                Fut: Future<Output = ()> + Send + 'static,
            {
                let (done_tx, done_rx) = mpsc::sync_channel(1);
                let remaining = Arc::new(AtomicUsize::new(tasks));
                rt.block_on(async move {
                    $spawn(async move {
                        for i in 0..tasks {
                            let remaining = remaining.clone();
                            let done_tx = done_tx.clone();
                            let work = make(i);
                            $spawn(async move {
                                work.await;
                                if remaining.fetch_sub(1, Relaxed) == 1 {
                                    done_tx.send(()).unwrap();
                                }
                            });
                        }
                    });
                    done_rx.recv().unwrap();
                });
            }

            pub fn timeout_cancel(rt: &$rt) {
                spawn_all_and_wait(rt, NUM_TIMEOUTS, |_| async {
                    // Pending on the first poll, so the deadline is armed;
                    // ready on the second, so it is cancelled.
                    $timeout(FAR, $yield_now()).await.unwrap();
                });
            }

            pub fn sleeps_fire(rt: &$rt) {
                spawn_all_and_wait(rt, NUM_SLEEPS, |i| async move {
                    let millis = 1 + i as u64 % SLEEP_SPREAD_MS;
                    $sleep(Duration::from_millis(millis)).await;
                });
            }

            pub fn sleep_reset(rt: &$rt) {
                rt.block_on(rt.spawn(async {
                    let mut sleep = std::pin::pin!($sleep(FAR));
                    for _ in 0..NUM_RESETS {
                        // Poll (arm, or refresh the waker), then push back.
                        std::future::poll_fn(|cx| {
                            assert!(sleep.as_mut().poll(cx).is_pending());
                            std::task::Poll::Ready(())
                        })
                        .await;
                        sleep.as_mut().reset(<$instant>::now() + FAR);
                    }
                }))
                .unwrap();
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::spawn,
    magpie::task::yield_now,
    magpie::time::sleep,
    magpie::time::timeout,
    magpie::time::Instant
);
workloads!(
    on_tokio,
    tokio::runtime::Runtime,
    tokio::spawn,
    tokio::task::yield_now,
    tokio::time::sleep,
    tokio::time::timeout,
    tokio::time::Instant
);

fn timers(c: &mut Criterion) {
    pair!(c, "timeout_cancel", timeout_cancel);
    pair!(c, "sleeps_fire", sleeps_fire);
    pair!(c, "sleep_reset", sleep_reset);
}

/// Holds `benches`, the group `main` runs: `criterion_group!` makes it a `pub fn`, which
/// cannot take a doc comment, so it stays private in here.
mod group {
    use super::{Criterion, Duration};

    criterion::criterion_group! {
        name = benches;
        // Six functions in about a minute.
        config = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        targets = super::timers
    }
}
criterion_main!(group::benches);
