//! `AsyncSeekExt`: futures' `seek` and tokio's `rewind` and `stream_position`, over
//! futures' `Seek` future.

use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncSeek;
use futures_util::io::Seek;

/// Seeks in a source: futures' `AsyncSeekExt::seek` plus tokio's `rewind` and
/// `stream_position`.
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncReadExt, AsyncSeekExt, Cursor, SeekFrom};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let mut file = Cursor::new(b"0123456789".to_vec());
///     assert_eq!(file.seek(SeekFrom::End(-3)).await?, 7);
///     assert_eq!(file.read_u8().await?, b'7');
///     assert_eq!(file.stream_position().await?, 8);
///     file.rewind().await?;
///     assert_eq!(file.read_u8().await?, b'0');
///     Ok(())
/// }
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the cursor to `pos`; returns the new position from the start.
    ///
    /// ```ignore
    /// async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64>;
    /// ```
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncSeekExt::seek(self, pos)
    }

    /// Moves the cursor back to the start.
    ///
    /// ```ignore
    /// async fn rewind(&mut self) -> io::Result<()>;
    /// ```
    fn rewind(&mut self) -> Rewind<'_, Self>
    where
        Self: Unpin,
    {
        Rewind {
            inner: self.seek(SeekFrom::Start(0)),
        }
    }

    /// The cursor's position from the start.
    ///
    /// ```ignore
    /// async fn stream_position(&mut self) -> io::Result<u64>;
    /// ```
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Future for [`rewind`](AsyncSeekExt::rewind): a seek to the start, yielding `()`.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Rewind<'a, S: ?Sized> {
    inner: Seek<'a, S>,
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Rewind<'_, S> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Pin::new(&mut self.inner).poll(cx))?;
        Poll::Ready(Ok(()))
    }
}
