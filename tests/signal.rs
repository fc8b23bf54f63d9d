//! `magpie::signal::unix`: listeners of signals raised to our own process.
//!
//! A signal's disposition is process-wide and the tests of this binary run in parallel
//! threads, so each test raises a signal of its own (SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH,
//! SIGALRM, SIGURG, SIGVTALRM); each has its handler installed (by `signal()`) before it
//! is raised, so none can kill the test process. SIGINT is `tests/signal_ctrl_c.rs`'s.

use std::future::poll_fn;
use std::io;
use std::task::Poll;
use std::time::Duration;

use magpie::signal::unix::{signal, Signal, SignalKind};
use magpie::time::timeout;

/// Generous: the machine running the tests may be loaded.
const DELIVERY_LIMIT: Duration = Duration::from_secs(10);

/// Sends `signum` to this process (to any of its threads).
fn raise(signum: libc::c_int) {
    // SAFETY: `kill` takes two integers; every signal raised here has a handler
    // installed by a `signal()` call made before.
    let sent = unsafe { libc::kill(libc::getpid(), signum) };
    assert_eq!(sent, 0, "kill failed: {}", io::Error::last_os_error());
}

async fn next_delivery(listener: &mut Signal) -> Option<()> {
    timeout(DELIVERY_LIMIT, listener.recv())
        .await
        .expect("the signal was not delivered in time")
}

#[magpie::test]
async fn every_listener_of_a_signal_sees_it() {
    let mut first = signal(SignalKind::user_defined1()).unwrap();
    let mut second = signal(SignalKind::user_defined1()).unwrap();
    raise(libc::SIGUSR1);
    assert_eq!(next_delivery(&mut first).await, Some(()));
    assert_eq!(next_delivery(&mut second).await, Some(()));
}

#[magpie::test]
async fn a_delivery_before_recv_is_polled_is_not_lost() {
    let mut listener = signal(SignalKind::user_defined2()).unwrap();
    raise(libc::SIGUSR2);
    // Let the reactor deliver it while nobody polls the listener.
    magpie::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(next_delivery(&mut listener).await, Some(()));
}

#[magpie::test]
async fn a_waiting_listener_is_woken_by_each_delivery() {
    let mut listener = signal(SignalKind::hangup()).unwrap();
    let (ack_tx, mut ack_rx) = magpie::sync::mpsc::unbounded_channel();
    let waiter = magpie::spawn(async move {
        for _ in 0..3 {
            next_delivery(&mut listener).await.unwrap();
            ack_tx.send(()).unwrap();
        }
    });
    for _ in 0..3 {
        // Raise until the waiter reports it: its first poll may come after a raise,
        // which is still counted (the listener exists), so one raise would do, but
        // repeating one is harmless (deliveries coalesce).
        raise(libc::SIGHUP);
        timeout(DELIVERY_LIMIT, ack_rx.recv())
            .await
            .expect("the waiting listener was not woken")
            .unwrap();
    }
    waiter.await.unwrap();
}

#[magpie::test]
async fn a_listener_made_after_a_delivery_does_not_see_it() {
    let mut early = signal(SignalKind::window_change()).unwrap();
    raise(libc::SIGWINCH);
    assert_eq!(next_delivery(&mut early).await, Some(()));
    let mut late = signal(SignalKind::window_change()).unwrap();
    let seen_now = poll_fn(|cx| Poll::Ready(late.poll_recv(cx).is_ready())).await;
    assert!(!seen_now, "a new listener reported an old delivery");
    raise(libc::SIGWINCH);
    assert_eq!(next_delivery(&mut late).await, Some(()));
}

#[magpie::test]
async fn dropping_one_listener_leaves_the_others_working() {
    let dropped = signal(SignalKind::alarm()).unwrap();
    let mut kept = signal(SignalKind::alarm()).unwrap();
    drop(dropped);
    raise(libc::SIGALRM);
    assert_eq!(next_delivery(&mut kept).await, Some(()));
}

#[magpie::test]
async fn listeners_in_tasks_on_other_workers_see_it() {
    let kind = SignalKind::from_raw(libc::SIGURG);
    let mut tasks = magpie::task::JoinSet::new();
    let (ready_tx, mut ready_rx) = magpie::sync::mpsc::unbounded_channel();
    for _ in 0..4 {
        let mut listener = signal(kind).unwrap();
        let ready_tx = ready_tx.clone();
        tasks.spawn(async move {
            ready_tx.send(()).unwrap();
            next_delivery(&mut listener).await
        });
    }
    for _ in 0..4 {
        ready_rx.recv().await.unwrap();
    }
    raise(libc::SIGURG);
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap(), Some(()));
    }
}

#[magpie::test(flavor = "current_thread")]
async fn a_current_thread_runtime_delivers_signals_too() {
    let mut listener = signal(SignalKind::from_raw(libc::SIGVTALRM)).unwrap();
    raise(libc::SIGVTALRM);
    assert_eq!(next_delivery(&mut listener).await, Some(()));
}

#[magpie::test]
async fn forbidden_and_invalid_signals_are_errors() {
    for signum in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGILL,
        libc::SIGFPE,
        0,
        -1,
        1000,
        libc::c_int::MAX,
    ] {
        let error = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "signal {signum}");
    }
}

#[test]
fn signal_outside_a_runtime_is_an_error() {
    let error = signal(SignalKind::from_raw(libc::SIGIO)).unwrap_err();
    assert!(error.to_string().contains("runtime"), "{error}");
}

#[test]
fn recv_returns_none_once_its_runtime_shut_down() {
    let runtime = magpie::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut listener = runtime
        .block_on(async { signal(SignalKind::from_raw(libc::SIGIO)) })
        .unwrap();
    drop(runtime);
    assert_eq!(futures::executor::block_on(listener.recv()), None);
}

#[test]
fn a_waiting_recv_returns_none_when_its_runtime_shuts_down() {
    let runtime = magpie::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut listener = runtime
        .block_on(async { signal(SignalKind::from_raw(libc::SIGXCPU)) })
        .unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    // Waits on another executor, so dropping the runtime does not drop the wait.
    let waiter = std::thread::spawn(move || {
        done_tx
            .send(futures::executor::block_on(listener.recv()))
            .unwrap();
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(runtime);
    let received = done_rx
        .recv_timeout(DELIVERY_LIMIT)
        .expect("the waiting recv was not woken by the shutdown");
    assert_eq!(received, None);
    waiter.join().unwrap();
}

#[test]
fn signal_kind_round_trips_its_number() {
    assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    assert_eq!(SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    assert_eq!(SignalKind::child().as_raw_value(), libc::SIGCHLD);
    assert_eq!(SignalKind::from_raw(42).as_raw_value(), 42);
    assert_eq!(
        libc::c_int::from(SignalKind::from(libc::SIGUSR1)),
        libc::SIGUSR1
    );
}
