//! Loopback networking benchmarks, magpie vs tokio (2 workers each) in one
//! criterion group per workload: echo round trips, bulk transfer, connect
//! churn and UDP echo. Both sides come from one macro body
//! (`benches/net_workloads`).

use criterion::{criterion_main, Criterion};
use std::time::Duration;

mod net_workloads;
use net_workloads::{on_magpie, on_tokio};

/// One group per workload: `$server` starts the peer once, `$work` is timed.
macro_rules! pair {
    ($c:expr, $group:literal, $server:ident, $work:ident) => {{
        let mut group = $c.benchmark_group($group);
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(5));
        let rt = on_magpie::runtime();
        let addr = on_magpie::$server(&rt);
        group.bench_function("magpie", |b| b.iter(|| on_magpie::$work(&rt, addr)));
        drop(rt);
        let rt = on_tokio::runtime();
        let addr = on_tokio::$server(&rt);
        group.bench_function("tokio", |b| b.iter(|| on_tokio::$work(&rt, addr)));
        drop(rt);
        group.finish();
    }};
}

fn net(c: &mut Criterion) {
    pair!(c, "tcp_echo", echo_server, tcp_echo);
    pair!(c, "tcp_bulk", sink_server, tcp_bulk);
    pair!(c, "tcp_connect_churn", close_server, tcp_connect_churn);
    pair!(c, "udp_echo", udp_server, udp_echo);
}

/// Holds `benches`, the group `main` runs: `criterion_group!` makes it a `pub fn`, which
/// cannot take a doc comment, so it stays private in here.
mod group {
    criterion::criterion_group!(benches, super::net);
}
criterion_main!(group::benches);
