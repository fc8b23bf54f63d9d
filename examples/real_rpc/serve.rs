//! Runs the RPC demo's server (`examples/rpc/server.rs`) on the runtime `super::rt`
//! names, until the process ends.

use std::io;
use std::net::SocketAddr;

use super::rt;
use super::server::Server;

/// Builds the runtime, binds `addr`, hands the bound address to `bound`, then serves
/// forever (or returns the error that stopped it from starting).
pub fn serve(
    workers: Option<usize>,
    addr: SocketAddr,
    bound: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    rt::runtime(workers)?.block_on(async move {
        let server = Server::bind(addr).await?;
        bound(server.local_addr()?);
        server.run().await;
        Ok(())
    })
}
