//! Channels and locks with `tokio::sync`'s names and meanings, for magpie.
//!
//! This crate knows nothing of the scheduler: its futures deal in `std::task::Waker`s
//! and spend the cooperative budget of `magpie-coop`, so they run on any executor.
//! Users reach it as `magpie::sync`.
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod loom;

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

mod wait_list;

// Until every user of it lands (the public Semaphore, Mutex, RwLock, the bounded mpsc),
// parts of it are unused in some builds.
#[allow(dead_code)]
pub(crate) mod batch_semaphore;

mod notify;
pub use notify::{Notified, Notify};
