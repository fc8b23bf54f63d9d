//! The hyper hello server on magpie.

#[path = "../runtimes/magpie.rs"]
mod rt;
#[path = "server.rs"]
mod server;

pub use server::serve;
