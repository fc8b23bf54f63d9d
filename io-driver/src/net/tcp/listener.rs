//! [`TcpListener`]: a listening TCP socket whose `accept` waits on the reactor.

use std::io;
use std::net::SocketAddr;

use crate::context;
use crate::net::TcpStream;
use crate::net::{addr, ToSocketAddrs};
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;
use crate::ReactorHandle;

/// Pending connections the kernel may queue before `accept` takes them (tokio's
/// figure; the kernel caps it at `net.core.somaxconn`).
const LISTEN_BACKLOG: i32 = 1024;

/// A TCP socket listening for connections.
///
/// # Examples
///
/// An echo server that serves each connection in its own task (here for three
/// clients, then it stops):
///
/// ```
/// use magpie::net::{TcpListener, TcpStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let server = magpie::spawn(async move {
///         for _ in 0..3 {
///             let (mut stream, _peer) = listener.accept().await?;
///             magpie::spawn(async move {
///                 let mut buf = [0; 1024];
///                 loop {
///                     let n = stream.read(&mut buf).await?;
///                     if n == 0 {
///                         return std::io::Result::Ok(());
///                     }
///                     stream.write_all(&buf[..n]).await?;
///                 }
///             });
///         }
///         std::io::Result::Ok(())
///     });
///
///     for word in ["one", "two", "three"] {
///         let mut stream = TcpStream::connect(addr).await?;
///         stream.write_all(word.as_bytes()).await?;
///         let mut echo = vec![0; word.len()];
///         stream.read_exact(&mut echo).await?;
///         assert_eq!(echo, word.as_bytes());
///     }
///     server.await??;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: RegisteredSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to `addr`, trying each resolved address in turn and returning
    /// the last error if none works (e.g. `AddrInUse`). `SO_REUSEADDR` is set, so a
    /// port in `TIME_WAIT` can be bound again at once.
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
    /// use magpie::net::TcpListener;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     // Port 0: the OS picks a free port.
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     assert_ne!(addr.port(), 0);
    ///
    ///     // The port is taken now.
    ///     let error = TcpListener::bind(addr).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok(())
    /// }
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let handle = context::expect_current();
        addr::try_each(addr::resolve(addr).await?, |candidate| {
            TcpListener::bind_one(candidate, &handle)
        })
    }

    fn bind_one(addr: SocketAddr, handle: &ReactorHandle) -> io::Result<TcpListener> {
        let listener = mio::net::TcpListener::bind(addr)?;
        raise_backlog(&listener)?;
        let io = RegisteredSource::with_handle(listener, handle.clone())?;
        Ok(TcpListener { io })
    }

    /// Wraps a listener from the standard library (switching it to non-blocking mode).
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
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_server, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let handle = context::expect_current();
        listener.set_nonblocking(true)?;
        let io = RegisteredSource::with_handle(mio::net::TcpListener::from_std(listener), handle)?;
        Ok(TcpListener { io })
    }

    /// Waits for the next connection and returns it with the peer's address.
    ///
    /// Errors from the OS are returned as they come, without retrying: in particular
    /// running out of descriptors (`EMFILE`/`ENFILE`) is reported to the caller, who
    /// can back off; the pending connection stays queued, so a later `accept` gets it
    /// once descriptors are free. Cancel-safe: dropping the future loses no connection.
    /// Several tasks may await `accept` on one shared listener.
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
    ///     let client = magpie::spawn(async move {
    ///         let mut stream = TcpStream::connect(addr).await?;
    ///         stream.write_all(b"hi").await?;
    ///         std::io::Result::Ok(stream.local_addr()?)
    ///     });
    ///
    ///     let (mut stream, peer) = listener.accept().await?;
    ///     let mut greeting = [0; 2];
    ///     stream.read_exact(&mut greeting).await?;
    ///     assert_eq!(&greeting, b"hi");
    ///     assert_eq!(peer, client.await??);
    ///     Ok(())
    /// }
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let registration = self.io.registration();
        let (stream, peer) = registration
            .async_io(Direction::Read, || self.io.source().accept())
            .await?;
        let stream = TcpStream::from_mio(stream, registration.handle().clone())?;
        Ok((stream, peer))
    }

    /// The address this listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::TcpListener;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     assert!(addr.ip().is_loopback());
    ///     assert_ne!(addr.port(), 0); // the port the OS picked
    ///     Ok(())
    /// }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }
}

/// Raises the listen backlog from mio's 128 to [`LISTEN_BACKLOG`], so a burst of
/// connections is not dropped before the accept loop catches up. Calling `listen` on a
/// listening socket just updates its backlog (Linux, the BSDs and macOS).
#[cfg(unix)]
fn raise_backlog(listener: &mio::net::TcpListener) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `listen` takes a descriptor and an integer and touches no memory of
    // ours; the descriptor is open, owned by `listener`, for the whole call.
    let result = unsafe { libc::listen(listener.as_raw_fd(), LISTEN_BACKLOG) };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(unix))]
fn raise_backlog(_listener: &mio::net::TcpListener) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.source().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.source().as_fd()
    }
}
