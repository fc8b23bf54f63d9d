//! [`UnixListener`]: a listening Unix stream socket bound to a path, whose `accept`
//! waits on the reactor.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use crate::context;
use crate::net::unix::{SocketAddr, UnixStream};
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;

/// A Unix socket listening for connections at a path.
///
/// Dropping it closes the socket but, as in tokio and the standard library, leaves the
/// socket file in place: remove it to bind the path again.
///
/// # Examples
///
/// ```
/// use magpie::net::{UnixListener, UnixStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join(format!("magpie-doc-listener-{}", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let client = UnixStream::connect(&path).await?;
///     let (server, _peer) = listener.accept().await?;
///     assert_eq!(server.local_addr()?.as_pathname(), Some(path.as_path()));
///     drop((client, server, listener));
///     std::fs::remove_file(&path)
/// }
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: RegisteredSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds a new listener to `path` (synchronously, as tokio's does). A path that
    /// already exists (another socket's, or any file) is an `AddrInUse` error.
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let handle = context::expect_current();
        let listener = mio::net::UnixListener::bind(path)?;
        Ok(UnixListener {
            io: RegisteredSource::with_handle(listener, handle)?,
        })
    }

    /// Wraps a listener from the standard library (switching it to non-blocking mode).
    ///
    /// # Panics
    /// When called outside a magpie runtime.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        let handle = context::expect_current();
        listener.set_nonblocking(true)?;
        let listener = mio::net::UnixListener::from_std(listener);
        Ok(UnixListener {
            io: RegisteredSource::with_handle(listener, handle)?,
        })
    }

    /// Waits for a connection and returns it with the peer's (usually unnamed) address.
    /// Any number of tasks may await `accept` on one listener at once.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let registration = self.io.registration();
        let (stream, peer) = registration
            .async_io(Direction::Read, || self.io.source().accept())
            .await?;
        let stream = UnixStream::from_mio(stream, registration.handle().clone())?;
        Ok((stream, peer))
    }

    /// Polls for a connection: `Pending` (with `cx`'s waker kept, only the latest
    /// caller's) until one arrives.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use magpie::net::{UnixListener, UnixStream};
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let path = std::env::temp_dir().join(format!("magpie-doc-poll-{}", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_server, _) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     std::fs::remove_file(&path)
    /// }
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let registration = self.io.registration();
        let (stream, peer) = std::task::ready!(
            registration.poll_io(cx, Direction::Read, || { self.io.source().accept() })
        )?;
        let stream = UnixStream::from_mio(stream, registration.handle().clone())?;
        Poll::Ready(Ok((stream, peer)))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.source().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.source().as_fd()
    }
}
