//! `TimerEntry`: one deadline and its registration in a shard's wheel, the engine shared by
//! [`Sleep`](crate::Sleep), [`Timeout`](crate::Timeout) and [`Interval`](crate::Interval).
//!
//! Registration is lazy: nothing touches a wheel until the first poll that finds the deadline
//! still ahead, so a `timeout` around a future that is already ready costs no lock at all.
//! Moving the deadline later does not touch the wheel either: the old, earlier wheel entry fires,
//! the next poll sees that the deadline has moved and arms again. Moving it earlier re-places
//! the wheel entry at once (O(1)).
//!
//! Cost per timer: no heap allocation of its own. The entry is this struct (an `Arc` to its
//! shard, the deadline and a small state) plus, while armed, one slot in its shard's slab (the
//! waker and list links, 48 bytes), reused by later timers. Creating one clones the shard's
//! `Arc` (a counter private to that shard, not a global one). Clock reads, the dearest step on
//! many machines: one at creation for `sleep(d)` / `timeout(d)` / `interval`, none at their
//! first poll; one at the first poll for the instant-based `sleep_until` / `timeout_at` /
//! `interval_at` and after a reset, so that a deadline already passed completes at once.

use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::Instant;

use crate::clock::instant_after;
use crate::context;
use crate::driver::{Generation, MoveEarlier, Shard, ShutDown, SHUT_DOWN_MESSAGE};
use crate::wheel::EntryKey;

#[derive(Clone, Copy, Debug)]
enum State {
    /// Not in any wheel: the next poll arms it, unless the deadline has passed.
    ///
    /// `deadline_ahead` is true for a fresh timer whose deadline was just computed as "now plus
    /// a positive duration": arming then skips reading the clock (the costliest step of arming on
    /// many machines). If the deadline did pass before that first poll, the timer is not lost:
    /// the wheel rejects a tick the driver has already reached, or the driver, unparked because
    /// the tick is earlier than its target, fires it on its next turn.
    Idle { deadline_ahead: bool },
    /// In the shard's wheel under `key`, due at `tick`. `tick` is at most the deadline's tick;
    /// it is earlier after a reset to a later deadline. `seen` is the shard's fire generation
    /// and `waker` the identity of the waker stored in the wheel, both as of the last look
    /// under the lock: while both still match, a poll knows without locking that the timer
    /// has not fired and will wake the right task.
    Armed {
        key: EntryKey,
        tick: u64,
        seen: Generation,
        waker: WakerId,
    },
    /// The deadline has been reached; polls return `Ready` until the next reset.
    Elapsed,
}

/// The identity `Waker::will_wake` compares (data and vtable pointers), kept as integers so
/// the entry stays `Send + Sync`. Stable while the wheel holds a clone of that waker, which
/// keeps whatever it points to alive.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct WakerId(usize, usize);

impl WakerId {
    fn of(waker: &Waker) -> WakerId {
        WakerId(
            waker.data() as usize,
            waker.vtable() as *const std::task::RawWakerVTable as usize,
        )
    }
}

/// A deadline that can be polled, reset and dropped from any thread.
pub(crate) struct TimerEntry {
    shard: std::sync::Arc<Shard>,
    deadline: Instant,
    state: State,
}

impl std::fmt::Debug for TimerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerEntry")
            .field("deadline", &self.deadline)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Panics for a timer used after its driver shut down.
#[cold]
#[track_caller]
fn shut_down() -> ! {
    panic!("{SHUT_DOWN_MESSAGE}")
}

impl TimerEntry {
    /// A timer for `deadline` in the current thread's shard.
    ///
    /// # Panics
    /// Outside the context of a runtime's timer, or after that timer shut down.
    #[track_caller]
    pub(crate) fn at(deadline: Instant) -> TimerEntry {
        TimerEntry {
            shard: context::current_shard(),
            deadline,
            state: State::Idle {
                deadline_ahead: false,
            },
        }
    }

    /// A timer `duration` after `now`, which the caller has just read from the clock. A zero
    /// duration is elapsed from the start.
    ///
    /// # Panics
    /// Outside the context of a runtime's timer, or after that timer shut down.
    #[track_caller]
    pub(crate) fn after(now: Instant, duration: Duration) -> TimerEntry {
        let state = if duration.is_zero() {
            State::Elapsed
        } else {
            State::Idle {
                deadline_ahead: true,
            }
        };
        TimerEntry {
            shard: context::current_shard(),
            deadline: instant_after(now, duration),
            state,
        }
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The current time by this timer's clock (paused or not).
    fn now(&self) -> Instant {
        self.shard.shared().clock().now()
    }

    /// Whether the deadline has been reached, as a poll would report it now.
    pub(crate) fn is_elapsed(&self) -> bool {
        match self.state {
            State::Elapsed => true,
            State::Idle { .. } => self.now() >= self.deadline,
            State::Armed { key, tick, .. } => {
                !self.shard.is_armed(key)
                    && (tick >= self.deadline_tick() || self.now() >= self.deadline)
            }
        }
    }

    /// `Ready` once the deadline has been reached; otherwise arms the timer (or refreshes its
    /// waker) so that `cx` is woken when it is.
    ///
    /// # Panics
    /// If the driver has shut down.
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.shard.shared().is_shutdown() {
            shut_down();
        }
        match self.state {
            State::Elapsed => Poll::Ready(()),
            State::Idle { deadline_ahead } => self.arm(cx, deadline_ahead),
            State::Armed {
                key,
                tick,
                seen,
                waker,
            } => {
                // Lock-free fast path: nothing of this shard fired since we last looked and
                // the same task polls, so the armed entry still stands and wakes it.
                let current = WakerId::of(cx.waker());
                if current == waker && self.shard.generation() == seen {
                    return Poll::Pending;
                }
                match self.shard.refresh_waker(key, cx.waker()) {
                    Ok(Some(seen)) => {
                        self.state = State::Armed {
                            key,
                            tick,
                            seen,
                            waker: current,
                        };
                        Poll::Pending
                    }
                    Ok(None) if tick >= self.deadline_tick() => {
                        self.state = State::Elapsed;
                        Poll::Ready(())
                    }
                    // It fired for an earlier deadline than the current one (reset to later).
                    Ok(None) => self.arm(cx, false),
                    Err(ShutDown) => shut_down(),
                }
            }
        }
    }

    /// -> Elapsed if the deadline has passed, else -> Armed. `deadline_ahead`: see [`State`].
    fn arm(&mut self, cx: &mut Context<'_>, deadline_ahead: bool) -> Poll<()> {
        // Exact comparison, so that an `Instant::now()` deadline completes at once instead of
        // waiting for its rounded-up tick.
        if !deadline_ahead && self.now() >= self.deadline {
            self.state = State::Elapsed;
            return Poll::Ready(());
        }
        let tick = self.deadline_tick();
        match self.shard.arm(tick, cx.waker()) {
            Ok(Some((key, seen))) => {
                self.state = State::Armed {
                    key,
                    tick,
                    seen,
                    waker: WakerId::of(cx.waker()),
                };
                Poll::Pending
            }
            // The driver has already been past `tick`, so the deadline has passed.
            Ok(None) => {
                self.state = State::Elapsed;
                Poll::Ready(())
            }
            Err(ShutDown) => shut_down(),
        }
    }

    /// Sets a new deadline. The next poll decides against it; an armed timer moving earlier is
    /// re-placed in its wheel now (waking its waiter if the new deadline has already passed).
    pub(crate) fn reset(&mut self, deadline: Instant) {
        let previous = std::mem::replace(&mut self.deadline, deadline);
        let State::Armed {
            key,
            tick,
            seen,
            waker,
        } = self.state
        else {
            self.state = State::Idle {
                deadline_ahead: false,
            };
            return;
        };
        // Later (or in the same tick): keep the earlier wheel entry and re-arm when it fires.
        // The armed tick is at most the previous deadline's tick, so a deadline at or after the
        // previous one needs no tick arithmetic (the common "push the deadline back" case).
        if deadline >= previous {
            return;
        }
        let new_tick = self.deadline_tick();
        if new_tick >= tick {
            return;
        }
        match self.shard.move_earlier(key, new_tick) {
            // Same waker, and a fire since `seen` still sends the next poll to the lock.
            MoveEarlier::Moved(key) => {
                self.state = State::Armed {
                    key,
                    tick: new_tick,
                    seen,
                    waker,
                }
            }
            MoveEarlier::Reached(waker) => {
                self.state = State::Elapsed;
                // Whoever polls this timer may be waiting on it elsewhere.
                waker.wake();
            }
            // It fired at `tick`, after `new_tick`: the next poll sees that and completes.
            MoveEarlier::AlreadyFired => {}
        }
    }

    fn deadline_tick(&self) -> u64 {
        self.shard.shared().clock().deadline_tick(self.deadline)
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        if let State::Armed { key, .. } = self.state {
            // The waker comes back unlocked and is dropped here. After a shutdown the wheel is
            // empty and this finds nothing: dropping never panics.
            drop(self.shard.disarm(key));
        }
    }
}
