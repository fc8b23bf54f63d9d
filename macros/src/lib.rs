//! `#[magpie::main]` and `#[magpie::test]`: the attributes that turn an `async fn` into a
//! program entry point or a test running on a multi-thread magpie runtime.
//!
//! Users reach these through the `magpie` facade (`#[magpie::main]`, `#[magpie::test]`); the
//! generated code names `::magpie::runtime::Builder`, so the `magpie` crate must be a
//! dependency of the crate that uses them. Argument parsing lives in `args`, the expansion in
//! `entry`.
//!
//! It also holds the expansions behind the facade's `select!`, `join!` and `try_join!`
//! (`select`, `join`, `clean_pat`): hidden function-like macros that the facade's
//! `macro_rules!` front ends call with their `$crate`, never meant to be named by users.

#![deny(missing_docs)]

mod args;
mod clean_pat;
mod entry;
mod header;
mod join;
mod select;

use proc_macro::TokenStream;

use entry::{expand_entry, EntryKind};
use join::{expand_join, JoinKind};

/// Runs an `async fn` as the program's entry point on a multi-thread magpie runtime.
///
/// The function is rewritten into a plain `fn` that builds a runtime with
/// `magpie::runtime::Builder::new()` and `block_on`s the function's body. Attributes,
/// visibility and the return type are kept, so `-> Result<(), E>` with `?` works, and a
/// `return` inside the body returns from it.
///
/// # Arguments
/// - `worker_threads = N`: the number of worker threads, a positive integer literal.
///   Without it the builder's default applies (one worker per CPU core).
/// - `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`: the latter
///   builds `Builder::new_current_thread()`, running every task on the calling thread
///   (`worker_threads` is then an error, as in tokio).
///
/// # Examples
/// (Marked `ignore` here because this crate cannot depend on the `magpie` facade; the
/// facade's documentation runs the same examples.)
///
/// ```ignore
/// #[magpie::main]
/// async fn main() {
///     let answer = magpie::spawn(async { 6 * 7 }).await.unwrap();
///     println!("{answer}");
/// }
/// ```
///
/// ```ignore
/// use std::error::Error;
///
/// #[magpie::main(worker_threads = 4)]
/// async fn main() -> Result<(), Box<dyn Error>> {
///     let port: u16 = "8080".parse()?;
///     println!("listening on {port}");
///     Ok(())
/// }
/// ```
///
/// # Compile errors
/// Each points at the offending tokens: a function without `async`, a function with
/// parameters, an unknown argument, and a `worker_threads` value that is not a positive
/// integer literal (including `0`).
///
/// # Panics
/// The generated code panics with "failed to build the magpie runtime" if the runtime cannot
/// be built (for example, the OS refuses to start its threads), and propagates a panic of
/// the body.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_entry(EntryKind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on its own multi-thread magpie runtime.
///
/// The function becomes a `#[test]` whose body is `block_on`ed on a freshly built runtime
/// with 2 worker threads, dropped (shut down) when the test returns. The function's other
/// attributes are kept, so `#[should_panic]` and `#[ignore]` work as on any test; do not add
/// `#[test]` yourself, this attribute already does.
///
/// # Arguments
/// - `worker_threads = N`: the number of worker threads, a positive integer literal
///   (default 2).
/// - `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`, as for `main`.
/// - `start_paused = true`: the test's clock starts paused (`magpie::time::pause`): time
///   moves only by `time::advance`, or jumps to the next timer when every task waits only
///   on timers. Works on both flavors.
///
/// # Examples
/// (Marked `ignore` here because this crate cannot depend on the `magpie` facade; the
/// facade's documentation runs the same examples.)
///
/// ```ignore
/// #[magpie::test]
/// async fn spawned_task_returns_its_value() {
///     assert_eq!(magpie::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
///
/// #[magpie::test(worker_threads = 1)]
/// #[should_panic(expected = "boom")]
/// async fn panics_are_reported() {
///     panic!("boom");
/// }
/// ```
///
/// # Compile errors
/// Each points at the offending tokens: a function without `async`, a function with
/// parameters, an unknown argument, a `worker_threads` value that is not a positive integer
/// literal (including `0`), and an extra `#[test]` attribute.
///
/// # Panics
/// The generated test panics with "failed to build the magpie runtime" if the runtime cannot
/// be built, and propagates a panic of the body (which is what fails the test).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_entry(EntryKind::Test, args.into(), item.into()).into()
}

/// Implementation detail of `magpie::select!`; call that macro instead.
///
/// Input: `($crate) <select! branches>`, where `$crate` is the facade's.
#[doc(hidden)]
#[proc_macro]
pub fn select_priv(input: TokenStream) -> TokenStream {
    select::expand_select(input.into()).into()
}

/// Implementation detail of `magpie::join!`; call that macro instead.
///
/// Input: `($crate) (biased;)? <future expressions>`, where `$crate` is the facade's.
#[doc(hidden)]
#[proc_macro]
pub fn join_priv(input: TokenStream) -> TokenStream {
    expand_join(JoinKind::Join, input.into()).into()
}

/// Implementation detail of `magpie::try_join!`; call that macro instead.
///
/// Input: `($crate) (biased;)? <future expressions>`, where `$crate` is the facade's.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_priv(input: TokenStream) -> TokenStream {
    expand_join(JoinKind::TryJoin, input.into()).into()
}
