//! Moving frames over a byte stream: reading one length-prefixed body at a time, and a
//! writer loop that sends queued frames, coalescing whatever is queued into one write.
//!
//! Both sides of the demo (client and server) use these: one task reads, one task writes,
//! so the stream's halves each have exactly one user. The queue is the mpsc channel of
//! the runtime `super::rt` names (see `server.rs`).

use std::fmt;
use std::io;

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::protocol::{check_body_len, FrameError, LENGTH_PREFIX_LEN};
use super::rt::mpsc;

/// Why [`read_frame`] could not produce a body.
#[derive(Debug)]
pub enum ReadError {
    /// The stream failed, or ended in the middle of a frame (`UnexpectedEof`).
    Io(io::Error),
    /// The length prefix is out of bounds; the stream cannot be trusted past it.
    Malformed(FrameError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => write!(f, "reading a frame failed: {error}"),
            ReadError::Malformed(error) => write!(f, "malformed frame: {error}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> ReadError {
        ReadError::Io(error)
    }
}

/// Reads the next frame's body. `Ok(None)` when the stream ends cleanly between frames.
///
/// Meant for a buffered reader (`futures::io::BufReader`): it issues small reads.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut prefix = [0u8; LENGTH_PREFIX_LEN];
    let mut filled = 0;
    while filled < prefix.len() {
        match reader.read(&mut prefix[filled..]).await? {
            0 if filled == 0 => return Ok(None),
            0 => {
                return Err(ReadError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "stream ended after {filled} of {LENGTH_PREFIX_LEN} length-prefix bytes"
                    ),
                )))
            }
            read => filled += read,
        }
    }
    let len = u32::from_be_bytes(prefix) as usize;
    check_body_len(len).map_err(ReadError::Malformed)?;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await.map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            ReadError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("stream ended inside a {len}-byte frame body"),
            ))
        } else {
            ReadError::Io(error)
        }
    })?;
    Ok(Some(body))
}

/// Stop coalescing queued frames into one write once the batch is this large.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// Writes every encoded frame that arrives on `frames` to `writer`, until the channel
/// closes (every sender dropped, and every queued frame written) or a write fails.
///
/// Frames queued while a write is in progress go out together in the next write: under
/// load one syscall carries many frames, and with a single frame in flight nothing waits.
pub async fn write_frames<W: AsyncWrite + Unpin>(
    writer: &mut W,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
) -> io::Result<()> {
    let mut batch = Vec::with_capacity(MAX_BATCH_BYTES);
    while let Some(frame) = frames.recv().await {
        batch.clear();
        batch.extend_from_slice(&frame);
        while batch.len() < MAX_BATCH_BYTES {
            match frames.try_recv() {
                Ok(frame) => batch.extend_from_slice(&frame),
                // Empty for now, or closed: send what we have.
                Err(_) => break,
            }
        }
        writer.write_all(&batch).await?;
    }
    writer.flush().await
}
