//! Unit tests of the wheel's placement, cascading, cancellation and range limits. The randomized
//! comparison against a `BTreeMap` model lives in `tests/wheel_model.rs`.

use super::*;

/// Advances to `now` and returns what fired, sorted.
fn fire(wheel: &mut TimerWheel<u32>, now: u64) -> Vec<u32> {
    let mut fired = Vec::new();
    wheel.advance(now, |payload| fired.push(payload));
    fired.sort_unstable();
    fired
}

#[test]
fn fires_exactly_at_the_deadline_on_every_level() {
    // One deadline per level, plus slot and level boundaries.
    let deadlines = [
        1,
        63,
        64,
        65,
        100,
        4095,
        4096,
        300_000,
        1 << 24,
        (1 << 30) + 7,
        WHEEL_SPAN - 1,
    ];
    for &deadline in &deadlines {
        let mut wheel = TimerWheel::new();
        wheel.insert(deadline, 7).unwrap();
        assert_eq!(
            fire(&mut wheel, deadline - 1),
            Vec::<u32>::new(),
            "{deadline} fired early"
        );
        assert_eq!(
            fire(&mut wheel, deadline),
            vec![7],
            "{deadline} did not fire on time"
        );
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
    }
}

#[test]
fn next_expiration_reports_slot_starts_then_the_exact_deadline() {
    let mut wheel = TimerWheel::new();
    wheel.insert(100, 1).unwrap();
    // 100 is on level 1 (slot 1 = ticks 64..128): the wheel must wake at 64 to cascade.
    assert_eq!(wheel.next_expiration(), Some(64));
    assert_eq!(wheel.pop_expired(64), None);
    assert_eq!(wheel.elapsed(), 64);
    assert_eq!(wheel.next_expiration(), Some(100));
    assert_eq!(wheel.pop_expired(100), Some(1));
}

#[test]
fn level_zero_timers_report_their_exact_tick() {
    let mut wheel = TimerWheel::new();
    wheel.insert(9, 1).unwrap();
    wheel.insert(5, 2).unwrap();
    assert_eq!(wheel.next_expiration(), Some(5));
    assert_eq!(fire(&mut wheel, 7), vec![2]);
    assert_eq!(wheel.next_expiration(), Some(9));
}

#[test]
fn advancing_past_many_levels_fires_everything_due_in_one_call() {
    let mut wheel = TimerWheel::new();
    for (payload, deadline) in [(1, 3), (2, 70), (3, 5000), (4, 400_000), (5, 400_001)] {
        wheel.insert(deadline, payload).unwrap();
    }
    assert_eq!(fire(&mut wheel, 400_000), vec![1, 2, 3, 4]);
    assert_eq!(wheel.elapsed(), 400_000);
    assert_eq!(fire(&mut wheel, 400_001), vec![5]);
}

#[test]
fn same_deadline_timers_all_fire_together() {
    let mut wheel = TimerWheel::new();
    for payload in 0..100 {
        wheel.insert(777, payload).unwrap();
    }
    assert_eq!(fire(&mut wheel, 776).len(), 0);
    assert_eq!(fire(&mut wheel, 777), (0..100).collect::<Vec<_>>());
}

#[test]
fn deadlines_already_reached_are_rejected() {
    let mut wheel = TimerWheel::new();
    assert_eq!(wheel.insert(0, 1), Err(1));
    assert_eq!(fire(&mut wheel, 50), Vec::<u32>::new());
    assert_eq!(wheel.elapsed(), 50);
    assert_eq!(wheel.insert(50, 2), Err(2));
    assert_eq!(wheel.insert(10, 3), Err(3));
    assert!(wheel.insert(51, 4).is_ok());
    assert_eq!(wheel.len(), 1);
}

#[test]
fn time_never_moves_backwards() {
    let mut wheel = TimerWheel::new();
    wheel.insert(30, 1).unwrap();
    assert_eq!(fire(&mut wheel, 20), Vec::<u32>::new());
    assert_eq!(fire(&mut wheel, 10), Vec::<u32>::new());
    assert_eq!(wheel.elapsed(), 20);
    assert_eq!(fire(&mut wheel, 30), vec![1]);
}

#[test]
fn cancel_removes_the_timer_and_returns_its_payload_once() {
    let mut wheel = TimerWheel::new();
    let a = wheel.insert(10, 1).unwrap();
    let b = wheel.insert(10, 2).unwrap();
    let c = wheel.insert(5000, 3).unwrap();
    assert_eq!(wheel.cancel(a), Some(1));
    assert_eq!(wheel.cancel(a), None);
    assert!(!wheel.contains(a));
    assert_eq!(wheel.cancel(c), Some(3));
    // Level 2 is empty again, so the next expiration is level 0's slot.
    assert_eq!(wheel.next_expiration(), Some(10));
    assert_eq!(fire(&mut wheel, 10_000), vec![2]);
    assert_eq!(wheel.cancel(b), None, "a fired timer cannot be cancelled");
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn stale_keys_never_reach_a_timer_that_reuses_the_storage() {
    let mut wheel = TimerWheel::new();
    let old = wheel.insert(10, 1).unwrap();
    assert_eq!(wheel.cancel(old), Some(1));
    let new = wheel.insert(20, 2).unwrap();
    assert_ne!(old, new);
    assert!(!wheel.contains(old));
    assert_eq!(wheel.payload_mut(old), None);
    assert_eq!(wheel.deadline(old), None);
    assert_eq!(wheel.cancel(old), None);
    assert_eq!(wheel.deadline(new), Some(20));
    *wheel.payload_mut(new).unwrap() = 5;
    assert_eq!(fire(&mut wheel, 20), vec![5]);
}

#[test]
fn cancelling_a_cascaded_timer_works_from_any_level() {
    let mut wheel = TimerWheel::new();
    let key = wheel.insert(5000, 1).unwrap();
    let other = wheel.insert(5001, 2).unwrap();
    // Cascade both down to level 0 by advancing to the start of their level-1 slot.
    assert_eq!(fire(&mut wheel, 4992), Vec::<u32>::new());
    assert_eq!(wheel.cancel(key), Some(1));
    assert_eq!(fire(&mut wheel, 5000), Vec::<u32>::new());
    assert!(wheel.contains(other));
    assert_eq!(fire(&mut wheel, 5001), vec![2]);
}

#[test]
fn far_deadlines_wait_on_the_overflow_list_and_fire_on_time() {
    let mut wheel = TimerWheel::new();
    let far = 3 * WHEEL_SPAN + 12_345;
    wheel.insert(far, 1).unwrap();
    wheel.insert(WHEEL_SPAN + 1, 2).unwrap();
    // The wheel must wake at the end of the first rotation to look at the overflow list.
    assert_eq!(wheel.next_expiration(), Some(WHEEL_SPAN));
    assert_eq!(fire(&mut wheel, WHEEL_SPAN), Vec::<u32>::new());
    assert_eq!(fire(&mut wheel, WHEEL_SPAN + 1), vec![2]);
    assert_eq!(fire(&mut wheel, far - 1), Vec::<u32>::new());
    assert_eq!(fire(&mut wheel, far), vec![1]);
}

#[test]
fn the_largest_deadlines_never_overflow() {
    let mut wheel = TimerWheel::new();
    wheel.insert(u64::MAX, 1).unwrap();
    wheel.insert(u64::MAX - 1, 2).unwrap();
    wheel.insert(u64::MAX - WHEEL_SPAN, 3).unwrap();
    wheel.insert(1 << 63, 4).unwrap();
    // A jump across ~2^28 rotations must not visit them one by one.
    assert_eq!(fire(&mut wheel, u64::MAX - 2), vec![3, 4]);
    assert_eq!(wheel.next_expiration(), Some(u64::MAX - 1));
    assert_eq!(fire(&mut wheel, u64::MAX - 1), vec![2]);
    assert_eq!(fire(&mut wheel, u64::MAX), vec![1]);
    assert_eq!(wheel.elapsed(), u64::MAX);
    assert_eq!(wheel.insert(u64::MAX, 5), Err(5));
}

#[test]
fn pop_expired_can_be_interleaved_with_inserts_and_cancels() {
    let mut wheel = TimerWheel::new();
    let keys: Vec<_> = (0..10).map(|i| wheel.insert(40, i).unwrap()).collect();
    let first = wheel.pop_expired(40).unwrap();
    // The rest are now on the ready list: still held, still cancellable.
    assert_eq!(wheel.next_expiration(), Some(40));
    let cancelled = keys
        .iter()
        .filter(|&&key| wheel.cancel(key).is_some())
        .count();
    assert_eq!(cancelled, 9);
    assert!(!wheel.contains(keys[first as usize]));
    assert_eq!(wheel.insert(40, 99), Err(99));
    wheel.insert(41, 100).unwrap();
    assert_eq!(fire(&mut wheel, 41), vec![100]);
}

#[test]
fn drain_returns_everything_and_leaves_an_empty_wheel() {
    let mut wheel = TimerWheel::new();
    let key = wheel.insert(3, 1).unwrap();
    wheel.insert(3000, 2).unwrap();
    wheel.insert(u64::MAX, 3).unwrap();
    let mut drained = wheel.drain();
    drained.sort_unstable();
    assert_eq!(drained, vec![1, 2, 3]);
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_expiration(), None);
    assert!(!wheel.contains(key));
    wheel.insert(4, 4).unwrap();
    assert_eq!(fire(&mut wheel, 4), vec![4]);
}

#[test]
fn storage_shrinks_when_a_large_wheel_empties_and_old_keys_stay_stale() {
    let mut wheel = TimerWheel::new();
    let keys: Vec<_> = (0..10_000)
        .map(|i| wheel.insert(10 + i as u64, i).unwrap())
        .collect();
    assert_eq!(fire(&mut wheel, 20_000).len(), 10_000);
    assert!(wheel.is_empty());
    let fresh = wheel.insert(30_000, 1).unwrap();
    assert!(keys.iter().all(|&key| !wheel.contains(key)));
    assert!(wheel.contains(fresh));
}
