//! A Redis-protocol key-value server: GET, SET, DEL, EXISTS, PING, ECHO, PUBLISH and
//! SUBSCRIBE over RESP2, pipelining-safe, state in a sharded map. One body
//! (`server.rs`), built for magpie (the default) and for tokio; `scripts/real_bench.sh`
//! runs it under `redis-benchmark`. `--runtime floor` serves the same commands from a
//! bare single-threaded mio loop (`floor.rs`, no pub/sub), the benchmark's floor.
//!
//! ```sh
//! cargo run --release --example kv                  # magpie, 127.0.0.1:6379
//! cargo run --release --example kv -- --runtime tokio --workers 2 --addr 127.0.0.1:7000
//! cargo run --release --example kv -- --runtime floor --addr 127.0.0.1:7001
//! redis-cli -p 6379 set greeting hello && redis-cli -p 6379 get greeting
//! ```

// The server body is compiled twice on purpose, once per runtime (on_magpie, on_tokio),
// and its runtime-free modules a third time for the floor (on_floor).
#![allow(clippy::duplicate_mod)]

#[path = "../runtimes/cli.rs"]
mod cli;
mod on_floor;
mod on_magpie;
mod on_tokio;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

fn main() -> ExitCode {
    let default_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 6379));
    let (serving, args) =
        match cli::parse_floor_or_server_args(std::env::args().skip(1), default_addr) {
            Ok(parsed) => parsed,
            Err(message) => {
                eprintln!("kv: {message}");
                eprintln!(
                    "usage: kv [--runtime magpie|tokio|floor] [--workers N] [--addr HOST:PORT]"
                );
                return ExitCode::from(2);
            }
        };
    let served = match serving {
        cli::Serving::Floor => {
            on_floor::serve(args.workers, args.addr, |addr| cli::announce(addr, "floor"))
        }
        cli::Serving::Runtime(cli::Runtime::Magpie) => {
            on_magpie::serve(args.workers, args.addr, |addr| {
                cli::announce(addr, "magpie")
            })
        }
        cli::Serving::Runtime(cli::Runtime::Tokio) => {
            on_tokio::serve(args.workers, args.addr, |addr| cli::announce(addr, "tokio"))
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kv: {error}");
            ExitCode::FAILURE
        }
    }
}
