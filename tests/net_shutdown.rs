//! Dropping a runtime while tasks are parked in socket operations: the drop
//! returns promptly, the parked futures are dropped (their sockets closed),
//! and IO futures still awaited outside the runtime fail with an error
//! instead of hanging.

mod common;

use common::{report_first_pending, runtime, send_on, DropFlag, HANG_LIMIT};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use magpie::net::{TcpListener, TcpStream, UdpSocket};
use magpie::runtime::Runtime;

/// What "promptly" means for a runtime drop.
const PROMPT: Duration = Duration::from_secs(1);

/// Drops `runtime`, panicking if that takes longer than [`PROMPT`].
fn drop_promptly(runtime: Runtime) {
    let started = Instant::now();
    drop(runtime);
    let took = started.elapsed();
    assert!(took < PROMPT, "dropping the runtime took {took:?}");
}

#[test]
fn dropping_the_runtime_with_tasks_parked_in_accept_and_read_returns_promptly() {
    const READERS: usize = 16;
    let rt = runtime(2);
    let mut flags = Vec::new();

    let (listener, addr) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        (listener, addr)
    });
    // Each time the accept task parks, it sends how many it has accepted.
    let (accept_parked_tx, accept_parked_rx) = mpsc::channel::<usize>();
    let accept_dropped = Arc::new(AtomicBool::new(false));
    flags.push(accept_dropped.clone());
    rt.spawn(async move {
        let _flag = DropFlag(accept_dropped);
        let mut accepted = Vec::new();
        loop {
            let count = accepted.len();
            let parked_tx = accept_parked_tx.clone();
            let on_parked = move || {
                let _ = parked_tx.send(count);
            };
            let (socket, _) = report_first_pending(listener.accept(), on_parked)
                .await
                .expect("accept");
            accepted.push(socket);
        }
    });

    // Readers on client connections that never receive anything, and a UDP
    // receiver: each reports once, when it parks.
    let (parked_tx, parked_rx) = mpsc::channel();
    for _ in 0..READERS {
        let dropped = Arc::new(AtomicBool::new(false));
        flags.push(dropped.clone());
        let parked_tx = parked_tx.clone();
        rt.spawn(async move {
            let _flag = DropFlag(dropped);
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let mut buf = [0u8; 16];
            let read = report_first_pending(stream.read(&mut buf), send_on(parked_tx)).await;
            panic!("nothing is ever sent, yet the read returned {read:?}");
        });
    }
    let udp_dropped = Arc::new(AtomicBool::new(false));
    flags.push(udp_dropped.clone());
    rt.spawn(async move {
        let _flag = DropFlag(udp_dropped);
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
        let mut buf = [0u8; 16];
        let received = report_first_pending(socket.recv_from(&mut buf), send_on(parked_tx)).await;
        panic!("nothing is ever sent, yet recv_from returned {received:?}");
    });

    let deadline = Instant::now() + HANG_LIMIT;
    let left = || deadline.saturating_duration_since(Instant::now());
    for _ in 0..READERS + 1 {
        parked_rx
            .recv_timeout(left())
            .expect("every reader to park in the reactor");
    }
    while accept_parked_rx
        .recv_timeout(left())
        .expect("the accept task to park after accepting every reader")
        < READERS
    {}
    assert!(
        flags.iter().all(|flag| !flag.load(SeqCst)),
        "no task finished on its own"
    );

    drop_promptly(rt);
    for (i, flag) in flags.iter().enumerate() {
        assert!(flag.load(SeqCst), "task {i}'s future was not dropped");
    }
}

#[test]
fn io_awaited_outside_the_runtime_fails_once_the_runtime_is_dropped() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let (listener, mut client) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        (listener, client)
    });
    let (_server, _) = rt.block_on(listener.accept()).unwrap();

    // A plain thread blocks on a read that nothing will satisfy.
    let (parked_tx, parked_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let result = handle.block_on(async {
            let mut buf = [0u8; 16];
            report_first_pending(client.read(&mut buf), send_on(parked_tx)).await
        });
        let _ = done_tx.send(result);
    });
    parked_rx
        .recv_timeout(HANG_LIMIT)
        .expect("the read to park");

    drop_promptly(rt);
    let result = done_rx
        .recv_timeout(PROMPT)
        .expect("the blocked read to return after the runtime was dropped");
    let error = result.expect_err("a read after shutdown cannot succeed");
    assert!(
        error.to_string().contains("shut down"),
        "the error says why: {error}"
    );

    // Sockets outliving their runtime are harmless to drop.
    drop(listener);
}

#[test]
fn shutdown_timeout_with_parked_io_returns_within_its_bound() {
    let rt = runtime(1);
    let (parked_tx, parked_rx) = mpsc::channel();
    rt.spawn(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let accepted = report_first_pending(listener.accept(), send_on(parked_tx)).await;
        panic!("nobody connects, yet accept returned {accepted:?}");
    });
    parked_rx.recv_timeout(HANG_LIMIT).expect("accept to park");
    let started = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(500));
    let took = started.elapsed();
    assert!(took < PROMPT, "shutdown_timeout took {took:?}");
}
