//! Name resolution through the public API: `magpie::net::lookup_host` and host names
//! given to `bind`/`connect`/`send_to`, on a 1-worker, a 2-worker and a current-thread
//! runtime. Host names are looked up on the blocking pool (shown by the pool starting a
//! thread for them, and not for IP addresses); a name that does not resolve is an
//! `io::Error`; dropping a lookup halfway is harmless.
//!
//! Offline-safe: only "localhost" and IP literals are used, plus the reserved
//! `.invalid` name (RFC 6761), which never resolves.

mod common;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{bounded, wait_until, ThreadCounters, HANG_LIMIT};
use futures::FutureExt;
use magpie::net::{lookup_host, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use magpie::runtime::{Builder, Runtime};

/// A name that never resolves (RFC 6761).
const UNRESOLVABLE: &str = "does-not-exist.invalid:80";

/// Defines one `#[magpie::test]` per runtime shape, each running `body`.
macro_rules! on_every_runtime {
    ($name:ident, $body:path) => {
        mod $name {
            #[magpie::test(worker_threads = 1)]
            async fn one_worker() {
                $body().await
            }

            #[magpie::test(worker_threads = 2)]
            async fn two_workers() {
                $body().await
            }

            #[magpie::test(flavor = "current_thread")]
            async fn current_thread() {
                $body().await
            }
        }
    };
}

/// The addresses `lookup_host` gives for `host`, bounded so that a lost wakeup fails.
async fn resolve(host: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    Ok(bounded("a lookup", lookup_host(host)).await?.collect())
}

async fn localhost_resolves_to_loopback() {
    for addrs in [
        resolve("localhost:8080").await,
        resolve(String::from("localhost:8080")).await,
        resolve(("localhost", 8080)).await,
        resolve((String::from("localhost"), 8080)).await,
        resolve(&"localhost:8080").await,
    ] {
        let addrs = addrs.expect("localhost resolves");
        assert!(!addrs.is_empty());
        for addr in addrs {
            assert!(addr.ip().is_loopback(), "{addr} is not loopback");
            assert_eq!(addr.port(), 8080);
        }
    }
}
on_every_runtime!(lookup_host_localhost, super::localhost_resolves_to_loopback);

async fn ip_literals_convert() {
    let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
    assert_eq!(resolve("127.0.0.1:80").await.unwrap(), [v4]);
    assert_eq!(resolve(("127.0.0.1", 80)).await.unwrap(), [v4]);
    assert_eq!(resolve((Ipv4Addr::LOCALHOST, 80)).await.unwrap(), [v4]);
    assert_eq!(resolve(v4).await.unwrap(), [v4]);
    let v6: SocketAddr = "[::1]:80".parse().unwrap();
    assert_eq!(resolve("[::1]:80").await.unwrap(), [v6]);
    assert_eq!(resolve(("::1", 80)).await.unwrap(), [v6]);
    let both = [v4, v6];
    assert_eq!(resolve(&both[..]).await.unwrap(), both);
}
on_every_runtime!(lookup_host_ip_literals, super::ip_literals_convert);

async fn tcp_by_name() {
    // The listener is on 127.0.0.1 only: if "localhost" also gives ::1 first, that
    // attempt is refused and connect goes on to the next address.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    for stream in [
        bounded("connect", TcpStream::connect(format!("localhost:{port}"))).await,
        bounded("connect", TcpStream::connect(("localhost", port))).await,
        bounded("connect", TcpStream::connect(format!("127.0.0.1:{port}"))).await,
    ] {
        let stream = stream.expect("connect by name");
        let (_, peer) = bounded("accept", listener.accept()).await.unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
    }

    let by_name = TcpListener::bind("localhost:0").await.unwrap();
    let addr = by_name.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let stream = bounded("connect", TcpStream::connect(("localhost", addr.port())))
        .await
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap().port(), addr.port());
}
on_every_runtime!(tcp_connect_and_bind_by_name, super::tcp_by_name);

async fn udp_by_name() {
    let receiver = UdpSocket::bind("localhost:0").await.unwrap();
    let port = receiver.local_addr().unwrap().port();
    assert!(receiver.local_addr().unwrap().ip().is_loopback());
    let sender = UdpSocket::bind(("localhost", 0)).await.unwrap();
    sender
        .send_to(b"by name", format!("localhost:{port}"))
        .await
        .unwrap();
    let mut buf = [0; 16];
    let (len, from) = bounded("recv_from", receiver.recv_from(&mut buf))
        .await
        .unwrap();
    assert_eq!(
        (&buf[..len], from),
        (&b"by name"[..], sender.local_addr().unwrap())
    );

    sender.connect(("localhost", port)).await.unwrap();
    assert_eq!(sender.peer_addr().unwrap(), receiver.local_addr().unwrap());
}
on_every_runtime!(udp_bind_connect_send_to_by_name, super::udp_by_name);

async fn unresolvable_names_are_errors() {
    bounded("a failed lookup", lookup_host(UNRESOLVABLE))
        .await
        .err()
        .expect("an .invalid name does not resolve");
    let error = bounded("connect", TcpStream::connect(UNRESOLVABLE))
        .await
        .unwrap_err();
    assert_ne!(error.kind(), io::ErrorKind::ConnectionRefused, "{error}");
    assert!(TcpListener::bind(UNRESOLVABLE).await.is_err());
    assert!(UdpSocket::bind(UNRESOLVABLE).await.is_err());
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert!(socket.send_to(b"x", UNRESOLVABLE).await.is_err());
    assert!(socket.connect(UNRESOLVABLE).await.is_err());

    // A string without a valid port fails as the standard library's parser does.
    for bad in ["localhost", "localhost:http"] {
        let error = lookup_host(bad).await.err().expect("no port");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{bad}");
    }
}
on_every_runtime!(
    unresolvable_name_is_an_error,
    super::unresolvable_names_are_errors
);

async fn dropping_a_lookup_is_harmless() {
    // Polled once (the lookup is queued or running on the pool), then dropped.
    for _ in 0..20 {
        drop(lookup_host("localhost:80").now_or_never());
        drop(TcpStream::connect("localhost:1").now_or_never());
    }
    // A lookup cut short by a timeout, then a complete one.
    let _ = magpie::time::timeout(Duration::ZERO, lookup_host("localhost:80")).await;
    assert!(!resolve("localhost:80").await.unwrap().is_empty());
}
on_every_runtime!(
    a_dropped_lookup_is_harmless,
    super::dropping_a_lookup_is_harmless
);

/// A runtime whose thread starts are counted: workers, then blocking-pool threads.
fn counted(mut builder: Builder) -> (Runtime, ThreadCounters) {
    let counters = ThreadCounters::default();
    counters.install(&mut builder);
    (builder.build().unwrap(), counters)
}

/// A host name lookup starts a blocking-pool thread (so it does not run on the worker
/// or the `block_on` thread); an IP address starts none.
fn lookups_use_the_blocking_pool(builder: Builder, workers: usize) {
    let (rt, counters) = counted(builder);
    rt.block_on(async {
        wait_until("the workers to start", HANG_LIMIT, || {
            counters.started() == workers
        });
        assert_eq!(lookup_host("127.0.0.1:80").await.unwrap().count(), 1);
        TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        assert_eq!(
            counters.started(),
            workers,
            "an IP address needs no pool thread"
        );

        resolve("localhost:80").await.unwrap();
        assert_eq!(
            counters.started(),
            workers + 1,
            "the lookup ran on a blocking-pool thread"
        );
    });
}

#[test]
fn a_lookup_runs_on_the_blocking_pool_of_a_one_worker_runtime() {
    let mut builder = Builder::new_multi_thread();
    builder.worker_threads(1);
    lookups_use_the_blocking_pool(builder, 1);
}

#[test]
fn a_lookup_runs_on_the_blocking_pool_of_a_current_thread_runtime() {
    lookups_use_the_blocking_pool(Builder::new_current_thread(), 0);
}

/// While a lookup waits for the pool, the only worker keeps running other tasks.
#[test]
fn the_worker_runs_other_tasks_while_a_lookup_waits() {
    let mut builder = Builder::new_multi_thread();
    builder.worker_threads(1).max_blocking_threads(1);
    let (rt, _counters) = counted(builder);
    rt.block_on(async {
        // Occupy the only pool thread, so the lookup must wait in the pool's queue.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let occupied = magpie::task::spawn_blocking(move || released.recv());
        let lookup = magpie::spawn(async { resolve("localhost:80").await });
        let progress = magpie::spawn(async {
            for _ in 0..10 {
                magpie::time::sleep(Duration::from_millis(1)).await;
            }
        });
        bounded("the worker to run another task", progress)
            .await
            .unwrap();
        assert!(
            !lookup.is_finished(),
            "the lookup cannot run before the pool is free"
        );
        release.send(()).unwrap();
        occupied.await.unwrap().unwrap();
        assert!(!bounded("the lookup", lookup)
            .await
            .unwrap()
            .unwrap()
            .is_empty());
    });
}

#[test]
fn outside_a_runtime_ip_addresses_work_and_names_panic() {
    let mut addrs = futures::executor::block_on(lookup_host("127.0.0.1:80")).unwrap();
    assert_eq!(addrs.next(), Some("127.0.0.1:80".parse().unwrap()));
    let panic = std::panic::catch_unwind(|| {
        let _ = futures::executor::block_on(lookup_host("localhost:80"));
    })
    .unwrap_err();
    let message = common::panic_message(&*panic);
    assert!(message.contains("magpie runtime"), "{message}");
}

#[test]
fn shutting_down_with_a_lookup_in_flight_does_not_hang() {
    common::with_timeout(HANG_LIMIT, || {
        let rt = common::runtime(1);
        let task = rt.spawn(async { resolve("localhost:80").await.map(|addrs| addrs.len()) });
        drop(task);
        drop(rt);
    });
}
