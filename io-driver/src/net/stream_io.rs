//! [`StreamIo`]: what every byte-stream socket (TCP, Unix) does the same way, written
//! once: reading and writing through the reactor with the edge-triggered protocol,
//! `readable`/`writable`, `try_read`/`try_write`, and the `read_exact`/`write_all`
//! loops. The public stream types wrap one and add what is theirs (connecting,
//! addresses, options); their split halves reach it through the stream.
//!
//! It owns the registered mio socket; it uses [`Registration`]'s waits and nothing of
//! the scheduler.

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::task::{Context, Poll};

use mio::event::Source;

use crate::ready::Direction;
use crate::registered_source::RegisteredSource;
use crate::registration::Registration;
use crate::ReactorHandle;

/// A mio stream socket that [`StreamIo`] can drive: how one read into a buffer is done
/// (TCP asks the kernel whether the read emptied the queue; others read plainly).
pub(crate) trait StreamSource: Source {
    /// Per-stream state that reads keep (e.g. TCP's queue-hint switch); written and read
    /// only by the stream's one reader.
    type ReadState: std::fmt::Debug + Send + Sync;

    /// The state of a new stream.
    fn new_read_state() -> Self::ReadState;

    /// One read into `buf` (non-empty), saying whether it left the queue empty.
    fn receive(&self, state: &Self::ReadState, buf: &mut [u8]) -> io::Result<Received>;
}

/// The outcome of one successful read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Received {
    /// Bytes copied into the buffer.
    pub(crate) len: usize,
    /// The read left the socket's receive queue empty, so the next one would block
    /// until a new event (the peer's close is not counted as empty: the next read must
    /// still run to return `Ok(0)`).
    pub(crate) drained: bool,
}

/// Reads into `buf` with a plain `read`; only a short read counts as draining.
pub(crate) fn read_plain(source: impl io::Read, buf: &mut [u8]) -> io::Result<Received> {
    let mut source = source;
    let len = source.read(buf)?;
    Ok(Received {
        len,
        drained: len > 0 && len < buf.len(),
    })
}

/// A registered stream socket and its read state.
///
/// Reads and writes through `poll_*`/`*_inner` wait in the socket's reader and writer
/// *slots*: only the stream's one reader (the `&mut` stream or its read half) and one
/// writer may call them. `readable`, `writable` and the `try_*` methods wait in its
/// *list* and may be called by any number of tasks.
#[derive(Debug)]
pub(crate) struct StreamIo<S: StreamSource> {
    io: RegisteredSource<S>,
    read_state: S::ReadState,
}

impl<S> StreamIo<S>
where
    S: StreamSource,
    for<'a> &'a S: Read + Write,
{
    /// Registers `source` with `handle`'s reactor.
    pub(crate) fn with_handle(source: S, handle: ReactorHandle) -> io::Result<StreamIo<S>> {
        Ok(StreamIo {
            io: RegisteredSource::with_handle(source, handle)?,
            read_state: S::new_read_state(),
        })
    }

    /// Registers `source` with the current thread's reactor.
    ///
    /// # Panics
    /// When no reactor is current (outside a magpie runtime).
    pub(crate) fn new(source: S) -> io::Result<StreamIo<S>> {
        Ok(StreamIo {
            io: RegisteredSource::new(source)?,
            read_state: S::new_read_state(),
        })
    }

    /// The socket itself.
    #[inline]
    pub(crate) fn source(&self) -> &S {
        self.io.source()
    }

    /// The socket's registration.
    #[inline]
    pub(crate) fn registration(&self) -> &Registration {
        self.io.registration()
    }

    /// Waits until the socket may be readable.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        self.registration()
            .readiness(Direction::Read)
            .await
            .map(drop)
    }

    /// Waits until the socket may be writable.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        self.registration()
            .readiness(Direction::Write)
            .await
            .map(drop)
    }

    /// Reads without waiting: `WouldBlock` if no data is available now.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.registration()
            .try_io(Direction::Read, || Read::read(&mut self.source(), buf))
    }

    /// Writes without waiting: `WouldBlock` if the socket cannot take data now.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.registration()
            .try_io(Direction::Write, || Write::write(&mut self.source(), buf))
    }

    /// Reads some bytes into `buf` (reader slot).
    #[inline]
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.registration()
            .poll_io_drained(
                cx,
                Direction::Read,
                || self.source().receive(&self.read_state, buf),
                |r| r.drained,
            )
            .map_ok(|received| received.len)
    }

    /// Reads some bytes into `bufs` (reader slot).
    pub(crate) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.registration().poll_io(cx, Direction::Read, || {
            Read::read_vectored(&mut self.source(), bufs)
        })
    }

    /// Writes some bytes of `buf` (writer slot).
    #[inline]
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.registration()
            .poll_stream_transfer(cx, Direction::Write, buf.len(), || {
                Write::write(&mut self.source(), buf)
            })
    }

    /// Writes some bytes of `bufs` (writer slot).
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.registration().poll_io(cx, Direction::Write, || {
            Write::write_vectored(&mut self.source(), bufs)
        })
    }

    /// `poll_read` as a future (reader slot).
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Fills `buf`, or fails with `UnexpectedEof` if the peer closes first (reader slot).
    pub(crate) async fn read_exact(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..]).await? {
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

    /// `poll_write` as a future (writer slot).
    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf` (writer slot).
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
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
