//! `Builder` settings, `Handle::current` / `try_current`, `block_on` from
//! outside and (refused) from inside a runtime.

mod common;

use common::{panic_message, wait_until, ThreadCounters, HANG_LIMIT};
use magpie::runtime::{Builder, Handle, Runtime};
use std::io;
use std::sync::Arc;
use std::thread;

#[test]
fn zero_worker_threads_is_an_invalid_input_error() {
    let err = Builder::new().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"), "{err}");
}

#[test]
fn zero_max_blocking_threads_is_an_invalid_input_error() {
    let err = Builder::new()
        .worker_threads(1)
        .max_blocking_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("max_blocking_threads"), "{err}");
}

#[test]
fn thread_name_is_visible_inside_tasks_and_blocking_jobs() {
    let rt = Builder::new()
        .worker_threads(2)
        .thread_name("mp-named")
        .build()
        .unwrap();
    let (in_task, in_blocking) = rt.block_on(async {
        let in_task = magpie::spawn(async { thread::current().name().map(str::to_owned) });
        let in_blocking =
            magpie::task::spawn_blocking(|| thread::current().name().map(str::to_owned));
        (in_task.await.unwrap(), in_blocking.await.unwrap())
    });
    assert_eq!(in_task.as_deref(), Some("mp-named"));
    assert_eq!(in_blocking.as_deref(), Some("mp-named"));
}

/// The stack size the calling thread actually got, from pthread.
fn current_stack_size() -> usize {
    // SAFETY: `attr` is initialised by pthread_getattr_np before it is read
    // and destroyed once; all pointers are to live locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        assert_eq!(libc::pthread_getattr_np(libc::pthread_self(), &mut attr), 0);
        let mut size = 0;
        assert_eq!(libc::pthread_attr_getstacksize(&attr, &mut size), 0);
        libc::pthread_attr_destroy(&mut attr);
        size
    }
}

#[test]
fn thread_stack_size_is_applied_to_workers_and_blocking_threads() {
    const STACK: usize = 3 * 1024 * 1024; // above std's 2 MiB default
    let rt = Builder::new()
        .worker_threads(1)
        .thread_stack_size(STACK)
        .build()
        .unwrap();
    let (worker, blocking) = rt.block_on(async {
        let worker = magpie::spawn(async { current_stack_size() }).await.unwrap();
        let blocking = magpie::task::spawn_blocking(current_stack_size)
            .await
            .unwrap();
        (worker, blocking)
    });
    assert!(worker >= STACK, "worker stack is {worker} bytes");
    assert!(
        blocking >= STACK,
        "blocking thread stack is {blocking} bytes"
    );
}

#[test]
fn on_thread_start_and_stop_run_once_per_worker() {
    let counters = ThreadCounters::default();
    let mut builder = Builder::new();
    builder.worker_threads(3);
    counters.install(&mut builder);
    let rt = builder.build().unwrap();
    wait_until("3 workers started", HANG_LIMIT, || counters.started() == 3);
    assert_eq!(counters.stopped(), 0);
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    drop(rt);
    assert_eq!(
        counters.started(),
        3,
        "on_thread_start ran for a thread that is no worker"
    );
    assert_eq!(
        counters.stopped(),
        3,
        "on_thread_stop did not run for every worker before drop returned"
    );
}

#[test]
fn on_thread_start_runs_on_the_new_thread() {
    let names = Arc::new(std::sync::Mutex::new(Vec::new()));
    let names2 = names.clone();
    let rt = Builder::new()
        .worker_threads(2)
        .thread_name("mp-start-cb")
        .on_thread_start(move || {
            names2
                .lock()
                .unwrap()
                .push(thread::current().name().map(str::to_owned));
        })
        .build()
        .unwrap();
    wait_until("2 workers started", HANG_LIMIT, || {
        names.lock().unwrap().len() == 2
    });
    drop(rt);
    for name in names.lock().unwrap().iter() {
        assert_eq!(name.as_deref(), Some("mp-start-cb"));
    }
}

#[test]
fn a_builder_kept_in_a_variable_works_and_builds_twice() {
    let mut builder = Builder::new();
    builder.worker_threads(2);
    builder.thread_name("mp-kept");
    builder.max_blocking_threads(4);
    let first = builder.build().unwrap();
    let second = builder.build().unwrap();
    let name = |rt: &Runtime| {
        rt.block_on(rt.spawn(async { thread::current().name().map(str::to_owned) }))
            .unwrap()
    };
    assert_eq!(name(&first).as_deref(), Some("mp-kept"));
    assert_eq!(name(&second).as_deref(), Some("mp-kept"));
    // Two independent runtimes: dropping one leaves the other working.
    drop(first);
    assert_eq!(second.block_on(second.spawn(async { 2 })).unwrap(), 2);
    let _ = format!("{builder:?}");
}

#[test]
fn builder_default_matches_new() {
    let rt = Builder::default().worker_threads(1).build().unwrap();
    assert_eq!(rt.block_on(async { 3 }), 3);
}

#[test]
#[should_panic(expected = "must be called from the context of a magpie runtime")]
fn handle_current_outside_a_runtime_panics() {
    let _ = Handle::current();
}

#[test]
fn try_current_is_err_outside_and_ok_inside() {
    let err = Handle::try_current().unwrap_err();
    assert!(err.is_missing_context());
    assert!(!err.is_thread_local_destroyed());
    assert!(err.to_string().contains("magpie runtime"), "{err}");

    let rt = common::runtime(2);
    let ok_in_block_on = rt.block_on(async { Handle::try_current().is_ok() });
    let ok_in_task = rt
        .block_on(rt.spawn(async { Handle::try_current().is_ok() }))
        .unwrap();
    let ok_in_blocking = rt
        .block_on(rt.spawn_blocking(|| Handle::try_current().is_ok()))
        .unwrap();
    assert!(ok_in_block_on && ok_in_task && ok_in_blocking);
    // The context ends with block_on.
    assert!(Handle::try_current().is_err());
    {
        let _guard = rt.enter();
        assert!(Handle::try_current().is_ok());
    }
    assert!(Handle::try_current().is_err());
}

#[test]
fn handle_current_inside_a_task_spawns_on_the_same_runtime() {
    let rt = Builder::new()
        .worker_threads(1)
        .thread_name("mp-current")
        .build()
        .unwrap();
    let name = rt
        .block_on(rt.spawn(async {
            let handle = Handle::current();
            handle
                .spawn(async { thread::current().name().map(str::to_owned) })
                .await
                .unwrap()
        }))
        .unwrap();
    assert_eq!(name.as_deref(), Some("mp-current"));
}

#[test]
fn handle_block_on_from_a_plain_thread() {
    let rt = common::runtime(2);
    let handle = rt.handle().clone();
    let handle2 = handle.clone();
    let out = thread::spawn(move || {
        handle2.block_on(async {
            // The context is the handle's runtime: spawn works in here.
            let a = magpie::spawn(async { 20 }).await.unwrap();
            let b = Handle::current().spawn(async { 22 }).await.unwrap();
            a + b
        })
    })
    .join()
    .unwrap();
    assert_eq!(out, 42);
    let _ = format!("{handle:?}");
}

#[test]
fn runtime_block_on_from_several_plain_threads_at_once() {
    let rt = Arc::new(common::runtime(2));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let rt = rt.clone();
            thread::spawn(move || {
                rt.block_on(async move { magpie::spawn(async move { i * 10 }).await.unwrap() })
            })
        })
        .collect();
    let outs: Vec<i32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(outs, vec![0, 10, 20, 30]);
}

const NESTED_MSG: &str = "Cannot start a runtime from within a runtime";

#[test]
fn runtime_block_on_inside_a_task_panics() {
    let rt = common::runtime(2);
    let other = Arc::new(common::runtime(1));
    let other2 = other.clone();
    // On a worker thread, block_on of any runtime (this one's or another's)
    // would block that worker.
    let err = rt
        .block_on(rt.spawn(async move { other2.block_on(async {}) }))
        .unwrap_err();
    let msg = panic_message(err.into_panic().as_ref());
    assert!(msg.contains(NESTED_MSG), "message: {msg}");

    let handle = rt.handle().clone();
    let err = rt
        .block_on(rt.spawn(async move { handle.block_on(async {}) }))
        .unwrap_err();
    let msg = panic_message(err.into_panic().as_ref());
    assert!(msg.contains(NESTED_MSG), "message: {msg}");
    // The runtime and its worker carry on.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    drop(other);
}

#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn block_on_inside_block_on_panics() {
    let rt = common::runtime(1);
    let handle = rt.handle().clone();
    rt.block_on(async move { handle.block_on(async {}) });
}

#[test]
fn a_panicking_block_on_leaves_the_thread_and_runtime_usable() {
    let rt = common::runtime(1);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { panic!("block_on body panics") })
    }))
    .expect_err("the body's panic propagates out of block_on");
    assert_eq!(panic_message(caught.as_ref()), "block_on body panics");
    // The context and the "driving" mark were undone by the unwind.
    assert!(Handle::try_current().is_err());
    assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
    let other = common::runtime(1);
    assert_eq!(other.block_on(async { 3 }), 3);
}
