//! Stall detection: a poll that blocks its worker is reported once, with
//! the task and its spawn site, while it runs; meanwhile the other worker
//! takes over the blocked worker's queued tasks (its LIFO slot included)
//! and the IO driver, so a TCP echo on the same runtime keeps answering.

use magpie::runtime::{Builder, Stall};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn a_blocked_worker_is_reported_and_its_work_moves_to_the_other() {
    let stalls: Arc<Mutex<Vec<Stall>>> = Arc::default();
    let rt = Builder::new()
        .worker_threads(2)
        .stall_threshold(Some(Duration::from_millis(50)))
        .on_stall({
            let stalls = stalls.clone();
            move |stall| stalls.lock().unwrap().push(stall.clone())
        })
        .build()
        .unwrap();

    // A TCP echo server on the runtime, and a connected client.
    let listener = rt
        .block_on(magpie::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            magpie::spawn(async move {
                let mut buf = [0u8; 64];
                loop {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => socket.write_all(&buf[..n]).await.unwrap(),
                    }
                }
            });
        }
    });
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client.set_nodelay(true).unwrap();
    let mut round_trip = || {
        let start = Instant::now();
        client.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        client.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        start.elapsed()
    };
    round_trip();

    // The blocker queues a task on its own worker (its LIFO slot), then
    // blocks that worker for 2 s.
    let queued_ran = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let before_spawn = line!();
    let blocker = rt.spawn({
        let queued_ran = queued_ran.clone();
        async move {
            magpie::spawn(async move { queued_ran.store(true, SeqCst) });
            started_tx.send(Instant::now()).unwrap();
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let after_spawn = line!();
    let blocker_id = blocker.id();
    let blocked_at = started_rx.recv().unwrap();

    // The task queued behind the blocker runs on the other worker, long
    // before the blocker returns.
    while !queued_ran.load(SeqCst) {
        assert!(
            blocked_at.elapsed() < Duration::from_secs(1),
            "the task queued behind the blocked worker did not run elsewhere"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // The echo keeps answering within milliseconds while the worker is
    // blocked (generous bound: this machine may be loaded).
    let mut slowest = Duration::ZERO;
    while blocked_at.elapsed() < Duration::from_millis(1500) {
        slowest = slowest.max(round_trip());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        slowest < Duration::from_millis(200),
        "an echo took {slowest:?} while a worker was blocked"
    );

    rt.block_on(blocker).unwrap();
    let stalls = stalls.lock().unwrap();
    assert_eq!(stalls.len(), 1, "reported once per poll: {stalls:?}");
    let stall = &stalls[0];
    assert_eq!(stall.task_id(), blocker_id);
    assert_eq!(stall.spawned_at().file(), file!());
    let line = stall.spawned_at().line();
    assert!((before_spawn..after_spawn).contains(&line), "{line}");
    assert!(stall.worker() < 2);
    assert!(stall.duration() >= Duration::from_millis(50));
    assert!(stall.duration() < Duration::from_secs(2));
}

#[test]
fn a_current_thread_runtime_reports_stalls_too() {
    let stalls: Arc<Mutex<Vec<Stall>>> = Arc::default();
    let rt = Builder::new_current_thread()
        .stall_threshold(Some(Duration::from_millis(20)))
        .on_stall({
            let stalls = stalls.clone();
            move |stall| stalls.lock().unwrap().push(stall.clone())
        })
        .build()
        .unwrap();
    rt.block_on(async {
        let blocker = magpie::spawn(async { std::thread::sleep(Duration::from_millis(300)) });
        let id = blocker.id();
        blocker.await.unwrap();
        let stalls = stalls.lock().unwrap();
        assert_eq!(stalls.len(), 1);
        assert_eq!(stalls[0].task_id(), id);
        assert_eq!(stalls[0].worker(), 0);
    });
}

#[test]
fn short_polls_are_not_stalls_and_a_panicking_handler_is_survived() {
    let rt = Builder::new()
        .worker_threads(2)
        .stall_threshold(Some(Duration::from_millis(30)))
        .on_stall(|_| panic!("the stall handler fails"))
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..20 {
            magpie::time::sleep(Duration::from_millis(5)).await;
            magpie::spawn(async { std::thread::sleep(Duration::from_millis(2)) })
                .await
                .unwrap();
        }
        // A stall whose handler panics: reported on stderr, runtime fine.
        magpie::spawn(async { std::thread::sleep(Duration::from_millis(100)) })
            .await
            .unwrap();
        assert_eq!(magpie::spawn(async { 3 }).await.unwrap(), 3);
    });
}

#[test]
fn a_zero_threshold_is_a_build_error_and_none_turns_detection_off() {
    let error = Builder::new()
        .stall_threshold(Some(Duration::ZERO))
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("stall_threshold"), "{error}");

    let reported = Arc::new(AtomicBool::new(false));
    let rt = Builder::new()
        .worker_threads(1)
        .stall_threshold(None)
        .on_stall({
            let reported = reported.clone();
            move |_| reported.store(true, SeqCst)
        })
        .build()
        .unwrap();
    rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(150)) }))
        .unwrap();
    assert!(!reported.load(SeqCst));
}

/// The default threshold is 100 ms (there is no getter, so by behaviour):
/// with no `stall_threshold` call, a 150 ms poll is reported (at 100 to
/// 150 ms into it) and a 50 ms one is not.
#[test]
fn the_default_threshold_is_100_ms() {
    let stalls: Arc<Mutex<Vec<Stall>>> = Arc::default();
    let rt = Builder::new()
        .worker_threads(1)
        .on_stall({
            let stalls = stalls.clone();
            move |stall| stalls.lock().unwrap().push(stall.clone())
        })
        .build()
        .unwrap();
    let short = rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) });
    rt.block_on(short).unwrap();
    // Let the watchdog look again after the short poll ended.
    std::thread::sleep(Duration::from_millis(60));
    assert!(
        stalls.lock().unwrap().is_empty(),
        "a 50 ms poll was reported: {:?}",
        stalls.lock().unwrap()
    );
    let long = rt.spawn(async { std::thread::sleep(Duration::from_millis(150)) });
    let long_id = long.id();
    rt.block_on(long).unwrap();
    let stalls = stalls.lock().unwrap();
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    assert_eq!(stalls[0].task_id(), long_id);
    assert!(
        stalls[0].duration() >= Duration::from_millis(100),
        "{stalls:?}"
    );
}
