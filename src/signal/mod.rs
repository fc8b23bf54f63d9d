//! `magpie::signal`: tokio's signal API over the IO driver's signal delivery
//! (`magpie_io_driver::signal`).
//!
//! Owns only the public names; the handlers, the self-pipe and the per-signal state live
//! in the IO driver, which wakes the listeners from the runtime's own reactor.

use std::io;

#[cfg(unix)]
pub mod unix;

/// Completes at the next Ctrl-C (`SIGINT`) received after this future is first polled.
///
/// The first call installs a process-wide `SIGINT` handler that stays for the life of
/// the process: from then on Ctrl-C no longer kills the program by default, it only
/// wakes these futures (and [`unix::signal`] listeners), as in tokio.
///
/// ```no_run
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     magpie::signal::ctrl_c().await?;
///     println!("got Ctrl-C, exiting");
///     Ok(())
/// }
/// ```
///
/// # Errors
/// When called outside a magpie runtime, when the handler cannot be installed, or when
/// the runtime shuts down before a Ctrl-C arrives.
#[cfg(unix)]
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupt = unix::signal(unix::SignalKind::interrupt())?;
    interrupt
        .recv()
        .await
        .ok_or_else(|| io::Error::other("the magpie runtime shut down while waiting for Ctrl-C"))
}
