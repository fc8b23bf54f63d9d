//! Test scaffolding standing in for the runtime: a reactor driven on its own thread,
//! and `block_on` with a deadline so a broken wakeup fails the test instead of hanging.
#![allow(dead_code)] // each test binary uses a different part

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use futures::executor::LocalSpawner;
use futures::task::LocalSpawnExt;
use magpie_io_driver::context::{self, EnterGuard};
use magpie_io_driver::net::TcpListener;
use magpie_io_driver::{coop, Reactor, ReactorHandle};

/// How long any one test future may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A reactor running `turn(None)` on a thread until dropped.
pub struct ReactorThread {
    handle: ReactorHandle,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Disconnects when the thread exits, so stopping can wait with a deadline.
    exited: mpsc::Receiver<()>,
}

impl ReactorThread {
    pub fn start() -> ReactorThread {
        let (handle_tx, handle_rx) = mpsc::channel();
        let (exit_tx, exited) = mpsc::channel::<()>();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("test-reactor".into())
            .spawn({
                let stop = stop.clone();
                move || {
                    let _exit_tx = exit_tx;
                    let mut reactor = Reactor::new().expect("create reactor");
                    handle_tx.send(reactor.handle()).unwrap();
                    while !stop.load(Ordering::SeqCst) {
                        reactor.turn(None).expect("reactor turn");
                    }
                }
            })
            .expect("spawn reactor thread");
        ReactorThread {
            handle: handle_rx.recv().expect("reactor handle"),
            stop,
            thread: Some(thread),
            exited,
        }
    }

    pub fn handle(&self) -> &ReactorHandle {
        &self.handle
    }

    /// Makes the reactor current, with a thread per blocking job standing in for the
    /// runtime's blocking pool (host name lookups run there).
    pub fn enter(&self) -> EnterGuard {
        context::enter_with_blocking(
            &self.handle,
            Arc::new(|job| {
                std::thread::spawn(job);
            }),
        )
    }

    /// Stops the thread and drops the reactor (which shuts it down).
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    /// # Panics
    /// If the thread does not stop within [`DEADLINE`] of the unpark (a broken unpark
    /// would otherwise hang the test run), unless the test is already failing.
    fn stop_and_join(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        self.handle.unpark();
        match self.exited.recv_timeout(DEADLINE) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !std::thread::panicking() {
                    panic!("the reactor thread did not stop after unpark");
                }
            }
            _ => {
                if thread.join().is_err() && !std::thread::panicking() {
                    panic!("the reactor thread panicked");
                }
            }
        }
    }
}

impl Drop for ReactorThread {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Runs `future` on this thread inside a fresh reactor's context.
pub fn run<F: Future>(future: F) -> F::Output {
    let reactor = ReactorThread::start();
    let _guard = reactor.enter();
    block_on_deadline(future)
}

/// `futures::executor::block_on`, failing the test if `future` takes longer than
/// [`DEADLINE`] (a lost wakeup would otherwise hang the test run).
pub fn block_on_deadline<F: Future>(future: F) -> F::Output {
    let (fire, fired) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(DEADLINE);
        let _ = fire.send(());
    });
    let future = std::pin::pin!(future);
    match futures::executor::block_on(futures::future::select(future, fired)) {
        futures::future::Either::Left((output, _)) => output,
        futures::future::Either::Right(_) => {
            panic!("test future did not finish within {DEADLINE:?}")
        }
    }
}

/// Polls `inner` inside `coop::budget`, as the runtime does for every task poll.
pub struct Budgeted<F>(pub F);

impl<F: Future + Unpin> Future for Budgeted<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        coop::budget(|| std::pin::Pin::new(&mut self.0).poll(cx))
    }
}

/// A local port nobody listens on (bound, then released).
pub fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Spawns onto `spawner` a task that accepts `connections` connections from `listener` and
/// echoes each one, in a task of its own, until its peer closes it, reading at most `CHUNK`
/// bytes at a time.
pub fn spawn_echo_acceptor<const CHUNK: usize>(
    spawner: &LocalSpawner,
    listener: TcpListener,
    connections: usize,
) {
    let acceptor = spawner.clone();
    spawner
        .spawn_local(async move {
            for _ in 0..connections {
                let (mut stream, _) = listener.accept().await.unwrap();
                acceptor
                    .spawn_local(async move {
                        let mut buf = [0u8; CHUNK];
                        loop {
                            match stream.read(&mut buf).await.unwrap() {
                                0 => break,
                                read => stream.write_all(&buf[..read]).await.unwrap(),
                            }
                        }
                    })
                    .unwrap();
            }
        })
        .unwrap();
}
