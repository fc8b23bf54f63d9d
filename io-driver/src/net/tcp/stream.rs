//! [`TcpStream`]: a connected TCP socket — connecting, reading and writing through the
//! reactor, the `futures-io` traits, and socket options.
//!
//! Reads and writes that take `&mut self` (and the split halves) wait in the socket's
//! reader and writer *slots*; `readable`, `writable` and `peek` take `&self` and wait in
//! its *list*, so any number of tasks may await them at once.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::context;
use crate::net::stream_io::{Received, StreamIo, StreamSource};
use crate::net::tcp::queue_hint::QueueHint;
use crate::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::{addr, ToSocketAddrs};
use crate::ready::Direction;
use crate::ReactorHandle;

/// A TCP connection.
///
/// Besides its inherent `read`/`write` methods it implements the `futures-io`
/// `AsyncRead` and `AsyncWrite` traits, so the `futures::io` helpers work on it.
///
/// # Examples
///
/// A client that sends a request and reads the reply:
///
/// ```
/// use magpie::net::{TcpListener, TcpStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     // A server that answers "pong" to one "ping".
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     magpie::spawn(async move {
///         let (mut stream, _) = listener.accept().await?;
///         let mut request = [0; 4];
///         stream.read_exact(&mut request).await?;
///         stream.write_all(b"pong").await
///     });
///
///     let mut stream = TcpStream::connect(addr).await?;
///     stream.write_all(b"ping").await?;
///     let mut reply = [0; 4];
///     stream.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct TcpStream {
    /// The registered socket; its read state is whether reads learn the
    /// receive-queue count from the kernel (`TCP_INQ`, see [`QueueHint`]).
    io: StreamIo<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn and returning
    /// the last error if none accepts (e.g. `ConnectionRefused` for a closed port,
    /// reported as soon as the peer's reset arrives).
    ///
    /// `addr` is any [`ToSocketAddrs`]: a host name (`"localhost:80"`) is looked up on
    /// the runtime's blocking pool first; a name that does not resolve is an error.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///
    ///     // Nobody listens on the port once the listener is gone.
    ///     drop((stream, listener));
    ///     let error = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// }
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let handle = context::expect_current();
        let mut last_error = None;
        for candidate in addr::resolve(addr).await? {
            match TcpStream::connect_one(candidate, &handle).await {
                Ok(stream) => return Ok(stream),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.expect("resolve returns at least one candidate"))
    }

    async fn connect_one(addr: SocketAddr, handle: &ReactorHandle) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?, handle.clone())?;
        stream.finish_connect().await?;
        Ok(stream)
    }

    /// Waits until the non-blocking connect started by `mio::net::TcpStream::connect`
    /// has succeeded or failed: epoll reports the socket writable (or hung up) once the
    /// handshake is over either way, and then `SO_ERROR` holds the failure, if any.
    /// Readiness only ever comes from real events (a new registration starts not
    /// ready), so no `getpeername` probe is needed.
    async fn finish_connect(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Write).await?;
        match self.io.source().take_error()? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Registers a connected (or connecting) mio stream with `handle`'s reactor.
    pub(crate) fn from_mio(
        stream: mio::net::TcpStream,
        handle: ReactorHandle,
    ) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: StreamIo::with_handle(stream, handle)?,
        })
    }

    /// Wraps a connected stream from the standard library (switching it to
    /// non-blocking mode).
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let mut client = TcpStream::from_std(std_stream)?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"ok").await?;
    ///     let mut buf = [0; 2];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ok");
    ///     Ok(())
    /// }
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: StreamIo::new(mio::net::TcpStream::from_std(stream))?,
        })
    }

    /// The local address of this connection.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     assert_eq!(client.local_addr()?, server.peer_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The remote address of this connection.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     assert_eq!(client.peer_addr()?, listener.local_addr()?);
    ///     assert_eq!(server.peer_addr()?, client.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     // Small request/response messages: send each at once instead of batching.
    ///     client.set_nodelay(true)?;
    ///     assert!(client.nodelay()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.source().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     assert!(!client.nodelay()?); // off by default
    ///     client.set_nodelay(true)?;
    ///     assert!(client.nodelay()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.source().nodelay()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     assert!(client.take_error()?.is_none()); // a healthy connection
    ///     Ok(())
    /// }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }

    /// Shuts down the reading side, the writing side (the peer reads EOF) or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"last words").await?;
    ///     client.shutdown(std::net::Shutdown::Write)?; // no more requests
    ///     let mut received = Vec::new();
    ///     let mut buf = [0; 64];
    ///     loop {
    ///         match server.read(&mut buf).await? {
    ///             0 => break, // the end of the client's stream
    ///             n => received.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(received, b"last words");
    ///     // The other direction still works.
    ///     server.write_all(b"bye").await?;
    ///     let mut reply = [0; 3];
    ///     client.read_exact(&mut reply).await?;
    ///     assert_eq!(&reply, b"bye");
    ///     Ok(())
    /// }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.source().shutdown(how)
    }

    /// Splits the stream into halves that borrow it, to read and write concurrently
    /// (e.g. in `futures::join!`) without moving it.
    ///
    /// With `futures::io::AsyncReadExt` in scope, method syntax `stream.split()` picks
    /// that trait's by-value `split` (a lock-based split) instead; write
    /// `TcpStream::split(&mut stream)` to get this one.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     // Send a request while reading the reply, both in one task.
    ///     let (mut reader, mut writer) = TcpStream::split(&mut client);
    ///     let mut reply = [0; 4];
    ///     let send = async {
    ///         writer.write_all(b"ping").await?;
    ///         std::io::Result::Ok(())
    ///     };
    ///     let echo = async {
    ///         let mut request = [0; 4];
    ///         server.read_exact(&mut request).await?;
    ///         server.write_all(&request).await
    ///     };
    ///     let (sent, echoed, read) = futures::join!(send, echo, reader.read_exact(&mut reply));
    ///     sent?;
    ///     echoed?;
    ///     read?;
    ///     assert_eq!(&reply, b"ping");
    ///     Ok(())
    /// }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        let stream: &TcpStream = self;
        (ReadHalf::new(stream), WriteHalf::new(stream))
    }

    /// Splits the stream into owned halves that can move to different tasks. Dropping
    /// the write half shuts down the writing side; [`OwnedReadHalf::reunite`] puts the
    /// stream back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let (mut reader, mut writer) = client.into_split();
    ///     // The write half moves to its own task.
    ///     let sender = magpie::spawn(async move { writer.write_all(b"ping").await });
    ///     let mut request = [0; 4];
    ///     server.read_exact(&mut request).await?;
    ///     server.write_all(b"pong").await?;
    ///     sender.await??;
    ///     let mut reply = [0; 4];
    ///     reader.read_exact(&mut reply).await?;
    ///     assert_eq!(&reply, b"pong");
    ///     Ok(())
    /// }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Arc::new(self);
        (
            OwnedReadHalf::new(stream.clone()),
            OwnedWriteHalf::new(stream),
        )
    }

    /// Reads some bytes into `buf`, waiting until at least one is available. `Ok(0)`
    /// means the peer closed its writing side (or `buf` is empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     drop(client); // closes the connection
    ///     let mut received = Vec::new();
    ///     let mut buf = [0; 1024];
    ///     loop {
    ///         match server.read(&mut buf).await? {
    ///             0 => break, // the peer closed its writing side
    ///             n => received.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(received, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_inner(buf).await
    }

    /// Reads exactly `buf.len()` bytes and returns that count; an `UnexpectedEof` error
    /// if the peer closes first.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(&[0, 3, b'a', b'b', b'c']).await?;
    ///     // A length-prefixed frame: two bytes of length, then the payload.
    ///     let mut len = [0; 2];
    ///     server.read_exact(&mut len).await?;
    ///     let mut payload = vec![0; u16::from_be_bytes(len) as usize];
    ///     server.read_exact(&mut payload).await?;
    ///     assert_eq!(payload, b"abc");
    ///
    ///     drop(client);
    ///     let error = server.read_exact(&mut len).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    ///     Ok(())
    /// }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_exact_inner(buf).await
    }

    /// Writes some bytes of `buf`, waiting until the socket takes at least one.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let data = b"some bytes";
    ///     let mut rest = &data[..];
    ///     while !rest.is_empty() {
    ///         let n = client.write(rest).await?; // may take only part of `rest`
    ///         rest = &rest[n..];
    ///     }
    ///     let mut buf = [0; 10];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, data);
    ///     Ok(())
    /// }
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_inner(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
    ///     let mut request = [0; 18];
    ///     server.read_exact(&mut request).await?;
    ///     assert!(request.starts_with(b"GET /"));
    ///     Ok(())
    /// }
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_inner(buf).await
    }

    /// Does nothing: a TCP stream has no user-space buffer. Present for parity with
    /// tokio's `AsyncWriteExt::flush`.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"data").await?;
    ///     client.flush().await?; // a no-op, kept for code written against buffered writers
    ///     let mut buf = [0; 4];
    ///     server.read_exact(&mut buf).await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Reads some bytes into `buf` without removing them from the socket's queue,
    /// waiting until at least one is available.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     let mut first = [0; 1];
    ///     server.peek(&mut first).await?; // look at the first byte, e.g. to pick a protocol
    ///     assert_eq!(&first, b"h");
    ///     let mut all = [0; 5];
    ///     server.read_exact(&mut all).await?; // the peeked byte is still there
    ///     assert_eq!(&all, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().peek(buf))
            .await
    }

    /// Waits until the stream may be readable (readiness can be spurious: follow up
    /// with [`TcpStream::try_read`] and expect `WouldBlock` now and then).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     drop(client);
    ///     let mut received = Vec::new();
    ///     let mut buf = [0; 1024];
    ///     loop {
    ///         server.readable().await?;
    ///         match server.try_read(&mut buf) {
    ///             Ok(0) => break,
    ///             Ok(n) => received.extend_from_slice(&buf[..n]),
    ///             // The readiness was spurious: wait again.
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    ///     assert_eq!(received, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream may be writable (see [`TcpStream::readable`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let mut rest = &b"hello"[..];
    ///     while !rest.is_empty() {
    ///         client.writable().await?;
    ///         match client.try_write(rest) {
    ///             Ok(n) => rest = &rest[n..],
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    ///     let mut buf = [0; 5];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Reads without waiting: `WouldBlock` if no data is available now.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let mut buf = [0; 16];
    ///     // Nothing was sent yet.
    ///     let error = server.try_read(&mut buf).unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    ///
    ///     client.write_all(b"now").await?;
    ///     let n = loop {
    ///         server.readable().await?;
    ///         match server.try_read(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], &b"now"[..n]);
    ///     Ok(())
    /// }
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// Writes without waiting: `WouldBlock` if the socket cannot take data now.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::{TcpListener, TcpStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     // An idle connection has room in its send buffer.
    ///     client.writable().await?;
    ///     let n = client.try_write(b"hi")?;
    ///     assert!(n > 0);
    ///     let mut buf = vec![0; n];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(buf, &b"hi"[..n]);
    ///     Ok(())
    /// }
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    // The `*_inner` methods below take `&self` but wait in the reader or writer slot:
    // only the stream's one reader (`&mut self`, or the read half) and one writer may
    // call them (see [`StreamIo`]).

    #[inline]
    pub(crate) fn poll_read_inner(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    pub(crate) fn poll_read_vectored_inner(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_vectored(cx, bufs)
    }

    #[inline]
    pub(crate) fn poll_write_inner(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(crate) fn poll_write_vectored_inner(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    pub(crate) async fn read_inner(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    pub(crate) async fn read_exact_inner(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_exact(buf).await
    }

    pub(crate) async fn write_inner(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    pub(crate) async fn write_all_inner(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }
}

/// TCP reads ask the kernel whether they emptied the receive queue, once a stream
/// has shown it reads full buffers (see [`QueueHint`]).
impl StreamSource for mio::net::TcpStream {
    type ReadState = QueueHint;

    fn new_read_state() -> QueueHint {
        QueueHint::new()
    }

    #[inline]
    fn receive(&self, state: &QueueHint, buf: &mut [u8]) -> io::Result<Received> {
        use std::os::fd::AsRawFd;
        state.receive(self, self.as_raw_fd(), buf)
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_inner(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_vectored_inner(cx, bufs)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_inner(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_inner(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts down the writing side: the peer reads EOF.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.source().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.source().as_fd()
    }
}
