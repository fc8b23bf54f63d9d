//! Notify workloads, after tokio's `benches/sync_notify.rs`: N tasks (10, 50, 100, 200,
//! 500) wait on one `Notify` in a loop, counting their wakeups, while the bench thread
//! (outside the runtime) calls `notify_one` or `notify_waiters` until 500 wakeups have
//! been counted.

use crate::Harness;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

const WAITERS: [usize; 5] = [10, 50, 100, 200, 500];
/// Wakeups per timed iteration.
const WAKEUPS: usize = 500;

/// Defines the notify workloads on one runtime with that runtime's `sync`.
macro_rules! workloads {
    ($name:ident, $rt:ty, $($sync:ident)::+) => {
        mod $name {
            use super::*;
            use $($sync)::+::Notify;

            /// The `Notify` the waiters wait on, and their count of wakeups.
            pub struct Waiters {
                notify: Arc<Notify>,
                woken: Arc<AtomicUsize>,
            }

            /// Starts `waiters` tasks that wait, count, and wait again, forever (until
            /// the runtime is dropped).
            pub fn start_waiters(rt: &$rt, waiters: usize) -> Waiters {
                let notify = Arc::new(Notify::new());
                let woken = Arc::new(AtomicUsize::new(0));
                for _ in 0..waiters {
                    let notify = notify.clone();
                    let woken = woken.clone();
                    rt.spawn(async move {
                        loop {
                            notify.notified().await;
                            woken.fetch_add(1, Relaxed);
                        }
                    });
                }
                Waiters { notify, woken }
            }

            pub fn notify_one(_rt: &$rt, waiters: &Waiters) {
                waiters.woken.store(0, Relaxed);
                while waiters.woken.load(Relaxed) < WAKEUPS {
                    waiters.notify.notify_one();
                }
            }

            pub fn notify_waiters(_rt: &$rt, waiters: &Waiters) {
                waiters.woken.store(0, Relaxed);
                while waiters.woken.load(Relaxed) < WAKEUPS {
                    waiters.notify.notify_waiters();
                }
            }
        }
    };
}

workloads!(on_magpie, magpie::runtime::Runtime, magpie::sync);
workloads!(on_tokio, tokio::runtime::Runtime, tokio::sync);

/// Registers every notify group.
pub fn register(c: &mut Harness) {
    for waiters in WAITERS {
        pair_with_setup!(
            c,
            format!("notify_one_{waiters}"),
            start_waiters(waiters),
            notify_one
        );
    }
    for waiters in WAITERS {
        pair_with_setup!(
            c,
            format!("notify_waiters_{waiters}"),
            start_waiters(waiters),
            notify_waiters
        );
    }
}
