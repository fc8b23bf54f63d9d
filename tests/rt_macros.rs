//! `#[magpie::main]` (called directly as a plain function) and
//! `#[magpie::test]`: the runtime they build, its worker count, and return
//! values.

mod common;

use magpie::runtime::Builder;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// The distinct threads that ran tasks of the current runtime, sampled in
/// rounds of briefly blocking tasks (so an idle worker steals some) until
/// `expected` were seen or 5 s passed, then for 3 more rounds to catch any
/// extra thread.
async fn worker_threads_seen(expected: usize) -> HashSet<ThreadId> {
    let mut seen = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut extra_rounds = 3;
    while extra_rounds > 0 {
        if seen.len() >= expected || Instant::now() >= deadline {
            extra_rounds -= 1;
        }
        let handles: Vec<_> = (0..2 * expected + 2)
            .map(|_| {
                magpie::spawn(async {
                    thread::sleep(Duration::from_millis(2));
                    thread::current().id()
                })
            })
            .collect();
        for h in handles {
            seen.insert(h.await.unwrap());
        }
    }
    assert!(
        !seen.contains(&thread::current().id()),
        "a task ran on the block_on thread"
    );
    seen
}

/// Entry points take no arguments: the worker count the next test expects
/// from `main_without_arguments` is passed through here.
static EXPECTED_DEFAULT_WORKERS: AtomicUsize = AtomicUsize::new(0);

#[magpie::main]
async fn main_without_arguments() -> usize {
    worker_threads_seen(EXPECTED_DEFAULT_WORKERS.load(SeqCst))
        .await
        .len()
}

#[magpie::main(worker_threads = 1)]
async fn main_with_one_worker() -> (usize, u32) {
    let seen = worker_threads_seen(1).await.len();
    (seen, magpie::spawn(async { 41 + 1 }).await.unwrap())
}

#[magpie::main(worker_threads = 3)]
async fn main_with_three_workers() -> usize {
    worker_threads_seen(3).await.len()
}

#[magpie::main(worker_threads = 2)]
async fn main_returning_ok() -> Result<u32, std::num::ParseIntError> {
    let n: u32 = "21".parse()?;
    Ok(magpie::spawn(async move { n * 2 }).await.unwrap())
}

#[magpie::main(worker_threads = 2)]
async fn main_returning_err() -> Result<u32, std::num::ParseIntError> {
    let n: u32 = magpie::spawn(async { "not a number".parse() })
        .await
        .unwrap()?;
    Ok(n)
}

#[test]
fn main_without_worker_threads_uses_the_builder_default() {
    // The builder's default worker count, counted exactly through its
    // on_thread_start callback.
    let started = Arc::new(AtomicUsize::new(0));
    let started2 = started.clone();
    let rt = Builder::new()
        .on_thread_start(move || {
            started2.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {});
    drop(rt);
    let default_workers = started.load(SeqCst);
    assert!(default_workers >= 1);
    EXPECTED_DEFAULT_WORKERS.store(default_workers, SeqCst);
    assert_eq!(main_without_arguments(), default_workers);
}

#[test]
fn main_with_worker_threads_1() {
    assert_eq!(main_with_one_worker(), (1, 42));
}

#[test]
fn main_with_worker_threads_3() {
    assert_eq!(main_with_three_workers(), 3);
}

#[test]
fn main_returning_a_result_propagates_errors() {
    assert_eq!(main_returning_ok(), Ok(42));
    assert!(main_returning_err().is_err());
}

#[magpie::test]
async fn test_attribute_defaults_to_2_workers() {
    assert_eq!(worker_threads_seen(2).await.len(), 2);
}

#[magpie::test(worker_threads = 1)]
async fn test_attribute_with_worker_threads_1() {
    assert_eq!(worker_threads_seen(1).await.len(), 1);
}

#[magpie::test]
async fn test_attribute_may_return_a_result() -> Result<(), String> {
    let v = magpie::spawn(async { 5 })
        .await
        .map_err(|e| e.to_string())?;
    if v == 5 {
        Ok(())
    } else {
        Err(format!("got {v}"))
    }
}

#[magpie::test]
#[should_panic(expected = "the body's panic fails the test")]
async fn test_attribute_propagates_a_panic_of_the_body() {
    magpie::task::yield_now().await;
    panic!("the body's panic fails the test");
}

#[magpie::test]
async fn test_attribute_runs_the_body_in_the_runtime_context() {
    assert!(magpie::runtime::Handle::try_current().is_ok());
    assert_eq!(
        magpie::task::try_id(),
        None,
        "the body is not itself a task"
    );
}

#[magpie::test(flavor = "current_thread")]
async fn current_thread_flavor_runs_tasks_on_the_test_thread() {
    let test_thread = std::thread::current().id();
    let task_thread = magpie::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(task_thread, test_thread);
}

#[magpie::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_flavor_spelled_out_runs_tasks_on_workers() {
    let test_thread = std::thread::current().id();
    let task_thread = magpie::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_ne!(task_thread, test_thread);
}
