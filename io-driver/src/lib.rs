//! magpie's IO driver: a mio reactor and the async TCP/UDP sockets built on it.
//!
//! This crate knows nothing of the scheduler. It deals only in [`std::task::Waker`]s:
//!
//! * The runtime owns one [`Reactor`] and drives it from a thread with [`Reactor::turn`].
//!   Each turn blocks in `mio::Poll::poll`, records readiness on the sockets that got
//!   events and then wakes the tasks waiting on them, all in one batch.
//! * The runtime gives every one of its threads the reactor's [`ReactorHandle`] through
//!   [`context::enter`]; sockets created on those threads ([`net`]) register with it.
//!   With [`context::enter_with_blocking`] it also lends its blocking pool, where host
//!   names given to sockets and [`net::lookup_host`] are resolved.
//! * The runtime wraps every task poll in [`coop::budget`], so a task that finds its
//!   sockets always ready still yields now and then.
//! * On Unix, [`signal`] delivers signals through the same reactor: a process-wide
//!   handler writes to a self-pipe whose read end each reactor that serves signals
//!   polls like a socket; [`unix::EventedFd`] puts pipes and pidfds on it.
//! * [`ReactorHandle::shutdown`] (or dropping the [`Reactor`]) makes every pending and
//!   future IO operation fail with an `io::Error` instead of hanging.
//!
//! How a runtime drives it:
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use magpie_io_driver::{context, coop, Reactor};
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//!
//! let mut reactor = Reactor::new()?;
//! let handle = reactor.handle();
//! let stopping = Arc::new(AtomicBool::new(false));
//!
//! // The driver thread (the timeout would be the time to the next timer).
//! let driver = std::thread::spawn({
//!     let stopping = stopping.clone();
//!     move || {
//!         while !stopping.load(Ordering::SeqCst) {
//!             reactor.turn(None).expect("IO driver failed");
//!         }
//!     }
//! });
//!
//! // Every worker thread, for its whole life; every task poll inside a budget.
//! let _io_context = context::enter(&handle);
//! # let poll_task = || ();
//! coop::budget(|| poll_task());
//!
//! // Shutdown: fail pending IO, then stop the driver thread.
//! stopping.store(true, Ordering::SeqCst);
//! handle.shutdown(); // also unparks the blocked turn
//! driver.join().unwrap();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod blocking;
pub mod context;
pub use magpie_coop as coop;
pub mod net;

mod reactor;
mod reactor_handle;
mod ready;
mod registered_source;
mod registration;
mod scheduled_io;
#[cfg(unix)]
pub mod signal;
mod token;
#[cfg(unix)]
pub mod unix;

pub use reactor::Reactor;
pub use reactor_handle::ReactorHandle;
