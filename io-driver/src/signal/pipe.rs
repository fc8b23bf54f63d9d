//! The process-wide self-pipe: the one place a signal handler writes to.
//!
//! Owns a connected, non-blocking `UnixStream` pair created once for the whole process.
//! The signal handler ([`super::slot`]) writes one byte to the sending end; every
//! reactor that serves signals registers its own duplicate of the receiving end (see
//! [`crate::ReactorHandle`]) and drains it when it turns readable. Uses only std.

use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;

/// The pair, created by the first [`get`] and never closed. Written (once) by whichever
/// thread first calls `get`; read by signal handlers (the sender) and reactors (the
/// receiver, through duplicates).
static PIPE: OnceLock<SelfPipe> = OnceLock::new();

/// Both ends of the self-pipe.
pub(crate) struct SelfPipe {
    /// Written by the signal handler: one byte per delivery, dropped when full.
    sender: UnixStream,
    /// Never read directly: reactors read their own duplicates of it.
    receiver: UnixStream,
}

/// The process's self-pipe, created on first use.
pub(crate) fn get() -> io::Result<&'static SelfPipe> {
    if let Some(pipe) = PIPE.get() {
        return Ok(pipe);
    }
    let (sender, receiver) = UnixStream::pair()?;
    sender.set_nonblocking(true)?;
    receiver.set_nonblocking(true)?;
    // A racing thread may have set it first; then this pair is simply dropped.
    Ok(PIPE.get_or_init(|| SelfPipe { sender, receiver }))
}

impl SelfPipe {
    /// Called from a signal handler, so async-signal-safe: one `send(2)` on a
    /// non-blocking socket, no allocation, no lock. A full pipe (`WouldBlock`) is fine:
    /// the bytes already in it wake the reactors anyway, and every other error can only
    /// be ignored here.
    pub(super) fn notify(&self) {
        let _ = (&self.sender).write(&[1]);
    }

    /// A new descriptor for the receiving end, for one reactor to register and drain.
    pub(crate) fn clone_receiver(&self) -> io::Result<UnixStream> {
        self.receiver.try_clone()
    }
}
