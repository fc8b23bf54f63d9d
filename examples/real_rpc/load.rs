//! The RPC load generator: the demo's own client (`examples/rpc/client.rs`, on magpie)
//! driving a server for a fixed time, each caller task making echo calls back to back,
//! and reporting throughput and latency percentiles.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::protocol::Method;

/// How to load the server.
#[derive(Debug, Clone)]
pub struct LoadArgs {
    /// The server's address.
    pub addr: SocketAddr,
    /// Concurrent caller tasks.
    pub callers: usize,
    /// Client connections the callers share (caller `i` uses connection `i % n`).
    pub connections: usize,
    /// How long callers keep starting calls.
    pub duration: Duration,
    /// The client runtime's worker threads (`None`: one per core).
    pub workers: Option<usize>,
    /// Bytes of each call's payload.
    pub payload_len: usize,
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Calls that got their (correct) reply.
    pub requests: usize,
    /// From the first call to the last reply.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Largest latency.
    pub max: Duration,
}

impl Report {
    /// One `key=value` line, as `scripts/real_bench.py` reads it.
    pub fn line(&self) -> String {
        format!(
            "requests={} elapsed_s={:.3} rps={:.1} p50_us={} p99_us={} max_us={}",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.p50.as_micros(),
            self.p99.as_micros(),
            self.max.as_micros()
        )
    }
}

/// Runs the load on a magpie runtime of its own; any failed call fails the run.
pub fn run(args: &LoadArgs) -> Result<Report, String> {
    let runtime = crate::rt::runtime(args.workers).map_err(|error| error.to_string())?;
    runtime.block_on(async {
        let mut clients = Vec::with_capacity(args.connections);
        for _ in 0..args.connections {
            let client = Client::connect(args.addr)
                .await
                .map_err(|error| format!("connecting to {}: {error}", args.addr))?;
            clients.push(client);
        }
        let payload = vec![b'x'; args.payload_len];
        let started = Instant::now();
        let deadline = started + args.duration;
        let callers: Vec<_> = (0..args.callers)
            .map(|caller| {
                let client = clients[caller % clients.len()].clone();
                let payload = payload.clone();
                magpie::spawn(async move {
                    let mut latencies = Vec::new();
                    while Instant::now() < deadline {
                        let call = Instant::now();
                        let reply = client
                            .call(Method::Echo, &payload)
                            .await
                            .map_err(|error| format!("caller {caller}: {error}"))?;
                        latencies.push(call.elapsed());
                        if reply != payload {
                            return Err(format!("caller {caller}: wrong reply"));
                        }
                    }
                    Ok::<_, String>(latencies)
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for caller in callers {
            latencies.extend(caller.await.map_err(|error| error.to_string())??);
        }
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        let at = |p: f64| {
            let rank = (p / 100.0 * latencies.len().saturating_sub(1) as f64).round() as usize;
            latencies.get(rank).copied().unwrap_or_default()
        };
        Ok(Report {
            requests: latencies.len(),
            elapsed,
            p50: at(50.0),
            p99: at(99.0),
            max: latencies.last().copied().unwrap_or_default(),
        })
    })
}
