//! Runs [hyper](https://docs.rs/hyper/1) 1.x on magpie (cargo feature `hyper`).
//!
//! hyper is runtime-agnostic: it asks its user for an executor to spawn
//! background tasks, a timer for its timeouts, and IO types implementing
//! `hyper::rt::{Read, Write}`. This module owns the three adapters:
//!
//! - [`MagpieExecutor`]: `hyper::rt::Executor`, spawning on the current
//!   magpie runtime (HTTP/2 connections need one).
//! - [`MagpieTimer`]: `hyper::rt::Timer`, whose sleeps ([`MagpieSleep`]) are
//!   [`magpie::time::Sleep`](crate::time::Sleep)s, reset in place.
//! - [`MagpieIo`]: turns any `futures-io` stream (such as
//!   [`magpie::net::TcpStream`](crate::net::TcpStream)) into a hyper stream, and
//!   a hyper stream (such as an upgraded connection) back into a `futures-io`
//!   one.
//!
//! # Reading into hyper's buffers
//!
//! hyper hands a reader uninitialized memory, while `futures-io`'s
//! `AsyncRead` takes `&mut [u8]`, so each read first zeroes the part of
//! hyper's buffer that it offers the inner reader. To keep that cost in
//! proportion to what the connection reads, a read offers about twice what
//! the previous one returned (at least 1 KiB), twice as much as the last offer
//! when that was filled, and never more than 64 KiB: small requests zero
//! ~1 KiB instead of hyper's whole 8 KiB or larger buffer, and a long message
//! simply takes more reads, each larger than the last.
//!
//! # Example
//!
//! An HTTP/1 server and a hyper client talking over loopback:
//!
//! ```
//! use std::convert::Infallible;
//!
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::{Bytes, Incoming};
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//! use magpie::compat::hyper::{MagpieIo, MagpieTimer};
//! use magpie::net::{TcpListener, TcpStream};
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from_static(b"Hello, world!"))))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let rt = magpie::runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     magpie::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(MagpieTimer)
//!             .serve_connection(MagpieIo::new(stream), service_fn(hello))
//!             .await
//!             .unwrap();
//!     });
//!
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(MagpieIo::new(stream)).await?;
//!     magpie::spawn(conn);
//!     let request = Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new())?;
//!     let response = sender.send_request(request).await?;
//!     assert_eq!(response.status(), 200);
//!     let body = response.into_body().collect().await?.to_bytes();
//!     assert_eq!(body, "Hello, world!");
//!     Ok(())
//! })
//! # }
//! ```

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use ::hyper::rt::{ReadBuf, ReadBufCursor};
use futures_io::{AsyncRead, AsyncWrite};

use crate::time::Sleep;

/// The most bytes of hyper's read buffer that one read zeroes and offers the
/// inner reader (see the module docs).
const MAX_READ_LEN: usize = 64 * 1024;

/// The fewest bytes a read offers (when hyper's buffer has that much room).
const MIN_READ_LEN: usize = 1024;

/// What a read offers after one that was offered `offered` bytes and read
/// `read`: twice the offer when it was filled (more may be waiting), else about
/// twice what came (the next message is likely of a similar size).
#[inline]
fn next_read_len(offered: usize, read: usize) -> usize {
    let next = if read >= offered {
        offered.saturating_mul(2)
    } else {
        read.saturating_mul(2).next_power_of_two()
    };
    next.clamp(MIN_READ_LEN, MAX_READ_LEN)
}

/// Spawns hyper's background tasks on the current magpie runtime.
///
/// hyper needs an executor for HTTP/2, where each connection runs a task per
/// stream; HTTP/1 connections never use one. Every future it is given is
/// passed to [`magpie::spawn`](crate::spawn) and detached.
///
/// # Panics
///
/// `execute` panics, as [`magpie::spawn`](crate::spawn) does, when called
/// where no magpie runtime is current; hyper calls it while polling a
/// connection, which happens inside the runtime.
///
/// # Example
///
/// An HTTP/2 connection, server and client, both spawning on magpie:
///
/// ```
/// use std::convert::Infallible;
///
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::body::{Bytes, Incoming};
/// use hyper::service::service_fn;
/// use hyper::{Request, Response};
/// use magpie::compat::hyper::{MagpieExecutor, MagpieIo, MagpieTimer};
/// use magpie::net::{TcpListener, TcpStream};
///
/// async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
///     Ok(Response::new(Full::new(Bytes::from_static(b"over h2"))))
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let rt = magpie::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     magpie::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         hyper::server::conn::http2::Builder::new(MagpieExecutor)
///             .timer(MagpieTimer)
///             .serve_connection(MagpieIo::new(stream), service_fn(hello))
///             .await
///             .unwrap();
///     });
///
///     let stream = TcpStream::connect(addr).await?;
///     let (mut sender, conn) =
///         hyper::client::conn::http2::handshake(MagpieExecutor, MagpieIo::new(stream)).await?;
///     magpie::spawn(conn);
///     let request = Request::get("http://localhost/").body(Empty::<Bytes>::new())?;
///     let response = sender.send_request(request).await?;
///     assert_eq!(response.into_body().collect().await?.to_bytes(), "over h2");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MagpieExecutor;

impl<F> ::hyper::rt::Executor<F> for MagpieExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Detached: hyper tracks its tasks' completion itself.
        drop(crate::spawn(future));
    }
}

/// hyper's timer: its sleeps are magpie timers (1 ms granularity, never early).
///
/// Give it to a connection builder (`.timer(MagpieTimer)`) to enable hyper's
/// timeouts, such as HTTP/1's `header_read_timeout` or HTTP/2's keep-alive
/// pings. Resetting a sleep moves the magpie timer in place instead of
/// allocating a new one.
///
/// # Panics
///
/// `sleep` and `sleep_until` panic, as [`magpie::time::sleep`](crate::time::sleep)
/// does, where no magpie runtime is current; hyper calls them while polling a
/// connection, which happens inside the runtime.
///
/// # Example
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use hyper::rt::Timer;
/// use magpie::compat::hyper::MagpieTimer;
///
/// # fn main() -> std::io::Result<()> {
/// let rt = magpie::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let start = Instant::now();
///     MagpieTimer.sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MagpieTimer;

impl ::hyper::rt::Timer for MagpieTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(MagpieSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(MagpieSleep {
            inner: crate::time::sleep_until(crate::time::Instant::from_std(deadline)),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<MagpieSleep>() {
            Some(ours) => ours.reset(new_deadline),
            // Another timer's sleep: replace it rather than leave it on a foreign clock.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// The sleep future that [`MagpieTimer`] hands hyper: a
/// [`magpie::time::Sleep`](crate::time::Sleep) that hyper can hold as a
/// `Pin<Box<dyn hyper::rt::Sleep>>`.
///
/// Like the magpie `Sleep` it wraps, it is `Send + Sync` and `!Unpin`, and
/// completes once its deadline has passed.
///
/// # Example
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use hyper::rt::Timer;
/// use magpie::compat::hyper::{MagpieSleep, MagpieTimer};
///
/// # fn main() -> std::io::Result<()> {
/// let rt = magpie::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let mut sleep = MagpieTimer.sleep(Duration::from_secs(3600));
///     let deadline = Instant::now() + Duration::from_millis(2);
///     MagpieTimer.reset(&mut sleep, deadline);
///     let ours = sleep.as_mut().downcast_mut_pin::<MagpieSleep>().unwrap();
///     assert_eq!(ours.deadline(), deadline);
///     sleep.await;
///     assert!(Instant::now() >= deadline);
/// });
/// # Ok(())
/// # }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct MagpieSleep {
    inner: Sleep,
}

impl MagpieSleep {
    /// The instant at which this future completes.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// use hyper::rt::Timer;
    /// use magpie::compat::hyper::{MagpieSleep, MagpieTimer};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let rt = magpie::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let deadline = Instant::now() + Duration::from_secs(1);
    ///     let mut sleep = MagpieTimer.sleep_until(deadline);
    ///     let ours = sleep.as_mut().downcast_mut_pin::<MagpieSleep>().unwrap();
    ///     assert_eq!(ours.deadline(), deadline);
    /// });
    /// # Ok(())
    /// # }
    /// ```
    pub fn deadline(&self) -> Instant {
        self.inner.deadline().into_std()
    }

    /// Whether the deadline has been reached, i.e. whether a poll now would
    /// return `Ready`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use hyper::rt::Timer;
    /// use magpie::compat::hyper::{MagpieSleep, MagpieTimer};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let rt = magpie::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut sleep = MagpieTimer.sleep(Duration::ZERO);
    ///     let ours = sleep.as_mut().downcast_mut_pin::<MagpieSleep>().unwrap();
    ///     assert!(ours.is_elapsed());
    /// });
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.inner.is_elapsed()
    }

    /// Moves the deadline to `deadline`, whether or not this future has
    /// already completed; it then completes at the new deadline.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// use hyper::rt::Timer;
    /// use magpie::compat::hyper::{MagpieSleep, MagpieTimer};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let rt = magpie::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut sleep = MagpieTimer.sleep(Duration::from_secs(3600));
    ///     let soon = Instant::now() + Duration::from_millis(1);
    ///     sleep.as_mut().downcast_mut_pin::<MagpieSleep>().unwrap().reset(soon);
    ///     sleep.await;
    /// });
    /// # Ok(())
    /// # }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.inner_pin()
            .reset(crate::time::Instant::from_std(deadline));
    }

    fn inner_pin(self: Pin<&mut Self>) -> Pin<&mut Sleep> {
        // SAFETY: `inner` is structurally pinned: `MagpieSleep` has no `Drop` impl and no
        // manual `Unpin` impl (it is `Unpin` only if `Sleep` is), and no method moves `inner`
        // out of a pinned `MagpieSleep`; the reference is re-pinned at once.
        unsafe { self.map_unchecked_mut(|sleep| &mut sleep.inner) }
    }
}

impl Future for MagpieSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner_pin().poll(cx)
    }
}

impl ::hyper::rt::Sleep for MagpieSleep {}

/// A stream that speaks both IO dialects: hyper's `hyper::rt::{Read, Write}`
/// over a `futures-io` stream, and `futures-io`'s
/// `AsyncRead`/`AsyncWrite` over a hyper stream.
///
/// - `MagpieIo<T>` with `T: futures_io::AsyncRead + AsyncWrite` (for example
///   [`magpie::net::TcpStream`](crate::net::TcpStream)) is what hyper's
///   connection builders take: `serve_connection(MagpieIo::new(stream), ..)`,
///   `handshake(MagpieIo::new(stream))`.
/// - `MagpieIo<T>` with `T: hyper::rt::Read + Write` (for example
///   `hyper::upgrade::Upgraded`) works with `futures::io` helpers such as
///   `copy`, `AsyncReadExt` and `BufReader`.
///
/// Reads and writes, flushes and shutdowns (`poll_shutdown` /
/// `poll_close`) are forwarded one for one; see the module docs for how
/// reads fill hyper's buffers.
///
/// # Example
///
/// ```
/// use magpie::compat::hyper::MagpieIo;
/// use magpie::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// let rt = magpie::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let stream = TcpStream::connect(listener.local_addr()?).await?;
///     let io = MagpieIo::new(stream);
///     // `io` is ready for `hyper::client::conn::http1::handshake(io)`.
///     assert_eq!(io.inner().peer_addr()?, listener.local_addr()?);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct MagpieIo<T> {
    inner: T,
    write_vectored: bool,
    /// How many bytes the next hyper read zeroes and offers (see the module
    /// docs); adapts to what the reads return.
    read_len: usize,
}

impl<T> MagpieIo<T> {
    /// Wraps `inner`. hyper is told the stream has no efficient vectored
    /// writes, so it gathers each message into one buffer before writing;
    /// see [`with_vectored_writes`](Self::with_vectored_writes).
    ///
    /// # Example
    ///
    /// ```
    /// use magpie::compat::hyper::MagpieIo;
    ///
    /// let io = MagpieIo::new(futures::io::Cursor::new(Vec::<u8>::new()));
    /// assert!(io.inner().get_ref().is_empty());
    /// ```
    pub fn new(inner: T) -> Self {
        MagpieIo {
            inner,
            write_vectored: false,
            read_len: MIN_READ_LEN,
        }
    }

    /// Tells hyper whether `inner`'s `poll_write_vectored` writes several
    /// buffers at once (as [`TcpStream`](crate::net::TcpStream)'s `writev` does).
    /// With `true`, hyper queues a message's headers and body chunks and writes
    /// them together instead of copying them into one buffer first, which pays
    /// off for large bodies. Either way every byte is written; only the number
    /// of copies and system calls differs.
    ///
    /// # Example
    ///
    /// ```
    /// use hyper::rt::Write;
    /// use magpie::compat::hyper::MagpieIo;
    ///
    /// let io = MagpieIo::new(futures::io::Cursor::new(Vec::<u8>::new()));
    /// assert!(!io.is_write_vectored());
    /// assert!(io.with_vectored_writes(true).is_write_vectored());
    /// ```
    pub fn with_vectored_writes(mut self, vectored: bool) -> Self {
        self.write_vectored = vectored;
        self
    }

    /// The wrapped stream.
    ///
    /// # Example
    ///
    /// ```
    /// use magpie::compat::hyper::MagpieIo;
    ///
    /// let io = MagpieIo::new(futures::io::Cursor::new(vec![1u8, 2]));
    /// assert_eq!(io.inner().get_ref(), &[1, 2]);
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// # Example
    ///
    /// ```
    /// use magpie::compat::hyper::MagpieIo;
    ///
    /// let mut io = MagpieIo::new(futures::io::Cursor::new(vec![1u8, 2]));
    /// io.inner_mut().get_mut().push(3);
    /// assert_eq!(io.inner().get_ref(), &[1, 2, 3]);
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Example
    ///
    /// ```
    /// use magpie::compat::hyper::MagpieIo;
    ///
    /// let io = MagpieIo::new(futures::io::Cursor::new(vec![7u8]));
    /// assert_eq!(io.into_inner().into_inner(), vec![7]);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }

    fn inner_pin(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().0
    }

    /// The pinned inner stream and the read length (which is not pinned).
    fn project(self: Pin<&mut Self>) -> (Pin<&mut T>, &mut usize) {
        // SAFETY: nothing is moved out of `this`: `inner` is re-pinned at once below and
        // `read_len` is a plain `usize` that is never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `inner` is structurally pinned: `MagpieIo` has no `Drop` impl and no manual
        // `Unpin` impl (it is `Unpin` exactly when `T` is), and the only method that moves
        // `inner` out, `into_inner`, takes `self` by value, which a pinned `!Unpin` value
        // cannot give.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        (inner, &mut this.read_len)
    }
}

impl<T: AsyncRead> ::hyper::rt::Read for MagpieIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let (inner, read_len) = self.project();
        let offered = buf.remaining().min(*read_len);
        let read = ready!(inner.poll_read(cx, buf.initialize_unfilled_to(offered)))?;
        if read > offered {
            return Poll::Ready(Err(io::Error::other(format!(
                "the AsyncRead implementation reported {read} bytes read into a {offered}-byte buffer"
            ))));
        }
        if offered > 0 {
            *read_len = next_read_len(offered, read);
        }
        // SAFETY: `initialize_unfilled_to(offered)` initialized the first `offered` bytes of
        // the unfilled part, and `read <= offered` was checked above.
        unsafe { buf.advance(read) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> ::hyper::rt::Write for MagpieIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner_pin().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin().poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.write_vectored
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner_pin().poll_write_vectored(cx, bufs)
    }
}

impl<T: ::hyper::rt::Read> AsyncRead for MagpieIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read_buf = ReadBuf::new(buf);
        ready!(self.inner_pin().poll_read(cx, read_buf.unfilled()))?;
        Poll::Ready(Ok(read_buf.filled().len()))
    }
}

impl<T: ::hyper::rt::Write> AsyncWrite for MagpieIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner_pin().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner_pin().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin().poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_len_follows_what_reads_return() {
        // A small request: the next offer is the minimum.
        assert_eq!(next_read_len(MIN_READ_LEN, 100), MIN_READ_LEN);
        // A filled offer doubles, up to the maximum.
        assert_eq!(next_read_len(MIN_READ_LEN, MIN_READ_LEN), 2 * MIN_READ_LEN);
        assert_eq!(next_read_len(MAX_READ_LEN, MAX_READ_LEN), MAX_READ_LEN);
        // A partly filled one: about twice what came.
        assert_eq!(next_read_len(32 * 1024, 5000), 16 * 1024);
        // EOF (0 bytes) goes back to the minimum.
        assert_eq!(next_read_len(8 * 1024, 0), MIN_READ_LEN);
    }
}
