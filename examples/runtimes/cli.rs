//! The command line every benchmark server shares:
//! `--runtime magpie|tokio --workers N --addr HOST:PORT`.
#![allow(dead_code)]

use std::net::SocketAddr;

/// Which runtime serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// magpie's multi-thread runtime.
    Magpie,
    /// tokio's multi-thread runtime.
    Tokio,
}

/// A server's settings.
#[derive(Debug, Clone)]
pub struct ServerArgs {
    /// The runtime to serve on.
    pub runtime: Runtime,
    /// Worker threads; `None`: the runtime's default (one per core).
    pub workers: Option<usize>,
    /// Where to listen (port 0: any free port; the server prints the one it got).
    pub addr: SocketAddr,
}

/// Parses `args` (without the program name); `default_addr` when `--addr` is absent.
pub fn parse_server_args(
    args: impl IntoIterator<Item = String>,
    default_addr: SocketAddr,
) -> Result<ServerArgs, String> {
    let mut parsed = ServerArgs {
        runtime: Runtime::Magpie,
        workers: None,
        addr: default_addr,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--runtime" => {
                parsed.runtime = match value()?.as_str() {
                    "magpie" => Runtime::Magpie,
                    "tokio" => Runtime::Tokio,
                    other => return Err(format!("--runtime is magpie or tokio, not {other:?}")),
                }
            }
            "--workers" => {
                let text = value()?;
                match text.parse::<usize>() {
                    Ok(workers) if workers > 0 => parsed.workers = Some(workers),
                    _ => return Err(format!("--workers is a positive integer, not {text:?}")),
                }
            }
            "--addr" => {
                let text = value()?;
                parsed.addr = text
                    .parse()
                    .map_err(|_| format!("--addr is HOST:PORT, not {text:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

/// What a server prints once it listens; the benchmark script and tests read it.
pub fn announce(addr: SocketAddr, runtime: &str) {
    println!("listening on {addr} ({runtime})");
}
