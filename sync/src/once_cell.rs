//! [`OnceCell`]: a value set at most once, initialised by at most one task at a time.
//!
//! It owns the value slot and the "set" flag; who may initialise is decided by the
//! crate's FIFO batch semaphore with one permit, which is closed once the value is set
//! (so every waiting and later initialiser learns that it is set). It uses
//! `crate::batch_semaphore` and `crate::loom`.

use std::cell::UnsafeCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;

use crate::batch_semaphore as ll;
use crate::loom::{AtomicBool, Ordering};

/// A thread-safe cell written at most once, with async initialisation.
///
/// [`get_or_init`](OnceCell::get_or_init) runs its initialiser in only one task at a
/// time: the others wait (FIFO) and then see the value. If the initialising future is
/// dropped (cancelled) before it finishes, the next waiter runs its own initialiser.
///
/// # Examples
///
/// ```
/// use magpie::sync::OnceCell;
///
/// static ONCE: OnceCell<u32> = OnceCell::const_new();
///
/// #[magpie::main]
/// async fn main() {
///     let value = ONCE.get_or_init(|| async { 1 + 1 }).await;
///     assert_eq!(*value, 2);
/// }
/// ```
pub struct OnceCell<T> {
    /// Shared state: set (Release) once `value` is written, never cleared while
    /// shared; readers load it (Acquire) before reading `value`.
    value_set: AtomicBool,
    /// Written once, by the holder of the semaphore's permit, before `value_set`.
    value: UnsafeCell<MaybeUninit<T>>,
    /// One permit: the right to initialise. Closed once the value is set.
    semaphore: ll::Semaphore,
}

// SAFETY: the value is written once by one task (holding the permit) before
// `value_set` is published, and only read after; sharing the cell shares `&T` (needs
// `T: Sync`) and lets any thread store the value (needs `T: Send`).
unsafe impl<T: Sync + Send> Sync for OnceCell<T> {}

/// The error returned by [`OnceCell::set`]; it hands the value back.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell was already set.
    AlreadyInitializedError(T),
    /// Another task is initialising the cell now.
    InitializingError(T),
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError"),
            SetError::InitializingError(_) => f.write_str("InitializingError"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}

impl<T> SetError<T> {
    /// Whether the cell was already set.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether another task was initialising the cell.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        OnceCell::new_with(Some(value))
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        if self.initialized_mut() {
            // SAFETY: the value was set, and `&mut self` means nobody else reads it;
            // it is dropped exactly once, here.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    pub fn new() -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            semaphore: ll::Semaphore::new(1),
        }
    }

    /// Creates an empty cell in a `const` context (e.g. a `static`).
    #[cfg(not(loom))]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            semaphore: ll::Semaphore::new(1),
        }
    }

    /// Creates a cell holding `value` in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> OnceCell<T> {
        // No permit: with `value_set` true from the start nobody asks for one.
        OnceCell {
            value_set: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            semaphore: ll::Semaphore::new(0),
        }
    }

    /// Creates a cell holding `value` if it is `Some`, or an empty one.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::OnceCell;
    ///
    /// assert_eq!(OnceCell::new_with(Some(1)).get(), Some(&1));
    /// assert_eq!(OnceCell::<u8>::new_with(None).get(), None);
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        let cell = OnceCell::new();
        if let Some(value) = value {
            if cell.set(value).is_err() {
                unreachable!("a new cell is neither set nor being set");
            }
        }
        cell
    }

    /// Whether the value has been set.
    pub fn initialized(&self) -> bool {
        // Acquire: pairs with the Release in `publish`, so the value is visible.
        self.value_set.load(Ordering::Acquire)
    }

    /// As `initialized`, through `&mut self`.
    fn initialized_mut(&mut self) -> bool {
        // Relaxed: `&mut self` excludes every other access.
        self.value_set.load(Ordering::Relaxed)
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: the value is set (seen with Acquire) and never changes while the
            // cell is shared.
            Some(unsafe { self.get_unchecked() })
        } else {
            None
        }
    }

    /// The value, mutably, if set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.initialized_mut() {
            // SAFETY: set, and `&mut self` gives exclusive access.
            Some(unsafe { self.value.get_mut().assume_init_mut() })
        } else {
            None
        }
    }

    /// The value of a set cell.
    ///
    /// # Safety
    ///
    /// The value is set, as seen by an Acquire load of `value_set` on this thread.
    unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: set and published (caller); the value is never written again while
        // the cell is shared, so a shared reference is sound.
        unsafe { (*self.value.get()).assume_init_ref() }
    }

    /// Stores `value` and publishes it; the caller holds the permit, which is kept
    /// out of the semaphore for good, and the semaphore closes so every waiter learns
    /// that the value is set.
    fn publish(&self, value: T) -> &T {
        // SAFETY: only the permit's holder writes, and nobody reads before
        // `value_set` is published below.
        unsafe { (*self.value.get()).write(value) };
        // Release: readers that see `true` (Acquire) see the value written above.
        self.value_set.store(true, Ordering::Release);
        self.semaphore.close();
        // SAFETY: just set and published by this thread.
        unsafe { self.get_unchecked() }
    }

    /// Sets the value if the cell is empty and nobody is initialising it.
    ///
    /// # Errors
    ///
    /// [`SetError::AlreadyInitializedError`] if the cell is set,
    /// [`SetError::InitializingError`] if a `get_or_init` is running; both hand
    /// `value` back.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::OnceCell;
    ///
    /// let cell = OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert!(cell.set(2).unwrap_err().is_already_init_err());
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.semaphore.try_acquire(1) {
            Ok(()) => {
                self.publish(value);
                Ok(())
            }
            Err(ll::TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(ll::TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    /// The value, initialising it with `f().await` first if the cell is empty. Only
    /// one task initialises at a time; the others wait, in order, and get the value.
    ///
    /// # Cancel safety
    ///
    /// If the future running the initialiser is dropped before it finishes, the cell
    /// stays empty and the next waiting task runs its own initialiser.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::OnceCell;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let cell = OnceCell::new();
    ///     assert_eq!(*cell.get_or_init(|| async { 5 }).await, 5);
    ///     assert_eq!(*cell.get_or_init(|| async { 6 }).await, 5);
    /// }
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) })
            .await
        {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_init`](OnceCell::get_or_init), with an initialiser that may fail:
    /// on `Err` the cell stays empty, the error is returned, and the next waiting task
    /// tries.
    ///
    /// # Errors
    ///
    /// The initialiser's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::sync::OnceCell;
    ///
    /// #[magpie::main]
    /// async fn main() {
    ///     let cell = OnceCell::new();
    ///     assert!(cell.get_or_try_init(|| async { Err("no") }).await.is_err());
    ///     assert_eq!(*cell.get_or_try_init(|| async { Ok::<_, ()>(1) }).await.unwrap(), 1);
    /// }
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        if self.semaphore.acquire(1).await.is_err() {
            // Closed: the value was set while we waited. `publish` closes the
            // semaphore after storing `value_set`, and our failed acquire saw that
            // close, so `get` sees the value.
            return Ok(self.get().expect("a closed OnceCell semaphore means set"));
        }
        // We hold the permit: give it back if the initialiser fails or is cancelled.
        let permit = PermitGuard(&self.semaphore);
        match f().await {
            Ok(value) => {
                std::mem::forget(permit);
                Ok(self.publish(value))
            }
            Err(error) => Err(error),
        }
    }

    /// Takes the value out, leaving the cell empty.
    pub fn into_inner(mut self) -> Option<T> {
        if self.initialized_mut() {
            // Relaxed: `&mut self` excludes every other access.
            self.value_set.store(false, Ordering::Relaxed);
            // SAFETY: the value was set; the flag is cleared, so Drop will not drop it
            // again: it is moved out exactly once.
            Some(unsafe { self.value.get_mut().assume_init_read() })
        } else {
            None
        }
    }

    /// Takes the value out, leaving the cell empty (and initialisable again).
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }
}

/// Gives the initialiser's permit back when dropped (initialiser failed or
/// cancelled).
struct PermitGuard<'a>(&'a ll::Semaphore);

impl Drop for PermitGuard<'_> {
    fn drop(&mut self) {
        self.0.release(1);
    }
}
