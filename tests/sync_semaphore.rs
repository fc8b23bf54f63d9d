//! `magpie::sync::Semaphore` through its public API: FIFO order, cancel safety at
//! every point a waiting acquire can be dropped, close, permit guards, bad input, and
//! the cooperative budget.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

use futures::poll;
use magpie::sync::{AcquireError, Notify, Semaphore, TryAcquireError};

#[magpie::test]
async fn waiters_are_served_in_fifo_order_even_a_big_one_at_the_head() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.acquire().await.unwrap();
    let mut big = pin!(semaphore.acquire_many(2));
    let mut small = pin!(semaphore.acquire());
    assert!(poll!(big.as_mut()).is_pending());
    assert!(poll!(small.as_mut()).is_pending());

    semaphore.add_permits(1);
    // Two permits are free in total now, all of them set aside for the big request.
    assert!(
        poll!(small.as_mut()).is_pending(),
        "the small one must not overtake"
    );
    drop(held);
    let big = big.await.unwrap();
    assert_eq!(big.num_permits(), 2);
    assert!(poll!(small.as_mut()).is_pending());
    drop(big);
    assert_eq!(small.await.unwrap().num_permits(), 1);
    assert_eq!(semaphore.available_permits(), 2);
}

#[magpie::test]
async fn try_acquire_does_not_jump_the_queue() {
    let semaphore = Semaphore::new(1);
    let mut big = pin!(semaphore.acquire_many(2));
    assert!(poll!(big.as_mut()).is_pending());
    assert_eq!(semaphore.available_permits(), 0);
    assert_eq!(
        semaphore.try_acquire().err(),
        Some(TryAcquireError::NoPermits)
    );
}

/// A waiting acquire dropped before its first poll, while queued, while partly served
/// and once fully served but not yet polled: in every case the next waiter gets the
/// permits and none is lost.
#[magpie::test]
async fn a_dropped_acquire_passes_its_place_and_permits_on() {
    let semaphore = Semaphore::new(0);

    // Never polled.
    drop(semaphore.acquire_many(3));

    // Queued, nothing assigned yet.
    {
        let mut waiting = pin!(semaphore.acquire_many(3));
        assert!(poll!(waiting.as_mut()).is_pending());
    }

    // Partly served.
    let mut next = Box::pin(semaphore.acquire());
    {
        let mut waiting = pin!(semaphore.acquire_many(3));
        assert!(poll!(waiting.as_mut()).is_pending());
        assert!(poll!(next.as_mut()).is_pending());
        semaphore.add_permits(2);
        assert!(
            poll!(next.as_mut()).is_pending(),
            "behind the partly served one"
        );
    }
    let permit = next.await.unwrap();
    assert_eq!(semaphore.available_permits(), 1, "2 given back, 1 taken");
    permit.forget();
    assert_eq!(semaphore.forget_permits(1), 1);

    // Fully served but dropped before it saw it.
    let mut next = Box::pin(semaphore.acquire_many(2));
    {
        let mut waiting = pin!(semaphore.acquire_many(2));
        assert!(poll!(waiting.as_mut()).is_pending());
        assert!(poll!(next.as_mut()).is_pending());
        semaphore.add_permits(2);
    }
    assert_eq!(next.await.unwrap().num_permits(), 2);
    assert_eq!(semaphore.available_permits(), 2);
}

#[magpie::test]
async fn aborting_a_task_that_waits_lets_the_next_waiter_in() {
    let semaphore = Arc::new(Semaphore::new(0));
    let queued = Arc::new(Notify::new());
    let first = magpie::spawn({
        let semaphore = semaphore.clone();
        let queued = queued.clone();
        async move {
            let mut acquire = pin!(semaphore.acquire_many(2));
            assert!(poll!(acquire.as_mut()).is_pending());
            queued.notify_one();
            acquire.await.map(|p| p.num_permits())
        }
    });
    queued.notified().await;
    let mut second = pin!(semaphore.acquire());
    assert!(poll!(second.as_mut()).is_pending());
    semaphore.add_permits(1); // set aside for the first waiter
    assert!(poll!(second.as_mut()).is_pending());
    first.abort();
    assert!(first.await.is_err(), "cancelled");
    assert_eq!(second.await.unwrap().num_permits(), 1);
    assert_eq!(semaphore.available_permits(), 1);
}

#[magpie::test]
async fn close_fails_waiters_and_later_acquires() {
    let semaphore = Arc::new(Semaphore::new(0));
    let waiters: Vec<_> = (0..50)
        .map(|_| {
            let semaphore = semaphore.clone();
            magpie::spawn(async move { semaphore.acquire_owned().await.map(|_| ()) })
        })
        .collect();
    // Some may not have queued yet: either way they fail.
    magpie::task::yield_now().await;
    semaphore.close();
    for waiter in waiters {
        assert_eq!(
            waiter.await.unwrap(),
            Err::<(), _>(closed_error(&semaphore).await)
        );
    }
    assert!(semaphore.is_closed());
    assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::Closed));
    // Permits still come back to a closed semaphore.
    semaphore.add_permits(1);
    assert_eq!(semaphore.available_permits(), 1);
    assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::Closed));
}

/// The `AcquireError` a closed semaphore gives.
async fn closed_error(semaphore: &Semaphore) -> AcquireError {
    semaphore.acquire().await.unwrap_err()
}

#[test]
fn errors_display_as_tokio() {
    let semaphore = Semaphore::new(0);
    assert_eq!(
        semaphore.try_acquire().unwrap_err().to_string(),
        "no permits available"
    );
    semaphore.close();
    assert_eq!(
        semaphore.try_acquire().unwrap_err().to_string(),
        "semaphore closed"
    );
    let error = futures::executor::block_on(semaphore.acquire()).unwrap_err();
    assert_eq!(error.to_string(), "semaphore closed");
}

#[test]
fn permits_forget_merge_and_split() {
    let semaphore = Arc::new(Semaphore::new(5));
    let mut permit = semaphore.try_acquire_many(2).unwrap();
    permit.merge(semaphore.try_acquire().unwrap());
    assert_eq!(permit.num_permits(), 3);
    assert!(permit.split(4).is_none());
    let one = permit.split(1).unwrap();
    one.forget();
    drop(permit);
    assert_eq!(semaphore.available_permits(), 4);

    let mut owned = semaphore.clone().try_acquire_many_owned(3).unwrap();
    owned.merge(semaphore.clone().try_acquire_owned().unwrap());
    let split = owned.split(2).unwrap();
    assert!(Arc::ptr_eq(split.semaphore(), &semaphore));
    assert_eq!((owned.num_permits(), split.num_permits()), (2, 2));
    assert_eq!(semaphore.available_permits(), 0);
    drop(split);
    owned.forget();
    assert_eq!(semaphore.available_permits(), 2);
}

#[test]
#[should_panic(expected = "a semaphore may not have more than MAX_PERMITS permits")]
fn more_than_max_permits_panics() {
    let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
}

#[test]
#[should_panic(expected = "would overflow MAX_PERMITS")]
fn adding_past_max_permits_panics() {
    let semaphore = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    semaphore.add_permits(2);
}

#[test]
#[should_panic(expected = "merging permits from different semaphore instances")]
fn merging_permits_of_two_semaphores_panics() {
    let a = Semaphore::new(1);
    let b = Semaphore::new(1);
    let mut permit = a.try_acquire().unwrap();
    permit.merge(b.try_acquire().unwrap());
}

#[test]
fn const_new_in_a_static() {
    static SEMAPHORE: Semaphore = Semaphore::const_new(2);
    let permit = SEMAPHORE.try_acquire_many(2).unwrap();
    assert_eq!(SEMAPHORE.available_permits(), 0);
    drop(permit);
    assert_eq!(SEMAPHORE.available_permits(), 2);
}

/// Acquiring a free semaphore in an endless loop spends the task's budget, so a
/// neighbour spawned on the same (only) worker still runs.
#[magpie::test(worker_threads = 1)]
async fn acquiring_a_free_semaphore_in_a_loop_lets_neighbours_run() {
    let semaphore = Arc::new(Semaphore::new(1));
    let neighbour_ran = Arc::new(AtomicBool::new(false));
    let looper = magpie::spawn({
        let semaphore = semaphore.clone();
        let neighbour_ran = neighbour_ran.clone();
        async move {
            // Without the budget the neighbour would never run; the bound turns that
            // hang into a failure.
            let mut rounds = 0u64;
            while !neighbour_ran.load(SeqCst) && rounds < LOOP_BOUND {
                let _permit = semaphore.acquire().await.unwrap();
                rounds += 1;
            }
            rounds
        }
    });
    let neighbour = magpie::spawn({
        let neighbour_ran = neighbour_ran.clone();
        async move { neighbour_ran.store(true, SeqCst) }
    });
    let rounds = looper.await.unwrap();
    assert!(rounds < LOOP_BOUND, "the neighbour starved");
    neighbour.await.unwrap();
}

/// Rounds a hot loop may take before its neighbour counts as starved; the budget lets
/// the neighbour in after about 128.
const LOOP_BOUND: u64 = 1_000_000;

#[test]
fn blocking_acquire_waits_for_permits_and_for_close() {
    let semaphore = Arc::new(Semaphore::new(0));
    let waiter = std::thread::spawn({
        let semaphore = semaphore.clone();
        move || {
            let permit = semaphore.blocking_acquire_many_owned(2).unwrap();
            let n = permit.num_permits();
            permit.forget();
            n
        }
    });
    semaphore.add_permits(1);
    semaphore.add_permits(1);
    assert_eq!(waiter.join().unwrap(), 2);

    // No permit left: this one waits until the close (or comes after it).
    let waiter = std::thread::spawn({
        let semaphore = semaphore.clone();
        move || semaphore.blocking_acquire().map(|_| ())
    });
    semaphore.close();
    assert!(waiter.join().unwrap().is_err());
}
