//! [`ChildStdin`], [`ChildStdout`], [`ChildStderr`]: a child's pipes as async streams.
//!
//! Each owns the parent's end of one pipe, made non-blocking and registered with the
//! runtime's reactor (`magpie_io_driver::unix::EventedFd`); they implement the
//! `futures-io` traits that `magpie::io` re-exports.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use magpie_io::{AsyncRead, AsyncWrite};
use magpie_io_driver::unix::EventedFd;

/// Registers `pipe`'s descriptor with the current runtime's reactor.
fn evented(pipe: impl Into<OwnedFd>) -> io::Result<EventedFd> {
    EventedFd::new(pipe.into())
}

/// The child's standard input, when it was `Stdio::piped()`: write to it with
/// `magpie::io::AsyncWriteExt`. Dropping it closes the pipe, which the child reads as
/// end of input ([`Child::wait`](super::Child::wait) drops it first).
#[derive(Debug)]
pub struct ChildStdin {
    fd: EventedFd,
}

/// The child's standard output, when it was `Stdio::piped()`: read it with
/// `magpie::io::AsyncReadExt`.
#[derive(Debug)]
pub struct ChildStdout {
    fd: EventedFd,
}

/// The child's standard error, when it was `Stdio::piped()`: read it with
/// `magpie::io::AsyncReadExt`.
#[derive(Debug)]
pub struct ChildStderr {
    fd: EventedFd,
}

impl ChildStdin {
    pub(super) fn new(pipe: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin { fd: evented(pipe)? })
    }
}

impl ChildStdout {
    pub(super) fn new(pipe: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout { fd: evented(pipe)? })
    }
}

impl ChildStderr {
    pub(super) fn new(pipe: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr { fd: evented(pipe)? })
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.fd.poll_write(cx, buf)
    }

    /// Nothing to flush: writes go straight to the pipe.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Nothing to do, as in tokio: a pipe has no half-close; drop the `ChildStdin` to
    /// send end of input.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.fd.poll_read(cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.fd.poll_read(cx, buf)
    }
}

macro_rules! impl_fd {
    ($($pipe:ty),*) => {$(
        impl AsFd for $pipe {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.fd.as_fd()
            }
        }

        impl AsRawFd for $pipe {
            fn as_raw_fd(&self) -> RawFd {
                self.fd.as_raw_fd()
            }
        }
    )*};
}

impl_fd!(ChildStdin, ChildStdout, ChildStderr);
