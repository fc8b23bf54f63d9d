//! A worker thread: its `Core` (local queue, LIFO slot, search state), the
//! run loop (local work, then the injector, then stealing, then parking),
//! and the fast path that lets a task running on a worker queue another
//! task locally.
//!
//! The `Core` belongs to its worker thread alone; it sits in a `RefCell` in a
//! thread-local `WorkerContext` so that wakes and spawns made by the running
//! task can reach it. The run loop never holds the borrow while user code
//! runs, so such a wake can always borrow it (if it cannot, the task goes to
//! the injector, which is always correct).

use super::queue::Local as LocalQueue;
use super::{Handle, Remote, Shared, Task};
use crate::clock;
use crate::driver::{MaintenanceClock, Polled};
use crate::observe::poll::poll_task;

use std::cell::{Cell, RefCell};
use std::ptr;

/// Check the injector first once every this many ticks, so remotely
/// spawned or woken tasks cannot starve behind a busy local queue.
const GLOBAL_QUEUE_INTERVAL: u32 = 61;
/// At most this many tasks in a row from the LIFO slot, so two tasks
/// waking each other cannot starve the rest of the queue.
const MAX_LIFO_POLLS: u32 = 3;
/// Rounds of stealing before a worker gives up and parks. Parking and being
/// unparked costs tens of microseconds here; a few more steal attempts
/// cost well under one.
const STEAL_ROUNDS: usize = 4;
/// The most tasks one steal from the injector moves to the local queue.
const INJECT_BATCH: usize = 32;

pub(crate) struct Core {
    index: usize,
    local: LocalQueue<Task>,
    tick: u32,
    is_searching: bool,
    /// True while this worker polls the driver: the tasks the events wake
    /// land in its queue, and one notification after the poll covers them
    /// all instead of one per task.
    defer_notify: bool,
    /// When this worker next polls the driver while it is busy.
    maintenance: MaintenanceClock,
    rng: u32,
}

impl Core {
    pub(crate) fn new(index: usize, local: LocalQueue<Task>) -> Core {
        Core {
            index,
            local,
            tick: 0,
            is_searching: false,
            defer_notify: false,
            maintenance: MaintenanceClock::new(),
            rng: 0x9e37_79b9 ^ (index as u32).wrapping_mul(0x85eb_ca6b) | 1,
        }
    }

    fn next_random(&mut self) -> u32 {
        // xorshift32: only needs to spread steal victims.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }
}

/// Per-thread state of a worker while its run loop is active.
struct WorkerContext {
    handle: Handle,
    core: RefCell<Core>,
}

thread_local! {
    /// The worker running on this thread, or null. Set for the duration of
    /// `run` only.
    static CURRENT: Cell<*const WorkerContext> = const { Cell::new(ptr::null()) };
}

/// Queues `task` on `handle`'s runtime: locally when called on one of its
/// workers, otherwise through the injector.
pub(crate) fn schedule(handle: &Handle, task: Task, is_yield: bool) {
    let ctx = CURRENT.with(|c| c.get());
    if !ctx.is_null() {
        // SAFETY: CURRENT points to the WorkerContext on `run`'s stack frame
        // while `run` executes on this thread, and is reset before it returns.
        let ctx = unsafe { &*ctx };
        if ctx.handle.ptr_eq(handle) {
            if let Ok(mut core) = ctx.core.try_borrow_mut() {
                schedule_local(&handle.shared, &mut core, task, is_yield);
                return;
            }
        }
    }
    handle.shared.push_remote(task);
}

fn schedule_local(shared: &Shared, core: &mut Core, task: Task, is_yield: bool) {
    let pushed = if is_yield {
        push_local(shared, core, task);
        true
    } else if let Some(prev) = shared.remotes[core.index].lifo.replace(task) {
        push_local(shared, core, prev);
        true
    } else {
        false
    };
    // Work others can steal appeared: wake a sleeper if nobody searches.
    if pushed && !core.defer_notify {
        shared.notify_stealable();
    }
}

/// Queues `task` at the back of this worker's local queue; when the queue is
/// full, its older half goes to the injector with it.
fn push_local(shared: &Shared, core: &Core, task: Task) {
    core.local.push_back(task, |spilled| shared.spill(spilled));
}

/// The index of the worker of `handle`'s runtime running on this thread, if
/// this thread is one.
pub(crate) fn current_index_in(handle: &Handle) -> Option<usize> {
    let ctx = CURRENT.with(|c| c.get());
    if ctx.is_null() {
        return None;
    }
    // SAFETY: see `schedule`.
    let ctx = unsafe { &*ctx };
    if !ctx.handle.ptr_eq(handle) {
        return None;
    }
    ctx.core.try_borrow().ok().map(|c| c.index)
}

struct ResetCurrent(*const WorkerContext);

impl Drop for ResetCurrent {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// The worker thread's body: runs tasks until the runtime shuts down.
pub(crate) fn run(handle: Handle, core: Core) {
    let ctx = WorkerContext {
        handle,
        core: RefCell::new(core),
    };
    let prev = CURRENT.with(|c| c.replace(&ctx));
    let _reset = ResetCurrent(prev);
    // This thread refreshes its clock cache as it parks and polls: spawns
    // here may stamp tasks with it.
    let _fresh_clock = crate::task_core::enter_fresh_clock();
    let shared = &*ctx.handle.shared;

    while !shared.is_shutdown() {
        if let Some(task) = next_task(&ctx, shared) {
            run_task(&ctx, shared, task);
            continue;
        }
        if let Some(task) = search(&ctx, shared) {
            run_task(&ctx, shared, task);
            continue;
        }
        park(&ctx, shared);
    }

    // Shutdown: drop our queued references; the owned-task list drops the
    // futures themselves.
    let core = ctx.core.borrow_mut();
    drop(shared.remotes[core.index].lifo.take());
    while let Some(task) = core.local.pop() {
        drop(task);
    }
}

/// Local work first (LIFO slot, then queue), with the injector checked
/// periodically for fairness and whenever the local queue is empty.
fn next_task(ctx: &WorkerContext, shared: &Shared) -> Option<Task> {
    let (tick, maintenance_due) = {
        let mut core = ctx.core.borrow_mut();
        core.tick = core.tick.wrapping_add(1);
        (core.tick, core.maintenance.is_due(core.tick))
    };
    if maintenance_due {
        // Busy workers still poll sockets and timers now and then.
        let found = maintain(ctx);
        ctx.core.borrow_mut().maintenance.polled(tick, found);
    }
    if tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL) {
        let core = ctx.core.borrow();
        if let Some(task) = steal_from_injector(&core, shared) {
            return Some(task);
        }
    }
    let core = ctx.core.borrow();
    if let Some(task) = shared.remotes[core.index].lifo.take() {
        return Some(task);
    }
    if let Some(task) = core.local.pop() {
        return Some(task);
    }
    steal_from_injector(&core, shared)
}

/// Takes the injector's oldest task to run, and up to `INJECT_BATCH` more
/// into the local queue while it is at most half full (as crossbeam's batch
/// steal did before the local queue became our own).
fn steal_from_injector(core: &Core, shared: &Shared) -> Option<Task> {
    let half = super::queue::CAPACITY / 2;
    let room = half.saturating_sub(core.local.len());
    let more = INJECT_BATCH.min(room);
    let mut stolen = 1u64;
    let task = shared.injector.pop_batch(more, |task| {
        push_local(shared, core, task);
        stolen += 1;
    })?;
    shared.remotes[core.index].stats.stole(stolen);
    Some(task)
}

/// Steals half of another worker's queue (random first victim), then tries
/// the injector, a few rounds, if the search throttle lets this worker look.
fn search(ctx: &WorkerContext, shared: &Shared) -> Option<Task> {
    let mut core = ctx.core.borrow_mut();
    if !core.is_searching {
        if !shared.idle.transition_to_searching() {
            return None;
        }
        core.is_searching = true;
    }
    let n = shared.num_workers();
    for _ in 0..STEAL_ROUNDS {
        let start = core.next_random() as usize % n;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == core.index {
                continue;
            }
            let remote = &shared.remotes[victim];
            if let Some((task, stolen)) = remote.stealer.steal_into(&core.local) {
                shared.remotes[core.index].stats.stole(stolen as u64);
                return Some(task);
            }
            // A stalled worker cannot run the task it was about to run
            // next: take that too.
            if remote.is_stalled() {
                if let Some(task) = remote.lifo.take() {
                    shared.remotes[core.index].stats.stole(1);
                    return Some(task);
                }
            }
        }
        if let Some(task) = steal_from_injector(&core, shared) {
            return Some(task);
        }
        std::hint::spin_loop();
    }
    None
}

fn run_task(ctx: &WorkerContext, shared: &Shared, task: Task) {
    let index = {
        let mut core = ctx.core.borrow_mut();
        let index = core.index;
        if core.is_searching {
            core.is_searching = false;
            // The last searcher to find work wakes another worker, which
            // may find more of it.
            if shared.idle.transition_from_searching() {
                drop(core);
                shared.notify_parked();
            }
        }
        index
    };
    let remote = &shared.remotes[index];
    poll(shared, remote, task);

    // Follow the chain of tasks the one we ran woke, up to the cap.
    let mut lifo_polls = 0;
    loop {
        let next = {
            let core = ctx.core.borrow();
            let Some(task) = remote.lifo.take() else {
                return;
            };
            if lifo_polls >= MAX_LIFO_POLLS || shared.is_shutdown() {
                // Cap reached: the LIFO task joins the back of the queue
                // where others can steal it.
                push_local(shared, &core, task);
                drop(core);
                shared.notify_stealable();
                return;
            }
            task
        };
        lifo_polls += 1;
        poll(shared, remote, next);
    }
}

/// Polls `task` on this worker (`remote` is its own), with its counters,
/// stall tracking and hooks.
fn poll(shared: &Shared, remote: &Remote, task: Task) {
    let raw = task.raw();
    poll_task(&remote.stats, &shared.hooks, raw, || task.run());
}

fn park(ctx: &WorkerContext, shared: &Shared) {
    let (index, was_searching) = {
        let mut core = ctx.core.borrow_mut();
        let was = core.is_searching;
        core.is_searching = false;
        (core.index, was)
    };
    let last_searcher = shared.idle.transition_to_parked(index, was_searching);
    // Re-check after announcing the park (the fence in
    // `transition_to_parked` pairs with notifiers'): work pushed before a
    // notifier saw us awake must be seen here. The last searcher also owes
    // the others a wake-up if work remains.
    if shared.has_stealable_work() || shared.is_shutdown() {
        let notified = shared.idle.transition_from_parked(index);
        // Counted awake again (by us, or by a notifier that saw us parked):
        // the watchdog may have seen every worker parked meanwhile and gone
        // to sleep without a timeout. A fence and a load unless it sleeps.
        shared.watchdog.worker_awake();
        ctx.core.borrow_mut().is_searching = notified;
        if last_searcher && !notified {
            shared.notify_parked();
        }
        return;
    }
    let stats = &shared.remotes[index].stats;
    stats.park(clock::now_ns());
    // With a paused clock, the last thread to go idle lets the driver's
    // holder decide on an auto-advance.
    shared.nudge_paused_driver();
    let driver = &shared.driver;
    let parker = &shared.remotes[index].parker;
    let mut woke_in_driver = None;
    let drove = driver.try_park(&|| shared.is_idle(), |sleep| {
        ctx.core.borrow_mut().defer_notify = true;
        parker.park_driver(sleep);
        ctx.core.borrow_mut().defer_notify = false;
        // Counted awake while still holding the driver: the tasks the poll
        // queued sit in this worker's LIFO slot, where no other worker sees
        // them, so the next worker to take the driver must not find the
        // runtime idle (a paused clock would auto-advance past them).
        woke_in_driver = Some(shared.idle.transition_from_parked(index));
    });
    if !drove {
        parker.park();
    }
    let notified = woke_in_driver.unwrap_or_else(|| shared.idle.transition_from_parked(index));
    stats.unpark(clock::now_ns());
    // Counted awake above: the stall watchdog may need to look again.
    shared.watchdog.worker_awake();
    let mut core = ctx.core.borrow_mut();
    core.is_searching = notified;
    // The poll queued more than this worker runs next: one wake-up for the
    // whole burst lets another worker steal the rest.
    let has_spare_work = !core.local.is_empty();
    drop(core);
    if drove && has_spare_work {
        shared.notify_stealable();
    }
}

/// Polls the driver without blocking, with notifications deferred like a
/// driver park; returns what the poll found.
fn maintain(ctx: &WorkerContext) -> Polled {
    ctx.core.borrow_mut().defer_notify = true;
    let shared = &ctx.handle.shared;
    let found = shared.driver.maintain();
    let has_work = {
        let mut core = ctx.core.borrow_mut();
        core.defer_notify = false;
        !core.local.is_empty()
    };
    if has_work {
        shared.notify_stealable();
    }
    found
}
