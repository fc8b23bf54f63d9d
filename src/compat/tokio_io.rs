//! Runs tokio-IO libraries on magpie streams (cargo feature `tokio-io`).
//!
//! Crates such as tokio-util's codecs or tokio-rustls are generic over tokio's IO traits
//! (`tokio::io::AsyncRead`, `AsyncWrite`, ...), while magpie's streams implement
//! `futures-io`'s. This module owns [`TokioIo`], which adapts one to the other in both
//! directions; it needs only tokio's trait definitions (no tokio feature, no tokio
//! runtime).
//!
//! # Reading into tokio's buffers
//!
//! tokio hands a reader a `ReadBuf` that may be uninitialised, while a `futures-io` reader
//! takes `&mut [u8]`, so each read first zeroes the part of the buffer it offers the
//! inner reader (at most 64 KiB; `ReadBuf` remembers what is already initialised, so a
//! buffer is zeroed at most once per `ReadBuf`).
//!
//! # Example
//!
//! A tokio-util codec over a magpie TCP stream:
//!
//! ```
//! use futures::{SinkExt, StreamExt};
//! use magpie::compat::tokio_io::TokioIo;
//! use magpie::net::{TcpListener, TcpStream};
//! use tokio_util::codec::{Framed, LinesCodec};
//!
//! #[magpie::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     magpie::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let mut lines = Framed::new(TokioIo::new(stream), LinesCodec::new());
//!         while let Some(Ok(line)) = lines.next().await {
//!             lines.send(line.to_uppercase()).await.unwrap();
//!         }
//!     });
//!
//!     let stream = TcpStream::connect(addr).await?;
//!     let mut lines = Framed::new(TokioIo::new(stream), LinesCodec::new());
//!     lines.send("hello").await?;
//!     assert_eq!(lines.next().await.transpose()?.as_deref(), Some("HELLO"));
//!     Ok(())
//! }
//! ```

use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

/// The most of tokio's read buffer that one read zeroes and offers the inner reader.
const MAX_READ_LEN: usize = 64 * 1024;

pin_project! {
    /// Adapts between `futures-io`'s traits (magpie's streams) and tokio's.
    ///
    /// - Wrapping a `futures-io` stream, such as a
    ///   [`magpie::net::TcpStream`](crate::net::TcpStream), gives tokio's `AsyncRead`,
    ///   `AsyncWrite`, `AsyncBufRead` and `AsyncSeek`, each where the inner type has the
    ///   `futures-io` counterpart: hand it to tokio-util, tokio-rustls and the like.
    ///   tokio's `poll_shutdown` is `futures-io`'s `poll_close`.
    /// - Wrapping a tokio stream (such as what those libraries return, for example a
    ///   `tokio_rustls::client::TlsStream<TokioIo<TcpStream>>`) gives the `futures-io`
    ///   traits, so [`magpie::io`](crate::io)'s extension methods work on it.
    ///
    /// # Example
    ///
    /// A magpie reader through tokio's traits, and back:
    ///
    /// ```
    /// use magpie::compat::tokio_io::TokioIo;
    /// use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
    ///
    /// async fn tokio_echo<T>(stream: &mut T) -> std::io::Result<()>
    /// where
    ///     T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    /// {
    ///     let mut buf = [0; 5];
    ///     let mut read = 0;
    ///     while read < buf.len() {
    ///         let mut rb = tokio::io::ReadBuf::new(&mut buf[read..]);
    ///         std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_read(cx, &mut rb)).await?;
    ///         read += rb.filled().len();
    ///     }
    ///     let mut written = 0;
    ///     while written < buf.len() {
    ///         written += std::future::poll_fn(|cx| {
    ///             std::pin::Pin::new(&mut *stream).poll_write(cx, &buf[written..])
    ///         })
    ///         .await?;
    ///     }
    ///     Ok(())
    /// }
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let (client, server) = io::duplex(64);
    ///     let echo = magpie::spawn(async move { tokio_echo(&mut TokioIo::new(server)).await });
    ///     // A tokio-side stream wrapped again: the futures-io traits, for magpie::io.
    ///     let mut client = TokioIo::new(TokioIo::new(client));
    ///     client.write_all(b"hello").await?;
    ///     let mut back = [0; 5];
    ///     client.read_exact(&mut back).await?;
    ///     assert_eq!(&back, b"hello");
    ///     echo.await.unwrap()
    /// }
    /// ```
    #[derive(Debug)]
    pub struct TokioIo<T> {
        #[pin]
        inner: T,
        // A futures-io `poll_seek` over a tokio stream: whether `start_seek` was called
        // and `poll_complete` has not finished yet.
        seeking: bool,
        // A tokio `start_seek` over a futures-io stream: the seek to run in `poll_complete`.
        pending_seek: Option<SeekFrom>,
    }
}

impl<T> TokioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        TokioIo {
            inner,
            seeking: false,
            pending_seek: None,
        }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped stream, pinned.
    pub fn inner_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

// futures-io stream -> tokio's traits.

impl<T: futures_io::AsyncRead> tokio::io::AsyncRead for TokioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let len = buf.remaining().min(MAX_READ_LEN);
        let dst = buf.initialize_unfilled_to(len);
        let n = ready!(futures_io::AsyncRead::poll_read(
            self.project().inner,
            cx,
            dst
        ))?;
        // `advance` panics if the inner reader claims more than it was offered.
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: futures_io::AsyncWrite> tokio::io::AsyncWrite for TokioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(self.project().inner, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write_vectored(self.project().inner, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(self.project().inner, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(self.project().inner, cx)
    }
}

impl<T: futures_io::AsyncBufRead> tokio::io::AsyncBufRead for TokioIo<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        futures_io::AsyncBufRead::poll_fill_buf(self.project().inner, cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        futures_io::AsyncBufRead::consume(self.project().inner, amt)
    }
}

impl<T: futures_io::AsyncSeek> tokio::io::AsyncSeek for TokioIo<T> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        *self.project().pending_seek = Some(position);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.project();
        // No seek started: tokio asks for the current position.
        let position = this.pending_seek.unwrap_or(SeekFrom::Current(0));
        let result = ready!(futures_io::AsyncSeek::poll_seek(this.inner, cx, position));
        *this.pending_seek = None;
        Poll::Ready(result)
    }
}

// tokio stream -> futures-io's traits.

impl<T: tokio::io::AsyncRead> futures_io::AsyncRead for TokioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        ready!(tokio::io::AsyncRead::poll_read(
            self.project().inner,
            cx,
            &mut buf
        ))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<T: tokio::io::AsyncWrite> futures_io::AsyncWrite for TokioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(self.project().inner, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write_vectored(self.project().inner, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(self.project().inner, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(self.project().inner, cx)
    }
}

impl<T: tokio::io::AsyncBufRead> futures_io::AsyncBufRead for TokioIo<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        tokio::io::AsyncBufRead::poll_fill_buf(self.project().inner, cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        tokio::io::AsyncBufRead::consume(self.project().inner, amt)
    }
}

impl<T: tokio::io::AsyncSeek> futures_io::AsyncSeek for TokioIo<T> {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let mut this = self.project();
        if !*this.seeking {
            tokio::io::AsyncSeek::start_seek(this.inner.as_mut(), pos)?;
            *this.seeking = true;
        }
        let result = ready!(tokio::io::AsyncSeek::poll_complete(this.inner, cx));
        *this.seeking = false;
        Poll::Ready(result)
    }
}
