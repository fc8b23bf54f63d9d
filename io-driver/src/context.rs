//! The thread-local "current reactor": which [`ReactorHandle`] sockets created on this
//! thread register with, and the runtime's hook for running a closure on its blocking
//! pool (host name lookups use it; this crate has no threads of its own).
//!
//! The runtime calls [`enter_with_blocking`] (or [`enter`], without a pool) on each of
//! its threads (and around `block_on`); sockets look the handle up once, when they are
//! created, and keep it.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::ReactorHandle;

/// The panic message for using a socket with no reactor in context.
const NO_REACTOR: &str = "there is no reactor running: magpie sockets must be created from \
     within a magpie runtime (inside `Runtime::block_on` or a task it runs)";

thread_local! {
    /// This thread's current reactor; only this thread reads or writes it.
    static CURRENT: RefCell<Option<ReactorHandle>> = const { RefCell::new(None) };
    /// This thread's way onto a blocking pool, entered together with [`CURRENT`].
    static BLOCKING: RefCell<Option<SpawnBlocking>> = const { RefCell::new(None) };
    /// How many [`EnterGuard`]s are alive on this thread, to catch out-of-order drops.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// A runtime's way of running a closure on its blocking pool: it must run the closure
/// on a thread where blocking is fine (never a thread that drives tasks), or drop it
/// unrun if the pool has shut down. Dropping it unrun is safe: whoever waits for its
/// result gets an `io::Error` instead.
pub type SpawnBlocking = Arc<dyn Fn(Box<dyn FnOnce() + Send>) + Send + Sync>;

/// Makes `handle` this thread's current reactor until the returned guard drops, which
/// restores the previous one. Calls nest. No blocking pool comes with it: resolving a
/// host name in this context panics (IP addresses work); see [`enter_with_blocking`].
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let reactor = magpie_io_driver::Reactor::new()?;
/// let _guard = magpie_io_driver::context::enter(&reactor.handle());
/// assert!(magpie_io_driver::context::try_current().is_some());
/// # Ok(()) }
/// ```
pub fn enter(handle: &ReactorHandle) -> EnterGuard {
    enter_inner(handle, None)
}

/// Like [`enter`], and also makes `spawn_blocking` the way this thread runs host name
/// lookups (`TcpStream::connect("localhost:80")`, `lookup_host`) off the thread.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use magpie_io_driver::context;
/// use std::sync::Arc;
///
/// let reactor = magpie_io_driver::Reactor::new()?;
/// // A runtime passes its blocking pool; a new thread per job works too.
/// let spawn_blocking: context::SpawnBlocking = Arc::new(|job| {
///     std::thread::spawn(job);
/// });
/// let _guard = context::enter_with_blocking(&reactor.handle(), spawn_blocking);
/// assert!(context::try_current().is_some());
/// # Ok(()) }
/// ```
pub fn enter_with_blocking(handle: &ReactorHandle, spawn_blocking: SpawnBlocking) -> EnterGuard {
    enter_inner(handle, Some(spawn_blocking))
}

fn enter_inner(handle: &ReactorHandle, spawn_blocking: Option<SpawnBlocking>) -> EnterGuard {
    let previous = CURRENT.with(|current| current.replace(Some(handle.clone())));
    let previous_blocking = BLOCKING.with(|blocking| blocking.replace(spawn_blocking));
    let depth = DEPTH.with(|depth| {
        depth.set(depth.get() + 1);
        depth.get()
    });
    EnterGuard {
        previous,
        previous_blocking,
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

/// This thread's way onto a blocking pool, if the runtime gave one.
pub(crate) fn spawn_blocking() -> Option<SpawnBlocking> {
    BLOCKING
        .try_with(|blocking| blocking.borrow().clone())
        .ok()
        .flatten()
}

/// Restores the previously current reactor when dropped (see [`enter`]). It belongs to
/// the thread that created it, so it is neither `Send` nor `Sync`.
#[must_use = "the reactor stops being current as soon as the guard is dropped"]
pub struct EnterGuard {
    previous: Option<ReactorHandle>,
    previous_blocking: Option<SpawnBlocking>,
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
        let _ =
            BLOCKING.try_with(|blocking| *blocking.borrow_mut() = self.previous_blocking.take());
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
    fn the_blocking_hook_is_entered_and_restored_with_the_reactor() {
        let reactor = Reactor::new().unwrap();
        assert!(spawn_blocking().is_none());
        let hook: SpawnBlocking = Arc::new(|job| job());
        let outer = enter_with_blocking(&reactor.handle(), hook.clone());
        assert!(Arc::ptr_eq(&spawn_blocking().unwrap(), &hook));
        {
            let _inner = enter(&reactor.handle());
            assert!(spawn_blocking().is_none());
        }
        assert!(Arc::ptr_eq(&spawn_blocking().unwrap(), &hook));
        drop(outer);
        assert!(spawn_blocking().is_none());
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
