//! The thread-local "current reactor": which [`ReactorHandle`] sockets created on this
//! thread register with.
//!
//! The runtime calls [`enter`] on each of its threads (and around `block_on`); sockets
//! look the handle up once, when they are created, and keep it.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use crate::ReactorHandle;

/// The panic message for using a socket with no reactor in context.
const NO_REACTOR: &str = "there is no reactor running: magpie sockets must be created from \
     within a magpie runtime (inside `Runtime::block_on` or a task it runs)";

thread_local! {
    /// This thread's current reactor; only this thread reads or writes it.
    static CURRENT: RefCell<Option<ReactorHandle>> = const { RefCell::new(None) };
    /// How many [`EnterGuard`]s are alive on this thread, to catch out-of-order drops.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Makes `handle` this thread's current reactor until the returned guard drops, which
/// restores the previous one. Calls nest.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let reactor = magpie_io_driver::Reactor::new()?;
/// let _guard = magpie_io_driver::context::enter(&reactor.handle());
/// assert!(magpie_io_driver::context::try_current().is_some());
/// # Ok(()) }
/// ```
pub fn enter(handle: &ReactorHandle) -> EnterGuard {
    let previous = CURRENT.with(|current| current.replace(Some(handle.clone())));
    let depth = DEPTH.with(|depth| {
        depth.set(depth.get() + 1);
        depth.get()
    });
    EnterGuard {
        previous,
        depth,
        _not_send: PhantomData,
    }
}

/// The current thread's reactor, if one was [`enter`]ed.
pub fn try_current() -> Option<ReactorHandle> {
    CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()
}

/// The current thread's reactor.
///
/// # Panics
/// When no reactor is current (outside a magpie runtime).
pub(crate) fn expect_current() -> ReactorHandle {
    try_current().expect(NO_REACTOR)
}

/// Restores the previously current reactor when dropped (see [`enter`]). It belongs to
/// the thread that created it, so it is neither `Send` nor `Sync`.
#[must_use = "the reactor stops being current as soon as the guard is dropped"]
pub struct EnterGuard {
    previous: Option<ReactorHandle>,
    depth: usize,
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    /// # Panics
    /// When guards of one thread are dropped in a different order than they were
    /// created (unless the thread is already panicking).
    fn drop(&mut self) {
        let depth = DEPTH.try_with(|depth| {
            let current = depth.get();
            depth.set(current.saturating_sub(1));
            current
        });
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = self.previous.take());
        if let Ok(depth) = depth {
            if depth != self.depth && !std::thread::panicking() {
                panic!(
                    "magpie reactor context guards dropped out of order: \
                     drop `EnterGuard`s in the reverse order of `context::enter` calls"
                );
            }
        }
    }
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard")
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reactor;

    #[test]
    fn enter_nests_and_restores() {
        let outer = Reactor::new().unwrap();
        let inner = Reactor::new().unwrap();
        assert!(try_current().is_none());
        let outer_guard = enter(&outer.handle());
        assert!(try_current().unwrap().same_reactor(&outer.handle()));
        {
            let _inner_guard = enter(&inner.handle());
            assert!(try_current().unwrap().same_reactor(&inner.handle()));
        }
        assert!(try_current().unwrap().same_reactor(&outer.handle()));
        drop(outer_guard);
        assert!(try_current().is_none());
    }

    #[test]
    #[should_panic(expected = "there is no reactor running")]
    fn expect_current_panics_outside_a_runtime() {
        expect_current();
    }

    #[test]
    #[should_panic(expected = "dropped out of order")]
    fn out_of_order_drop_panics() {
        let reactor = Reactor::new().unwrap();
        let first = enter(&reactor.handle());
        let _second = enter(&reactor.handle());
        drop(first);
    }
}
