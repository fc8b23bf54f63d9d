//! The IO and timer driver, driven by the workers themselves.
//!
//! There is no driver thread. A worker with nothing to run parks *inside*
//! the driver when it can take it (`try_lock`): it blocks in the reactor's
//! `mio::Poll` for at most the time until the next timer deadline, then
//! fires due timers. The tasks those events wake are scheduled on that very
//! worker (its LIFO slot and local queue), so a socket event costs no
//! cross-thread hand-off, and one unpark at most for the whole burst. Other
//! idle workers sleep on their condvar. Busy workers poll the driver
//! without blocking every 61 scheduler ticks, every 4 while each of those
//! polls wakes 4 tasks or more (`maintain`, paced by `MaintenanceClock`),
//! so IO and timers progress even when no worker is idle.
//!
//! Why not the dedicated reactor thread the design card started with: on
//! this 2-core VM every event then crossed threads (reactor -> injector ->
//! unpark a worker). Measured with `cargo bench --bench net`, 2 workers,
//! magpie/tokio: tcp_echo 0.91, tcp_bulk 1.09, tcp_connect_churn 1.79,
//! udp_echo 3.18 with the thread (~29,000 voluntary context switches per
//! echo run against tokio's ~50). BENCHMARKS.md has the numbers with
//! workers driving the reactor.
//!
//! A worker about to block in the driver first polls it without blocking
//! for up to its budget (`Builder::idle_spin`, 50 µs by default), while that pays (see `IdleSpin`):
//! being woken from `epoll_wait` costs more than a loopback connect on this
//! VM. Measured with `cargo bench --bench net`, 2 workers, spin off -> on,
//! same binary and run: tcp_connect_churn 93 / 80 -> 41 / 42 ms, tcp_bulk
//! 150 / 128 -> 74 / 88 ms, tcp_echo and udp_echo unchanged (their workers
//! are rarely idle); the scheduler benchmarks unchanged (they never spin
//! after the first park, see `IdleSpin`).
//!
//! The spin yields the core (`sched_yield`) between its polls. With the
//! server's workers and its load generator sharing the 2 cores
//! (`scripts/real_bench.sh` placement (ii)), a plain spin kept the generator
//! waiting for the rest of the spinner's time slice: alternating rounds,
//! medians of 5-6, server CPU per request magpie/tokio went from 1.01 to 0.89
//! (hyper under wrk) and from 1.15 to 0.76 (the kv server under
//! redis-benchmark), requests/s level or better. Alone on a core (placement
//! (i)) nothing else is runnable, the yield returns at once, and the spin
//! behaves as before. `cargo bench --bench net_paired -- churn bulk`, same
//! binary with and without the yield, alternating, while other builds ran
//! on the machine: tcp_connect_churn 33-34 ms with it, 62-65 ms without
//! (tokio 34-36); tcp_bulk unchanged within noise.
//!
//! Shared state: `core` (the reactor and the spin policy) is guarded by its
//! mutex, held by the one worker polling it; `timer` and `reactor_handle`
//! are internally synchronised.
//!
//! This module owns the driver and all of its pacing: the idle spin
//! (`idle_spin`), how often busy workers poll it (`maintenance`) and the
//! interface a parked worker sleeps through (`sleep`). It uses the timer and
//! IO-driver crates and nothing of the scheduler, which calls into it.

mod idle_spin;
pub(crate) mod maintenance;
mod sleep;

pub(crate) use idle_spin::{IdleSpin, DEFAULT_IDLE_SPIN};
pub(crate) use maintenance::{MaintenanceClock, Polled};
pub(crate) use sleep::{DriverSleep, Spin};

use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// What the worker holding the driver owns.
struct DriverCore {
    reactor: magpie_io_driver::Reactor,
    spin: IdleSpin,
}

pub(crate) struct Driver {
    core: Mutex<DriverCore>,
    pub(crate) reactor_handle: magpie_io_driver::ReactorHandle,
    pub(crate) timer: magpie_timer::TimerHandle,
    /// The timer shard used by threads that are not workers (one past the
    /// workers' own shards).
    outside_shard: usize,
    /// `Builder::idle_spin`: how long an idle thread polls before it sleeps
    /// (the driver's parked worker, and a `block_on` thread waiting on the
    /// workers).
    idle_spin: Duration,
}

impl Driver {
    pub(crate) fn new(
        reactor: magpie_io_driver::Reactor,
        timer: magpie_timer::TimerHandle,
        num_workers: usize,
        idle_spin: Duration,
    ) -> Driver {
        Driver {
            reactor_handle: reactor.handle(),
            core: Mutex::new(DriverCore {
                reactor,
                spin: IdleSpin::new(idle_spin),
            }),
            timer,
            outside_shard: num_workers,
            idle_spin,
        }
    }

    /// The idle spin budget the runtime was built with (zero: no spinning).
    pub(crate) fn idle_spin(&self) -> Duration {
        self.idle_spin
    }

    pub(crate) fn shard_for_thread(&self) -> usize {
        self.outside_shard
    }

    /// If no other worker holds the driver, runs `park` with the driver as
    /// a `DriverSleep`: its spin polls without blocking, its block sleeps
    /// until an event, a timer deadline or an unpark
    /// (`reactor_handle.unpark()`). Returns false when the driver was busy
    /// (the caller must park elsewhere).
    ///
    /// `is_idle` tells whether the whole runtime has nothing to do: with a
    /// paused clock, the block then moves the clock to the next timer
    /// (auto-advance) instead of sleeping.
    pub(crate) fn try_park(
        &self,
        is_idle: &dyn Fn() -> bool,
        park: impl FnOnce(&mut ParkedDriver<'_>),
    ) -> bool {
        let Some(mut core) = self.core.try_lock() else {
            return false;
        };
        let spin_until = core.spin.spin_deadline(Instant::now());
        park(&mut ParkedDriver {
            driver: self,
            core: &mut core,
            spin_until,
            is_idle,
        });
        true
    }

    /// Polls IO and fires due timers without blocking, if the driver is free.
    /// Returns how many tasks the socket events woke, or `DriverBusy` when
    /// another worker holds the driver.
    pub(crate) fn maintain(&self) -> Polled {
        let Some(mut core) = self.core.try_lock() else {
            return Polled::DriverBusy;
        };
        let woken = turn(&mut core.reactor, Some(Duration::ZERO));
        self.timer.process();
        Polled::Woke(woken)
    }

    /// Wakes whatever still waits on a socket or timer (futures in a
    /// `block_on` elsewhere) so it sees the shutdown instead of hanging.
    pub(crate) fn shutdown(&self) {
        self.timer.shutdown();
        self.reactor_handle.shutdown();
    }
}

/// The driver in the hands of a parking worker (see `Driver::try_park`).
pub(crate) struct ParkedDriver<'a> {
    driver: &'a Driver,
    core: &'a mut DriverCore,
    /// When spinning must give up; `None`: block at once.
    spin_until: Option<Instant>,
    /// Whether the runtime is idle (see `Driver::try_park`).
    is_idle: &'a dyn Fn() -> bool,
}

impl DriverSleep for ParkedDriver<'_> {
    fn spin(&mut self) -> Spin {
        let Some(spin_until) = self.spin_until else {
            return Spin::Block;
        };
        // Timers are not looked at while spinning: the spin is far shorter
        // than their 1 ms resolution, and the block that follows a fruitless
        // spin sleeps no longer than the next deadline.
        if turn(&mut self.core.reactor, Some(Duration::ZERO)) > 0 {
            self.driver.timer.process();
            return Spin::Woke;
        }
        if Instant::now() >= spin_until {
            Spin::Block
        } else {
            // Polite: a thread waiting for this core (the load generator or
            // any neighbour sharing the machine) runs now instead of after
            // the spin; alone on the core, this returns at once.
            std::thread::yield_now();
            Spin::Again
        }
    }

    fn block(&mut self, unparked: &dyn Fn() -> bool) {
        let timer = &self.driver.timer;
        let timeout = timer.park_timeout();
        if timeout.is_none() && timer.is_paused() {
            // A paused clock and no timer due: sleeping would wait for an
            // unpark. Socket events first (IO that has arrived holds the
            // clock); then, if the whole runtime is idle, jump to the next
            // deadline. Otherwise sleep: the last thread to go idle unparks
            // this one to look again (`nudge_paused_driver`).
            if turn(&mut self.core.reactor, Some(Duration::ZERO)) > 0 {
                timer.process();
                return;
            }
            // That look may have consumed an unpark's wake-up event: the
            // sleep below would then miss it (the worker slept for good
            // while counted awake, and the clock never auto-advanced).
            if unparked() {
                return;
            }
            if (self.is_idle)() && timer.auto_advance() {
                timer.process();
                return;
            }
        }
        let start = Instant::now();
        let woken = turn(&mut self.core.reactor, timeout);
        self.core.spin.slept(start.elapsed(), woken > 0);
        self.driver.timer.process();
    }
}

/// One reactor turn; returns how many tasks its events woke.
fn turn(reactor: &mut magpie_io_driver::Reactor, timeout: Option<Duration>) -> usize {
    reactor.turn(timeout).unwrap_or_else(|_| {
        // A failing poll (EINTR is absorbed by `turn`) must not become a
        // busy loop; timers still fire at 1 ms granularity.
        std::thread::sleep(Duration::from_millis(1));
        0
    })
}
