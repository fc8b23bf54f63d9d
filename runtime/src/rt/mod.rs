//! The runtime itself: `Builder`, `Runtime`, `Handle`, the thread-local
//! context, `block_on`, and the spawn entry points users call (`spawn`,
//! `spawn_blocking`, `JoinSet`).
//!
//! The top layer: it ties the scheduler, the driver and the blocking pool
//! together and may use every module below it; nothing below uses it.

mod block_on;
mod builder;
mod context;
mod flavor;
mod handle;
mod implicit_local;
mod join_set;
mod metrics;
mod runtime;
mod settle;

pub use builder::Builder;
pub use context::{EnterGuard, TryCurrentError};
pub use handle::Handle;
pub use join_set::JoinSet;
pub use metrics::RuntimeMetrics;
pub use runtime::Runtime;
pub use settle::advance;

use crate::blocking::Mandatory;
use crate::task_core::JoinHandle;
use std::future::Future;
use std::panic::Location;

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

/// True when a future like `future` should be boxed before it moves
/// further (see [`BOX_FUTURE_THRESHOLD`]).
pub(crate) const fn is_large<F>(_future: &F) -> bool {
    std::mem::size_of::<F>() > BOX_FUTURE_THRESHOLD
}

/// `boxed_if_large!(future => expr)` evaluates `expr` with `future` boxed
/// (`Box::pin`) when it is larger than [`BOX_FUTURE_THRESHOLD`], and as it
/// is otherwise: the one place the public entry points make that choice.
macro_rules! boxed_if_large {
    ($future:ident => $body:expr) => {
        if $crate::rt::is_large(&$future) {
            let $future = Box::pin($future);
            $body
        } else {
            $body
        }
    };
}
pub(crate) use boxed_if_large;

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
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let spawned_at = Location::caller();
    boxed_if_large!(future => spawn_on_current(future, spawned_at))
}

fn spawn_on_current<F>(future: F, spawned_at: &'static Location<'static>) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::with_current(|handle| handle.spawn_task(future, spawned_at)) {
        Ok(join) => join,
        Err(e) => panic!("magpie::spawn: {e}"),
    }
}

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
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_blocking_on_current(f, Mandatory::No, Location::caller())
}

/// As [`spawn_blocking`], but a runtime that shuts down before a pool thread
/// took `f` still runs it (on a pool thread, while the shutdown waits for
/// them) instead of cancelling it; like tokio's internal
/// `spawn_mandatory_blocking`, for work whose loss would be silent, such as
/// `magpie::fs::File`'s writes. Once the shutdown has begun, `f` is
/// cancelled (the handle yields a cancelled `JoinError`).
///
/// Not public API: the `magpie` facade reaches it through
/// `magpie_runtime::internal` and does not re-export it.
///
/// # Panics
///
/// Panics when called outside the context of a magpie runtime.
#[track_caller]
pub fn spawn_mandatory_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_blocking_on_current(f, Mandatory::Yes, Location::caller())
}

/// The body of both blocking entry points: queues `f` on the current
/// runtime's pool, panicking outside a runtime.
fn spawn_blocking_on_current<F, R>(
    f: F,
    mandatory: Mandatory,
    spawned_at: &'static Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::with_current(|handle| handle.spawn_blocking_at(f, mandatory, spawned_at)) {
        Ok(join) => join,
        Err(e) => panic!("{e}"),
    }
}

/// Spawns a future that need not be `Send` onto the [`LocalSet`] current on
/// this thread (inside `LocalSet::run_until`, `LocalSet::block_on`, a task of
/// the set, or a `LocalSet::enter` guard), or anywhere on a current-thread
/// runtime (which keeps a set for the thread that runs its `block_on`). The
/// task runs on this thread, while the set is awaited or the runtime's
/// `block_on` runs there.
///
/// [`LocalSet`]: crate::task::LocalSet
///
/// # Panics
///
/// Panics when no `LocalSet` is current on this thread and it is not
/// running a current-thread runtime, with a message that says where to call
/// it instead.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// use std::rc::Rc;
///
/// let rt = magpie::runtime::Builder::new_current_thread().build().unwrap();
/// let local = magpie::task::LocalSet::new();
/// let out = local.block_on(&rt, async {
///     let not_send = Rc::new("local");
///     magpie::task::spawn_local(async move { *not_send }).await.unwrap()
/// });
/// assert_eq!(out, "local");
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::local_set::spawn_local(future)
}
