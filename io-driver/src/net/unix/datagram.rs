//! [`UnixDatagram`]: a Unix datagram socket, bound to a path, unbound, or one of a
//! connected pair; sends and receives wait on the reactor.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

use crate::context;
use crate::net::unix::SocketAddr;
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;

/// A Unix datagram socket. Every method takes `&self`: share it (e.g. in an `Arc`) to
/// send from one task and receive in another.
///
/// # Examples
///
/// ```
/// use magpie::net::UnixDatagram;
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let dir = std::env::temp_dir();
///     let path = dir.join(format!("magpie-doc-dgram-{}", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let server = UnixDatagram::bind(&path)?;
///     let client = UnixDatagram::unbound()?;
///     client.send_to(b"hello", &path).await?;
///     let mut buf = [0; 16];
///     let (n, from) = server.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"hello");
///     assert!(from.is_unnamed());
///     std::fs::remove_file(&path)
/// }
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    io: RegisteredSource<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    fn wrap(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: RegisteredSource::with_handle(socket, context::expect_current())?,
        })
    }

    /// A socket bound to `path`; a path that already exists is an `AddrInUse` error.
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::wrap(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no path (it can send, and receive replies only once connected
    /// or through a pair).
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::wrap(mio::net::UnixDatagram::unbound()?)
    }

    /// A pair of connected, unnamed sockets.
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixDatagram;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"one").await?;
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"one");
    ///     Ok(())
    /// }
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::wrap(a)?, UnixDatagram::wrap(b)?))
    }

    /// Wraps a socket from the standard library (switching it to non-blocking mode).
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::wrap(mio::net::UnixDatagram::from_std(socket))
    }

    /// Connects the socket to `path` (synchronously): `send` and `recv` then talk to
    /// that socket only. A path where nothing exists is a `NotFound` error.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.source().connect(path)
    }

    /// Sends `buf` as one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Write, || self.io.source().send(buf))
            .await
    }

    /// Receives one datagram from the connected peer into `buf` (the rest of a longer
    /// datagram is discarded).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().recv(buf))
            .await
    }

    /// Sends `buf` as one datagram to the socket bound at `target`.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = target.as_ref();
        self.io
            .registration()
            .async_io(Direction::Write, || self.io.source().send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`, with the sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().recv_from(buf))
            .await
    }

    /// Waits until the socket may be readable (readiness can be spurious).
    pub async fn readable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Read)
            .await
            .map(drop)
    }

    /// Waits until the socket may be writable (readiness can be spurious).
    pub async fn writable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Write)
            .await
            .map(drop)
    }

    /// Sends to the connected peer without waiting: `WouldBlock` if it cannot now.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.source().send(buf))
    }

    /// Receives from the connected peer without waiting: `WouldBlock` if nothing waits.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.source().recv(buf))
    }

    /// Sends to `target` without waiting: `WouldBlock` if it cannot now.
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.source().send_to(buf, target))
    }

    /// Receives without waiting: `WouldBlock` if nothing waits.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.source().recv_from(buf))
    }

    /// The address this socket is bound to (unnamed if unbound).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The address of the connected peer; `NotConnected` if there is none.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }

    /// Shuts down the reading side, the writing side, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.source().shutdown(how)
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.source().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.source().as_fd()
    }
}
