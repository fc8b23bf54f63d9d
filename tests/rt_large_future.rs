//! Futures with a large state (big local buffers held across an await) are
//! spawned and blocked on without overflowing a thread's stack in debug
//! builds, where every by-value move of the future between the public
//! entry point and the task allocation is a real copy on the stack.
//! tokio passes these same workloads (it boxes futures above a size
//! threshold at its entry points).
//!
//! A stack overflow aborts the whole process, so these tests live in their
//! own binary: a failure here cannot take other tests down with it.

use magpie::runtime::{Builder, Runtime};
use magpie::task;

/// A quarter of the 2 MiB stack Rust gives spawned threads (test threads
/// and runtime workers alike).
const STATE: usize = 512 * 1024;

/// A future whose state holds `STATE` bytes across an await.
async fn large_state() -> usize {
    let buf = [1u8; STATE];
    task::yield_now().await;
    buf.iter().map(|&b| usize::from(b)).sum()
}

fn runtime() -> Runtime {
    Builder::new().worker_threads(1).build().unwrap()
}

#[test]
fn spawn_a_large_future_from_outside_the_runtime() {
    let rt = runtime();
    let handle = rt.spawn(large_state());
    assert_eq!(rt.block_on(handle).unwrap(), STATE);
}

#[test]
fn spawn_a_large_future_from_a_worker() {
    let rt = runtime();
    let outer = rt.spawn(async { magpie::spawn(large_state()).await.unwrap() });
    assert_eq!(rt.block_on(outer).unwrap(), STATE);
}

#[test]
fn block_on_a_large_future() {
    let rt = runtime();
    assert_eq!(rt.block_on(large_state()), STATE);
}

#[test]
fn spawn_a_large_future_through_a_handle_from_a_plain_thread() {
    let rt = runtime();
    let handle = rt.handle().clone();
    let out = std::thread::spawn(move || handle.block_on(handle.spawn(large_state())))
        .join()
        .unwrap();
    assert_eq!(out.unwrap(), STATE);
}

#[test]
fn spawn_a_large_future_into_a_join_set() {
    let rt = runtime();
    let out = rt.block_on(async {
        let mut set = task::JoinSet::new();
        set.spawn(large_state());
        set.join_next().await.unwrap().unwrap()
    });
    assert_eq!(out, STATE);
}
