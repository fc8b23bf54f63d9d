//! `magpie::io::{duplex, split}` through the public API on magpie's runtime: a duplex
//! pair carries bytes both ways, a writer waits while `max_buf_size` bytes are unread and
//! resumes as the peer reads, dropping or shutting down an end gives the peer EOF and
//! fails writes to a dropped end; `split` halves work from two tasks and `unsplit` /
//! `reunite` put them back (and refuse halves of different streams).

use std::future::Future;
use std::time::Duration;

use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
use magpie::net::{TcpListener, TcpStream};
use magpie::time::timeout;

/// How long any single wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(20);

/// Awaits `future`, panicking if it takes longer than [`HANG_LIMIT`].
async fn bounded<F: Future>(future: F) -> F::Output {
    timeout(HANG_LIMIT, future).await.expect("timed out")
}

#[magpie::test]
async fn duplex_carries_bytes_both_ways() {
    let (mut a, mut b) = io::duplex(64);
    a.write_all(b"to b").await.unwrap();
    b.write_all(b"to a").await.unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"to b");
    a.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"to a");
}

#[magpie::test]
async fn duplex_write_waits_at_max_buf_size_and_resumes_as_the_peer_reads() {
    let (mut a, mut b) = io::duplex(8);
    // One write takes only what fits.
    assert_eq!(a.write(b"0123456789").await.unwrap(), 8);
    // A full pipe makes the next write wait.
    assert!(timeout(Duration::from_millis(50), a.write(b"x"))
        .await
        .is_err());
    // Reading 3 bytes makes room for exactly 3.
    let mut three = [0; 3];
    b.read_exact(&mut three).await.unwrap();
    assert_eq!(&three, b"012");
    assert_eq!(a.write(b"89abc").await.unwrap(), 3);

    // A writer blocked on a full pipe is woken by the peer's read.
    let (mut a, mut b) = io::duplex(16);
    let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    let sent = data.clone();
    let writer = magpie::spawn(async move {
        a.write_all(&sent).await.unwrap();
        a // keep the end open until the reader is done
    });
    let mut got = vec![0; data.len()];
    bounded(b.read_exact(&mut got)).await.unwrap();
    assert_eq!(got, data);
    let _a = bounded(writer).await.unwrap();
}

#[magpie::test]
async fn duplex_drop_gives_eof_after_buffered_bytes_and_breaks_the_peers_writes() {
    let (mut a, mut b) = io::duplex(64);
    a.write_all(b"last words").await.unwrap();
    drop(a);
    let mut got = String::new();
    b.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "last words");
    let err = b.write_all(b"anyone?").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[magpie::test]
async fn duplex_drop_wakes_a_waiting_reader_and_a_waiting_writer() {
    let (a, mut b) = io::duplex(4);
    let reader = magpie::spawn(async move {
        let mut buf = [0; 4];
        b.read(&mut buf).await
    });
    magpie::time::sleep(Duration::from_millis(20)).await; // let it wait
    drop(a);
    assert_eq!(bounded(reader).await.unwrap().unwrap(), 0, "EOF");

    let (mut a, b) = io::duplex(4);
    let writer = magpie::spawn(async move { a.write_all(b"more than four").await });
    magpie::time::sleep(Duration::from_millis(20)).await; // let it fill the pipe and wait
    drop(b);
    let err = bounded(writer).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[magpie::test]
async fn duplex_shutdown_gives_the_peer_eof_while_the_other_way_still_works() {
    let (mut a, mut b) = io::duplex(64);
    a.write_all(b"req").await.unwrap();
    a.shutdown().await.unwrap();
    let mut req = Vec::new();
    b.read_to_end(&mut req).await.unwrap();
    assert_eq!(req, b"req");
    b.write_all(b"resp").await.unwrap();
    let mut resp = [0; 4];
    a.read_exact(&mut resp).await.unwrap();
    assert_eq!(&resp, b"resp");
    assert_eq!(
        a.write(b"x").await.unwrap_err().kind(),
        io::ErrorKind::BrokenPipe,
        "writing after shutdown"
    );
}

#[test]
#[should_panic(expected = "max_buf_size must be at least 1")]
fn duplex_of_zero_panics() {
    let _ = io::duplex(0);
}

#[magpie::test]
async fn split_halves_work_from_two_tasks_over_tcp_and_unsplit() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let echo = magpie::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (mut rd, mut wr) = io::split(stream);
        io::copy(&mut rd, &mut wr).await.unwrap();
        wr.shutdown().await.unwrap();
        let stream: TcpStream = rd.unsplit(wr);
        stream.local_addr().unwrap()
    });
    let client = TcpStream::connect(addr).await.unwrap();
    let client_addr = client.local_addr().unwrap();
    let (mut rd, mut wr) = io::split(client);
    assert!(rd.is_pair_of(&wr) && wr.is_pair_of(&rd));
    let writer = magpie::spawn(async move {
        for i in 0..100u32 {
            wr.write_u32(i).await.unwrap();
        }
        wr.shutdown().await.unwrap();
        wr
    });
    for i in 0..100u32 {
        assert_eq!(bounded(rd.read_u32()).await.unwrap(), i);
    }
    let mut rest = Vec::new();
    bounded(rd.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
    let wr = bounded(writer).await.unwrap();
    let client = rd.unsplit(wr);
    assert_eq!(client.local_addr().unwrap(), client_addr);
    assert_eq!(bounded(echo).await.unwrap(), addr);
}

#[magpie::test]
async fn halves_of_different_streams_do_not_reunite() {
    let (rd1, wr1) = io::split(io::duplex(8).0);
    let (rd2, wr2) = io::split(io::duplex(8).0);
    assert!(!rd1.is_pair_of(&wr2));
    let io::ReuniteError(rd1, wr2) = rd1.reunite(wr2).unwrap_err();
    // Handed back intact: each still reunites with its own partner.
    assert!(rd1.reunite(wr1).is_ok());
    assert!(rd2.reunite(wr2).is_ok());
}

#[magpie::test]
#[should_panic(expected = "split from another stream")]
async fn unsplit_of_different_streams_panics() {
    let (rd1, _wr1) = io::split(io::duplex(8).0);
    let (_rd2, wr2) = io::split(io::duplex(8).0);
    let _ = rd1.unsplit(wr2);
}

#[magpie::test]
async fn join_makes_one_stream_of_a_reader_and_a_writer() {
    // Two duplex pipes, one per direction, joined on each side into a full stream.
    let (a_out, b_in) = io::duplex(32);
    let (b_out, a_in) = io::duplex(32);
    let (a_rd, _) = io::split(a_in);
    let (_, a_wr) = io::split(a_out);
    let mut a = io::join(a_rd, a_wr);
    let mut b = io::join(b_in, b_out);
    a.write_all(b"over").await.unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"over");
    b.write_u16(9).await.unwrap();
    assert_eq!(a.read_u16().await.unwrap(), 9);
    // Shutting down the joined stream shuts down its writer only.
    b.shutdown().await.unwrap();
    let mut rest = Vec::new();
    a.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    a.write_all(b"still open").await.unwrap();
    let (b_in, _b_out) = b.into_inner();
    let mut b_in = b_in;
    let mut got = [0; 10];
    b_in.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"still open");
}
