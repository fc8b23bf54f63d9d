//! [`OwnedReadHalf`] and [`OwnedWriteHalf`]: halves of a [`TcpStream`] that share it
//! through an `Arc`, from [`TcpStream::into_split`], so they can live in different
//! tasks. The read half waits in the stream's reader slot, the write half in its
//! writer slot.

use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::net::TcpStream;

/// The owned reading half of a [`TcpStream`].
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
///     let (mut reader, mut writer) = server.into_split();
///     // The reading side in one task, the writing side in another.
///     let reading = magpie::spawn(async move {
///         let mut request = [0; 4];
///         reader.read_exact(&mut request).await?;
///         std::io::Result::Ok(request)
///     });
///     client.write_all(b"ping").await?;
///     assert_eq!(&reading.await??, b"ping");
///     writer.write_all(b"pong").await?;
///     let mut reply = [0; 4];
///     client.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The owned writing half of a [`TcpStream`]. Dropping it shuts down the stream's
/// writing side (the peer reads EOF), unless [`OwnedWriteHalf::forget`] is used or the
/// halves are reunited.
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
///     let (mut reader, mut writer) = server.into_split();
///     writer.write_all(b"goodbye").await?;
///     drop(writer); // shuts down the writing side: the peer reads the end of the stream
///     let mut received = Vec::new();
///     let mut buf = [0; 64];
///     loop {
///         match client.read(&mut buf).await? {
///             0 => break,
///             n => received.extend_from_slice(&buf[..n]),
///         }
///     }
///     assert_eq!(received, b"goodbye");
///     // The reading half still works.
///     client.write_all(b"ack").await?;
///     let mut ack = [0; 3];
///     reader.read_exact(&mut ack).await?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
    shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`] when the halves come from different streams;
/// it gives both halves back.
///
/// # Examples
///
/// ```
/// use magpie::net::tcp::ReuniteError;
/// use magpie::net::{TcpListener, TcpStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (client_reader, client_writer) = client.into_split();
///     let (server_reader, server_writer) = server.into_split();
///     let error = client_reader.reunite(server_writer).unwrap_err();
///     assert_eq!(error.to_string(), "tried to reunite halves that are not from the same TcpStream");
///     // Both halves come back, to be paired up correctly.
///     let ReuniteError(client_reader, server_writer) = error;
///     let _client: TcpStream = client_reader.reunite(client_writer).unwrap();
///     let _server: TcpStream = server_reader.reunite(server_writer).unwrap();
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same TcpStream")
    }
}

impl Error for ReuniteError {}

impl OwnedReadHalf {
    pub(crate) fn new(stream: Arc<TcpStream>) -> OwnedReadHalf {
        OwnedReadHalf { stream }
    }

    /// Puts the stream back together; fails if `write` belongs to another stream.
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let mut server: TcpStream = reader.reunite(writer).expect("halves of one stream");
    ///     // Reuniting does not shut the writing side down: the stream works as before.
    ///     server.write_all(b"still open").await?;
    ///     let mut buf = [0; 10];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"still open");
    ///     Ok(())
    /// }
    /// ```
    pub fn reunite(self, mut write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown_on_drop = false;
        drop(write);
        let stream = Arc::try_unwrap(self.stream)
            .expect("both halves of the stream were given back, so no other reference exists");
        Ok(stream)
    }

    /// See [`TcpStream::read`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     client.write_all(b"hello").await?;
    ///     drop(client);
    ///     let mut received = Vec::new();
    ///     let mut buf = [0; 1024];
    ///     loop {
    ///         match reader.read(&mut buf).await? {
    ///             0 => break,
    ///             n => received.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(received, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read_inner(buf).await
    }

    /// See [`TcpStream::read_exact`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     client.write_all(b"ping").await?;
    ///     let mut request = [0; 4];
    ///     reader.read_exact(&mut request).await?;
    ///     writer.write_all(&request).await?;
    ///     let mut reply = [0; 4];
    ///     client.read_exact(&mut reply).await?;
    ///     assert_eq!(&reply, b"ping");
    ///     Ok(())
    /// }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read_exact_inner(buf).await
    }

    /// See [`TcpStream::peek`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     client.write_all(b"hello").await?;
    ///     let mut first = [0; 1];
    ///     reader.peek(&mut first).await?;
    ///     assert_eq!(&first, b"h");
    ///     let mut all = [0; 5];
    ///     reader.read_exact(&mut all).await?; // the peeked byte is read again
    ///     assert_eq!(&all, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.peek(buf).await
    }

    /// See [`TcpStream::readable`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 16];
    ///     let n = loop {
    ///         reader.readable().await?;
    ///         match reader.try_read(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], &b"hi"[..n]);
    ///     Ok(())
    /// }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.stream.readable().await
    }

    /// See [`TcpStream::try_read`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let mut buf = [0; 16];
    ///     let error = reader.try_read(&mut buf).unwrap_err(); // nothing sent yet
    ///     assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    ///     client.write_all(b"hi").await?;
    ///     let n = loop {
    ///         reader.readable().await?;
    ///         match reader.try_read(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], &b"hi"[..n]);
    ///     Ok(())
    /// }
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.try_read(buf)
    }

    /// See [`TcpStream::peer_addr`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     assert_eq!(reader.peer_addr()?, client.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     assert_eq!(reader.local_addr()?, client.peer_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl OwnedWriteHalf {
    pub(crate) fn new(stream: Arc<TcpStream>) -> OwnedWriteHalf {
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        }
    }

    /// Puts the stream back together; fails if `read` belongs to another stream.
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let server: TcpStream = writer.reunite(reader).expect("halves of one stream");
    ///     assert_eq!(server.peer_addr()?, client.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }

    /// Drops this half without shutting down the writing side.
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     use magpie::time::{timeout, Duration};
    ///
    ///     writer.forget(); // dropped without shutting down the writing side
    ///     let mut buf = [0; 1];
    ///     // So the peer sees no end of stream: its read just waits.
    ///     let read = timeout(Duration::from_millis(20), client.read(&mut buf)).await;
    ///     assert!(read.is_err());
    ///     Ok(())
    /// }
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// See [`TcpStream::write`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let mut rest = &b"some bytes"[..];
    ///     while !rest.is_empty() {
    ///         let n = writer.write(rest).await?;
    ///         rest = &rest[n..];
    ///     }
    ///     let mut buf = [0; 10];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"some bytes");
    ///     Ok(())
    /// }
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write_inner(buf).await
    }

    /// See [`TcpStream::write_all`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     writer.write_all(b"welcome").await?;
    ///     let mut buf = [0; 7];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"welcome");
    ///     Ok(())
    /// }
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.stream.write_all_inner(buf).await
    }

    /// Does nothing (see [`TcpStream::flush`]).
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     writer.write_all(b"data").await?;
    ///     writer.flush().await?; // a no-op: nothing is buffered
    ///     let mut buf = [0; 4];
    ///     client.read_exact(&mut buf).await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// See [`TcpStream::writable`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let mut rest = &b"hello"[..];
    ///     while !rest.is_empty() {
    ///         writer.writable().await?;
    ///         match writer.try_write(rest) {
    ///             Ok(n) => rest = &rest[n..],
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    ///     let mut buf = [0; 5];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.stream.writable().await
    }

    /// See [`TcpStream::try_write`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     writer.writable().await?;
    ///     let n = writer.try_write(b"hi")?;
    ///     let mut buf = vec![0; n];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(buf, &b"hi"[..n]);
    ///     Ok(())
    /// }
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.stream.try_write(buf)
    }

    /// See [`TcpStream::peer_addr`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     assert_eq!(writer.peer_addr()?, client.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     assert_eq!(writer.local_addr()?, client.peer_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may already be gone; there is nobody to report that to.
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_read_inner(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_read_vectored_inner(cx, bufs)
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_write_inner(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_write_vectored_inner(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts down the stream's writing side: the peer reads EOF.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.shutdown(Shutdown::Write))
    }
}
