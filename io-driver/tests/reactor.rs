//! The reactor itself: shutdown, unparking, registration bookkeeping and the
//! cooperative budget.

mod support;

use std::future::Future;
use std::io::ErrorKind;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures_test::task::new_count_waker;
use magpie_io_driver::net::{TcpListener, TcpStream, UdpSocket};
use magpie_io_driver::{context, coop, Reactor};
use support::{block_on_deadline, run, Budgeted, ReactorThread};

const PROMPTLY: Duration = Duration::from_secs(5);

async fn connected_pair() -> (TcpListener, TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    (listener, client.unwrap(), accepted.unwrap().0)
}

fn is_shutdown_error(error: &std::io::Error) -> bool {
    error.kind() == ErrorKind::Other && error.to_string().contains("shut down")
}

/// Runs `future` on a new thread: polls it once (it must be pending), reports that it
/// is parked, waits until its waker fires, polls again and sends back the result.
fn park_on_thread<F>(future: F) -> (mpsc::Receiver<()>, mpsc::Receiver<Poll<F::Output>>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (parked_tx, parked_rx) = mpsc::channel();
    let (result_tx, result_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (waker, counter) = new_count_waker();
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        assert!(
            future.as_mut().poll(&mut cx).is_pending(),
            "must park first"
        );
        parked_tx.send(()).unwrap();
        let started = Instant::now();
        while counter.get() == 0 {
            assert!(
                started.elapsed() < PROMPTLY,
                "the parked future was never woken"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = result_tx.send(future.as_mut().poll(&mut cx));
    });
    (parked_rx, result_rx)
}

#[test]
fn shutdown_wakes_pending_accept_and_read_with_an_error() {
    let reactor = ReactorThread::start();
    let _guard = reactor.enter();
    let (listener, client, server) = block_on_deadline(connected_pair());
    let listener = Arc::new(listener);

    let accept = {
        let listener = listener.clone();
        async move { listener.accept().await.map(drop) }
    };
    let read = async move {
        let mut server = server;
        let mut buf = [0u8; 8];
        server.read(&mut buf).await
    };
    let (accept_parked, accept_result) = park_on_thread(accept);
    let (read_parked, read_result) = park_on_thread(read);
    accept_parked.recv_timeout(PROMPTLY).unwrap();
    read_parked.recv_timeout(PROMPTLY).unwrap();

    reactor.handle().shutdown();
    assert!(reactor.handle().is_shutdown());

    match accept_result.recv_timeout(PROMPTLY).unwrap() {
        Poll::Ready(Err(error)) => assert!(is_shutdown_error(&error), "{error}"),
        other => panic!("accept after shutdown: {other:?}"),
    }
    match read_result.recv_timeout(PROMPTLY).unwrap() {
        Poll::Ready(Err(error)) => assert!(is_shutdown_error(&error), "{error}"),
        other => panic!("read after shutdown: {other:?}"),
    }

    // Everything afterwards fails too, without blocking.
    let error = client.try_write(b"x").unwrap_err();
    assert!(is_shutdown_error(&error), "{error}");
    let error = block_on_deadline(TcpListener::bind("127.0.0.1:0")).unwrap_err();
    assert!(is_shutdown_error(&error), "{error}");
    let error = block_on_deadline(UdpSocket::bind("127.0.0.1:0")).unwrap_err();
    assert!(is_shutdown_error(&error), "{error}");
    let error = block_on_deadline(listener.accept()).unwrap_err();
    assert!(is_shutdown_error(&error), "{error}");
    // Idempotent.
    reactor.handle().shutdown();
}

#[test]
fn dropping_the_reactor_fails_pending_io() {
    let reactor = ReactorThread::start();
    let guard = reactor.enter();
    let (_listener, _client, server) = block_on_deadline(connected_pair());
    drop(guard);
    let read = async move {
        let mut server = server;
        let mut buf = [0u8; 8];
        server.read(&mut buf).await
    };
    let (parked, result) = park_on_thread(read);
    parked.recv_timeout(PROMPTLY).unwrap();
    let handle = reactor.handle().clone();
    reactor.stop();
    assert!(handle.is_shutdown());
    match result.recv_timeout(PROMPTLY).unwrap() {
        Poll::Ready(Err(error)) => assert!(is_shutdown_error(&error), "{error}"),
        other => panic!("read after the reactor was dropped: {other:?}"),
    }
    // A handle outliving its reactor stays harmless.
    handle.unpark();
    handle.shutdown();
}

#[test]
fn unpark_interrupts_a_blocking_turn_every_time() {
    let mut reactor = Reactor::new().unwrap();
    let handle = reactor.handle();
    let (turned_tx, turned_rx) = mpsc::channel();
    let driver = std::thread::spawn(move || {
        for _ in 0..5 {
            assert_eq!(reactor.turn(None).unwrap(), 0, "an unpark wakes no task");
            turned_tx.send(()).unwrap();
        }
    });
    for _ in 0..5 {
        handle.unpark();
        handle.unpark(); // coalesced with the first
        turned_rx
            .recv_timeout(PROMPTLY)
            .expect("a blocking turn must return after unpark");
    }
    driver.join().unwrap();
}

#[test]
fn turn_with_a_timeout_returns_without_events() {
    let mut reactor = Reactor::new().unwrap();
    let started = Instant::now();
    assert_eq!(reactor.turn(Some(Duration::from_millis(10))).unwrap(), 0);
    assert!(started.elapsed() >= Duration::from_millis(9));
    assert_eq!(reactor.turn(Some(Duration::ZERO)).unwrap(), 0);
}

/// `turn` reports how many tasks it woke: one for a datagram a pending `recv` waits for,
/// none for an event nobody waits on.
#[test]
fn turn_counts_the_tasks_it_wakes() {
    let mut reactor = Reactor::new().unwrap();
    let _guard = context::enter(&reactor.handle());
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = receiver.local_addr().unwrap();
    receiver.set_nonblocking(true).unwrap();
    let receiver = UdpSocket::from_std(receiver).unwrap();
    // The registration's first event (writable) wakes nobody yet.
    reactor.turn(Some(Duration::from_millis(10))).unwrap();

    let (task_waker, waker) = new_count_waker();
    let mut buf = [0u8; 16];
    let mut recv = pin!(receiver.recv(&mut buf));
    assert!(recv
        .as_mut()
        .poll(&mut Context::from_waker(&task_waker))
        .is_pending());

    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"ping", addr).unwrap();
    let started = Instant::now();
    let mut woken = 0;
    while woken == 0 && started.elapsed() < Duration::from_secs(5) {
        woken = reactor.turn(Some(Duration::from_millis(100))).unwrap();
    }
    assert_eq!(woken, 1);
    assert_eq!(waker.get(), 1);

    // The datagram is still unread: more data makes an event, but no task waits.
    sender.send_to(b"pong", addr).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(reactor.turn(Some(Duration::from_millis(10))).unwrap(), 0);
}

#[test]
fn dropped_sockets_leave_the_registration_table() {
    let reactor = ReactorThread::start();
    let _guard = reactor.enter();
    block_on_deadline(async {
        for _ in 0..50 {
            let (listener, mut client, mut server) = connected_pair().await;
            client.write_all(b"data in flight").await.unwrap();
            let mut buf = [0u8; 4];
            server.read_exact(&mut buf).await.unwrap();
            drop((listener, client, server));
            let _udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        }
    });
    let debug = format!("{:?}", reactor.handle());
    assert!(debug.contains("registered_sockets: 0"), "{debug}");
}

#[test]
fn sockets_keep_the_reactor_they_were_created_with() {
    let first = ReactorThread::start();
    let second = ReactorThread::start();
    let guard = first.enter();
    let (listener, _, _) = block_on_deadline(connected_pair());
    drop(guard);
    let _guard = second.enter();
    let addr = listener.local_addr().unwrap();
    // Accepting under another reactor's context still works through the first one.
    let (client, accepted) =
        block_on_deadline(async { futures::join!(TcpStream::connect(addr), listener.accept()) });
    client.unwrap();
    accepted.unwrap();
    first.handle().shutdown();
    let error = block_on_deadline(listener.accept()).unwrap_err();
    assert!(is_shutdown_error(&error), "{error}");
    assert!(!second.handle().is_shutdown());
    assert!(context::try_current()
        .unwrap()
        .same_reactor(second.handle()));
}

#[test]
fn an_always_ready_read_yields_once_the_budget_is_spent() {
    run(async {
        let (_listener, mut client, mut server) = connected_pair().await;
        client.write_all(&[7u8; 4096]).await.unwrap();
        // On loopback the bytes are queued at the server once write_all returns;
        // wait for the reactor to report them (a new socket starts not ready).
        server.readable().await.unwrap();
        let (waker, counter) = new_count_waker();
        let mut cx = Context::from_waker(&waker);
        let reads = coop::budget(|| {
            let mut reads = 0;
            loop {
                let mut byte = [0u8; 1];
                let polled = pin!(server.read(&mut byte)).poll(&mut cx);
                match polled {
                    Poll::Ready(Ok(1)) => reads += 1,
                    Poll::Pending => break reads,
                    other => panic!("unexpected read result {other:?}"),
                }
            }
        });
        assert_eq!(reads, usize::from(coop::TASK_POLL_BUDGET));
        assert_eq!(counter.get(), 1, "the task is woken to run again");
        // The data was there all along: a new budget reads on.
        let mut byte = [0u8; 1];
        assert_eq!(server.read(&mut byte).await.unwrap(), 1);
    });
}

#[test]
fn a_flooding_reader_lets_other_tasks_run() {
    const FLOOD: usize = 16 * 1024;
    let reactor = ReactorThread::start();
    let _guard = reactor.enter();
    let (_listener, mut client, mut server) = block_on_deadline(connected_pair());
    block_on_deadline(client.write_all(&vec![1u8; FLOOD])).unwrap();

    let ticks = Arc::new(AtomicUsize::new(0));
    let flood_done = Arc::new(AtomicBool::new(false));
    let longest_run = Arc::new(AtomicUsize::new(0));
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let reader = {
        let (ticks, flood_done, longest_run) =
            (ticks.clone(), flood_done.clone(), longest_run.clone());
        async move {
            let (mut received, mut run, mut last_tick) = (0, 0, ticks.load(Ordering::SeqCst));
            while received < FLOOD {
                let mut byte = [0u8; 1];
                received += server.read(&mut byte).await.unwrap();
                let tick = ticks.load(Ordering::SeqCst);
                run = if tick == last_tick { run + 1 } else { 1 };
                last_tick = tick;
                longest_run.fetch_max(run, Ordering::SeqCst);
            }
            flood_done.store(true, Ordering::SeqCst);
        }
    };
    // A task that counts how often it gets to run while the reader floods. It keeps
    // the pool busy, so it also fails the test if the reader stalls.
    let ticker = {
        let (ticks, flood_done) = (ticks.clone(), flood_done.clone());
        let started = Instant::now();
        futures::future::poll_fn(move |cx| {
            if flood_done.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            assert!(started.elapsed() < support::DEADLINE, "the reader stalled");
            ticks.fetch_add(1, Ordering::SeqCst);
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    };
    spawner.spawn_local(Budgeted(Box::pin(reader))).unwrap();
    spawner.spawn_local(Budgeted(Box::pin(ticker))).unwrap();
    pool.run();
    assert!(flood_done.load(Ordering::SeqCst));
    let longest = longest_run.load(Ordering::SeqCst);
    assert!(
        longest <= usize::from(coop::TASK_POLL_BUDGET),
        "the reader ran {longest} reads without letting the other task run"
    );
    let ticks = ticks.load(Ordering::SeqCst);
    // The other task runs in every gap between the reader's budget-sized bursts.
    let bursts = FLOOD / usize::from(coop::TASK_POLL_BUDGET);
    assert!(
        ticks >= bursts - 1,
        "only {ticks} ticks for {bursts} bursts"
    );
}
