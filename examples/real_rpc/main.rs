//! The RPC demo as a benchmark: its server (`examples/rpc/server.rs`, one body, built
//! for magpie and for tokio) and its client as the load generator.
//!
//! ```sh
//! cargo run --release --example real_rpc -- server --runtime tokio --workers 1 --addr 127.0.0.1:7000
//! cargo run --release --example real_rpc -- client --addr 127.0.0.1:7000 --duration 10
//! ```
//!
//! The client prints one line: `requests=N elapsed_s=S rps=R p50_us=A p99_us=B max_us=C`.

// The server body is compiled twice on purpose, once per runtime (on_magpie, on_tokio),
// and the client's modules once more, at the root.
#![allow(clippy::duplicate_mod)]

#[path = "../runtimes/cli.rs"]
mod cli;
#[allow(dead_code)] // the demo's client has more API than the load generator uses
#[path = "../rpc/client.rs"]
mod client;
#[path = "../rpc/framing.rs"]
mod framing;
mod load;
mod on_magpie;
mod on_tokio;
#[allow(dead_code)] // the server's half of the wire format
#[path = "../rpc/protocol.rs"]
mod protocol;
// The client's runtime: magpie, whichever runtime the server is on.
#[path = "../runtimes/magpie.rs"]
mod rt;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: real_rpc server [--runtime magpie|tokio] [--workers N] [--addr HOST:PORT]
       real_rpc client --addr HOST:PORT [--duration SECS] [--callers N] [--connections N] [--workers N] [--payload BYTES]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let outcome = match args.next().as_deref() {
        Some("server") => server(args),
        Some("client") => client(args),
        _ => Err(String::new()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("real_rpc: {message}");
            }
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn server(args: impl Iterator<Item = String>) -> Result<(), String> {
    let default_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 7000));
    let args = cli::parse_server_args(args, default_addr)?;
    let served = match args.runtime {
        cli::Runtime::Magpie => on_magpie::serve(args.workers, args.addr, |addr| {
            cli::announce(addr, "magpie")
        }),
        cli::Runtime::Tokio => {
            on_tokio::serve(args.workers, args.addr, |addr| cli::announce(addr, "tokio"))
        }
    };
    served.map_err(|error| error.to_string())
}

fn client(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut load = load::LoadArgs {
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 7000)),
        callers: 64,
        connections: 1,
        duration: Duration::from_secs(10),
        workers: None,
        payload_len: 32,
    };
    while let Some(flag) = args.next() {
        let text = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || match text.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{flag} is a positive integer, not {text:?}")),
        };
        match flag.as_str() {
            "--addr" => {
                load.addr = text
                    .parse()
                    .map_err(|_| format!("--addr is HOST:PORT, not {text:?}"))?
            }
            "--duration" => {
                let secs: f64 = text
                    .parse()
                    .ok()
                    .filter(|secs: &f64| *secs > 0.0 && secs.is_finite())
                    .ok_or(format!(
                        "--duration is a positive number of seconds, not {text:?}"
                    ))?;
                load.duration = Duration::from_secs_f64(secs);
            }
            "--callers" => load.callers = number()?,
            "--connections" => load.connections = number()?,
            "--workers" => load.workers = Some(number()?),
            "--payload" => load.payload_len = number()?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let report = load::run(&load)?;
    println!("{}", report.line());
    Ok(())
}
