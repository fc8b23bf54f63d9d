//! The async [`Mutex`] and its four guards: a value behind the crate's FIFO batch
//! semaphore with one permit.
//!
//! It owns the value cell and the guards' access to it; waiting, fairness and cancel
//! safety are `crate::batch_semaphore`'s. It also uses `crate::block_on` for
//! `blocking_lock`.

use std::cell::UnsafeCell;
use std::error::Error;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::batch_semaphore::{self as ll, NeverClosed};

/// An asynchronous mutual-exclusion lock.
///
/// Unlike `std::sync::Mutex`, [`lock`](Mutex::lock) waits without blocking the
/// thread, and the guard may be held across an `.await`. The lock is fair: tasks get
/// it in the order they asked for it (FIFO), and a task that stops waiting (drops its
/// `lock()` future) gives its place to the next. Taking a free lock is one atomic
/// operation.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use magpie::sync::Mutex;
///
/// #[magpie::main]
/// async fn main() {
///     let count = Arc::new(Mutex::new(0));
///     let mut handles = Vec::new();
///     for _ in 0..10 {
///         let count = count.clone();
///         handles.push(magpie::spawn(async move {
///             *count.lock().await += 1;
///         }));
///     }
///     for handle in handles {
///         handle.await.unwrap();
///     }
///     assert_eq!(*count.lock().await, 10);
/// }
/// ```
pub struct Mutex<T: ?Sized> {
    /// One permit: whoever holds it may touch `value`.
    semaphore: ll::Semaphore,
    /// Shared state: read and written only through a guard, i.e. by the holder of the
    /// semaphore's one permit (or through `&mut Mutex`).
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached by the one holder of the permit at a time (or via
// `&mut self`), so sharing the mutex hands `T` to one thread at a time: `T: Send`
// suffices, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// The error returned by [`Mutex::try_lock`] and [`Mutex::try_lock_owned`]: the lock is
/// held (or tasks wait for it).
#[derive(Debug)]
pub struct TryLockError(());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl Error for TryLockError {}

impl TryLockError {
    /// The one value (for the locks of this crate).
    pub(crate) fn new() -> TryLockError {
        TryLockError(())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Mutex;
    ///
    /// let lock = Mutex::new(5);
    /// ```
    pub fn new(value: T) -> Mutex<T>
    where
        T: Sized,
    {
        Mutex {
            semaphore: ll::Semaphore::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked mutex in a `const` context (e.g. a `static`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Mutex;
    ///
    /// static LOCK: Mutex<i32> = Mutex::const_new(5);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Mutex<T>
    where
        T: Sized,
    {
        Mutex {
            semaphore: ll::Semaphore::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// Locks the mutex, waiting (in FIFO order) while another task holds it.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up its place in the queue; if the lock had already
    /// been handed to it, it passes to the next waiter. Nothing is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Mutex;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let mutex = Mutex::new(1);
    ///     let mut n = mutex.lock().await;
    ///     *n = 2;
    /// }
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.semaphore.acquire(1).await.never_closed("Mutex");
        MutexGuard { lock: self }
    }

    /// Locks the mutex from synchronous code, blocking the thread until it is free.
    ///
    /// Call it only outside the runtime (e.g. from a plain thread or
    /// `spawn_blocking`): blocking a worker thread while the lock's holder needs that
    /// worker to make progress can deadlock.
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
    /// use magpie::sync::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let other = mutex.clone();
    /// std::thread::spawn(move || *other.blocking_lock() += 1).join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::block_on::block_on(self.lock())
    }

    /// Locks the mutex held by `Arc`, returning a `'static` guard that keeps the
    /// mutex alive.
    ///
    /// # Cancel safety
    ///
    /// As [`lock`](Mutex::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::Mutex;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let mutex = Arc::new(Mutex::new(1));
    ///     let mut guard = mutex.clone().lock_owned().await;
    ///     *guard = 2;
    /// }
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.semaphore.acquire(1).await.never_closed("Mutex");
        OwnedMutexGuard { lock: self }
    }

    /// Locks the mutex held by `Arc` from synchronous code; see
    /// [`blocking_lock`](Mutex::blocking_lock) for where it may be called.
    ///
    /// # Panics
    ///
    /// When called inside an async task or a runtime's `block_on` (it would block
    /// the thread that runs the tasks), as tokio's does.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        crate::block_on::block_on(self.lock_owned())
    }

    /// Locks the mutex if it is free and nobody waits for it.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Mutex;
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(MutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// As [`try_lock`](Mutex::try_lock), for a mutex held by `Arc`.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// A mutable reference to the value; no locking needed, as `&mut self` proves no
    /// guard exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::Mutex;
    ///
    /// let mut mutex = Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Consumes the mutex and returns the value.
    pub fn into_inner(self) -> T
    where
        T: Sized,
    {
        self.value.into_inner()
    }
}

/// Access to a [`Mutex`]'s value; dropping it unlocks the mutex.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

// SAFETY: sharing the guard shares `&T` between threads, which needs `T: Sync`; and
// the guard can be sent on (it is `Send` whenever `&Mutex<T>` is), so `T: Send` too.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Makes a guard for a part of the locked value (an associated function, called as
    /// `MutexGuard::map(guard, ...)`, so it does not clash with methods of `T`).
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::{Mutex, MutexGuard};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let mutex = Mutex::new((1, 2));
    ///     let mut second = MutexGuard::map(mutex.lock().await, |pair| &mut pair.1);
    ///     *second = 5;
    ///     drop(second);
    ///     assert_eq!(*mutex.lock().await, (1, 5));
    /// }
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value: *mut U = f(&mut *this);
        let this = ManuallyDrop::new(this);
        MappedMutexGuard {
            semaphore: &this.lock.semaphore,
            value,
            _marker: PhantomData,
        }
    }

    /// As [`map`](MutexGuard::map), but `f` may decline (return `None`), and then the
    /// original guard comes back in `Err`.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let value: *mut U = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(MappedMutexGuard {
            semaphore: &this.lock.semaphore,
            value,
            _marker: PhantomData,
        })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's one permit, so no `&mut T` exists
        // elsewhere; the returned borrow ends before the guard (and the permit) goes.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the one permit, and `&mut self` makes this borrow
        // the only one made through it.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Access to a [`Mutex`] held by `Arc`; `'static`, so it can move into a spawned
/// task. Dropping it unlocks the mutex.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

// SAFETY: as for `MutexGuard`: sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// Makes an owned guard for a part of the locked value; see [`MutexGuard::map`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use magpie::sync::{Mutex, OwnedMutexGuard};
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let mutex = Arc::new(Mutex::new((1, 2)));
    ///     let mut first = OwnedMutexGuard::map(mutex.clone().lock_owned().await, |p| &mut p.0);
    ///     *first = 3;
    ///     drop(first);
    ///     assert_eq!(*mutex.lock().await, (3, 2));
    /// }
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value: *mut U = f(&mut *this);
        OwnedMappedMutexGuard {
            value,
            lock: Self::into_lock(this),
        }
    }

    /// As [`map`](OwnedMutexGuard::map), but `f` may decline; then the original guard
    /// comes back in `Err`.
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let value: *mut U = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard {
            value,
            lock: Self::into_lock(this),
        })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    /// Takes the `Arc` out of the guard without unlocking (the permit moves on with
    /// the `Arc` to the caller's new guard).
    fn into_lock(this: Self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again (ManuallyDrop), so reading the
        // `Arc` out moves it rather than duplicating it.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: as for `MutexGuard`: the guard holds the one permit.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `MutexGuard`: the guard holds the one permit.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Access to a part of a [`Mutex`]'s value, made by [`MutexGuard::map`]; dropping it
/// unlocks the mutex.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    /// The locked mutex's semaphore, given its permit back on drop.
    semaphore: &'a ll::Semaphore,
    /// Points into the locked value; valid while the permit is held.
    value: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: the guard is a `&mut T` into the locked value plus a `&Semaphore` (Sync):
// sending it sends `&mut T`, which needs `T: Send`.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: sharing it shares `&T`, which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Maps the guard further; see [`MutexGuard::map`].
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value: *mut U = f(&mut *this);
        let this = ManuallyDrop::new(this);
        MappedMutexGuard {
            semaphore: this.semaphore,
            value,
            _marker: PhantomData,
        }
    }

    /// Maps the guard further if `f` agrees; see [`MutexGuard::try_map`].
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let value: *mut U = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        Ok(MappedMutexGuard {
            semaphore: this.semaphore,
            value,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `value` points into the value of a mutex whose permit this guard
        // holds, so nothing else reaches it until the guard drops.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Access to a part `U` of the value of a [`Mutex<T>`] held by `Arc`, made by
/// [`OwnedMutexGuard::map`]; dropping it unlocks the mutex.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    /// Points into the locked value; valid while the permit is held.
    value: *mut U,
    lock: Arc<Mutex<T>>,
}

// SAFETY: sending the guard sends `&mut U` and the `Arc<Mutex<T>>` (Send + Sync when
// `T: Send`).
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: sharing it shares `&U` and the `Arc<Mutex<T>>`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Maps the guard further; see [`MutexGuard::map`].
    pub fn map<S: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        F: FnOnce(&mut U) -> &mut S,
    {
        let value: *mut S = f(&mut *this);
        OwnedMappedMutexGuard {
            value,
            lock: Self::into_lock(this),
        }
    }

    /// Maps the guard further if `f` agrees; see [`MutexGuard::try_map`].
    ///
    /// # Errors
    ///
    /// The original guard, when `f` returns `None`.
    pub fn try_map<S: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let value: *mut S = match f(&mut *this) {
            Some(value) => value,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard {
            value,
            lock: Self::into_lock(this),
        })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    /// Takes the `Arc` out without unlocking.
    fn into_lock(this: Self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so this moves the `Arc`.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `value` points into the locked value, whose permit this guard holds
        // and whose mutex its `Arc` keeps alive.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::Mutex;
    use crate::loom::{thread, Arc};

    /// Two threads hand the lock back and forth; the value lives in a loom cell, so
    /// loom checks that each holder's writes happen-before the next holder's reads
    /// (the semaphore's release/acquire orderings on both the fast path and the
    /// hand-off through the waiter list).
    #[test]
    fn loom_mutex_excludes_and_orders_holders() {
        loom::model(|| {
            let mutex = Arc::new(Mutex::new(loom::cell::UnsafeCell::new(0usize)));
            let other = mutex.clone();
            let t = thread::spawn(move || {
                let guard = loom::future::block_on(other.lock());
                // SAFETY: the guard holds the lock, so no other access runs now.
                guard.with_mut(|n| unsafe { *n += 1 });
            });
            {
                let guard = loom::future::block_on(mutex.lock());
                // SAFETY: as above.
                guard.with_mut(|n| unsafe { *n += 1 });
            }
            t.join().unwrap();
            let guard = mutex.try_lock().expect("both holders are gone");
            // SAFETY: as above.
            assert_eq!(guard.with(|n| unsafe { *n }), 2);
        });
    }
}
