//! [`UdpSocket`]: a UDP socket whose sends and receives wait on the reactor.
//!
//! Every operation takes `&self` and waits in the socket's waiter list, so one socket
//! can be shared (e.g. in an `Arc`) by tasks sending and receiving at the same time.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::context;
use crate::net::addr;
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;

/// A UDP socket.
///
/// On Linux a datagram larger than the receive buffer is truncated to the buffer's
/// size (the rest is discarded) and the socket stays usable.
///
/// ```no_run
/// # async fn echo() -> std::io::Result<()> {
/// use magpie_io_driver::net::UdpSocket;
/// let socket = UdpSocket::bind("127.0.0.1:9000").await?;
/// let mut buf = [0; 1500];
/// let (len, from) = socket.recv_from(&mut buf).await?;
/// socket.send_to(&buf[..len], from).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: RegisteredSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each resolved address in turn and returning
    /// the last error if none works.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let handle = context::expect_current();
        addr::try_each(addr::resolve(addr)?, |candidate| {
            let socket = mio::net::UdpSocket::bind(candidate)?;
            Ok(UdpSocket {
                io: RegisteredSource::with_handle(socket, handle.clone())?,
            })
        })
    }

    /// Wraps a socket from the standard library (switching it to non-blocking mode).
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let handle = context::expect_current();
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: RegisteredSource::with_handle(mio::net::UdpSocket::from_std(socket), handle)?,
        })
    }

    /// Sets the default destination of [`UdpSocket::send`] and the only source
    /// [`UdpSocket::recv`] accepts, trying each resolved address in turn.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        addr::try_each(addr::resolve(addr)?, |candidate| {
            self.io.source().connect(candidate)
        })
    }

    /// Sends `buf` as one datagram to the connected peer; returns the bytes sent.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Write, || self.io.source().send(buf))
            .await
    }

    /// Receives one datagram from the connected peer into `buf`; returns its length
    /// (truncated to `buf.len()`).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().recv(buf))
            .await
    }

    /// Sends `buf` as one datagram to `target` (its first resolved address).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = addr::first(target)?;
        self.io
            .registration()
            .async_io(Direction::Write, || self.io.source().send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`; returns its length (truncated to `buf.len()`)
    /// and its sender.
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

    /// Receives one datagram without waiting: `WouldBlock` if none is queued.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.source().recv_from(buf))
    }

    /// Sends one datagram without waiting: `WouldBlock` if the socket is full.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.source().send_to(buf, target))
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The connected peer's address; a `NotConnected` error if not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.source().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UdpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.source().as_fd()
    }
}
