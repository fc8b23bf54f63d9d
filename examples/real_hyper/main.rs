//! The hyper hello benchmark server: one body (`server.rs`), built for magpie and for
//! tokio, run by `scripts/real_bench.sh` under `wrk`.
//!
//! ```sh
//! cargo run --release --features hyper --example real_hyper -- --runtime tokio --workers 1 --addr 127.0.0.1:3000
//! ```

// The server body is compiled twice on purpose, once per runtime (on_magpie, on_tokio).
#![allow(clippy::duplicate_mod)]

#[path = "../runtimes/cli.rs"]
mod cli;
mod on_magpie;
mod on_tokio;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

fn main() -> ExitCode {
    let default_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 3000));
    let args = match cli::parse_server_args(std::env::args().skip(1), default_addr) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("real_hyper: {message}");
            eprintln!(
                "usage: real_hyper [--runtime magpie|tokio] [--workers N] [--addr HOST:PORT]"
            );
            return ExitCode::from(2);
        }
    };
    let served = match args.runtime {
        cli::Runtime::Magpie => on_magpie::serve(args.workers, args.addr, |addr| {
            cli::announce(addr, "magpie")
        }),
        cli::Runtime::Tokio => {
            on_tokio::serve(args.workers, args.addr, |addr| cli::announce(addr, "tokio"))
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("real_hyper: {error}");
            ExitCode::FAILURE
        }
    }
}
