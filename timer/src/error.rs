//! Errors of `magpie::time`.

use std::fmt;
use std::io;

/// The error of a [`Timeout`](crate::Timeout) whose deadline passed before its future completed.
///
/// It converts into an [`io::Error`] of kind [`TimedOut`](io::ErrorKind::TimedOut), so `?` works
/// in functions that return `io::Result`.
///
/// # Examples
/// ```
/// use magpie::time::{error::Elapsed, timeout, Duration};
///
/// async fn wait_for_peer() -> std::io::Result<()> {
///     timeout(Duration::from_millis(10), std::future::pending::<()>()).await?;
///     Ok(())
/// }
///
/// #[magpie::main]
/// async fn main() {
///     let elapsed: Elapsed = timeout(Duration::from_millis(1), std::future::pending::<()>())
///         .await
///         .unwrap_err();
///     assert_eq!(elapsed.to_string(), "deadline has elapsed");
///
///     let error = wait_for_peer().await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    /// An error of kind [`io::ErrorKind::TimedOut`].
    fn from(elapsed: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_displays_and_converts_to_a_timed_out_io_error() {
        let elapsed = Elapsed::new();
        assert_eq!(elapsed.to_string(), "deadline has elapsed");
        let error: io::Error = elapsed.into();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(error.to_string(), "deadline has elapsed");
        let source: &dyn std::error::Error = &elapsed;
        assert!(source.source().is_none());
    }
}
