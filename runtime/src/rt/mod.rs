//! The runtime itself: `Builder`, `Runtime`, `Handle`, the thread-local
//! context, `block_on`, the driver thread, and the free `spawn` function.

mod block_on;
pub(crate) mod builder;
pub(crate) mod context;
mod driver;
mod handle;
mod runtime;

pub use builder::Builder;
pub use context::{EnterGuard, TryCurrentError};
pub use handle::Handle;
pub use runtime::Runtime;

use crate::task::JoinHandle;
use std::future::Future;

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
/// let rt = magpie_runtime::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let task = magpie_runtime::spawn(async { "hello" });
///     assert_eq!(task.await.unwrap(), "hello");
/// });
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::with_current(|handle| handle.spawn(future)) {
        Ok(join) => join,
        Err(e) => panic!("magpie::spawn: {e}"),
    }
}
