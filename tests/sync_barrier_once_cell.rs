//! `magpie::sync::{Barrier, OnceCell}` through their public API on magpie's runtime:
//! one leader per barrier generation, a barrier of 0 panics, and a `OnceCell`
//! initialised exactly once by many tasks on two workers, with a cancelled or failed
//! initialiser letting the next one try.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use futures::poll;
use magpie::sync::{Barrier, Notify, OnceCell, SetError};

#[magpie::test(worker_threads = 2)]
async fn one_leader_per_generation() {
    const N: usize = 8;
    const GENERATIONS: usize = 50;
    let barrier = Arc::new(Barrier::new(N));
    let leaders: Arc<Vec<AtomicUsize>> =
        Arc::new((0..GENERATIONS).map(|_| AtomicUsize::new(0)).collect());
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            magpie::spawn(async move {
                for generation in leaders.iter() {
                    if barrier.wait().await.is_leader() {
                        generation.fetch_add(1, SeqCst);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for (i, generation) in leaders.iter().enumerate() {
        assert_eq!(generation.load(SeqCst), 1, "generation {i}");
    }
}

#[magpie::test]
async fn nobody_passes_before_the_last_arrives() {
    let barrier = Barrier::new(3);
    let mut a = pin!(barrier.wait());
    let mut b = pin!(barrier.wait());
    assert!(poll!(a.as_mut()).is_pending());
    assert!(poll!(b.as_mut()).is_pending());
    assert!(barrier.wait().await.is_leader());
    assert!(!a.await.is_leader());
    assert!(!b.await.is_leader());
    // The next generation starts from zero.
    let mut c = pin!(barrier.wait());
    assert!(poll!(c.as_mut()).is_pending());
}

#[test]
fn a_barrier_of_one_always_leads() {
    let barrier = Barrier::new(1);
    for _ in 0..3 {
        assert!(futures::executor::block_on(barrier.wait()).is_leader());
    }
}

#[test]
#[should_panic(expected = "a Barrier must be created for at least one task (n was 0)")]
fn a_barrier_of_zero_panics() {
    let _ = Barrier::new(0);
}

#[magpie::test(worker_threads = 2)]
async fn once_cell_initialises_once_under_concurrency() {
    let cell = Arc::new(OnceCell::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (cell, runs) = (cell.clone(), runs.clone());
            magpie::spawn(async move {
                *cell
                    .get_or_init(|| async move {
                        runs.fetch_add(1, SeqCst);
                        magpie::task::yield_now().await;
                        i
                    })
                    .await
            })
        })
        .collect();
    let mut values = Vec::new();
    for task in tasks {
        values.push(task.await.unwrap());
    }
    assert_eq!(runs.load(SeqCst), 1, "one initialiser ran");
    assert!(
        values.iter().all(|v| *v == values[0]),
        "all saw the same value"
    );
    assert_eq!(cell.get(), Some(&values[0]));
}

#[magpie::test]
async fn a_cancelled_initialiser_lets_the_next_one_try() {
    let cell = OnceCell::new();
    let started = Notify::new();
    {
        let mut first = Box::pin(cell.get_or_init(|| async {
            started.notify_one();
            std::future::pending::<u32>().await
        }));
        let mut second = pin!(cell.get_or_init(|| async { 2 }));
        assert!(poll!(first.as_mut()).is_pending());
        started.notified().await;
        assert!(poll!(second.as_mut()).is_pending(), "waits for the first");
        assert!(cell.set(9).unwrap_err().is_initializing_err());
        drop(first); // cancelled mid-initialisation
        assert_eq!(*second.await, 2);
    }
    assert_eq!(cell.get(), Some(&2));
}

#[magpie::test]
async fn a_failed_initialiser_leaves_the_cell_empty() {
    let cell = OnceCell::new();
    assert_eq!(
        cell.get_or_try_init(|| async { Err("no") }).await,
        Err("no")
    );
    assert!(!cell.initialized());
    let value = cell.get_or_try_init(|| async { Ok::<_, ()>(3) }).await;
    assert_eq!(value, Ok(&3));
}

#[test]
fn set_get_take_and_errors() {
    let mut cell = OnceCell::new();
    assert_eq!(cell.get(), None);
    cell.set(String::from("a")).unwrap();
    let error = cell.set(String::from("b")).unwrap_err();
    assert!(error.is_already_init_err());
    assert_eq!(error.to_string(), "AlreadyInitializedError");
    assert_eq!(error, SetError::AlreadyInitializedError(String::from("b")));
    cell.get_mut().unwrap().push('!');
    assert_eq!(cell.take().as_deref(), Some("a!"));
    assert!(!cell.initialized());
    cell.set(String::from("c")).unwrap();
    assert_eq!(cell.clone().into_inner().as_deref(), Some("c"));
    assert_eq!(OnceCell::from(1), OnceCell::new_with(Some(1)));
    assert_eq!(
        format!("{:?}", OnceCell::<u8>::new()),
        "OnceCell { value: None }"
    );
}

#[test]
fn const_constructors_in_statics() {
    static EMPTY: OnceCell<u32> = OnceCell::const_new();
    static FULL: OnceCell<u32> = OnceCell::const_new_with(4);
    assert_eq!(FULL.get(), Some(&4));
    assert!(FULL.set(5).unwrap_err().is_already_init_err());
    assert_eq!(
        *futures::executor::block_on(FULL.get_or_init(|| async { 6 })),
        4
    );
    assert_eq!(
        *futures::executor::block_on(EMPTY.get_or_init(|| async { 7 })),
        7
    );
}

#[test]
fn the_value_is_dropped_with_the_cell() {
    let value = Arc::new(());
    let cell = OnceCell::new();
    cell.set(value.clone()).unwrap();
    assert_eq!(Arc::strong_count(&value), 2);
    drop(cell);
    assert_eq!(Arc::strong_count(&value), 1);
}
