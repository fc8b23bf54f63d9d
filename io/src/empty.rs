//! `empty`: a reader at EOF that is also a writer that accepts and drops everything, as
//! tokio's `Empty` (futures' reads only).

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

/// An empty reader and a bottomless writer, from [`empty`].
///
/// Reads return 0 (EOF); writes accept everything and drop it; seeks stay at 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Empty {
    _private: (),
}

/// A reader that is always at EOF, and a writer that drops what it is given.
///
/// ```
/// use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let mut nothing = io::empty();
///     let mut buf = Vec::new();
///     assert_eq!(nothing.read_to_end(&mut buf).await?, 0);
///     nothing.write_all(b"dropped").await?;
///     Ok(())
/// }
/// ```
pub fn empty() -> Empty {
    Empty { _private: () }
}

impl AsyncRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(Ok(&[]))
    }

    fn consume(self: Pin<&mut Self>, _: usize) {}
}

impl AsyncWrite for Empty {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for Empty {
    fn poll_seek(self: Pin<&mut Self>, _: &mut Context<'_>, _: SeekFrom) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(0))
    }
}
