//! `LocalSet` and `spawn_local`: tasks that are not `Send` run on the
//! set's thread while the set is awaited, on both runtime flavors; wakes
//! from other threads reach them; awaiting the set waits for all of them;
//! dropping the set drops them; `spawn_local` outside a set panics.

use magpie::runtime::{Builder, Runtime};
use magpie::task::{spawn_local, LocalSet};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

fn runtimes() -> Vec<Runtime> {
    vec![
        Builder::new_current_thread().build().unwrap(),
        Builder::new().worker_threads(2).build().unwrap(),
    ]
}

#[test]
fn local_tasks_share_rc_state_and_run_on_the_set_thread() {
    for rt in runtimes() {
        let local = LocalSet::new();
        let counter = Rc::new(RefCell::new(0u32));
        let owner = thread::current().id();
        local.block_on(&rt, async {
            let mut tasks = Vec::new();
            for _ in 0..100 {
                let counter = counter.clone();
                tasks.push(spawn_local(async move {
                    magpie::task::yield_now().await;
                    *counter.borrow_mut() += 1;
                    thread::current().id()
                }));
            }
            for task in tasks {
                assert_eq!(task.await.unwrap(), owner);
            }
        });
        assert_eq!(*counter.borrow(), 100);
    }
}

#[test]
fn a_wake_from_another_thread_reaches_a_local_task() {
    for rt in runtimes() {
        let local = LocalSet::new();
        let out = local.block_on(&rt, async {
            let (tx, rx) = futures::channel::oneshot::channel::<u32>();
            let task = spawn_local(async move {
                let not_send = Rc::new(rx.await.unwrap());
                *not_send + 1
            });
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                tx.send(41).unwrap();
            });
            task.await.unwrap()
        });
        assert_eq!(out, 42);
    }
}

#[test]
fn local_tasks_use_timers_and_sockets() {
    for rt in runtimes() {
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let listener = magpie::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let served = Rc::new(Cell::new(false));
            let server = spawn_local({
                let served = served.clone();
                async move {
                    let (mut socket, _) = listener.accept().await.unwrap();
                    let mut buf = [0u8; 5];
                    socket.read_exact(&mut buf).await.unwrap();
                    socket.write_all(&buf).await.unwrap();
                    served.set(true);
                }
            });
            magpie::time::sleep(Duration::from_millis(5)).await;
            let mut client = magpie::net::TcpStream::connect(addr).await.unwrap();
            client.write_all(b"hello").await.unwrap();
            let mut back = [0u8; 5];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(&back, b"hello");
            server.await.unwrap();
            assert!(served.get());
        });
    }
}

#[test]
fn awaiting_the_set_runs_every_task_to_completion() {
    for rt in runtimes() {
        let local = LocalSet::new();
        let done = Rc::new(Cell::new(0));
        for i in 0..10u64 {
            let done = done.clone();
            local.spawn_local(async move {
                magpie::time::sleep(Duration::from_millis(i)).await;
                done.set(done.get() + 1);
            });
        }
        rt.block_on(local);
        assert_eq!(done.get(), 10);
    }
}

#[test]
fn run_until_returns_with_tasks_left_in_the_set() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let finished = Rc::new(Cell::new(false));
    let pending = local.spawn_local({
        let finished = finished.clone();
        async move {
            rx.await.unwrap();
            finished.set(true);
        }
    });
    local.block_on(&rt, magpie::task::yield_now());
    assert!(!finished.get());
    tx.send(()).unwrap();
    local.block_on(&rt, async { pending.await.unwrap() });
    assert!(finished.get());
}

#[test]
fn dropping_the_set_drops_its_tasks_on_its_thread() {
    struct OnDrop(Rc<Cell<bool>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let dropped = Rc::new(Cell::new(false));
    let guard = OnDrop(dropped.clone());
    let task = local.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    local.block_on(&rt, magpie::task::yield_now());
    drop(local);
    assert!(dropped.get());
    assert!(rt.block_on(task).unwrap_err().is_cancelled());
}

#[test]
fn a_local_set_inside_a_multi_thread_task_keeps_its_tasks_on_one_thread() {
    let rt = Builder::new().worker_threads(2).build().unwrap();
    let threads = rt.block_on(async {
        // The LocalSet lives inside one block_on future, on this thread.
        let local = LocalSet::new();
        local
            .run_until(async {
                let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
                let mut tasks = Vec::new();
                for _ in 0..20 {
                    let seen = seen.clone();
                    tasks.push(spawn_local(async move {
                        for _ in 0..5 {
                            seen.lock().unwrap().push(thread::current().id());
                            magpie::time::sleep(Duration::from_millis(1)).await;
                        }
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
                let seen = seen.lock().unwrap().clone();
                seen
            })
            .await
    });
    let first = threads[0];
    assert!(threads.iter().all(|id| *id == first));
}

#[test]
fn spawn_local_outside_a_set_panics_with_directions() {
    let rt = Builder::new().worker_threads(1).build().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            spawn_local(async {});
        })
    }));
    let payload = result.unwrap_err();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("LocalSet"), "{message}");
}

#[test]
fn a_spawn_from_a_dropping_task_is_cancelled_not_a_panic() {
    struct SpawnOnDrop(Rc<RefCell<Option<magpie::task::JoinHandle<()>>>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            *self.0.borrow_mut() = Some(spawn_local(async {}));
        }
    }
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let slot = Rc::new(RefCell::new(None));
    let guard = SpawnOnDrop(slot.clone());
    local.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    local.block_on(&rt, magpie::task::yield_now());
    drop(local);
    let child = slot.borrow_mut().take().expect("the destructor spawned");
    assert!(rt.block_on(child).unwrap_err().is_cancelled());
}

#[test]
fn spawn_local_works_anywhere_on_a_current_thread_runtime() {
    let rt = Builder::new_current_thread().build().unwrap();
    let shared = Rc::new(Cell::new(0));
    let out = rt.block_on({
        let shared = shared.clone();
        async move {
            let not_send = Rc::new(5);
            let direct = spawn_local(async move { *not_send * 2 }).await.unwrap();
            // From inside an ordinary spawned task too: it runs on this thread.
            let nested = magpie::spawn(async {
                let local = spawn_local(async { Rc::new(7) });
                drop(local);
                3
            })
            .await
            .unwrap();
            shared.set(direct + nested);
            direct
        }
    });
    assert_eq!(out, 10);
    assert_eq!(shared.get(), 13);
}

#[test]
// The first block_on hands the local task's JoinHandle out on purpose.
#[allow(clippy::async_yields_async)]
fn local_tasks_left_over_run_at_the_next_block_on_of_a_current_thread_runtime() {
    let rt = Builder::new_current_thread().build().unwrap();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let seen = Rc::new(Cell::new(0));
    let task = rt.block_on({
        let seen = seen.clone();
        async move {
            spawn_local(async move {
                let value = rx.await.unwrap();
                seen.set(value);
                value
            })
        }
    });
    assert_eq!(seen.get(), 0);
    tx.send(4).unwrap();
    assert_eq!(rt.block_on(task).unwrap(), 4);
    assert_eq!(seen.get(), 4);
}

#[test]
fn dropping_a_current_thread_runtime_drops_its_local_tasks() {
    struct OnDrop(Rc<Cell<bool>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let rt = Builder::new_current_thread().build().unwrap();
    let dropped = Rc::new(Cell::new(false));
    let guard = OnDrop(dropped.clone());
    rt.block_on(async move {
        spawn_local(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        magpie::task::yield_now().await;
    });
    assert!(!dropped.get());
    drop(rt);
    assert!(dropped.get());
}
