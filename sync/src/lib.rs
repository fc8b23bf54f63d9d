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

pub(crate) mod batch_semaphore;
pub use batch_semaphore::{AcquireError, TryAcquireError};

mod block_on;

mod notify;
pub use notify::{Notified, Notify};

/// The named futures of the primitives (tokio's `sync::futures`).
pub mod futures {
    pub use crate::notify::{Notified, OwnedNotified};
}

mod semaphore;
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

mod mutex;
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};

mod rwlock;
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};

mod barrier;
pub use barrier::{Barrier, BarrierWaitResult};

mod once_cell;
pub use once_cell::{OnceCell, SetError};
