//! The blocking thread pool: a FIFO queue of blocking tasks served by
//! threads started on demand up to a cap, which exit after idling for the
//! keep-alive, or at shutdown.
//!
//! `PoolState` is guarded by one mutex: any thread that spawns pushes to the
//! queue and may start a thread; pool threads pop from it and count
//! themselves idle/alive; shutdown sets the flag, cancels the queued jobs
//! that are not [`Mandatory`], and waits for the threads, which run the
//! mandatory ones before they exit.

use super::task::{BlockingSchedule, BlockingTask};
use super::EnterRuntime;
use crate::callback::ThreadCallbacks;
use crate::sync::{Condvar, Mutex};
use crate::task_core::{self, Id, JoinHandle, Notified};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) callbacks: ThreadCallbacks,
}

type Job = Notified<BlockingSchedule>;

/// Whether shutdown must still run a queued job instead of cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mandatory {
    /// Cancelled at shutdown if it has not started (`spawn_blocking`).
    No,
    /// Run even when the runtime shuts down before a thread took it: work
    /// whose loss would be silent, such as a `File`'s write.
    Yes,
}

/// A job waiting in the queue.
struct Queued {
    job: Job,
    mandatory: Mandatory,
}

struct PoolState {
    /// Jobs not yet taken by a thread. After shutdown only mandatory ones are
    /// left, and the threads run them all before they exit.
    queue: VecDeque<Queued>,
    /// Threads alive (busy or idle).
    num_threads: usize,
    /// Threads waiting on `work_cvar`.
    num_idle: usize,
    /// Wake-ups sent to idle threads and not yet consumed, so a burst of
    /// spawns does not count one idle thread several times.
    num_notify: usize,
    shutdown: bool,
    /// Join handles of running threads, keyed by a pool-local id.
    threads: Vec<(usize, std::thread::JoinHandle<()>)>,
    next_thread_id: usize,
}

struct PoolShared {
    state: Mutex<PoolState>,
    /// Signalled when work is queued or at shutdown; idle threads wait on it.
    work_cvar: Condvar,
    /// Signalled when a thread exits; shutdown waits on it.
    exit_cvar: Condvar,
    config: PoolConfig,
    /// Copies of `num_threads` and `queue.len()` for metrics, so reading
    /// them takes no lock. Stored under the state lock after each change;
    /// Relaxed: gauges, nothing is published through them.
    threads_gauge: AtomicUsize,
    queue_gauge: AtomicUsize,
}

impl PoolShared {
    /// Updates the gauges; called with the state lock held.
    fn publish(&self, state: &PoolState) {
        self.threads_gauge.store(state.num_threads, Relaxed);
        self.queue_gauge.store(state.queue.len(), Relaxed);
    }
}

/// Owned by the `Runtime`: shuts the pool down.
pub(crate) struct BlockingPool {
    shared: Arc<PoolShared>,
}

/// Held by the runtime handle: spawns onto the pool.
pub(crate) struct BlockingSpawner {
    shared: Arc<PoolShared>,
}

impl BlockingPool {
    pub(crate) fn new(config: PoolConfig) -> BlockingPool {
        BlockingPool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    num_threads: 0,
                    num_idle: 0,
                    num_notify: 0,
                    shutdown: false,
                    threads: Vec::new(),
                    next_thread_id: 0,
                }),
                work_cvar: Condvar::new(),
                exit_cvar: Condvar::new(),
                config,
                threads_gauge: AtomicUsize::new(0),
                queue_gauge: AtomicUsize::new(0),
            }),
        }
    }

    pub(crate) fn spawner(&self) -> BlockingSpawner {
        BlockingSpawner {
            shared: self.shared.clone(),
        }
    }

    /// Stops accepting work, cancels queued closures that have not started
    /// (except mandatory ones, which the threads still run), and waits up to
    /// `timeout` for the threads; those still running after that are
    /// detached (and still run the mandatory jobs left).
    pub(crate) fn shutdown(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock();
        state.shutdown = true;
        let (kept, cancelled): (VecDeque<Queued>, VecDeque<Queued>) = state
            .queue
            .drain(..)
            .partition(|queued| queued.mandatory == Mandatory::Yes);
        state.queue = kept;
        // Every queued job has a thread to run it (`spawn` starts one or
        // panics), so this is only a safeguard: with no thread left, run the
        // mandatory jobs here.
        let orphaned: Vec<Queued> = if state.num_threads == 0 {
            state.queue.drain(..).collect()
        } else {
            Vec::new()
        };
        self.shared.publish(&state);
        self.shared.work_cvar.notify_all();
        drop(state);
        for queued in cancelled {
            queued.job.shutdown();
        }
        for queued in orphaned {
            queued.job.run();
        }
        let mut state = self.shared.state.lock();
        while state.num_threads > 0 {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = self.shared.exit_cvar.wait_timeout(state, deadline - now);
        }
        let finished: Vec<_> = if state.num_threads == 0 {
            state.threads.drain(..).collect()
        } else {
            Vec::new()
        };
        drop(state);
        for (_, thread) in finished {
            let _ = thread.join();
        }
    }
}

impl BlockingSpawner {
    /// Threads in the pool (busy or idle), without taking its lock.
    pub(crate) fn num_threads(&self) -> usize {
        self.shared.threads_gauge.load(Relaxed)
    }

    /// Closures waiting for a thread, without taking the pool's lock.
    pub(crate) fn queue_depth(&self) -> usize {
        self.shared.queue_gauge.load(Relaxed)
    }

    /// Queues `f` for a pool thread, as a task spawned at `spawned_at`;
    /// shutdown runs it anyway if it is `mandatory` and has not started.
    /// After shutdown began it is cancelled at once, mandatory or not.
    ///
    /// # Panics
    ///
    /// Panics when the pool has no thread at all and the OS refuses to
    /// start one (the closure could never run).
    ///
    /// `enter` is called only when a new pool thread must be started: what
    /// it returns runs first on that thread, making it part of the runtime.
    pub(crate) fn spawn<F, R>(
        &self,
        f: F,
        mandatory: Mandatory,
        enter: impl FnOnce() -> EnterRuntime,
        spawned_at: &'static std::panic::Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (job, join) = task_core::new_unowned_task(
            BlockingTask::new(f),
            BlockingSchedule,
            Id::next(),
            spawned_at,
        );
        let mut state = self.shared.state.lock();
        if state.shutdown {
            drop(state);
            job.shutdown();
            return join;
        }
        state.queue.push_back(Queued { job, mandatory });
        if state.num_idle > state.num_notify {
            state.num_notify += 1;
            self.shared.work_cvar.notify_one();
        } else if state.num_threads < self.shared.config.max_threads {
            let id = state.next_thread_id;
            match self.start_thread(enter(), id) {
                Ok(thread) => {
                    state.next_thread_id += 1;
                    state.num_threads += 1;
                    state.threads.push((id, thread));
                }
                Err(e) if state.num_threads == 0 => {
                    let queued = state.queue.pop_back();
                    drop(state);
                    if let Some(queued) = queued {
                        queued.job.shutdown();
                    }
                    panic!("failed to start a blocking-pool thread: {e}");
                }
                // Other threads exist: one of them will run the job.
                Err(_) => {}
            }
        }
        self.shared.publish(&state);
        join
    }

    fn start_thread(
        &self,
        enter: EnterRuntime,
        id: usize,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let config = &self.shared.config;
        let mut builder = std::thread::Builder::new().name(config.thread_name.clone());
        if let Some(size) = config.stack_size {
            builder = builder.stack_size(size);
        }
        let shared = self.shared.clone();
        builder.spawn(move || {
            shared.config.callbacks.started();
            {
                let _enter = enter();
                run_thread(&shared, id);
            }
            shared.config.callbacks.stopped();
            let mut state = shared.state.lock();
            state.num_threads -= 1;
            shared.publish(&state);
            shared.exit_cvar.notify_all();
        })
    }
}

/// A pool thread's loop: run queued jobs; exit after idling for the
/// keep-alive, or at shutdown. On a keep-alive exit the thread removes (and
/// so detaches) its own join handle, since nobody will join it.
fn run_thread(shared: &PoolShared, id: usize) {
    let mut state = shared.state.lock();
    loop {
        if let Some(queued) = state.queue.pop_front() {
            shared.publish(&state);
            drop(state);
            queued.job.run();
            state = shared.state.lock();
            continue;
        }
        if state.shutdown {
            return;
        }
        state.num_idle += 1;
        let idle_since = Instant::now();
        loop {
            let waited = idle_since.elapsed();
            if waited >= shared.config.keep_alive {
                break;
            }
            state = shared
                .work_cvar
                .wait_timeout(state, shared.config.keep_alive - waited);
            if state.num_notify > 0 {
                state.num_notify -= 1;
                break;
            }
            if state.shutdown || !state.queue.is_empty() {
                break;
            }
        }
        state.num_idle -= 1;
        if state.queue.is_empty()
            && !state.shutdown
            && idle_since.elapsed() >= shared.config.keep_alive
        {
            state.threads.retain(|(tid, _)| *tid != id);
            return;
        }
    }
}
