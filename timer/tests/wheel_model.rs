//! Property test: drives a `TimerWheel` and a `BTreeMap` model through the same random sequence of
//! inserts, cancels and advances, and checks after every step that exactly the same timers fire
//! (none before its tick, none after the first advance that reaches it), that inserts of reached
//! deadlines are rejected alike, and that `next_expiration` never lies after the earliest deadline.

use std::collections::{BTreeSet, HashMap};

use magpie_timer::wheel::{EntryKey, TimerWheel, WHEEL_SPAN};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// Insert at `elapsed + delta` (saturating).
    Insert(u64),
    /// Insert at an absolute tick (used for the top of the u64 range).
    InsertAt(u64),
    /// Cancel the n-th key ever handed out (modulo the count), live or not.
    Cancel(usize),
    /// Advance to `elapsed + delta` (saturating).
    Advance(u64),
    /// Advance to whatever `next_expiration` reports.
    AdvanceToNextExpiration,
    /// Advance to one tick before the model's earliest deadline: nothing may fire.
    AdvanceToJustBeforeEarliest,
}

fn delta() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..4u64,
        6 => 0..70u64,
        4 => 0..5_000u64,
        3 => 0..(1u64 << 20),
        2 => 0..(1u64 << 31),
        2 => (WHEEL_SPAN - 100)..(WHEEL_SPAN * 3),
        1 => Just(u64::MAX),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => delta().prop_map(Op::Insert),
        1 => (0..200u64).prop_map(|back| Op::InsertAt(u64::MAX - back)),
        3 => any::<usize>().prop_map(Op::Cancel),
        4 => delta().prop_map(Op::Advance),
        2 => Just(Op::AdvanceToNextExpiration),
        1 => Just(Op::AdvanceToJustBeforeEarliest),
    ]
}

/// The reference: the set of pending `(deadline, id)` pairs.
struct Model {
    elapsed: u64,
    pending: BTreeSet<(u64, u32)>,
    deadline_of: HashMap<u32, u64>,
}

impl Model {
    fn advance(&mut self, now: u64) -> Vec<u32> {
        self.elapsed = self.elapsed.max(now);
        let mut fired = Vec::new();
        while let Some(&(deadline, id)) = self.pending.first() {
            if deadline > self.elapsed {
                break;
            }
            self.pending.pop_first();
            self.deadline_of.remove(&id);
            fired.push(id);
        }
        fired.sort_unstable();
        fired
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut wheel = TimerWheel::new();
    let mut model = Model {
        elapsed: 0,
        pending: BTreeSet::new(),
        deadline_of: HashMap::new(),
    };
    let mut keys: Vec<(EntryKey, u32)> = Vec::new();
    let mut next_id = 0u32;

    for op in ops {
        let advance_to = match op {
            Op::Insert(_) | Op::InsertAt(_) => {
                let deadline = match op {
                    Op::Insert(delta) => model.elapsed.saturating_add(delta),
                    Op::InsertAt(tick) => tick,
                    _ => unreachable!(),
                };
                let id = next_id;
                next_id += 1;
                match wheel.insert(deadline, id) {
                    Ok(key) => {
                        prop_assert!(deadline > model.elapsed, "accepted a reached deadline");
                        model.pending.insert((deadline, id));
                        model.deadline_of.insert(id, deadline);
                        keys.push((key, id));
                    }
                    Err(payload) => {
                        prop_assert_eq!(payload, id);
                        prop_assert!(deadline <= model.elapsed, "rejected a future deadline");
                    }
                }
                None
            }
            Op::Cancel(n) => {
                if !keys.is_empty() {
                    let (key, id) = keys[n % keys.len()];
                    let cancelled = wheel.cancel(key);
                    match model.deadline_of.remove(&id) {
                        Some(deadline) => {
                            prop_assert_eq!(cancelled, Some(id));
                            model.pending.remove(&(deadline, id));
                        }
                        None => prop_assert_eq!(cancelled, None),
                    }
                }
                None
            }
            Op::Advance(delta) => Some(model.elapsed.saturating_add(delta)),
            Op::AdvanceToNextExpiration => wheel.next_expiration(),
            Op::AdvanceToJustBeforeEarliest => {
                model.pending.first().map(|&(deadline, _)| deadline - 1)
            }
        };

        if let Some(now) = advance_to {
            let mut fired = Vec::new();
            wheel.advance(now, |id| fired.push(id));
            fired.sort_unstable();
            let expected = model.advance(now);
            if matches!(op, Op::AdvanceToJustBeforeEarliest) {
                prop_assert!(fired.is_empty(), "fired early at {}: {:?}", now, fired);
            }
            prop_assert_eq!(fired, expected, "different timers fired at {}", now);
            prop_assert_eq!(wheel.elapsed(), model.elapsed);
        }

        prop_assert_eq!(wheel.len(), model.pending.len());
        match (wheel.next_expiration(), model.pending.first()) {
            (None, None) => {}
            (Some(next), Some(&(earliest, _))) => {
                prop_assert!(
                    next <= earliest,
                    "next {} after earliest {}",
                    next,
                    earliest
                );
                prop_assert!(
                    next > wheel.elapsed() || next == earliest,
                    "next {} is not ahead of elapsed {}",
                    next,
                    wheel.elapsed()
                );
            }
            (next, earliest) => prop_assert!(
                false,
                "next_expiration {:?} but model earliest {:?}",
                next,
                earliest
            ),
        }
    }
    // Whatever is left fires by the end of time, each exactly once.
    let mut fired = Vec::new();
    wheel.advance(u64::MAX, |id| fired.push(id));
    fired.sort_unstable();
    prop_assert_eq!(fired, model.advance(u64::MAX));
    prop_assert!(wheel.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn wheel_fires_exactly_what_the_model_fires(ops in proptest::collection::vec(op(), 1..250)) {
        run(ops)?;
    }
}

#[test]
fn dense_random_schedule_matches_the_model() {
    // A long deterministic run with many timers alive at once, stepping through time in small
    // increments so that every level cascades many times.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut ops = Vec::new();
    for _ in 0..20_000 {
        let r = next();
        ops.push(match r % 10 {
            0..=4 => Op::Insert(next() % [70, 5_000, 300_000][(r >> 8) as usize % 3]),
            5 | 6 => Op::Cancel(next() as usize),
            7 => Op::AdvanceToNextExpiration,
            _ => Op::Advance(next() % 3_000),
        });
    }
    run(ops).unwrap();
}
