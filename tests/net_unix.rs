//! Unix sockets through the real runtime and the `magpie::net` facade: echo over a
//! listener, a hundred concurrent connections, pairs, both kinds of split halves, the
//! `futures::io` traits, datagrams (addressed and connected), and the OS's errors for a
//! used path and a missing one.
//!
//! Every wait is bounded with `common::bounded`, so a lost wakeup fails the test instead
//! of hanging it. Each test binds its own path under the temp dir (pid + counter), and
//! removes it when done, even when it fails.
#![cfg(unix)]

mod common;

use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::bounded;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use magpie::net::{UnixDatagram, UnixListener, UnixStream};

/// A socket path unique to this process and call, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(what: &str) -> TempPath {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, SeqCst);
        let path = std::env::temp_dir().join(format!(
            "magpie-net-unix-{}-{what}-{n}.sock",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Echoes everything it reads until EOF; returns the byte count.
async fn echo_until_eof(mut socket: UnixStream) -> io::Result<usize> {
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

/// `len` bytes of a pattern that differs per `seed`, so a misplaced chunk shows.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + seed * 13) as u8).collect()
}

#[magpie::test]
async fn echo_round_trips_through_a_listener() {
    let path = TempPath::new("echo");
    let listener = UnixListener::bind(path.path()).expect("bind");
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.path())
    );
    let server = magpie::spawn(async move {
        let (socket, peer) = listener.accept().await?;
        assert!(peer.is_unnamed());
        echo_until_eof(socket).await
    });
    let mut client = bounded("connect", UnixStream::connect(path.path()))
        .await
        .expect("connect");
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.path()));
    let message = pattern(1, 100_000);
    let (written, received) = bounded("echo", async {
        let (mut reader, mut writer) = UnixStream::split(&mut client);
        let write = async { writer.write_all(&message).await };
        let read = async {
            let mut received = vec![0; message.len()];
            reader.read_exact(&mut received).await?;
            io::Result::Ok(received)
        };
        futures::join!(write, read)
    })
    .await;
    written.expect("write");
    assert_eq!(received.expect("read"), message);
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let total = bounded("server", server).await.unwrap().expect("server");
    assert_eq!(total, message.len());
}

#[magpie::test]
async fn a_hundred_concurrent_connections_each_echo() {
    let path = TempPath::new("hundred");
    let listener = UnixListener::bind(path.path()).expect("bind");
    const CONNECTIONS: usize = 100;
    let server = magpie::spawn(async move {
        let mut echoes = Vec::new();
        for _ in 0..CONNECTIONS {
            let (socket, _) = listener.accept().await?;
            echoes.push(magpie::spawn(echo_until_eof(socket)));
        }
        io::Result::Ok(echoes)
    });
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let path = path.path().to_path_buf();
            magpie::spawn(async move {
                let mut stream = UnixStream::connect(&path).await?;
                let message = pattern(i, 10_000);
                let (mut reader, mut writer) = UnixStream::split(&mut stream);
                let (written, received) = futures::join!(writer.write_all(&message), async {
                    let mut received = vec![0; message.len()];
                    reader.read_exact(&mut received).await.map(|_| received)
                });
                written?;
                assert_eq!(received?, message, "connection {i}");
                io::Result::Ok(())
            })
        })
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        bounded("client", client)
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("client {i}: {e}"));
    }
    let echoes = bounded("accepts", server).await.unwrap().expect("accept");
    for echo in echoes {
        assert_eq!(bounded("echo", echo).await.unwrap().unwrap(), 10_000);
    }
}

#[magpie::test]
async fn a_pair_talks_both_ways_and_reads_eof_after_shutdown() {
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    assert!(a.local_addr().unwrap().is_unnamed());
    a.write_all(b"ping").await.unwrap();
    let mut buf = [0; 4];
    bounded("read ping", b.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"ping");
    b.write_all(b"pong").await.unwrap();
    bounded("read pong", a.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"pong");
    a.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(bounded("eof", b.read(&mut buf)).await.unwrap(), 0);
    // `read_exact` past the end is an UnexpectedEof error, not a hang.
    let error = bounded("read past eof", b.read_exact(&mut buf))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
}

#[magpie::test]
async fn try_read_and_try_write_follow_readiness() {
    let (a, b) = UnixStream::pair().expect("pair");
    let mut buf = [0; 16];
    assert_eq!(
        b.try_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    bounded("writable", a.writable()).await.unwrap();
    let n = a.try_write(b"now").unwrap();
    assert_eq!(n, 3);
    let n = bounded("readable", async {
        loop {
            b.readable().await?;
            match b.try_read(&mut buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                result => break result,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(&buf[..n], b"now");
}

#[magpie::test]
async fn owned_halves_work_in_separate_tasks_and_reunite() {
    let (mut client, server) = UnixStream::pair().expect("pair");
    let (mut reader, mut writer) = server.into_split();
    let echo = magpie::spawn(async move {
        let mut buf = [0; 5];
        reader.read_exact(&mut buf).await?;
        writer.write_all(&buf).await?;
        io::Result::Ok((reader, writer))
    });
    client.write_all(b"hello").await.unwrap();
    let mut reply = [0; 5];
    bounded("reply", client.read_exact(&mut reply))
        .await
        .unwrap();
    assert_eq!(&reply, b"hello");
    let (reader, writer) = bounded("echo", echo).await.unwrap().unwrap();
    let (other, _keep) = UnixStream::pair().unwrap();
    let (_, other_writer) = other.into_split();
    let error = reader.reunite(other_writer).unwrap_err();
    let mut server = error.0.reunite(writer).expect("halves of one stream");
    // Reuniting does not shut the writing side down.
    server.write_all(b"again").await.unwrap();
    bounded("again", client.read_exact(&mut reply))
        .await
        .unwrap();
    assert_eq!(&reply, b"again");
    // Dropping an owned write half shuts the writing side down.
    let (_reader, writer) = server.into_split();
    drop(writer);
    assert_eq!(bounded("eof", client.read(&mut reply)).await.unwrap(), 0);
}

#[magpie::test]
async fn futures_io_traits_work_on_unix_streams() {
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    AsyncWriteExt::write_all(&mut a, b"through the traits")
        .await
        .unwrap();
    AsyncWriteExt::close(&mut a).await.unwrap();
    let mut received = Vec::new();
    bounded(
        "read_to_end",
        AsyncReadExt::read_to_end(&mut b, &mut received),
    )
    .await
    .unwrap();
    assert_eq!(received, b"through the traits");
}

#[magpie::test]
async fn datagrams_go_to_addresses_and_to_a_connected_peer() {
    let server_path = TempPath::new("dgram-server");
    let client_path = TempPath::new("dgram-client");
    let server = UnixDatagram::bind(server_path.path()).expect("bind server");
    let client = UnixDatagram::bind(client_path.path()).expect("bind client");

    // Addressed: each side learns the other's path from `recv_from`.
    let sent = client.send_to(b"hello", server_path.path()).await.unwrap();
    assert_eq!(sent, 5);
    let mut buf = [0; 64];
    let (n, from) = bounded("recv_from", server.recv_from(&mut buf))
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(from.as_pathname(), Some(client_path.path()));
    server
        .send_to(b"world", from.as_pathname().unwrap())
        .await
        .unwrap();
    let (n, from) = bounded("reply", client.recv_from(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"world");
    assert_eq!(from.as_pathname(), Some(server_path.path()));

    // Connected: `send` and `recv` without addresses; datagram boundaries are kept.
    client.connect(server_path.path()).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(server_path.path())
    );
    client.send(b"one").await.unwrap();
    client.send(b"two").await.unwrap();
    let n = bounded("first", server.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"one");
    let n = bounded("second", server.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"two");
}

#[magpie::test]
async fn a_datagram_pair_and_an_unbound_socket() {
    let (a, b) = UnixDatagram::pair().expect("pair");
    a.send(b"x").await.unwrap();
    let mut buf = [0; 4];
    assert_eq!(bounded("recv", b.recv(&mut buf)).await.unwrap(), 1);
    let unbound = UnixDatagram::unbound().unwrap();
    assert!(unbound.local_addr().unwrap().is_unnamed());
    assert_eq!(
        unbound.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    assert_eq!(
        b.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[magpie::test]
async fn binding_a_used_path_is_addr_in_use() {
    let path = TempPath::new("used");
    let _listener = UnixListener::bind(path.path()).expect("first bind");
    let error = UnixListener::bind(path.path()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AddrInUse);
    let error = UnixDatagram::bind(path.path()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AddrInUse);
}

#[magpie::test]
async fn connecting_to_a_missing_path_is_not_found() {
    let path = TempPath::new("missing");
    let error = bounded("connect", UnixStream::connect(path.path()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    let socket = UnixDatagram::unbound().unwrap();
    assert_eq!(
        socket.connect(path.path()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[magpie::test]
async fn connecting_to_a_closed_listener_is_refused() {
    let path = TempPath::new("closed");
    drop(UnixListener::bind(path.path()).expect("bind"));
    // The socket file stays behind, but nobody listens on it.
    let error = bounded("connect", UnixStream::connect(path.path()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
}

#[magpie::test]
async fn from_std_wraps_standard_sockets() {
    let path = TempPath::new("from-std");
    let listener =
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path.path()).unwrap())
            .expect("from_std listener");
    let std_client = std::os::unix::net::UnixStream::connect(path.path()).unwrap();
    let mut client = UnixStream::from_std(std_client).expect("from_std stream");
    let (mut server, _) = bounded("accept", listener.accept()).await.unwrap();
    client.write_all(b"ok").await.unwrap();
    let mut buf = [0; 2];
    bounded("read", server.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"ok");
    let mut peeked = [0; 1];
    server.write_all(b"z").await.unwrap();
    bounded("peek", client.peek(&mut peeked)).await.unwrap();
    bounded("read", client.read_exact(&mut peeked))
        .await
        .unwrap();
    assert_eq!(&peeked, b"z");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[magpie::test]
async fn peer_credentials_name_this_process() {
    let path = TempPath::new("cred");
    let listener = UnixListener::bind(path.path()).expect("bind");
    let client = bounded("connect", UnixStream::connect(path.path()))
        .await
        .unwrap();
    let (server, _) = bounded("accept", listener.accept()).await.unwrap();
    let me = Some(std::process::id() as i32);
    assert_eq!(client.peer_cred().unwrap().pid(), me);
    assert_eq!(server.peer_cred().unwrap().pid(), me);
    assert_eq!(
        client.peer_cred().unwrap().uid(),
        server.peer_cred().unwrap().uid()
    );
}

/// The sockets and owned halves move between tasks and threads, as tokio's do.
#[test]
fn sockets_are_send_sync_and_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<UnixListener>();
    check::<UnixStream>();
    check::<UnixDatagram>();
    check::<magpie::net::unix::OwnedReadHalf>();
    check::<magpie::net::unix::OwnedWriteHalf>();
    check::<magpie::net::unix::ReadHalf<'static>>();
}
