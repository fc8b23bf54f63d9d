//! `magpie::sync::{Mutex, RwLock}` through their public API: exclusion, FIFO fairness,
//! cancel safety of a waiting `lock`/`read`/`write`, owned and mapped guards, the
//! blocking methods, bad input and the cooperative budget.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

use futures::poll;
use magpie::sync::{
    Mutex, MutexGuard, OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockReadGuard, RwLockWriteGuard,
};

#[magpie::test]
async fn mutex_excludes_across_many_tasks() {
    let counter = Arc::new(Mutex::new(0u64));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let counter = counter.clone();
            magpie::spawn(async move {
                for _ in 0..1000 {
                    let mut guard = counter.lock().await;
                    let seen = *guard;
                    magpie::task::yield_now().await; // held across an await
                    *guard = seen + 1;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*counter.lock().await, 8000);
}

#[magpie::test]
async fn mutex_waiters_get_the_lock_in_fifo_order() {
    let mutex = Mutex::new(Vec::new());
    let held = mutex.lock().await;
    let mut a = pin!(mutex.lock());
    let mut b = pin!(mutex.lock());
    let mut c = pin!(mutex.lock());
    assert!(poll!(a.as_mut()).is_pending());
    assert!(poll!(b.as_mut()).is_pending());
    assert!(poll!(c.as_mut()).is_pending());
    drop(held);
    // Only the head was handed the lock, however they are polled.
    assert!(poll!(c.as_mut()).is_pending());
    assert!(poll!(b.as_mut()).is_pending());
    let mut guard = a.await;
    guard.push('a');
    drop(guard);
    assert!(poll!(c.as_mut()).is_pending());
    b.await.push('b');
    c.await.push('c');
    assert_eq!(*mutex.lock().await, vec!['a', 'b', 'c']);
}

/// A `lock()` future dropped before its first poll, while queued, and after the lock
/// was handed to it but before it saw that: the lock always reaches the next waiter.
#[magpie::test]
async fn a_dropped_lock_future_passes_the_lock_on() {
    let mutex = Mutex::new(0);
    let held = mutex.lock().await;
    drop(mutex.lock()); // never polled
    let mut next = Box::pin(mutex.lock());
    {
        let mut queued = pin!(mutex.lock());
        assert!(poll!(queued.as_mut()).is_pending());
        assert!(poll!(next.as_mut()).is_pending());
    } // dropped while queued, ahead of `next`
    let mut last = Box::pin(mutex.lock());
    assert!(poll!(last.as_mut()).is_pending());
    drop(held);
    drop(next); // it had been handed the lock: it passes it on
    *last.await += 1;
    assert_eq!(*mutex.try_lock().unwrap(), 1, "free again");
}

#[magpie::test]
async fn aborting_a_task_waiting_for_a_mutex_lets_the_next_in() {
    let mutex = Arc::new(Mutex::new(()));
    let held = mutex.clone().lock_owned().await;
    let waiter = magpie::spawn({
        let mutex = mutex.clone();
        async move {
            let _guard = mutex.lock().await;
        }
    });
    magpie::task::yield_now().await;
    waiter.abort();
    let _ = waiter.await;
    drop(held);
    assert!(mutex.try_lock().is_ok());
}

#[test]
fn try_lock_and_its_error() {
    let mutex = Mutex::new(1);
    let guard = mutex.try_lock().unwrap();
    let error = mutex.try_lock().unwrap_err();
    assert_eq!(error.to_string(), "operation would block");
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
    drop(guard);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 1 }");
    let mutex = Arc::new(mutex);
    let owned = mutex.clone().try_lock_owned().unwrap();
    assert!(mutex.clone().try_lock_owned().is_err());
    assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&owned), &mutex));
}

#[magpie::test]
async fn mapped_guards_reach_a_part_and_unlock_on_drop() {
    let mutex = Arc::new(Mutex::new((1, String::from("a"))));
    let mut text = MutexGuard::map(mutex.lock().await, |pair| &mut pair.1);
    text.push('b');
    assert!(mutex.try_lock().is_err(), "still locked");
    drop(text);
    let guard = mutex.lock().await;
    let guard = match MutexGuard::try_map(guard, |_| None::<&mut u8>) {
        Ok(_) => panic!("declined"),
        Err(guard) => guard,
    };
    assert_eq!(guard.1, "ab");
    drop(guard);

    let owned = OwnedMutexGuard::map(mutex.clone().lock_owned().await, |pair| &mut pair.0);
    let mut owned = magpie::spawn(async move {
        // The owned mapped guard moves into another task.
        let mut owned = owned;
        *owned += 1;
        owned
    })
    .await
    .unwrap();
    *owned += 1;
    drop(owned);
    assert_eq!(mutex.lock().await.0, 3);
}

#[test]
fn blocking_lock_from_plain_threads() {
    let mutex = Arc::new(Mutex::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mutex = mutex.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    *mutex.blocking_lock() += 1;
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(*mutex.clone().blocking_lock_owned(), 400);
    let mutex = Arc::try_unwrap(mutex).unwrap();
    assert_eq!(mutex.into_inner(), 400);
}

#[test]
fn get_mut_into_inner_and_const_new() {
    static LOCK: Mutex<u32> = Mutex::const_new(7);
    assert_eq!(*LOCK.try_lock().unwrap(), 7);
    let mut mutex = Mutex::new(vec![1]);
    mutex.get_mut().push(2);
    assert_eq!(mutex.into_inner(), vec![1, 2]);
}

/// Locking an uncontended mutex in an endless loop spends the task's budget, so a
/// neighbour spawned on the same (only) worker still runs.
#[magpie::test(worker_threads = 1)]
async fn locking_a_free_mutex_in_a_loop_lets_neighbours_run() {
    let mutex = Arc::new(Mutex::new(0u64));
    let neighbour_ran = Arc::new(AtomicBool::new(false));
    let looper = magpie::spawn({
        let mutex = mutex.clone();
        let neighbour_ran = neighbour_ran.clone();
        async move {
            // Without the budget the neighbour would never run; the bound turns that
            // hang into a failure.
            let mut rounds = 0u64;
            while !neighbour_ran.load(SeqCst) && rounds < LOOP_BOUND {
                *mutex.lock().await += 1;
                rounds += 1;
            }
            rounds
        }
    });
    let neighbour = magpie::spawn({
        let neighbour_ran = neighbour_ran.clone();
        async move { neighbour_ran.store(true, SeqCst) }
    });
    assert!(looper.await.unwrap() < LOOP_BOUND, "the neighbour starved");
    neighbour.await.unwrap();
}

/// As above for `RwLock::read`.
#[magpie::test(worker_threads = 1)]
async fn reading_a_free_rwlock_in_a_loop_lets_neighbours_run() {
    let lock = Arc::new(RwLock::new(0u64));
    let neighbour_ran = Arc::new(AtomicBool::new(false));
    let looper = magpie::spawn({
        let lock = lock.clone();
        let neighbour_ran = neighbour_ran.clone();
        async move {
            let mut rounds = 0u64;
            while !neighbour_ran.load(SeqCst) && rounds < LOOP_BOUND {
                let _ = *lock.read().await;
                rounds += 1;
            }
            rounds
        }
    });
    let neighbour = magpie::spawn({
        let neighbour_ran = neighbour_ran.clone();
        async move { neighbour_ran.store(true, SeqCst) }
    });
    assert!(looper.await.unwrap() < LOOP_BOUND, "the neighbour starved");
    neighbour.await.unwrap();
}

/// Rounds a hot loop may take before its neighbour counts as starved; the budget lets
/// the neighbour in after about 128.
const LOOP_BOUND: u64 = 1_000_000;

#[magpie::test]
async fn rwlock_readers_share_and_a_writer_excludes() {
    let lock = RwLock::new(1);
    let r1 = lock.read().await;
    let r2 = lock.read().await;
    assert_eq!(*r1 + *r2, 2);
    assert!(lock.try_write().is_err());
    drop((r1, r2));
    let mut w = lock.write().await;
    assert!(lock.try_read().is_err());
    *w = 5;
    drop(w);
    assert_eq!(*lock.read().await, 5);
}

/// Fair, FIFO: readers that come after a waiting writer wait behind it, and the
/// writer gets the lock once the readers before it are done.
#[magpie::test]
async fn rwlock_readers_queue_behind_a_waiting_writer() {
    let lock = RwLock::new(0);
    let early_reader = lock.read().await;
    let mut writer = pin!(lock.write());
    assert!(poll!(writer.as_mut()).is_pending());
    let mut late_reader = pin!(lock.read());
    assert!(
        poll!(late_reader.as_mut()).is_pending(),
        "behind the writer"
    );
    assert!(lock.try_read().is_err());
    drop(early_reader);
    assert!(poll!(late_reader.as_mut()).is_pending());
    let mut w = writer.await;
    *w = 1;
    drop(w);
    assert_eq!(*late_reader.await, 1);
}

#[magpie::test]
async fn a_dropped_waiting_writer_lets_the_readers_behind_it_in() {
    let lock = RwLock::new(0);
    let reader = lock.read().await;
    let mut late_reader = pin!(lock.read());
    {
        let mut writer = pin!(lock.write());
        assert!(poll!(writer.as_mut()).is_pending());
        assert!(poll!(late_reader.as_mut()).is_pending());
    } // cancelled with all but one read permit set aside for it
    assert_eq!(*late_reader.await, 0);
    drop(reader);
    assert!(lock.try_write().is_ok(), "every permit came back");
}

#[magpie::test]
async fn rwlock_guards_map_downgrade_and_own() {
    let lock = Arc::new(RwLock::new((1, 2)));
    let mut w = RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.0);
    *w = 10;
    let r = w.downgrade();
    assert_eq!(*r, 10);
    assert_eq!(
        lock.try_read().unwrap().1,
        2,
        "readers may join a downgraded guard"
    );
    assert!(lock.try_write().is_err());
    drop(r);

    let r = RwLockReadGuard::map(lock.read().await, |pair| &pair.1);
    assert_eq!(*r, 2);
    assert!(RwLockReadGuard::try_map(r, |_| None::<&u8>).is_err());

    let mut ow = lock.clone().write_owned().await;
    ow.1 = 20;
    let or = OwnedRwLockWriteGuard::downgrade(ow);
    let or = OwnedRwLockReadGuard::map(or, |pair| &pair.1);
    let seen = magpie::spawn(async move { *or }).await.unwrap();
    assert_eq!(seen, 20);
    let om = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |p| &mut p.0);
    assert!(lock.try_read().is_err());
    drop(om);
    let _r = lock.clone().try_read_owned().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: (10, 20) }");
}

#[test]
fn rwlock_with_max_readers_and_blocking_methods() {
    let lock = Arc::new(RwLock::with_max_readers(0, 2));
    let r1 = lock.try_read().unwrap();
    let r2 = lock.try_read().unwrap();
    assert!(lock.try_read().is_err(), "only two readers");
    drop((r1, r2));
    let other = lock.clone();
    std::thread::spawn(move || *other.blocking_write() = 3)
        .join()
        .unwrap();
    assert_eq!(*lock.blocking_read(), 3);
    let mut lock = Arc::try_unwrap(lock).unwrap();
    *lock.get_mut() += 1;
    assert_eq!(lock.into_inner(), 4);
}

#[test]
#[should_panic(expected = "a RwLock may not be created with more than")]
fn too_many_max_readers_panics() {
    let _ = RwLock::with_max_readers((), u32::MAX);
}

#[magpie::test]
async fn write_guards_downgrade_map_and_into_mapped() {
    let lock = Arc::new(RwLock::new((1, 2)));
    let w = lock.write().await;
    let w = match RwLockWriteGuard::try_downgrade_map(w, |_| None::<&u8>) {
        Ok(_) => panic!("declined"),
        Err(w) => w,
    };
    assert!(
        lock.try_read().is_err(),
        "still writing after a declined downgrade"
    );
    let first = RwLockWriteGuard::downgrade_map(w, |pair| &pair.0);
    assert_eq!(*first, 1);
    assert_eq!(lock.try_read().unwrap().1, 2, "readers join");
    drop(first);

    let mut whole = RwLockWriteGuard::into_mapped(lock.write().await);
    whole.1 = 3;
    drop(whole);

    let ow = lock.clone().write_owned().await;
    let second = OwnedRwLockWriteGuard::try_downgrade_map(ow, |pair| Some(&pair.1)).unwrap();
    assert_eq!(*second, 3);
    assert!(lock.try_write().is_err());
    drop(second);
    let mut whole = OwnedRwLockWriteGuard::into_mapped(lock.clone().write_owned().await);
    whole.0 = 4;
    drop(whole);
    let first = OwnedRwLockWriteGuard::downgrade_map(lock.clone().write_owned().await, |p| &p.0);
    assert_eq!(*first, 4);
    drop(first);
    assert!(lock.try_write().is_ok(), "every permit came back");
}
