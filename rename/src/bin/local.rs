//! `!Send` tasks: `Rc<RefCell<_>>` state shared by tasks spawned with `spawn_local`
//! on a `LocalSet`, driven both by `LocalSet::block_on` on a current-thread runtime
//! and by `run_until` inside `#[tokio::main(flavor = "current_thread")]`.
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tokio::runtime::Builder;
use tokio::task::{self, LocalSet};

fn with_builder() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let local = LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));

    // Spawned before the set runs: it starts when the set is first driven.
    let early = log.clone();
    local.spawn_local(async move {
        early.borrow_mut().push("early".to_string());
    });

    let total = local.block_on(&rt, async {
        let mut handles = Vec::new();
        for i in 0..5u64 {
            let log = log.clone();
            handles.push(task::spawn_local(async move {
                // Later tasks sleep less, so they finish first.
                tokio::time::sleep(Duration::from_millis(10 * (5 - i))).await;
                log.borrow_mut().push(format!("task {i}"));
                i
            }));
        }
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, 10);
    let log = log.borrow();
    assert_eq!(log[0], "early");
    assert_eq!(
        &log[1..],
        ["task 4", "task 3", "task 2", "task 1", "task 0"]
    );
    println!("block_on: total {total}, log {log:?}");
}

async fn with_run_until() {
    let counter = Rc::new(RefCell::new(0u32));
    let local = LocalSet::new();
    local
        .run_until(async {
            let mut handles = Vec::new();
            for _ in 0..10 {
                let counter = counter.clone();
                handles.push(task::spawn_local(async move {
                    for _ in 0..10 {
                        *counter.borrow_mut() += 1;
                        task::yield_now().await;
                    }
                }));
            }
            for handle in handles {
                handle.await.unwrap();
            }
        })
        .await;
    assert_eq!(*counter.borrow(), 100);
    println!("run_until: counter {}", counter.borrow());

    // Awaiting the set itself runs every task on it to completion.
    let local = LocalSet::new();
    let done = Rc::new(RefCell::new(false));
    let flag = done.clone();
    local.spawn_local(async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        *flag.borrow_mut() = true;
    });
    local.await;
    assert!(*done.borrow());
    println!("awaited set: done {}", done.borrow());

    // A Send task spawned from the same runtime still works alongside.
    let sent = tokio::spawn(async { 6 * 7 }).await.unwrap();
    assert_eq!(sent, 42);
    println!("spawn: {sent}");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // A runtime cannot be started from inside another one's thread.
    std::thread::spawn(with_builder).join().unwrap();
    with_run_until().await;
    println!("done");
}
