//! The async [`RwLock`]: a value behind the crate's FIFO batch semaphore holding
//! `max_readers` permits. A reader takes one permit, a writer takes them all, so a
//! writer waits for the readers before it and readers that come after a waiting writer
//! wait behind it (fair, FIFO, no writer starvation).
//!
//! This file owns the lock and how it hands out guards; `guards.rs` and
//! `owned_guards.rs` own the guards. Waiting, fairness and cancel safety are
//! `crate::batch_semaphore`'s; `crate::block_on` serves the `blocking_*` methods.

mod guards;
mod owned_guards;

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::batch_semaphore::{self as ll, NeverClosed};
use crate::TryLockError;

pub use guards::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned_guards::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

/// The most concurrent readers a lock allows (and its default): `u32::MAX >> 3`.
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock: many readers or one writer at a time.
///
/// The lock is fair: tasks are served in the order they asked (FIFO). A writer waits
/// until the readers before it are done, and readers that ask after a waiting writer
/// wait until that writer is done, so writers are never starved. Dropping a waiting
/// `read()`/`write()` future gives its place to the next waiter.
///
/// # Examples
///
/// ```
/// use magpie::sync::RwLock;
///
/// #[magpie::main]
/// async fn main() {
///     let lock = RwLock::new(5);
///     {
///         let r1 = lock.read().await;
///         let r2 = lock.read().await;
///         assert_eq!(*r1 + *r2, 10);
///     }
///     {
///         let mut w = lock.write().await;
///         *w += 1;
///     }
///     assert_eq!(*lock.read().await, 6);
/// }
/// ```
pub struct RwLock<T: ?Sized> {
    /// Permits a writer takes; readers take one each.
    max_readers: u32,
    /// `max_readers` permits when nobody holds the lock.
    semaphore: ll::Semaphore,
    /// Shared state: read through read guards (each holding a permit, so no writer
    /// holds all of them), written through the write guard (holding every permit).
    value: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (needs `T: Sync`) and a writer may get
// `&mut T` on any thread (needs `T: Send`), exactly as for `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::RwLock;
    ///
    /// let lock = RwLock::new(5);
    /// ```
    pub fn new(value: T) -> RwLock<T>
    where
        T: Sized,
    {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// Creates an unlocked lock that lets at most `max_reads` readers in at once.
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0 or more than `u32::MAX >> 3`.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::RwLock;
    ///
    /// let lock = RwLock::with_max_readers(5, 1024);
    /// ```
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T>
    where
        T: Sized,
    {
        assert!(
            max_reads <= MAX_READS,
            "a RwLock may not be created with more than {MAX_READS} readers"
        );
        assert!(max_reads > 0, "a RwLock needs room for at least one reader");
        RwLock {
            max_readers: max_reads,
            semaphore: ll::Semaphore::new(max_reads as usize),
            value: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock in a `const` context.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::RwLock;
    ///
    /// static LOCK: RwLock<i32> = RwLock::const_new(5);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T>
    where
        T: Sized,
    {
        RwLock::const_with_max_readers(value, MAX_READS)
    }

    /// Creates an unlocked lock with at most `max_reads` readers in a `const` context.
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0 or more than `u32::MAX >> 3`.
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T>
    where
        T: Sized,
    {
        assert!(
            max_reads <= MAX_READS,
            "a RwLock may not be created with more than u32::MAX >> 3 readers"
        );
        assert!(max_reads > 0, "a RwLock needs room for at least one reader");
        RwLock {
            max_readers: max_reads,
            semaphore: ll::Semaphore::new(max_reads as usize),
            value: UnsafeCell::new(value),
        }
    }

    /// Locks for reading, waiting (FIFO) while a writer holds the lock or waits
    /// before this call.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up its place in the queue; nothing is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::RwLock;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let lock = Arc::new(RwLock::new(1));
    ///     let c_lock = lock.clone();
    ///     let n = lock.read().await;
    ///     assert_eq!(*n, 1);
    ///     magpie::spawn(async move {
    ///         // Readers do not exclude each other.
    ///         assert_eq!(*c_lock.read().await, 1);
    ///     })
    ///     .await
    ///     .unwrap();
    /// }
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.semaphore.acquire(1).await.never_closed("RwLock");
        RwLockReadGuard {
            semaphore: &self.semaphore,
            value: self.value.get(),
            _marker: PhantomData,
        }
    }

    /// Locks for reading from synchronous code, blocking the thread. Call it only
    /// outside the runtime (a plain thread or `spawn_blocking`).
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::block_on::block_on(self.read())
    }

    /// Locks for reading a lock held by `Arc`, returning a `'static` guard.
    ///
    /// # Cancel safety
    ///
    /// As [`read`](RwLock::read).
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.semaphore.acquire(1).await.never_closed("RwLock");
        OwnedRwLockReadGuard {
            value: self.value.get(),
            lock: self,
        }
    }

    /// Locks for reading if that is possible now without waiting.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds the lock or waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::RwLock;
    ///
    /// let lock = RwLock::new(1);
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// drop(r);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError::new())?;
        Ok(RwLockReadGuard {
            semaphore: &self.semaphore,
            value: self.value.get(),
            _marker: PhantomData,
        })
    }

    /// As [`try_read`](RwLock::try_read), for a lock held by `Arc`.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds the lock or waits for it.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError::new())?;
        Ok(OwnedRwLockReadGuard {
            value: self.value.get(),
            lock: self,
        })
    }

    /// Locks for writing, waiting (FIFO) until no reader or writer holds the lock.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up its place in the queue, and any read permits it
    /// had already collected go to the tasks behind it.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::RwLock;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let lock = RwLock::new(1);
    ///     *lock.write().await = 2;
    ///     assert_eq!(*lock.read().await, 2);
    /// }
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.semaphore
            .acquire(self.max_readers)
            .await
            .never_closed("RwLock");
        RwLockWriteGuard {
            semaphore: &self.semaphore,
            permits: self.max_readers,
            value: self.value.get(),
            _marker: PhantomData,
        }
    }

    /// Locks for writing from synchronous code, blocking the thread. Call it only
    /// outside the runtime (a plain thread or `spawn_blocking`).
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::block_on::block_on(self.write())
    }

    /// Locks for writing a lock held by `Arc`, returning a `'static` guard.
    ///
    /// # Cancel safety
    ///
    /// As [`write`](RwLock::write).
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.semaphore
            .acquire(self.max_readers)
            .await
            .never_closed("RwLock");
        OwnedRwLockWriteGuard {
            permits: self.max_readers,
            value: self.value.get(),
            lock: self,
        }
    }

    /// Locks for writing if the lock is free now and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if anyone holds the lock or waits for it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(self.max_readers)
            .map_err(|_| TryLockError::new())?;
        Ok(RwLockWriteGuard {
            semaphore: &self.semaphore,
            permits: self.max_readers,
            value: self.value.get(),
            _marker: PhantomData,
        })
    }

    /// As [`try_write`](RwLock::try_write), for a lock held by `Arc`.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if anyone holds the lock or waits for it.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire(self.max_readers)
            .map_err(|_| TryLockError::new())?;
        Ok(OwnedRwLockWriteGuard {
            permits: self.max_readers,
            value: self.value.get(),
            lock: self,
        })
    }

    /// A mutable reference to the value; `&mut self` proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Consumes the lock and returns the value.
    pub fn into_inner(self) -> T
    where
        T: Sized,
    {
        self.value.into_inner()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::RwLock;
    use crate::loom::{thread, Arc};

    /// A writer and two readers race (max_readers 2, so the writer needs both
    /// permits); the value lives in a loom cell, so loom checks that the writer
    /// excludes the readers and that its write happens-before a later read.
    #[test]
    fn loom_rwlock_writer_excludes_readers() {
        loom::model(|| {
            let lock = Arc::new(RwLock::with_max_readers(
                loom::cell::UnsafeCell::new(0usize),
                2,
            ));
            let writer = lock.clone();
            let t = thread::spawn(move || {
                let guard = loom::future::block_on(writer.write());
                // SAFETY: the write guard excludes every other guard.
                guard.with_mut(|n| unsafe { *n += 1 });
            });
            let reader = lock.clone();
            let r = thread::spawn(move || {
                let guard = loom::future::block_on(reader.read());
                // SAFETY: a read guard excludes writers; readers only read.
                let seen = guard.with(|n| unsafe { *n });
                assert!(seen <= 1);
            });
            t.join().unwrap();
            r.join().unwrap();
            let guard = lock.try_read().expect("no writer left");
            // SAFETY: as above.
            assert_eq!(guard.with(|n| unsafe { *n }), 1);
        });
    }
}
