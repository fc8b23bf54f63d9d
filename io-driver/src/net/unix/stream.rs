//! [`UnixStream`]: a connected Unix stream socket — connecting to a path, pairs, and
//! the same reading and writing surface as `TcpStream` (both use
//! [`StreamIo`](crate::net::stream_io::StreamIo)).

use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::context;
use crate::net::stream_io::{read_plain, Received, StreamIo, StreamSource};
use crate::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, SocketAddr, WriteHalf};
use crate::ready::Direction;
use crate::ReactorHandle;

/// A connected Unix stream socket.
///
/// It has the same reading and writing surface as [`TcpStream`](crate::net::TcpStream):
/// inherent `read`/`write` methods, readiness and `try_*` methods, split halves, and the
/// `futures-io` `AsyncRead` and `AsyncWrite` traits.
///
/// # Examples
///
/// ```
/// use magpie::net::{UnixListener, UnixStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join(format!("magpie-doc-stream-{}", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     magpie::spawn(async move {
///         let (mut stream, _) = listener.accept().await?;
///         let mut request = [0; 4];
///         stream.read_exact(&mut request).await?;
///         stream.write_all(b"pong").await
///     });
///     let mut stream = UnixStream::connect(&path).await?;
///     stream.write_all(b"ping").await?;
///     let mut reply = [0; 4];
///     stream.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     std::fs::remove_file(&path)?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct UnixStream {
    io: StreamIo<mio::net::UnixStream>,
}

/// Unix stream reads are plain reads; only a short read proves the queue empty.
impl StreamSource for mio::net::UnixStream {
    type ReadState = ();

    fn new_read_state() {}

    #[inline]
    fn receive(&self, _state: &(), buf: &mut [u8]) -> io::Result<Received> {
        read_plain(self, buf)
    }
}

impl UnixStream {
    /// Connects to the socket bound at `path`. A path where nothing exists is a
    /// `NotFound` error, one where nobody listens `ConnectionRefused`.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let error = UnixStream::connect("/nonexistent/magpie.sock").await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    /// }
    /// ```
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let handle = context::expect_current();
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?, handle)?;
        // A Unix connect is done or refused at once, except when the listener's backlog
        // is full; epoll then reports the socket writable once it is accepted or failed.
        stream.io.registration().readiness(Direction::Write).await?;
        match stream.io.source().take_error()? {
            Some(error) => Err(error),
            None => Ok(stream),
        }
    }

    /// Registers a connected mio stream with `handle`'s reactor.
    pub(crate) fn from_mio(
        stream: mio::net::UnixStream,
        handle: ReactorHandle,
    ) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: StreamIo::with_handle(stream, handle)?,
        })
    }

    /// A pair of connected, unnamed sockets.
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     a.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     Ok(())
    /// }
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let handle = context::expect_current();
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((
            UnixStream::from_mio(a, handle.clone())?,
            UnixStream::from_mio(b, handle)?,
        ))
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
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (a, b) = std::os::unix::net::UnixStream::pair()?;
    ///     let (mut a, mut b) = (UnixStream::from_std(a)?, UnixStream::from_std(b)?);
    ///     a.write_all(b"ok").await?;
    ///     let mut buf = [0; 2];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ok");
    ///     Ok(())
    /// }
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: StreamIo::new(mio::net::UnixStream::from_std(stream))?,
        })
    }

    /// The local address of this socket (unnamed for a connecting socket or a pair).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The address of the peer (the listener's path for a connected client).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// The credentials (user, group, process) of the peer, as the kernel recorded them
    /// at connect time (Linux and Android: `SO_PEERCRED`).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn peer_cred(&self) -> io::Result<crate::net::unix::UCred> {
        crate::net::unix::ucred::peer_cred(self.io.source().as_raw_fd())
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }

    /// Shuts down the reading side, the writing side (the peer reads EOF) or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     a.write_all(b"bye").await?;
    ///     a.shutdown(std::net::Shutdown::Write)?;
    ///     let mut buf = [0; 3];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(b.read(&mut buf).await?, 0); // the end of the stream
    ///     Ok(())
    /// }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.source().shutdown(how)
    }

    /// Splits the stream into halves that borrow it, to read and write concurrently.
    ///
    /// With `futures::io::AsyncReadExt` in scope, method syntax `stream.split()` picks
    /// that trait's by-value `split`; write `UnixStream::split(&mut stream)` for this one.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (mut client, mut server) = UnixStream::pair()?;
    ///     let (mut reader, mut writer) = UnixStream::split(&mut server);
    ///     let echo = async {
    ///         let mut buf = [0; 4];
    ///         reader.read_exact(&mut buf).await?;
    ///         writer.write_all(&buf).await
    ///     };
    ///     let talk = async {
    ///         client.write_all(b"ping").await?;
    ///         let mut buf = [0; 4];
    ///         client.read_exact(&mut buf).await?;
    ///         std::io::Result::Ok(buf)
    ///     };
    ///     let (echoed, reply) = futures::join!(echo, talk);
    ///     echoed?;
    ///     assert_eq!(&reply?, b"ping");
    ///     Ok(())
    /// }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf::new(self), WriteHalf::new(self))
    }

    /// Splits the stream into owned halves that can move to different tasks;
    /// [`OwnedReadHalf::reunite`] puts them back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (mut client, server) = UnixStream::pair()?;
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let echo = magpie::spawn(async move {
    ///         let mut buf = [0; 4];
    ///         reader.read_exact(&mut buf).await?;
    ///         writer.write_all(&buf).await
    ///     });
    ///     client.write_all(b"ping").await?;
    ///     let mut reply = [0; 4];
    ///     client.read_exact(&mut reply).await?;
    ///     assert_eq!(&reply, b"ping");
    ///     echo.await??;
    ///     Ok(())
    /// }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Arc::new(self);
        (
            OwnedReadHalf::new(Arc::clone(&stream)),
            OwnedWriteHalf::new(stream),
        )
    }

    /// Reads some bytes into `buf`, waiting until at least one is available; `Ok(0)`
    /// once the peer has closed its writing side (or when `buf` is empty).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_inner(buf).await
    }

    /// Reads exactly `buf.len()` bytes and returns that count; an `UnexpectedEof` error
    /// if the peer closes first.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_exact_inner(buf).await
    }

    /// Writes some bytes of `buf`, waiting until the socket takes at least one.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_inner(buf).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_inner(buf).await
    }

    /// Does nothing: a Unix stream has no user-space buffer. Present for parity with
    /// tokio's `AsyncWriteExt::flush`.
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Reads some bytes into `buf` without removing them from the socket's queue,
    /// waiting until at least one is available.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     a.write_all(b"hello").await?;
    ///     let mut first = [0; 1];
    ///     b.peek(&mut first).await?;
    ///     let mut all = [0; 5];
    ///     b.read_exact(&mut all).await?; // the peeked byte is still there
    ///     assert_eq!(&all, b"hello");
    ///     Ok(())
    /// }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.peek_now(buf))
            .await
    }

    /// One `recv(MSG_PEEK)` into `buf`.
    fn peek_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        let fd = self.io.source().as_raw_fd();
        // SAFETY: `buf` is writable for `buf.len()` bytes and borrowed mutably for the
        // whole call; the kernel writes at most that many. `fd` is the socket this
        // stream owns, open for the whole call.
        let received =
            unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_PEEK) };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(received as usize)
    }

    /// Waits until the stream may be readable (readiness can be spurious: follow up
    /// with [`UnixStream::try_read`] and expect `WouldBlock` now and then).
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream may be writable (see [`UnixStream::readable`]).
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Reads without waiting: `WouldBlock` if no data is available now.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// Writes without waiting: `WouldBlock` if the socket cannot take data now.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    // The `*_inner` methods take `&self` but wait in the reader or writer slot: only the
    // stream's one reader (`&mut self`, or the read half) and one writer may call them.

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

impl AsyncRead for UnixStream {
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

impl AsyncWrite for UnixStream {
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

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.source().as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.source().as_fd()
    }
}
