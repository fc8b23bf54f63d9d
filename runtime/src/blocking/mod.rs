//! The blocking pool: `spawn_blocking` runs closures on threads that are not
//! workers, so blocking calls do not stall async tasks.

mod pool;
mod task;

pub(crate) use pool::{BlockingPool, BlockingSpawner, PoolConfig};

use crate::rt::context;
use crate::task::JoinHandle;

/// Runs `f` on the current runtime's blocking pool and returns a handle to
/// its result.
///
/// The pool starts threads on demand, up to `max_blocking_threads` (512 by
/// default); extra calls queue until a thread is free. Idle threads exit
/// after the keep-alive (10 s by default). Aborting the handle cancels `f`
/// only if it has not started; a running closure always finishes.
///
/// # Panics
///
/// Panics when called outside the context of a magpie runtime.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// let n = rt.block_on(async {
///     magpie::task::spawn_blocking(|| (1..=10).sum::<u32>()).await.unwrap()
/// });
/// assert_eq!(n, 55);
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::with_current(|handle| handle.spawn_blocking(f)) {
        Ok(join) => join,
        Err(e) => panic!("{e}"),
    }
}
