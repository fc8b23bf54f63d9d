//! One sender, many receiving tasks: watch and broadcast workloads, after tokio's
//! `benches/sync_watch.rs` and `sync_broadcast.rs`.
//!
//! N receiver tasks (10, 100, 500, 1000) loop forever: wait for the next value, do a
//! little work with it ([`do_work`]), count themselves done, and the last one
//! done wakes the sender through a `Notify`. A timed iteration is 100 rounds of: send
//! one value, wait until all N receivers have handled it.
//!
//! - `watch_N`: the sender is a spawned task; receivers wait in `changed()` and read
//!   the value with `borrow()`.
//! - `broadcast_N`: the sender runs in `block_on`; capacity 1000, so nobody lags.

use crate::Harness;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const RECEIVERS: [usize; 4] = [10, 100, 500, 1000];
/// Values sent per timed iteration.
const ROUNDS: usize = 100;
const BROADCAST_CAPACITY: usize = 1000;

/// Defines the fan-out workloads on one runtime with that runtime's `sync`.
macro_rules! workloads {
    ($name:ident, $rt:ty, $spawn:path, $($sync:ident)::+) => {
        mod $name {
            use super::*;
            use $($sync)::+::{broadcast, watch, Notify};

            /// How many receivers have yet to handle the current value, and the
            /// `Notify` the last of them wakes the sender with.
            type Pending = Arc<(AtomicUsize, Notify)>;

            /// Marks one receiver done with the current value.
            fn done(pending: &Pending) {
                // AcqRel: the sender's next round starts after every receiver's work.
                if pending.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                    pending.1.notify_one();
                }
            }

            /// Waits until every receiver is done with the current value.
            async fn all_done(pending: &Pending) {
                while pending.0.load(Ordering::Acquire) > 0 {
                    pending.1.notified().await;
                }
            }

            pub struct Watch {
                sender: Arc<watch::Sender<usize>>,
                pending: Pending,
                receivers: usize,
            }

            pub fn start_watch(rt: &$rt, receivers: usize) -> Watch {
                let (sender, _) = watch::channel(0usize);
                let sender = Arc::new(sender);
                let pending: Pending = Arc::new((AtomicUsize::new(0), Notify::new()));
                for n in 0..receivers {
                    let mut receiver = sender.subscribe();
                    let pending = pending.clone();
                    let mut seed = n as u64 + 1;
                    rt.spawn(async move {
                        while receiver.changed().await.is_ok() {
                            black_box(*receiver.borrow());
                            black_box(do_work(&mut seed));
                            done(&pending);
                        }
                    });
                }
                Watch { sender, pending, receivers }
            }

            pub fn watch_rounds(rt: &$rt, state: &Watch) {
                let sender = state.sender.clone();
                let pending = state.pending.clone();
                let receivers = state.receivers;
                rt.block_on(async move {
                    $spawn(async move {
                        for round in 0..ROUNDS {
                            assert_eq!(pending.0.fetch_add(receivers, Ordering::Relaxed), 0);
                            sender.send(round).expect("receivers are alive");
                            all_done(&pending).await;
                        }
                    })
                    .await
                    .unwrap();
                })
            }

            pub struct Broadcast {
                sender: broadcast::Sender<usize>,
                pending: Pending,
                receivers: usize,
            }

            pub fn start_broadcast(rt: &$rt, receivers: usize) -> Broadcast {
                let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
                let pending: Pending = Arc::new((AtomicUsize::new(0), Notify::new()));
                for n in 0..receivers {
                    let mut receiver = sender.subscribe();
                    let pending = pending.clone();
                    let mut seed = n as u64 + 1;
                    rt.spawn(async move {
                        while let Ok(value) = receiver.recv().await {
                            black_box(value);
                            black_box(do_work(&mut seed));
                            done(&pending);
                        }
                    });
                }
                Broadcast { sender, pending, receivers }
            }

            pub fn broadcast_rounds(rt: &$rt, state: &Broadcast) {
                rt.block_on(async {
                    for round in 0..ROUNDS {
                        assert_eq!(
                            state.pending.0.fetch_add(state.receivers, Ordering::Relaxed),
                            0
                        );
                        state.sender.send(round).expect("receivers are alive");
                        all_done(&state.pending).await;
                    }
                })
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::spawn,
    magpie::sync
);
workloads!(on_tokio, tokio::runtime::Runtime, tokio::spawn, tokio::sync);

/// Registers every watch and broadcast group.
pub fn register(c: &mut Harness) {
    for receivers in RECEIVERS {
        pair_with_setup!(
            c,
            format!("watch_{receivers}"),
            start_watch(receivers),
            watch_rounds
        );
    }
    for receivers in RECEIVERS {
        pair_with_setup!(
            c,
            format!("broadcast_{receivers}"),
            start_broadcast(receivers),
            broadcast_rounds
        );
    }
}

/// What a receiver does with each message in the watch and broadcast workloads: a few
/// hundred nanoseconds of formatting, so the receivers do not all return to the channel
/// at the same instant (tokio's benches format random floats for the same purpose).
/// `state` is the receiver's own xorshift generator; it must not start at 0.
fn do_work(state: &mut u64) -> u32 {
    use std::fmt::Write;
    let mut text = String::new();
    for i in 1..=10 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let _ = write!(text, " {i}={}", *state >> 40);
    }
    text.bytes().map(u32::from).fold(0, u32::wrapping_add)
}
