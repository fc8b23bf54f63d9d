//! `read_buf`: one read from a `futures-io` reader straight into a `bytes::BufMut`'s spare
//! capacity, advancing it (tokio's `read_buf`, without tokio's `ReadBuf`).
//!
//! `futures-io` readers take initialised memory (`&mut [u8]`) while a `BufMut` offers
//! uninitialised memory, so each poll zeroes the part of the spare capacity it offers the
//! reader, at most [`MAX_READ_LEN`] bytes, to keep that cost bounded when a buffer has a
//! large spare capacity.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::BufMut;
use futures_io::AsyncRead;

/// The most spare capacity that one read zeroes and offers the reader.
pub(crate) const MAX_READ_LEN: usize = 64 * 1024;

/// Future for [`read_buf`](crate::AsyncReadExt::read_buf): one read into a
/// [`BufMut`]'s spare capacity; yields the number of bytes read, which the buffer has
/// been advanced by.
///
/// # Cancel safety
///
/// Cancel safe, as in tokio: a read either completes in one poll or reads nothing, so
/// dropping the future loses no data.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadBuf<'a, R: ?Sized, B: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut B,
}

impl<'a, R: ?Sized, B: ?Sized> ReadBuf<'a, R, B> {
    pub(crate) fn new(reader: &'a mut R, buf: &'a mut B) -> Self {
        ReadBuf { reader, buf }
    }
}

impl<R, B> Future for ReadBuf<'_, R, B>
where
    R: AsyncRead + Unpin + ?Sized,
    B: BufMut + ?Sized,
{
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        poll_read_buf(Pin::new(&mut *this.reader), cx, &mut *this.buf)
    }
}

/// One read from `reader` into `buf`'s spare capacity; `Ready(Ok(0))` when `buf` has none
/// left or the reader is at EOF.
pub(crate) fn poll_read_buf<R, B>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>>
where
    R: AsyncRead + ?Sized,
    B: BufMut + ?Sized,
{
    if !buf.has_remaining_mut() {
        return Poll::Ready(Ok(0));
    }
    let chunk = buf.chunk_mut();
    let len = chunk.len().min(MAX_READ_LEN);
    let ptr = chunk.as_mut_ptr();
    // SAFETY: `chunk` is a `&mut UninitSlice` of at least `len` bytes starting at `ptr`,
    // borrowed from `buf`, so writing `len` bytes there is in bounds and unaliased;
    // `write_bytes` never reads the old (possibly uninitialised) contents.
    unsafe { ptr.write_bytes(0, len) };
    // SAFETY: the `len` bytes at `ptr` are in bounds (see above) and now initialised; the
    // slice is the only access to them while it lives, since `buf` stays borrowed until
    // `advance_mut` below, after the last use of `dst`.
    let dst = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
    let n = ready!(reader.poll_read(cx, dst))?;
    assert!(
        n <= len,
        "AsyncRead::poll_read reported {n} bytes read into a {len}-byte buffer"
    );
    // SAFETY: the first `n` bytes of the spare capacity are initialised (zeroed above,
    // then written by the reader), which is what `advance_mut` requires.
    unsafe { buf.advance_mut(n) };
    Poll::Ready(Ok(n))
}
