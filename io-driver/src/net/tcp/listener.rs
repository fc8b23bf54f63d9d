//! [`TcpListener`]: a listening TCP socket whose `accept` waits on the reactor.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::context;
use crate::net::addr;
use crate::net::TcpStream;
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;
use crate::ReactorHandle;

/// Pending connections the kernel may queue before `accept` takes them (tokio's
/// figure; the kernel caps it at `net.core.somaxconn`).
const LISTEN_BACKLOG: i32 = 1024;

/// A TCP socket listening for connections.
///
/// ```no_run
/// # async fn serve() -> std::io::Result<()> {
/// use magpie_io_driver::net::TcpListener;
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (stream, peer) = listener.accept().await?;
///     // hand `stream` to a task
/// #   drop((stream, peer));
/// }
/// # }
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
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let handle = context::expect_current();
        addr::try_each(addr::resolve(addr)?, |candidate| {
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
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let registration = self.io.registration();
        let (stream, peer) = registration
            .async_io(Direction::Read, || self.io.source().accept())
            .await?;
        let stream = TcpStream::from_mio(stream, registration.handle().clone())?;
        Ok((stream, peer))
    }

    /// The address this listener is bound to.
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
