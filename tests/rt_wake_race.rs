//! Wakes from plain std threads racing a task's poll and its completion,
//! repeated many times on 1 and 2 workers. A lost wakeup shows up as a
//! hang (caught by `with_timeout`), a double poll or use-after-free as a
//! panic or crash.
//!
//! The long version is ignored by default; run it with
//! `cargo test --test rt_wake_race -- --ignored`.

mod common;

use common::{runtime, with_timeout, HANG_LIMIT};
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

/// What a racing task hands to a plain waker thread.
struct WakeJob {
    waker: Waker,
    /// Set by the waker thread just before waking: the task may complete.
    ready: Arc<AtomicBool>,
}

/// Tasks that race at once (each runs its share of the races in sequence).
const RACERS: usize = 4;

/// Runs `races` races on a runtime with `workers` workers. Each race is a
/// fresh task that hands a clone of its waker to a plain thread and then
/// either
/// - (even races) waits until that thread sets `ready` and wakes it: the
///   wake races the task's own return of `Pending` (a lost wakeup hangs), or
/// - (odd races) completes on its own after one yield: the wakes race the
///   completion, and the last waker reference may be dropped by the plain
///   thread after the task finished.
///
/// The plain thread wakes twice (by reference, then by value), so some
/// wakes land on a running, some on an idle, some on a completed task.
fn race_wakes(workers: usize, races: usize) {
    with_timeout(HANG_LIMIT * 2, move || {
        let rt = runtime(workers);
        let wakes_done = Arc::new(AtomicUsize::new(0));
        let mut senders = Vec::new();
        let mut wake_threads = Vec::new();
        for _ in 0..2 {
            let (tx, rx) = mpsc::channel::<WakeJob>();
            senders.push(tx);
            let wakes_done = wakes_done.clone();
            wake_threads.push(thread::spawn(move || {
                for job in rx {
                    job.ready.store(true, SeqCst);
                    job.waker.wake_by_ref();
                    job.waker.wake();
                    wakes_done.fetch_add(1, SeqCst);
                }
            }));
        }

        let racers: Vec<_> = (0..RACERS)
            .map(|r| {
                let senders = senders.clone();
                rt.spawn(async move {
                    for i in (r..races).step_by(RACERS) {
                        let tx = senders[i % senders.len()].clone();
                        let ready = Arc::new(AtomicBool::new(false));
                        let must_wait = i % 2 == 0;
                        let target = magpie::spawn(async move {
                            let mut sent = false;
                            poll_fn(|cx| {
                                if !sent {
                                    sent = true;
                                    tx.send(WakeJob {
                                        waker: cx.waker().clone(),
                                        ready: ready.clone(),
                                    })
                                    .unwrap();
                                    if !must_wait {
                                        // Complete on the next poll, which
                                        // this wake asks for.
                                        cx.waker().wake_by_ref();
                                    }
                                    return Poll::Pending;
                                }
                                if !must_wait || ready.load(SeqCst) {
                                    Poll::Ready(i)
                                } else {
                                    Poll::Pending
                                }
                            })
                            .await
                        });
                        assert_eq!(target.await.unwrap(), i);
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for racer in racers {
                racer.await.unwrap();
            }
        });
        drop(senders);
        for t in wake_threads {
            t.join().unwrap();
        }
        assert_eq!(wakes_done.load(SeqCst), races);
        // Every waker was dropped by now; shutting down must not trip on
        // any task left behind.
        drop(rt);
    });
}

/// What the plain thread does with a task's `JoinHandle` while the task is
/// completing on a worker.
#[derive(Clone, Copy)]
enum HandleFate {
    Drop,
    AbortThenDrop,
    AbortThenAwait,
    Await,
}

/// Races a `JoinHandle` drop or abort (from a plain thread) against the
/// task's completion. Whatever wins, each future is dropped exactly once,
/// each produced output is dropped exactly once, an awaited handle yields
/// the output or a cancellation, and nothing leaks.
fn race_handles(workers: usize, races: usize) {
    with_timeout(HANG_LIMIT * 2, move || {
        let probe = Arc::new(());
        let held = probe.clone();
        let rt = magpie::runtime::Builder::new()
            .worker_threads(workers)
            .on_thread_start(move || {
                let _ = &held;
            })
            .build()
            .unwrap();
        let future_drops = Arc::new(AtomicUsize::new(0));
        let outputs_made = Arc::new(AtomicUsize::new(0));
        let output_drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel::<(magpie::task::JoinHandle<DropCount>, HandleFate, usize)>();
        let handler = thread::spawn(move || {
            for (handle, fate, i) in rx {
                match fate {
                    HandleFate::Drop => drop(handle),
                    HandleFate::AbortThenDrop => {
                        handle.abort();
                        drop(handle);
                    }
                    HandleFate::AbortThenAwait | HandleFate::Await => {
                        if let HandleFate::AbortThenAwait = fate {
                            handle.abort();
                        }
                        match futures::executor::block_on(handle) {
                            Ok(output) => assert_eq!(output.1, i),
                            Err(e) => {
                                assert!(e.is_cancelled(), "race {i}: {e:?}");
                                assert!(matches!(fate, HandleFate::AbortThenAwait));
                            }
                        }
                    }
                }
            }
        });
        let fates = [
            HandleFate::Drop,
            HandleFate::AbortThenDrop,
            HandleFate::AbortThenAwait,
            HandleFate::Await,
        ];
        for i in 0..races {
            let guard = DropCount(future_drops.clone(), i);
            let (made, drops) = (outputs_made.clone(), output_drops.clone());
            let handle = rt.spawn(async move {
                let _guard = guard;
                for _ in 0..(i % 3) {
                    magpie::task::yield_now().await;
                }
                made.fetch_add(1, SeqCst);
                DropCount(drops, i)
            });
            tx.send((handle, fates[i % fates.len()], i)).unwrap();
        }
        drop(tx);
        handler.join().unwrap();
        drop(rt);
        assert_eq!(
            future_drops.load(SeqCst),
            races,
            "a future was not dropped exactly once"
        );
        assert_eq!(
            output_drops.load(SeqCst),
            outputs_made.load(SeqCst),
            "an output was not dropped exactly once"
        );
        assert_eq!(Arc::strong_count(&probe), 1, "a task allocation leaked");
    });
}

/// Counts its drops; carries the race number.
struct DropCount(Arc<AtomicUsize>, usize);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn join_handle_drop_and_abort_race_completion_10k_times_on_1_worker() {
    race_handles(1, 10_000);
}

#[test]
fn join_handle_drop_and_abort_race_completion_10k_times_on_2_workers() {
    race_handles(2, 10_000);
}

#[test]
#[ignore = "stress: cargo test --test rt_wake_race -- --ignored"]
fn join_handle_drop_and_abort_race_completion_stress() {
    for workers in [1, 2, 3, 4] {
        race_handles(workers, 500_000);
    }
}

#[test]
fn wakes_from_std_threads_race_completion_10k_times_on_1_worker() {
    race_wakes(1, 10_000);
}

#[test]
fn wakes_from_std_threads_race_completion_10k_times_on_2_workers() {
    race_wakes(2, 10_000);
}

#[test]
#[ignore = "stress: cargo test --test rt_wake_race -- --ignored"]
fn wakes_from_std_threads_race_completion_stress() {
    for workers in [1, 2, 3, 4] {
        race_wakes(workers, 500_000);
    }
}

/// A task parked on a waker that a plain thread wakes exactly once, while
/// the task is being polled on another thread, must always be re-polled.
#[test]
fn single_wake_during_poll_is_never_lost() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        rt.block_on(async {
            for _ in 0..2_000 {
                let ready = Arc::new(AtomicBool::new(false));
                let ready2 = ready.clone();
                let mut started = false;
                let task = magpie::spawn(poll_fn(move |cx| {
                    if ready2.load(SeqCst) {
                        return Poll::Ready(());
                    }
                    if !started {
                        started = true;
                        let waker = cx.waker().clone();
                        let ready = ready2.clone();
                        // The wake lands while this poll is still running
                        // (the sleep keeps it running a little).
                        thread::spawn(move || {
                            ready.store(true, SeqCst);
                            waker.wake();
                        });
                        thread::sleep(Duration::from_micros(50));
                    }
                    Poll::Pending
                }));
                task.await.unwrap();
                assert!(ready.load(SeqCst));
            }
        });
    });
}
