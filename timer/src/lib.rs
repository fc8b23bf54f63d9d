//! magpie-timer: timers for the magpie runtime, exposed to users as `magpie::time`.
//!
//! # For users
//! [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`], [`interval`], [`interval_at`] and
//! their futures, with tokio's names and behavior: 1 ms granularity, never early, lazy
//! registration, far deadlines clamped instead of overflowing. They must be created inside a
//! magpie runtime (they panic otherwise) and can be polled anywhere afterwards.
//!
//! # For the runtime
//! [`TimerHandle`] is the driver: the runtime's driver thread calls
//! [`park_timeout`](TimerHandle::park_timeout) before blocking and
//! [`process`](TimerHandle::process) after, and [`context::enter`] makes it current on each
//! thread. The crate knows nothing of the scheduler: it only stores and wakes `Waker`s.
//!
//! # Layout
//! - [`wheel`]: the hierarchical timer wheel, a plain data structure in integer ticks.
//! - `driver`: the sharded wheels, the sleep/unpark protocol, firing and shutdown.
//! - [`context`]: the thread-local current timer.
//! - `entry`: one deadline's registration, shared by the three futures.
//! - `sleep`, `timeout`, `interval`, [`error`]: the public futures and their error.
#![deny(missing_docs)]

mod clock;
pub mod context;
mod driver;
mod entry;
pub mod error;
mod interval;
mod sleep;
mod timeout;
pub mod wheel;

pub use driver::TimerHandle;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::{Duration, Instant};
pub use timeout::{timeout, timeout_at, Timeout};
