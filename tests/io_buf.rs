//! `magpie::io`'s buffered IO through the public API on magpie's runtime: `BufReader`
//! (with `read_line`, `read_until`, `fill_buf`/`consume`), `BufWriter` (holds bytes until
//! full, flushed or shut down), `lines()` as a `Stream` and through `next_line` (and
//! `next_line`'s cancel safety), `split(byte)` with `next_segment`, over TCP and in memory.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use magpie::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
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

#[magpie::test]
async fn lines_over_tcp_via_next_line_and_as_a_stream() {
    let (mut client, server) = tcp_pair().await;
    let writer = magpie::spawn(async move {
        // Lines cut across writes, a CRLF ending, an empty line and a last line without
        // an ending.
        for part in ["alpha\nbe", "ta\r\n\nga", "mma\ndelta"] {
            client.write_all(part.as_bytes()).await.unwrap();
            magpie::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let mut lines = BufReader::new(server).lines();
    assert_eq!(
        bounded(lines.next_line()).await.unwrap().as_deref(),
        Some("alpha")
    );
    assert_eq!(bounded(lines.next()).await.unwrap().unwrap(), "beta");
    assert_eq!(
        bounded(lines.next_line()).await.unwrap().as_deref(),
        Some("")
    );
    assert_eq!(bounded(lines.next()).await.unwrap().unwrap(), "gamma");
    assert_eq!(
        bounded(lines.next_line()).await.unwrap().as_deref(),
        Some("delta")
    );
    assert_eq!(bounded(lines.next_line()).await.unwrap(), None);
    assert!(bounded(lines.next()).await.is_none());
    bounded(writer).await.unwrap();
}

#[magpie::test]
async fn lines_collects_as_a_stream_and_reports_invalid_utf8() {
    let text = &b"one\ntwo\r\nthree\n"[..];
    let all: Vec<String> = text.lines().map(Result::unwrap).collect().await;
    assert_eq!(all, ["one", "two", "three"]);

    let mut lines = (&b"ok\n\xff\xfe\nafter\n"[..]).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ok"));
    let err = lines.next_line().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("after"));
    assert_eq!(lines.into_inner(), &b""[..]);
}

#[magpie::test]
async fn next_line_is_cancel_safe() {
    let (mut client, server) = tcp_pair().await;
    let mut lines = BufReader::new(server).lines();
    client.write_all(b"hel").await.unwrap();
    // The partial line is read, then the wait for the rest is cancelled.
    assert!(timeout(Duration::from_millis(50), lines.next_line())
        .await
        .is_err());
    client.write_all(b"lo\nworld\n").await.unwrap();
    assert_eq!(
        bounded(lines.next_line()).await.unwrap().as_deref(),
        Some("hello")
    );
    assert_eq!(
        bounded(lines.next_line()).await.unwrap().as_deref(),
        Some("world")
    );
}

#[magpie::test]
async fn read_line_read_until_and_split_segments() {
    let mut reader = BufReader::with_capacity(4, &b"GET /\r\nk: v\n\na;b;;c"[..]);
    let mut line = String::new();
    assert_eq!(reader.read_line(&mut line).await.unwrap(), 7);
    assert_eq!(line, "GET /\r\n");
    assert_eq!(reader.read_line(&mut line).await.unwrap(), 5, "appends");
    assert_eq!(line, "GET /\r\nk: v\n");
    let mut bytes = Vec::new();
    assert_eq!(reader.read_until(b'\n', &mut bytes).await.unwrap(), 1);
    assert_eq!(bytes, b"\n");

    let mut parts = reader.split(b';');
    assert_eq!(parts.next_segment().await.unwrap(), Some(b"a".to_vec()));
    assert_eq!(parts.next().await.unwrap().unwrap(), b"b");
    assert_eq!(parts.next_segment().await.unwrap(), Some(Vec::new()));
    assert_eq!(parts.next_segment().await.unwrap(), Some(b"c".to_vec()));
    assert_eq!(parts.next_segment().await.unwrap(), None);
    assert_eq!(line.len(), 12);
    assert_eq!(reader_read_line_at_eof().await, 0);
}

/// `read_line` at EOF reads 0 and leaves the string alone.
async fn reader_read_line_at_eof() -> usize {
    let mut reader = BufReader::new(&b""[..]);
    let mut line = String::from("kept");
    let n = reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "kept");
    n
}

#[magpie::test]
async fn fill_buf_and_consume_walk_the_buffer() {
    let mut reader = BufReader::with_capacity(3, &b"abcdefg"[..]);
    assert_eq!(reader.fill_buf().await.unwrap(), b"abc");
    reader.consume(2);
    assert_eq!(reader.fill_buf().await.unwrap(), b"c");
    reader.consume_unpin(1);
    assert_eq!(reader.fill_buf().await.unwrap(), b"def");
    assert_eq!(reader.buffer(), b"def");
    let mut rest = String::new();
    reader.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "defg");
    assert!(reader.fill_buf().await.unwrap().is_empty(), "EOF");
}

#[magpie::test]
async fn buf_writer_holds_bytes_until_full_flushed_or_shut_down() {
    let (client, mut server) = tcp_pair().await;
    let mut writer = BufWriter::with_capacity(8, client);
    writer.write_all(b"abc").await.unwrap();
    assert_eq!(writer.buffer(), b"abc");
    // Nothing has reached the peer yet.
    let mut buf = [0; 16];
    assert!(timeout(Duration::from_millis(50), server.read(&mut buf))
        .await
        .is_err());
    writer.flush().await.unwrap();
    assert!(writer.buffer().is_empty());
    let n = bounded(server.read(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"abc");

    // Numbers go through the buffer too; shutdown flushes before closing.
    writer.write_u32(1).await.unwrap();
    writer.write_u16_le(2).await.unwrap();
    writer.shutdown().await.unwrap();
    let mut rest = Vec::new();
    bounded(server.read_to_end(&mut rest)).await.unwrap();
    assert_eq!(rest, [0, 0, 0, 1, 2, 0]);
    let _stream: &TcpStream = writer.get_ref();
}

#[magpie::test]
async fn buf_writer_over_a_large_payload_and_buf_reader_reads_it_back() {
    let (client, server) = tcp_pair().await;
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    let expected = payload.clone();
    let writer = magpie::spawn(async move {
        let mut writer = BufWriter::new(client);
        for chunk in payload.chunks(1000) {
            writer.write_all(chunk).await.unwrap();
        }
        writer.shutdown().await.unwrap();
    });
    let mut reader = BufReader::new(server);
    let mut got = Vec::new();
    bounded(reader.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, expected);
    bounded(writer).await.unwrap();
}

#[magpie::test]
async fn buf_stream_buffers_both_ways_over_tcp() {
    use magpie::io::BufStream;

    let (client, server) = tcp_pair().await;
    let mut client = BufStream::with_capacity(64, 64, client);
    let mut server = BufStream::new(server);
    client.write_all(b"hello\n").await.unwrap();
    // Held in the write buffer until flushed.
    let mut line = String::new();
    assert!(
        timeout(Duration::from_millis(50), server.read_line(&mut line))
            .await
            .is_err()
    );
    client.flush().await.unwrap();
    let mut line = String::new();
    bounded(server.read_line(&mut line)).await.unwrap();
    assert_eq!(line, "hello\n");

    server.write_u32(5).await.unwrap();
    server.write_all(b"world").await.unwrap();
    server.shutdown().await.unwrap(); // flushes, then closes
    assert_eq!(bounded(client.read_u32()).await.unwrap(), 5);
    let mut rest = String::new();
    bounded(client.read_to_string(&mut rest)).await.unwrap();
    assert_eq!(rest, "world");
    let _inner: TcpStream = client.into_inner();
}

#[magpie::test]
async fn a_line_server_in_spawned_tasks_as_tokio_programs_write_it() {
    // The idiom: into_split, BufReader::new(read_half).lines(), next_line in a spawned
    // task (so its futures must be Send), answers written on the other half.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = magpie::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read_half, mut write_half) = stream.into_split();
        let mut lines = BufReader::new(read_half).lines();
        let mut count = 0u32;
        while let Some(line) = lines.next_line().await.unwrap() {
            count += 1;
            write_half.write_u32(line.len() as u32).await.unwrap();
        }
        count
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    for word in ["a", "bb", "ccc"] {
        wr.write_all(format!("{word}\n").as_bytes()).await.unwrap();
        assert_eq!(bounded(rd.read_u32()).await.unwrap(), word.len() as u32);
    }
    drop(wr); // EOF for the server's lines
    assert_eq!(bounded(server).await.unwrap(), 3);
}
