//! `magpie::io::{copy, copy_buf, copy_bidirectional}` over real TCP on magpie's runtime:
//! byte counts, content, flushing, the half-close that `copy_bidirectional` passes on
//! (each write side shut down at its reader's EOF, the other direction still running),
//! and an error ending the copy.

use std::future::Future;
use std::time::Duration;

use magpie::io::{self, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use magpie::net::{TcpListener, TcpStream};
use magpie::time::timeout;

/// How long any single wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(20);

/// Awaits `future`, panicking if it takes longer than [`HANG_LIMIT`].
async fn bounded<F: Future>(future: F) -> F::Output {
    timeout(HANG_LIMIT, future).await.expect("timed out")
}

/// A connected pair of loopback TCP streams.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// `len` bytes of a pattern that a shifted or truncated copy would not match.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(31) ^ seed) as u8)
        .collect()
}

#[magpie::test]
async fn copy_moves_a_tcp_stream_into_a_writer_and_counts_bytes() {
    let (mut client, mut server) = tcp_pair().await;
    let data = payload(1_000_000, 7);
    let sent = data.clone();
    let writer = magpie::spawn(async move {
        client.write_all(&sent).await.unwrap();
        AsyncWriteExt::shutdown(&mut client).await.unwrap();
    });
    let mut out = Vec::new();
    let n = bounded(io::copy(&mut server, &mut out)).await.unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(out, data);
    bounded(writer).await.unwrap();
}

#[magpie::test]
async fn copy_from_memory_into_tcp_flushes_a_buffered_writer() {
    let (client, mut server) = tcp_pair().await;
    let data = payload(200_000, 3);
    let sent = data.clone();
    // copy flushes at the end: the BufWriter's last bytes reach the peer without a flush
    // of our own (the writer is kept open, so the reader cannot rely on EOF).
    let copier = magpie::spawn(async move {
        let mut reader: &[u8] = &sent;
        let mut writer = BufWriter::new(client);
        let n = io::copy(&mut reader, &mut writer).await.unwrap();
        assert!(writer.buffer().is_empty(), "copy flushed");
        (n, writer)
    });
    let mut got = vec![0; data.len()];
    bounded(server.read_exact(&mut got)).await.unwrap();
    assert_eq!(got, data);
    let (n, _writer) = bounded(copier).await.unwrap();
    assert_eq!(n, data.len() as u64);
}

#[magpie::test]
async fn copy_buf_moves_a_buffered_tcp_reader_into_tcp() {
    let (mut a, b) = tcp_pair().await;
    let (c, mut d) = tcp_pair().await;
    let data = payload(500_000, 11);
    let sent = data.clone();
    let writer = magpie::spawn(async move {
        a.write_all(&sent).await.unwrap();
    }); // `a` dropped: EOF
    let relay = magpie::spawn(async move {
        let mut reader = BufReader::with_capacity(1024, b);
        let mut c = c;
        io::copy_buf(&mut reader, &mut c).await
    });
    let mut got = Vec::new();
    bounded(d.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, data);
    assert_eq!(bounded(relay).await.unwrap().unwrap(), data.len() as u64);
    bounded(writer).await.unwrap();
}

#[magpie::test]
async fn copy_bidirectional_proxies_tcp_and_passes_each_half_close_on() {
    // client <-> (front, back) proxy <-> server
    let (mut client, mut front) = tcp_pair().await;
    let (mut back, mut server) = tcp_pair().await;
    let proxy = magpie::spawn(async move { io::copy_bidirectional(&mut front, &mut back).await });

    let up = payload(300_000, 1);
    let down = payload(400_000, 2);
    let (up_sent, down_sent) = (up.clone(), down.clone());

    // The client sends, then shuts down its write side, then keeps reading.
    let client_task = magpie::spawn(async move {
        client.write_all(&up_sent).await.unwrap();
        AsyncWriteExt::shutdown(&mut client).await.unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        got
    });
    // The server sees the client's EOF through the proxy before it answers: the proxy
    // shut down its write side to the server while the other direction still runs.
    let mut got_up = Vec::new();
    bounded(server.read_to_end(&mut got_up)).await.unwrap();
    assert_eq!(got_up, up);
    server.write_all(&down_sent).await.unwrap();
    AsyncWriteExt::shutdown(&mut server).await.unwrap();

    let got_down = bounded(client_task).await.unwrap();
    assert_eq!(got_down, down);
    let (a_to_b, b_to_a) = bounded(proxy).await.unwrap().unwrap();
    assert_eq!((a_to_b, b_to_a), (up.len() as u64, down.len() as u64));
}

#[magpie::test]
async fn copy_bidirectional_with_sizes_works_with_tiny_buffers() {
    let (mut client, mut front) = tcp_pair().await;
    let (mut back, mut server) = tcp_pair().await;
    let proxy = magpie::spawn(async move {
        io::copy_bidirectional_with_sizes(&mut front, &mut back, 3, 5).await
    });
    client.write_all(b"hello, proxy").await.unwrap();
    let mut buf = [0; 12];
    bounded(server.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"hello, proxy");
    server.write_all(b"back").await.unwrap();
    drop(server);
    let mut back_msg = Vec::new();
    bounded(client.read_to_end(&mut back_msg)).await.unwrap();
    assert_eq!(back_msg, b"back");
    drop(client);
    assert_eq!(bounded(proxy).await.unwrap().unwrap(), (12, 4));
}

#[magpie::test]
async fn copy_bidirectional_stops_at_the_first_error() {
    // A writer whose peer is gone: writing to the dropped duplex end fails.
    let (mut client, mut front) = tcp_pair().await;
    let (mut back, gone) = io::duplex(16);
    drop(gone);
    let proxy = magpie::spawn(async move { io::copy_bidirectional(&mut front, &mut back).await });
    client.write_all(b"into the void").await.unwrap();
    let err = bounded(proxy).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}
