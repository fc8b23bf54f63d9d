//! Panics in tasks: `JoinError`'s API for them, the worker thread that
//! survives them, and panicking destructors (of an aborted future, of a
//! completed future, of an output nobody reads).
//!
//! The default panic hook prints each deliberate panic; that output is
//! expected.

mod common;

use common::{panic_message, wait_until, with_timeout, PanicOnDrop, ThreadCounters, HANG_LIMIT};
use magpie::runtime::{Builder, Runtime};
use magpie::task::{self, JoinError};
use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread::{self, ThreadId};

/// A 1-worker runtime whose thread callbacks are counted.
fn one_worker() -> (Runtime, ThreadCounters) {
    let counters = ThreadCounters::default();
    let mut builder = Builder::new();
    builder.worker_threads(1);
    counters.install(&mut builder);
    (builder.build().unwrap(), counters)
}

fn worker_thread(rt: &Runtime) -> ThreadId {
    rt.block_on(rt.spawn(async { thread::current().id() }))
        .unwrap()
}

/// The runtime still runs tasks, on the same single worker thread as
/// before, and no worker thread stopped or was replaced.
fn assert_worker_survived(rt: &Runtime, counters: &ThreadCounters, before: ThreadId) {
    assert_eq!(worker_thread(rt), before, "the worker thread was replaced");
    assert_eq!(counters.stopped(), 0, "a worker thread exited");
    assert_eq!(counters.started(), 1, "a worker thread was started again");
}

#[test]
fn a_panicking_task_yields_a_panic_join_error() {
    let (rt, counters) = one_worker();
    let worker = worker_thread(&rt);
    let handle = rt.spawn(async {
        task::yield_now().await;
        panic!("boom {}", 42);
    });
    let id = handle.id();
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    assert_eq!(err.id(), id);
    let display = err.to_string();
    assert!(display.contains("panicked"), "Display: {display}");
    assert!(display.contains("boom 42"), "Display: {display}");
    assert!(display.contains(&id.to_string()), "Display: {display}");
    let debug = format!("{err:?}");
    assert!(debug.contains("Panic"), "Debug: {debug}");
    let payload = err.into_panic();
    assert_eq!(panic_message(payload.as_ref()), "boom 42");
    assert_worker_survived(&rt, &counters, worker);
}

#[test]
fn try_into_panic_returns_the_payload_or_the_error() {
    let rt = common::runtime(1);
    let err = rt
        .block_on(rt.spawn(async { panic!("static message") }))
        .unwrap_err();
    let payload = err.try_into_panic().expect("a panic error has a payload");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"static message"));

    let cancelled = rt.spawn(pending::<()>());
    let id = cancelled.id();
    cancelled.abort();
    let err = rt.block_on(cancelled).unwrap_err();
    assert!(err.to_string().contains("cancelled"), "Display: {err}");
    assert!(format!("{err:?}").contains("Cancelled"), "Debug: {err:?}");
    let err = err
        .try_into_panic()
        .expect_err("a cancellation has no payload");
    assert!(err.is_cancelled());
    assert_eq!(err.id(), id);
}

#[test]
fn into_panic_on_a_cancellation_panics_clearly() {
    let rt = common::runtime(1);
    let handle = rt.spawn(pending::<()>());
    handle.abort();
    let err = rt.block_on(handle).unwrap_err();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| err.into_panic()))
        .expect_err("into_panic on a cancellation must panic");
    let msg = panic_message(caught.as_ref());
    assert!(msg.contains("not a panic"), "message: {msg}");
}

#[test]
fn join_error_converts_to_io_error() {
    let rt = common::runtime(1);
    let err: JoinError = rt
        .block_on(rt.spawn(async { panic!("io boom") }))
        .unwrap_err();
    let io: std::io::Error = err.into();
    assert!(io.to_string().contains("io boom"), "{io}");
}

#[test]
fn a_panic_with_a_non_string_payload_is_reported() {
    let rt = common::runtime(1);
    let err = rt
        .block_on(rt.spawn(async { std::panic::panic_any(7_u64) }))
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("panicked"));
    assert_eq!(err.into_panic().downcast_ref::<u64>(), Some(&7));
}

#[test]
fn many_panics_never_take_down_the_worker() {
    with_timeout(HANG_LIMIT, || {
        let (rt, counters) = one_worker();
        let worker = worker_thread(&rt);
        let handles: Vec<_> = (0..200)
            .map(|i| {
                rt.spawn(async move {
                    if i % 2 == 0 {
                        panic!("panic number {i}");
                    }
                    i
                })
            })
            .collect();
        rt.block_on(async {
            for (i, h) in handles.into_iter().enumerate() {
                match h.await {
                    Ok(v) => assert_eq!(v, i),
                    Err(e) => {
                        assert_eq!(i % 2, 0);
                        assert_eq!(
                            panic_message(e.into_panic().as_ref()),
                            format!("panic number {i}")
                        );
                    }
                }
            }
        });
        assert_worker_survived(&rt, &counters, worker);
    });
}

#[test]
fn a_panicking_task_whose_handle_was_dropped_is_harmless() {
    let (rt, counters) = one_worker();
    let worker = worker_thread(&rt);
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    drop(rt.spawn(async move {
        ran2.fetch_add(1, SeqCst);
        panic!("nobody is listening");
    }));
    wait_until("the detached task ran", HANG_LIMIT, || {
        ran.load(SeqCst) == 1
    });
    assert_worker_survived(&rt, &counters, worker);
}

#[test]
fn a_panicking_destructor_of_an_aborted_future_becomes_a_panic_error() {
    let (rt, counters) = one_worker();
    let worker = worker_thread(&rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let bomb = PanicOnDrop {
        drops: drops.clone(),
        message: "destructor of an aborted future",
    };
    let polled = Arc::new(AtomicUsize::new(0));
    let polled2 = polled.clone();
    let handle = rt.spawn(async move {
        let _bomb = bomb;
        polled2.fetch_add(1, SeqCst);
        pending::<()>().await;
    });
    wait_until("the task was polled", HANG_LIMIT, || {
        polled.load(SeqCst) == 1
    });
    handle.abort();
    let err = rt.block_on(handle).unwrap_err();
    assert_eq!(drops.load(SeqCst), 1, "the future was dropped exactly once");
    // As in tokio: the destructor's panic is what the handle reports.
    assert!(err.is_panic(), "got {err:?}");
    assert_eq!(
        panic_message(err.into_panic().as_ref()),
        "destructor of an aborted future"
    );
    assert_worker_survived(&rt, &counters, worker);
}

#[test]
fn a_panicking_destructor_of_a_completed_future_becomes_a_panic_error() {
    let (rt, counters) = one_worker();
    let worker = worker_thread(&rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let bomb = PanicOnDrop {
        drops: drops.clone(),
        message: "destructor of a completed future",
    };
    let handle = rt.spawn(async move {
        let _bomb = bomb;
        5
    });
    let err = rt.block_on(handle).unwrap_err();
    assert_eq!(drops.load(SeqCst), 1);
    assert!(err.is_panic(), "got {err:?}");
    assert_worker_survived(&rt, &counters, worker);
}

#[test]
fn a_panicking_destructor_of_an_output_nobody_reads_is_contained() {
    let (rt, counters) = one_worker();
    let worker = worker_thread(&rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let (release_tx, release_rx) = futures::channel::oneshot::channel::<()>();
    let output = PanicOnDrop {
        drops: drops.clone(),
        message: "destructor of an unread output",
    };
    let handle = rt.spawn(async move {
        release_rx.await.unwrap();
        output
    });
    // Detach first: nobody will ever read the output, so the worker that
    // completes the task drops it, and its panic must not escape.
    drop(handle);
    release_tx.send(()).unwrap();
    wait_until("the unread output was dropped", HANG_LIMIT, || {
        drops.load(SeqCst) == 1
    });
    assert_worker_survived(&rt, &counters, worker);
}

#[test]
fn a_panicking_output_destructor_when_the_handle_is_dropped_late_is_contained() {
    let (rt, counters) = one_worker();
    let worker = worker_thread(&rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let output = PanicOnDrop {
        drops: drops.clone(),
        message: "destructor of an output dropped with its handle",
    };
    let handle = rt.spawn(async move { output });
    wait_until("the task finished", HANG_LIMIT, || handle.is_finished());
    // The output is dropped here, on the test thread, and its panic must
    // not escape from `JoinHandle::drop`.
    drop(handle);
    assert_eq!(drops.load(SeqCst), 1);
    assert_worker_survived(&rt, &counters, worker);
}

#[test]
fn a_panicking_future_destructor_at_runtime_drop_is_contained() {
    let counters = ThreadCounters::default();
    let mut builder = Builder::new();
    builder.worker_threads(2);
    counters.install(&mut builder);
    let rt = builder.build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..10 {
        let bomb = PanicOnDrop {
            drops: drops.clone(),
            message: "destructor run by runtime shutdown",
        };
        handles.push(rt.spawn(async move {
            let _bomb = bomb;
            pending::<()>().await;
        }));
    }
    wait_until("both workers started", HANG_LIMIT, || {
        counters.started() == 2
    });
    drop(rt);
    assert_eq!(drops.load(SeqCst), 10, "every pending future was dropped");
    assert_eq!(
        counters.stopped(),
        2,
        "every worker exited through its normal path"
    );
    // Shutdown cancels each task by dropping its future; the destructor's panic is
    // caught there and becomes the task's outcome, which its handle reports.
    for h in handles {
        let err = futures::executor::block_on(h).unwrap_err();
        assert!(
            err.is_panic(),
            "the destructor's panic is the outcome: {err:?}"
        );
        assert_eq!(
            panic_message(&*err.into_panic()),
            "destructor run by runtime shutdown"
        );
    }
}
