//! The one place that picks the crate's low-level synchronisation: std's atomics,
//! parking_lot's mutex and a thin `UnsafeCell` normally; loom's model-checked versions
//! under `--cfg loom`, so the loom models explore every interleaving of the code that
//! uses them. Every other module takes its atomics, locks and cells from here.
//!
//! Both builds share one small API: `Mutex::lock` returns the guard directly (neither
//! parking_lot nor a loom model poisons), and `UnsafeCell` is reached through
//! `with`/`with_mut` closures (loom's shape), so loom can check each access.

#[cfg(loom)]
pub(crate) use ::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

// The models' threads and shared pointers.
#[cfg(all(test, loom))]
pub(crate) use ::loom::{sync::Arc, thread};

#[cfg(not(loom))]
mod imp {
    /// A mutex whose `lock` cannot fail: parking_lot's, which does not poison.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) const fn new(value: T) -> Mutex<T> {
            Mutex(parking_lot::const_mutex(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
    }

    /// `core::cell::UnsafeCell` behind loom's closure-based API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> UnsafeCell<T> {
            UnsafeCell(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared pointer to the value.
        #[allow(dead_code)] // half of loom's API; not every build of the crate reads cells
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a mutable pointer to the value.
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(loom)]
mod imp {
    /// loom's mutex behind the same by-value API as the parking_lot one.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(::loom::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = ::loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Mutex<T> {
            Mutex(::loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .expect("loom mutexes are not poisoned in a passing model")
        }
    }

    pub(crate) use ::loom::cell::UnsafeCell;
}

pub(crate) use imp::{Mutex, MutexGuard, UnsafeCell};
