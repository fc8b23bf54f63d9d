//! The IO and timer driver, driven by the workers themselves.
//!
//! There is no driver thread. A worker with nothing to run parks *inside*
//! the driver when it can take it (`try_lock`): it blocks in the reactor's
//! `mio::Poll` for at most the time until the next timer deadline, then
//! fires due timers. The tasks those events wake are scheduled on that very
//! worker (its LIFO slot and local queue), so a socket event costs no
//! cross-thread hand-off, and one unpark at most for the whole burst. Other
//! idle workers sleep on their condvar. Busy workers poll the driver
//! without blocking every 61 scheduler ticks (`maintain`), so IO and timers
//! progress even when no worker is idle.
//!
//! Why not the dedicated reactor thread the design card started with: on
//! this 2-core VM every event then crossed threads (reactor -> injector ->
//! unpark a worker). Measured with `cargo bench --bench net`, 2 workers,
//! magpie/tokio: tcp_echo 0.91, tcp_bulk 1.09, tcp_connect_churn 1.79,
//! udp_echo 3.18 with the thread (~29,000 voluntary context switches per
//! echo run against tokio's ~50). BENCHMARKS.md has the numbers with
//! workers driving the reactor.
//!
//! Shared state: `reactor` is guarded by its mutex (held by the one worker
//! polling it); `timer` and `reactor_handle` are internally synchronised.

use parking_lot::Mutex;
use std::time::Duration;

pub(crate) struct Driver {
    reactor: Mutex<magpie_io_driver::Reactor>,
    pub(crate) reactor_handle: magpie_io_driver::ReactorHandle,
    pub(crate) timer: magpie_timer::TimerHandle,
    /// The timer shard used by threads that are not workers (one past the
    /// workers' own shards).
    outside_shard: usize,
}

impl Driver {
    pub(crate) fn new(
        reactor: magpie_io_driver::Reactor,
        timer: magpie_timer::TimerHandle,
        num_workers: usize,
    ) -> Driver {
        Driver {
            reactor_handle: reactor.handle(),
            reactor: Mutex::new(reactor),
            timer,
            outside_shard: num_workers,
        }
    }

    pub(crate) fn shard_for_thread(&self) -> usize {
        self.outside_shard
    }

    /// If no other worker holds the driver, runs `park` with a function
    /// that blocks in the driver until an event, a timer deadline or an
    /// unpark (`reactor_handle.unpark()`); returns false when the driver was
    /// busy (the caller must park elsewhere).
    pub(crate) fn try_park(&self, park: impl FnOnce(&mut dyn FnMut())) -> bool {
        let Some(mut reactor) = self.reactor.try_lock() else {
            return false;
        };
        park(&mut || {
            let timeout = self.timer.park_timeout();
            turn(&mut reactor, timeout);
            self.timer.process();
        });
        true
    }

    /// Polls IO and fires due timers without blocking, if the driver is free.
    pub(crate) fn maintain(&self) {
        if let Some(mut reactor) = self.reactor.try_lock() {
            turn(&mut reactor, Some(Duration::ZERO));
            self.timer.process();
        }
    }

    /// Wakes whatever still waits on a socket or timer (futures in a
    /// `block_on` elsewhere) so it sees the shutdown instead of hanging.
    pub(crate) fn shutdown(&self) {
        self.timer.shutdown();
        self.reactor_handle.shutdown();
    }
}

fn turn(reactor: &mut magpie_io_driver::Reactor, timeout: Option<Duration>) {
    if reactor.turn(timeout).is_err() {
        // A failing poll (EINTR is absorbed by `turn`) must not become a
        // busy loop; timers still fire at 1 ms granularity.
        std::thread::sleep(Duration::from_millis(1));
    }
}
