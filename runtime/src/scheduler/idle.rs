//! `Idle`: which workers are asleep and how many are searching for work, so
//! that new work wakes exactly one sleeper, and only when no awake worker
//! would find it anyway.
//!
//! `state` packs the number of unparked workers (high half) and of searching
//! workers (low half). Written by workers when they start/stop searching and
//! park/unpark, and by notifiers when they wake a sleeper on its behalf;
//! read by every notifier. `sleepers` (the indices of parked workers) is
//! guarded by its mutex, and every change of the unparked count happens
//! under that mutex too, so the two always agree.

use crate::sync::{fence, AtomicUsize, Mutex};
use std::sync::atomic::Ordering::SeqCst;

const SEARCH_MASK: usize = 0xffff;
const UNPARK_ONE: usize = 1 << 16;

pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> 16
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many worker threads");
        Idle {
            state: AtomicUsize::new(num_workers * UNPARK_ONE),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// Work was just made available (pushed to a queue). Returns the index
    /// of a sleeping worker the caller must unpark, if one is needed: none
    /// when a worker is already searching (it will find the work, and the
    /// last searcher to find work wakes the next) or when nobody sleeps.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // SeqCst fence: orders the caller's queue push before this read, so
        // either we see a worker's park (and wake it) or its re-check after
        // parking sees our work. Pairs with the fence in `transition_to_parked`.
        fence(SeqCst);
        if !self.notify_needed(self.state.load(SeqCst)) {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        // Re-check under the lock: another notifier may have won.
        if !self.notify_needed(self.state.load(SeqCst)) {
            return None;
        }
        let worker = sleepers.pop()?;
        // The woken worker starts out unparked and searching.
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(worker)
    }

    fn notify_needed(&self, state: usize) -> bool {
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// A worker with nothing to run wants to steal. Returns false (do not
    /// search) when enough workers already are: about half the pool.
    pub(crate) fn transition_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work (or gave up). True when it was the
    /// last searcher: it must then wake another worker if work remains.
    pub(crate) fn transition_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// A worker is about to sleep. True when it was the last searcher, in
    /// which case it must check every queue once more before sleeping.
    pub(crate) fn transition_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        drop(sleepers);
        // SeqCst fence: pairs with the one in `worker_to_notify` (see there).
        fence(SeqCst);
        is_searching && searching(prev) == 1
    }

    /// A worker woke up. Returns true when a notifier woke it (it is then
    /// counted as unparked and searching already); false for any other
    /// wake-up, after which it is counted as unparked, not searching.
    pub(crate) fn transition_from_parked(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(UNPARK_ONE, SeqCst);
                false
            }
            None => true,
        }
    }

    /// True when every worker has announced its park (`transition_to_parked`)
    /// and none has been notified since.
    pub(crate) fn all_parked(&self) -> bool {
        unparked(self.state.load(SeqCst)) == 0
    }

    /// Workers not counted parked: running, searching, or woken by a
    /// notifier and not yet running. A snapshot (the paused clock's settle
    /// check re-reads it on every poll).
    pub(crate) fn unparked(&self) -> usize {
        unparked(self.state.load(SeqCst))
    }

    /// Every sleeping worker, for shutdown.
    pub(crate) fn all_workers(&self) -> std::ops::Range<usize> {
        0..self.num_workers
    }
}
