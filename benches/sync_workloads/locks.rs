//! RwLock and Semaphore workloads, after tokio's `benches/sync_rwlock.rs` and
//! `sync_semaphore.rs`. Each timed iteration is one `block_on`:
//!
//! - `rwlock_read`: 6 read locks taken and released in turn, nobody else around.
//! - `rwlock_read_concurrent`: 6 spawned tasks each take a read lock, awaited.
//! - `rwlock_read_behind_writer`: the caller holds the write lock while it spawns 5
//!   readers, then releases it; the readers queued behind it go through.
//! - `semaphore_uncontended`: 6 permits of 10 acquired and released in turn.
//! - `semaphore_concurrent_uncontended`: 6 spawned tasks each acquire one of 10 permits.
//! - `semaphore_contended`: the same with 5 permits, so one task waits for another.

use crate::Harness;
use std::hint::black_box;
use std::sync::Arc;

/// Lock or acquire operations per iteration (tokio's number).
const TURNS: usize = 6;
const ROOMY_PERMITS: usize = 10;
const SCARCE_PERMITS: usize = 5;

/// Defines the lock workloads on one runtime with that runtime's `sync`.
macro_rules! workloads {
    ($name:ident, $rt:ty, $spawn:path, $($sync:ident)::+) => {
        mod $name {
            use super::*;
            use $($sync)::+::{RwLock, Semaphore};

            pub fn new_rwlock(_rt: &$rt) -> Arc<RwLock<()>> {
                Arc::new(RwLock::new(()))
            }

            async fn read_once(lock: Arc<RwLock<()>>) {
                let guard = lock.read().await;
                black_box(&guard);
            }

            pub fn rwlock_read(rt: &$rt, lock: &Arc<RwLock<()>>) {
                rt.block_on(async {
                    for _ in 0..TURNS {
                        let guard = lock.read().await;
                        black_box(&guard);
                    }
                })
            }

            pub fn rwlock_read_concurrent(rt: &$rt, lock: &Arc<RwLock<()>>) {
                rt.block_on(async {
                    let readers: Vec<_> =
                        (0..TURNS).map(|_| $spawn(read_once(lock.clone()))).collect();
                    for reader in readers {
                        reader.await.unwrap();
                    }
                })
            }

            pub fn rwlock_read_behind_writer(rt: &$rt, lock: &Arc<RwLock<()>>) {
                rt.block_on(async {
                    let writer = lock.write().await;
                    let readers: Vec<_> =
                        (1..TURNS).map(|_| $spawn(read_once(lock.clone()))).collect();
                    drop(writer);
                    for reader in readers {
                        reader.await.unwrap();
                    }
                })
            }

            pub fn new_semaphore(_rt: &$rt, permits: usize) -> Arc<Semaphore> {
                Arc::new(Semaphore::new(permits))
            }

            async fn acquire_once(semaphore: Arc<Semaphore>) {
                let permit = semaphore.acquire().await.expect("never closed");
                black_box(&permit);
            }

            pub fn semaphore_in_turn(rt: &$rt, semaphore: &Arc<Semaphore>) {
                rt.block_on(async {
                    for _ in 0..TURNS {
                        let permit = semaphore.acquire().await.expect("never closed");
                        black_box(&permit);
                    }
                })
            }

            pub fn semaphore_concurrent(rt: &$rt, semaphore: &Arc<Semaphore>) {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..TURNS)
                        .map(|_| $spawn(acquire_once(semaphore.clone())))
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                })
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::spawn,
    magpie::sync
);
workloads!(on_tokio, tokio::runtime::Runtime, tokio::spawn, tokio::sync);

/// Registers every RwLock and Semaphore group.
pub fn register(c: &mut Harness) {
    pair_with_setup!(c, "rwlock_read", new_rwlock(), rwlock_read);
    pair_with_setup!(
        c,
        "rwlock_read_concurrent",
        new_rwlock(),
        rwlock_read_concurrent
    );
    pair_with_setup!(
        c,
        "rwlock_read_behind_writer",
        new_rwlock(),
        rwlock_read_behind_writer
    );
    pair_with_setup!(
        c,
        "semaphore_uncontended",
        new_semaphore(ROOMY_PERMITS),
        semaphore_in_turn
    );
    pair_with_setup!(
        c,
        "semaphore_concurrent_uncontended",
        new_semaphore(ROOMY_PERMITS),
        semaphore_concurrent
    );
    pair_with_setup!(
        c,
        "semaphore_contended",
        new_semaphore(SCARCE_PERMITS),
        semaphore_concurrent
    );
}
