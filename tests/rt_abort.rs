//! Aborting tasks: idle, running on another worker, aborting itself,
//! already finished; `JoinHandle::is_finished`, `abort_handle`, and
//! `AbortHandle` clone / abort / is_finished.

mod common;

use common::{runtime, wait_until, with_timeout, DropFlag, HANG_LIMIT};
use magpie::task;
use std::future::pending;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn abort_of_an_idle_task_cancels_it_and_drops_its_future() {
    let rt = runtime(2);
    let (guard, dropped) = DropFlag::new();
    let polled = Arc::new(AtomicBool::new(false));
    let polled2 = polled.clone();
    let handle = rt.spawn(async move {
        let _guard = guard;
        polled2.store(true, SeqCst);
        pending::<()>().await;
    });
    wait_until("the task has been polled", HANG_LIMIT, || {
        polled.load(SeqCst)
    });
    assert!(!handle.is_finished());
    handle.abort();
    let id = handle.id();
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!err.is_panic());
    assert_eq!(err.id(), id);
    assert!(
        dropped.load(SeqCst),
        "the future is dropped before the handle resolves"
    );
}

#[test]
fn abort_right_after_spawn_cancels_the_task() {
    let rt = runtime(1);
    for _ in 0..100 {
        let (guard, dropped) = DropFlag::new();
        let handle = rt.spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        });
        handle.abort();
        assert!(rt.block_on(handle).unwrap_err().is_cancelled());
        assert!(dropped.load(SeqCst));
    }
}

/// The victim is mid-poll on one worker (spinning without yielding) when
/// another task, necessarily on the other worker, aborts it; the victim's
/// next yield point is where it stops.
#[test]
fn abort_of_a_task_running_on_another_worker() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let started = Arc::new(AtomicBool::new(false));
        let abort_requested = Arc::new(AtomicBool::new(false));
        let resumed = Arc::new(AtomicBool::new(false));
        let (guard, dropped) = DropFlag::new();

        let victim = {
            let (started, abort_requested, resumed) =
                (started.clone(), abort_requested.clone(), resumed.clone());
            rt.spawn(async move {
                let _guard = guard;
                started.store(true, SeqCst);
                // Keep this worker busy until the abort was issued, so the
                // abort lands while this task is RUNNING.
                let deadline = Instant::now() + Duration::from_secs(10);
                while !abort_requested.load(SeqCst) {
                    assert!(Instant::now() < deadline, "the aborting task never ran");
                    std::hint::spin_loop();
                }
                task::yield_now().await;
                resumed.store(true, SeqCst);
            })
        };
        let victim_id = victim.id();
        let aborter = rt.spawn(async move {
            while !started.load(SeqCst) {
                task::yield_now().await;
            }
            assert!(!victim.is_finished());
            victim.abort();
            abort_requested.store(true, SeqCst);
            let err = victim.await.unwrap_err();
            assert!(err.is_cancelled(), "expected a cancellation, got {err:?}");
            assert_eq!(err.id(), victim_id);
            assert!(
                dropped.load(SeqCst),
                "future not dropped before the handle resolved"
            );
        });
        rt.block_on(aborter).unwrap();
        assert!(
            !resumed.load(SeqCst),
            "an aborted task ran past its yield point"
        );
    });
}

/// The brief's version: a task that spins on an `AtomicBool` with
/// `yield_now`, aborted from another task.
#[test]
fn abort_of_a_task_spinning_with_yield_now() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        for _ in 0..50 {
            let stop = Arc::new(AtomicBool::new(false));
            let spinning = Arc::new(AtomicBool::new(false));
            let (guard, dropped) = DropFlag::new();
            let victim = {
                let (stop, spinning) = (stop.clone(), spinning.clone());
                rt.spawn(async move {
                    let _guard = guard;
                    while !stop.load(SeqCst) {
                        spinning.store(true, SeqCst);
                        task::yield_now().await;
                    }
                })
            };
            let aborter = rt.spawn(async move {
                while !spinning.load(SeqCst) {
                    task::yield_now().await;
                }
                victim.abort();
                let err = victim.await.unwrap_err();
                assert!(err.is_cancelled());
                assert!(dropped.load(SeqCst));
            });
            rt.block_on(aborter).unwrap();
            assert!(!stop.load(SeqCst));
        }
    });
}

#[test]
fn a_task_aborting_itself_stops_at_its_next_yield() {
    let rt = runtime(2);
    let resumed = Arc::new(AtomicBool::new(false));
    let resumed2 = resumed.clone();
    let (handle_tx, handle_rx) = futures::channel::oneshot::channel::<task::AbortHandle>();
    let handle = rt.spawn(async move {
        let me = handle_rx.await.unwrap();
        me.abort();
        task::yield_now().await;
        resumed2.store(true, SeqCst);
    });
    handle_tx.send(handle.abort_handle()).unwrap();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    assert!(!resumed.load(SeqCst));
}

#[test]
fn abort_of_a_finished_task_is_a_noop() {
    let rt = runtime(2);
    let handle = rt.spawn(async { 17 });
    wait_until("the task finishes", HANG_LIMIT, || handle.is_finished());
    handle.abort();
    handle.abort();
    handle.abort_handle().abort();
    assert!(handle.is_finished());
    assert_eq!(
        rt.block_on(handle).unwrap(),
        17,
        "the output survives a late abort"
    );
}

#[test]
fn abort_twice_is_one_cancellation() {
    let rt = runtime(2);
    let handle = rt.spawn(pending::<()>());
    handle.abort();
    handle.abort();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn is_finished_follows_the_task() {
    let rt = runtime(2);
    let (tx, rx) = futures::channel::oneshot::channel::<u8>();
    let handle = rt.spawn(async move { rx.await.unwrap() });
    std::thread::sleep(Duration::from_millis(10));
    assert!(!handle.is_finished());
    tx.send(3).unwrap();
    wait_until("the task finishes", HANG_LIMIT, || handle.is_finished());
    assert_eq!(rt.block_on(handle).unwrap(), 3);
}

#[test]
fn abort_handle_clone_abort_and_is_finished() {
    let rt = runtime(2);
    let (guard, dropped) = DropFlag::new();
    let handle = rt.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    });
    let abort = handle.abort_handle();
    let abort2 = abort.clone();
    assert_eq!(abort.id(), handle.id());
    assert_eq!(abort2.id(), handle.id());
    assert!(!abort.is_finished());
    assert!(!abort2.is_finished());
    // Dropping one abort handle does nothing to the task.
    drop(abort2.clone());
    abort2.abort();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    assert!(dropped.load(SeqCst));
    // The abort handles outlive the JoinHandle and still see the task.
    assert!(abort.is_finished());
    assert!(abort2.is_finished());
    abort.abort(); // no-op on a finished task
    let _ = format!("{abort:?}");
}

#[test]
fn abort_handle_works_after_the_join_handle_is_dropped() {
    let rt = runtime(2);
    let (guard, dropped) = DropFlag::new();
    let handle = rt.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    });
    let abort = handle.abort_handle();
    drop(handle); // detached, still running
    std::thread::sleep(Duration::from_millis(10));
    assert!(!dropped.load(SeqCst));
    assert!(!abort.is_finished());
    abort.abort();
    wait_until(
        "the aborted detached task's future is dropped",
        HANG_LIMIT,
        || dropped.load(SeqCst),
    );
    wait_until("the aborted task is finished", HANG_LIMIT, || {
        abort.is_finished()
    });
}

#[test]
fn dropping_an_abort_handle_does_not_abort() {
    let rt = runtime(2);
    let (tx, rx) = futures::channel::oneshot::channel::<u8>();
    let handle = rt.spawn(async move { rx.await.unwrap() });
    drop(handle.abort_handle());
    tx.send(8).unwrap();
    assert_eq!(rt.block_on(handle).unwrap(), 8);
}

#[test]
fn aborting_many_tasks_from_another_thread_while_they_run() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let handles: Vec<_> = (0..2_000)
            .map(|i| {
                rt.spawn(async move {
                    for _ in 0..(i % 5) {
                        task::yield_now().await;
                    }
                    i
                })
            })
            .collect();
        let aborts: Vec<_> = handles.iter().map(|h| h.abort_handle()).collect();
        let aborter = std::thread::spawn(move || {
            for a in aborts.iter().rev() {
                a.abort();
            }
        });
        let (mut ok, mut cancelled) = (0, 0);
        rt.block_on(async {
            for (i, h) in handles.into_iter().enumerate() {
                match h.await {
                    Ok(v) => {
                        assert_eq!(v, i);
                        ok += 1;
                    }
                    Err(e) => {
                        assert!(e.is_cancelled());
                        cancelled += 1;
                    }
                }
            }
        });
        aborter.join().unwrap();
        assert_eq!(ok + cancelled, 2_000);
    });
}
