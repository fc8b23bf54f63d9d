//! `split`: one reader-writer as two owned halves that may live in different tasks, with
//! tokio's `unsplit`. A thin layer over futures' `split` (a `BiLock` between the halves).

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// Splits a reader-writer into a reading half and a writing half.
///
/// The halves share the stream behind a lock held only while one of them is polled, so
/// each can be moved to its own task. [`ReadHalf::unsplit`] puts them back together.
///
/// For a `magpie::net::TcpStream`, its own `split` and `into_split` are cheaper (no lock).
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let (a, mut b) = io::duplex(64);
///     let (mut rd, mut wr) = io::split(a);
///     let writer = magpie::spawn(async move {
///         wr.write_all(b"ping").await?;
///         Ok::<_, io::Error>(wr)
///     });
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     b.write_all(b"pong").await?;
///     rd.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"pong");
///     let wr = writer.await.unwrap()?;
///     let _a = rd.unsplit(wr);
///     Ok(())
/// }
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let (read, write) = futures_util::io::AsyncReadExt::split(stream);
    (ReadHalf { inner: read }, WriteHalf { inner: write })
}

/// The reading half of a stream [`split`] in two; implements [`AsyncRead`].
pub struct ReadHalf<T> {
    inner: futures_util::io::ReadHalf<T>,
}

/// The writing half of a stream [`split`] in two; implements [`AsyncWrite`].
pub struct WriteHalf<T> {
    inner: futures_util::io::WriteHalf<T>,
}

/// The two halves given to [`ReadHalf::reunite`] that were not split from the same stream;
/// they are handed back.
pub struct ReuniteError<T>(pub ReadHalf<T>, pub WriteHalf<T>);

impl<T> ReadHalf<T> {
    /// Whether `other` was split from the same stream as this half.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        self.inner.is_pair_of(&other.inner)
    }
}

impl<T: Unpin> ReadHalf<T> {
    /// Puts the halves back together into the stream they were split from.
    ///
    /// # Panics
    ///
    /// If `write` was not split from the same stream as this half (as tokio's); see
    /// [`reunite`](Self::reunite) for the fallible form.
    pub fn unsplit(self, write: WriteHalf<T>) -> T {
        match self.reunite(write) {
            Ok(stream) => stream,
            Err(_) => panic!("ReadHalf::unsplit: the WriteHalf was split from another stream"),
        }
    }

    /// Puts the halves back together, or hands them back if they were split from
    /// different streams.
    pub fn reunite(self, write: WriteHalf<T>) -> Result<T, ReuniteError<T>> {
        self.inner
            .reunite(write.inner)
            .map_err(|e| ReuniteError(ReadHalf { inner: e.0 }, WriteHalf { inner: e.1 }))
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` was split from the same stream as this half.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        self.inner.is_pair_of(&other.inner)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read_vectored(cx, bufs)
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReuniteError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that were split from different streams")
    }
}

impl<T> std::error::Error for ReuniteError<T> {}
