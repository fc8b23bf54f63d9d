//! The one loop behind `Lines` and `Split`: moves bytes from a buffered reader into an
//! owned buffer up to and including a delimiter. The owned buffer lives in the caller's
//! struct, so a dropped `next_line` / `next_segment` future loses nothing.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncBufRead;

/// Appends to `out` everything up to and including the next `delim`, or up to EOF.
///
/// `Ready(Ok(true))` when a delimiter was found (it is the last byte of `out`),
/// `Ready(Ok(false))` at EOF. Bytes are consumed from `reader` as they are appended, so
/// returning `Pending` (or an error) keeps what was read so far in `out`.
pub(crate) fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delim: u8,
    out: &mut Vec<u8>,
) -> Poll<io::Result<bool>> {
    loop {
        let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
        if available.is_empty() {
            return Poll::Ready(Ok(false));
        }
        let (used, found) = match memchr::memchr(delim, available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        out.extend_from_slice(&available[..used]);
        reader.as_mut().consume(used);
        if found {
            return Poll::Ready(Ok(true));
        }
    }
}
