//! A connection's input buffer: bytes read from the socket and not yet parsed, and the
//! commands cut out of them. One buffer per connection, allocated and zeroed once and
//! reused, so reading never zeroes memory again; it grows only for a command larger
//! than itself. Runtime-free.

use std::ops::Range;

use super::resp::{parse_command, ProtocolError, MAX_BULK_LEN};

/// The buffer's initial size: many pipelined commands per read.
const INITIAL_LEN: usize = 16 << 10;

/// The largest the buffer grows (one command of the largest bulk string, plus slack).
const MAX_LEN: usize = MAX_BULK_LEN + (64 << 10);

/// Unparsed input: `buf[start..end]`.
pub struct Input {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for Input {
    fn default() -> Self {
        Input::new()
    }
}

impl Input {
    /// An empty buffer.
    pub fn new() -> Input {
        Input {
            buf: vec![0; INITIAL_LEN],
            start: 0,
            end: 0,
        }
    }

    /// Where the next read goes: never empty. Moves unparsed bytes to the front, or grows
    /// the buffer when they fill it (up to a limit: past it, the peer is misbehaving).
    pub fn spare(&mut self) -> Result<&mut [u8], ProtocolError> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < MAX_LEN {
                let len = (self.buf.len() * 2).min(MAX_LEN);
                self.buf.resize(len, 0);
            } else {
                return Err(ProtocolError("command too large".to_string()));
            }
        }
        Ok(&mut self.buf[self.end..])
    }

    /// Records that a read put `read` bytes at the start of [`Input::spare`].
    pub fn filled(&mut self, read: usize) {
        self.end += read;
        debug_assert!(self.end <= self.buf.len());
    }

    /// Cuts the next complete command off the unparsed bytes: its bytes, with `args`
    /// holding each argument's range within them. `Ok(None)`: no complete command left.
    pub fn next_command(
        &mut self,
        args: &mut Vec<Range<usize>>,
    ) -> Result<Option<&[u8]>, ProtocolError> {
        let unparsed = &self.buf[self.start..self.end];
        match parse_command(unparsed, args)? {
            None => Ok(None),
            Some(used) => {
                let command = &self.buf[self.start..self.start + used];
                self.start += used;
                Ok(Some(command))
            }
        }
    }
}
