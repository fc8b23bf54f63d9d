//! `magpie::io::{empty, sink, repeat}` and the seek helpers through the public API on
//! magpie's runtime: `empty` reads EOF and swallows writes, `sink` swallows everything and
//! counts it, `repeat` yields its byte forever (bounded with `take`), and `seek`,
//! `rewind` and `stream_position` on a `Cursor`.

use magpie::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};

#[magpie::test]
async fn empty_reads_eof_and_swallows_writes() {
    let mut empty = io::empty();
    let mut buf = [7u8; 8];
    assert_eq!(empty.read(&mut buf).await.unwrap(), 0);
    assert_eq!(buf, [7; 8], "nothing written into the buffer");
    assert!(empty.fill_buf().await.unwrap().is_empty());
    assert_eq!(
        empty.read_u8().await.unwrap_err().kind(),
        io::ErrorKind::UnexpectedEof
    );
    assert_eq!(empty.write(b"abc").await.unwrap(), 3);
    empty.write_all(b"more").await.unwrap();
    empty.shutdown().await.unwrap();
    assert_eq!(empty.seek(SeekFrom::End(10)).await.unwrap(), 0);
    let mut lines = empty.lines();
    assert_eq!(lines.next_line().await.unwrap(), None);
}

#[magpie::test]
async fn sink_swallows_everything_and_copy_counts_it() {
    let mut sink = io::sink();
    assert_eq!(sink.write(b"hello").await.unwrap(), 5);
    sink.write_u64(1).await.unwrap();
    sink.flush().await.unwrap();
    let mut source = io::repeat(b'z').take(100_000);
    assert_eq!(io::copy(&mut source, &mut sink).await.unwrap(), 100_000);
    sink.shutdown().await.unwrap();
}

#[magpie::test]
async fn repeat_yields_its_byte_until_take_stops_it() {
    let mut ones = io::repeat(1);
    let mut buf = [0u8; 1000];
    ones.read_exact(&mut buf).await.unwrap();
    assert!(buf.iter().all(|&b| b == 1));
    assert_eq!(ones.read_u32().await.unwrap(), 0x0101_0101);

    let mut limited = io::repeat(b'a').take(5);
    let mut out = String::new();
    assert_eq!(limited.read_to_string(&mut out).await.unwrap(), 5);
    assert_eq!(out, "aaaaa");
    assert_eq!(limited.limit(), 0);
}

#[magpie::test]
async fn seek_rewind_and_stream_position_on_a_cursor() {
    let mut cursor = io::Cursor::new(b"0123456789".to_vec());
    assert_eq!(cursor.stream_position().await.unwrap(), 0);
    assert_eq!(cursor.seek(SeekFrom::Start(4)).await.unwrap(), 4);
    assert_eq!(cursor.read_u8().await.unwrap(), b'4');
    assert_eq!(cursor.seek(SeekFrom::Current(2)).await.unwrap(), 7);
    assert_eq!(cursor.seek(SeekFrom::End(-1)).await.unwrap(), 9);
    assert_eq!(cursor.stream_position().await.unwrap(), 9);
    cursor.rewind().await.unwrap();
    assert_eq!(cursor.stream_position().await.unwrap(), 0);
    cursor.write_all(b"ab").await.unwrap();
    assert_eq!(cursor.stream_position().await.unwrap(), 2);
    assert_eq!(&cursor.get_ref()[..4], b"ab23");
}
