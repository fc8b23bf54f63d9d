//! `spawn_blocking`: the bounded pool runs every job, never more than
//! `max_blocking_threads` at once, lets idle threads exit after
//! `thread_keep_alive`, cancels jobs that never started, and runs in the
//! runtime's context.

mod common;

use common::{panic_message, wait_until, with_timeout, ThreadCounters, HANG_LIMIT};
use magpie::runtime::{Builder, Handle};
use magpie::task;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn spawn_blocking_returns_the_closures_output() {
    let rt = common::runtime(2);
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 6 * 7)).unwrap(), 42);
    assert_eq!(
        rt.block_on(rt.handle().spawn_blocking(|| "h")).unwrap(),
        "h"
    );
    let inside = rt.block_on(rt.spawn(async {
        task::spawn_blocking(|| thread::current().id())
            .await
            .unwrap()
    }));
    assert_ne!(inside.unwrap(), thread::current().id());
}

#[test]
fn max_blocking_threads_1_runs_100_jobs_one_at_a_time() {
    with_timeout(HANG_LIMIT, || {
        let rt = Builder::new()
            .worker_threads(2)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let max_running = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(HashSet::new()));
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let (running, max_running, threads) =
                    (running.clone(), max_running.clone(), threads.clone());
                rt.spawn_blocking(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    max_running.fetch_max(now, SeqCst);
                    threads.lock().unwrap().insert(thread::current().id());
                    // Long enough for a second thread, were there one, to
                    // overlap with this job.
                    thread::sleep(Duration::from_micros(200));
                    running.fetch_sub(1, SeqCst);
                    i
                })
            })
            .collect();
        let outputs: Vec<usize> = rt.block_on(async {
            let mut outputs = Vec::new();
            for h in handles {
                outputs.push(h.await.unwrap());
            }
            outputs
        });
        assert_eq!(outputs, (0..100).collect::<Vec<_>>());
        assert_eq!(max_running.load(SeqCst), 1, "more than one job ran at once");
        assert_eq!(
            threads.lock().unwrap().len(),
            1,
            "more than one blocking thread"
        );
    });
}

#[test]
fn the_pool_grows_beyond_one_thread_on_demand() {
    with_timeout(HANG_LIMIT, || {
        let rt = common::runtime(1);
        // 4 jobs that all wait for each other can only finish if they run at
        // the same time, on 4 threads.
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let barrier = barrier.clone();
                rt.spawn_blocking(move || {
                    barrier.wait();
                    thread::current().id()
                })
            })
            .collect();
        let ids: HashSet<_> = rt.block_on(async {
            let mut ids = HashSet::new();
            for h in handles {
                ids.insert(h.await.unwrap());
            }
            ids
        });
        assert_eq!(ids.len(), 4);
    });
}

#[test]
fn idle_blocking_threads_exit_after_thread_keep_alive() {
    with_timeout(HANG_LIMIT, || {
        const KEEP_ALIVE: Duration = Duration::from_millis(100);
        let stops = Arc::new(Mutex::new(Vec::<(Option<String>, Instant)>::new()));
        let stops2 = stops.clone();
        let counters = ThreadCounters::default();
        let mut builder = Builder::new();
        builder
            .worker_threads(1)
            .thread_name("mp-keepalive")
            .thread_keep_alive(KEEP_ALIVE);
        counters.install(&mut builder);
        // Replaces the counting stop callback with one that also records
        // when and where it ran.
        let stopped = counters.stopped.clone();
        builder.on_thread_stop(move || {
            stops2
                .lock()
                .unwrap()
                .push((thread::current().name().map(str::to_owned), Instant::now()));
            stopped.fetch_add(1, SeqCst);
        });
        let rt = builder.build().unwrap();

        let job_end = rt
            .block_on(rt.spawn_blocking(|| {
                thread::sleep(Duration::from_millis(5));
                Instant::now()
            }))
            .unwrap();
        wait_until(
            "the idle blocking thread exits",
            Duration::from_secs(5),
            || counters.stopped() == 1,
        );
        let (name, stopped_at) = stops.lock().unwrap()[0].clone();
        assert_eq!(name.as_deref(), Some("mp-keepalive"));
        let idle_for = stopped_at.duration_since(job_end);
        assert!(
            idle_for >= KEEP_ALIVE,
            "the thread exited after idling only {idle_for:?}"
        );
        assert_eq!(counters.started(), 2, "1 worker + 1 blocking thread");

        // The pool starts a fresh thread for the next job.
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
        assert_eq!(counters.started(), 3);
        drop(rt);
        assert_eq!(counters.stopped(), 3);
    });
}

#[test]
fn with_the_default_keep_alive_an_idle_blocking_thread_stays() {
    let counters = ThreadCounters::default();
    let mut builder = Builder::new();
    builder.worker_threads(1);
    counters.install(&mut builder);
    let rt = builder.build().unwrap();
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    // The default keep-alive is 10 s: nothing exits in the next 200 ms.
    thread::sleep(Duration::from_millis(200));
    assert_eq!(counters.stopped(), 0);
    assert_eq!(counters.started(), 2);
    drop(rt);
    assert_eq!(
        counters.stopped(),
        2,
        "drop stops the idle blocking thread too"
    );
}

#[test]
fn a_queued_blocking_job_can_be_aborted_before_it_starts() {
    with_timeout(HANG_LIMIT, || {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let first = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            1
        });
        started_rx.recv().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let ran2 = ran.clone();
        let queued = rt.spawn_blocking(move || ran2.store(true, SeqCst));
        queued.abort();
        // A running job cannot be interrupted: aborting it changes nothing.
        first.abort();
        release_tx.send(()).unwrap();
        assert_eq!(
            rt.block_on(first).unwrap(),
            1,
            "a started job runs to completion"
        );
        assert!(rt.block_on(queued).unwrap_err().is_cancelled());
        // The pool's thread is free again and the cancelled job never ran.
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 2)).unwrap(), 2);
        assert!(!ran.load(SeqCst));
    });
}

#[test]
fn blocking_jobs_queued_at_shutdown_are_cancelled() {
    with_timeout(HANG_LIMIT, || {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let first = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(100));
        });
        started_rx.recv().unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let queued: Vec<_> = (0..10)
            .map(|_| {
                let ran = ran.clone();
                rt.spawn_blocking(move || {
                    ran.fetch_add(1, SeqCst);
                })
            })
            .collect();
        drop(rt);
        assert!(
            futures::executor::block_on(first).is_ok(),
            "the running job finished"
        );
        assert_eq!(ran.load(SeqCst), 0, "a queued job started during shutdown");
        for h in queued {
            assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
        }
    });
}

#[test]
fn a_panicking_blocking_job_is_a_panic_join_error() {
    let rt = Builder::new()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let err = rt
        .block_on(rt.spawn_blocking(|| panic!("blocking boom")))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(err.into_panic().as_ref()), "blocking boom");
    // The single pool thread survived (or was replaced): jobs still run.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).unwrap(), 5);
}

#[test]
fn blocking_jobs_run_in_the_runtime_context() {
    let rt = Builder::new()
        .worker_threads(1)
        .thread_name("mp-blk-ctx")
        .build()
        .unwrap();
    let (name, has_handle, spawned, id_matches) = rt.block_on(async {
        let job = task::spawn_blocking(|| {
            let name = thread::current().name().map(str::to_owned);
            let has_handle = Handle::try_current().is_ok();
            // Spawning from a blocking thread reaches the runtime.
            let spawned = Handle::current().block_on(magpie::spawn(async { 4 }));
            (name, has_handle, spawned.unwrap(), task::try_id())
        });
        let id = job.id();
        let (name, has_handle, spawned, job_id) = job.await.unwrap();
        (name, has_handle, spawned, job_id == Some(id))
    });
    assert_eq!(name.as_deref(), Some("mp-blk-ctx"));
    assert!(has_handle);
    assert_eq!(spawned, 4);
    assert!(
        id_matches,
        "task::try_id() inside a blocking job is the job's id"
    );
}

#[test]
#[should_panic(expected = "must be called from the context of a magpie runtime")]
fn spawn_blocking_outside_a_runtime_panics() {
    drop(task::spawn_blocking(|| ()));
}

#[test]
fn max_blocking_threads_caps_a_larger_pool() {
    with_timeout(HANG_LIMIT, || {
        const CAP: usize = 4;
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(CAP)
            .build()
            .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let max_running = Arc::new(AtomicUsize::new(0));
        // The first CAP jobs can only pass the barrier together, so the cap
        // is reached; the rest check it is never exceeded.
        let barrier = Arc::new(std::sync::Barrier::new(CAP));
        let handles: Vec<_> = (0..60)
            .map(|i| {
                let (running, max_running, barrier) =
                    (running.clone(), max_running.clone(), barrier.clone());
                rt.spawn_blocking(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    max_running.fetch_max(now, SeqCst);
                    if i < CAP {
                        barrier.wait();
                    }
                    thread::sleep(Duration::from_micros(300));
                    running.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        rt.block_on(async {
            for h in handles {
                h.await.unwrap();
            }
        });
        assert_eq!(max_running.load(SeqCst), CAP);
    });
}
