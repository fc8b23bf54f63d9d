//! `select!`: the `macro_rules!` front end and its documentation. The expansion itself is
//! `magpie_macros::select_priv` (see `macros/src/select.rs`); the random start comes from
//! `support::thread_rng_n`, the panic from `support::all_branches_disabled`.

/// Waits on several async expressions at once, on the current task, and runs the handler
/// of the first one whose output matches its pattern; the others are cancelled (dropped).
///
/// The grammar and behaviour are tokio's `select!`, so code written for it works after
/// renaming the crate:
///
/// ```text
/// magpie::select! {
///     biased;                                                  // optional
///     <pattern> = <async expression> (, if <precondition>)? => <handler>,
///     ...                                                      // 1 to 64 branches
///     else => <expression>                                     // optional
/// }
/// ```
///
/// A handler that is a `{ block }` needs no comma after it. The whole `select!` is an
/// expression whose value is the handler's (or `else`'s), so every handler must have the
/// same type.
///
/// # What happens, step by step
///
/// 1. Every `if <precondition>` is evaluated, in order. A branch whose precondition is
///    `false` is *disabled* for this call.
/// 2. Every `<async expression>` is evaluated, in order, disabled branches included, and
///    turned into a future with `IntoFuture`. The futures live on the stack of the
///    current task (no allocation); a disabled branch's future is never polled.
/// 3. The enabled futures are polled. Each time the task is polled, the first branch to try
///    is picked at random, and the others follow in order, wrapping around; with `biased;`
///    it is always the first branch, so earlier branches take priority.
/// 4. When a future completes, its branch is disabled and its output is tested against its
///    `<pattern>`. On a match, that branch wins. Otherwise the output is dropped and the
///    other branches keep being polled: a `Some(msg) = rx.recv()` on a closed channel
///    stops taking part instead of winning, or spinning, with `None`.
/// 5. When a branch wins, all the futures (the winner's included) are dropped, and *then*
///    its `<handler>` runs, with the pattern's bindings in scope.
/// 6. If every branch is disabled, the `else` expression is the result; without `else`,
///    `select!` panics (see below).
///
/// Completed futures are never polled again within one call, so no `.fuse()` is needed, and
/// a `select!` inside a loop starts afresh each time round: new futures, every branch
/// enabled again.
///
/// The handlers are not inside any closure: `return`, `?`, `break` and `continue` in a
/// handler act on the function or loop around the `select!`. Before polling its branches,
/// `select!` checks the task's cooperative budget, so a loop whose branches are always
/// ready still lets the worker run other tasks now and then.
///
/// Only the branches run concurrently, all on the current task; to run something in
/// parallel, [`spawn`](crate::spawn) it and select on its `JoinHandle`.
///
/// # Cancellation
///
/// A losing future is dropped wherever it stopped. Selecting on an operation in a loop is
/// only lossless if dropping it before completion loses nothing (a channel receive does
/// not; a half-finished `read_exact` does).
///
/// # Panics
///
/// With every branch disabled and no `else` branch, `select!` panics with "all branches are
/// disabled and there is no else branch". Add `else => ...` whenever all the preconditions
/// can be false, or every pattern can fail, together.
///
/// # Examples
///
/// The first to finish wins; the other future is dropped:
///
/// ```
/// use std::time::Duration;
///
/// #[magpie::main(worker_threads = 1)]
/// async fn main() {
///     let slow = magpie::time::sleep(Duration::from_secs(60));
///     let quick = async { 7 };
///     let got = magpie::select! {
///         _ = slow => 0,
///         n = quick => n * 6,
///     };
///     assert_eq!(got, 42);
/// }
/// ```
///
/// A loop over two sources with a precondition, a pattern that disables a finished
/// source, and `else` once both are exhausted:
///
/// ```
/// use futures::StreamExt;
///
/// #[magpie::main(worker_threads = 1)]
/// async fn main() {
///     let mut numbers = futures::stream::iter(vec![1, 2, 3]);
///     let mut words = futures::stream::iter(vec!["a", "b"]);
///     let (mut sum, mut seen) = (0, String::new());
///     loop {
///         magpie::select! {
///             Some(n) = numbers.next() => sum += n,
///             Some(w) = words.next(), if seen.len() < 10 => seen.push_str(w),
///             else => break,
///         }
///     }
///     assert_eq!((sum, seen.len()), (6, 2));
/// }
/// ```
///
/// `biased;` polls in the order written, so here the first branch always wins:
///
/// ```
/// #[magpie::main(worker_threads = 1)]
/// async fn main() {
///     for _ in 0..100 {
///         let first = magpie::select! {
///             biased;
///             _ = async {} => true,
///             _ = async {} => false,
///         };
///         assert!(first);
///     }
/// }
/// ```
#[macro_export]
macro_rules! select {
    ($($input:tt)*) => {
        $crate::macros::support::select_priv! { ($crate) $($input)* }
    };
}
