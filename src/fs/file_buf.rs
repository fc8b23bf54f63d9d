//! [`Buf`]: the buffer a [`File`](super::File) moves between itself and its blocking
//! operations. It holds either bytes read ahead that the caller has not taken yet, or
//! the bytes of one write being handed to the disk; never both.

use std::io::{self, Read, Write};

/// The most a single blocking read or write moves unless
/// [`File::set_max_buf_size`](super::File::set_max_buf_size) says otherwise (tokio's
/// default): a larger caller buffer is served in several operations.
pub(crate) const DEFAULT_MAX_BUF: usize = 2 * 1024 * 1024;

/// Bytes `buf[pos..]` not yet consumed.
///
/// Owned by whoever holds it: the `File` while idle, the blocking operation while one
/// runs (so a write in flight finishes even if the `File` is dropped).
#[derive(Debug, Default)]
pub(crate) struct Buf {
    buf: Vec<u8>,
    pos: usize,
}

impl Buf {
    /// How many bytes are held and not yet consumed.
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether no bytes are held.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves as many held bytes as fit into `dst`; returns the count.
    pub(crate) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.len().min(dst.len());
        dst[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.buf.len() {
            self.clear();
        }
        n
    }

    /// Takes up to `max` bytes of `src` to be written; the buffer must be empty
    /// (read-ahead discarded first). Returns the count taken.
    pub(crate) fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty(), "a write buffer starts empty");
        self.clear();
        let n = src.len().min(max);
        self.buf.extend_from_slice(&src[..n]);
        n
    }

    /// Drops every held byte.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }

    /// Drops read-ahead bytes and returns the (non-positive) offset that moves the file
    /// cursor back to where the caller's reads stopped.
    pub(crate) fn discard_read(&mut self) -> i64 {
        // A Vec never holds more than isize::MAX bytes, so this cannot overflow.
        let back = -(self.len() as i64);
        self.clear();
        back
    }

    /// One read of up to `len` bytes from `source` into the empty buffer (blocking;
    /// retried on `Interrupted`). Returns the count read. The caller caps `len` (at the
    /// file's maximum buffer size).
    pub(crate) fn read_from(&mut self, mut source: impl Read, len: usize) -> io::Result<usize> {
        self.clear();
        self.buf.resize(len, 0);
        let result = loop {
            match source.read(&mut self.buf) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => break result,
            }
        };
        match result {
            Ok(n) => self.buf.truncate(n),
            Err(_) => self.buf.clear(),
        }
        result
    }

    /// Writes every held byte to `sink` (blocking) and empties the buffer either way.
    pub(crate) fn write_to(&mut self, mut sink: impl Write) -> io::Result<()> {
        let result = sink.write_all(&self.buf[self.pos..]);
        self.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::{Buf, DEFAULT_MAX_BUF};

    #[test]
    fn read_ahead_is_handed_out_in_pieces_and_can_be_discarded() {
        let mut buf = Buf::default();
        assert_eq!(buf.read_from(&b"hello world"[..], 64).unwrap(), 11);
        let mut dst = [0; 5];
        assert_eq!(buf.copy_to(&mut dst), 5);
        assert_eq!(&dst, b"hello");
        assert_eq!(buf.len(), 6);
        assert_eq!(buf.discard_read(), -6);
        assert!(buf.is_empty());
    }

    #[test]
    fn a_write_takes_the_bytes_and_leaves_the_buffer_empty() {
        let mut buf = Buf::default();
        assert_eq!(buf.copy_from(b"abc", DEFAULT_MAX_BUF), 3);
        let mut sink = Vec::new();
        buf.write_to(&mut sink).unwrap();
        assert_eq!(sink, b"abc");
        assert!(buf.is_empty());
        // At most `max` bytes per write.
        assert_eq!(buf.copy_from(b"abc", 2), 2);
        buf.write_to(&mut sink).unwrap();
        assert_eq!(sink, b"abcab");
    }
}
