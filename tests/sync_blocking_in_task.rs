//! The `blocking_*` methods of magpie::sync panic inside an async task or a
//! runtime's `block_on` future, as tokio's do (blocking there would stall the
//! thread that runs the tasks), and work from `spawn_blocking` and plain threads.

use magpie::sync::{mpsc, oneshot, Mutex};
use std::sync::Arc;

#[test]
fn blocking_recv_inside_a_task_panics_with_a_clear_message() {
    let rt = magpie::runtime::Runtime::new().unwrap();
    let (_tx, mut rx) = mpsc::channel::<u32>(1);
    let joined = rt.block_on(async move { magpie::spawn(async move { rx.blocking_recv() }).await });
    let panic = joined.unwrap_err().into_panic();
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or(panic.downcast_ref::<&str>().copied());
    assert!(
        message.is_some_and(|m| m.contains("inside an async task")),
        "unexpected panic: {message:?}"
    );
}

#[test]
#[should_panic(expected = "inside an async task")]
fn blocking_lock_inside_block_on_panics() {
    let rt = magpie::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mutex = Mutex::new(1);
    rt.block_on(async {
        drop(mutex.blocking_lock());
    });
}

#[test]
fn blocking_methods_work_in_spawn_blocking() {
    let rt = magpie::runtime::Runtime::new().unwrap();
    let mutex = Arc::new(Mutex::new(0));
    let (tx, rx) = oneshot::channel();
    let value = rt.block_on(async {
        let lock = mutex.clone();
        let blocking = magpie::task::spawn_blocking(move || {
            *lock.blocking_lock() += 1;
            rx.blocking_recv().unwrap()
        });
        tx.send(41).unwrap();
        blocking.await.unwrap()
    });
    assert_eq!(value + *rt.block_on(mutex.lock()), 42);
}
