//! The RPC demo's server on tokio.

#[path = "../rpc/framing.rs"]
mod framing;
#[path = "../rpc/protocol.rs"]
#[allow(dead_code)] // the client's half of the wire format
mod protocol;
#[path = "../runtimes/tokio.rs"]
mod rt;
#[path = "serve.rs"]
mod serve;
#[path = "../rpc/server.rs"]
mod server;

pub use serve::serve;
