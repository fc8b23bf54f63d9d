//! `duplex`: an in-memory, bidirectional byte stream made of two one-way pipes, each a
//! bounded buffer behind a mutex with one waiting reader's and one waiting writer's waker.
//! Uses `bytes::BytesMut` for the buffer; knows nothing of the scheduler.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, BytesMut};
use futures_io::{AsyncRead, AsyncWrite};

/// One end of an in-memory pipe pair, from [`duplex`].
///
/// What one end writes the other reads, in both directions. Writes wait while the other
/// end has `max_buf_size` unread bytes. When an end is dropped or shut down, the other
/// reads what is left and then EOF; writing to an end whose peer was dropped fails with
/// [`BrokenPipe`](std::io::ErrorKind::BrokenPipe).
///
/// # Cancel safety
///
/// Reads and writes complete in one poll or do nothing, so every read and write future
/// over a `DuplexStream` that is cancel safe on a socket is cancel safe here.
#[derive(Debug)]
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

/// A one-way, bounded byte buffer between two ends.
#[derive(Debug)]
struct Pipe {
    buffer: BytesMut,
    max_buf_size: usize,
    /// Set when either end is done with this pipe: its writer shut down or was dropped,
    /// or its reader was dropped.
    is_closed: bool,
    /// The reader waiting for bytes or EOF.
    read_waker: Option<Waker>,
    /// The writer waiting for room.
    write_waker: Option<Waker>,
}

/// Creates a pair of connected in-memory streams; each buffers at most `max_buf_size`
/// bytes that its peer has not read yet.
///
/// Handy for testing a protocol without sockets. A `max_buf_size` of 0 would make every
/// write wait forever, so it panics.
///
/// # Panics
///
/// If `max_buf_size` is 0.
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let (mut client, mut server) = io::duplex(64);
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     drop(client);
///     assert_eq!(server.read(&mut buf).await?, 0); // EOF
///     Ok(())
/// }
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    assert!(max_buf_size > 0, "duplex: max_buf_size must be at least 1");
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

/// Locks a pipe; a panic while it was held (none of the code below can) leaves the pipe
/// consistent, so poisoning is ignored.
fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    pipe.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stores `cx`'s waker in `slot`, cloning only when it differs from the one there.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

impl Pipe {
    fn new(max_buf_size: usize) -> Self {
        Pipe {
            buffer: BytesMut::new(),
            max_buf_size,
            is_closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn close(&mut self) {
        self.is_closed = true;
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
        if let Some(waker) = self.write_waker.take() {
            waker.wake();
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.buffer.has_remaining() {
            let n = buf.len().min(self.buffer.len());
            self.buffer.copy_to_slice(&mut buf[..n]);
            if n > 0 {
                if let Some(waker) = self.write_waker.take() {
                    waker.wake();
                }
            }
            Poll::Ready(Ok(n))
        } else if self.is_closed || buf.is_empty() {
            Poll::Ready(Ok(0))
        } else {
            register(&mut self.read_waker, cx);
            Poll::Pending
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.is_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let room = self.max_buf_size - self.buffer.len();
        if room == 0 {
            register(&mut self.write_waker, cx);
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..n]);
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        lock(&self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        lock(&self.write).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes the writing direction: the peer reads what is buffered, then EOF.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.write).close();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        // The peer's writes now fail, and its reads end after what is buffered.
        lock(&self.read).close();
        lock(&self.write).close();
    }
}
