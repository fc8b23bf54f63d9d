//! The stall watchdog: a thread per runtime that notices a poll holding its
//! worker longer than the stall threshold, reports it once (`on_stall`, by
//! default a line on stderr), and asks the scheduler to hand the worker's
//! queued work to the others (`Watched::stalled`).
//!
//! It never reads a clock on the workers' behalf: each tick it samples every
//! worker's poll sequence number (`WorkerStats::current_poll`); a worker
//! seen in the same poll on two ticks has been in it at least the time
//! between them. Ticks come every quarter threshold while some worker is
//! awake, so a stall is reported between 1 and 1.5 thresholds into the
//! poll. When every worker sleeps, the watchdog sleeps too, without a
//! timeout, until a worker wakes (`worker_awake`): an idle runtime costs no
//! CPU, and a busy one at most one watchdog wake-up per tick.
//!
//! Shared state: `asleep` (set and cleared by the watchdog, cleared by the
//! first worker to wake), `state` (the shutdown flag and the wake-up, under
//! its mutex; the condvar closes the gap between the watchdog's check and
//! its wait).

use super::worker_stats::{CurrentPoll, WorkerStats};
use crate::sync::{fence, AtomicBool, Condvar, Mutex};
use crate::task_core::Id;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A poll that has held its worker longer than the runtime's stall
/// threshold (`Builder::stall_threshold`), as `Builder::on_stall` receives
/// it. Reported once per poll, while the poll still runs.
#[derive(Clone, Debug)]
pub struct Stall {
    worker: usize,
    task_id: Id,
    spawned_at: &'static Location<'static>,
    duration: Duration,
}

impl Stall {
    /// The stalled worker's index (0 for a current-thread runtime).
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// The task whose poll blocks the worker.
    pub fn task_id(&self) -> Id {
        self.task_id
    }

    /// Where that task was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// How long the poll has run so far (at least this long; the watchdog
    /// samples, so the true figure is up to a quarter threshold more).
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "magpie: task {} (spawned at {}) has blocked worker {} for {:?} in a single poll; \
             blocking work belongs in spawn_blocking",
            self.task_id, self.spawned_at, self.worker, self.duration
        )
    }
}

/// The user's stall handler.
pub(crate) type StallHandler = Arc<dyn Fn(&Stall) + Send + Sync + 'static>;

/// What the watchdog needs from a scheduler.
pub(crate) trait Watched: Send + Sync + 'static {
    /// The stats of each worker, by index.
    fn worker_stats(&self, worker: usize) -> &WorkerStats;
    fn num_workers(&self) -> usize;
    /// True when every worker sleeps (then the watchdog may sleep too).
    fn all_parked(&self) -> bool;
    fn is_shutdown(&self) -> bool;
    /// Worker `worker` is (`true`) or is no longer (`false`) stalled: a
    /// stalled worker's queued tasks should go to the others.
    fn set_stalled(&self, worker: usize, stalled: bool);
}

/// How a runtime's watchdog behaves.
#[derive(Clone)]
pub(crate) struct WatchdogConfig {
    pub(crate) threshold: Duration,
    /// `None`: print the stall to stderr.
    pub(crate) handler: Option<StallHandler>,
}

struct State {
    shutdown: bool,
}

/// The part of the watchdog that workers and shutdown talk to.
pub(crate) struct Watchdog {
    /// True while the watchdog sleeps until a worker wakes.
    asleep: AtomicBool,
    state: Mutex<State>,
    cvar: Condvar,
}

/// What the watchdog remembers about one worker between ticks.
#[derive(Clone, Copy)]
struct Seen {
    poll: Option<CurrentPoll>,
    /// When this poll was first seen.
    since: Instant,
    reported: bool,
}

impl Watchdog {
    pub(crate) fn new() -> Watchdog {
        Watchdog {
            asleep: AtomicBool::new(false),
            state: Mutex::new(State { shutdown: false }),
            cvar: Condvar::new(),
        }
    }

    /// Called by a worker that just woke up (after counting itself awake):
    /// wakes the watchdog if it sleeps. Costs a fence and a load otherwise.
    pub(crate) fn worker_awake(&self) {
        // SeqCst fence: pairs with the one in `sleep_while_idle`: either the
        // watchdog sees this worker awake, or this load sees it asleep.
        fence(SeqCst);
        if self.asleep.load(SeqCst) {
            let _state = self.state.lock();
            if self.asleep.swap(false, SeqCst) {
                self.cvar.notify_one();
            }
        }
    }

    /// Stops the watchdog thread (runtime shutdown).
    pub(crate) fn shutdown(&self) {
        let mut state = self.state.lock();
        state.shutdown = true;
        self.asleep.store(false, SeqCst);
        drop(state);
        self.cvar.notify_one();
    }

    /// Sleeps until some worker is awake (or shutdown). Returns false at
    /// shutdown.
    pub(crate) fn sleep_while_idle(&self, watched: &dyn Watched) -> bool {
        self.asleep.store(true, SeqCst);
        // SeqCst fence: see `worker_awake`.
        fence(SeqCst);
        if !watched.all_parked() {
            self.asleep.store(false, SeqCst);
            return !self.state.lock().shutdown;
        }
        let mut state = self.state.lock();
        while self.asleep.load(SeqCst) && !state.shutdown {
            state = self.cvar.wait(state);
        }
        !state.shutdown
    }

    /// Waits `tick`, or less at shutdown. Returns false at shutdown.
    fn wait_tick(&self, tick: Duration) -> bool {
        let state = self.state.lock();
        if state.shutdown {
            return false;
        }
        let state = self.cvar.wait_timeout(state, tick);
        !state.shutdown
    }

    /// The watchdog thread's body.
    pub(crate) fn run(&self, watched: &dyn Watched, config: &WatchdogConfig) {
        let tick = (config.threshold / 4).max(Duration::from_millis(1));
        let mut seen: Vec<Seen> = (0..watched.num_workers())
            .map(|_| Seen {
                poll: None,
                since: Instant::now(),
                reported: false,
            })
            .collect();
        loop {
            // A tick between any two looks, also right after a wake-up: a
            // runtime that goes idle and busy many times a tick wakes the
            // watchdog at most once per tick (waking it on every transition
            // cost ping_pong 30%, measured).
            if watched.is_shutdown() || !self.wait_tick(tick) {
                return;
            }
            if watched.all_parked() {
                if !self.sleep_while_idle(watched) {
                    return;
                }
                // Every poll seen before the sleep has ended.
                for (worker, s) in seen.iter_mut().enumerate() {
                    if s.reported {
                        watched.set_stalled(worker, false);
                    }
                    s.poll = None;
                    s.reported = false;
                }
                continue;
            }
            let now = Instant::now();
            for (worker, s) in seen.iter_mut().enumerate() {
                let poll = watched.worker_stats(worker).current_poll();
                if poll.map(|p| p.seq) != s.poll.map(|p| p.seq) {
                    if s.reported {
                        watched.set_stalled(worker, false);
                    }
                    *s = Seen {
                        poll,
                        since: now,
                        reported: false,
                    };
                    continue;
                }
                let Some(poll) = poll else { continue };
                // At least this long: it was running when first seen.
                let duration = now - s.since;
                if duration >= config.threshold && !s.reported {
                    s.reported = true;
                    watched.set_stalled(worker, true);
                    report(
                        config,
                        &Stall {
                            worker,
                            task_id: poll.task_id,
                            spawned_at: poll.spawned_at,
                            duration,
                        },
                    );
                } else if s.reported {
                    // Still stalled: work queued since may need a thief.
                    watched.set_stalled(worker, true);
                }
            }
        }
    }
}

fn report(config: &WatchdogConfig, stall: &Stall) {
    match &config.handler {
        None => eprintln!("{stall}"),
        Some(handler) => {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| handler(stall))) {
                eprintln!(
                    "magpie: the on_stall hook panicked: {}; the runtime goes on. The stall: {stall}",
                    super::hooks::panic_message(&*panic)
                );
            }
        }
    }
}
