//! The hierarchical timer wheel: a plain, single-threaded data structure that maps deadlines
//! (in integer ticks; the driver uses 1 tick = 1 ms) to payloads and hands the payloads back once
//! time has advanced past their deadline. It knows nothing of clocks, threads or wakers.
//!
//! # Layout
//! [`LEVELS`] levels of [`SLOTS`] slots. A slot of level `l` covers `64^l` ticks, so level 0 has
//! 1-tick slots and the whole wheel spans `64^6 = 2^36` ticks (about 2.2 years at 1 ms). Each
//! level keeps a `u64` bitmap of its non-empty slots, so the next occupied slot is one
//! `trailing_zeros`. Timers live in a slab (the `entries` module) threaded on intrusive lists: insert and
//! cancel are O(1).
//!
//! # Placement
//! A timer with deadline `d` goes on level `l`, the highest 6-bit digit in which `d` differs from
//! the wheel's current time `elapsed`, in slot `digit_l(d)`. So every occupied slot of a level lies
//! strictly after that level's current slot, all of a level's slots expire before any slot of the
//! level above, and the earliest occupied slot of the lowest non-empty level is the next thing to
//! expire. When time reaches a slot of level `l > 0`, its timers are re-placed relative to the new
//! time and fall to lower levels ("cascading"); each timer cascades at most `LEVELS - 1` times.
//! A deadline beyond the current top-level rotation (including `u64::MAX`) waits on an overflow
//! list. It is re-examined when time reaches the next rotation (every 2^36 ticks at most), and a
//! large jump of time goes straight to the earliest overflow deadline instead of visiting every
//! rotation in between, so nothing overflows, panics or spins.
//!
//! # Exactness
//! A timer is handed back by [`TimerWheel::pop_expired`] with `now` exactly when
//! `deadline <= now`: never before its tick, and never later than the first call whose `now` has
//! reached it. [`TimerWheel::next_expiration`] may report a tick earlier than the earliest deadline
//! (the start of a higher-level slot that must cascade); polling at that tick then fires nothing.

mod entries;

use entries::{Entries, NIL};

/// Number of levels of the wheel.
pub const LEVELS: usize = 6;
/// Number of slots of each level.
pub const SLOTS: usize = 64;
/// log2 of [`SLOTS`]: the width of one level's digit of a tick.
const SLOT_BITS: usize = 6;
/// Ticks spanned by the whole wheel (one rotation of the top level): `64^6 = 2^36`.
pub const WHEEL_SPAN: u64 = 1 << (SLOT_BITS * LEVELS);

/// List ids: `level * SLOTS + slot` for the wheel's slots, then two more lists.
const SLOT_LISTS: usize = LEVELS * SLOTS;
/// Timers whose deadline has been reached, waiting to be popped.
const READY: usize = SLOT_LISTS;
/// Timers whose deadline lies beyond the current top-level rotation.
const OVERFLOW: usize = SLOT_LISTS + 1;
const LISTS: usize = SLOT_LISTS + 2;

/// Identifies one timer in a [`TimerWheel`]. Keys are never reused: once the timer fired or was
/// cancelled, the key matches nothing, even after its storage is recycled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryKey {
    index: u32,
    id: u64,
}

/// A hierarchical timer wheel holding payloads of type `T` (see the [module docs](self)).
pub struct TimerWheel<T> {
    entries: Entries<T, LISTS>,
    /// Bit `s` of `occupied[l]` is set exactly when the list of slot `s` of level `l` is non-empty.
    occupied: [u64; LEVELS],
    /// The wheel's current time: every deadline `<= elapsed` has been moved to the ready list.
    elapsed: u64,
}

impl<T> Default for TimerWheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> std::fmt::Debug for TimerWheel<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerWheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> TimerWheel<T> {
    /// An empty wheel whose current time is tick 0.
    pub fn new() -> Self {
        TimerWheel {
            entries: Entries::new(),
            occupied: [0; LEVELS],
            elapsed: 0,
        }
    }

    /// The wheel's current time: the largest `now` it has been advanced to. Deadlines at or
    /// before it are rejected by [`insert`](Self::insert).
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of timers held (pending or expired but not yet popped).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no timer is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Arms a timer for tick `deadline`. Returns `Err(payload)` without storing anything when
    /// `deadline <= self.elapsed()`: that time has already been reached.
    ///
    /// # Panics
    /// When the wheel already holds `u32::MAX - 1` timers.
    pub fn insert(&mut self, deadline: u64, payload: T) -> Result<EntryKey, T> {
        if deadline <= self.elapsed {
            return Err(payload);
        }
        let (index, id) = self.entries.alloc(deadline, payload);
        let list = self.list_for(deadline);
        self.link(index, list);
        Ok(EntryKey { index, id })
    }

    /// Removes the timer `key` and returns its payload; `None` if it already fired (was popped)
    /// or was cancelled.
    pub fn cancel(&mut self, key: EntryKey) -> Option<T> {
        let index = self.entries.find(key.index, key.id)?;
        self.unlink(index);
        Some(self.entries.free(index))
    }

    /// True while the timer `key` is held (not yet popped nor cancelled).
    pub fn contains(&self, key: EntryKey) -> bool {
        self.entries.find(key.index, key.id).is_some()
    }

    /// The deadline the timer `key` was inserted with, while it is held.
    pub fn deadline(&self, key: EntryKey) -> Option<u64> {
        let index = self.entries.find(key.index, key.id)?;
        Some(self.entries.deadline(index))
    }

    /// The payload of the timer `key`, while it is held.
    pub fn payload_mut(&mut self, key: EntryKey) -> Option<&mut T> {
        let index = self.entries.find(key.index, key.id)?;
        Some(self.entries.payload_mut(index))
    }

    /// The tick at which the wheel next has work: `Some(elapsed)` if expired timers wait to be
    /// popped, otherwise the start of the earliest occupied slot (at most the earliest deadline,
    /// see the module docs), or `None` when the wheel is empty.
    pub fn next_expiration(&self) -> Option<u64> {
        if !self.entries.is_list_empty(READY) {
            return Some(self.elapsed);
        }
        self.next_due_list().map(|(_, tick)| tick)
    }

    /// Advances the wheel's time to `now` (never backwards) as far as needed to return one timer
    /// whose deadline is `<= now`, and returns its payload; `None` once no held timer is due at
    /// `now`. Call it in a loop; between calls the wheel may be used freely (a driver can release
    /// its lock to wake a batch).
    pub fn pop_expired(&mut self, now: u64) -> Option<T> {
        loop {
            let ready = self.entries.head(READY);
            if ready != NIL {
                self.entries.unlink(ready);
                return Some(self.entries.free(ready));
            }
            match self.next_due_list() {
                Some((OVERFLOW, tick)) if tick <= now => {
                    // Only overflow timers are left. Jump straight to the earliest of them (or
                    // to `now`) instead of visiting each empty 2^36-tick rotation in between.
                    let earliest = self.earliest_overflow_deadline();
                    self.expire_list(OVERFLOW, now.min(earliest));
                }
                Some((list, tick)) if tick <= now => self.expire_list(list, tick),
                _ => {
                    // Nothing expires in (elapsed, now]: moving `elapsed` to `now` keeps every
                    // placement valid (all occupied slots start after `now`).
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// Calls `fired` with the payload of every timer whose deadline is `<= now`, advancing the
    /// wheel's time to `now`.
    pub fn advance(&mut self, now: u64, mut fired: impl FnMut(T)) {
        while let Some(payload) = self.pop_expired(now) {
            fired(payload);
        }
    }

    /// Removes every timer and returns their payloads (in no particular order). The wheel's
    /// time is unchanged.
    pub fn drain(&mut self) -> Vec<T> {
        self.occupied = [0; LEVELS];
        self.entries.drain()
    }

    /// The list a timer with `deadline > elapsed` belongs on.
    fn list_for(&self, deadline: u64) -> usize {
        debug_assert!(deadline > self.elapsed);
        // Highest bit in which the deadline differs from now; the low digit is forced so that
        // level 0 is chosen when only the low digit differs.
        let differing = (self.elapsed ^ deadline) | (SLOTS as u64 - 1);
        let level = (63 - differing.leading_zeros() as usize) / SLOT_BITS;
        if level >= LEVELS {
            return OVERFLOW;
        }
        let slot = (deadline >> (level * SLOT_BITS)) as usize & (SLOTS - 1);
        level * SLOTS + slot
    }

    fn link(&mut self, index: u32, list: usize) {
        self.entries.link(index, list);
        if list < SLOT_LISTS {
            self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
        }
    }

    fn unlink(&mut self, index: u32) {
        let list = self
            .entries
            .list_of(index)
            .expect("a held timer is always on a list");
        if self.entries.unlink(index) && list < SLOT_LISTS {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
    }

    /// The next list to expire and the tick at which it does (always `> elapsed`).
    fn next_due_list(&self) -> Option<(usize, u64)> {
        for (level, &occupied) in self.occupied.iter().enumerate() {
            if occupied == 0 {
                continue;
            }
            let slot = occupied.trailing_zeros() as usize;
            let shift = level * SLOT_BITS;
            let level_span = 1u64 << (shift + SLOT_BITS);
            let rotation_start = self.elapsed & !(level_span - 1);
            let tick = rotation_start + ((slot as u64) << shift);
            debug_assert!(
                tick > self.elapsed,
                "occupied slots always lie after the current one"
            );
            return Some((level * SLOTS + slot, tick));
        }
        if self.entries.is_list_empty(OVERFLOW) {
            return None;
        }
        // An overflow timer's deadline has a higher digit above the top level than `elapsed`,
        // so the current rotation is not the last one of u64 and `+ 1` cannot overflow.
        Some((OVERFLOW, (self.elapsed | (WHEEL_SPAN - 1)) + 1))
    }

    fn earliest_overflow_deadline(&self) -> u64 {
        let mut earliest = u64::MAX;
        let mut cursor = self.entries.head(OVERFLOW);
        while cursor != NIL {
            earliest = earliest.min(self.entries.deadline(cursor));
            cursor = self.entries.next(cursor);
        }
        earliest
    }

    /// Time has reached `tick`, the expiration of `list`: re-place its timers relative to `tick`
    /// (due ones onto the ready list, the rest onto lower levels).
    fn expire_list(&mut self, list: usize, tick: u64) {
        self.elapsed = tick;
        if list < SLOT_LISTS {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
        let mut cursor = self.entries.detach(list);
        while cursor != NIL {
            let next = self.entries.next(cursor);
            let deadline = self.entries.deadline(cursor);
            let target = if deadline <= tick {
                READY
            } else {
                self.list_for(deadline)
            };
            self.entries.relink(cursor, target);
            if target < SLOT_LISTS {
                self.occupied[target / SLOTS] |= 1 << (target % SLOTS);
            }
            cursor = next;
        }
    }
}

#[cfg(test)]
mod tests;
