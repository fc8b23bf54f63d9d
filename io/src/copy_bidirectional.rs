//! `copy_bidirectional`: copies both ways between two reader-writers at once, shutting
//! down each writing side when the other side reaches EOF (tokio's semantics). Each
//! direction is a `CopyBuffer` followed by a shutdown.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::copy_buffer::CopyBuffer;

/// tokio's default buffer size for each direction.
const DEFAULT_BUF_SIZE: usize = 8 * 1024;

/// Where one direction stands.
enum TransferState {
    Running(CopyBuffer),
    ShuttingDown(u64),
    Done(u64),
}

fn transfer_one_direction<A, B>(
    cx: &mut Context<'_>,
    state: &mut TransferState,
    r: &mut A,
    w: &mut B,
) -> Poll<io::Result<u64>>
where
    A: AsyncRead + Unpin + ?Sized,
    B: AsyncWrite + Unpin + ?Sized,
{
    loop {
        match state {
            TransferState::Running(buf) => {
                let count = ready!(buf.poll_copy(cx, Pin::new(&mut *r), Pin::new(&mut *w)))?;
                *state = TransferState::ShuttingDown(count);
            }
            TransferState::ShuttingDown(count) => {
                ready!(Pin::new(&mut *w).poll_close(cx))?;
                *state = TransferState::Done(*count);
            }
            TransferState::Done(count) => return Poll::Ready(Ok(*count)),
        }
    }
}

/// Copies from `a` to `b` and from `b` to `a` at the same time, until both reach EOF;
/// returns the bytes copied `(a to b, b to a)`.
///
/// When one side reaches EOF, the other side's writing half is shut down (flushed, then
/// closed) so that its peer sees EOF too; the other direction goes on until its own EOF.
/// Each direction uses an 8 KiB buffer.
///
/// ```ignore
/// async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>;
/// ```
///
/// # Errors
///
/// The first error either side returns, at which point copying stops in both directions.
///
/// # Cancel safety
///
/// Not cancel safe: data read from one side but not yet written to the other is lost.
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let (mut client, mut proxy_front) = io::duplex(64);
///     let (mut proxy_back, mut server) = io::duplex(64);
///     let proxy =
///         magpie::spawn(async move { io::copy_bidirectional(&mut proxy_front, &mut proxy_back).await });
///
///     client.write_all(b"hi").await?;
///     client.shutdown().await?;
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await?; // the proxy shut down its write side
///     server.write_all(b"hello back").await?;
///     drop(server);
///     let mut back = Vec::new();
///     client.read_to_end(&mut back).await?;
///     assert_eq!((got.as_slice(), back.as_slice()), (&b"hi"[..], &b"hello back"[..]));
///     assert_eq!(proxy.await.unwrap()?, (2, 10));
///     Ok(())
/// }
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, DEFAULT_BUF_SIZE, DEFAULT_BUF_SIZE).await
}

/// [`copy_bidirectional`] with the buffer size of each direction: `a_to_b_buf_size` for
/// copying from `a` to `b`, `b_to_a_buf_size` for the other way.
///
/// # Panics
///
/// If either size is 0.
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_buf_size: usize,
    b_to_a_buf_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    assert!(
        a_to_b_buf_size > 0 && b_to_a_buf_size > 0,
        "copy_bidirectional_with_sizes: buffer sizes must be at least 1"
    );
    let mut a_to_b = TransferState::Running(CopyBuffer::new(a_to_b_buf_size));
    let mut b_to_a = TransferState::Running(CopyBuffer::new(b_to_a_buf_size));
    poll_fn(|cx| {
        let a_to_b = transfer_one_direction(cx, &mut a_to_b, &mut *a, &mut *b)?;
        let b_to_a = transfer_one_direction(cx, &mut b_to_a, &mut *b, &mut *a)?;
        let a_to_b = ready!(a_to_b);
        let b_to_a = ready!(b_to_a);
        Poll::Ready(Ok((a_to_b, b_to_a)))
    })
    .await
}
