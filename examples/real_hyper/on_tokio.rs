//! The hyper hello server on tokio.

#[path = "../runtimes/tokio.rs"]
mod rt;
#[path = "server.rs"]
mod server;

pub use server::serve;
