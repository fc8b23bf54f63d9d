//! `write_buf` and `write_all_buf`: writes from a `bytes::Buf`, advancing it by what the
//! writer accepted (tokio's methods over `futures-io`'s `AsyncWrite`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Buf;
use futures_io::AsyncWrite;

/// Future for [`write_buf`](crate::AsyncWriteExt::write_buf): one write of the buffer's
/// current chunk; yields the number of bytes written, which the buffer has been advanced
/// by.
///
/// # Cancel safety
///
/// Cancel safe, as in tokio: a write either completes in one poll or writes nothing.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteBuf<'a, W: ?Sized, B: ?Sized> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<'a, W: ?Sized, B: ?Sized> WriteBuf<'a, W, B> {
    pub(crate) fn new(writer: &'a mut W, buf: &'a mut B) -> Self {
        WriteBuf { writer, buf }
    }
}

impl<W, B> Future for WriteBuf<'_, W, B>
where
    W: AsyncWrite + Unpin + ?Sized,
    B: Buf + ?Sized,
{
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if !this.buf.has_remaining() {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, this.buf.chunk()))?;
        this.buf.advance(n);
        Poll::Ready(Ok(n))
    }
}

/// Future for [`write_all_buf`](crate::AsyncWriteExt::write_all_buf): writes until the
/// buffer has nothing left, advancing it after every write.
///
/// # Cancel safety
///
/// As tokio's: dropping the future may leave the buffer partly written, but it has always
/// been advanced by exactly what was written, so calling `write_all_buf` again with the
/// same buffer writes the rest and nothing twice.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteAllBuf<'a, W: ?Sized, B: ?Sized> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<'a, W: ?Sized, B: ?Sized> WriteAllBuf<'a, W, B> {
    pub(crate) fn new(writer: &'a mut W, buf: &'a mut B) -> Self {
        WriteAllBuf { writer, buf }
    }
}

impl<W, B> Future for WriteAllBuf<'_, W, B>
where
    W: AsyncWrite + Unpin + ?Sized,
    B: Buf + ?Sized,
{
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.buf.has_remaining() {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, this.buf.chunk()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.buf.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}
