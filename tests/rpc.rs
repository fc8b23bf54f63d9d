//! Tests of the RPC demo's client, server and wire format (`examples/rpc/`), run on magpie
//! through its public API: out-of-order replies, server errors, timeouts, cancelled calls,
//! connection loss with calls pending, and malformed frames in both directions.
//!
//! Where a test needs a misbehaving peer, it plays that peer itself over a raw socket.
//! Every test runs under [`bounded`], so a lost wakeup or a leaked call fails the test
//! instead of hanging it.

mod common;

#[path = "../examples/rpc/client.rs"]
mod client;
#[path = "../examples/rpc/framing.rs"]
mod framing;
#[path = "../examples/rpc/protocol.rs"]
mod protocol;
#[path = "../examples/rpc/server.rs"]
mod server;
// The runtime the server and framing code run on: magpie.
#[path = "../examples/runtimes/magpie.rs"]
mod rt;

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::io::Cursor;
use magpie::net::{TcpListener, TcpStream};

use client::{Client, CloseReason, RpcError};
use common::bounded;
use framing::{read_frame, ReadError};
use protocol::{
    decode_reply, decode_request, encode_reply, encode_request, sleep_payload, FrameError, Method,
    Reply, Request, MAX_BODY_LEN, MAX_PAYLOAD_LEN,
};
use server::{Server, MAX_SLEEP_MILLIS};

/// Starts a server on a free loopback port and returns its address.
async fn start_server() -> SocketAddr {
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("binding the server");
    let addr = server.local_addr().expect("the server's address");
    magpie::spawn(server.run());
    addr
}

async fn connected_client() -> Client {
    Client::connect(start_server().await)
        .await
        .expect("connecting to the server")
}

/// A listener for tests that play the server themselves.
async fn fake_server() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let addr = listener.local_addr().expect("the listener's address");
    (listener, addr)
}

/// Waits for `client` to have `count` calls pending (they are registered on first poll).
async fn until_pending(client: &Client, count: usize) {
    while client.pending_len() != count {
        magpie::time::sleep(Duration::from_millis(1)).await;
    }
}

fn request_frame(id: u64, method: Method, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    encode_request(id, method, payload, &mut frame).expect("a small request encodes");
    frame
}

/// A frame with the given raw body (for bodies no encoder would produce).
fn raw_frame(body: &[u8]) -> Vec<u8> {
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    frame
}

async fn read_reply(stream: &mut TcpStream) -> Reply {
    let body = read_frame(stream)
        .await
        .expect("reading a reply")
        .expect("a reply, not the end of the stream");
    decode_reply(body).expect("a well-formed reply")
}

/// Reads requests off a fake server's connection until it has seen `count`.
async fn read_requests(stream: &mut TcpStream, count: usize) -> Vec<Request> {
    let mut requests = Vec::with_capacity(count);
    while requests.len() < count {
        let body = read_frame(stream)
            .await
            .expect("reading a request")
            .expect("a request, not the end of the stream");
        requests.push(decode_request(body).expect("a well-formed request"));
    }
    requests
}

#[magpie::test]
async fn a_slow_call_issued_first_finishes_after_a_fast_one_issued_later() {
    bounded("the test body", async {
        let client = connected_client().await;
        let finished = Mutex::new(Vec::new());
        let slow_payload = sleep_payload(300);
        // `join!` polls in order, so the slow request is queued (and sent) first.
        let (slow, fast) = futures::join!(
            async {
                let reply = client.call(Method::Sleep, &slow_payload).await;
                finished.lock().unwrap().push("slow");
                reply
            },
            async {
                let reply = client.call(Method::Echo, b"fast").await;
                finished.lock().unwrap().push("fast");
                reply
            }
        );
        assert_eq!(slow, Ok(slow_payload.to_vec()));
        assert_eq!(fast, Ok(b"fast".to_vec()));
        assert_eq!(*finished.lock().unwrap(), ["fast", "slow"]);
        assert_eq!(client.pending_len(), 0);
    })
    .await;
}

#[magpie::test]
async fn many_tasks_share_one_connection_and_each_gets_its_own_reply() {
    bounded("the test body", async {
        let client = connected_client().await;
        let tasks: Vec<_> = (0..32)
            .map(|caller| {
                let client = client.clone();
                magpie::spawn(async move {
                    for call in 0..50 {
                        let payload = format!("{caller}/{call}");
                        let reply = client.call(Method::Echo, payload.as_bytes()).await;
                        assert_eq!(reply, Ok(payload.into_bytes()));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a caller task panicked");
        }
        assert_eq!(client.pending_len(), 0);
    })
    .await;
}

#[magpie::test]
async fn payloads_up_to_the_limit_round_trip_and_larger_ones_are_refused() {
    bounded("the test body", async {
        let client = connected_client().await;
        let largest: Vec<u8> = (0..MAX_PAYLOAD_LEN).map(|i| (i % 251) as u8).collect();
        assert_eq!(client.call(Method::Echo, &largest).await, Ok(largest));

        let too_large = vec![0u8; MAX_PAYLOAD_LEN + 1];
        assert_eq!(
            client.call(Method::Echo, &too_large).await,
            Err(RpcError::PayloadTooLarge {
                len: MAX_PAYLOAD_LEN + 1
            })
        );
        assert_eq!(client.pending_len(), 0);
        assert_eq!(
            client.call(Method::Echo, b"still fine").await,
            Ok(b"still fine".to_vec())
        );
    })
    .await;
}

#[magpie::test]
async fn server_errors_come_back_with_their_message_and_the_connection_survives() {
    bounded("the test body", async {
        let client = connected_client().await;
        assert_eq!(
            client.call(Method::Fail, b"out of cheese").await,
            Err(RpcError::Server("out of cheese".to_string()))
        );

        let bad_argument = client.call(Method::Sleep, b"soon").await;
        match bad_argument {
            Err(RpcError::Server(message)) => assert!(
                message.contains("8-byte") && message.contains("got 4 bytes"),
                "unexpected message: {message}"
            ),
            other => panic!("expected a server error, got {other:?}"),
        }

        let too_long = client
            .call(Method::Sleep, &sleep_payload(MAX_SLEEP_MILLIS + 1))
            .await;
        match too_long {
            Err(RpcError::Server(message)) => {
                assert!(message.contains("exceeds"), "unexpected message: {message}")
            }
            other => panic!("expected a server error, got {other:?}"),
        }

        assert_eq!(client.call(Method::Echo, b"ok").await, Ok(b"ok".to_vec()));
        assert_eq!(client.pending_len(), 0);
        assert_eq!(client.close_reason(), None);
    })
    .await;
}

#[magpie::test]
async fn a_timed_out_call_is_removed_and_its_late_reply_is_dropped() {
    bounded("the test body", async {
        let client = connected_client().await;
        let started = Instant::now();
        let outcome = client
            .call_timeout(
                Method::Sleep,
                &sleep_payload(150),
                Duration::from_millis(20),
            )
            .await;
        assert_eq!(outcome, Err(RpcError::Timeout));
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert_eq!(client.pending_len(), 0);

        // The late reply arrives while another call is in flight: it must not be taken
        // for that call's reply, nor break the connection.
        let next = client
            .call(Method::Sleep, &sleep_payload(300))
            .await
            .expect("the call after the timeout");
        assert_eq!(next, sleep_payload(300));
        assert_eq!(client.pending_len(), 0);
        assert_eq!(client.close_reason(), None);
    })
    .await;
}

#[magpie::test]
async fn many_concurrent_timeouts_leave_no_entry_behind() {
    bounded("the test body", async {
        let client = connected_client().await;
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let client = client.clone();
                magpie::spawn(async move {
                    client
                        .call_timeout(
                            Method::Sleep,
                            &sleep_payload(2_000),
                            Duration::from_millis(30),
                        )
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(
                task.await.expect("a caller panicked"),
                Err(RpcError::Timeout)
            );
        }
        assert_eq!(client.pending_len(), 0);
    })
    .await;
}

#[magpie::test]
async fn a_call_dropped_by_its_caller_removes_its_entry() {
    bounded("the test body", async {
        let client = connected_client().await;
        let long_sleep = sleep_payload(5_000);
        {
            let call = pin!(client.call(Method::Sleep, &long_sleep));
            assert!(futures::poll!(call).is_pending());
            assert_eq!(client.pending_len(), 1);
        }
        assert_eq!(client.pending_len(), 0);

        // The same through abort: a task stuck in a call is cancelled.
        let caller = {
            let client = client.clone();
            magpie::spawn(async move { client.call(Method::Sleep, &sleep_payload(5_000)).await })
        };
        until_pending(&client, 1).await;
        caller.abort();
        assert!(caller
            .await
            .expect_err("the caller was aborted")
            .is_cancelled());
        assert_eq!(client.pending_len(), 0);
    })
    .await;
}

#[magpie::test]
async fn losing_the_connection_fails_every_pending_call_and_later_calls_fail_fast() {
    bounded("the test body", async {
        let (listener, addr) = fake_server().await;
        let client = Client::connect(addr).await.expect("connecting");
        let (mut peer, _) = listener.accept().await.expect("accepting");

        let callers: Vec<_> = (0..20u8)
            .map(|i| {
                let client = client.clone();
                magpie::spawn(async move {
                    // A long timeout: these calls must end because the connection does.
                    client
                        .call_timeout(Method::Echo, &[i], Duration::from_secs(60))
                        .await
                })
            })
            .collect();
        // Read every request so that closing sends a clean end of stream.
        let requests = read_requests(&mut peer, 20).await;
        assert_eq!(requests.len(), 20);
        assert_eq!(client.pending_len(), 20);
        drop(peer);

        for caller in callers {
            assert_eq!(
                caller.await.expect("a caller panicked"),
                Err(RpcError::ConnectionLost)
            );
        }
        assert_eq!(client.pending_len(), 0);
        assert_eq!(client.close_reason(), Some(CloseReason::PeerClosed));

        let started = Instant::now();
        assert_eq!(
            client
                .call_timeout(Method::Echo, b"late", Duration::from_secs(60))
                .await,
            Err(RpcError::ConnectionLost)
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(client.pending_len(), 0);
    })
    .await;
}

#[magpie::test]
async fn a_connection_cut_inside_a_reply_fails_the_pending_calls() {
    bounded("the test body", async {
        let (listener, addr) = fake_server().await;
        let client = Client::connect(addr).await.expect("connecting");
        let (mut peer, _) = listener.accept().await.expect("accepting");

        let caller = {
            let client = client.clone();
            magpie::spawn(async move { client.call(Method::Echo, b"hello").await })
        };
        let request = read_requests(&mut peer, 1).await.remove(0);
        let mut reply = Vec::new();
        encode_reply(request.id, Ok(b"hello"), &mut reply).expect("encoding");
        peer.write_all(&reply[..reply.len() - 2])
            .await
            .expect("writing half a reply");
        drop(peer);

        assert_eq!(
            caller.await.expect("the caller panicked"),
            Err(RpcError::ConnectionLost)
        );
        assert_eq!(
            client.close_reason(),
            Some(CloseReason::ReadFailed(io::ErrorKind::UnexpectedEof))
        );
        assert_eq!(client.pending_len(), 0);
    })
    .await;
}

#[magpie::test]
async fn a_malformed_reply_closes_the_connection_and_fails_pending_calls() {
    for (name, garbage) in [
        (
            "unknown status",
            raw_frame(&[0, 0, 0, 0, 0, 0, 0, 0, 7, b'x']),
        ),
        ("short body", raw_frame(&[1, 2, 3])),
        (
            "oversized",
            ((MAX_BODY_LEN + 1) as u32).to_be_bytes().to_vec(),
        ),
    ] {
        bounded("the test body", async {
            let (listener, addr) = fake_server().await;
            let client = Client::connect(addr).await.expect("connecting");
            let (mut peer, _) = listener.accept().await.expect("accepting");

            let caller = {
                let client = client.clone();
                magpie::spawn(async move { client.call(Method::Echo, b"hi").await })
            };
            read_requests(&mut peer, 1).await;
            peer.write_all(&garbage).await.expect("writing garbage");

            assert_eq!(
                caller.await.expect("the caller panicked"),
                Err(RpcError::ConnectionLost),
                "{name}"
            );
            let expected = match name {
                "unknown status" => FrameError::UnknownStatus { id: 0, status: 7 },
                "short body" => FrameError::TooShort { len: 3 },
                _ => FrameError::TooLarge {
                    len: MAX_BODY_LEN + 1,
                },
            };
            assert_eq!(
                client.close_reason(),
                Some(CloseReason::Malformed(expected)),
                "{name}"
            );
            assert_eq!(client.pending_len(), 0, "{name}");
            assert_eq!(
                client.call(Method::Echo, b"again").await,
                Err(RpcError::ConnectionLost),
                "{name}"
            );
        })
        .await;
    }
}

#[magpie::test]
async fn the_server_answers_an_unknown_method_with_an_error_and_keeps_the_connection() {
    bounded("the test body", async {
        let mut stream = TcpStream::connect(start_server().await)
            .await
            .expect("connecting");
        let mut frames = raw_frame(&[0, 0, 0, 0, 0, 0, 0, 7, 99, b'?']);
        frames.extend(request_frame(8, Method::Echo, b"after"));
        stream.write_all(&frames).await.expect("writing");

        let first = read_reply(&mut stream).await;
        assert_eq!(first.id, 7);
        assert_eq!(first.outcome, Err("unknown method 99".to_string()));
        let second = read_reply(&mut stream).await;
        assert_eq!(
            second,
            Reply {
                id: 8,
                outcome: Ok(b"after".to_vec())
            }
        );
    })
    .await;
}

#[magpie::test]
async fn the_server_drops_a_connection_that_sends_an_unreadable_frame_and_serves_others() {
    bounded("the test body", async {
        let addr = start_server().await;
        for garbage in [
            u32::MAX.to_be_bytes().to_vec(),
            raw_frame(&[1, 2, 3, 4, 5, 6, 7, 8]),
        ] {
            let mut stream = TcpStream::connect(addr).await.expect("connecting");
            stream.write_all(&garbage).await.expect("writing garbage");
            let mut buf = [0u8; 16];
            // The server closes without answering: end of stream (or a reset, if our
            // bytes were still unread when it closed).
            match stream.read(&mut buf).await {
                Ok(0) => {}
                Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {}
                other => panic!("expected the server to close the connection, got {other:?}"),
            }
        }
        let client = Client::connect(addr).await.expect("connecting");
        assert_eq!(
            client.call(Method::Echo, b"fine").await,
            Ok(b"fine".to_vec())
        );
    })
    .await;
}

#[magpie::test]
async fn read_frame_tells_a_clean_end_from_a_truncated_or_oversized_frame() {
    let mut frames = request_frame(1, Method::Echo, b"one");
    frames.extend(request_frame(2, Method::Fail, b""));
    let mut reader = Cursor::new(frames);
    let first = read_frame(&mut reader).await.unwrap().unwrap();
    assert_eq!(
        decode_request(first),
        Ok(Request {
            id: 1,
            method: Method::Echo,
            payload: b"one".to_vec()
        })
    );
    let second = read_frame(&mut reader).await.unwrap().unwrap();
    assert_eq!(decode_request(second).unwrap().method, Method::Fail);
    assert!(read_frame(&mut reader).await.unwrap().is_none());

    let frame = request_frame(3, Method::Echo, b"cut short");
    for cut in [2, 4, frame.len() - 1] {
        let mut reader = Cursor::new(frame[..cut].to_vec());
        match read_frame(&mut reader).await {
            Err(ReadError::Io(error)) => {
                assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}")
            }
            other => panic!("cut at {cut}: expected UnexpectedEof, got {other:?}"),
        }
    }

    // A huge length prefix is refused before anything is allocated for it.
    let mut reader = Cursor::new(u32::MAX.to_be_bytes().to_vec());
    match read_frame(&mut reader).await {
        Err(ReadError::Malformed(error)) => assert_eq!(
            error,
            FrameError::TooLarge {
                len: u32::MAX as usize
            }
        ),
        other => panic!("expected a TooLarge error, got {other:?}"),
    }
}

#[test]
fn decoding_refuses_malformed_bodies_with_a_clear_error() {
    assert_eq!(
        decode_request(vec![0; 8]),
        Err(FrameError::TooShort { len: 8 })
    );
    assert_eq!(
        decode_reply(Vec::new()),
        Err(FrameError::TooShort { len: 0 })
    );
    let mut unknown_method = 42u64.to_be_bytes().to_vec();
    unknown_method.push(0);
    assert_eq!(
        decode_request(unknown_method),
        Err(FrameError::UnknownMethod { id: 42, method: 0 })
    );
    let mut unknown_status = 5u64.to_be_bytes().to_vec();
    unknown_status.push(2);
    assert_eq!(
        decode_reply(unknown_status),
        Err(FrameError::UnknownStatus { id: 5, status: 2 })
    );

    assert_eq!(
        FrameError::TooShort { len: 3 }.to_string(),
        "frame body of 3 bytes is shorter than its 9-byte header"
    );
    assert_eq!(
        FrameError::UnknownMethod { id: 1, method: 9 }.to_string(),
        "request 1 names unknown method 9"
    );

    let mut out = b"kept".to_vec();
    let too_large = vec![0u8; MAX_PAYLOAD_LEN + 1];
    assert_eq!(
        encode_request(1, Method::Echo, &too_large, &mut out),
        Err(FrameError::TooLarge {
            len: MAX_BODY_LEN + 1
        })
    );
    assert_eq!(out, b"kept", "a failed encode leaves the buffer unchanged");
}

#[test]
fn replies_round_trip_and_bad_utf8_in_an_error_message_is_replaced() {
    let mut frame = Vec::new();
    encode_reply(u64::MAX, Ok(b"payload"), &mut frame).unwrap();
    encode_reply(3, Err("boom"), &mut frame).unwrap();
    let body_len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
    let (first, rest) = frame[4..].split_at(body_len);
    assert_eq!(
        decode_reply(first.to_vec()),
        Ok(Reply {
            id: u64::MAX,
            outcome: Ok(b"payload".to_vec())
        })
    );
    assert_eq!(
        decode_reply(rest[4..].to_vec()),
        Ok(Reply {
            id: 3,
            outcome: Err("boom".to_string())
        })
    );

    let mut bad_utf8 = 4u64.to_be_bytes().to_vec();
    bad_utf8.extend([1, b'a', 0xff, b'b']);
    assert_eq!(
        decode_reply(bad_utf8).unwrap().outcome,
        Err("a\u{fffd}b".to_string())
    );
}
