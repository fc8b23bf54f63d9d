//! The hyper "Hello, world!" server, written once against `super::rt` (see
//! `examples/runtimes/`): an HTTP/1 connection per task, `TCP_NODELAY` on, hyper's
//! timer from the runtime, and the runtime's usual hyper IO adapter.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

use super::rt;

/// Builds the runtime, binds `addr`, hands the bound address to `bound`, then serves
/// forever (or returns the error that stopped it from starting).
pub fn serve(
    workers: Option<usize>,
    addr: SocketAddr,
    bound: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    rt::runtime(workers)?.block_on(async move {
        let listener = rt::TcpListener::bind(addr).await?;
        bound(listener.local_addr()?);
        accept_loop(listener).await;
        Ok(())
    })
}

/// Accepts connections forever, each served by its own task.
async fn accept_loop(listener: rt::TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                // Request/response traffic: never wait to coalesce a reply.
                let _ = stream.set_nodelay(true);
                rt::spawn(async move {
                    let connection = http1::Builder::new()
                        .timer(rt::hyper_timer())
                        .serve_connection(rt::hyper_io(stream), service_fn(hello));
                    // A client that resets or misbehaves ends its connection only.
                    let _ = connection.await;
                });
            }
            // E.g. out of file descriptors: wait a little for some to close.
            Err(_) => rt::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Answers every request with "Hello, world!".
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}
