//! The owned guards of [`RwLock`]: like the borrowed ones, but they hold the lock by
//! `Arc`, so they are `'static` and can move into spawned tasks. `T` is the lock's
//! type, `U` the (possibly mapped) part the guard gives access to.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::RwLock;

/// Moves the `Arc` out of a guard that will not be dropped, so its permits move on
/// with it.
///
/// # Safety
///
/// `lock` belongs to a guard inside a `ManuallyDrop` that is never used again.
unsafe fn take_lock<T: ?Sized>(lock: &Arc<RwLock<T>>) -> Arc<RwLock<T>> {
    // SAFETY: the caller promises the guard holding `lock` is never used or dropped
    // again, so this moves the `Arc` rather than duplicating it.
    unsafe { std::ptr::read(lock) }
}

/// Shared access to (a part `U` of) the value of an [`RwLock<T>`] held by `Arc`;
/// dropping it releases the read lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    /// Into the value; only read while this guard's permit is held.
    pub(super) value: *const U,
    pub(super) lock: Arc<RwLock<T>>,
}

// SAFETY: the guard shares `&U` and owns an `Arc<RwLock<T>>` (Send + Sync when
// `T: Send + Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Makes a read guard for a part of the value; see
    /// [`RwLockReadGuard::map`](super::RwLockReadGuard::map).
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let value: *const V = f(&*this);
        let this = ManuallyDrop::new(this);
        OwnedRwLockReadGuard {
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        }
    }

    /// As [`map`](OwnedRwLockReadGuard::map), but `f` may decline; then the original
    /// guard comes back in `Err`.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let value: *const V = match f(&*this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(OwnedRwLockReadGuard {
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        })
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: the guard holds a read permit, so no writer can reach the value
        // until it drops; the `Arc` keeps the lock alive.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive access to the value of an [`RwLock`] held by `Arc`; dropping it releases
/// the write lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    /// Every permit of the lock's semaphore.
    pub(super) permits: u32,
    /// Into the value; reached only while every permit is held.
    pub(super) value: *mut T,
    pub(super) lock: Arc<RwLock<T>>,
}

// SAFETY: the guard is a `&mut T` that can become a shared read guard: `T: Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Makes a write guard for a part of the value; see
    /// [`RwLockWriteGuard::map`](super::RwLockWriteGuard::map).
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value: *mut U = f(&mut *this);
        let this = ManuallyDrop::new(this);
        OwnedRwLockMappedWriteGuard {
            permits: this.permits,
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        }
    }

    /// As [`map`](OwnedRwLockWriteGuard::map), but `f` may decline; then the original
    /// guard comes back in `Err`.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let value: *mut U = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(OwnedRwLockMappedWriteGuard {
            permits: this.permits,
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        })
    }

    /// Turns the write lock into a read lock of a part of the value, without letting
    /// a writer in between.
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let value: *const U = f(&*this);
        let this = ManuallyDrop::new(this);
        this.lock.semaphore.release(this.permits as usize - 1);
        OwnedRwLockReadGuard {
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        }
    }

    /// As [`downgrade_map`](OwnedRwLockWriteGuard::downgrade_map), but `f` may
    /// decline; then the write guard comes back in `Err`, still writing.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let value: *const U = match f(&*this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        this.lock.semaphore.release(this.permits as usize - 1);
        Ok(OwnedRwLockReadGuard {
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        })
    }

    /// Turns the guard into a mapped write guard of the whole value.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        OwnedRwLockWriteGuard::map(this, |value| value)
    }

    /// Turns the write lock into a read lock without letting a writer in between.
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let this = ManuallyDrop::new(self);
        this.lock.semaphore.release(this.permits as usize - 1);
        OwnedRwLockReadGuard {
            value: this.value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        }
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit, so no other guard reaches the value.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.permits as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive access to a part `U` of the value of an [`RwLock<T>`] held by `Arc`;
/// dropping it releases the write lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    permits: u32,
    /// Into the value; reached only while every permit is held.
    value: *mut U,
    lock: Arc<RwLock<T>>,
}

// SAFETY: as for `OwnedRwLockWriteGuard`, with `U` the part reached.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// Maps the guard further.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let value: *mut V = f(&mut *this);
        let this = ManuallyDrop::new(this);
        OwnedRwLockMappedWriteGuard {
            permits: this.permits,
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        }
    }

    /// Maps the guard further if `f` agrees.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let value: *mut V = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(OwnedRwLockMappedWriteGuard {
            permits: this.permits,
            value,
            // SAFETY: `this` is in a ManuallyDrop and not used again.
            lock: unsafe { take_lock(&this.lock) },
        })
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: the guard holds every permit, so no other guard reaches the value.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.permits as usize);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
