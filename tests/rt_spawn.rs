//! Spawning tasks and awaiting their `JoinHandle`s: many tasks from inside
//! and outside the runtime, detaching, destructor order, task ids,
//! `yield_now`, and the panic of `spawn` outside a runtime.

mod common;

use common::{runtime, with_timeout, DropFlag, HANG_LIMIT};
use magpie::runtime::Handle;
use magpie::task::{self, AbortHandle, Id, JoinError, JoinHandle};
use std::collections::HashSet;
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;
use std::time::Duration;

const MANY: usize = 100_000;

fn assert_send_sync_unpin<T: Send + Sync + Unpin + 'static>() {}
fn assert_send_sync<T: Send + Sync + 'static>() {}

#[test]
fn public_types_have_the_documented_auto_traits() {
    assert_send_sync_unpin::<JoinHandle<u32>>();
    assert_send_sync_unpin::<JoinHandle<Vec<String>>>();
    assert_send_sync::<AbortHandle>();
    assert_send_sync::<JoinError>();
    assert_send_sync::<Handle>();
    assert_send_sync::<Id>();
    fn is_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_error::<JoinError>();
    fn is_clone<C: Clone>() {}
    is_clone::<Handle>();
    is_clone::<AbortHandle>();
}

#[test]
fn spawn_returns_the_output() {
    let rt = runtime(2);
    let out = rt.block_on(async { magpie::spawn(async { "hello".to_owned() }).await });
    assert_eq!(out.unwrap(), "hello");
    // The same through `task::spawn`, `Runtime::spawn` and `Handle::spawn`.
    assert_eq!(
        rt.block_on(async { task::spawn(async { 1 }).await })
            .unwrap(),
        1
    );
    assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
    assert_eq!(rt.block_on(rt.handle().spawn(async { 3 })).unwrap(), 3);
}

#[test]
fn default_runtime_runs_tasks() {
    let rt = magpie::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(rt.spawn(async { 40 + 2 })).unwrap(), 42);
}

#[test]
fn hundred_thousand_tasks_spawned_from_inside_a_task() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = ran.clone();
        let sum = rt.block_on(rt.spawn(async move {
            let handles: Vec<_> = (0..MANY)
                .map(|i| {
                    let ran = ran2.clone();
                    magpie::spawn(async move {
                        ran.fetch_add(1, SeqCst);
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        }));
        assert_eq!(sum.unwrap(), MANY * (MANY - 1) / 2);
        assert_eq!(ran.load(SeqCst), MANY, "every task ran exactly once");
    });
}

#[test]
fn hundred_thousand_tasks_spawned_from_the_block_on_future() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let sum = rt.block_on(async {
            let handles: Vec<_> = (0..MANY).map(|i| magpie::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, MANY * (MANY - 1) / 2);
    });
}

#[test]
fn hundred_thousand_tasks_spawned_from_outside_the_runtime() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let ran = Arc::new(AtomicUsize::new(0));
        // Half from the test thread through `Runtime::spawn`, half from two
        // plain threads through `Handle::spawn`, concurrently.
        let outside: Vec<_> = (0..2)
            .map(|t| {
                let handle = rt.handle().clone();
                let ran = ran.clone();
                thread::spawn(move || {
                    (0..MANY / 4)
                        .map(|i| {
                            let ran = ran.clone();
                            handle.spawn(async move {
                                ran.fetch_add(1, SeqCst);
                                t * MANY + i
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut handles: Vec<_> = (0..MANY / 2)
            .map(|i| {
                let ran = ran.clone();
                rt.spawn(async move {
                    ran.fetch_add(1, SeqCst);
                    2 * MANY + i
                })
            })
            .collect();
        for t in outside {
            handles.extend(t.join().unwrap());
        }
        assert_eq!(handles.len(), MANY);
        let outputs: HashSet<usize> = rt.block_on(async {
            let mut outputs = HashSet::new();
            for h in handles {
                outputs.insert(h.await.unwrap());
            }
            outputs
        });
        assert_eq!(outputs.len(), MANY, "every task produced its own output");
        assert_eq!(ran.load(SeqCst), MANY);
    });
}

#[test]
fn tasks_run_without_being_awaited() {
    let rt = runtime(2);
    let (tx, rx) = std::sync::mpsc::channel();
    let _handle = rt.spawn(async move { tx.send(5).unwrap() });
    assert_eq!(rx.recv_timeout(HANG_LIMIT).unwrap(), 5);
}

#[test]
fn dropping_the_join_handle_detaches_the_task() {
    let rt = runtime(2);
    let (release_tx, release_rx) = futures::channel::oneshot::channel::<u32>();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let (guard, future_dropped) = DropFlag::new();
    let handle = rt.spawn(async move {
        let _guard = guard;
        let v = release_rx.await.unwrap();
        done_tx.send(v * 2).unwrap();
    });
    drop(handle);
    // The task is still alive and waiting: its future was not dropped.
    thread::sleep(Duration::from_millis(20));
    assert!(!future_dropped.load(SeqCst), "detaching must not cancel");
    release_tx.send(21).unwrap();
    assert_eq!(done_rx.recv_timeout(HANG_LIMIT).unwrap(), 42);
    common::wait_until("the detached task's future is dropped", HANG_LIMIT, || {
        future_dropped.load(SeqCst)
    });
}

#[test]
fn dropping_the_join_handle_after_completion_drops_the_output() {
    let rt = runtime(1);
    let (guard, output_dropped) = DropFlag::new();
    let handle = rt.spawn(async move { guard });
    common::wait_until("the task completes", HANG_LIMIT, || handle.is_finished());
    assert!(
        !output_dropped.load(SeqCst),
        "the output waits for its reader"
    );
    drop(handle);
    assert!(
        output_dropped.load(SeqCst),
        "the unread output is dropped with the handle"
    );
}

#[test]
fn the_futures_destructor_has_run_when_the_join_handle_resolves() {
    let rt = runtime(2);
    rt.block_on(async {
        for _ in 0..1000 {
            let (guard, dropped) = DropFlag::new();
            let handle = magpie::spawn(async move {
                let _guard = guard;
                task::yield_now().await;
                7
            });
            assert_eq!(handle.await.unwrap(), 7);
            assert!(
                dropped.load(SeqCst),
                "future still alive after its JoinHandle resolved"
            );
        }
    });
}

#[test]
fn the_futures_destructor_has_run_when_a_panic_is_reported() {
    let rt = runtime(2);
    rt.block_on(async {
        let (guard, dropped) = DropFlag::new();
        let handle = magpie::spawn(async move {
            let _guard = guard;
            task::yield_now().await;
            panic!("task panics on purpose");
        });
        assert!(handle.await.unwrap_err().is_panic());
        assert!(dropped.load(SeqCst));
    });
}

#[test]
fn a_join_handle_can_be_awaited_from_another_thread_than_the_spawner() {
    let rt = runtime(2);
    let handle = rt.spawn(async {
        task::yield_now().await;
        9
    });
    let rt = Arc::new(rt);
    let rt2 = rt.clone();
    let v = thread::spawn(move || rt2.block_on(handle)).join().unwrap();
    assert_eq!(v.unwrap(), 9);
}

#[test]
fn a_join_handle_polled_with_changing_wakers_still_resolves() {
    // The JoinHandle is first polled by one task, then moved to and awaited
    // by another: the second task's waker must be the one woken.
    let rt = runtime(2);
    rt.block_on(async {
        let (release_tx, release_rx) = futures::channel::oneshot::channel::<()>();
        let mut target = magpie::spawn(async move {
            release_rx.await.unwrap();
            11
        });
        let polled_once = poll_fn(|cx| {
            assert!(std::pin::Pin::new(&mut target).poll(cx).is_pending());
            Poll::Ready(())
        });
        polled_once.await;
        let awaiter = magpie::spawn(async move { target.await.unwrap() });
        task::yield_now().await;
        release_tx.send(()).unwrap();
        assert_eq!(awaiter.await.unwrap(), 11);
    });
}

#[test]
fn yield_now_lets_other_tasks_run_on_one_worker() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(1);
        let flag = Arc::new(AtomicBool::new(false));
        let yields = Arc::new(AtomicUsize::new(0));
        let (flag2, yields2) = (flag.clone(), yields.clone());
        // Without a working yield_now this task would hold the only worker
        // forever and the setter below could never run.
        let spinner = rt.spawn(async move {
            while !flag2.load(SeqCst) {
                yields2.fetch_add(1, SeqCst);
                task::yield_now().await;
            }
        });
        let setter = rt.spawn(async move { flag.store(true, SeqCst) });
        rt.block_on(async {
            setter.await.unwrap();
            spinner.await.unwrap();
        });
        assert!(
            yields.load(SeqCst) >= 1,
            "the spinner ran before the setter"
        );
    });
}

#[test]
fn yield_now_interleaves_two_tasks_on_one_worker() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(1);
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        rt.block_on(rt.spawn(async move {
            // Spawned from the worker, both land in its own queues before
            // either runs (this task keeps the worker until it awaits).
            let spawn_logger = |name: char| {
                let log = log2.clone();
                magpie::spawn(async move {
                    for _ in 0..3 {
                        log.lock().unwrap().push(name);
                        task::yield_now().await;
                    }
                })
            };
            let a = spawn_logger('a');
            let b = spawn_logger('b');
            a.await.unwrap();
            b.await.unwrap();
        }))
        .unwrap();
        let log = log.lock().unwrap().clone();
        // A yield queues the task behind the other runnable task of its
        // worker, so the two alternate.
        let alternations = log.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(alternations >= 4, "tasks did not interleave: {log:?}");
    });
}

#[test]
fn task_ids_inside_and_outside_tasks() {
    let rt = runtime(2);
    assert_eq!(task::try_id(), None, "no task on the test thread");
    rt.block_on(async {
        assert_eq!(task::try_id(), None, "the block_on future is not a task");
        let handle = magpie::spawn(async {
            let id = task::id();
            assert_eq!(task::try_id(), Some(id));
            // A nested task has its own id, and ours is back afterwards.
            let inner = magpie::spawn(async { task::id() }).await.unwrap();
            assert_ne!(inner, id);
            assert_eq!(task::id(), id);
            id
        });
        let expected = handle.id();
        assert_eq!(handle.await.unwrap(), expected);
    });
    assert_eq!(task::try_id(), None);
}

#[test]
fn task_ids_are_unique() {
    let rt = runtime(2);
    let ids = rt.block_on(async {
        let handles: Vec<_> = (0..2000)
            .map(|_| magpie::spawn(async { task::id() }))
            .collect();
        let mut pairs = Vec::new();
        for h in handles {
            let from_handle = h.id();
            let from_task = h.await.unwrap();
            assert_eq!(from_handle, from_task);
            pairs.push(from_task);
        }
        pairs
    });
    let outside: Vec<Id> = (0..2000).map(|_| rt.spawn(async {}).id()).collect();
    let unique: HashSet<Id> = ids.iter().chain(outside.iter()).copied().collect();
    assert_eq!(unique.len(), 4000, "task ids repeat");
    // Display works and differs between ids.
    assert_ne!(ids[0].to_string(), ids[1].to_string());
}

#[test]
#[should_panic(expected = "outside of a task")]
fn task_id_outside_a_task_panics() {
    let _ = task::id();
}

#[test]
#[should_panic(expected = "must be called from the context of a magpie runtime")]
fn spawn_outside_a_runtime_panics() {
    drop(magpie::spawn(async {}));
}

#[test]
#[should_panic(expected = "must be called from the context of a magpie runtime")]
fn task_spawn_on_a_plain_thread_panics() {
    // A runtime exists, but this thread is not in its context.
    let _rt = runtime(1);
    drop(task::spawn(async {}));
}

#[test]
fn spawn_inside_enter_guard_uses_that_runtime() {
    let rt = runtime(1);
    let handle = {
        let _guard = rt.enter();
        magpie::spawn(async { 5 })
    };
    assert_eq!(rt.block_on(handle).unwrap(), 5);
}

#[test]
fn polling_a_join_handle_after_it_returned_ready_panics() {
    let rt = runtime(1);
    let mut handle = rt.spawn(async { 1 });
    assert_eq!(rt.block_on(&mut handle).unwrap(), 1);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(poll_fn(|cx| {
            let _ = std::pin::Pin::new(&mut handle).poll(cx);
            Poll::Ready(())
        }))
    }))
    .expect_err("a second poll after Ready must panic");
    let msg = common::panic_message(caught.as_ref());
    assert!(msg.contains("after it returned Ready"), "message: {msg}");
}

#[test]
fn tasks_of_one_runtime_spawn_onto_and_wake_tasks_of_another() {
    let name = || thread::current().name().map(str::to_owned);
    let rt_a = magpie::runtime::Builder::new()
        .worker_threads(1)
        .thread_name("mp-rt-a")
        .build()
        .unwrap();
    let rt_b = magpie::runtime::Builder::new()
        .worker_threads(1)
        .thread_name("mp-rt-b")
        .build()
        .unwrap();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    // A task of B waits for a message sent by a task of A: A's worker wakes
    // a task that must run on B's worker.
    let waiting_on_b = rt_b.spawn(async move {
        let v = rx.await.unwrap();
        (v, name())
    });
    let handle_b = rt_b.handle().clone();
    let from_a = rt_a.spawn(async move {
        // Spawned from A's worker through B's handle: runs on B.
        let spawned_on_b = handle_b.spawn(async move { name() }).await.unwrap();
        tx.send(5).unwrap();
        // A's task awaits a JoinHandle of B's task.
        let (v, waiter_thread) = waiting_on_b.await.unwrap();
        (spawned_on_b, v, waiter_thread, name())
    });
    let (spawned_on_b, v, waiter_thread, a_thread) = rt_a.block_on(from_a).unwrap();
    assert_eq!(spawned_on_b.as_deref(), Some("mp-rt-b"));
    assert_eq!(v, 5);
    assert_eq!(waiter_thread.as_deref(), Some("mp-rt-b"));
    assert_eq!(a_thread.as_deref(), Some("mp-rt-a"));
}

#[test]
fn task_id_is_set_while_the_future_is_dropped() {
    struct RecordId(Arc<Mutex<Option<Option<Id>>>>);
    impl Drop for RecordId {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(task::try_id());
        }
    }
    let rt = runtime(2);
    // Dropped on completion, on abort, and at runtime shutdown.
    let completed = Arc::new(Mutex::new(None));
    let r = RecordId(completed.clone());
    let done = rt.spawn(async move {
        let _r = r;
    });
    let done_id = done.id();
    rt.block_on(done).unwrap();
    assert_eq!(*completed.lock().unwrap(), Some(Some(done_id)));

    let aborted = Arc::new(Mutex::new(None));
    let r = RecordId(aborted.clone());
    let victim = rt.spawn(async move {
        let _r = r;
        std::future::pending::<()>().await;
    });
    let victim_id = victim.id();
    victim.abort();
    assert!(rt.block_on(victim).unwrap_err().is_cancelled());
    assert_eq!(*aborted.lock().unwrap(), Some(Some(victim_id)));

    let at_shutdown = Arc::new(Mutex::new(None));
    let r = RecordId(at_shutdown.clone());
    let pending_task = rt.spawn(async move {
        let _r = r;
        std::future::pending::<()>().await;
    });
    let pending_id = pending_task.id();
    drop(rt);
    assert_eq!(*at_shutdown.lock().unwrap(), Some(Some(pending_id)));
    // After the drop, no task id lingers on this thread.
    assert_eq!(task::try_id(), None);
}

#[test]
fn tasks_woken_by_timers_all_complete() {
    // Wakes that come from the timer driver reach the workers,
    // for tasks on 2 workers and for a block_on on a plain thread.
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let handles: Vec<_> = (0..500u64)
            .map(|i| {
                rt.spawn(async move {
                    for _ in 0..5 {
                        magpie::time::sleep(Duration::from_millis(1 + i % 3)).await;
                    }
                    i
                })
            })
            .collect();
        let handle = rt.handle().clone();
        let plain = thread::spawn(move || {
            handle.block_on(async {
                for _ in 0..20 {
                    magpie::time::sleep(Duration::from_millis(1)).await;
                }
            })
        });
        let sum: u64 = rt.block_on(async {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        plain.join().unwrap();
        assert_eq!(sum, (0..500u64).sum::<u64>());
    });
}

#[test]
fn a_timer_armed_from_outside_wakes_an_idle_runtime() {
    // Every worker is idle (one may be blocked in the driver with no
    // deadline); a sleep started on a plain thread must still fire.
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        rt.block_on(async {});
        thread::sleep(Duration::from_millis(20));
        for _ in 0..20 {
            let start = std::time::Instant::now();
            rt.block_on(async { magpie::time::sleep(Duration::from_millis(5)).await });
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(5), "fired early: {took:?}");
            assert!(took < Duration::from_secs(2), "fired late: {took:?}");
        }
        // And a task's timer, spawned from outside.
        let task = rt.spawn(async { magpie::time::sleep(Duration::from_millis(5)).await });
        rt.block_on(task).unwrap();
    });
}

#[test]
fn timers_fire_while_the_only_worker_spins_with_yield_now() {
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(1);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let spinner = rt.spawn(async move {
            while !stop2.load(SeqCst) {
                task::yield_now().await;
            }
        });
        let sleeper = rt.spawn(async move {
            magpie::time::sleep(Duration::from_millis(5)).await;
            stop.store(true, SeqCst);
        });
        rt.block_on(async {
            sleeper.await.unwrap();
            spinner.await.unwrap();
        });
    });
}
