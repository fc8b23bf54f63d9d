//! [`EventedFd`]: any Unix file descriptor that supports readiness polling (a pipe end,
//! a pidfd) registered with the reactor, for `magpie::process`.
//!
//! Owns the descriptor and its registration; uses `RegisteredSource` and
//! `Registration`'s edge-triggered loops, like the sockets do.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::task::{Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::context;
use crate::ready::Direction;
use crate::registered_source::RegisteredSource;

/// A non-blocking file descriptor registered with the current runtime's reactor.
/// Dropping it deregisters and closes the descriptor.
pub struct EventedFd {
    io: RegisteredSource<FdSource>,
}

/// The descriptor as a mio source. A `File` only for its `Read`/`Write` for `&File`,
/// which are plain `read(2)`/`write(2)` and work on any descriptor.
struct FdSource(File);

impl Source for FdSource {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

impl EventedFd {
    /// Makes `fd` non-blocking and registers it with the current thread's reactor.
    ///
    /// # Errors
    /// When called outside a magpie runtime, when the reactor has shut down, or when the
    /// OS refuses the descriptor (`fcntl`, or epoll for a descriptor that cannot be
    /// polled, such as a regular file).
    pub fn new(fd: OwnedFd) -> io::Result<EventedFd> {
        let handle = context::try_current().ok_or_else(|| {
            io::Error::other(
                "there is no reactor running: magpie pipes must be created from within a \
                 magpie runtime (inside `Runtime::block_on` or a task it runs)",
            )
        })?;
        set_nonblocking(fd.as_fd())?;
        let io = RegisteredSource::with_handle(FdSource(File::from(fd)), handle)?;
        Ok(EventedFd { io })
    }

    /// Reads into `buf` once the descriptor is readable (`Pending` until then).
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let file = &self.io.source().0;
        self.io
            .registration()
            .poll_stream_transfer(cx, Direction::Read, buf.len(), || (&*file).read(buf))
    }

    /// Writes from `buf` once the descriptor is writable (`Pending` until then).
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let file = &self.io.source().0;
        self.io
            .registration()
            .poll_stream_transfer(cx, Direction::Write, buf.len(), || (&*file).write(buf))
    }

    /// Runs `operation` once the descriptor is readable; when it returns `WouldBlock`,
    /// waits for the next readiness event and runs it again. For descriptors read by
    /// other means than `read(2)`, such as a pidfd, whose readability means the process
    /// exited.
    pub fn poll_read_ready_with<R>(
        &self,
        cx: &mut Context<'_>,
        operation: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, operation)
    }
}

impl AsFd for EventedFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.source().0.as_fd()
    }
}

impl AsRawFd for EventedFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.source().0.as_raw_fd()
    }
}

impl std::fmt::Debug for EventedFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventedFd")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// Sets `O_NONBLOCK` on `fd`'s open file description.
fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `F_GETFL` only reads the flags of `raw`, which is open for as long as
    // `fd` borrows it.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK != 0 {
        return Ok(());
    }
    // SAFETY: as above; `F_SETFL` with the old flags plus `O_NONBLOCK` changes nothing
    // else about the descriptor.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
