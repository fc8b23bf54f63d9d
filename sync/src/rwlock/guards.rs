//! The borrowed guards of [`RwLock`](super::RwLock): a read guard, a write guard and a
//! mapped write guard. Each holds permits of the lock's semaphore and a pointer into
//! the value, and gives the permits back when dropped.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::batch_semaphore as ll;

/// Shared access to an [`RwLock`](super::RwLock)'s value (or, after
/// [`map`](RwLockReadGuard::map), to a part of it); dropping it releases the read
/// lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The lock's semaphore; this guard holds one of its permits.
    pub(super) semaphore: &'a ll::Semaphore,
    /// Into the value; only read while the permit is held.
    pub(super) value: *const T,
    pub(super) _marker: PhantomData<&'a T>,
}

// SAFETY: the guard is a `&T` into the value (plus a `&Semaphore`, which is Sync):
// sending or sharing it shares `&T`, which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Makes a read guard for a part of the value (an associated function, called as
    /// `RwLockReadGuard::map(guard, ...)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::{RwLock, RwLockReadGuard};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let lock = RwLock::new((1, 2));
    ///     let second = RwLockReadGuard::map(lock.read().await, |pair| &pair.1);
    ///     assert_eq!(*second, 2);
    /// }
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let value: *const U = f(&*this);
        let this = ManuallyDrop::new(this);
        RwLockReadGuard {
            semaphore: this.semaphore,
            value,
            _marker: PhantomData,
        }
    }

    /// As [`map`](RwLockReadGuard::map), but `f` may decline; then the original guard
    /// comes back in `Err`.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let value: *const U = match f(&*this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockReadGuard {
            semaphore: this.semaphore,
            value,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit, so no writer (which needs every
        // permit) can make a `&mut T` until the guard drops.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive access to an [`RwLock`](super::RwLock)'s value; dropping it releases the
/// write lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    /// The lock's semaphore; this guard holds `permits` (all) of its permits.
    pub(super) semaphore: &'a ll::Semaphore,
    pub(super) permits: u32,
    /// Into the value; reached only while every permit is held.
    pub(super) value: *mut T,
    pub(super) _marker: PhantomData<&'a mut T>,
}

// SAFETY: the guard is a `&mut T`: sending it needs `T: Send`, and since it can be
// downgraded to a read guard shared with readers elsewhere, `T: Sync` too (as tokio).
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: sharing it shares `&T`, which needs `T: Sync`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Makes a write guard for a part of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::{RwLock, RwLockWriteGuard};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let lock = RwLock::new((1, 2));
    ///     *RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.0) = 5;
    ///     assert_eq!(*lock.read().await, (5, 2));
    /// }
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value: *mut U = f(&mut *this);
        let this = ManuallyDrop::new(this);
        RwLockMappedWriteGuard {
            semaphore: this.semaphore,
            permits: this.permits,
            value,
            _marker: PhantomData,
        }
    }

    /// As [`map`](RwLockWriteGuard::map), but `f` may decline; then the original
    /// guard comes back in `Err`.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let value: *mut U = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockMappedWriteGuard {
            semaphore: this.semaphore,
            permits: this.permits,
            value,
            _marker: PhantomData,
        })
    }

    /// Turns the write lock into a read lock of a part of the value, without letting
    /// a writer in between.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::{RwLock, RwLockWriteGuard};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let lock = RwLock::new((1, 2));
    ///     let first = RwLockWriteGuard::downgrade_map(lock.write().await, |pair| &pair.0);
    ///     assert_eq!(*first, 1);
    ///     assert_eq!(lock.read().await.1, 2);
    /// }
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let value: *const U = f(&*this);
        let this = ManuallyDrop::new(this);
        this.semaphore.release(this.permits as usize - 1);
        RwLockReadGuard {
            semaphore: this.semaphore,
            value,
            _marker: PhantomData,
        }
    }

    /// As [`downgrade_map`](RwLockWriteGuard::downgrade_map), but `f` may decline;
    /// then the write guard comes back in `Err`, still writing.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let value: *const U = match f(&*this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        this.semaphore.release(this.permits as usize - 1);
        Ok(RwLockReadGuard {
            semaphore: this.semaphore,
            value,
            _marker: PhantomData,
        })
    }

    /// Turns the guard into a mapped write guard of the whole value.
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockWriteGuard::map(this, |value| value)
    }

    /// Turns the write lock into a read lock without letting a writer in between:
    /// readers waiting (right behind) can then get in too.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::RwLock;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let lock = RwLock::new(1);
    ///     let mut w = lock.write().await;
    ///     *w = 2;
    ///     let r = w.downgrade();
    ///     assert_eq!(*r, 2);
    ///     assert_eq!(*lock.try_read().unwrap(), 2);
    /// }
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let this = ManuallyDrop::new(self);
        // Keep one permit (the read lock), give back the rest.
        this.semaphore.release(this.permits as usize - 1);
        RwLockReadGuard {
            semaphore: this.semaphore,
            value: this.value,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit, so no other guard reaches the value.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive access to a part of an [`RwLock`](super::RwLock)'s value, made by
/// [`RwLockWriteGuard::map`]; dropping it releases the write lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    semaphore: &'a ll::Semaphore,
    permits: u32,
    /// Into the value; reached only while every permit is held.
    value: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: as for `RwLockWriteGuard`.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as for `RwLockWriteGuard`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Maps the guard further; see [`RwLockWriteGuard::map`].
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value: *mut U = f(&mut *this);
        let this = ManuallyDrop::new(this);
        RwLockMappedWriteGuard {
            semaphore: this.semaphore,
            permits: this.permits,
            value,
            _marker: PhantomData,
        }
    }

    /// Maps the guard further if `f` agrees; see [`RwLockWriteGuard::try_map`].
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let value: *mut U = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockMappedWriteGuard {
            semaphore: this.semaphore,
            permits: this.permits,
            value,
            _marker: PhantomData,
        })
    }

    /// Turns the write lock into a read lock of the mapped part; see
    /// [`RwLockWriteGuard::downgrade`].
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let this = ManuallyDrop::new(self);
        this.semaphore.release(this.permits as usize - 1);
        RwLockReadGuard {
            semaphore: this.semaphore,
            value: this.value,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit, so no other guard reaches the value.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
