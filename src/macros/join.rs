//! `join!` and `try_join!`: the `macro_rules!` front ends and their documentation. The
//! expansion itself is `magpie_macros::join_priv` / `try_join_priv` (see
//! `macros/src/join.rs`).

/// Runs several async expressions concurrently on the current task and waits for all of
/// them, returning a tuple of their outputs in the order written.
///
/// `join!(a, b, c)` is tokio's `join!`: each expression is turned into a future with
/// `IntoFuture` and pinned on the stack (no allocation). Each time the task is polled,
/// every unfinished future is polled once, starting one place further along each time so
/// that none is always first; `join!(biased; a, b)` always starts with the first. A future
/// is dropped as soon as it finishes. `join!()` is `()`.
///
/// Everything runs on the one task, so the futures take turns rather than run in
/// parallel; [`spawn`](crate::spawn) them for parallelism.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[magpie::main(worker_threads = 1)]
/// async fn main() {
///     // The two sleeps overlap: this takes about 50 ms, not 100.
///     let (a, b) = magpie::join!(
///         async {
///             magpie::time::sleep(Duration::from_millis(50)).await;
///             1
///         },
///         async {
///             magpie::time::sleep(Duration::from_millis(50)).await;
///             "two"
///         },
///     );
///     assert_eq!((a, b), (1, "two"));
/// }
/// ```
#[macro_export]
macro_rules! join {
    ($($input:tt)*) => {
        $crate::macros::support::join_priv! { ($crate) $($input)* }
    };
}

/// Like [`join!`], for async expressions whose output is a `Result` with one error type:
/// `Ok` with the tuple of every `Ok` value, or the first `Err` as soon as it appears.
///
/// On an error the other futures are dropped (cancelled) without being polled again, and
/// `try_join!` returns that error. `try_join!(biased; a, b)` polls in the order written,
/// and `try_join!()` is `Ok(())`. Tokio's `try_join!`, renamed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// async fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
///     text.parse()
/// }
///
/// #[magpie::main(worker_threads = 1)]
/// async fn main() {
///     assert_eq!(magpie::try_join!(parse("4"), parse("2")), Ok((4, 2)));
///
///     let failed = magpie::try_join!(parse("x"), async {
///         // Dropped before it ends: the error above settles the result.
///         magpie::time::sleep(Duration::from_secs(60)).await;
///         Ok(0)
///     });
///     assert!(failed.is_err());
/// }
/// ```
#[macro_export]
macro_rules! try_join {
    ($($input:tt)*) => {
        $crate::macros::support::try_join_priv! { ($crate) $($input)* }
    };
}
