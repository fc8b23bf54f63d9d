//! [`UdpSocket`]: a UDP socket whose sends and receives wait on the reactor.
//!
//! Every operation takes `&self` and waits in the socket's waiter list, so one socket
//! can be shared (e.g. in an `Arc`) by tasks sending and receiving at the same time.

use std::io;
use std::net::SocketAddr;

use crate::context;
use crate::net::{addr, ToSocketAddrs};
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;

/// A UDP socket.
///
/// On Linux a datagram larger than the receive buffer is truncated to the buffer's
/// size (the rest is discarded) and the socket stays usable.
///
/// # Examples
///
/// An echo server in a task, and a client asking it once:
///
/// ```
/// use magpie::net::UdpSocket;
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let server = UdpSocket::bind("127.0.0.1:0").await?;
///     let server_addr = server.local_addr()?;
///     magpie::spawn(async move {
///         let mut buf = [0; 1500];
///         while let Ok((len, from)) = server.recv_from(&mut buf).await {
///             let _ = server.send_to(&buf[..len], from).await;
///         }
///     });
///
///     let client = UdpSocket::bind("127.0.0.1:0").await?;
///     client.connect(server_addr).await?;
///     client.send(b"marco").await?;
///     let mut reply = [0; 16];
///     let len = client.recv(&mut reply).await?;
///     assert_eq!(&reply[..len], b"marco");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: RegisteredSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each resolved address in turn and returning
    /// the last error if none works.
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
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?; // port 0: the OS picks one
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     Ok(())
    /// }
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let handle = context::expect_current();
        addr::try_each(addr::resolve(addr).await?, |candidate| {
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
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let socket = UdpSocket::from_std(std_socket)?;
    ///     let peer = UdpSocket::bind("127.0.0.1:0").await?;
    ///     peer.send_to(b"hi", socket.local_addr()?).await?;
    ///     let mut buf = [0; 2];
    ///     let (len, from) = socket.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..len], from), (&b"hi"[..], peer.local_addr()?));
    ///     Ok(())
    /// }
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let handle = context::expect_current();
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: RegisteredSource::with_handle(mio::net::UdpSocket::from_std(socket), handle)?,
        })
    }

    /// Sets the default destination of [`UdpSocket::send`] and the only source
    /// [`UdpSocket::recv`] accepts, trying each resolved address in turn.
    ///
    /// `addr` is any [`ToSocketAddrs`]: a host name (`"localhost:80"`) is looked up on
    /// the runtime's blocking pool first; a name that does not resolve is an error.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     a.send(b"no address needed").await?;
    ///     let mut buf = [0; 32];
    ///     let (len, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..len], from), (&b"no address needed"[..], a.local_addr()?));
    ///     Ok(())
    /// }
    /// ```
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        addr::try_each(addr::resolve(addr).await?, |candidate| {
            self.io.source().connect(candidate)
        })
    }

    /// Sends `buf` as one datagram to the connected peer; returns the bytes sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     let sent = a.send(b"ping").await?;
    ///     assert_eq!(sent, 4);
    ///     let mut buf = [0; 16];
    ///     let len = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"ping");
    ///     Ok(())
    /// }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Write, || self.io.source().send(buf))
            .await
    }

    /// Receives one datagram from the connected peer into `buf`; returns its length
    /// (truncated to `buf.len()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     b.send(b"a datagram that is too long").await?;
    ///     let mut buf = [0; 8];
    ///     let len = a.recv(&mut buf).await?; // the rest of the datagram is discarded
    ///     assert_eq!(&buf[..len], b"a datagr");
    ///     Ok(())
    /// }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().recv(buf))
            .await
    }

    /// Sends `buf` as one datagram to `target` (its first resolved address; a host
    /// name is looked up on the blocking pool for each call, so resolve it once with
    /// [`lookup_host`](crate::net::lookup_host) when sending many).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"to b", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (len, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"to b");
    ///     assert_eq!(from, a.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = addr::first(target).await?;
        self.io
            .registration()
            .async_io(Direction::Write, || self.io.source().send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`; returns its length (truncated to `buf.len()`)
    /// and its sender.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     // An echo: answer each datagram to its sender.
    ///     a.send_to(b"echo me", b.local_addr()?).await?;
    ///     let mut buf = [0; 1500];
    ///     let (len, from) = b.recv_from(&mut buf).await?;
    ///     b.send_to(&buf[..len], from).await?;
    ///     let (len, _) = a.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"echo me");
    ///     Ok(())
    /// }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .async_io(Direction::Read, || self.io.source().recv_from(buf))
            .await
    }

    /// Waits until the socket may be readable (readiness can be spurious).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (len, from) = loop {
    ///         b.readable().await?;
    ///         match b.try_recv_from(&mut buf) {
    ///             // The readiness was spurious: wait again.
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!((&buf[..len], from), (&b"hi"[..], a.local_addr()?));
    ///     Ok(())
    /// }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Read)
            .await
            .map(drop)
    }

    /// Waits until the socket may be writable (readiness can be spurious).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let target = b.local_addr()?;
    ///     let sent = loop {
    ///         a.writable().await?;
    ///         match a.try_send_to(b"hi", target) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(sent, 2);
    ///     let mut buf = [0; 16];
    ///     let (len, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"hi");
    ///     Ok(())
    /// }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Write)
            .await
            .map(drop)
    }

    /// Receives one datagram without waiting: `WouldBlock` if none is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let mut buf = [0; 16];
    ///     let error = b.try_recv_from(&mut buf).unwrap_err(); // nothing was sent yet
    ///     assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    ///
    ///     a.send_to(b"now", b.local_addr()?).await?;
    ///     let (len, _) = loop {
    ///         b.readable().await?;
    ///         match b.try_recv_from(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..len], b"now");
    ///     Ok(())
    /// }
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.source().recv_from(buf))
    }

    /// Sends one datagram without waiting: `WouldBlock` if the socket is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.writable().await?; // an idle socket has room
    ///     let sent = a.try_send_to(b"quick", b.local_addr()?)?;
    ///     assert_eq!(sent, 5);
    ///     let mut buf = [0; 16];
    ///     let (len, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"quick");
    ///     Ok(())
    /// }
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.source().send_to(buf, target))
    }

    /// The address this socket is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let addr = socket.local_addr()?;
    ///     assert!(addr.ip().is_loopback());
    ///     assert_ne!(addr.port(), 0); // the port the OS picked
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The connected peer's address; a `NotConnected` error if not connected.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let error = a.peer_addr().unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UdpSocket;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.take_error()?.is_none());
    ///     Ok(())
    /// }
    /// ```
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
