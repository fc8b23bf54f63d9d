//! An HTTP/1 "Hello, world!" server: hyper 1.x running on magpie.
//!
//! ```sh
//! cargo run --features hyper --example hyper_hello          # http://127.0.0.1:3000
//! cargo run --features hyper --example hyper_hello -- 8080  # another port
//! curl http://127.0.0.1:3000/
//! ```
//!
//! Each connection is served by its own task; hyper gets magpie's sockets
//! through `MagpieIo` and its timeouts from `MagpieTimer`.

use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use magpie::compat::hyper::{MagpieIo, MagpieTimer};
use magpie::net::TcpListener;

const DEFAULT_PORT: u16 = 3000;

#[magpie::main]
async fn main() -> ExitCode {
    let port = match std::env::args().nth(1) {
        None => DEFAULT_PORT,
        Some(arg) => match arg.parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                eprintln!("usage: hyper_hello [PORT]  (PORT is 0..=65535, not {arg:?})");
                return ExitCode::from(2);
            }
        },
    };
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("Listening on http://{addr}"),
        Err(error) => eprintln!("listening, but the local address is unknown: {error}"),
    }

    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                magpie::spawn(async move {
                    let connection = http1::Builder::new()
                        .timer(MagpieTimer)
                        .serve_connection(MagpieIo::new(stream), service_fn(hello));
                    if let Err(error) = connection.await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
            // E.g. out of file descriptors: wait a little for some to close.
            Err(error) => {
                eprintln!("accept failed: {error}");
                magpie::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Answers every request with "Hello, world!".
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}
