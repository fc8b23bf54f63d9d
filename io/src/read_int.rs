//! The future behind `read_u8` .. `read_f64_le`: fills a fixed-size array from a reader,
//! then decodes it. Uses only `futures-io`'s `AsyncRead`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncRead;

/// Future for [`read_u8`](crate::AsyncReadExt::read_u8), [`read_u32`](crate::AsyncReadExt::read_u32)
/// and the other number-reading methods: reads exactly `N` bytes, then decodes them into a `T`.
///
/// Its output is `io::Result<T>`; a stream that ends before `N` bytes gives an error of
/// kind [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof).
///
/// # Cancel safety
///
/// As tokio's: for one-byte numbers (`N == 1`) dropping the future loses nothing, since
/// a single read either returns the byte or nothing; for wider numbers the bytes read so
/// far are lost.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadInt<'a, R: ?Sized, T, const N: usize> {
    reader: &'a mut R,
    buf: [u8; N],
    filled: usize,
    decode: fn([u8; N]) -> T,
}

impl<'a, R: ?Sized, T, const N: usize> ReadInt<'a, R, T, N> {
    pub(crate) fn new(reader: &'a mut R, decode: fn([u8; N]) -> T) -> Self {
        ReadInt {
            reader,
            buf: [0; N],
            filled: 0,
            decode,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized, T, const N: usize> Future for ReadInt<'_, R, T, N> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = &mut *self;
        while this.filled < N {
            let n =
                ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[this.filled..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.filled += n;
        }
        Poll::Ready(Ok((this.decode)(this.buf)))
    }
}
