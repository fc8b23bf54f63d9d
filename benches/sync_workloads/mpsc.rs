//! mpsc workloads, after tokio's `benches/sync_mpsc.rs` and `sync_mpsc_oneshot.rs`.
//!
//! - `mpsc_contended_*`: 5 tasks send 1000 values each while the caller receives all
//!   5000: bounded with room for everything (1M), bounded and full (capacity 100, so
//!   senders wait for room), and unbounded.
//! - `mpsc_uncontended_*`: one task sends 5000 values, then receives them.
//! - `mpsc_send_medium`, `mpsc_send_large`: a channel of capacity 1000 is made, one
//!   `[usize; 64]` (512 B) or `[[usize; 64]; 64]` (32 KiB) value is sent and received.
//! - `mpsc_oneshot_request_reply`: 1000 round trips to a responder task, each request a
//!   `oneshot::Sender` sent over a bounded mpsc (capacity 10) and answered through it.
//!
//! The first seven groups also time async-channel and flume on magpie's runtime, as
//! references: channels users reach for when their runtime has none of its own.

use crate::Harness;

const SENDERS: usize = 5;
const SENDS_PER_SENDER: usize = 1000;
const MESSAGES: usize = SENDERS * SENDS_PER_SENDER;
/// Room for every message: no sender ever waits.
const ROOMY: usize = 1_000_000;
/// Less room than messages: senders wait for the receiver.
const FULL: usize = 100;
/// The capacity of the medium and large message channels.
const MESSAGE_CAPACITY: usize = 1000;
const ROUND_TRIPS: usize = 1000;
/// The request queue of the request/reply workload.
const REQUEST_CAPACITY: usize = 10;

/// A 512-byte message.
#[derive(Clone, Copy)]
pub struct Medium(#[allow(dead_code)] [usize; 64]);

impl Default for Medium {
    fn default() -> Medium {
        Medium([0; 64])
    }
}

/// A 32 KiB message.
#[derive(Clone, Copy)]
pub struct Large(#[allow(dead_code)] [Medium; 64]);

impl Default for Large {
    fn default() -> Large {
        Large([Medium::default(); 64])
    }
}

/// The same small interface over each channel implementation, so one workload body
/// serves all four. `magpie::sync::mpsc` and `tokio::sync::mpsc` have one API, so one
/// macro adapts both.
macro_rules! tokio_like_channel {
    ($name:ident, $($sync:ident)::+) => {
        mod $name {
            use $($sync)::+::mpsc;

            pub type Tx<T> = mpsc::Sender<T>;
            pub type Rx<T> = mpsc::Receiver<T>;
            pub type UnboundedTx<T> = mpsc::UnboundedSender<T>;
            pub type UnboundedRx<T> = mpsc::UnboundedReceiver<T>;

            pub fn bounded<T>(capacity: usize) -> (Tx<T>, Rx<T>) {
                mpsc::channel(capacity)
            }

            pub fn unbounded<T>() -> (UnboundedTx<T>, UnboundedRx<T>) {
                mpsc::unbounded_channel()
            }

            pub async fn send<T>(tx: &Tx<T>, value: T) {
                if tx.send(value).await.is_err() {
                    panic!("the receiver is gone");
                }
            }

            pub fn send_unbounded<T>(tx: &UnboundedTx<T>, value: T) {
                if tx.send(value).is_err() {
                    panic!("the receiver is gone");
                }
            }

            pub async fn recv<T>(rx: &mut Rx<T>) -> Option<T> {
                rx.recv().await
            }

            pub async fn recv_unbounded<T>(rx: &mut UnboundedRx<T>) -> Option<T> {
                rx.recv().await
            }
        }
    };
}

tokio_like_channel!(magpie_channel, magpie::sync);
tokio_like_channel!(tokio_channel, tokio::sync);

mod async_channel_channel {
    pub type Tx<T> = async_channel::Sender<T>;
    pub type Rx<T> = async_channel::Receiver<T>;

    pub fn bounded<T>(capacity: usize) -> (Tx<T>, Rx<T>) {
        async_channel::bounded(capacity)
    }

    pub fn unbounded<T>() -> (Tx<T>, Rx<T>) {
        async_channel::unbounded()
    }

    pub async fn send<T>(tx: &Tx<T>, value: T) {
        if tx.send(value).await.is_err() {
            panic!("the receiver is gone");
        }
    }

    pub fn send_unbounded<T>(tx: &Tx<T>, value: T) {
        // Never `Full`: the channel is unbounded.
        if tx.try_send(value).is_err() {
            panic!("the receiver is gone");
        }
    }

    pub async fn recv<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    pub async fn recv_unbounded<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.recv().await.ok()
    }
}

mod flume_channel {
    pub type Tx<T> = flume::Sender<T>;
    pub type Rx<T> = flume::Receiver<T>;

    pub fn bounded<T>(capacity: usize) -> (Tx<T>, Rx<T>) {
        flume::bounded(capacity)
    }

    pub fn unbounded<T>() -> (Tx<T>, Rx<T>) {
        flume::unbounded()
    }

    pub async fn send<T>(tx: &Tx<T>, value: T) {
        if tx.send_async(value).await.is_err() {
            panic!("the receiver is gone");
        }
    }

    pub fn send_unbounded<T>(tx: &Tx<T>, value: T) {
        // Never blocks: the channel is unbounded.
        if tx.send(value).is_err() {
            panic!("the receiver is gone");
        }
    }

    pub async fn recv<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.recv_async().await.ok()
    }

    pub async fn recv_unbounded<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.recv_async().await.ok()
    }
}

/// Defines the channel workloads for one channel implementation (`$channel`, one of
/// the adapter modules above) on one runtime.
macro_rules! channel_workloads {
    ($name:ident, $channel:ident, $rt:ty, $spawn:path) => {
        mod $name {
            use super::$channel as channel;
            use super::*;

            fn contended_bounded_with(rt: &$rt, capacity: usize) {
                rt.block_on(async move {
                    let (tx, mut rx) = channel::bounded::<usize>(capacity);
                    for _ in 0..SENDERS {
                        let tx = tx.clone();
                        $spawn(async move {
                            for i in 0..SENDS_PER_SENDER {
                                channel::send(&tx, i).await;
                            }
                        });
                    }
                    for _ in 0..MESSAGES {
                        channel::recv(&mut rx).await.expect("a value");
                    }
                })
            }

            pub fn contended_bounded(rt: &$rt) {
                contended_bounded_with(rt, ROOMY)
            }

            pub fn contended_bounded_full(rt: &$rt) {
                contended_bounded_with(rt, FULL)
            }

            pub fn contended_unbounded(rt: &$rt) {
                rt.block_on(async move {
                    let (tx, mut rx) = channel::unbounded::<usize>();
                    for _ in 0..SENDERS {
                        let tx = tx.clone();
                        $spawn(async move {
                            for i in 0..SENDS_PER_SENDER {
                                channel::send_unbounded(&tx, i);
                            }
                        });
                    }
                    for _ in 0..MESSAGES {
                        channel::recv_unbounded(&mut rx).await.expect("a value");
                    }
                })
            }

            pub fn uncontended_bounded(rt: &$rt) {
                rt.block_on(async move {
                    let (tx, mut rx) = channel::bounded::<usize>(ROOMY);
                    for i in 0..MESSAGES {
                        channel::send(&tx, i).await;
                    }
                    for _ in 0..MESSAGES {
                        channel::recv(&mut rx).await.expect("a value");
                    }
                })
            }

            pub fn uncontended_unbounded(rt: &$rt) {
                rt.block_on(async move {
                    let (tx, mut rx) = channel::unbounded::<usize>();
                    for i in 0..MESSAGES {
                        channel::send_unbounded(&tx, i);
                    }
                    for _ in 0..MESSAGES {
                        channel::recv_unbounded(&mut rx).await.expect("a value");
                    }
                })
            }

            fn send_one<T: Default + Send>(rt: &$rt) {
                rt.block_on(async move {
                    let (tx, mut rx) = channel::bounded::<T>(MESSAGE_CAPACITY);
                    channel::send(&tx, T::default()).await;
                    std::hint::black_box(channel::recv(&mut rx).await.expect("a value"));
                })
            }

            pub fn send_medium(rt: &$rt) {
                send_one::<Medium>(rt)
            }

            pub fn send_large(rt: &$rt) {
                send_one::<Large>(rt)
            }
        }
    };
}

channel_workloads!(
    on_magpie,
    magpie_channel,
    magpie::runtime::Runtime,
    magpie::spawn
);
channel_workloads!(
    on_tokio,
    tokio_channel,
    tokio::runtime::Runtime,
    tokio::spawn
);
channel_workloads!(
    async_channel_on_magpie,
    async_channel_channel,
    magpie::runtime::Runtime,
    magpie::spawn
);
channel_workloads!(
    flume_on_magpie,
    flume_channel,
    magpie::runtime::Runtime,
    magpie::spawn
);

/// Defines the request/reply workload on one runtime with that runtime's `sync`.
macro_rules! request_reply_workload {
    ($name:ident, $rt:ty, $spawn:path, $($sync:ident)::+) => {
        mod $name {
            use super::*;
            use $($sync)::+::{mpsc, oneshot};

            pub type Requests = mpsc::Sender<oneshot::Sender<()>>;

            /// Starts the responder task; requests go to the returned sender.
            pub fn start_responder(rt: &$rt) -> Requests {
                let (tx, mut rx) = mpsc::channel::<oneshot::Sender<()>>(REQUEST_CAPACITY);
                rt.spawn(async move {
                    while let Some(reply) = rx.recv().await {
                        // The caller waits for this reply: it is never gone.
                        let _ = reply.send(());
                    }
                });
                tx
            }

            pub fn request_reply(rt: &$rt, requests: &Requests) {
                let requests = requests.clone();
                rt.block_on(async move {
                    for _ in 0..ROUND_TRIPS {
                        let (reply_tx, reply_rx) = oneshot::channel();
                        if requests.send(reply_tx).await.is_err() {
                            panic!("the responder is gone");
                        }
                        reply_rx.await.expect("a reply");
                    }
                })
            }
        }
    };
}

mod request_reply {
    use super::*;

    request_reply_workload!(
        on_magpie,
        magpie::runtime::Runtime,
        magpie::spawn,
        magpie::sync
    );
    request_reply_workload!(on_tokio, tokio::runtime::Runtime, tokio::spawn, tokio::sync);

    pub fn register(c: &mut Harness) {
        pair_with_setup!(
            c,
            "mpsc_oneshot_request_reply",
            start_responder(),
            request_reply
        );
    }
}

/// Registers every mpsc group.
pub fn register(c: &mut Harness) {
    with_references!(c, "mpsc_contended_bounded", contended_bounded);
    with_references!(c, "mpsc_contended_bounded_full", contended_bounded_full);
    with_references!(c, "mpsc_contended_unbounded", contended_unbounded);
    with_references!(c, "mpsc_uncontended_bounded", uncontended_bounded);
    with_references!(c, "mpsc_uncontended_unbounded", uncontended_unbounded);
    with_references!(c, "mpsc_send_medium", send_medium);
    with_references!(c, "mpsc_send_large", send_large);
    request_reply::register(c);
}
