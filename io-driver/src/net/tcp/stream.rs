//! [`TcpStream`]: a connected TCP socket — connecting, reading and writing through the
//! reactor, the `futures-io` traits, and socket options.
//!
//! Reads and writes that take `&mut self` (and the split halves) wait in the socket's
//! reader and writer *slots*; `readable`, `writable` and `peek` take `&self` and wait in
//! its *list*, so any number of tasks may await them at once.

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::context;
use crate::net::addr;
use crate::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;
use crate::ReactorHandle;

/// A TCP connection.
///
/// ```no_run
/// # async fn talk() -> std::io::Result<()> {
/// use magpie_io_driver::net::TcpStream;
/// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
/// stream.write_all(b"ping").await?;
/// let mut reply = [0; 4];
/// stream.read_exact(&mut reply).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TcpStream {
    io: RegisteredSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn and returning
    /// the last error if none accepts (e.g. `ConnectionRefused` for a closed port,
    /// reported as soon as the peer's reset arrives).
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let handle = context::expect_current();
        let mut last_error = None;
        for candidate in addr::resolve(addr)? {
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
            io: RegisteredSource::with_handle(stream, handle)?,
        })
    }

    /// Wraps a connected stream from the standard library (switching it to
    /// non-blocking mode).
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: RegisteredSource::new(mio::net::TcpStream::from_std(stream))?,
        })
    }

    /// The local address of this connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The remote address of this connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.source().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.source().nodelay()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }

    /// Shuts down the reading side, the writing side (the peer reads EOF) or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.source().shutdown(how)
    }

    /// Splits the stream into halves that borrow it, to read and write concurrently
    /// (e.g. in `futures::join!`) without moving it.
    ///
    /// With `futures::io::AsyncReadExt` in scope, method syntax `stream.split()` picks
    /// that trait's by-value `split` (a lock-based split) instead; write
    /// `TcpStream::split(&mut stream)` to get this one.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        let stream: &TcpStream = self;
        (ReadHalf::new(stream), WriteHalf::new(stream))
    }

    /// Splits the stream into owned halves that can move to different tasks. Dropping
    /// the write half shuts down the writing side; [`OwnedReadHalf::reunite`] puts the
    /// stream back together.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Arc::new(self);
        (
            OwnedReadHalf::new(stream.clone()),
            OwnedWriteHalf::new(stream),
        )
    }

    /// Reads some bytes into `buf`, waiting until at least one is available. `Ok(0)`
    /// means the peer closed its writing side (or `buf` is empty).
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

    /// Does nothing: a TCP stream has no user-space buffer. Present for parity with
    /// tokio's `AsyncWriteExt::flush`.
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Reads some bytes into `buf` without removing them from the socket's queue,
    /// waiting until at least one is available.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().peek(buf))
            .await
    }

    /// Waits until the stream may be readable (readiness can be spurious: follow up
    /// with [`TcpStream::try_read`] and expect `WouldBlock` now and then).
    pub async fn readable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Read)
            .await
            .map(drop)
    }

    /// Waits until the stream may be writable (see [`TcpStream::readable`]).
    pub async fn writable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Write)
            .await
            .map(drop)
    }

    /// Reads without waiting: `WouldBlock` if no data is available now.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || Read::read(&mut self.io.source(), buf))
    }

    /// Writes without waiting: `WouldBlock` if the socket cannot take data now.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.registration().try_io(Direction::Write, || {
            Write::write(&mut self.io.source(), buf)
        })
    }

    // The `*_inner` methods below take `&self` but wait in the reader or writer slot:
    // only the stream's one reader (`&mut self`, or the read half) and one writer may
    // call them.

    pub(crate) fn poll_read_inner(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let len = buf.len();
        self.io
            .registration()
            .poll_stream_transfer(cx, Direction::Read, len, || {
                Read::read(&mut self.io.source(), buf)
            })
    }

    pub(crate) fn poll_read_vectored_inner(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.registration().poll_io(cx, Direction::Read, || {
            Read::read_vectored(&mut self.io.source(), bufs)
        })
    }

    pub(crate) fn poll_write_inner(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.io
            .registration()
            .poll_stream_transfer(cx, Direction::Write, buf.len(), || {
                Write::write(&mut self.io.source(), buf)
            })
    }

    pub(crate) fn poll_write_vectored_inner(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.registration().poll_io(cx, Direction::Write, || {
            Write::write_vectored(&mut self.io.source(), bufs)
        })
    }

    pub(crate) async fn read_inner(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_inner(cx, buf)).await
    }

    pub(crate) async fn read_exact_inner(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_inner(&mut buf[filled..]).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection before the buffer was filled",
                    ))
                }
                read => filled += read,
            }
        }
        Ok(filled)
    }

    pub(crate) async fn write_inner(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_inner(cx, buf)).await
    }

    pub(crate) async fn write_all_inner(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_inner(buf).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the socket accepted no bytes of a non-empty write",
                    ))
                }
                written => buf = &buf[written..],
            }
        }
        Ok(())
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
