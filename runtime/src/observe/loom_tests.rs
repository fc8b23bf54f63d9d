//! Loom models of the observability protocols: the stall watchdog's sleep
//! handshake (a worker waking, or coming back from an announced park
//! without sleeping, while the watchdog decides to sleep is never missed)
//! and the seqlock through which the watchdog reads a worker's
//! current poll (the id it reports is always that poll's).
//!
//! Run with the other models:
//! `RUSTFLAGS="--cfg loom -C debug-assertions" cargo test -p magpie-runtime --lib --release loom`.
//! A missed wake-up shows up as loom's deadlock error.

use super::watchdog::{Watchdog, Watched};
use super::worker_stats::WorkerStats;
use crate::task_core::Id;
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use std::panic::Location;
use std::sync::atomic::Ordering::SeqCst;

/// One worker whose only state is whether it is awake.
struct OneWorker {
    awake: AtomicBool,
    stats: WorkerStats,
}

impl Watched for OneWorker {
    fn worker_stats(&self, _worker: usize) -> &WorkerStats {
        &self.stats
    }
    fn num_workers(&self) -> usize {
        1
    }
    fn all_parked(&self) -> bool {
        !self.awake.load(SeqCst)
    }
    fn is_shutdown(&self) -> bool {
        false
    }
    fn set_stalled(&self, _worker: usize, _stalled: bool) {}
}

#[test]
fn loom_watchdog_sees_a_worker_waking_while_it_goes_to_sleep() {
    loom::model(|| {
        let watchdog = Arc::new(Watchdog::new());
        let worker = Arc::new(OneWorker {
            awake: AtomicBool::new(false),
            stats: WorkerStats::new(),
        });
        let waker = {
            let (watchdog, worker) = (watchdog.clone(), worker.clone());
            thread::spawn(move || {
                // As a worker leaving `park`: counted awake, then the call.
                worker.awake.store(true, SeqCst);
                watchdog.worker_awake();
            })
        };
        // Returns only once it saw the worker awake or was woken by it.
        assert!(watchdog.sleep_while_idle(&*worker));
        waker.join().unwrap();
    });
}

/// `worker::park`'s early return: the worker announces its park, its
/// re-check finds work, and it counts itself awake again without sleeping.
/// The watchdog may have seen it parked in between and gone to sleep: that
/// path must wake it too, or a stall right after goes unreported.
#[test]
fn loom_watchdog_sees_a_worker_that_parks_and_finds_work() {
    loom::model(|| {
        let watchdog = Arc::new(Watchdog::new());
        let worker = Arc::new(OneWorker {
            awake: AtomicBool::new(true),
            stats: WorkerStats::new(),
        });
        let parker = {
            let (watchdog, worker) = (watchdog.clone(), worker.clone());
            thread::spawn(move || {
                // `transition_to_parked`, then the re-check finds work:
                // `transition_from_parked` and the call.
                worker.awake.store(false, SeqCst);
                worker.awake.store(true, SeqCst);
                watchdog.worker_awake();
            })
        };
        assert!(watchdog.sleep_while_idle(&*worker));
        parker.join().unwrap();
    });
}

#[test]
fn loom_current_poll_reports_the_running_polls_task() {
    loom::model(|| {
        let stats = Arc::new(WorkerStats::new());
        let a = Id::from_u64(1).unwrap();
        let b = Id::from_u64(2).unwrap();
        let loc_a: &'static Location<'static> = Location::caller();
        let loc_b: &'static Location<'static> = Location::caller();
        let writer = {
            let stats = stats.clone();
            thread::spawn(move || {
                let first = stats.begin_poll(a, loc_a);
                stats.end_poll(first);
                let second = stats.begin_poll(b, loc_b);
                stats.end_poll(second);
            })
        };
        if let Some(poll) = stats.current_poll() {
            match poll.seq {
                1 => assert_eq!(poll.task_id, a),
                3 => assert_eq!(poll.task_id, b),
                seq => panic!("an odd sequence number was expected, got {seq}"),
            }
        }
        writer.join().unwrap();
        assert_eq!(stats.polls(), 2);
    });
}
