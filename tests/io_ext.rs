//! `magpie::io`'s extension traits through the public API on magpie's runtime: every
//! number reader and writer (each width and byte order, round-tripped over TCP and checked
//! against std's encoding), `read_buf` growing a `BytesMut`, `write_buf` and
//! `write_all_buf` draining a `Buf`, tokio's `read_exact` output, `shutdown`, and the
//! inherent methods of `TcpStream` still winning over the traits.

use std::future::Future;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
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
async fn every_number_round_trips_over_tcp_in_both_byte_orders() {
    let (mut client, mut server) = tcp_pair().await;
    let writer = magpie::spawn(async move {
        client.write_u8(0xfe).await?;
        client.write_i8(-2).await?;
        client.write_u16(0x0102).await?;
        client.write_i16(-0x0102).await?;
        client.write_u32(0x0102_0304).await?;
        client.write_i32(-0x0102_0304).await?;
        client.write_u64(0x0102_0304_0506_0708).await?;
        client.write_i64(-0x0102_0304_0506_0708).await?;
        client
            .write_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10)
            .await?;
        client
            .write_i128(-0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10)
            .await?;
        client.write_f32(1.5).await?;
        client.write_f64(-2.25).await?;
        client.write_u16_le(0x0102).await?;
        client.write_i16_le(-0x0102).await?;
        client.write_u32_le(0x0102_0304).await?;
        client.write_i32_le(-0x0102_0304).await?;
        client.write_u64_le(0x0102_0304_0506_0708).await?;
        client.write_i64_le(-0x0102_0304_0506_0708).await?;
        client
            .write_u128_le(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10)
            .await?;
        client
            .write_i128_le(-0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10)
            .await?;
        client.write_f32_le(1.5).await?;
        client.write_f64_le(-2.25).await?;
        AsyncWriteExt::shutdown(&mut client).await
    });

    // Read everything raw first, to check the encoding byte for byte against std's.
    let mut raw = Vec::new();
    bounded(server.read_to_end(&mut raw)).await.unwrap();
    bounded(writer).await.unwrap().unwrap();
    let mut expected = Vec::new();
    expected.extend_from_slice(&0xfeu8.to_be_bytes());
    expected.extend_from_slice(&(-2i8).to_be_bytes());
    expected.extend_from_slice(&0x0102u16.to_be_bytes());
    expected.extend_from_slice(&(-0x0102i16).to_be_bytes());
    expected.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    expected.extend_from_slice(&(-0x0102_0304i32).to_be_bytes());
    expected.extend_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
    expected.extend_from_slice(&(-0x0102_0304_0506_0708i64).to_be_bytes());
    expected.extend_from_slice(&0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10u128.to_be_bytes());
    expected.extend_from_slice(&(-0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10i128).to_be_bytes());
    expected.extend_from_slice(&1.5f32.to_be_bytes());
    expected.extend_from_slice(&(-2.25f64).to_be_bytes());
    expected.extend_from_slice(&0x0102u16.to_le_bytes());
    expected.extend_from_slice(&(-0x0102i16).to_le_bytes());
    expected.extend_from_slice(&0x0102_0304u32.to_le_bytes());
    expected.extend_from_slice(&(-0x0102_0304i32).to_le_bytes());
    expected.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    expected.extend_from_slice(&(-0x0102_0304_0506_0708i64).to_le_bytes());
    expected.extend_from_slice(&0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10u128.to_le_bytes());
    expected.extend_from_slice(&(-0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10i128).to_le_bytes());
    expected.extend_from_slice(&1.5f32.to_le_bytes());
    expected.extend_from_slice(&(-2.25f64).to_le_bytes());
    assert_eq!(raw, expected);

    // Then decode the same bytes with the readers.
    let mut r: &[u8] = &raw;
    assert_eq!(r.read_u8().await.unwrap(), 0xfe);
    assert_eq!(r.read_i8().await.unwrap(), -2);
    assert_eq!(r.read_u16().await.unwrap(), 0x0102);
    assert_eq!(r.read_i16().await.unwrap(), -0x0102);
    assert_eq!(r.read_u32().await.unwrap(), 0x0102_0304);
    assert_eq!(r.read_i32().await.unwrap(), -0x0102_0304);
    assert_eq!(r.read_u64().await.unwrap(), 0x0102_0304_0506_0708);
    assert_eq!(r.read_i64().await.unwrap(), -0x0102_0304_0506_0708);
    assert_eq!(
        r.read_u128().await.unwrap(),
        0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10
    );
    assert_eq!(
        r.read_i128().await.unwrap(),
        -0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10
    );
    assert_eq!(r.read_f32().await.unwrap(), 1.5);
    assert_eq!(r.read_f64().await.unwrap(), -2.25);
    assert_eq!(r.read_u16_le().await.unwrap(), 0x0102);
    assert_eq!(r.read_i16_le().await.unwrap(), -0x0102);
    assert_eq!(r.read_u32_le().await.unwrap(), 0x0102_0304);
    assert_eq!(r.read_i32_le().await.unwrap(), -0x0102_0304);
    assert_eq!(r.read_u64_le().await.unwrap(), 0x0102_0304_0506_0708);
    assert_eq!(r.read_i64_le().await.unwrap(), -0x0102_0304_0506_0708);
    assert_eq!(
        r.read_u128_le().await.unwrap(),
        0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10
    );
    assert_eq!(
        r.read_i128_le().await.unwrap(),
        -0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10
    );
    assert_eq!(r.read_f32_le().await.unwrap(), 1.5);
    assert_eq!(r.read_f64_le().await.unwrap(), -2.25);
    assert!(r.is_empty());
}

#[magpie::test]
async fn number_readers_assemble_values_split_across_reads_and_fail_on_early_eof() {
    let (mut client, mut server) = tcp_pair().await;
    client.set_nodelay(true).unwrap();
    let writer = magpie::spawn(async move {
        // One u64 in three writes with pauses: the reader must wait for all 8 bytes.
        for part in [&[1u8, 2][..], &[3, 4, 5], &[6, 7, 8]] {
            client.write_all(part).await.unwrap();
            magpie::time::sleep(Duration::from_millis(5)).await;
        }
        client.write_all(&[9, 9, 9]).await.unwrap(); // 3 of a u32's 4 bytes, then EOF
    });
    assert_eq!(
        bounded(server.read_u64()).await.unwrap(),
        0x0102_0304_0506_0708
    );
    let err = bounded(server.read_u32()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    bounded(writer).await.unwrap();
}

#[magpie::test]
async fn read_buf_fills_and_grows_a_bytes_mut() {
    let (mut client, mut server) = tcp_pair().await;
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let sent = payload.clone();
    let writer = magpie::spawn(async move {
        client.write_all(&sent).await.unwrap();
    });

    // An empty BytesMut grows on every read (chunk_mut reserves); a reserved one fills
    // its spare capacity first.
    let mut buf = BytesMut::new();
    let n = bounded(server.read_buf(&mut buf)).await.unwrap();
    assert!(
        n > 0 && buf.len() == n,
        "read {n}, buffer holds {}",
        buf.len()
    );
    while buf.len() < payload.len() {
        buf.reserve(4096);
        let before = buf.len();
        let n = bounded(server.read_buf(&mut buf)).await.unwrap();
        assert!(n > 0, "EOF after {} bytes", buf.len());
        assert_eq!(buf.len(), before + n);
    }
    assert_eq!(&buf[..], &payload[..]);
    bounded(writer).await.unwrap();
    assert_eq!(bounded(server.read_buf(&mut buf)).await.unwrap(), 0, "EOF");
}

#[magpie::test]
async fn read_buf_stops_at_a_full_buf_mut_and_appends_to_a_vec() {
    let mut reader: &[u8] = b"abcdef";
    // A BufMut with no room left reads nothing, without touching the reader.
    let mut full = [0u8; 0];
    let mut full: &mut [u8] = &mut full;
    assert_eq!(reader.read_buf(&mut full).await.unwrap(), 0);
    assert_eq!(reader.len(), 6);
    // A bounded BufMut takes what fits.
    let mut small = BytesMut::new().limit(4);
    assert_eq!(reader.read_buf(&mut small).await.unwrap(), 4);
    assert_eq!(&small.get_ref()[..], b"abcd");
    // A Vec is a BufMut too: bytes are appended after what it holds.
    let mut vec = b"xy".to_vec();
    assert_eq!(reader.read_buf(&mut vec).await.unwrap(), 2);
    assert_eq!(vec, b"xyef");
}

#[magpie::test]
async fn write_buf_advances_by_one_write_and_write_all_buf_drains() {
    // A chained Buf has two chunks: write_buf writes (at most) the first.
    let mut out = Vec::new();
    let mut src = Bytes::from_static(b"head").chain(Bytes::from_static(b"tail"));
    let n = out.write_buf(&mut src).await.unwrap();
    assert_eq!(n, 4);
    assert_eq!(src.remaining(), 4);
    assert_eq!(out.write_buf(&mut src).await.unwrap(), 4);
    assert_eq!(out.write_buf(&mut src).await.unwrap(), 0, "nothing left");
    assert_eq!(out, b"headtail");

    // write_all_buf over TCP, with a payload larger than the socket buffers.
    let (mut client, mut server) = tcp_pair().await;
    let payload: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = payload.clone();
    let writer = magpie::spawn(async move {
        let mut src = Bytes::from(payload).chain(Bytes::from_static(b"end"));
        client.write_all_buf(&mut src).await.unwrap();
        assert!(
            !src.has_remaining(),
            "write_all_buf left bytes in the buffer"
        );
        AsyncWriteExt::shutdown(&mut client).await.unwrap();
    });
    let mut got = Vec::new();
    bounded(server.read_to_end(&mut got)).await.unwrap();
    bounded(writer).await.unwrap();
    assert_eq!(got.len(), expected.len() + 3);
    assert_eq!(&got[..expected.len()], &expected[..]);
    assert_eq!(&got[expected.len()..], b"end");
}

#[magpie::test]
async fn write_all_buf_fails_with_write_zero_on_a_full_writer() {
    let mut space = [0u8; 3];
    let mut out = futures::io::Cursor::new(&mut space[..]);
    let mut src = Bytes::from_static(b"12345");
    let err = out.write_all_buf(&mut src).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    assert_eq!(
        src.remaining(),
        2,
        "the buffer is advanced by what was written"
    );
    assert_eq!(&space, b"123");
}

#[magpie::test]
async fn tcp_stream_keeps_its_inherent_methods_and_gains_the_extras() {
    let (mut client, mut server) = tcp_pair().await;
    // Inherent read/write_all/read_exact (the traits are in scope too).
    client.write_all(b"ping").await.unwrap();
    let mut buf = [0; 4];
    let n = bounded(server.read_exact(&mut buf)).await.unwrap();
    assert_eq!((n, &buf), (4, b"ping"));
    client.write_u32(7).await.unwrap();
    assert_eq!(bounded(server.read(&mut buf)).await.unwrap(), 4);
    assert_eq!(buf, 7u32.to_be_bytes());

    // The borrowed halves.
    {
        let (mut rd, mut wr) = server.split();
        wr.write_u16_le(0xbeef).await.unwrap();
        client.write_i64(-9).await.unwrap();
        assert_eq!(bounded(rd.read_i64()).await.unwrap(), -9);
    }
    assert_eq!(bounded(client.read_u16_le()).await.unwrap(), 0xbeef);

    // The owned halves, and shutdown through the trait on a half.
    let (mut rd, mut wr) = server.into_split();
    wr.write_f64(0.5).await.unwrap();
    AsyncWriteExt::shutdown(&mut wr).await.unwrap();
    assert_eq!(bounded(client.read_f64()).await.unwrap(), 0.5);
    let mut rest = Vec::new();
    bounded(client.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty(), "EOF after shutdown");
    client.write_u128(u128::MAX - 1).await.unwrap();
    assert_eq!(bounded(rd.read_u128()).await.unwrap(), u128::MAX - 1);
}

#[magpie::test]
async fn read_u8_is_cancel_safe_over_a_pending_read() {
    let (mut client, mut server) = tcp_pair().await;
    // Cancel a pending read_u8 and a pending read_buf, then check no byte went missing.
    assert!(timeout(Duration::from_millis(20), server.read_u8())
        .await
        .is_err());
    let mut buf = BytesMut::with_capacity(8);
    assert!(
        timeout(Duration::from_millis(20), server.read_buf(&mut buf))
            .await
            .is_err()
    );
    assert!(buf.is_empty());
    client.write_all(&[42, 43]).await.unwrap();
    assert_eq!(bounded(server.read_u8()).await.unwrap(), 42);
    assert_eq!(bounded(server.read_u8()).await.unwrap(), 43);
}

/// Without `bytes::Buf` in scope: `&[u8]` is a `Buf` too, whose `take` and `chain` would
/// clash with the readers' (as they do with tokio's).
mod without_buf_in_scope {
    use magpie::io::{AsyncReadExt, AsyncWriteExt};

    #[magpie::test]
    async fn futures_methods_and_tokio_signatures_through_the_same_import() {
        let mut reader: &[u8] = b"0123456789";
        let mut four = [0; 4];
        // tokio's read_exact yields the length.
        let n: usize = reader.read_exact(&mut four).await.unwrap();
        assert_eq!((n, &four), (4, b"0123"));
        // futures' take and chain, tokio's read_to_string.
        let mut head = String::new();
        (&mut reader)
            .take(2)
            .read_to_string(&mut head)
            .await
            .unwrap();
        assert_eq!(head, "45");
        let mut all = Vec::new();
        assert_eq!(
            reader.chain(&b"!"[..]).read_to_end(&mut all).await.unwrap(),
            5
        );
        assert_eq!(all, b"6789!");

        let mut out = Vec::new();
        out.write(b"ab").await.unwrap();
        out.write_all(b"cd").await.unwrap();
        out.flush().await.unwrap();
        out.close().await.unwrap();
        assert_eq!(out, b"abcd");
    }
}

#[magpie::test]
async fn write_all_buf_is_cancel_safe_the_buffer_tracks_what_was_written() {
    let (mut a, mut b) = io::duplex(10);
    let mut src = Bytes::from_static(b"0123456789abcdefghij");
    // The pipe takes 10 bytes, then the write waits; cancel it there.
    assert!(
        timeout(Duration::from_millis(50), a.write_all_buf(&mut src))
            .await
            .is_err()
    );
    assert_eq!(
        src.remaining(),
        10,
        "advanced by exactly what the pipe took"
    );
    let reader = magpie::spawn(async move {
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        got
    });
    // Calling again writes the rest, nothing twice.
    bounded(a.write_all_buf(&mut src)).await.unwrap();
    drop(a);
    assert_eq!(bounded(reader).await.unwrap(), b"0123456789abcdefghij");
}
