//! The future behind `write_u8` .. `write_f64_le`: writes a number's bytes, already
//! encoded into a fixed-size array, in full. Uses only `futures-io`'s `AsyncWrite`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncWrite;

/// Future for [`write_u8`](crate::AsyncWriteExt::write_u8),
/// [`write_u32`](crate::AsyncWriteExt::write_u32) and the other number-writing methods:
/// writes all `N` bytes of an encoded number.
///
/// Its output is `io::Result<()>`; a writer that accepts zero bytes gives an error of kind
/// [`WriteZero`](std::io::ErrorKind::WriteZero).
///
/// # Cancel safety
///
/// Not cancel safe, as in tokio: dropping the future may leave part of the number written.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteInt<'a, W: ?Sized, const N: usize> {
    writer: &'a mut W,
    buf: [u8; N],
    written: usize,
}

impl<'a, W: ?Sized, const N: usize> WriteInt<'a, W, N> {
    pub(crate) fn new(writer: &'a mut W, buf: [u8; N]) -> Self {
        WriteInt {
            writer,
            buf,
            written: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized, const N: usize> Future for WriteInt<'_, W, N> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.written < N {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, &this.buf[this.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        Poll::Ready(Ok(()))
    }
}
