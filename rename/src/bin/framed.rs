//! A framed binary protocol: each frame is a u8 kind, a u32 length and a payload.
//! The server reads frames the way mini-redis does (`read_buf` into a `BytesMut`,
//! parse what is complete), and answers through a `BufWriter` with `write_u8`,
//! `write_u32` and `write_all_buf`; the client uses `read_u8`/`read_u32`/`read_exact`.
use std::io;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};

const KIND_ECHO: u8 = 1;
const KIND_SUM: u8 = 2;
const KIND_REPLY: u8 = 0x80;

#[derive(Debug, PartialEq)]
struct Frame {
    kind: u8,
    payload: Bytes,
}

struct Connection {
    stream: BufWriter<TcpStream>,
    buffer: BytesMut,
}

impl Connection {
    fn new(stream: TcpStream) -> Self {
        Connection {
            stream: BufWriter::new(stream),
            // Deliberately small, so that big frames take several reads.
            buffer: BytesMut::with_capacity(64),
        }
    }

    fn parse_frame(&mut self) -> Option<Frame> {
        if self.buffer.len() < 5 {
            return None;
        }
        let len = u32::from_be_bytes(self.buffer[1..5].try_into().unwrap()) as usize;
        if self.buffer.len() < 5 + len {
            self.buffer.reserve(5 + len - self.buffer.len());
            return None;
        }
        let kind = self.buffer.get_u8();
        self.buffer.advance(4);
        let payload = self.buffer.split_to(len).freeze();
        Some(Frame { kind, payload })
    }

    async fn read_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some(frame) = self.parse_frame() {
                return Ok(Some(frame));
            }
            if 0 == self.stream.read_buf(&mut self.buffer).await? {
                return if self.buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "connection reset by peer",
                    ))
                };
            }
        }
    }

    async fn write_frame(&mut self, frame: &Frame) -> io::Result<()> {
        self.stream.write_u8(frame.kind).await?;
        self.stream.write_u32(frame.payload.len() as u32).await?;
        let mut payload = frame.payload.clone();
        self.stream.write_all_buf(&mut payload).await?;
        assert!(!payload.has_remaining());
        self.stream.flush().await
    }
}

async fn serve(stream: TcpStream) -> io::Result<u32> {
    let mut conn = Connection::new(stream);
    let mut frames = 0;
    while let Some(frame) = conn.read_frame().await? {
        let payload = match frame.kind {
            KIND_ECHO => frame.payload,
            KIND_SUM => {
                let mut numbers = frame.payload;
                let mut sum = 0u64;
                while numbers.remaining() >= 4 {
                    sum += numbers.get_u32() as u64;
                }
                let mut out = BytesMut::new();
                out.put_u64(sum);
                out.freeze()
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("kind {other}"),
                ))
            }
        };
        conn.write_frame(&Frame {
            kind: frame.kind | KIND_REPLY,
            payload,
        })
        .await?;
        frames += 1;
    }
    Ok(frames)
}

async fn call(stream: &mut TcpStream, kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut request = BytesMut::new();
    request.put_u8(kind);
    request.put_u32(payload.len() as u32);
    request.put_slice(payload);
    stream.write_all_buf(&mut request).await.unwrap();

    assert_eq!(stream.read_u8().await.unwrap(), kind | KIND_REPLY);
    let len = stream.read_u32().await.unwrap() as usize;
    let mut reply = vec![0; len];
    stream.read_exact(&mut reply).await.unwrap();
    reply
}

#[tokio::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream).await
    });

    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();

    let reply = call(&mut stream, KIND_ECHO, b"hello, frames").await;
    assert_eq!(reply, b"hello, frames");
    println!("echo: {}", String::from_utf8(reply).unwrap());

    let reply = call(&mut stream, KIND_ECHO, b"").await;
    assert!(reply.is_empty());
    println!("empty echo: {} bytes", reply.len());

    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let reply = call(&mut stream, KIND_ECHO, &big).await;
    assert!(reply == big, "the big echo came back different");
    println!("big echo: {} bytes", reply.len());

    let mut numbers = BytesMut::new();
    for n in 1..=1000u32 {
        numbers.put_u32(n);
    }
    let reply = call(&mut stream, KIND_SUM, &numbers).await;
    let sum = u64::from_be_bytes(reply.try_into().unwrap());
    assert_eq!(sum, 500_500);
    println!("sum: {sum}");

    // Little-endian helpers too, over an in-memory duplex pipe.
    let (mut a, mut b) = tokio::io::duplex(64);
    a.write_u16_le(0xBEEF).await.unwrap();
    a.write_i64(-42).await.unwrap();
    a.write_f64_le(2.5).await.unwrap();
    assert_eq!(b.read_u16_le().await.unwrap(), 0xBEEF);
    assert_eq!(b.read_i64().await.unwrap(), -42);
    assert_eq!(b.read_f64_le().await.unwrap(), 2.5);
    println!("duplex ints: ok");

    // Hang up; the server sees a clean end of stream after the last frame.
    drop(stream);
    let frames = server.await.unwrap().unwrap();
    assert_eq!(frames, 4);
    println!("server answered {frames} frames");
}
