//! Tests of `magpie::compat::hyper` (feature `hyper`): hyper 1.x servers on magpie answering
//! real HTTP clients (hyper's own client, and `curl` where the machine has it), keep-alive,
//! large bodies, upgrades, HTTP/2 on `MagpieExecutor`, hyper's timeouts on `MagpieTimer`, and
//! the adapters' edge cases.
//!
//! Every wait is bounded, so a lost wakeup fails a test instead of hanging it.

mod common;

use common::bounded;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, UPGRADE};
use hyper::rt::{Executor, Read as _, ReadBuf, Timer};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use magpie::compat::hyper::{MagpieExecutor, MagpieIo, MagpieSleep, MagpieTimer};
use magpie::net::{TcpListener, TcpStream};

/// Response header naming the server-side connection (1-based, in accept order).
const CONNECTION_HEADER: &str = "x-connection";
/// Response header counting the requests served so far on that connection (1-based).
const REQUEST_ON_CONNECTION_HEADER: &str = "x-request-on-connection";

fn full(body: impl Into<Bytes>) -> Full<Bytes> {
    Full::new(body.into())
}

/// How the test server speaks on each connection it accepts.
#[derive(Clone)]
enum Protocol {
    Http1 {
        builder: http1::Builder,
        vectored_writes: bool,
    },
    Http2,
}

impl Protocol {
    /// HTTP/1 with `MagpieTimer` and no other settings.
    fn http1() -> Protocol {
        let mut builder = http1::Builder::new();
        builder.timer(MagpieTimer);
        Protocol::Http1 {
            builder,
            vectored_writes: false,
        }
    }
}

/// A server on a loopback port that serves every connection in its own task.
struct TestServer {
    addr: SocketAddr,
    /// Connections accepted so far; written by the accept task, read by the test.
    connections: Arc<AtomicUsize>,
}

impl TestServer {
    async fn start(protocol: Protocol) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        magpie::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let connection = accepted.fetch_add(1, SeqCst) + 1;
                magpie::spawn(serve(stream, connection, protocol.clone()));
            }
        });
        TestServer { addr, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(SeqCst)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Serves one connection; errors (a client that went away) only end the connection.
async fn serve(stream: TcpStream, connection: usize, protocol: Protocol) {
    let requests = Arc::new(AtomicUsize::new(0));
    let service = service_fn(move |request| {
        let request_on_connection = requests.fetch_add(1, SeqCst) + 1;
        route(request, connection, request_on_connection)
    });
    let result = match protocol {
        Protocol::Http1 {
            builder,
            vectored_writes,
        } => {
            let io = MagpieIo::new(stream).with_vectored_writes(vectored_writes);
            builder.serve_connection(io, service).with_upgrades().await
        }
        Protocol::Http2 => {
            http2::Builder::new(MagpieExecutor)
                .timer(MagpieTimer)
                .serve_connection(MagpieIo::new(stream), service)
                .await
        }
    };
    if let Err(error) = result {
        eprintln!("test server, connection {connection}: {error}");
    }
}

/// `GET /hello`: "Hello, world!"; `POST /echo`: the request body; `GET /upgrade` with
/// `upgrade: echo`: switches protocols and echoes raw bytes. Every response says which
/// connection served it and how many requests that connection has served.
async fn route(
    mut request: Request<Incoming>,
    connection: usize,
    request_on_connection: usize,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let mut response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/hello") => Response::new(full("Hello, world!")),
        (&Method::POST, "/echo") => {
            let body = request.into_body().collect().await?.to_bytes();
            Response::new(full(body))
        }
        (&Method::GET, "/upgrade")
            if request.headers().get(UPGRADE).is_some_and(|p| p == "echo") =>
        {
            let on_upgrade = hyper::upgrade::on(&mut request);
            magpie::spawn(async move {
                match on_upgrade.await {
                    Ok(upgraded) => {
                        let (mut reader, mut writer) = MagpieIo::new(upgraded).split();
                        if let Err(error) = futures::io::copy(&mut reader, &mut writer).await {
                            eprintln!("test server, upgraded echo: {error}");
                        }
                        let _ = writer.close().await;
                    }
                    Err(error) => eprintln!("test server, upgrade failed: {error}"),
                }
            });
            Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header(CONNECTION, "upgrade")
                .header(UPGRADE, "echo")
                .body(full(""))
                .unwrap()
        }
        _ => {
            let mut response = Response::new(full("not found"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(CONNECTION_HEADER, connection.into());
    headers.insert(REQUEST_ON_CONNECTION_HEADER, request_on_connection.into());
    Ok(response)
}

/// An HTTP/1 hyper client over one magpie TCP connection to `addr`.
async fn http1_client(
    addr: SocketAddr,
    vectored_writes: bool,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let io = MagpieIo::new(stream).with_vectored_writes(vectored_writes);
    let (sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .expect("HTTP/1 handshake");
    magpie::spawn(async move {
        if let Err(error) = connection.with_upgrades().await {
            eprintln!("test client connection: {error}");
        }
    });
    sender
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "localhost")
        .body(full(""))
        .unwrap()
}

fn header(response: &Response<Incoming>, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("the response has no {name} header"))
        .to_str()
        .unwrap()
        .to_string()
}

async fn body_of(response: Response<Incoming>) -> Bytes {
    response
        .into_body()
        .collect()
        .await
        .expect("reading the body")
        .to_bytes()
}

#[magpie::test]
async fn hyper_client_gets_two_responses_over_one_kept_alive_connection() {
    bounded("the test body", async {
        let server = TestServer::start(Protocol::http1()).await;
        let mut client = http1_client(server.addr, false).await;

        for request_number in 1..=2 {
            client.ready().await.expect("connection ready");
            let response = client.send_request(get("/hello")).await.expect("request");
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(header(&response, "content-length"), "13");
            assert_eq!(header(&response, CONNECTION_HEADER), "1");
            assert_eq!(
                header(&response, REQUEST_ON_CONNECTION_HEADER),
                request_number.to_string()
            );
            assert_eq!(body_of(response).await, "Hello, world!");
        }
        assert_eq!(server.connections(), 1, "the client reconnected");

        // hyper's connection task must first see the previous body finish; sending
        // before `ready` fails with "connection was not ready" when it has not yet.
        client.ready().await.expect("connection ready");
        let response = client.send_request(get("/nowhere")).await.expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[test]
fn curl_gets_two_responses_over_one_kept_alive_connection() {
    if Command::new("curl").arg("--version").output().is_err() {
        println!("note: `curl` was not found on this machine; skipping the curl half of the test");
        return;
    }
    let runtime = magpie::runtime::Builder::new()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let server = runtime.block_on(TestServer::start(Protocol::http1()));

    // curl reuses one connection for several URLs of one invocation. It runs on this
    // (non-runtime) thread while the server runs on the workers.
    let url = server.url("/hello");
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--include", "--http1.1"])
        .args(["--noproxy", "*", "--max-time", "10"])
        .args([&url, &url])
        .output()
        .expect("running curl");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "curl failed ({}): {}{stdout}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    assert_eq!(stdout.matches("HTTP/1.1 200 OK").count(), 2, "{stdout}");
    assert_eq!(stdout.matches("Hello, world!").count(), 2, "{stdout}");
    assert!(
        stdout.contains("x-request-on-connection: 1\r\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("x-request-on-connection: 2\r\n"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("x-connection: 1\r\n").count(), 2, "{stdout}");
    assert_eq!(server.connections(), 1, "curl reconnected: {stdout}");
}

/// Megabyte bodies both ways, with and without vectored writes on either side: the
/// adapters' partial reads and writes lose and reorder nothing.
#[magpie::test]
async fn large_bodies_round_trip_with_and_without_vectored_writes() {
    bounded("the test body", async {
        let body: Bytes = (0..1024 * 1024 + 17)
            .map(|i: u32| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into();
        for (server_vectored, client_vectored) in [(false, false), (true, true), (false, true)] {
            let mut builder = http1::Builder::new();
            builder.timer(MagpieTimer);
            let server = TestServer::start(Protocol::Http1 {
                builder,
                vectored_writes: server_vectored,
            })
            .await;
            let mut client = http1_client(server.addr, client_vectored).await;
            for _ in 0..2 {
                client.ready().await.expect("connection ready");
                let request = Request::post("/echo")
                    .header("host", "localhost")
                    .body(full(body.clone()))
                    .unwrap();
                let response = client.send_request(request).await.expect("request");
                assert_eq!(response.status(), StatusCode::OK);
                let echoed = body_of(response).await;
                assert!(
                    echoed == body,
                    "vectored writes (server, client) = {:?}: sent {} bytes, got back {} different ones",
                    (server_vectored, client_vectored),
                    body.len(),
                    echoed.len()
                );
            }
            assert_eq!(server.connections(), 1);
        }
    })
    .await;
}

/// An upgraded connection wrapped in `MagpieIo` is a `futures-io` stream on both ends.
#[magpie::test]
async fn upgraded_connection_works_with_futures_io() {
    bounded("the test body", async {
        let server = TestServer::start(Protocol::http1()).await;
        let mut client = http1_client(server.addr, false).await;
        let request = Request::get("/upgrade")
            .header("host", "localhost")
            .header(CONNECTION, "upgrade")
            .header(UPGRADE, "echo")
            .body(full(""))
            .unwrap();
        let response = client.send_request(request).await.expect("request");
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);

        let upgraded = hyper::upgrade::on(response).await.expect("upgrade");
        let mut stream = MagpieIo::new(upgraded);
        stream
            .write_all(b"raw bytes after the upgrade")
            .await
            .unwrap();
        stream.flush().await.unwrap();
        let mut echoed = [0u8; 27];
        stream.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"raw bytes after the upgrade");

        // Closing our side ends the server's copy, which then closes its side.
        stream.close().await.unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "unexpected bytes after close: {rest:?}");
    })
    .await;
}

/// HTTP/2 needs an executor on both ends: every stream runs as a magpie task.
#[magpie::test]
async fn http2_serves_concurrent_requests_through_magpie_executor() {
    bounded("the test body", async {
        let server = TestServer::start(Protocol::Http2).await;
        let stream = TcpStream::connect(server.addr).await.expect("connect");
        let (sender, connection) = hyper::client::conn::http2::Builder::new(MagpieExecutor)
            .timer(MagpieTimer)
            .handshake(MagpieIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
        magpie::spawn(connection);

        let mut requests = Vec::new();
        for _ in 0..8 {
            let mut sender = sender.clone();
            requests.push(magpie::spawn(async move {
                sender.ready().await.expect("connection ready");
                let request = Request::get("http://localhost/hello")
                    .body(full(""))
                    .unwrap();
                let response = sender.send_request(request).await.expect("request");
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(header(&response, CONNECTION_HEADER), "1");
                let order = header(&response, REQUEST_ON_CONNECTION_HEADER);
                assert_eq!(body_of(response).await, "Hello, world!");
                order.parse::<usize>().unwrap()
            }));
        }
        let mut orders = Vec::new();
        for request in requests {
            orders.push(request.await.expect("request task"));
        }
        orders.sort_unstable();
        assert_eq!(orders, (1..=8).collect::<Vec<_>>());
        assert_eq!(server.connections(), 1);
    })
    .await;
}

/// hyper's `header_read_timeout` runs on `MagpieTimer`: a client that never finishes its
/// headers is disconnected after the timeout, not before it, and not much later.
#[magpie::test]
async fn header_read_timeout_fires_on_magpie_timer() {
    bounded("the test body", async {
        let timeout = Duration::from_millis(150);
        let mut builder = http1::Builder::new();
        builder.timer(MagpieTimer).header_read_timeout(timeout);
        let server = TestServer::start(Protocol::Http1 {
            builder,
            vectored_writes: false,
        })
        .await;

        // hyper may start the header timer as soon as it accepts the connection, which
        // can be before `connect` returns here on a loaded machine: start the clock first.
        let start = Instant::now();
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nhost: lo")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        match stream.read(&mut buf).await {
            Ok(0) => {}
            Ok(n) => {
                // hyper may answer 408 before closing; then the close follows.
                let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
                assert!(
                    reply.starts_with("HTTP/1.1 408"),
                    "unexpected reply {reply:?}"
                );
            }
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
        }
        let waited = start.elapsed();
        assert!(
            waited >= timeout,
            "disconnected after {waited:?}, before the timeout"
        );
        assert!(
            waited < timeout + Duration::from_secs(5),
            "disconnected only after {waited:?}"
        );
    })
    .await;
}

#[magpie::test]
async fn timer_sleeps_never_complete_early() {
    bounded("the test body", async {
        let start = Instant::now();
        MagpieTimer.sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));

        let deadline = Instant::now() + Duration::from_millis(15);
        MagpieTimer.sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);

        // A deadline in the past completes at once.
        MagpieTimer.sleep_until(start).await;
    })
    .await;
}

#[magpie::test]
async fn timer_reset_moves_a_magpie_sleep_in_place() {
    bounded("the test body", async {
        // Earlier: an hour-long sleep reset to a few milliseconds completes.
        let mut sleep = MagpieTimer.sleep(Duration::from_secs(3600));
        let allocation = sleep_address(&sleep);
        let soon = Instant::now() + Duration::from_millis(10);
        MagpieTimer.reset(&mut sleep, soon);
        assert_eq!(
            sleep_address(&sleep),
            allocation,
            "reset reallocated the sleep"
        );
        assert_eq!(magpie_sleep(&mut sleep).deadline(), soon);
        sleep.as_mut().await;
        assert!(Instant::now() >= soon);

        // Later, after it already completed: it completes again at the new deadline.
        let later = Instant::now() + Duration::from_millis(40);
        MagpieTimer.reset(&mut sleep, later);
        assert!(!magpie_sleep(&mut sleep).is_elapsed());
        sleep.as_mut().await;
        assert!(Instant::now() >= later);
        assert!(magpie_sleep(&mut sleep).is_elapsed());
        assert_eq!(sleep_address(&sleep), allocation);
    })
    .await;
}

/// A sleep from some other timer that never completes by itself.
struct ForeignSleep;

impl Future for ForeignSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl hyper::rt::Sleep for ForeignSleep {}

#[magpie::test]
async fn timer_reset_replaces_a_foreign_sleep() {
    bounded("the test body", async {
        let mut sleep: Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(ForeignSleep);
        let deadline = Instant::now() + Duration::from_millis(5);
        MagpieTimer.reset(&mut sleep, deadline);
        assert!(sleep.is::<MagpieSleep>());
        assert_eq!(magpie_sleep(&mut sleep).deadline(), deadline);
        sleep.await;
        assert!(Instant::now() >= deadline);
    })
    .await;
}

fn sleep_address(sleep: &Pin<Box<dyn hyper::rt::Sleep>>) -> *const () {
    let sleep: &dyn hyper::rt::Sleep = &**sleep;
    (sleep as *const dyn hyper::rt::Sleep).cast()
}

fn magpie_sleep(sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>) -> Pin<&mut MagpieSleep> {
    sleep
        .as_mut()
        .downcast_mut_pin::<MagpieSleep>()
        .expect("MagpieTimer made a sleep that is not a MagpieSleep")
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn timer_outside_a_runtime_panics_clearly() {
    let payload = std::panic::catch_unwind(|| MagpieTimer.sleep(Duration::from_millis(1)))
        .err()
        .expect("sleep outside a runtime did not panic");
    let message = panic_message(payload);
    assert!(
        message.contains("magpie runtime"),
        "unclear panic: {message:?}"
    );
}

#[magpie::test]
async fn executor_runs_the_futures_it_is_given() {
    bounded("the test body", async {
        let (done_tx, done_rx) = futures::channel::oneshot::channel();
        MagpieExecutor.execute(async move {
            magpie::task::yield_now().await;
            done_tx.send(magpie::task::try_id().is_some()).unwrap();
        });
        assert!(
            done_rx.await.unwrap(),
            "the future did not run as a magpie task"
        );
    })
    .await;
}

#[test]
fn executor_outside_a_runtime_panics_clearly() {
    let payload = std::panic::catch_unwind(|| MagpieExecutor.execute(async {}))
        .expect_err("execute outside a runtime did not panic");
    let message = panic_message(payload);
    assert!(message.contains("magpie"), "unclear panic: {message:?}");
}

/// An `AsyncRead` that fills whatever it is offered (recording how much that was), or
/// that lies about how much it read.
struct FillingReader {
    offered: usize,
    overclaim: bool,
}

impl futures::io::AsyncRead for FillingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        assert!(
            buf.iter().all(|&byte| byte == 0),
            "offered memory not zeroed"
        );
        buf.fill(0xAB);
        self.offered = buf.len();
        Poll::Ready(Ok(buf.len() + usize::from(self.overclaim)))
    }
}

fn read_once(io: &mut MagpieIo<FillingReader>, buf: &mut [u8]) -> io::Result<usize> {
    let mut read_buf = ReadBuf::new(buf);
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    match Pin::new(io).poll_read(&mut cx, read_buf.unfilled()) {
        Poll::Ready(result) => result.map(|()| read_buf.filled().len()),
        Poll::Pending => panic!("FillingReader is always ready"),
    }
}

#[test]
fn reads_offer_what_the_stream_delivers_growing_up_to_64_kib() {
    let mut io = MagpieIo::new(FillingReader {
        offered: 0,
        overclaim: false,
    });
    let mut small = vec![0u8; 100];
    assert_eq!(read_once(&mut io, &mut small).unwrap(), 100);
    assert!(small.iter().all(|&byte| byte == 0xAB));

    // A reader that fills every offer: each read offers twice the last, from 1 KiB up
    // to 64 KiB, however large hyper's buffer.
    let mut offers = Vec::new();
    for _ in 0..9 {
        let mut large = vec![0u8; 200 * 1024];
        let read = read_once(&mut io, &mut large).unwrap();
        assert_eq!(read, io.inner().offered);
        offers.push(read / 1024);
    }
    assert_eq!(offers, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
}

#[test]
fn a_reader_claiming_more_than_it_was_offered_is_an_error() {
    let mut io = MagpieIo::new(FillingReader {
        offered: 0,
        overclaim: true,
    });
    let mut buf = vec![0u8; 16];
    let error = read_once(&mut io, &mut buf).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("17 bytes read into a 16-byte buffer"),
        "{error}"
    );
}
