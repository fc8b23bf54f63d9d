//! The driver thread: blocks in the reactor's `mio::Poll` for at most the
//! time until the next timer deadline, then fires due timers. A newly armed
//! earlier timer, or shutdown, interrupts the poll through the reactor's
//! waker (the timer's `unpark` callback is the reactor's `unpark`).
//!
//! `DriverHandle` is shared: the stop flag is written once by the runtime's
//! finaliser and read by the driver thread each turn; the join handle is
//! taken by whoever completes shutdown.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::JoinHandle;

pub(crate) struct DriverHandle {
    stop: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The timer shard used by threads that are not workers (one past the
    /// workers' own shards).
    outside_shard: usize,
}

impl DriverHandle {
    pub(crate) fn new(num_workers: usize) -> DriverHandle {
        DriverHandle {
            stop: AtomicBool::new(false),
            thread: Mutex::new(None),
            outside_shard: num_workers,
        }
    }

    pub(crate) fn shard_for_thread(&self) -> usize {
        self.outside_shard
    }

    pub(crate) fn set_thread(&self, thread: JoinHandle<()>) {
        *self.thread.lock() = Some(thread);
    }

    /// Asks the driver thread to shut the timer and reactor down and exit.
    pub(crate) fn stop(&self, reactor: &magpie_io_driver::ReactorHandle) {
        self.stop.store(true, SeqCst);
        reactor.unpark();
    }

    /// Waits for the driver thread to exit (after `stop`).
    pub(crate) fn join(&self) {
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

/// The driver thread's body.
pub(crate) fn run(
    mut reactor: magpie_io_driver::Reactor,
    timer: magpie_timer::TimerHandle,
    handle: &DriverHandle,
) {
    let reactor_handle = reactor.handle();
    while !handle.stop.load(SeqCst) {
        let timeout = timer.park_timeout();
        if reactor.turn(timeout).is_err() {
            // A failing poll (not EINTR, which turn absorbs) must not turn
            // into a busy loop; timers still fire at 1 ms granularity.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        timer.process();
    }
    // Tasks are gone by now; wake whatever else still waits (futures in a
    // `block_on` elsewhere) so it sees the shutdown instead of hanging.
    timer.shutdown();
    reactor_handle.shutdown();
}
