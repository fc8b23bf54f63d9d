//! [`Registration`]: one socket's link to the reactor, and the ways an IO operation
//! waits on it — polling in a direction's slot, awaiting a listed [`Readiness`], or
//! just trying once. Every wait spends cooperative budget ([`crate::coop`]).
//!
//! The operation loops are the edge-triggered protocol: wait until the direction is
//! ready, run the syscall, and on `WouldBlock` clear the readiness seen (at its tick)
//! and wait again; any other result, error or not, goes to the caller.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use mio::event::Source;

use crate::coop;
use crate::reactor_handle::{shutdown_error, ReactorHandle};
use crate::ready::Direction;
use crate::scheduled_io::{ReadyEvent, ScheduledIo};

/// A socket's registration with a reactor. Dropping it removes the socket's record
/// from the reactor's table (the owner deregisters the source first).
pub(crate) struct Registration {
    handle: ReactorHandle,
    io: Arc<ScheduledIo>,
}

impl Registration {
    /// Registers `source` with `handle`'s reactor.
    pub(crate) fn new(source: &mut impl Source, handle: ReactorHandle) -> io::Result<Registration> {
        let io = handle.register(source)?;
        Ok(Registration { handle, io })
    }

    /// The reactor this socket is registered with.
    pub(crate) fn handle(&self) -> &ReactorHandle {
        &self.handle
    }

    /// Stops events for `source` (the socket this registration was made for).
    pub(crate) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.handle.deregister(source)
    }

    /// Runs `operation` once `direction` is ready, retrying after each `WouldBlock`
    /// (slot waiter; for `poll_*` methods). Spends one budget unit per completed call.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        operation: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_drained(cx, direction, operation, |_| false)
    }

    /// `poll_io` for a stream transfer of `len` bytes. A transfer that moved some but
    /// fewer than `len` bytes found the socket's queue empty (read) or full (write),
    /// so the readiness it used is cleared right away: the next call waits for the
    /// next event instead of spending a syscall to learn `WouldBlock`. An event that
    /// arrived meanwhile has a newer tick and is kept.
    pub(crate) fn poll_stream_transfer(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        operation: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_drained(cx, direction, operation, |&n| n > 0 && n < len)
    }

    /// `poll_io` with a caller's rule for a result that drained the socket (its
    /// readiness is then cleared at once, as in `poll_stream_transfer`).
    pub(crate) fn poll_io_drained<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut operation: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let unit = ready!(coop::poll_unit(cx));
        loop {
            let event = ready!(self.io.poll_ready(cx, direction));
            if event.is_shutdown {
                unit.made_progress();
                return Poll::Ready(Err(shutdown_error()));
            }
            match operation() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.io.clear_readiness(event);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => {
                    // Only epoll (edge-triggered) guarantees that a short transfer
                    // emptied the queue and that the next change raises an event.
                    if cfg!(any(target_os = "linux", target_os = "android"))
                        && matches!(&result, Ok(r) if drained(r))
                    {
                        self.io.clear_drained(event);
                    }
                    unit.made_progress();
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// A future that resolves once `direction` is ready (listed waiter: any number of
    /// tasks may wait on one socket at once).
    pub(crate) fn readiness(&self, direction: Direction) -> Readiness<'_> {
        Readiness {
            io: &self.io,
            direction,
            key: None,
        }
    }

    /// Runs `operation` once `direction` is ready, retrying after each `WouldBlock`
    /// (listed waiter; for `async fn`s taking `&self`).
    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        mut operation: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(direction).await?;
            match operation() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.io.clear_readiness(event);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }

    /// Runs `operation` only if `direction` looks ready; otherwise, or if it hits
    /// `WouldBlock` (readiness is then cleared), returns a `WouldBlock` error.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        operation: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(event) = self.io.ready_now(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if event.is_shutdown {
            return Err(shutdown_error());
        }
        let result = operation();
        if matches!(&result, Err(error) if error.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readiness(event);
        }
        result
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.handle.remove(&self.io);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
    }
}

/// Turns a ready event into the operation's error after shutdown.
fn check_shutdown(event: ReadyEvent) -> io::Result<ReadyEvent> {
    if event.is_shutdown {
        Err(shutdown_error())
    } else {
        Ok(event)
    }
}

/// Resolves once a direction of a socket is ready (or the reactor shut down); spends one
/// budget unit when it does. Dropping it withdraws its waiter.
#[must_use = "futures do nothing unless polled"]
pub(crate) struct Readiness<'a> {
    io: &'a ScheduledIo,
    direction: Direction,
    /// This future's entry in the socket's waiter list, once it has one.
    key: Option<usize>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let unit = ready!(coop::poll_unit(cx));
        let event = ready!(this.io.poll_ready_listed(cx, this.direction, &mut this.key));
        unit.made_progress();
        Poll::Ready(check_shutdown(event))
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.io.remove_listed(key);
        }
    }
}
