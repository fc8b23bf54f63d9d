//! Multi-producer, single-consumer channels, with `tokio::sync::mpsc`'s names and
//! meanings: a [bounded](channel) channel, whose senders wait for capacity (and
//! can [reserve](Sender::reserve) it ahead), and an [unbounded](unbounded_channel)
//! one.
//!
//! Values from one sender arrive in the order it sent them. The receiver's
//! [`recv`](Receiver::recv) is cancel safe. When every sender is gone, the receiver
//! gets the values still queued, then `None`; when the receiver closes (or drops),
//! senders fail, but what was already sent, or reserved, can still be received.
//!
//! Receiving spends the task's cooperative budget, so a task that receives in a
//! loop from a channel that always has a value still lets its neighbours run.
//!
//! This module owns the channels; the parts are: `list` (the lock-free block queue
//! that stores the values), `atomic_waker` (the receiver's waker), `chan` (what the
//! two flavours share), `bounded` and `unbounded` (the public handles), and `error`;
//! the `blocking_*` methods use the crate's `block_on`. Bounded capacity is the crate's
//! batch semaphore.
//!
//! # Examples
//!
//! ```
//! use magpie::sync::mpsc;
//!
//! #[magpie::main]
//! async fn main() {
//!     let (tx, mut rx) = mpsc::channel(16);
//!     for id in 0..4 {
//!         let tx = tx.clone();
//!         magpie::spawn(async move {
//!             tx.send(id).await.unwrap();
//!         });
//!     }
//!     drop(tx);
//!     let mut ids = Vec::new();
//!     while let Some(id) = rx.recv().await {
//!         ids.push(id);
//!     }
//!     ids.sort();
//!     assert_eq!(ids, [0, 1, 2, 3]);
//! }
//! ```

mod atomic_waker;
mod bounded;
mod chan;
pub mod error;
mod list;
mod unbounded;

pub use self::bounded::{
    channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender,
};
pub use self::unbounded::{
    unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender,
};
use crate::block_on::block_on;

#[cfg(all(test, loom))]
mod loom_models;
