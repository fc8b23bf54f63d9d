//! `read_exact` with tokio's output (the number of bytes read): futures' `ReadExact`,
//! wrapped to report the buffer's length.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncRead;

/// Future for [`read_exact`](crate::AsyncReadExt::read_exact): fills the whole buffer,
/// then yields its length (tokio's signature; futures' yields `()`).
///
/// # Cancel safety
///
/// Not cancel safe, as in tokio: dropping the future may leave some bytes read into the
/// buffer.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadExact<'a, R: ?Sized> {
    inner: futures_util::io::ReadExact<'a, R>,
    len: usize,
}

impl<'a, R: AsyncRead + Unpin + ?Sized> ReadExact<'a, R> {
    pub(crate) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> Self {
        let len = buf.len();
        ReadExact {
            inner: futures_util::io::AsyncReadExt::read_exact(reader, buf),
            len,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        ready!(Pin::new(&mut self.inner).poll(cx))?;
        Poll::Ready(Ok(self.len))
    }
}
