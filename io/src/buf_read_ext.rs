//! `AsyncBufReadExt`: futures' buffered-reading methods and tokio's (`consume`, `split`),
//! with `lines` returning magpie's `Lines` (a `Stream` that also has tokio's
//! `next_line`). Reuses futures' `fill_buf`, `read_until` and `read_line`.

use std::pin::Pin;

use futures_io::AsyncBufRead;
use futures_util::io::{FillBuf, ReadLine, ReadUntil};

use crate::lines::Lines;
use crate::split_by::Split;

/// Reads from a buffered source: futures' `AsyncBufReadExt` methods plus tokio's.
///
/// Implemented for every [`AsyncBufRead`] (wrap a reader in a
/// [`BufReader`](crate::BufReader) to get one).
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncBufReadExt, BufReader};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let mut reader = BufReader::new(&b"GET / HTTP/1.1\r\nHost: x\r\n"[..]);
///     let mut first = String::new();
///     reader.read_line(&mut first).await?;
///     assert_eq!(first, "GET / HTTP/1.1\r\n");
///
///     let mut lines = reader.lines();
///     assert_eq!(lines.next_line().await?.as_deref(), Some("Host: x"));
///     assert_eq!(lines.next_line().await?, None);
///     Ok(())
/// }
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Returns the buffered bytes, reading more first if there are none (empty at EOF).
    /// Mark what you used with [`consume`](Self::consume).
    ///
    /// ```ignore
    /// async fn fill_buf(&mut self) -> io::Result<&[u8]>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was read.
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncBufReadExt::fill_buf(self)
    }

    /// Marks `amt` bytes of the buffer returned by [`fill_buf`](Self::fill_buf) as read
    /// (tokio's name).
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        AsyncBufRead::consume(Pin::new(self), amt)
    }

    /// Marks `amt` bytes of the buffer returned by [`fill_buf`](Self::fill_buf) as read
    /// (futures' name).
    fn consume_unpin(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        AsyncBufRead::consume(Pin::new(self), amt)
    }

    /// Appends bytes to `buf` up to and including `byte`, or up to EOF; returns how many.
    ///
    /// ```ignore
    /// async fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the bytes read so far are already appended to `buf`, and
    /// calling `read_until` again goes on from there.
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncBufReadExt::read_until(self, byte, buf)
    }

    /// Appends a line, its `\n` included, to `buf`, or what is left before EOF; returns
    /// how many bytes (0 at EOF).
    ///
    /// ```ignore
    /// async fn read_line(&mut self, buf: &mut String) -> io::Result<usize>;
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidData`](std::io::ErrorKind::InvalidData) if the line is not UTF-8.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe, as in tokio: if the future is dropped, the bytes read so far are
    /// lost and `buf` is left empty. Use [`lines`](Self::lines) and `next_line` in a
    /// `select!` loop.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncBufReadExt::read_line(self, buf)
    }

    /// The lines of this reader, as a [`Lines`] (a `Stream` of `io::Result<String>` that
    /// also has tokio's `next_line`).
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }

    /// The segments of this reader between occurrences of `byte`, as a [`Split`] (with
    /// tokio's `next_segment`, and a `Stream` of `io::Result<Vec<u8>>`).
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split::new(self, byte)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}
