//! The clock behind the observability counters: nanoseconds since a
//! process-wide epoch, read for real only where it is cheap enough, and a
//! per-thread copy of the last reading that hot paths use instead.
//!
//! Reading `Instant::now()` costs ~40 ns on this VM (measured), as much as a
//! whole task poll in the scheduler benchmarks, so a worker reads it when it
//! wakes up and on one poll in `POLL_SAMPLE` (the timed polls), and stamps
//! everything else (spawns, poll starts) with its cached reading. Those
//! stamps are late by at most the polls since the last reading.
//!
//! The bottom of the crate: uses nothing of it. Real time only: a paused
//! test clock (`magpie::time::pause`) does not stop it.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::Instant;

/// Where every reading counts from. Set by the first reading in the process.
static EPOCH: OnceLock<Instant> = OnceLock::new();

thread_local! {
    /// This thread's last `now_ns()`; 0 before its first. Only this thread
    /// reads or writes it.
    static CACHED: Cell<u64> = const { Cell::new(0) };
}

/// Nanoseconds since the epoch, read from the OS clock; also refreshes this
/// thread's cached reading. Never 0 (0 means "no reading" to the callers).
pub(crate) fn now_ns() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    // u64 nanoseconds cover 584 years of uptime; `max(1)` keeps 0 free.
    let now = (epoch.elapsed().as_nanos() as u64).max(1);
    CACHED.with(|c| c.set(now));
    now
}

/// This thread's last reading (a real one if it never read the clock).
#[inline]
pub(crate) fn cached_ns() -> u64 {
    match CACHED.with(Cell::get) {
        0 => now_ns(),
        cached => cached,
    }
}
