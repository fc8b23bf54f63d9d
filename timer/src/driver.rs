//! The driver side of the timer: [`TimerHandle`], which the runtime's driver thread uses to sleep
//! exactly until the next deadline and to fire expired timers, and the per-shard wheels that
//! timers are armed in from any thread.
//!
//! # Sharding
//! Timers are kept in `shards` independent wheels, each behind its own mutex, instead of one
//! wheel behind one lock (tokio's most reported timer contention point). A timer goes into the
//! shard of the thread that creates it (see [`context`](crate::context)) and remembers that shard,
//! so arming, re-arming and cancelling it from any thread lock that one shard only. Only the
//! driver visits every shard, once before sleeping and once after waking.
//!
//! # Never missing an earlier deadline (tokio issue 3190)
//! The race to close: the driver computes "sleep until T" from the wheels, and meanwhile a worker
//! arms a timer due at D < T in a shard the driver has already looked at. The driver must not
//! then sleep past D. The protocol uses one atomic, [`Shared::sleep_until`], whose value is
//! [`AWAKE`] while the driver is working, or else the tick the driver may sleep until (`u64::MAX`:
//! indefinitely):
//!
//! * driver, [`TimerHandle::park_timeout`]: (1) store `u64::MAX`; (2) lock each shard in turn
//!   and read its next expiration, giving `T`; (3) `fetch_min(T)`, and sleep until the minimum of
//!   `T` and the value it returned.
//! * worker, after inserting a deadline `D` into a shard and unlocking it: (a) load
//!   `sleep_until`; (b) if `D` is smaller, `fetch_min(D)`, and call `unpark` if `D` is smaller than
//!   what that returned.
//! * driver, [`TimerHandle::process`]: store [`AWAKE`] (0), then fire what is due.
//!
//! All four accesses are `SeqCst`, so they have one total order S. Take a worker's insert of D:
//! * If its (a)/(b) come after the driver's (1) in S, either (b) precedes (3), and (3) returns at
//!   most D, or (b) follows (3) and sees the driver's final target, and unparks if D is earlier.
//!   A load in (a) that sees a value `<= D` means someone already lowered the target to it.
//! * If they come before (1): had the driver's lock of that shard in (2) preceded the worker's
//!   insert, then (1) happens-before (a), contradicting (a) before (1) in S; so the shard lock
//!   orders the insert before (2), and the scan sees D.
//! * A load that sees [`AWAKE`] comes before the driver's next (1), which is the previous case.
//!
//! So the driver always either sees D or is unparked; `unpark` must be sticky (an unpark that
//! lands before the driver blocks makes the block return at once), as `mio::Waker`,
//! `std::thread::unpark` and a flag-plus-condvar are. A worker unparks only when it lowers the
//! target, so a burst of later timers costs no unparks, and none at all while the driver is awake.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, MutexGuard};

use crate::clock::Clock;
use crate::wheel::{EntryKey, TimerWheel};

/// Panic message for using a timer after its runtime's timer was shut down.
pub(crate) const SHUT_DOWN_MESSAGE: &str =
    "the magpie runtime's timer has shut down: timers can no longer be created or polled";

/// [`Shared::sleep_until`] while the driver is awake. No deadline is ever armed at tick 0 (it is
/// always already reached), so a worker never unparks an awake driver.
const AWAKE: u64 = 0;

/// Most wakers collected under one shard lock before it is released to wake them.
const WAKE_BATCH: usize = 32;

/// State shared by the driver and every shard.
pub(crate) struct Shared {
    clock: Clock,
    /// Called by a worker whose new deadline is earlier than the driver's sleep target.
    unpark: Arc<dyn Fn() + Send + Sync>,
    /// Set once by [`TimerHandle::shutdown`]; read by every timer creation and poll.
    is_shutdown: AtomicBool,
    /// The tick the driver sleeps until, or [`AWAKE`]. Written by the driver thread (park and
    /// process) and lowered with `fetch_min` by any thread that arms an earlier timer; read by
    /// both. See the module docs for the protocol and why every access is `SeqCst`.
    sleep_until: CachePadded<AtomicU64>,
}

impl Shared {
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        // Acquire pairs with the Release in `shutdown`; the shard flags checked under the shard
        // locks are what make arming after shutdown impossible, this is only the fast path.
        self.is_shutdown.load(Ordering::Acquire)
    }

    /// Worker side (a)/(b) of the protocol, after a timer due at `tick` was inserted.
    fn note_armed(&self, tick: u64) {
        if tick < self.sleep_until.load(Ordering::SeqCst) {
            let previous = self.sleep_until.fetch_min(tick, Ordering::SeqCst);
            if tick < previous {
                (self.unpark)();
            }
        }
    }
}

/// What one shard's mutex protects. Locked by any thread that arms, polls, resets or drops a
/// timer of this shard, and by the driver thread (`park_timeout`, `process`, `shutdown`). Never
/// held while running a waker's code (wake, clone or drop), which may itself use this shard.
struct ShardState {
    /// Each armed timer's payload is the waker of the task waiting on it.
    wheel: TimerWheel<Waker>,
    /// Set by shutdown under this lock, so no timer can be armed after the wheel was drained.
    is_shutdown: bool,
}

/// The timer tried to use a shard after shutdown.
pub(crate) struct ShutDown;

/// Outcome of moving an armed timer to an earlier tick.
pub(crate) enum MoveEarlier {
    /// Armed again under a new key.
    Moved(EntryKey),
    /// The new tick was already reached: the timer was removed; here is its waker.
    Reached(Waker),
    /// The timer had already fired.
    AlreadyFired,
}

/// One wheel with its lock. A timer keeps an `Arc` to the shard it is in.
pub(crate) struct Shard {
    shared: Arc<Shared>,
    state: CachePadded<Mutex<ShardState>>,
    /// Bumped, under the lock and before any waker runs, whenever timers of this shard fire
    /// (`process`) or are drained (`shutdown`). Written by the driver; read by pollers: a timer
    /// polled again by the same waker, with the generation unchanged since it last looked
    /// under the lock, cannot have fired, so its poll needs no lock (see `TimerEntry`).
    fired: AtomicU64,
}

/// What a poller learns under the lock: the shard's fire generation at that moment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Generation(u64);

impl Shard {
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    fn lock(&self) -> MutexGuard<'_, ShardState> {
        self.state.lock()
    }

    /// The current fire generation. Acquire pairs with the Release bump in `process` and
    /// `shutdown`: a poll that follows the wake of a fired timer sees the new generation.
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.fired.load(Ordering::Acquire))
    }

    /// Bumps the generation; called under the lock, before the fired wakers run.
    fn bump_generation(&self) {
        // Release: publishes the removal from the wheel to lock-free pollers.
        self.fired.fetch_add(1, Ordering::Release);
    }

    /// Inserts a timer due at `tick` that wakes `waker`: `Ok(Some(key))` when armed (with the
    /// generation seen under the lock), `Ok(None)` when the driver has already passed `tick`
    /// (the timer is due: nothing was stored).
    pub(crate) fn arm(
        &self,
        tick: u64,
        waker: &Waker,
    ) -> Result<Option<(EntryKey, Generation)>, ShutDown> {
        // Cloning runs the waker's code: do it before taking the lock.
        let waker = waker.clone();
        let mut state = self.lock();
        if state.is_shutdown {
            return Err(ShutDown);
        }
        let inserted = state.wheel.insert(tick, waker);
        let generation = self.generation();
        drop(state);
        match inserted {
            Ok(key) => {
                self.shared.note_armed(tick);
                Ok(Some((key, generation)))
            }
            // The rejected waker is dropped here, outside the lock.
            Err(_waker) => Ok(None),
        }
    }

    /// If timer `key` is still armed, makes it wake `waker` and returns `Ok(Some(generation))`
    /// (seen under the lock); `Ok(None)` once it has fired.
    pub(crate) fn refresh_waker(
        &self,
        key: EntryKey,
        waker: &Waker,
    ) -> Result<Option<Generation>, ShutDown> {
        let mut state = self.lock();
        if state.is_shutdown {
            return Err(ShutDown);
        }
        match state.wheel.payload_mut(key) {
            None => return Ok(None),
            // The common case: the same task polls again.
            Some(stored) if stored.will_wake(waker) => return Ok(Some(self.generation())),
            Some(_) => {}
        }
        // A different waker: clone it unlocked (cloning runs the waker's code), then swap.
        drop(state);
        let clone = waker.clone();
        let mut state = self.lock();
        if state.is_shutdown {
            return Err(ShutDown);
        }
        let Some(stored) = state.wheel.payload_mut(key) else {
            // It fired meanwhile; the clone is dropped unlocked on return.
            return Ok(None);
        };
        let replaced = std::mem::replace(stored, clone);
        let generation = self.generation();
        drop(state);
        // Dropping a waker may run arbitrary code (even drop another timer of this shard).
        drop(replaced);
        Ok(Some(generation))
    }

    /// True while timer `key` is armed (has neither fired nor been cancelled).
    pub(crate) fn is_armed(&self, key: EntryKey) -> bool {
        self.lock().wheel.contains(key)
    }

    /// Cancels timer `key` if still armed, returning its waker so the caller drops it unlocked.
    pub(crate) fn disarm(&self, key: EntryKey) -> Option<Waker> {
        self.lock().wheel.cancel(key)
    }

    /// Moves armed timer `key` to the earlier `tick`.
    pub(crate) fn move_earlier(&self, key: EntryKey, tick: u64) -> MoveEarlier {
        let mut state = self.lock();
        let Some(waker) = state.wheel.cancel(key) else {
            return MoveEarlier::AlreadyFired;
        };
        let inserted = state.wheel.insert(tick, waker);
        drop(state);
        match inserted {
            Ok(key) => {
                self.shared.note_armed(tick);
                MoveEarlier::Moved(key)
            }
            Err(waker) => MoveEarlier::Reached(waker),
        }
    }
}

/// Handle to one timer driver: its sharded wheels and the state of its driver thread.
///
/// Cheap to clone (one `Arc`); `Send + Sync`. The runtime creates one, calls
/// [`park_timeout`](Self::park_timeout) and [`process`](Self::process) around each block of its
/// driver thread, enters it on every thread with [`context::enter`](crate::context::enter), and
/// calls [`shutdown`](Self::shutdown) when it shuts down.
#[derive(Clone)]
pub struct TimerHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    shared: Arc<Shared>,
    shards: Box<[Arc<Shard>]>,
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("shards", &self.inner.shards.len())
            .field("is_shutdown", &self.inner.shared.is_shutdown())
            .finish_non_exhaustive()
    }
}

/// Holds a paused clock still while it lives; see [`TimerHandle::inhibit_auto_advance`].
#[must_use = "the clock may auto-advance again as soon as the guard drops"]
pub struct AutoAdvanceGuard {
    handle: TimerHandle,
}

impl Drop for AutoAdvanceGuard {
    fn drop(&mut self) {
        self.handle.inner.shared.clock.allow_auto_advance();
        // The runtime may be idle, waiting only for this: let the driver look again.
        if self.handle.inner.shared.clock.is_paused() {
            (self.handle.inner.shared.unpark)();
        }
    }
}

impl fmt::Debug for AutoAdvanceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AutoAdvanceGuard")
    }
}

impl TimerHandle {
    /// Creates a timer driver with `shards` wheels (use the number of worker threads). Its clock
    /// starts now.
    ///
    /// `unpark` is called, from whichever thread arms the timer, when a newly armed deadline is
    /// earlier than the one the driver thread is sleeping until, so that the driver recomputes
    /// its timeout at once. It must be sticky: if it runs before the driver actually blocks, the
    /// driver's next block must return immediately (as with `mio::Waker::wake`).
    ///
    /// # Panics
    /// If `shards` is 0.
    pub fn new(shards: usize, unpark: Arc<dyn Fn() + Send + Sync>) -> TimerHandle {
        assert!(shards >= 1, "TimerHandle::new: `shards` must be at least 1");
        let shared = Arc::new(Shared {
            clock: Clock::new(),
            unpark,
            is_shutdown: AtomicBool::new(false),
            sleep_until: CachePadded::new(AtomicU64::new(AWAKE)),
        });
        let shards = (0..shards)
            .map(|_| {
                Arc::new(Shard {
                    shared: shared.clone(),
                    state: CachePadded::new(Mutex::new(ShardState {
                        wheel: TimerWheel::new(),
                        is_shutdown: false,
                    })),
                    fired: AtomicU64::new(0),
                })
            })
            .collect();
        TimerHandle {
            inner: Arc::new(HandleInner { shared, shards }),
        }
    }

    /// Number of shards (wheels) of this driver.
    pub fn shard_count(&self) -> usize {
        self.inner.shards.len()
    }

    /// Driver thread, right before blocking: records that the driver is about to sleep and
    /// returns how long it may block: `None` when no timer is armed (block until unparked),
    /// `Some(Duration::ZERO)` when timers are already due. Must be followed by a block of at
    /// most that long (returning early on `unpark`) and then [`process`](Self::process).
    ///
    /// Calls to `park_timeout` and `process` must not overlap: one driver at a time (the role
    /// may pass between threads, under a lock that orders their calls).
    pub fn park_timeout(&self) -> Option<Duration> {
        let shared = &self.inner.shared;
        // Protocol step (1): from here on, any newly armed deadline lowers the target.
        shared.sleep_until.store(u64::MAX, Ordering::SeqCst);
        // Step (2).
        let earliest = self
            .inner
            .shards
            .iter()
            .filter_map(|shard| shard.lock().wheel.next_expiration())
            .min()
            .unwrap_or(u64::MAX);
        // Step (3): merge with whatever workers armed during the scan.
        let lowered = shared.sleep_until.fetch_min(earliest, Ordering::SeqCst);
        let target = earliest.min(lowered);
        if target == u64::MAX {
            None
        } else if shared.clock.is_paused() {
            // A paused clock moves only by `advance` or an auto-advance, which
            // the runtime makes when it is idle: real time is no timeout.
            (target <= shared.clock.now_tick()).then_some(Duration::ZERO)
        } else {
            Some(shared.clock.until_tick(target))
        }
    }

    /// Driver thread, after waking from the block: marks the driver awake, fires every expired
    /// timer of every shard and returns how many fired. Wakers are collected under a shard's
    /// lock and woken after releasing it, in batches.
    pub fn process(&self) -> usize {
        let shared = &self.inner.shared;
        shared.sleep_until.store(AWAKE, Ordering::SeqCst);
        self.fire_due()
    }

    /// Fires every expired timer of every shard and returns how many fired. Unlike
    /// [`process`](Self::process) it does not touch the driver's sleep protocol, so any thread
    /// may call it (`advance` does, after moving a paused clock).
    fn fire_due(&self) -> usize {
        let shared = &self.inner.shared;
        let now = shared.clock.now_tick();
        let mut fired = 0;
        let mut batch: [Option<Waker>; WAKE_BATCH] = Default::default();
        for shard in self.inner.shards.iter() {
            loop {
                let mut collected = 0;
                {
                    let mut state = shard.lock();
                    while collected < WAKE_BATCH {
                        let Some(waker) = state.wheel.pop_expired(now) else {
                            break;
                        };
                        batch[collected] = Some(waker);
                        collected += 1;
                    }
                    if collected > 0 {
                        shard.bump_generation();
                    }
                }
                for waker in batch[..collected].iter_mut().filter_map(Option::take) {
                    waker.wake();
                }
                fired += collected;
                if collected < WAKE_BATCH {
                    break;
                }
            }
        }
        fired
    }

    /// Runtime shutdown: wakes every armed timer and marks the driver shut down. From then on,
    /// creating or polling a timer of this driver panics with a message saying that the
    /// runtime's timer has shut down (dropping one is fine). Idempotent.
    pub fn shutdown(&self) {
        // Release pairs with the Acquire fast-path checks in timers.
        self.inner.shared.is_shutdown.store(true, Ordering::Release);
        for shard in self.inner.shards.iter() {
            let wakers = {
                let mut state = shard.lock();
                state.is_shutdown = true;
                shard.bump_generation();
                state.wheel.drain()
            };
            for waker in wakers {
                waker.wake();
            }
        }
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.inner.shared.is_shutdown()
    }

    /// Number of timers currently armed, summed over the shards (locks each in turn). For
    /// diagnostics and tests: timers register lazily, so a timer that completed on its first
    /// poll, or was never polled, is not counted.
    pub fn armed_timers(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| shard.lock().wheel.len())
            .sum()
    }

    /// The current time of this timer's clock (see [`crate::Instant::now`]).
    pub fn now(&self) -> crate::Instant {
        self.inner.shared.clock.now()
    }

    /// Stops this timer's clock: from now on its time moves only by [`advance`](Self::advance)
    /// and [`auto_advance`](Self::auto_advance). See [`crate::pause`].
    ///
    /// # Panics
    /// When the clock is already paused.
    pub fn pause(&self) {
        self.inner.shared.clock.pause();
    }

    /// Lets a paused clock run again from where it stands. See [`crate::resume`].
    ///
    /// # Panics
    /// When the clock is not paused.
    pub fn resume(&self) {
        self.inner.shared.clock.resume();
        // Timers now wait in real time again: the driver recomputes its timeout.
        (self.inner.shared.unpark)();
    }

    /// Whether the clock is paused.
    pub fn is_paused(&self) -> bool {
        self.inner.shared.clock.is_paused()
    }

    /// Moves a paused clock forward by `duration` and fires the timers that are due by then
    /// (their tasks are woken; they run when the caller yields). See [`crate::advance`].
    ///
    /// # Panics
    /// When the clock is not paused.
    pub fn advance(&self, duration: Duration) {
        self.inner.shared.clock.advance(duration);
        self.fire_due();
    }

    /// The runtime is idle (no task to run, no socket event, every worker about to sleep):
    /// if the clock is paused and nothing holds it ([`inhibit_auto_advance`]), moves it to the
    /// next timer's deadline. Returns whether it did (the caller then runs
    /// [`process`](Self::process) instead of sleeping). Driver thread only, like `process`.
    ///
    /// [`inhibit_auto_advance`]: Self::inhibit_auto_advance
    pub fn auto_advance(&self) -> bool {
        let clock = &self.inner.shared.clock;
        if !clock.may_auto_advance() {
            return false;
        }
        let next = self
            .inner
            .shards
            .iter()
            .filter_map(|shard| shard.lock().wheel.next_expiration())
            .min();
        match next {
            Some(tick) => {
                clock.advance_to_tick(tick);
                true
            }
            None => false,
        }
    }

    /// Holds a paused clock still (no auto-advance) until the returned guard drops: the
    /// runtime takes one for each `spawn_blocking` job, whose work the clock cannot see.
    pub fn inhibit_auto_advance(&self) -> AutoAdvanceGuard {
        self.inner.shared.clock.inhibit_auto_advance();
        AutoAdvanceGuard {
            handle: self.clone(),
        }
    }

    /// The shard `index` (already validated by the caller).
    pub(crate) fn shard(&self, index: usize) -> &Arc<Shard> {
        &self.inner.shards[index]
    }
}
