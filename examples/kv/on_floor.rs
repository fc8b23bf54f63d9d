//! The key-value server with no runtime at all, the floor of the real-program benchmark
//! (`--runtime floor`): `floor.rs`'s single-threaded mio loop over the same runtime-free
//! modules (RESP parsing, input buffer, commands, store) that the runtime builds use,
//! so the command work is the same and only what a runtime adds is missing.

#[path = "commands.rs"]
mod commands;
#[path = "floor.rs"]
mod floor;
#[path = "input.rs"]
mod input;
#[path = "resp.rs"]
mod resp;
#[path = "store.rs"]
mod store;

pub use floor::serve;

/// `commands.rs`'s pub/sub registry, for a server where nobody can subscribe: the
/// broadcast channels of `pubsub.rs` need tasks, so the floor answers SUBSCRIBE with an
/// error (see `floor.rs`) and PUBLISH, truthfully, reaches no subscriber.
mod pubsub {
    /// No channels.
    #[derive(Default)]
    pub struct PubSub;

    impl PubSub {
        /// How many subscribers got the message: none, ever, on the floor.
        pub fn publish(&self, _channel: &[u8], _payload: &[u8]) -> usize {
            0
        }
    }
}
