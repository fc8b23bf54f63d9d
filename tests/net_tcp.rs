//! TCP through the real runtime and the `magpie::net` facade: echo, half-close,
//! a thousand concurrent connections on two workers, and the `futures::io`
//! helpers (`copy`, `AsyncReadExt`/`AsyncWriteExt`, `BufReader::lines`) on
//! magpie streams.
//!
//! Every wait is bounded with `magpie::time::timeout`, so a lost wakeup fails
//! the test instead of hanging it.

mod common;

use common::{bounded, descriptor_limit, set_descriptor_limit};
use std::collections::HashSet;
use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures::StreamExt;
use magpie::net::{TcpListener, TcpStream};

async fn local_listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    (listener, addr)
}

/// A connected pair: (client side, accepted side).
async fn connected_pair() -> (TcpStream, TcpStream) {
    let (listener, addr) = local_listener().await;
    let (client, accepted) = bounded(
        "connect and accept",
        futures::future::join(TcpStream::connect(addr), listener.accept()),
    )
    .await;
    (client.expect("connect"), accepted.expect("accept").0)
}

/// `len` bytes of a pattern that differs per `seed`, so a misplaced chunk shows.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + seed * 13) as u8).collect()
}

/// Echoes everything it reads until EOF; returns the byte count.
async fn echo_until_eof(mut socket: TcpStream) -> io::Result<usize> {
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        socket.write_all(&buf[..n]).await?;
        total += n;
    }
}

#[magpie::test]
async fn echo_round_trips_through_a_spawned_server() {
    let (listener, addr) = local_listener().await;
    let server = magpie::spawn(async move {
        let (socket, peer) = listener.accept().await?;
        let echoed = echo_until_eof(socket).await?;
        Ok::<_, io::Error>((peer, echoed))
    });

    let mut client = bounded("connect", TcpStream::connect(addr)).await.unwrap();
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    assert_eq!(client.peer_addr().unwrap(), addr);

    let mut sent = 0;
    for (seed, len) in [1, 100, 1500, 64 * 1024, 300_000].into_iter().enumerate() {
        let message = pattern(seed, len);
        let mut echo = vec![0u8; len];
        // Write and read at once: an echo larger than the socket buffers would
        // deadlock a write-everything-then-read client.
        // `client.split()` would pick `futures::io::AsyncReadExt::split` (a
        // by-value receiver wins over the inherent `&mut self` one).
        let (mut reader, mut writer) = TcpStream::split(&mut client);
        let (written, read) = bounded(
            "an echoed message",
            futures::future::join(writer.write_all(&message), reader.read_exact(&mut echo)),
        )
        .await;
        written.unwrap();
        read.unwrap();
        assert!(echo == message, "echo of {len} bytes differs");
        sent += len;
    }

    client.shutdown(Shutdown::Write).unwrap();
    let (peer, echoed) = bounded("the server to see EOF", server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(echoed, sent);
    let mut rest = [0u8; 8];
    assert_eq!(
        bounded("EOF", client.read(&mut rest)).await.unwrap(),
        0,
        "the server closed after EOF"
    );
}

#[magpie::test]
async fn half_close_lets_the_server_reply_after_eof() {
    let (mut client, mut server) = connected_pair().await;

    let server = magpie::spawn(async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match server.read(&mut buf).await? {
                0 => break,
                n => request.extend_from_slice(&buf[..n]),
            }
        }
        // The client can no longer write, but still reads: reply after EOF.
        let mut reply = b"reply to ".to_vec();
        reply.extend_from_slice(&request);
        server.write_all(&reply).await?;
        Ok::<_, io::Error>(request)
    });

    client.write_all(b"half-closed request").await.unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let error = client.write_all(b"too late").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BrokenPipe, "{error}");

    let request = bounded("the server's EOF", server).await.unwrap().unwrap();
    assert_eq!(request, b"half-closed request");

    let mut reply = Vec::new();
    let mut buf = [0u8; 16];
    loop {
        match bounded("the reply", client.read(&mut buf)).await.unwrap() {
            0 => break,
            n => reply.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(reply, b"reply to half-closed request");
}

/// Raises the soft descriptor limit to at least `wanted` (this test binary
/// holds two descriptors per connection).
///
/// # Panics
/// If the hard limit is below `wanted`: the test cannot run here.
fn ensure_descriptor_limit(wanted: libc::rlim_t) {
    let mut limit = descriptor_limit();
    if limit.rlim_cur >= wanted {
        return;
    }
    assert!(
        limit.rlim_max >= wanted,
        "this test needs {wanted} file descriptors; the hard limit is {}",
        limit.rlim_max
    );
    limit.rlim_cur = wanted;
    set_descriptor_limit(&limit);
}

#[magpie::test(worker_threads = 2)]
async fn a_thousand_concurrent_connections_are_all_accepted_and_echoed() {
    const CONNECTIONS: usize = 1000;
    ensure_descriptor_limit(CONNECTIONS as libc::rlim_t * 2 + 256);

    let (listener, addr) = local_listener().await;
    // Written by the server's connection tasks, read by the test body.
    let open = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let server = magpie::spawn({
        let open = open.clone();
        let accepted = accepted.clone();
        async move {
            for _ in 0..CONNECTIONS {
                let (socket, _) = listener.accept().await?;
                accepted.fetch_add(1, SeqCst);
                open.fetch_add(1, SeqCst);
                let open = open.clone();
                magpie::spawn(async move {
                    // A client that vanishes only ends its own connection.
                    let _ = echo_until_eof(socket).await;
                    open.fetch_sub(1, SeqCst);
                });
            }
            Ok::<_, io::Error>(())
        }
    });

    // Each client reports its echo, then holds its connection until the
    // release channel closes, so all of them are open at the same time.
    let (echoed_tx, echoed_rx) = async_channel::unbounded::<usize>();
    let (release_tx, release_rx) = async_channel::bounded::<()>(1);
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|id| {
            let echoed_tx = echoed_tx.clone();
            let release_rx = release_rx.clone();
            magpie::spawn(async move {
                let mut stream = TcpStream::connect(addr).await?;
                stream.write_all(&(id as u64).to_le_bytes()).await?;
                let mut echo = [0u8; 8];
                stream.read_exact(&mut echo).await?;
                assert_eq!(u64::from_le_bytes(echo), id as u64, "echo of client {id}");
                echoed_tx
                    .send(id)
                    .await
                    .expect("the test body is listening");
                // Err(closed) is the release signal.
                let _ = release_rx.recv().await;
                Ok::<_, io::Error>(stream)
            })
        })
        .collect();
    drop(echoed_tx);

    let mut seen = HashSet::new();
    while seen.len() < CONNECTIONS {
        let id = bounded("the next client's echo", echoed_rx.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "a client task ended before its echo; {} of {CONNECTIONS} echoed",
                    seen.len()
                )
            });
        assert!(seen.insert(id), "client {id} reported twice");
    }
    assert_eq!(accepted.load(SeqCst), CONNECTIONS);
    assert_eq!(
        open.load(SeqCst),
        CONNECTIONS,
        "every connection is open at once"
    );
    bounded("the accept loop", server).await.unwrap().unwrap();

    drop(release_tx);
    for client in clients {
        let stream = bounded("a released client", client).await.unwrap().unwrap();
        drop(stream);
    }
    bounded("every server connection to see EOF", async {
        while open.load(SeqCst) > 0 {
            magpie::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

#[magpie::test]
async fn futures_io_copy_relays_between_two_magpie_streams() {
    const LEN: usize = 1 << 20;
    let (mut source, source_accepted) = connected_pair().await;
    let (mut sink, mut sink_accepted) = connected_pair().await;

    // source -> source_accepted ==copy==> sink -> sink_accepted
    let relay = magpie::spawn(async move {
        let copied = futures::io::copy(source_accepted, &mut sink).await?;
        sink.close().await?;
        Ok::<_, io::Error>(copied)
    });
    let writer = magpie::spawn(async move {
        AsyncWriteExt::write_all(&mut source, &pattern(3, LEN)).await?;
        source.close().await
    });

    let mut received = Vec::new();
    let read = bounded(
        "the relayed bytes",
        AsyncReadExt::read_to_end(&mut sink_accepted, &mut received),
    )
    .await
    .unwrap();
    assert_eq!(read, LEN);
    assert!(received == pattern(3, LEN), "relayed bytes differ");
    bounded("the writer", writer).await.unwrap().unwrap();
    assert_eq!(
        bounded("the relay", relay).await.unwrap().unwrap(),
        LEN as u64
    );
}

#[magpie::test]
async fn buf_reader_lines_over_a_tcp_stream() {
    const LINES: usize = 500;
    let (client, mut server) = connected_pair().await;

    let writer = magpie::spawn(async move {
        for i in 0..LINES {
            // Uneven writes: lines straddle the reader's buffer boundaries.
            AsyncWriteExt::write_all(&mut server, format!("line {i}\n").as_bytes()).await?;
        }
        AsyncWriteExt::write_all(&mut server, b"no newline at the end").await?;
        server.close().await
    });

    let lines: Vec<String> = bounded(
        "every line",
        BufReader::with_capacity(64, client)
            .lines()
            .collect::<Vec<_>>(),
    )
    .await
    .into_iter()
    .collect::<io::Result<_>>()
    .unwrap();
    bounded("the writer", writer).await.unwrap().unwrap();

    assert_eq!(lines.len(), LINES + 1);
    for (i, line) in lines[..LINES].iter().enumerate() {
        assert_eq!(line, &format!("line {i}"));
    }
    assert_eq!(lines[LINES], "no newline at the end");
}

#[magpie::test]
async fn owned_halves_move_to_separate_tasks() {
    let (client, server) = connected_pair().await;
    let server = magpie::spawn(echo_until_eof(server));

    let (mut reader, mut writer) = client.into_split();
    let message = pattern(9, 200_000);
    let writer_task = magpie::spawn({
        let message = message.clone();
        async move {
            writer.write_all(&message).await?;
            writer.flush().await?;
            // Dropping the owned write half shuts the writing side down.
            drop(writer);
            Ok::<_, io::Error>(())
        }
    });
    let reader_task = magpie::spawn(async move {
        let mut echo = Vec::new();
        AsyncReadExt::read_to_end(&mut reader, &mut echo).await?;
        Ok::<_, io::Error>(echo)
    });

    bounded("the writer half", writer_task)
        .await
        .unwrap()
        .unwrap();
    let echo = bounded("the reader half", reader_task)
        .await
        .unwrap()
        .unwrap();
    assert!(echo == message, "echo through owned halves differs");
    assert_eq!(
        bounded("the server", server).await.unwrap().unwrap(),
        message.len()
    );
}
