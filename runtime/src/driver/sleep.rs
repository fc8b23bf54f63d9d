//! How a parked worker sees the driver it holds: `DriverSleep`, polled
//! without blocking while the worker spins, then blocked in. The scheduler's
//! `Parker` drives this interface; the driver implements it (`ParkedDriver`),
//! and the loom models implement it with a fake.
//!
//! Uses nothing else of the crate.

/// What one non-blocking look at the driver found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spin {
    /// Nothing yet, and time is left to look again.
    Again,
    /// The driver delivered events (tasks may have been woken): stop parking.
    Woke,
    /// Spinning is over (or was not worth starting): block instead.
    Block,
}

/// The IO driver as a parked worker sees it: polled without blocking while
/// the worker spins, then blocked in until an event, a deadline or a wake.
pub(crate) trait DriverSleep {
    /// Polls the driver once without blocking.
    fn spin(&mut self) -> Spin;
    /// Blocks in the driver until an event, a timer deadline or an unpark.
    /// An unpark wakes a blocked driver once (mio's waker); a non-blocking
    /// look that `block` takes first may consume that wake-up, so after one
    /// it must return when `unparked()` says an unpark came.
    fn block(&mut self, unparked: &dyn Fn() -> bool);
}
