//! The Redis wire protocol (RESP2), the parts a key-value server needs: splitting the
//! bytes a client sent into commands, and encoding replies. Pure functions, no IO.
//!
//! A command is either an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what
//! client libraries and redis-benchmark send) or an inline command (`PING\r\n`, words
//! separated by spaces, what telnet users and redis-benchmark's PING_INLINE send).
//! [`parse_command`] never allocates: it reports where each argument lies in the input.

use std::fmt;
use std::ops::Range;

/// The longest bulk string accepted (Redis' default `proto-max-bulk-len` is 512 MiB;
/// this server is a benchmark, not a store for large values).
pub const MAX_BULK_LEN: usize = 16 << 20;

/// The most arguments one command may have.
pub const MAX_ARGS: usize = 1 << 20;

/// The longest inline command or header line accepted, as in Redis.
pub const MAX_INLINE_LEN: usize = 64 << 10;

/// Why the input is not a valid command; the connection cannot be trusted past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

/// Parses the command at the start of `input`. `Ok(None)`: the command is not complete
/// yet (read more). `Ok(Some(used))`: the command took `used` bytes, and `args` now holds
/// the range of each argument in `input` (empty for an empty inline line or `*0`, which
/// are skipped, as Redis does).
pub fn parse_command(
    input: &[u8],
    args: &mut Vec<Range<usize>>,
) -> Result<Option<usize>, ProtocolError> {
    args.clear();
    match input.first() {
        None => Ok(None),
        Some(b'*') => parse_array(input, args),
        Some(_) => parse_inline(input, args),
    }
}

/// Finds the line starting at `from`: the index of its `\r\n`, or `None` if not there yet.
fn line_end(input: &[u8], from: usize) -> Result<Option<usize>, ProtocolError> {
    let window = &input[from..input.len().min(from + MAX_INLINE_LEN)];
    match window.windows(2).position(|pair| pair == b"\r\n") {
        Some(at) => Ok(Some(from + at)),
        None if window.len() == MAX_INLINE_LEN => {
            Err(ProtocolError("too big header or inline line".to_string()))
        }
        None => Ok(None),
    }
}

/// Parses the decimal number in `digits` (an optional `-`, then digits).
fn parse_number(digits: &[u8], what: &str) -> Result<i64, ProtocolError> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| ProtocolError(format!("invalid {what}")))
}

fn parse_array(input: &[u8], args: &mut Vec<Range<usize>>) -> Result<Option<usize>, ProtocolError> {
    let Some(end) = line_end(input, 1)? else {
        return Ok(None);
    };
    let count = parse_number(&input[1..end], "multibulk length")?;
    if count > MAX_ARGS as i64 {
        return Err(ProtocolError("invalid multibulk length".to_string()));
    }
    let mut at = end + 2;
    for _ in 0..count.max(0) {
        match input.get(at) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(&other) => {
                return Err(ProtocolError(format!(
                    "expected '$', got '{}'",
                    other.escape_ascii()
                )))
            }
        }
        let Some(end) = line_end(input, at + 1)? else {
            return Ok(None);
        };
        let len = parse_number(&input[at + 1..end], "bulk length")?;
        if !(0..=MAX_BULK_LEN as i64).contains(&len) {
            return Err(ProtocolError("invalid bulk length".to_string()));
        }
        let start = end + 2;
        let stop = start + len as usize;
        if input.len() < stop + 2 {
            return Ok(None);
        }
        if &input[stop..stop + 2] != b"\r\n" {
            return Err(ProtocolError(
                "bulk string not followed by CRLF".to_string(),
            ));
        }
        args.push(start..stop);
        at = stop + 2;
    }
    Ok(Some(at))
}

fn parse_inline(
    input: &[u8],
    args: &mut Vec<Range<usize>>,
) -> Result<Option<usize>, ProtocolError> {
    let window = &input[..input.len().min(MAX_INLINE_LEN)];
    let Some(newline) = window.iter().position(|&byte| byte == b'\n') else {
        return if window.len() == MAX_INLINE_LEN {
            Err(ProtocolError("too big inline request".to_string()))
        } else {
            Ok(None)
        };
    };
    let line_stop = if newline > 0 && input[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    };
    let mut word_start = None;
    for (at, byte) in input[..line_stop].iter().enumerate() {
        match (byte.is_ascii_whitespace(), word_start) {
            (false, None) => word_start = Some(at),
            (true, Some(start)) => {
                args.push(start..at);
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = word_start {
        args.push(start..line_stop);
    }
    Ok(Some(newline + 1))
}

/// Appends `+text\r\n`.
pub fn simple(out: &mut Vec<u8>, text: &str) {
    out.push(b'+');
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `-message\r\n` (the message must not contain a line break).
pub fn error(out: &mut Vec<u8>, message: &str) {
    out.push(b'-');
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `:n\r\n`.
pub fn integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a bulk string, or the null bulk string `$-1\r\n` for `None`.
pub fn bulk(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.extend_from_slice(b"$-1\r\n"),
        Some(value) => {
            out.push(b'$');
            out.extend_from_slice(value.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Appends the header of an array of `len` elements; the elements follow.
pub fn array_header(out: &mut Vec<u8>, len: usize) {
    out.push(b'*');
    out.extend_from_slice(len.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}
