//! `ScheduledIo`: the reactor's record of one registered socket — its readiness, an
//! event tick, and the wakers of the tasks waiting on it.
//!
//! Sockets are registered edge-triggered: the kernel reports a change once, and the
//! readiness bits stay set here until an IO operation hits `WouldBlock`. Clearing them
//! then races with the reactor setting them for a newer event. The tick settles that
//! race: every event increments it, an operation remembers the tick it saw
//! ([`ReadyEvent`]), and [`ScheduledIo::clear_readiness`] only clears when the tick is
//! unchanged. So a stale `WouldBlock` can never erase an event that arrived after the
//! operation looked, and no wakeup is lost.
//!
//! Waiters come in two kinds:
//! * one *slot* per direction, for the `poll_*` paths that take `&mut self` or belong
//!   to a split half (only one task can be there; the latest waker wins);
//! * a *list* for the `async fn`s that take `&self` (`readable`, `accept`, `recv`, ...),
//!   which several tasks may await at once on one shared socket.
//!
//! Wakers are never woken while the waiter lock is held: they are moved out into the
//! caller's batch. Replaced or removed wakers are dropped only after unlocking, because
//! dropping a waker can run runtime code that drops a socket and takes other locks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;
use slab::Slab;

use crate::ready::{Direction, Ready};
use crate::token::RegistrationToken;

/// Readiness word bit set once the reactor has shut down.
const SHUTDOWN: usize = 1 << 5;
/// The event tick lives in bits `TICK_SHIFT..TICK_SHIFT + 15` of the readiness word.
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0x7fff;

/// What an IO operation saw when it found its direction ready: the flags, the tick
/// they were seen at (for [`ScheduledIo::clear_readiness`]) and whether the reactor
/// has shut down.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: Ready,
    pub(crate) is_shutdown: bool,
}

/// The reactor's record of one registered socket.
pub(crate) struct ScheduledIo {
    /// Packed state: readiness flags (bits 0..5, see [`Ready`]), [`SHUTDOWN`] (bit 5) and
    /// the event tick (15 bits from [`TICK_SHIFT`]).
    /// Written by the reactor thread (`set_readiness`, `shutdown`) and by IO tasks
    /// (`clear_readiness` after `WouldBlock`); read by IO tasks.
    readiness: AtomicUsize,
    /// The token this record is registered under; fixed for its lifetime.
    token: RegistrationToken,
    /// Tasks waiting for readiness. IO tasks lock it to park a waker; the reactor thread
    /// locks it to take the wakers an event or shutdown should wake.
    waiters: Mutex<Waiters>,
}

/// The wakers waiting on one socket (see the module docs for slots versus list).
#[derive(Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    listed: Slab<ListedWaiter>,
}

/// One `async fn` waiting in the list. Its waker is taken (set to `None`) when woken;
/// the entry itself belongs to the waiting future, which removes it.
struct ListedWaiter {
    direction: Direction,
    waker: Option<Waker>,
}

impl ScheduledIo {
    /// A record for a freshly registered socket. It starts out not ready: epoll reports
    /// a socket's current state as an event when it is registered, so the first
    /// operation waits for that event instead of guessing. (Starting optimistically
    /// ready cost a wasted `WouldBlock` syscall on every fresh connection whose first
    /// read had nothing to read yet: measured as ~1000 extra `recvfrom` and
    /// `getpeername` calls per 1000 connects in the tcp_connect_churn benchmark.)
    pub(crate) fn new(token: RegistrationToken) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            token,
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// The token this record is registered under.
    pub(crate) fn token(&self) -> RegistrationToken {
        self.token
    }

    /// Reactor side: records an event's flags and advances the tick.
    pub(crate) fn set_readiness(&self, ready: Ready) {
        // AcqRel: a read-modify-write of the one word this record's state lives in; it
        // publishes nothing else (waker hand-off is ordered by the `waiters` mutex).
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                let tick = (tick_of(current) + 1) & TICK_MASK;
                let kept = current & !(TICK_MASK << TICK_SHIFT);
                Some(kept | (tick << TICK_SHIFT) | ready.bits())
            });
    }

    /// IO side, after an operation hit `WouldBlock`: clears the flags `event` saw,
    /// unless an event arrived since (the tick moved on), in which case the readiness
    /// is fresh and must stay.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        // AcqRel: same single-word read-modify-write as `set_readiness`.
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                (tick_of(current) == event.tick).then_some(current & !event.ready.bits())
            });
    }

    /// Task side, after a transfer that drained the socket (a short read or write):
    /// like [`ScheduledIo::clear_readiness`] but keeps the sticky closed and error
    /// flags, since a peer's FIN can sit behind the data just read and must still be
    /// seen by the next read.
    pub(crate) fn clear_drained(&self, event: ReadyEvent) {
        let drained = ReadyEvent {
            ready: event.ready & (Ready::READABLE | Ready::WRITABLE),
            ..event
        };
        self.clear_readiness(drained);
    }

    /// Reactor side: marks the record shut down. Every later readiness check reports
    /// `is_shutdown`; the caller then wakes all waiters ([`ScheduledIo::take_wakers`]).
    pub(crate) fn mark_shutdown(&self) {
        // AcqRel: single-word read-modify-write, as in `set_readiness`.
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
    }

    /// The readiness of `direction` right now, without registering interest.
    pub(crate) fn ready_now(&self, direction: Direction) -> Option<ReadyEvent> {
        // Acquire: pairs with the AcqRel updates above; the word is self-contained.
        event_for(self.readiness.load(Ordering::Acquire), direction)
    }

    /// Slot waiter: ready now, or park `cx`'s waker in `direction`'s slot (replacing the
    /// previous one) and return `Pending`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        if let Some(event) = self.ready_now(direction) {
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        let slot = match direction {
            Direction::Read => &mut waiters.reader,
            Direction::Write => &mut waiters.writer,
        };
        let replaced = match slot {
            Some(parked) if parked.will_wake(cx.waker()) => None,
            _ => slot.replace(cx.waker().clone()),
        };
        // Checked again under the lock: the reactor sets readiness before it locks the
        // waiters, so either it sees the waker just parked or this load sees its flags.
        let event = self.ready_now(direction);
        drop(waiters);
        drop(replaced);
        match event {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// List waiter: ready now (removing the caller's list entry, if any), or park `cx`'s
    /// waker in the caller's list entry, creating it in `*key` on first use.
    ///
    /// A future that returns `Pending` from this must eventually call
    /// [`ScheduledIo::remove_listed`] with its key (it does so on drop).
    pub(crate) fn poll_ready_listed(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        key: &mut Option<usize>,
    ) -> Poll<ReadyEvent> {
        if let Some(event) = self.ready_now(direction) {
            if let Some(key) = key.take() {
                self.remove_listed(key);
            }
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        let replaced = match *key {
            Some(existing) => {
                let entry = waiters
                    .listed
                    .get_mut(existing)
                    .expect("a listed waiter's entry outlives its future");
                match &entry.waker {
                    Some(parked) if parked.will_wake(cx.waker()) => None,
                    _ => entry.waker.replace(cx.waker().clone()),
                }
            }
            None => {
                *key = Some(waiters.listed.insert(ListedWaiter {
                    direction,
                    waker: Some(cx.waker().clone()),
                }));
                None
            }
        };
        // Re-checked under the lock, as in `poll_ready`.
        let event = self.ready_now(direction);
        let removed = match (event, *key) {
            (Some(_), Some(existing)) => {
                *key = None;
                Some(waiters.listed.remove(existing))
            }
            _ => None,
        };
        drop(waiters);
        drop(replaced);
        drop(removed);
        match event {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// Removes a list entry created by [`ScheduledIo::poll_ready_listed`].
    pub(crate) fn remove_listed(&self, key: usize) {
        let removed = self.waiters.lock().listed.try_remove(key);
        // Dropped here, after the lock is released.
        drop(removed);
    }

    /// Reactor side: moves into `batch` the wakers of every waiter whose direction
    /// `ready` concerns (pass [`Ready::ALL`] to take all of them, e.g. on shutdown).
    pub(crate) fn take_wakers(&self, ready: Ready, batch: &mut Vec<Waker>) {
        let read = ready.intersects(Direction::Read.mask());
        let write = ready.intersects(Direction::Write.mask());
        let mut waiters = self.waiters.lock();
        if read {
            batch.extend(waiters.reader.take());
        }
        if write {
            batch.extend(waiters.writer.take());
        }
        for (_, waiter) in waiters.listed.iter_mut() {
            let wanted = match waiter.direction {
                Direction::Read => read,
                Direction::Write => write,
            };
            if wanted {
                batch.extend(waiter.waker.take());
            }
        }
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Relaxed: a diagnostic snapshot; nothing is decided on it.
        let word = self.readiness.load(Ordering::Relaxed);
        f.debug_struct("ScheduledIo")
            .field("token", &self.token)
            .field("ready", &Ready::from_bits(word))
            .field("tick", &tick_of(word))
            .field("shutdown", &(word & SHUTDOWN != 0))
            .finish()
    }
}

fn tick_of(word: usize) -> usize {
    (word >> TICK_SHIFT) & TICK_MASK
}

/// The event `direction` sees in readiness word `word`, if any.
fn event_for(word: usize, direction: Direction) -> Option<ReadyEvent> {
    let ready = Ready::from_bits(word) & direction.mask();
    let is_shutdown = word & SHUTDOWN != 0;
    if ready.is_empty() && !is_shutdown {
        return None;
    }
    Some(ReadyEvent {
        tick: tick_of(word),
        ready,
        is_shutdown,
    })
}

#[cfg(test)]
mod tests {
    use futures_test::task::new_count_waker;

    use super::*;

    /// A fresh record: no readiness until the first event.
    fn idle_record() -> ScheduledIo {
        let io = ScheduledIo::new(RegistrationToken::new(0, 0));
        assert!(io.ready_now(Direction::Read).is_none());
        assert!(io.ready_now(Direction::Write).is_none());
        io
    }

    fn wake_all(batch: &mut Vec<Waker>) -> usize {
        let count = batch.len();
        batch.drain(..).for_each(Waker::wake);
        count
    }

    #[test]
    fn new_record_waits_for_its_first_event() {
        let io = ScheduledIo::new(RegistrationToken::new(3, 1));
        assert!(io.ready_now(Direction::Read).is_none());
        assert!(io.ready_now(Direction::Write).is_none());
        io.set_readiness(Ready::WRITABLE);
        assert!(io.ready_now(Direction::Write).is_some());
        assert!(io.ready_now(Direction::Read).is_none());
    }

    #[test]
    fn stale_would_block_does_not_erase_a_newer_event() {
        let io = idle_record();
        io.set_readiness(Ready::READABLE);
        let seen = io.ready_now(Direction::Read).expect("readable");
        // A new event lands between the operation's check and its WouldBlock.
        io.set_readiness(Ready::READABLE);
        io.clear_readiness(seen);
        assert!(
            io.ready_now(Direction::Read).is_some(),
            "the newer event must survive the stale clear"
        );
        // Clearing with the current tick does clear.
        let fresh = io.ready_now(Direction::Read).unwrap();
        io.clear_readiness(fresh);
        assert!(io.ready_now(Direction::Read).is_none());
    }

    #[test]
    fn clearing_one_direction_keeps_the_other() {
        let io = idle_record();
        io.set_readiness(Ready::READABLE | Ready::WRITABLE);
        let read = io.ready_now(Direction::Read).unwrap();
        io.clear_readiness(read);
        assert!(io.ready_now(Direction::Read).is_none());
        assert!(io.ready_now(Direction::Write).is_some());
    }

    #[test]
    fn tick_wraps_around_without_corrupting_flags() {
        let io = idle_record();
        for _ in 0..(TICK_MASK + 5) {
            io.set_readiness(Ready::WRITABLE);
        }
        assert!(io.ready_now(Direction::Read).is_none());
        let event = io.ready_now(Direction::Write).unwrap();
        assert!(!event.is_shutdown);
        io.clear_readiness(event);
        assert!(io.ready_now(Direction::Write).is_none());
    }

    #[test]
    fn slot_waiter_is_woken_by_its_direction_only() {
        let io = idle_record();
        let (reader, reader_count) = new_count_waker();
        let (writer, writer_count) = new_count_waker();
        assert!(io
            .poll_ready(&mut Context::from_waker(&reader), Direction::Read)
            .is_pending());
        assert!(io
            .poll_ready(&mut Context::from_waker(&writer), Direction::Write)
            .is_pending());

        let mut batch = Vec::new();
        io.set_readiness(Ready::READABLE);
        io.take_wakers(Ready::READABLE, &mut batch);
        assert_eq!(wake_all(&mut batch), 1);
        assert_eq!(reader_count.get(), 1);
        assert_eq!(writer_count.get(), 0);
        assert!(io
            .poll_ready(&mut Context::from_waker(&reader), Direction::Read)
            .is_ready());
    }

    #[test]
    fn slot_keeps_only_the_latest_waker() {
        let io = idle_record();
        let (first, first_count) = new_count_waker();
        let (second, second_count) = new_count_waker();
        let _ = io.poll_ready(&mut Context::from_waker(&first), Direction::Read);
        let _ = io.poll_ready(&mut Context::from_waker(&second), Direction::Read);
        let mut batch = Vec::new();
        io.take_wakers(Ready::READ_CLOSED, &mut batch);
        wake_all(&mut batch);
        assert_eq!(first_count.get(), 0);
        assert_eq!(second_count.get(), 1);
    }

    #[test]
    fn every_listed_waiter_is_woken_and_entries_are_removed() {
        let io = idle_record();
        let (waker, count) = new_count_waker();
        let mut keys = [None, None, None];
        for key in &mut keys {
            let polled =
                io.poll_ready_listed(&mut Context::from_waker(&waker), Direction::Read, key);
            assert!(polled.is_pending());
            assert!(key.is_some());
        }
        let mut writer_key = None;
        let _ = io.poll_ready_listed(
            &mut Context::from_waker(&waker),
            Direction::Write,
            &mut writer_key,
        );

        let mut batch = Vec::new();
        io.set_readiness(Ready::READABLE);
        io.take_wakers(Ready::READABLE, &mut batch);
        assert_eq!(wake_all(&mut batch), 3, "three readers, not the writer");
        assert_eq!(count.get(), 3);

        for key in &mut keys {
            let polled =
                io.poll_ready_listed(&mut Context::from_waker(&waker), Direction::Read, key);
            assert!(polled.is_ready());
            assert!(key.is_none(), "a finished waiter leaves the list");
        }
        io.remove_listed(writer_key.unwrap());
        assert!(io.waiters.lock().listed.is_empty());
    }

    #[test]
    fn error_wakes_both_directions() {
        let io = idle_record();
        let (waker, count) = new_count_waker();
        let _ = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        let _ = io.poll_ready(&mut Context::from_waker(&waker), Direction::Write);
        let mut batch = Vec::new();
        io.set_readiness(Ready::ERROR);
        io.take_wakers(Ready::ERROR, &mut batch);
        assert_eq!(wake_all(&mut batch), 2);
        assert_eq!(count.get(), 2);
    }

    #[test]
    fn shutdown_reports_to_every_direction_and_survives_clearing() {
        let io = idle_record();
        let (waker, count) = new_count_waker();
        let mut key = None;
        let _ = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        let _ = io.poll_ready_listed(&mut Context::from_waker(&waker), Direction::Write, &mut key);

        io.mark_shutdown();
        let mut batch = Vec::new();
        io.take_wakers(Ready::ALL, &mut batch);
        assert_eq!(wake_all(&mut batch), 2);
        assert_eq!(count.get(), 2);

        let event = match io.poll_ready(&mut Context::from_waker(&waker), Direction::Read) {
            Poll::Ready(event) => event,
            Poll::Pending => panic!("shutdown must make the socket ready"),
        };
        assert!(event.is_shutdown);
        io.clear_readiness(event);
        assert!(io.ready_now(Direction::Read).unwrap().is_shutdown);
        let listed =
            io.poll_ready_listed(&mut Context::from_waker(&waker), Direction::Write, &mut key);
        assert!(matches!(listed, Poll::Ready(event) if event.is_shutdown));
    }
}
