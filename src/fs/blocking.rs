//! [`asyncify`]: runs one blocking file-system call on the runtime's blocking pool and
//! turns a failure of the pool itself (the call panicked, or the runtime shut down
//! before it ran) into an `io::Error`, so every `fs` future yields `io::Result`.

use std::io;

use crate::task::{spawn_blocking, JoinError};

/// Runs `f` on the blocking pool and awaits its result.
///
/// # Panics
/// When the returned future is polled outside a magpie runtime.
pub(crate) async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match spawn_blocking(f).await {
        Ok(result) => result,
        Err(error) => Err(join_error(error)),
    }
}

/// The `io::Error` for a blocking file operation that did not return.
pub(crate) fn join_error(error: JoinError) -> io::Error {
    let what = if error.is_panic() {
        "the blocking file-system operation panicked"
    } else {
        "the blocking file-system operation was cancelled (the runtime is shutting down)"
    };
    io::Error::other(what)
}
