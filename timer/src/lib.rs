//! magpie-timer: timers for the magpie runtime, exposed to users as `magpie::time`.
//!
//! # For users
//! [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`], [`interval`], [`interval_at`] and
//! their futures, with tokio's names and behavior: 1 ms granularity, never early, lazy
//! registration, far deadlines clamped instead of overflowing. They must be created inside a
//! magpie runtime (they panic otherwise) and can be polled anywhere afterwards.
//!
//! # For the runtime
//! [`TimerHandle`] is the driver: whichever thread drives it (in magpie, an idle worker that
//! parks in the reactor) calls [`park_timeout`](TimerHandle::park_timeout) before blocking and
//! [`process`](TimerHandle::process) after, and [`context::enter`] makes it current on each
//! thread. The crate knows nothing of the scheduler: it only stores and wakes `Waker`s.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use parking_lot::{Condvar, Mutex};
//!
//! // A flag and a condvar stand in for `mio::Poll` and its `mio::Waker` here.
//! let parker = Arc::new((Mutex::new(false), Condvar::new()));
//! let unpark: Arc<dyn Fn() + Send + Sync> = {
//!     let parker = parker.clone();
//!     Arc::new(move || {
//!         *parker.0.lock() = true;
//!         parker.1.notify_one();
//!     })
//! };
//! let workers = 2;
//! let timer = magpie_timer::TimerHandle::new(workers, unpark.clone());
//!
//! // The driver thread.
//! let driver = {
//!     let (timer, parker) = (timer.clone(), parker.clone());
//!     std::thread::spawn(move || {
//!         while !timer.is_shutdown() {
//!             let timeout = timer.park_timeout(); // before blocking
//!             let mut unparked = parker.0.lock();
//!             if !*unparked {
//!                 match timeout {
//!                     Some(timeout) => drop(parker.1.wait_for(&mut unparked, timeout)),
//!                     None => parker.1.wait(&mut unparked),
//!                 }
//!             }
//!             *unparked = false;
//!             drop(unparked);
//!             timer.process(); // after waking: fires what is due
//!         }
//!     })
//! };
//!
//! // On worker thread `i`: `context::enter(&timer, i)`; on other runtime threads:
//! // `context::enter_any_shard(&timer)`. Timers created there belong to this driver.
//! let _guard = magpie_timer::context::enter(&timer, 0);
//! futures::executor::block_on(async {
//!     magpie_timer::sleep(Duration::from_millis(5)).await;
//!     let waited = magpie_timer::timeout(Duration::from_millis(5), std::future::pending::<()>());
//!     assert!(waited.await.is_err());
//! });
//!
//! // Runtime shutdown: wake every pending timer, then stop the driver thread.
//! timer.shutdown();
//! unpark();
//! driver.join().unwrap();
//! ```
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
mod instant;
mod interval;
mod pause;
mod sleep;
mod timeout;
pub mod wheel;

pub use driver::{AutoAdvanceGuard, TimerHandle};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use pause::{advance, pause, resume};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Timeout};
