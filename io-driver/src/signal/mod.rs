//! Unix signals delivered through the reactor, for `magpie::signal` and
//! `magpie::process`.
//!
//! Owns the process-wide handlers and the per-signal state. How a signal travels:
//!
//! 1. The first [`listen`] (or [`add_hook`]) of a signal installs one handler for it
//!    through `signal-hook-registry`. The handler only sets the signal's pending flag
//!    and writes one byte to a process-wide non-blocking self-pipe (a `UnixStream`
//!    pair): both async-signal-safe.
//! 2. Every reactor that serves signals ([`listen`] and [`drive`] make the current one
//!    do so) registers its own duplicate of the pipe's read end under a reserved token.
//!    No thread and no second poller are involved.
//! 3. When the read end turns readable, the reactor's turn drains it, then for each
//!    signal whose flag is set counts one delivery, wakes every listener of it and runs
//!    its hooks (`slot::deliver_pending`).
//! 4. A [`SignalListener`] remembers the delivery count it last saw, so a delivery that
//!    lands while nobody polls is reported by the next poll, and each listener sees
//!    every delivery.
//!
//! It uses the reactor ([`crate::ReactorHandle`]) and the thread's context
//! ([`crate::context`]); it deals in `Waker`s only.

mod listener;
mod pipe;
pub(crate) mod slot;

use std::io;
use std::os::raw::c_int;

pub use listener::SignalListener;
pub(crate) use pipe::get as self_pipe;

use crate::context;

/// The error for asking for signals with no runtime around.
fn no_runtime() -> io::Error {
    io::Error::other(
        "there is no reactor running: magpie signal listeners must be created from within \
         a magpie runtime (inside `Runtime::block_on` or a task it runs)",
    )
}

/// A listener of signal `signum`, served by the current thread's reactor; it sees every
/// delivery from now on.
///
/// # Errors
/// `InvalidInput` for a number that is not a signal or one that cannot be handled
/// (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`); the OS's error if installing
/// the handler fails; an error when called outside a magpie runtime or after its
/// reactor shut down.
pub fn listen(signum: c_int) -> io::Result<SignalListener> {
    let handle = context::try_current().ok_or_else(no_runtime)?;
    let slot = slot::installed(signum)?;
    handle.serve_signals()?;
    Ok(SignalListener::new(slot, signum, handle))
}

/// Makes sure signal `signum` has its handler installed and that the current thread's
/// reactor drains the self-pipe, so deliveries of it run its hooks ([`add_hook`])
/// even when no [`SignalListener`] exists.
///
/// # Errors
/// As [`listen`].
pub fn drive(signum: c_int) -> io::Result<()> {
    let handle = context::try_current().ok_or_else(no_runtime)?;
    slot::installed(signum)?;
    handle.serve_signals()
}

/// Runs `hook` on the delivering reactor's thread after every later delivery of
/// `signum` (installing its handler if needed). A hook must be quick and must not block:
/// the reactor's other events wait for it.
///
/// # Errors
/// As [`listen`], except that no runtime is needed.
pub fn add_hook(signum: c_int, hook: fn()) -> io::Result<()> {
    slot::installed(signum)?.add_hook(hook);
    Ok(())
}
