//! The command line every benchmark server shares:
//! `--runtime magpie|tokio --workers N --addr HOST:PORT`, and the kv example's extra
//! `--runtime floor` (its runtime-free mio loop), which only [`parse_floor_or_server_args`]
//! accepts: [`parse_server_args`], what the other servers call, refuses it.
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

/// What serves, where the server has a runtime-free floor (the kv example).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// An async runtime.
    Runtime(Runtime),
    /// No runtime: one thread running a bare `mio` loop (`--runtime floor`).
    Floor,
}

/// Parses `args` (without the program name); `default_addr` when `--addr` is absent.
/// Refuses `--runtime floor`: only the kv example has a floor server.
pub fn parse_server_args(
    args: impl IntoIterator<Item = String>,
    default_addr: SocketAddr,
) -> Result<ServerArgs, String> {
    let (serving, parsed) = parse(args, default_addr, false)?;
    match serving {
        Serving::Runtime(_) => Ok(parsed),
        Serving::Floor => Err("--runtime floor: only the kv example has a floor server \
                               (a bare mio loop); this server runs on magpie or tokio"
            .to_string()),
    }
}

/// Like [`parse_server_args`], for a server that also has a floor: what serves, and the
/// settings (their `runtime` is meaningless for [`Serving::Floor`]). The floor is one
/// thread, so it takes no `--workers` but 1.
pub fn parse_floor_or_server_args(
    args: impl IntoIterator<Item = String>,
    default_addr: SocketAddr,
) -> Result<(Serving, ServerArgs), String> {
    let (serving, parsed) = parse(args, default_addr, true)?;
    match (serving, parsed.workers) {
        (Serving::Floor, Some(workers)) if workers != 1 => Err(format!(
            "--runtime floor runs on one thread: --workers must be 1, not {workers}"
        )),
        _ => Ok((serving, parsed)),
    }
}

/// Parses the shared flags; `floor`: whether `--runtime floor` is known here.
fn parse(
    args: impl IntoIterator<Item = String>,
    default_addr: SocketAddr,
    floor: bool,
) -> Result<(Serving, ServerArgs), String> {
    let mut serving = Serving::Runtime(Runtime::Magpie);
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
                serving = match value()?.as_str() {
                    "magpie" => Serving::Runtime(Runtime::Magpie),
                    "tokio" => Serving::Runtime(Runtime::Tokio),
                    "floor" => Serving::Floor,
                    other if floor => {
                        return Err(format!(
                            "--runtime is magpie, tokio or floor, not {other:?}"
                        ))
                    }
                    other => return Err(format!("--runtime is magpie or tokio, not {other:?}")),
                };
                if let Serving::Runtime(runtime) = serving {
                    parsed.runtime = runtime;
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
    Ok((serving, parsed))
}

/// What a server prints once it listens; the benchmark script and tests read it.
pub fn announce(addr: SocketAddr, runtime: &str) {
    println!("listening on {addr} ({runtime})");
}
