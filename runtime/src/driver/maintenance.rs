//! `MaintenanceClock`: when a busy worker polls the IO and timer driver
//! without blocking (`worker::maintain`), counted in scheduler ticks (one
//! per task taken from the queues).
//!
//! Normally every `QUIET_INTERVAL` ticks: often enough that sockets and
//! timers make progress while no worker is idle, rarely enough that a
//! CPU-bound workload does not notice the `epoll_wait`. While those polls
//! keep waking at least `IO_INTERVAL` tasks each (one per tick they wait),
//! every `IO_INTERVAL` ticks: the events are fresher (their data still warm
//! in this core's cache) and the workers' queues stay fed, so a worker that
//! runs dry does not go to sleep and cost a futex wake-up (in tcp_echo with
//! 61 ticks, some runs made 75,000 futex calls and 39,000 context switches;
//! with 4, under 1,000 and 1,300). A poll that wakes fewer goes back to the
//! quiet interval: then the extra syscalls cost more than the freshness
//! gains (with one busy connection and many tiny tasks, as in the RPC demo,
//! shortening on any event cost 20-25% of its throughput).
//!
//! Measured with `cargo bench --bench net_paired -- echo` (magpie/tokio,
//! median of alternating runs, 2 workers): IO interval 61 (none) 0.96-0.98,
//! 16: 0.93, 8: 0.88, 4: 0.86-0.90, 2: 0.87, 1: 0.93 (a syscall per task);
//! requiring 4 woken tasks per poll keeps 0.88 (8 would give back most of
//! the gain, 0.94). tcp_bulk, tcp_connect_churn, udp_echo and the RPC demo
//! unchanged; scheduler benches untouched (their polls find no socket
//! events).
//!
//! Owned by its worker's `Core`; no other thread reads it.

/// Ticks between maintenance polls while they find no socket events.
pub(crate) const QUIET_INTERVAL: u32 = 61;
/// Ticks between maintenance polls while each wakes at least as many tasks.
pub(crate) const IO_INTERVAL: u32 = 4;

/// What one maintenance poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// The poll ran and its socket events woke this many tasks.
    Woke(usize),
    /// Another worker holds the driver (it polls the events itself).
    DriverBusy,
}

#[derive(Debug)]
pub(crate) struct MaintenanceClock {
    /// The tick of the last maintenance poll.
    last: u32,
    /// Ticks from `last` to the next poll.
    interval: u32,
}

impl MaintenanceClock {
    pub(crate) fn new() -> MaintenanceClock {
        MaintenanceClock {
            last: 0,
            interval: QUIET_INTERVAL,
        }
    }

    /// Whether the worker should poll the driver at `tick` (ticks wrap).
    pub(crate) fn is_due(&self, tick: u32) -> bool {
        tick.wrapping_sub(self.last) >= self.interval
    }

    /// Records the poll made at `tick` and what it found.
    pub(crate) fn polled(&mut self, tick: u32, found: Polled) {
        self.last = tick;
        match found {
            Polled::Woke(woken) if woken >= IO_INTERVAL as usize => {
                self.interval = IO_INTERVAL;
            }
            Polled::Woke(_) => self.interval = QUIET_INTERVAL,
            // Nothing learnt about the traffic: keep the pace.
            Polled::DriverBusy => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ticks in `1..=until` at which `clock` asks for a poll, answering
    /// each with `found(tick)`.
    fn polls(clock: &mut MaintenanceClock, until: u32, found: impl Fn(u32) -> Polled) -> Vec<u32> {
        let mut at = Vec::new();
        for tick in 1..=until {
            if clock.is_due(tick) {
                clock.polled(tick, found(tick));
                at.push(tick);
            }
        }
        at
    }

    #[test]
    fn a_quiet_worker_polls_every_quiet_interval() {
        let mut clock = MaintenanceClock::new();
        let at = polls(&mut clock, 200, |_| Polled::Woke(0));
        assert_eq!(at, vec![61, 122, 183]);
    }

    #[test]
    fn busy_polls_shorten_the_interval_until_one_wakes_fewer_tasks() {
        let mut clock = MaintenanceClock::new();
        // Four woken tasks at each of the first three polls, then one.
        let at = polls(&mut clock, 200, |tick| {
            Polled::Woke(if tick <= 69 { 4 } else { 1 })
        });
        assert_eq!(at, vec![61, 65, 69, 73, 134, 195]);
    }

    #[test]
    fn polls_that_wake_only_a_few_tasks_keep_the_quiet_pace() {
        let mut clock = MaintenanceClock::new();
        let at = polls(&mut clock, 200, |_| Polled::Woke(3));
        assert_eq!(at, vec![61, 122, 183]);
    }

    #[test]
    fn a_busy_driver_keeps_the_current_interval() {
        let mut clock = MaintenanceClock::new();
        clock.polled(61, Polled::Woke(8));
        clock.polled(65, Polled::DriverBusy);
        assert!(!clock.is_due(68));
        assert!(clock.is_due(69));
        let mut quiet = MaintenanceClock::new();
        quiet.polled(61, Polled::DriverBusy);
        assert!(!quiet.is_due(121));
        assert!(quiet.is_due(122));
    }

    #[test]
    fn the_interval_holds_across_tick_wrap_around() {
        let mut clock = MaintenanceClock::new();
        clock.polled(u32::MAX - 1, Polled::Woke(5));
        assert!(!clock.is_due(u32::MAX));
        assert!(!clock.is_due(1));
        assert!(clock.is_due(2));
    }
}
