//! Unix signals: [`signal`] makes a [`Signal`] listener of one [`SignalKind`].
//!
//! Owns the public types; delivery is `magpie_io_driver::signal`'s.

use std::future::poll_fn;
use std::io;
use std::os::raw::c_int;
use std::task::{Context, Poll};

use magpie_io_driver::signal::SignalListener;

/// A Unix signal number, as tokio's `SignalKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// Any signal by number. An invalid number is accepted here and refused by
    /// [`signal`] with an `io::Error`.
    pub const fn from_raw(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }

    /// `SIGALRM`: a real-time timer expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process changed state.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up (often used to ask for a configuration reload).
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: the interrupt from the terminal (Ctrl-C).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: IO is possible on a descriptor.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: the quit key from the terminal (Ctrl-\).
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: the polite request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`: the first user-defined signal.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: the second user-defined signal.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<c_int> for SignalKind {
    fn from(signum: c_int) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for c_int {
    fn from(kind: SignalKind) -> c_int {
        kind.as_raw_value()
    }
}

/// Receives the deliveries of one signal (see [`signal`]).
///
/// Every `Signal` of a kind sees each delivery; deliveries that arrive while it is not
/// being polled are kept, and several of them coalesce into one `recv`.
#[derive(Debug)]
pub struct Signal {
    listener: SignalListener,
}

impl Signal {
    /// Waits for the next delivery. `None` once the runtime that created this `Signal`
    /// has shut down (no delivery can come any more). Cancel safe: dropping the future
    /// loses no delivery.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery: `Ready(Some(()))` if one came since the last, and
    /// `Ready(None)` as in [`Signal::recv`]; otherwise `Pending`, and `cx` is woken by
    /// the next delivery.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll_recv(cx)
    }
}

/// A listener of `kind`, delivering every signal of that kind received from now on.
///
/// The first listener of a kind installs a process-wide handler for it (through
/// `signal-hook-registry`) that stays for the life of the process, replacing the
/// signal's default action (for `SIGINT` or `SIGTERM`, terminating the program).
///
/// ```no_run
/// use magpie::signal::unix::{signal, SignalKind};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let mut hangups = signal(SignalKind::hangup())?;
///     while hangups.recv().await.is_some() {
///         println!("reloading the configuration");
///     }
///     Ok(())
/// }
/// ```
///
/// # Errors
/// `InvalidInput` for a number that is not a signal and for the signals that cannot be
/// handled (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`); the OS's error when
/// it refuses the handler. Outside a magpie runtime (tokio panics there) it returns an
/// error too.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let listener = magpie_io_driver::signal::listen(kind.as_raw_value())?;
    Ok(Signal { listener })
}
