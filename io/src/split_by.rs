//! `Split`: the segments of a buffered reader between occurrences of a delimiter byte, as
//! tokio's `next_segment` and as a futures `Stream`. Reads with `delimited`; keeps the
//! partial segment in itself, which makes `next_segment` cancel safe.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::AsyncBufRead;
use pin_project_lite::pin_project;

use crate::delimited::poll_read_until;

pin_project! {
    /// The segments of a buffered reader split on a byte, from
    /// [`AsyncBufReadExt::split`](crate::AsyncBufReadExt::split).
    ///
    /// Each segment comes without its delimiter; a last segment without one is still
    /// returned. Use it as tokio's (`next_segment().await`) or as a futures [`Stream`] of
    /// `io::Result<Vec<u8>>`.
    ///
    /// # Example
    ///
    /// ```
    /// use magpie::io::{self, AsyncBufReadExt, BufReader};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     // (A bare `&[u8]` would pick the slice's own `split`.)
    ///     let mut parts = BufReader::new(&b"a,bc,"[..]).split(b',');
    ///     assert_eq!(parts.next_segment().await?, Some(b"a".to_vec()));
    ///     assert_eq!(parts.next_segment().await?, Some(b"bc".to_vec()));
    ///     assert_eq!(parts.next_segment().await?, None);
    ///     Ok(())
    /// }
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Split<R> {
        #[pin]
        reader: R,
        delim: u8,
        buf: Vec<u8>,
    }
}

impl<R> Split<R> {
    pub(crate) fn new(reader: R, delim: u8) -> Self {
        Split {
            reader,
            delim,
            buf: Vec::new(),
        }
    }
}

impl<R: AsyncBufRead> Split<R> {
    /// The next segment, or `None` at EOF.
    ///
    /// ```ignore
    /// async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a partly read segment stays inside `Split`, and the next call goes on
    /// from there.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>>
    where
        R: Unpin,
    {
        poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }

    /// Polls for the next segment: `Ready(Ok(None))` at EOF; see
    /// [`next_segment`](Self::next_segment).
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let this = self.project();
        let found = ready!(poll_read_until(this.reader, cx, *this.delim, this.buf))?;
        if !found && this.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = std::mem::take(this.buf);
        if found {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}

impl<R: AsyncBufRead> Stream for Split<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_segment(cx).map(Result::transpose)
    }
}
