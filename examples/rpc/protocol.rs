//! The wire format of the RPC demo: what a request and a reply look like as bytes, and
//! how to turn one into the other. Pure functions on byte slices, no IO.
//!
//! Every message travels as a frame: a big-endian `u32` length, then that many bytes of
//! body. Bodies:
//!
//! ```text
//! request: id u64 (BE) | method u8 | payload...
//! reply:   id u64 (BE) | status u8 | payload...   status 0 = ok, 1 = error (payload: UTF-8 message)
//! ```
//!
//! A body longer than [`MAX_BODY_LEN`] is refused on both sides: the reader checks the
//! length prefix before allocating, so a corrupt prefix cannot make it reserve gigabytes.
//! Decoding never panics: a short body, an unknown method or an unknown status is a
//! [`FrameError`].

use std::fmt;

/// Bytes of the length prefix in front of every body.
pub const LENGTH_PREFIX_LEN: usize = 4;

/// Bytes of a body before its payload: the id (8) and the method or status byte (1).
pub const BODY_HEADER_LEN: usize = 9;

/// The largest body either side sends or accepts (1 MiB).
pub const MAX_BODY_LEN: usize = 1 << 20;

/// The largest payload that fits in a body.
pub const MAX_PAYLOAD_LEN: usize = MAX_BODY_LEN - BODY_HEADER_LEN;

/// What a request asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reply with the request's payload.
    Echo,
    /// Wait the number of milliseconds in the payload (a big-endian `u64`), then reply
    /// with the payload.
    Sleep,
    /// Reply with a server error whose message is the payload.
    Fail,
}

impl Method {
    /// The byte that stands for this method on the wire. Zero is unused on purpose, so
    /// a zeroed body is never a valid request.
    pub fn to_byte(self) -> u8 {
        match self {
            Method::Echo => 1,
            Method::Sleep => 2,
            Method::Fail => 3,
        }
    }

    /// The method a wire byte stands for, if any.
    pub fn from_byte(byte: u8) -> Option<Method> {
        match byte {
            1 => Some(Method::Echo),
            2 => Some(Method::Sleep),
            3 => Some(Method::Fail),
            _ => None,
        }
    }
}

const STATUS_OK: u8 = 0;
const STATUS_ERROR: u8 = 1;

/// A decoded request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Chosen by the client; the reply carries it back.
    pub id: u64,
    /// What to do.
    pub method: Method,
    /// The method's argument.
    pub payload: Vec<u8>,
}

/// A decoded reply body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The id of the request this answers.
    pub id: u64,
    /// `Ok(payload)`, or `Err(message)` when the server failed the request.
    pub outcome: Result<Vec<u8>, String>,
}

/// Why bytes are not a valid frame or body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A length prefix (or a body about to be encoded) exceeds [`MAX_BODY_LEN`].
    TooLarge {
        /// The length announced or attempted.
        len: usize,
    },
    /// A body too short to hold an id and a method or status byte.
    TooShort {
        /// The body's length.
        len: usize,
    },
    /// A well-framed request whose method byte is unknown. The id is intact, so the
    /// server can answer it with an error and keep the connection.
    UnknownMethod {
        /// The request's id.
        id: u64,
        /// The byte found.
        method: u8,
    },
    /// A reply whose status byte is neither ok nor error.
    UnknownStatus {
        /// The reply's id.
        id: u64,
        /// The byte found.
        status: u8,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { len } => {
                write!(
                    f,
                    "frame body of {len} bytes exceeds the {MAX_BODY_LEN}-byte limit"
                )
            }
            FrameError::TooShort { len } => write!(
                f,
                "frame body of {len} bytes is shorter than its {BODY_HEADER_LEN}-byte header"
            ),
            FrameError::UnknownMethod { id, method } => {
                write!(f, "request {id} names unknown method {method}")
            }
            FrameError::UnknownStatus { id, status } => {
                write!(f, "reply {id} carries unknown status {status}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// Checks a length prefix read off the wire.
pub fn check_body_len(len: usize) -> Result<(), FrameError> {
    if len > MAX_BODY_LEN {
        Err(FrameError::TooLarge { len })
    } else {
        Ok(())
    }
}

/// Appends a whole request frame (prefix and body) to `out`. On error `out` is unchanged.
pub fn encode_request(
    id: u64,
    method: Method,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    encode_frame(id, method.to_byte(), payload, out)
}

/// Appends a whole reply frame to `out`; an error outcome carries its message as UTF-8.
/// On error `out` is unchanged.
pub fn encode_reply(
    id: u64,
    outcome: Result<&[u8], &str>,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    match outcome {
        Ok(payload) => encode_frame(id, STATUS_OK, payload, out),
        Err(message) => encode_frame(id, STATUS_ERROR, message.as_bytes(), out),
    }
}

fn encode_frame(id: u64, kind: u8, payload: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
    let body_len = BODY_HEADER_LEN + payload.len();
    check_body_len(body_len)?;
    // `body_len` <= MAX_BODY_LEN, which fits in a u32.
    let prefix = body_len as u32;
    out.reserve(LENGTH_PREFIX_LEN + body_len);
    out.extend_from_slice(&prefix.to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
    Ok(())
}

/// Splits a body into its id, its kind byte and its payload.
fn split_body(mut body: Vec<u8>) -> Result<(u64, u8, Vec<u8>), FrameError> {
    if body.len() < BODY_HEADER_LEN {
        return Err(FrameError::TooShort { len: body.len() });
    }
    let mut id_bytes = [0u8; 8];
    id_bytes.copy_from_slice(&body[..8]);
    let kind = body[8];
    body.drain(..BODY_HEADER_LEN);
    Ok((u64::from_be_bytes(id_bytes), kind, body))
}

/// Decodes a request body (the bytes after the length prefix).
pub fn decode_request(body: Vec<u8>) -> Result<Request, FrameError> {
    let (id, method, payload) = split_body(body)?;
    let method = Method::from_byte(method).ok_or(FrameError::UnknownMethod { id, method })?;
    Ok(Request {
        id,
        method,
        payload,
    })
}

/// Decodes a reply body (the bytes after the length prefix). An error message that is
/// not valid UTF-8 is kept with its bad bytes replaced, not refused.
pub fn decode_reply(body: Vec<u8>) -> Result<Reply, FrameError> {
    let (id, status, payload) = split_body(body)?;
    let outcome = match status {
        STATUS_OK => Ok(payload),
        STATUS_ERROR => Err(String::from_utf8_lossy(&payload).into_owned()),
        status => return Err(FrameError::UnknownStatus { id, status }),
    };
    Ok(Reply { id, outcome })
}

/// Encodes the argument of [`Method::Sleep`].
pub fn sleep_payload(millis: u64) -> [u8; 8] {
    millis.to_be_bytes()
}

/// Decodes the argument of [`Method::Sleep`]; the error explains what was wrong.
pub fn parse_sleep_payload(payload: &[u8]) -> Result<u64, String> {
    let bytes: [u8; 8] = payload.try_into().map_err(|_| {
        format!(
            "sleep expects an 8-byte big-endian millisecond count, got {} bytes",
            payload.len()
        )
    })?;
    Ok(u64::from_be_bytes(bytes))
}
