//! The README's demo: an RPC server and client in one program, over loopback TCP.
//!
//! ```sh
//! cargo run --release --example rpc               # 64 callers x 4000 calls
//! cargo run --release --example rpc -- 16 1000    # callers, calls per caller
//! ```
//!
//! Many caller tasks share ONE client connection; each call is matched to its reply by
//! id (see `client.rs`). The program first shows the interesting paths (replies out of
//! order, a timeout, server errors), then runs the load and prints the request count,
//! throughput and latency percentiles. It exits non-zero if anything misbehaves.

// `tests/rpc.rs` includes these modules too and uses parts this program does not.
#[allow(dead_code)]
mod client;
mod framing;
mod protocol;
// The runtime the server and framing code run on (the demo is magpie's).
#[path = "../runtimes/magpie.rs"]
mod rt;
mod server;

use std::error::Error;
use std::time::{Duration, Instant};

use client::{Client, RpcError};
use protocol::{sleep_payload, Method};
use server::Server;

type DemoResult<T> = Result<T, Box<dyn Error>>;

const DEFAULT_CALLERS: usize = 64;
const DEFAULT_CALLS_PER_CALLER: usize = 4000;

#[magpie::main]
async fn main() -> DemoResult<()> {
    let (callers, calls_per_caller) = parse_args()?;

    let server = Server::bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let server_task = magpie::spawn(server.run());
    let client = Client::connect(addr).await?;
    println!("rpc demo: server listening on {addr}, one client connection");

    show_out_of_order_replies(&client).await?;
    show_timeout(&client).await?;
    show_server_errors(&client).await?;

    println!("load: {callers} concurrent callers x {calls_per_caller} echo calls each");
    let started = Instant::now();
    let mut latencies_us = run_load(&client, callers, calls_per_caller).await?;
    let elapsed = started.elapsed();

    let requests = latencies_us.len();
    latencies_us.sort_unstable();
    println!("  requests:   {requests}");
    println!("  elapsed:    {:.2} s", elapsed.as_secs_f64());
    println!(
        "  throughput: {:.0} req/s",
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency:    p50 {} us, p99 {} us, max {} us",
        percentile(&latencies_us, 50.0),
        percentile(&latencies_us, 99.0),
        latencies_us.last().copied().unwrap_or(0)
    );
    if client.pending_len() != 0 {
        return Err(format!(
            "{} calls still pending after the load",
            client.pending_len()
        )
        .into());
    }

    server_task.abort();
    Ok(())
}

/// Reads `[callers] [calls_per_caller]` from the command line.
fn parse_args() -> DemoResult<(usize, usize)> {
    let mut args = std::env::args().skip(1);
    let mut positive = |name: &str, default: usize| -> DemoResult<usize> {
        match args.next() {
            None => Ok(default),
            Some(text) => match text.parse::<usize>() {
                Ok(value) if value > 0 => Ok(value),
                _ => Err(format!("{name} must be a positive integer, got {text:?}").into()),
            },
        }
    };
    let callers = positive("callers", DEFAULT_CALLERS)?;
    let calls = positive("calls_per_caller", DEFAULT_CALLS_PER_CALLER)?;
    if args.next().is_some() {
        return Err("usage: rpc [callers] [calls_per_caller]".into());
    }
    Ok((callers, calls))
}

/// A slow call issued first finishes after a fast call issued second.
async fn show_out_of_order_replies(client: &Client) -> DemoResult<()> {
    let started = Instant::now();
    let slow_payload = sleep_payload(100);
    let slow = client.call(Method::Sleep, &slow_payload);
    let fast = async {
        // Let the slow request go out first.
        magpie::time::sleep(Duration::from_millis(5)).await;
        client.call(Method::Echo, b"fast").await
    };
    let (slow, fast) = futures::join!(async { (slow.await, started.elapsed()) }, async {
        (fast.await, started.elapsed())
    });
    let (slow_reply, slow_done) = slow;
    let (fast_reply, fast_done) = fast;
    slow_reply?;
    fast_reply?;
    if fast_done >= slow_done {
        return Err("the fast reply did not overtake the slow one".into());
    }
    println!(
        "out of order: sleep(100 ms) sent first, answered at {} ms; echo sent second, answered at {} ms",
        slow_done.as_millis(),
        fast_done.as_millis()
    );
    Ok(())
}

/// A call that outlives its timeout fails with `Timeout` and leaves nothing pending.
async fn show_timeout(client: &Client) -> DemoResult<()> {
    let outcome = client
        .call_timeout(
            Method::Sleep,
            &sleep_payload(500),
            Duration::from_millis(50),
        )
        .await;
    if outcome != Err(RpcError::Timeout) {
        return Err(format!("expected a timeout, got {outcome:?}").into());
    }
    println!(
        "timeout:      sleep(500 ms) with a 50 ms timeout -> {}; pending calls now: {}",
        RpcError::Timeout,
        client.pending_len()
    );
    Ok(())
}

/// The server's errors come back as `RpcError::Server` with its message.
async fn show_server_errors(client: &Client) -> DemoResult<()> {
    for (method, payload) in [
        (Method::Fail, &b"out of cheese"[..]),
        (Method::Sleep, &b"soon"[..]),
    ] {
        match client.call(method, payload).await {
            Err(error @ RpcError::Server(_)) => {
                let payload = String::from_utf8_lossy(payload);
                println!("server error: {method:?}({payload:?}) -> {error}");
            }
            other => return Err(format!("expected a server error, got {other:?}").into()),
        }
    }
    Ok(())
}

/// Runs `callers` tasks that each make `calls` echo calls one after another, checks every
/// reply, and returns every call's latency in microseconds.
async fn run_load(client: &Client, callers: usize, calls: usize) -> DemoResult<Vec<u32>> {
    let tasks: Vec<_> = (0..callers)
        .map(|caller| {
            let client = client.clone();
            magpie::spawn(async move {
                let mut latencies_us = Vec::with_capacity(calls);
                for call in 0..calls {
                    let payload = format!("caller {caller:3} call {call:6}");
                    let started = Instant::now();
                    let reply = client
                        .call(Method::Echo, payload.as_bytes())
                        .await
                        .map_err(|error| format!("caller {caller} call {call}: {error}"))?;
                    let latency = started.elapsed();
                    if reply != payload.as_bytes() {
                        return Err(format!(
                            "caller {caller} call {call}: wrong reply {reply:?}"
                        ));
                    }
                    latencies_us.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
                }
                Ok(latencies_us)
            })
        })
        .collect();

    let mut all = Vec::with_capacity(callers * calls);
    for task in tasks {
        let latencies_us = task
            .await
            .map_err(|error| format!("a caller task failed: {error}"))?;
        all.extend(latencies_us?);
    }
    Ok(all)
}

/// The value at percentile `p` (0..=100) of sorted `values`; 0 for none.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
