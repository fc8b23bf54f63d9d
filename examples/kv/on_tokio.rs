//! The key-value server on tokio.

#[path = "commands.rs"]
mod commands;
#[path = "input.rs"]
mod input;
#[path = "pubsub.rs"]
mod pubsub;
#[path = "resp.rs"]
mod resp;
#[path = "../runtimes/tokio.rs"]
mod rt;
#[path = "server.rs"]
mod server;
#[path = "store.rs"]
mod store;

pub use server::serve;
