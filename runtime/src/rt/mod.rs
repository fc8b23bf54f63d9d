//! The runtime itself: `Builder`, `Runtime`, `Handle`, the thread-local
//! context, `block_on`, the driver the workers poll (and its spin policy),
//! and the free `spawn` function.

mod block_on;
pub(crate) mod builder;
pub(crate) mod context;
mod driver;
mod handle;
mod idle_spin;
mod runtime;

pub use builder::Builder;
pub use context::{EnterGuard, TryCurrentError};
pub use handle::Handle;
pub use runtime::Runtime;

use crate::task::JoinHandle;
use std::future::Future;

/// Futures larger than this many bytes are boxed at the public entry points
/// (`spawn`, `block_on`) before being passed on. In debug builds each
/// by-value move of a future down the call chain is a real copy on the
/// stack, so a future holding a large buffer across an await (512 KiB, say)
/// would overflow a 2 MiB thread stack before reaching the task allocation.
/// The same thresholds as tokio's, so what runs there runs here.
pub(crate) const BOX_FUTURE_THRESHOLD: usize = if cfg!(debug_assertions) {
    2 * 1024
} else {
    16 * 1024
};

/// True when a future of type `F` should be boxed before it moves further.
pub(crate) const fn should_box<F>() -> bool {
    std::mem::size_of::<F>() > BOX_FUTURE_THRESHOLD
}

/// Spawns a future as a new task on the current runtime and returns a
/// handle to its output. The task starts running at once on some worker,
/// whether or not the handle is awaited; dropping the handle detaches it.
///
/// # Panics
///
/// Panics when called outside the context of a magpie runtime (no
/// runtime thread, `block_on` or [`Handle::enter`] guard on this thread).
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let task = magpie::spawn(async { "hello" });
///     assert_eq!(task.await.unwrap(), "hello");
/// });
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if should_box::<F>() {
        spawn_on_current(Box::pin(future))
    } else {
        spawn_on_current(future)
    }
}

fn spawn_on_current<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::with_current(|handle| handle.spawn_task(future)) {
        Ok(join) => join,
        Err(e) => panic!("magpie::spawn: {e}"),
    }
}
