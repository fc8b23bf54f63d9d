//! `block_on` of a current-thread runtime: the loop that polls the caller's
//! future, runs the queued tasks and drives the IO reactor and the timers,
//! all on the calling thread.
//!
//! Each round: the caller's future is polled if it was woken; then up to
//! `EVENT_INTERVAL` tasks run (local queue first, the remote queue every
//! `REMOTE_INTERVAL` tasks and whenever the local one is empty), stopping
//! early when a task or another thread wakes the caller's future (but not
//! when the future woke itself, as `yield_now` does: the tasks get their
//! turn first). A round that ran the full
//! interval polls the driver without blocking (sockets and timers progress
//! under load); a round that found nothing to run sleeps in the driver until
//! a socket event, the next timer deadline or a wake from another thread.

use super::{Context, Core, Handle, CURRENT};
use crate::clock;
use crate::driver::DriverSleep;
use crate::observe::poll::poll_task;
use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};
use std::thread::Thread;

/// Tasks run between two looks at the driver (tokio's figure).
const EVENT_INTERVAL: u32 = 61;
/// Every this many tasks the remote queue goes first, so wakes from other
/// threads cannot starve behind a busy local queue.
const REMOTE_INTERVAL: u32 = 31;

/// The waker of the future passed to `block_on`.
struct MainWaker {
    /// Set by a wake, cleared by the poll it asks for. Any thread writes,
    /// the `block_on` thread reads and clears.
    woken: AtomicBool,
    handle: Handle,
    /// The thread in `block_on`, for when it waits for the core.
    thread: Thread,
    /// True while that thread holds the core (it then runs the loop that
    /// reads `woken`). Written by that thread; read by wakers.
    holds_core: AtomicBool,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.woken.swap(true, SeqCst) {
            return;
        }
        if self.holds_core.load(SeqCst) && is_core_thread_of(&self.handle) {
            // Only one thread holds the core, and it is this one: the loop
            // itself (or a task it runs) woke the future, and it looks at
            // the flag before it sleeps.
            return;
        }
        self.handle.unpark();
        self.thread.unpark();
    }
}

fn is_core_thread_of(handle: &Handle) -> bool {
    let ctx = CURRENT.with(|c| c.get());
    // SAFETY: see `Handle::push_local`: a non-null CURRENT is a live Context
    // of this thread.
    !ctx.is_null() && unsafe { &*ctx }.handle.ptr_eq(handle)
}

/// Runs `future` to completion on this thread, running the runtime's tasks
/// while it waits. The caller has entered the runtime context and the
/// driving guard.
pub(crate) fn block_on<F: Future>(handle: &Handle, future: F) -> F::Output {
    let mut future = pin!(future);
    let main = Arc::new(MainWaker {
        woken: AtomicBool::new(true),
        handle: handle.clone(),
        thread: std::thread::current(),
        holds_core: AtomicBool::new(false),
    });
    let waker = Waker::from(main.clone());
    loop {
        if let Some(core) = take_core(handle, None) {
            return run(handle, core, &main, &waker, future.as_mut());
        }
        // Another `block_on` holds the core: poll our own future, and wait
        // for it to be woken or for the core to come back.
        if let Some(core) = take_core(handle, Some(&waker)) {
            return run(handle, core, &main, &waker, future.as_mut());
        }
        if main.woken.swap(false, SeqCst) {
            let mut cx = std::task::Context::from_waker(&waker);
            if let Poll::Ready(out) = magpie_coop::budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
        }
        std::thread::park();
    }
}

/// Takes the core if it is free; otherwise registers `waiter` (when given)
/// to be woken when it is returned.
fn take_core(handle: &Handle, waiter: Option<&Waker>) -> Option<Box<Core>> {
    let shared = &handle.shared;
    if let Some(waiter) = waiter {
        shared.core_waiters.lock().push(waiter.clone());
    }
    shared.core.lock().take()
}

/// Puts the core back and resets this thread's context when `run` ends,
/// by returning or by a panic of the caller's future.
struct ReturnCore<'a> {
    ctx: &'a Context,
    prev: *const Context,
    main: &'a MainWaker,
}

impl Drop for ReturnCore<'_> {
    fn drop(&mut self) {
        self.main.holds_core.store(false, SeqCst);
        CURRENT.with(|c| c.set(self.prev));
        let shared = &self.ctx.handle.shared;
        // Not running tasks any more: busy time stops here.
        shared.set_busy(false);
        shared.stats.park(clock::now_ns());
        if let Some(core) = self.ctx.core.borrow_mut().take() {
            *shared.core.lock() = Some(core);
        }
        let waiters = std::mem::take(&mut *shared.core_waiters.lock());
        for waiter in waiters {
            waiter.wake();
        }
    }
}

fn run<F: Future>(
    handle: &Handle,
    core: Box<Core>,
    main: &MainWaker,
    waker: &Waker,
    mut future: Pin<&mut F>,
) -> F::Output {
    let ctx = Context {
        handle: handle.clone(),
        core: RefCell::new(Some(core)),
    };
    let prev = CURRENT.with(|c| c.replace(&ctx));
    main.holds_core.store(true, SeqCst);
    let _return_core = ReturnCore {
        ctx: &ctx,
        prev,
        main,
    };
    let mut cx = std::task::Context::from_waker(waker);
    let shared = &handle.shared;
    shared.stats.unpark(clock::now_ns());
    // The core holder refreshes its clock cache as it parks and polls:
    // spawns here may stamp tasks with it.
    let _fresh_clock = crate::task_core::enter_fresh_clock();
    shared.set_busy(true);
    loop {
        // Whether the future woke itself while polled (as `yield_now` does):
        // then the queued tasks run before it is polled again, or a future
        // looping on `yield_now` would starve them.
        let mut woke_itself = false;
        if main.woken.swap(false, SeqCst) {
            if let Poll::Ready(out) = magpie_coop::budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
            woke_itself = main.woken.load(SeqCst);
        }
        if shared.is_shutdown.load(SeqCst) {
            // Shutdown dropped every future; the queued references go too.
            if let Some(core) = ctx.core.borrow_mut().as_mut() {
                core.local.clear();
            }
        }
        let mut ran = 0;
        while ran < EVENT_INTERVAL && (woke_itself || !main.woken.load(SeqCst)) {
            let Some(task) = next_task(&ctx) else { break };
            let raw = task.raw();
            poll_task(&shared.stats, &shared.hooks, raw, || task.run());
            ran += 1;
        }
        if main.woken.load(SeqCst) {
            continue;
        }
        if ran == EVENT_INTERVAL {
            // Busy: sockets and timers still progress.
            let _ = shared.driver.maintain();
        } else if ran == 0 {
            park(&ctx, main);
        }
    }
}

fn next_task(ctx: &Context) -> Option<super::Task> {
    let remote_first = {
        let mut core = ctx.core.borrow_mut();
        let core = core.as_mut()?;
        core.tick = core.tick.wrapping_add(1);
        core.tick.is_multiple_of(REMOTE_INTERVAL)
    };
    let shared = &ctx.handle.shared;
    if remote_first {
        if let Some(task) = shared.remote.lock().pop_front() {
            return Some(task);
        }
    }
    let local = ctx.core.borrow_mut().as_mut()?.local.pop_front();
    local.or_else(|| shared.remote.lock().pop_front())
}

/// Sleeps in the driver until a socket event, the next timer deadline, or
/// a wake from another thread.
fn park(ctx: &Context, main: &MainWaker) {
    let shared = &ctx.handle.shared;
    let has_work = || {
        main.woken.load(SeqCst)
            || shared.is_shutdown.load(SeqCst)
            || !shared.remote.lock().is_empty()
            || ctx
                .core
                .borrow()
                .as_ref()
                .is_some_and(|core| !core.local.is_empty())
    };
    shared.set_busy(false);
    shared.stats.park(clock::now_ns());
    shared.sleep.park(has_work, || {
        // Nothing to run on the only thread: the runtime is idle (a blocking
        // job holds a paused clock through the timer's own guard), unless
        // work came since the check. The driver's block asks again after a
        // non-blocking look that may have consumed a notifier's interrupt.
        let idle = || !has_work();
        if !shared
            .driver
            .try_park(&idle, |driver| driver.block(&has_work))
        {
            // Only this thread drives this driver; stay safe regardless.
            std::thread::yield_now();
        }
    });
    shared.stats.unpark(clock::now_ns());
    shared.set_busy(true);
}
