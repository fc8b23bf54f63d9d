//! `Lines`: the lines of a buffered reader, both as futures' `Stream` of
//! `io::Result<String>` and through tokio's `next_line`. Reads with `delimited`; keeps the
//! partial line in itself, which makes `next_line` cancel safe.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::AsyncBufRead;
use pin_project_lite::pin_project;

use crate::delimited::poll_read_until;

pin_project! {
    /// The lines of a buffered reader, from [`AsyncBufReadExt::lines`](crate::AsyncBufReadExt::lines).
    ///
    /// Each line comes without its `\n` or `\r\n` ending; a last line without one is still
    /// returned. Use it either as tokio's (`next_line().await`) or as a futures
    /// [`Stream`] of `io::Result<String>` (`StreamExt::next`).
    ///
    /// # Example
    ///
    /// ```
    /// use futures::StreamExt;
    /// use magpie::io::{self, AsyncBufReadExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut lines = (&b"one\r\ntwo\nthree"[..]).lines();
    ///     assert_eq!(lines.next_line().await?, Some("one".to_string()));
    ///     assert_eq!(lines.next().await.transpose()?, Some("two".to_string()));
    ///     assert_eq!(lines.next_line().await?, Some("three".to_string()));
    ///     assert_eq!(lines.next_line().await?, None);
    ///     Ok(())
    /// }
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        buf: Vec<u8>,
    }
}

impl<R> Lines<R> {
    pub(crate) fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The underlying reader, mutably; reading from it directly may skip lines.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The underlying reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().reader
    }

    /// Unwraps the reader. Bytes of a partly read line that were already taken from it
    /// are lost.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: AsyncBufRead> Lines<R> {
    /// The next line, or `None` at EOF.
    ///
    /// ```ignore
    /// async fn next_line(&mut self) -> io::Result<Option<String>>;
    /// ```
    ///
    /// # Errors
    ///
    /// The reader's errors, and [`InvalidData`](std::io::ErrorKind::InvalidData) for a
    /// line that is not UTF-8 (that line is dropped; the next call reads the next one).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a partly read line stays inside `Lines`, and the next call goes on
    /// from there.
    pub async fn next_line(&mut self) -> io::Result<Option<String>>
    where
        R: Unpin,
    {
        poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }

    /// Polls for the next line: `Ready(Ok(None))` at EOF; see [`next_line`](Self::next_line).
    pub fn poll_next_line(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<String>>> {
        let this = self.project();
        let found = ready!(poll_read_until(this.reader, cx, b'\n', this.buf))?;
        if !found && this.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut line = std::mem::take(this.buf);
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        match String::from_utf8(line) {
            Ok(line) => Poll::Ready(Ok(Some(line))),
            Err(_) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))),
        }
    }
}

impl<R: AsyncBufRead> Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_line(cx).map(Result::transpose)
    }
}
