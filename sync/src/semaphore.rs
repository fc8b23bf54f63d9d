//! The public [`Semaphore`] and its permits: a thin layer over the crate's FIFO batch
//! semaphore that turns permits into guards.
//!
//! It owns nothing but the guards' bookkeeping; all waiting is
//! `crate::batch_semaphore`'s.

use std::fmt;
use std::sync::Arc;

use crate::batch_semaphore as ll;
use crate::batch_semaphore::{AcquireError, TryAcquireError};

/// A counting semaphore: an async pool of permits.
///
/// Acquiring waits until enough permits are free and returns them as a guard that
/// gives them back when dropped. Waiters are served in strict FIFO order, each with
/// the number of permits it asked for: a request for many permits at the head of the
/// queue makes later, smaller requests wait behind it.
///
/// [`close`](Semaphore::close) fails every waiting and later acquire with
/// [`AcquireError`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use magpie::sync::Semaphore;
///
/// #[magpie::main]
/// async fn main() {
///     let semaphore = Arc::new(Semaphore::new(3));
///     let mut handles = Vec::new();
///     for i in 0..6 {
///         let permit = semaphore.clone().acquire_owned().await.unwrap();
///         handles.push(magpie::spawn(async move {
///             // At most three of these run at once.
///             let _permit = permit;
///             i * 2
///         }));
///     }
///     for handle in handles {
///         handle.await.unwrap();
///     }
/// }
/// ```
pub struct Semaphore {
    ll: ll::Semaphore,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Default for Semaphore {
    /// A semaphore with no permits.
    fn default() -> Semaphore {
        Semaphore::new(0)
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold: `usize::MAX >> 3`.
    ///
    /// Exceeding it panics in [`new`](Semaphore::new) and
    /// [`add_permits`](Semaphore::add_permits).
    pub const MAX_PERMITS: usize = ll::Semaphore::MAX_PERMITS;

    /// Creates a semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            ll: ll::Semaphore::new(permits),
        }
    }

    /// Creates a semaphore with `permits` permits in a `const` context.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`] (at compile time in a `const`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// static SEMAPHORE: Semaphore = Semaphore::const_new(10);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Semaphore {
        Semaphore {
            ll: ll::Semaphore::new(permits),
        }
    }

    /// The number of permits free now (0 while tasks wait).
    pub fn available_permits(&self) -> usize {
        self.ll.available_permits()
    }

    /// Adds `n` permits, serving waiting tasks first.
    ///
    /// # Panics
    ///
    /// If the number of free permits would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.ll.release(n);
    }

    /// Removes up to `n` free permits for good and returns how many it removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(3);
    /// assert_eq!(semaphore.forget_permits(5), 3);
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.ll.forget_permits(n)
    }

    /// Waits for one permit.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Cancel safety
    ///
    /// FIFO order is kept by queueing: dropping the future gives up its place in the
    /// queue, and any permits already set aside for it go to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let semaphore = Semaphore::new(2);
    ///     let permit_1 = semaphore.acquire().await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    ///     drop(permit_1);
    ///     assert_eq!(semaphore.available_permits(), 2);
    /// }
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.ll.acquire(1).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Waits for `n` permits, all at once.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Semaphore::acquire): permits already set aside for a dropped
    /// future go to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let semaphore = Semaphore::new(5);
    ///     let permit = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 3);
    ///     assert_eq!(semaphore.available_permits(), 2);
    /// }
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.ll.acquire(n).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one permit if one is free now and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::Closed`] if the semaphore is closed,
    /// [`TryAcquireError::NoPermits`] if no permit is free.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::{Semaphore, TryAcquireError};
    ///
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::NoPermits));
    /// drop(permit);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free now and nobody waits.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(4);
    /// let permit = semaphore.try_acquire_many(3).unwrap();
    /// assert!(semaphore.try_acquire_many(2).is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.ll.try_acquire(n)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Waits for one permit from synchronous code, blocking the thread. Call it only
    /// outside the runtime (a plain thread or `spawn_blocking`): blocking a worker can
    /// deadlock.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Examples
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let other = semaphore.clone();
    /// std::thread::spawn(move || {
    ///     let _permit = other.blocking_acquire().unwrap();
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        crate::block_on::block_on(self.acquire())
    }

    /// Waits for `n` permits from synchronous code, blocking the thread; see
    /// [`blocking_acquire`](Semaphore::blocking_acquire).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        crate::block_on::block_on(self.acquire_many(n))
    }

    /// Waits for one permit of a semaphore held by `Arc`, blocking the thread; see
    /// [`blocking_acquire`](Semaphore::blocking_acquire).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        crate::block_on::block_on(self.acquire_owned())
    }

    /// Waits for `n` permits of a semaphore held by `Arc`, blocking the thread; see
    /// [`blocking_acquire`](Semaphore::blocking_acquire).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        crate::block_on::block_on(self.acquire_many_owned(n))
    }

    /// Waits for one permit, holding the semaphore by `Arc` so the permit is
    /// `'static` (it can move into a spawned task).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let semaphore = Arc::new(Semaphore::new(1));
    ///     let permit = semaphore.clone().acquire_owned().await.unwrap();
    ///     magpie::spawn(async move {
    ///         drop(permit);
    ///     })
    ///     .await
    ///     .unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// }
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits, holding the semaphore by `Arc`.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, now or while waiting.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let semaphore = Arc::new(Semaphore::new(4));
    ///     let permit = semaphore.clone().acquire_many_owned(4).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 4);
    /// }
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.ll.acquire(n).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one permit now, holding the semaphore by `Arc`.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` permits now, holding the semaphore by `Arc`.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(3));
    /// let permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// drop(permit);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.ll.try_acquire(n)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Closes the semaphore: every task waiting in an acquire, and every later
    /// acquire, fails with [`AcquireError`] (`try_acquire*` with
    /// [`TryAcquireError::Closed`]). Permits held now stay valid and are given back
    /// as usual.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::{Semaphore, TryAcquireError};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let semaphore = Semaphore::new(1);
    ///     semaphore.close();
    ///     assert!(semaphore.acquire().await.is_err());
    ///     assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::Closed));
    /// }
    /// ```
    pub fn close(&self) {
        self.ll.close();
    }

    /// Whether [`close`](Semaphore::close) has been called.
    pub fn is_closed(&self) -> bool {
        self.ll.is_closed()
    }
}

/// Permits borrowed from a [`Semaphore`]; dropping the guard gives them back.
#[must_use = "permits are given back at once if the guard is not kept"]
#[clippy::has_significant_drop]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: u32,
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("semaphore", &self.semaphore)
            .field("permits", &self.permits)
            .finish()
    }
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits out of the semaphore for good: dropping the guard no longer
    /// gives them back.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into this guard.
    ///
    /// # Panics
    ///
    /// If the two guards come from different semaphores.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(3);
    /// let mut permit = semaphore.try_acquire().unwrap();
    /// permit.merge(semaphore.try_acquire_many(2).unwrap());
    /// assert_eq!(permit.num_permits(), 3);
    /// ```
    pub fn merge(&mut self, mut other: SemaphorePermit<'a>) {
        assert!(
            std::ptr::eq(self.semaphore, other.semaphore),
            "merging permits from different semaphore instances"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new guard; `None` (and no change) if this guard
    /// holds fewer than `n`.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(3);
    /// let mut permit = semaphore.try_acquire_many(3).unwrap();
    /// let two = permit.split(2).unwrap();
    /// assert_eq!((permit.num_permits(), two.num_permits()), (1, 2));
    /// assert!(permit.split(2).is_none());
    /// ```
    pub fn split(&mut self, n: usize) -> Option<SemaphorePermit<'a>> {
        let n = u32::try_from(n).ok()?;
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(SemaphorePermit {
            semaphore: self.semaphore,
            permits: n,
        })
    }

    /// The number of permits this guard holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.add_permits(self.permits as usize);
    }
}

/// Permits taken from a [`Semaphore`] held by `Arc`; dropping the guard gives them
/// back. Being `'static`, it can move into a spawned task.
#[must_use = "permits are given back at once if the guard is not kept"]
#[clippy::has_significant_drop]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: u32,
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("semaphore", &self.semaphore)
            .field("permits", &self.permits)
            .finish()
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good: dropping the guard no longer
    /// gives them back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(2));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into this guard.
    ///
    /// # Panics
    ///
    /// If the two guards come from different semaphores.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(3));
    /// let mut permit = semaphore.clone().try_acquire_owned().unwrap();
    /// permit.merge(semaphore.clone().try_acquire_many_owned(2).unwrap());
    /// assert_eq!(permit.num_permits(), 3);
    /// ```
    pub fn merge(&mut self, mut other: OwnedSemaphorePermit) {
        assert!(
            Arc::ptr_eq(&self.semaphore, &other.semaphore),
            "merging permits from different semaphore instances"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new guard; `None` (and no change) if this guard
    /// holds fewer than `n`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(3));
    /// let mut permit = semaphore.clone().try_acquire_many_owned(3).unwrap();
    /// let two = permit.split(2).unwrap();
    /// assert_eq!((permit.num_permits(), two.num_permits()), (1, 2));
    /// ```
    pub fn split(&mut self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(n).ok()?;
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            semaphore: self.semaphore.clone(),
            permits: n,
        })
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// The number of permits this guard holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.add_permits(self.permits as usize);
    }
}
