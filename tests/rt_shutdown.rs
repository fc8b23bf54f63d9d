//! Shutting a runtime down: dropping it drops every pending future and
//! joins its threads; `shutdown_timeout` and `shutdown_background` return
//! on time; wakers, handles and join handles that outlive the runtime stay
//! safe to use and leak nothing.
//!
//! Leak checks use a probe: a token captured by the builder's
//! `on_thread_start` callback. The runtime's shared state (which every task
//! allocation references through its scheduler handle) keeps that callback
//! alive, so the token's count returns to 1 only when the runtime's shared
//! state, and so every task allocation, has been freed.

mod common;

use common::{
    live_thread_names, panic_message, wait_until, with_timeout, DropCount, DropFlag,
    ThreadCounters, HANG_LIMIT,
};
use magpie::runtime::{Builder, Runtime};
use magpie::task;
use std::future::{pending, poll_fn};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// A runtime whose shared state holds `token` (see the module docs).
fn probed_runtime(workers: usize, name: &str) -> (Runtime, Arc<()>) {
    let token = Arc::new(());
    let held = token.clone();
    let rt = Builder::new()
        .worker_threads(workers)
        .thread_name(name)
        .on_thread_start(move || {
            let _ = &held;
        })
        .build()
        .unwrap();
    // The temporary builder is gone: only the runtime holds the callback.
    assert_eq!(Arc::strong_count(&token), 2);
    (rt, token)
}

fn assert_runtime_freed(token: &Arc<()>) {
    assert_eq!(
        Arc::strong_count(token),
        1,
        "the runtime's shared state is still alive: a task allocation or handle leaked"
    );
}

#[test]
fn leak_probe_sees_a_plain_runtime_freed() {
    let (rt, token) = probed_runtime(2, "mp-probe");
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    drop(rt);
    assert_runtime_freed(&token);
}

#[test]
fn dropping_the_runtime_drops_every_pending_future() {
    with_timeout(HANG_LIMIT, || {
        let (rt, probe) = probed_runtime(2, "mp-pending");
        let token = Arc::new(());
        let polled = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        // Tasks that were polled and now wait forever.
        for _ in 0..500 {
            let (token, polled) = (token.clone(), polled.clone());
            handles.push(rt.spawn(async move {
                let _token = token;
                polled.fetch_add(1, SeqCst);
                pending::<()>().await;
            }));
        }
        wait_until("all waiting tasks were polled", HANG_LIMIT, || {
            polled.load(SeqCst) == 500
        });
        // Tasks waiting on each other's join handles, and on a channel
        // whose sender lives in another pending task.
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let t = token.clone();
        let receiver = rt.spawn(async move {
            let _t = t;
            let _ = rx.await;
        });
        let t = token.clone();
        handles.push(rt.spawn(async move {
            let _t = t;
            let _tx = tx;
            let _ = receiver.await;
        }));
        // A task that spawns a child from its destructor, at shutdown. The guard is
        // moved into the future, not made by it, so it is dropped whether or not the
        // task was ever polled; it hands the child's join handle out to the test.
        struct SpawnOnDrop {
            handle: magpie::runtime::Handle,
            token: Arc<()>,
            spawned: mpsc::Sender<task::JoinHandle<()>>,
        }
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let t = self.token.clone();
                // A panic here would make the parent's outcome a panic, which the
                // `is_cancelled` check below rejects.
                let child = self.handle.spawn(async move {
                    let _t = t;
                    pending::<()>().await;
                });
                self.spawned.send(child).unwrap();
            }
        }
        let (spawned_tx, spawned_rx) = mpsc::channel();
        let guard = SpawnOnDrop {
            handle: rt.handle().clone(),
            token: token.clone(),
            spawned: spawned_tx,
        };
        handles.push(rt.spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        }));
        drop(rt);
        // The child's future was dropped at once, so it holds no token either.
        assert_eq!(
            Arc::strong_count(&token),
            1,
            "a pending future survived the runtime"
        );
        for h in handles {
            let err = futures::executor::block_on(h).unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
        }
        // Spawning during shutdown gives a cancelled task, not a panic.
        let child = spawned_rx
            .try_recv()
            .expect("the destructor ran during shutdown and spawned a child");
        let err = futures::executor::block_on(child).unwrap_err();
        assert!(
            err.is_cancelled(),
            "a spawn during shutdown is cancelled: {err:?}"
        );
        assert_runtime_freed(&probe);
    });
}

#[test]
fn dropping_the_runtime_drops_tasks_that_never_ran() {
    with_timeout(HANG_LIMIT, || {
        let (rt, probe) = probed_runtime(1, "mp-neverran");
        let token = Arc::new(());
        let (block_tx, block_rx) = mpsc::channel::<()>();
        let (blocked_tx, blocked_rx) = mpsc::channel::<()>();
        // Occupy the only worker so the tasks below stay queued.
        let blocker = rt.spawn(async move {
            blocked_tx.send(()).unwrap();
            block_rx.recv().unwrap();
        });
        blocked_rx.recv().unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let (token, ran) = (token.clone(), ran.clone());
                rt.spawn(async move {
                    let _token = token;
                    ran.fetch_add(1, SeqCst);
                    pending::<()>().await;
                })
            })
            .collect();
        // Release the worker shortly after the drop below started.
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            block_tx.send(()).unwrap();
        });
        drop(rt);
        releaser.join().unwrap();
        assert_eq!(
            Arc::strong_count(&token),
            1,
            "a queued future survived the runtime"
        );
        assert!(ran.load(SeqCst) <= 200);
        assert!(futures::executor::block_on(blocker).is_ok());
        for h in handles {
            assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
        }
        assert_runtime_freed(&probe);
    });
}

#[test]
fn a_block_on_waiting_for_a_task_sees_it_cancelled_at_shutdown() {
    with_timeout(HANG_LIMIT, || {
        let rt = common::runtime(2);
        let task = rt.spawn(pending::<()>());
        let handle = rt.handle().clone();
        let waiter = thread::spawn(move || handle.block_on(task));
        thread::sleep(Duration::from_millis(20));
        drop(rt);
        let res = waiter.join().unwrap();
        assert!(res.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_waker_that_outlives_the_runtime_can_still_be_woken_and_dropped() {
    with_timeout(HANG_LIMIT, || {
        let (rt, probe) = probed_runtime(2, "mp-waker");
        let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
        let (guard, dropped) = DropFlag::new();
        let handle = rt.spawn(async move {
            let _guard = guard;
            poll_fn(|cx| {
                let _ = waker_tx.send(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await;
        });
        let waker = waker_rx.recv_timeout(HANG_LIMIT).unwrap();
        let spare = waker.clone();
        drop(rt);
        assert!(
            dropped.load(SeqCst),
            "the pending future was dropped with the runtime"
        );
        // Waking now must neither crash, nor run anything, nor leak.
        waker.wake_by_ref();
        let clone = waker.clone();
        waker.wake();
        clone.wake();
        assert!(futures::executor::block_on(handle)
            .unwrap_err()
            .is_cancelled());
        // The task allocation (and with it the runtime's state) is freed
        // when the last waker goes, here on the test thread.
        assert_eq!(
            Arc::strong_count(&probe),
            2,
            "the outliving waker keeps the task alive"
        );
        spare.wake();
        assert_runtime_freed(&probe);
    });
}

#[test]
fn a_waker_woken_from_another_thread_during_shutdown() {
    with_timeout(HANG_LIMIT, || {
        let (rt, probe) = probed_runtime(2, "mp-wakerace");
        let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
        for _ in 0..100 {
            let waker_tx = waker_tx.clone();
            drop(rt.spawn(poll_fn(move |cx| {
                let _ = waker_tx.send(cx.waker().clone());
                Poll::<()>::Pending
            })));
        }
        drop(waker_tx);
        let wakers: Vec<Waker> = waker_rx.iter().take(100).collect();
        // Every re-poll sends another clone; those must not stay queued in
        // the channel past the leak check.
        drop(waker_rx);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let waking = thread::spawn(move || {
            while !stop2.load(SeqCst) {
                for w in &wakers {
                    w.wake_by_ref();
                }
            }
            drop(wakers);
        });
        thread::sleep(Duration::from_millis(10));
        drop(rt);
        stop.store(true, SeqCst);
        waking.join().unwrap();
        assert_runtime_freed(&probe);
    });
}

#[test]
fn spawn_through_a_handle_after_the_runtime_is_gone_is_cancelled() {
    let (rt, probe) = probed_runtime(2, "mp-late");
    let handle = rt.handle().clone();
    drop(rt);
    let (guard, dropped) = DropFlag::new();
    let ran = Arc::new(AtomicBool::new(false));
    let ran2 = ran.clone();
    let join = handle.spawn(async move {
        let _guard = guard;
        ran2.store(true, SeqCst);
    });
    assert!(
        dropped.load(SeqCst),
        "the refused future is dropped at once"
    );
    let err = futures::executor::block_on(join).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(!ran.load(SeqCst));

    // The blocking pool refuses the same way.
    let ran_blocking = Arc::new(AtomicBool::new(false));
    let ran_blocking2 = ran_blocking.clone();
    let join = handle.spawn_blocking(move || ran_blocking2.store(true, SeqCst));
    let err = futures::executor::block_on(join).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(!ran_blocking.load(SeqCst));

    // So does `magpie::spawn` inside the dead runtime's context.
    let join = {
        let _enter = handle.enter();
        magpie::spawn(async {})
    };
    assert!(futures::executor::block_on(join)
        .unwrap_err()
        .is_cancelled());

    drop(handle);
    assert_runtime_freed(&probe);
}

#[test]
fn shutdown_timeout_returns_in_time_despite_a_stuck_blocking_closure() {
    let rt = common::runtime(2);
    let (started_tx, started_rx) = mpsc::channel();
    let stuck = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_secs(5));
    });
    started_rx.recv_timeout(HANG_LIMIT).unwrap();
    let (guard, dropped) = DropFlag::new();
    let _pending = rt.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    });
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "shutdown_timeout(100ms) took {took:?}"
    );
    assert!(
        dropped.load(SeqCst),
        "the idle workers dropped the pending task"
    );
    drop(stuck); // the closure finishes in the background
}

#[test]
fn shutdown_timeout_returns_in_time_despite_a_worker_blocked_in_a_task() {
    let rt = common::runtime(2);
    let (started_tx, started_rx) = mpsc::channel();
    let _stuck = rt.spawn(async move {
        started_tx.send(()).unwrap();
        // Blocks its worker: shutdown cannot complete until this returns.
        thread::sleep(Duration::from_millis(1500));
    });
    started_rx.recv_timeout(HANG_LIMIT).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let c = DropCount(count.clone());
        drop(rt.spawn(async move {
            let _c = c;
            pending::<()>().await;
        }));
    }
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "shutdown_timeout(100ms) took {took:?}"
    );
    // Shutdown completes in the background once the worker is free again.
    wait_until("the pending futures are dropped", HANG_LIMIT, || {
        count.load(SeqCst) == 10
    });
}

#[test]
fn shutdown_background_returns_at_once() {
    let rt = common::runtime(2);
    let (started_tx, started_rx) = mpsc::channel();
    let started_tx2 = started_tx.clone();
    let _stuck_blocking = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_secs(5));
    });
    let _stuck_worker = rt.spawn(async move {
        started_tx2.send(()).unwrap();
        thread::sleep(Duration::from_millis(500));
    });
    started_rx.recv_timeout(HANG_LIMIT).unwrap();
    started_rx.recv_timeout(HANG_LIMIT).unwrap();
    let (guard, dropped) = DropFlag::new();
    drop(rt.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    }));
    let start = Instant::now();
    rt.shutdown_background();
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(200),
        "shutdown_background took {took:?}"
    );
    wait_until(
        "the pending future is dropped in the background",
        HANG_LIMIT,
        || dropped.load(SeqCst),
    );
}

#[test]
fn shutdown_background_is_allowed_in_async_context() {
    let outer = common::runtime(1);
    let inner = common::runtime(1);
    let (guard, dropped) = DropFlag::new();
    drop(inner.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    }));
    outer.block_on(async move { inner.shutdown_background() });
    wait_until("the inner runtime's task is dropped", HANG_LIMIT, || {
        dropped.load(SeqCst)
    });
}

#[test]
fn dropping_a_runtime_in_async_context_panics_clearly() {
    let outer = common::runtime(1);
    let inner = common::runtime(1);
    let caught = outer.block_on(async move {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(inner)))
    });
    let msg = panic_message(caught.expect_err("dropping must panic").as_ref());
    assert!(msg.contains("Cannot drop a runtime"), "message: {msg}");
}

#[test]
fn dropping_the_runtime_joins_its_worker_and_blocking_threads() {
    const NAME: &str = "mp-joined"; // unique among this binary's runtimes
    let counters = ThreadCounters::default();
    let mut builder = Builder::new();
    builder.worker_threads(3).thread_name(NAME);
    counters.install(&mut builder);
    let rt = builder.build().unwrap();
    let finished = Arc::new(AtomicBool::new(false));
    let finished2 = finished.clone();
    let blocking = rt.spawn_blocking(move || {
        thread::sleep(Duration::from_millis(100));
        finished2.store(true, SeqCst);
    });
    rt.block_on(async {
        // Make sure the blocking thread exists before the drop.
        while counters.started() < 4 {
            task::yield_now().await;
        }
    });
    drop(blocking);
    drop(rt);
    assert!(
        finished.load(SeqCst),
        "drop waits for a running blocking closure"
    );
    assert_eq!(counters.started(), 4, "3 workers and 1 blocking thread");
    assert_eq!(
        counters.stopped(),
        4,
        "every thread finished before drop returned"
    );
    // No other thread named after the runtime (such as a driver thread,
    // "mp-joined-driver" truncated by the OS) is left either. An exited
    // thread can linger in /proc for a moment after it was joined, hence
    // the short wait.
    wait_until(
        "no thread of the runtime is left",
        Duration::from_secs(2),
        || !live_thread_names().iter().any(|n| n.starts_with(NAME)),
    );
}

#[test]
fn a_task_awaiting_its_own_join_handle_is_freed_at_shutdown() {
    // The task stores its own waker as its JoinHandle's waker: a reference
    // cycle that shutdown must break.
    let (rt, probe) = probed_runtime(2, "mp-selfjoin");
    let (guard, dropped) = DropFlag::new();
    let (me_tx, me_rx) = futures::channel::oneshot::channel::<task::JoinHandle<()>>();
    let (waiting_tx, waiting_rx) = mpsc::channel::<()>();
    let handle = rt.spawn(async move {
        let _guard = guard;
        let me = me_rx.await.unwrap();
        waiting_tx.send(()).unwrap();
        let _ = me.await; // never completes: it waits for itself
    });
    let abort = handle.abort_handle();
    me_tx.send(handle).unwrap();
    waiting_rx.recv_timeout(HANG_LIMIT).unwrap();
    thread::sleep(Duration::from_millis(10)); // let it reach the await
    drop(rt);
    assert!(dropped.load(SeqCst));
    assert!(abort.is_finished());
    drop(abort);
    assert_runtime_freed(&probe);
}

#[test]
fn a_task_holding_its_own_join_handle_completes_and_is_freed() {
    let (rt, probe) = probed_runtime(2, "mp-selfhold");
    let (me_tx, me_rx) = futures::channel::oneshot::channel::<task::JoinHandle<u32>>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let handle = rt.spawn(async move {
        let me = me_rx.await.unwrap();
        task::yield_now().await;
        // Completing drops the future, and with it the task's own handle.
        drop(done_tx);
        let _keep = me;
        7
    });
    me_tx.send(handle).unwrap();
    assert!(
        done_rx.recv_timeout(HANG_LIMIT).is_err(),
        "the task finished"
    );
    drop(rt);
    assert_runtime_freed(&probe);
}

#[test]
fn a_destructor_that_wakes_its_own_task_during_cancellation() {
    // Dropping a future often wakes whatever it was registered with; here
    // that is its own task, which is being cancelled at that moment.
    struct WakeOnDrop(Option<Waker>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            if let Some(w) = self.0.take() {
                w.wake_by_ref();
                w.wake();
            }
        }
    }
    let (rt, probe) = probed_runtime(2, "mp-wakeself");
    let (polled_tx, polled_rx) = mpsc::channel::<()>();
    let make = |polled_tx: mpsc::Sender<()>| {
        let mut slot = WakeOnDrop(None);
        poll_fn(move |cx| {
            if slot.0.is_none() {
                slot.0 = Some(cx.waker().clone());
                polled_tx.send(()).unwrap();
            }
            Poll::<()>::Pending
        })
    };
    // One aborted, one dropped at shutdown.
    let aborted = rt.spawn(make(polled_tx.clone()));
    let at_shutdown = rt.spawn(make(polled_tx));
    polled_rx.recv_timeout(HANG_LIMIT).unwrap();
    polled_rx.recv_timeout(HANG_LIMIT).unwrap();
    aborted.abort();
    assert!(rt.block_on(aborted).unwrap_err().is_cancelled());
    drop(rt);
    drop(at_shutdown);
    assert_runtime_freed(&probe);
}

#[test]
fn spawns_racing_the_runtime_drop_all_resolve() {
    with_timeout(HANG_LIMIT, || {
        let (rt, probe) = probed_runtime(2, "mp-spawnrace");
        let token = Arc::new(());
        // Set once drop(rt) returned: each spawner then spawns once more
        // (surely cancelled) and stops.
        let dropped = Arc::new(AtomicBool::new(false));
        let spawners: Vec<_> = (0..3)
            .map(|_| {
                let (handle, token, dropped) =
                    (rt.handle().clone(), token.clone(), dropped.clone());
                thread::spawn(move || {
                    let mut handles = Vec::new();
                    loop {
                        let was_dropped = dropped.load(SeqCst);
                        let t = token.clone();
                        handles.push(handle.spawn(async move {
                            let _t = t;
                            task::yield_now().await;
                        }));
                        if was_dropped {
                            return handles;
                        }
                    }
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(30));
        drop(rt);
        dropped.store(true, SeqCst);
        let (mut ok, mut cancelled) = (0, 0);
        for s in spawners {
            for h in s.join().unwrap() {
                // Every handle resolves: a task bound just as the runtime
                // closed must not be left neither run nor cancelled.
                match futures::executor::block_on(h) {
                    Ok(()) => ok += 1,
                    Err(e) => {
                        assert!(e.is_cancelled());
                        cancelled += 1;
                    }
                }
            }
        }
        assert!(cancelled >= 3, "ok {ok}, cancelled {cancelled}");
        assert_eq!(
            Arc::strong_count(&token),
            1,
            "a future outlived the runtime"
        );
        assert_runtime_freed(&probe);
    });
}

#[test]
fn timers_pending_at_shutdown_are_dropped_and_leak_nothing() {
    let (rt, probe) = probed_runtime(2, "mp-timers");
    let count = Arc::new(AtomicUsize::new(0));
    for i in 0..100u64 {
        let c = DropCount(count.clone());
        drop(rt.spawn(async move {
            let _c = c;
            magpie::time::sleep(Duration::from_secs(60 + i)).await;
        }));
    }
    // Some timers fire first, so the wheel has been used for real.
    rt.block_on(async {
        for _ in 0..3 {
            magpie::time::sleep(Duration::from_millis(2)).await;
        }
    });
    drop(rt);
    assert_eq!(count.load(SeqCst), 100);
    assert_runtime_freed(&probe);
}
