//! [`Reactor`]: the event loop the runtime's driver thread runs. One turn = one
//! `mio::Poll::poll`, then readiness recorded for every event, then every task those
//! events concern woken in one batch, outside any lock.

use std::io;
use std::task::Waker;
use std::time::Duration;

use crate::ReactorHandle;

/// How many events one turn takes from the kernel at most; the rest wait for the
/// next turn.
const EVENTS_PER_TURN: usize = 1024;

/// The IO event loop. Owned and driven by one thread (it is `Send`, not `Sync`).
///
/// Dropping it shuts the reactor down (see [`ReactorHandle::shutdown`]): no event can
/// reach a socket any more, so every pending operation fails rather than hangs.
pub struct Reactor {
    poll: mio::Poll,
    events: mio::Events,
    handle: ReactorHandle,
    /// Wakers collected during a turn, woken at its end. Kept to reuse its allocation.
    wake_batch: Vec<Waker>,
}

impl Reactor {
    /// Creates a reactor (an epoll/kqueue instance plus a wake-up descriptor).
    pub fn new() -> io::Result<Reactor> {
        let poll = mio::Poll::new()?;
        let handle = ReactorHandle::new(&poll)?;
        Ok(Reactor {
            poll,
            events: mio::Events::with_capacity(EVENTS_PER_TURN),
            handle,
            wake_batch: Vec::new(),
        })
    }

    /// A handle for other threads: the runtime passes it to [`crate::context::enter`].
    pub fn handle(&self) -> ReactorHandle {
        self.handle.clone()
    }

    /// Blocks in `mio::Poll::poll` for at most `timeout` (`None`: until an event or an
    /// [`ReactorHandle::unpark`]), records the readiness it reports and wakes the
    /// waiting tasks. Returns after one poll, with how many tasks it woke: 0 when the
    /// timeout passed, when only an unpark or events nobody waited for came, or when a
    /// signal interrupted the poll (`EINTR`, nothing dispatched then). A runtime can
    /// tell from it whether polling found work.
    ///
    /// Every waker is woken on this thread after the batch is collected, so a runtime
    /// that defers its worker unparks while `turn` runs pays one unpark per turn.
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(error) => return Err(error),
        }
        if self.events.is_empty() {
            return Ok(0);
        }
        let dispatched = self.handle.dispatch(&self.events, &mut self.wake_batch);
        if dispatched.unparked {
            self.handle.consume_unpark();
        }
        #[cfg(unix)]
        if dispatched.signalled {
            self.handle.deliver_signals(&mut self.wake_batch);
        }
        let woken = self.wake_batch.len();
        self.wake_batch.drain(..).for_each(Waker::wake);
        Ok(woken)
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
