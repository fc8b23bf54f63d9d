//! The current-thread runtime (`Builder::new_current_thread`): every task
//! runs on the thread in `block_on`, which also drives sockets and timers;
//! tasks spawned while no `block_on` runs wait for the next one; other
//! threads can spawn and wake; shutdown drops every task.

use magpie::net::{TcpListener, TcpStream};
use magpie::runtime::{Builder, Runtime};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

fn current_thread() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

#[test]
fn every_task_runs_on_the_block_on_thread() {
    let rt = current_thread();
    let caller = thread::current().id();
    let threads = rt.block_on(async {
        let mut handles = Vec::new();
        for _ in 0..50 {
            handles.push(magpie::spawn(async {
                magpie::task::yield_now().await;
                thread::current().id()
            }));
        }
        let mut ids = Vec::new();
        for handle in handles {
            ids.push(handle.await.unwrap());
        }
        ids
    });
    assert!(threads.iter().all(|id| *id == caller));
}

#[test]
fn tasks_spawned_outside_block_on_run_at_the_next_one() {
    let rt = current_thread();
    let ran = Arc::new(AtomicBool::new(false));
    let task = rt.spawn({
        let ran = ran.clone();
        async move {
            ran.store(true, SeqCst);
            7
        }
    });
    thread::sleep(Duration::from_millis(20));
    assert!(!ran.load(SeqCst), "nothing runs the task outside block_on");
    assert_eq!(rt.block_on(task).unwrap(), 7);
    assert!(ran.load(SeqCst));
}

#[test]
fn a_task_left_pending_resumes_at_the_next_block_on() {
    let rt = current_thread();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let task = rt.spawn(async move { rx.await.unwrap() * 2 });
    rt.block_on(magpie::task::yield_now());
    tx.send(21).unwrap();
    assert_eq!(rt.block_on(task).unwrap(), 42);
}

#[test]
fn a_spawn_from_another_thread_wakes_the_sleeping_block_on() {
    let rt = current_thread();
    let handle = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    let spawner = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        let task = handle.spawn(async { thread::current().id() });
        tx.send(task).unwrap();
    });
    let started = Instant::now();
    let ran_on = rt.block_on(async {
        let task = loop {
            if let Ok(task) = rx.try_recv() {
                break task;
            }
            magpie::time::sleep(Duration::from_millis(1)).await;
        };
        task.await.unwrap()
    });
    assert_eq!(ran_on, thread::current().id());
    assert!(started.elapsed() < Duration::from_secs(5));
    spawner.join().unwrap();
}

#[test]
fn a_wake_from_another_thread_interrupts_the_driver() {
    let rt = current_thread();
    let (tx, rx) = futures::channel::oneshot::channel::<&str>();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        tx.send("woken").unwrap();
    });
    let started = Instant::now();
    // Nothing else is runnable: block_on sleeps in the driver with no timer
    // armed, so only the cross-thread wake can end it.
    assert_eq!(rt.block_on(rx).unwrap(), "woken");
    assert!(started.elapsed() < Duration::from_secs(5));
    sender.join().unwrap();
}

#[test]
fn timers_fire_and_are_never_early() {
    let rt = current_thread();
    let elapsed = rt.block_on(async {
        let started = Instant::now();
        let a = magpie::spawn(magpie::time::sleep(Duration::from_millis(30)));
        magpie::time::sleep(Duration::from_millis(10)).await;
        a.await.unwrap();
        started.elapsed()
    });
    assert!(elapsed >= Duration::from_millis(30), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn tcp_echo_runs_on_one_thread() {
    let rt = current_thread();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = magpie::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                socket.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        for round in 0..100u32 {
            let msg = round.to_be_bytes();
            client.write_all(&msg).await.unwrap();
            let mut back = [0u8; 4];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(back, msg);
        }
        drop(client);
        server.await.unwrap();
    });
}

#[test]
fn spawn_blocking_results_wake_the_block_on() {
    let rt = current_thread();
    let sum = rt.block_on(async {
        let job = magpie::task::spawn_blocking(|| {
            thread::sleep(Duration::from_millis(20));
            (1..=10u32).sum::<u32>()
        });
        job.await.unwrap()
    });
    assert_eq!(sum, 55);
}

#[test]
fn a_second_block_on_completes_while_the_first_holds_the_core() {
    let rt = current_thread();
    let handle = rt.handle().clone();
    let (release_tx, release_rx) = futures::channel::oneshot::channel::<()>();
    let second = thread::spawn(move || {
        // This block_on finds the core taken; its future depends on a task
        // that the core's thread runs.
        let task = handle.spawn(async { 5 });
        let out = handle.block_on(task).unwrap();
        release_tx.send(()).unwrap();
        out
    });
    rt.block_on(async { release_rx.await.unwrap() });
    assert_eq!(second.join().unwrap(), 5);
}

#[test]
fn the_core_passes_to_a_waiting_block_on_when_the_first_returns() {
    let rt = Arc::new(current_thread());
    let (started_tx, started_rx) = mpsc::channel();
    let first = thread::spawn({
        let rt = rt.clone();
        move || {
            rt.block_on(async {
                started_tx.send(()).unwrap();
                magpie::time::sleep(Duration::from_millis(50)).await;
            })
        }
    });
    started_rx.recv().unwrap();
    // The first block_on holds the core; this one's task needs a runner,
    // which it becomes once the first returns.
    let (tx, rx) = futures::channel::oneshot::channel::<u8>();
    let handle = rt.handle().clone();
    let feeder = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        handle.spawn(async move { tx.send(9).unwrap() });
    });
    assert_eq!(rt.block_on(rx).unwrap(), 9);
    first.join().unwrap();
    feeder.join().unwrap();
}

#[test]
fn dropping_the_runtime_drops_every_task() {
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = current_thread();
    let mut handles = Vec::new();
    for _ in 0..10 {
        let guard = CountDrop(dropped.clone());
        handles.push(rt.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
    }
    rt.block_on(magpie::task::yield_now());
    drop(rt);
    assert_eq!(dropped.load(SeqCst), 10);
    for handle in handles {
        let outcome = futures::executor::block_on(handle);
        assert!(outcome.unwrap_err().is_cancelled());
    }
}

#[test]
fn a_spawn_after_shutdown_is_cancelled() {
    let rt = current_thread();
    let handle = rt.handle().clone();
    drop(rt);
    let task = handle.spawn(async { 1 });
    assert!(futures::executor::block_on(task)
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn a_busy_task_cannot_starve_the_block_on_future() {
    let rt = current_thread();
    let stop = Arc::new(AtomicBool::new(false));
    rt.spawn({
        let stop = stop.clone();
        async move {
            while !stop.load(SeqCst) {
                magpie::task::yield_now().await;
            }
        }
    });
    rt.block_on(async {
        magpie::time::sleep(Duration::from_millis(10)).await;
    });
    stop.store(true, SeqCst);
}

#[test]
fn a_block_on_future_looping_on_yield_now_lets_the_tasks_run() {
    // The future wakes itself on every poll; the spawned tasks must still get
    // their turn between its polls (tokio's behaviour), not only when it
    // finally waits on something else.
    let rt = current_thread();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let ran = ran.clone();
        rt.spawn(async move {
            ran.fetch_add(1, SeqCst);
        });
    }
    let yields = rt.block_on(async {
        let mut yields = 0;
        while ran.load(SeqCst) < 3 && yields < 100_000 {
            magpie::task::yield_now().await;
            yields += 1;
        }
        yields
    });
    assert_eq!(ran.load(SeqCst), 3, "tasks starved by a yielding block_on");
    assert!(yields <= 2, "the tasks ran only after {yields} yields");
}

#[test]
fn block_on_from_inside_a_current_thread_runtime_panics() {
    let rt = current_thread();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let inner = current_thread();
            inner.block_on(async {});
        })
    }));
    let payload = result.unwrap_err();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("within a runtime"), "{message}");
}
