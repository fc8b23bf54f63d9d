//! [`ReadHalf`] and [`WriteHalf`]: halves of a [`TcpStream`] that borrow it, from
//! [`TcpStream::split`]. The read half waits in the stream's reader slot, the write
//! half in its writer slot, so both can be used at once.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::net::TcpStream;

/// The reading half of a borrowed [`TcpStream`].
///
/// Made by [`TcpStream::split`], whose docs show both halves used at once.
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
///     let (mut reader, mut writer) = TcpStream::split(&mut server);
///     client.write_all(b"ping").await?;
///     let mut request = [0; 4];
///     reader.read_exact(&mut request).await?;
///     assert_eq!(&request, b"ping");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a> {
    stream: &'a TcpStream,
}

/// The writing half of a borrowed [`TcpStream`].
///
/// Made by [`TcpStream::split`], whose docs show both halves used at once.
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
///     let (mut reader, mut writer) = TcpStream::split(&mut server);
///     writer.write_all(b"pong").await?;
///     let mut reply = [0; 4];
///     client.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a> {
    stream: &'a TcpStream,
}

impl<'a> ReadHalf<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> ReadHalf<'a> {
        ReadHalf { stream }
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
    ///     assert_eq!(reader.local_addr()?, client.peer_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl<'a> WriteHalf<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> WriteHalf<'a> {
        WriteHalf { stream }
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
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
    ///     let (mut reader, mut writer) = TcpStream::split(&mut server);
    ///     assert_eq!(writer.local_addr()?, client.peer_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl AsyncRead for ReadHalf<'_> {
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

impl AsyncWrite for WriteHalf<'_> {
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
