//! Runs the code `#[main]` and `#[test]` generate, against the stand-in `magpie` of
//! `mock_magpie`: worker counts, `return` and `?` in the body, and that `#[should_panic]` and
//! `#[ignore]` survive the rewrite.

extern crate self as magpie;

mod mock_magpie;
pub use mock_magpie::runtime;

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Returns `Pending` once (waking itself from another thread) and then `Ready`, so a body
/// that awaits it really suspends and is resumed by its waker.
struct WokenFromAnotherThread {
    woken: bool,
}

impl Future for WokenFromAnotherThread {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.woken {
            return Poll::Ready(());
        }
        self.woken = true;
        let waker = context.waker().clone();
        std::thread::spawn(move || waker.wake());
        Poll::Pending
    }
}

fn woken_from_another_thread() -> WokenFromAnotherThread {
    WokenFromAnotherThread { woken: false }
}

#[magpie_macros::test]
async fn test_defaults_to_two_workers() {
    woken_from_another_thread().await;
    assert_eq!(runtime::last_built_worker_threads(), Some(Some(2)));
}

#[magpie_macros::test(worker_threads = 5)]
async fn test_passes_worker_threads() {
    assert_eq!(runtime::last_built_worker_threads(), Some(Some(5)));
}

#[magpie_macros::test]
async fn test_may_return_a_result() -> Result<(), std::num::ParseIntError> {
    let parsed: u32 = "12".parse()?;
    woken_from_another_thread().await;
    assert_eq!(parsed, 12);
    Ok(())
}

#[magpie_macros::test(worker_threads = 1)]
#[should_panic(expected = "boom from the body")]
async fn test_keeps_should_panic() {
    woken_from_another_thread().await;
    panic!("boom from the body");
}

/// If `#[ignore]` were lost this test would run under a plain `cargo test`, and fail. It may
/// legitimately run only when ignored tests were asked for.
#[magpie_macros::test]
#[ignore = "checks that #[ignore] survives the rewrite"]
async fn test_keeps_ignore() {
    let ignored_tests_requested =
        std::env::args().any(|arg| arg == "--ignored" || arg == "--include-ignored");
    assert!(
        ignored_tests_requested,
        "an #[ignore]d test ran without --ignored"
    );
}

#[magpie_macros::main]
async fn main_with_default_workers() -> Result<u32, Box<dyn Error>> {
    let parsed: u32 = "41".parse()?;
    woken_from_another_thread().await;
    if parsed > 100 {
        return Err("too big".into());
    }
    Ok(parsed + 1)
}

#[magpie_macros::main]
async fn main_whose_question_mark_fails() -> Result<u32, Box<dyn Error>> {
    let parsed: u32 = "not a number".parse()?;
    Ok(parsed)
}

#[magpie_macros::main(worker_threads = 3)]
async fn main_that_returns_early() -> &'static str {
    woken_from_another_thread().await;
    if std::hint::black_box(true) {
        return "early";
    }
    "late"
}

#[test]
fn main_builds_with_the_builder_default_and_returns_the_body_output() {
    assert_eq!(main_with_default_workers().unwrap(), 42);
    assert_eq!(runtime::last_built_worker_threads(), Some(None));
}

#[test]
fn main_propagates_question_mark_errors() {
    let error = main_whose_question_mark_fails().unwrap_err();
    assert_eq!(error.to_string(), "invalid digit found in string");
}

#[test]
fn main_return_leaves_the_body_and_worker_threads_is_passed() {
    assert_eq!(main_that_returns_early(), "early");
    assert_eq!(runtime::last_built_worker_threads(), Some(Some(3)));
}

/// A user's `const` named like a local the expansion could introduce (`let body = ...`)
/// would turn that binding into a pattern match and break the build; the expansion binds
/// no locals, so this compiles.
#[allow(non_upper_case_globals)]
const body: u8 = 0;

#[magpie_macros::test]
async fn user_items_do_not_clash_with_the_expansion() {
    assert_eq!(body, 0);
}

mod visibility {
    #[magpie_macros::main]
    pub(crate) async fn reachable_from_the_parent() -> u8 {
        7
    }
}

#[test]
fn main_keeps_visibility() {
    assert_eq!(visibility::reachable_from_the_parent(), 7);
}
