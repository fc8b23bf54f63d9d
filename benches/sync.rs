//! Sync benchmarks: `magpie::sync` on magpie against `tokio::sync` on tokio (2 workers
//! each), with the workloads of tokio's own sync benches, one criterion group per
//! workload, so the ratio magpie/tokio comes from a single run. The mpsc groups also
//! time async-channel and flume on magpie's runtime, as references.
//!
//! The workloads live in `sync_workloads/`, one file per family; each family's two
//! sides are generated from one body, so only the `sync` and runtime paths differ.
//!
//! ```sh
//! cargo bench --bench sync              # every group, about 5 minutes
//! cargo bench --bench sync -- notify_   # the groups whose name contains `notify_`
//! ```
//!
//! `benches/sync_paired.rs` runs the same workloads with the two runtimes alternating,
//! for checking a change on a noisy machine.

// Every group here needs set-up state, so it uses `pair_with_setup!`, not `pair!`.
#[allow(unused_macros)]
#[macro_use]
mod common;

/// What the workload families register their groups with (see `sync_workloads`).
pub type Harness = criterion::Criterion;

/// One group per workload, like `pair!`, for workloads that need state made once per
/// runtime before timing (tasks that wait forever, a lock, a channel): `on_x::$setup`
/// builds it from the runtime and `$arg`s, and `on_x::$work(&rt, &state)` is timed.
/// The state is dropped before its runtime.
macro_rules! pair_with_setup {
    ($c:expr, $group:expr, $setup:ident($($arg:expr),*), $work:ident) => {{
        let mut group = $c.benchmark_group($group);
        let rt = crate::common::magpie_rt();
        let state = on_magpie::$setup(&rt $(, $arg)*);
        group.bench_function("magpie", |b| b.iter(|| on_magpie::$work(&rt, &state)));
        drop(state);
        drop(rt);
        let rt = crate::common::tokio_rt();
        let state = on_tokio::$setup(&rt $(, $arg)*);
        group.bench_function("tokio", |b| b.iter(|| on_tokio::$work(&rt, &state)));
        drop(state);
        drop(rt);
        group.finish();
    }};
}

/// A group with magpie::sync, async-channel and flume on magpie's runtime, then
/// tokio::sync on tokio's; each runtime is built once and dropped before the other runs.
macro_rules! with_references {
    ($c:expr, $group:literal, $work:ident) => {{
        let mut group = $c.benchmark_group($group);
        let rt = crate::common::magpie_rt();
        group.bench_function("magpie", |b| b.iter(|| on_magpie::$work(&rt)));
        group.bench_function("async-channel", |b| {
            b.iter(|| async_channel_on_magpie::$work(&rt))
        });
        group.bench_function("flume", |b| b.iter(|| flume_on_magpie::$work(&rt)));
        drop(rt);
        let rt = crate::common::tokio_rt();
        group.bench_function("tokio", |b| b.iter(|| on_tokio::$work(&rt)));
        drop(rt);
        group.finish();
    }};
}

mod sync_workloads;

use criterion::criterion_main;

mod groups {
    use criterion::{criterion_group, Criterion};
    use std::time::Duration;

    criterion_group! {
        name = benches;
        // About 3 s a function, about 4 minutes in all.
        config = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(2));
        targets = crate::sync_workloads::mpsc::register,
            crate::sync_workloads::notify::register,
            crate::sync_workloads::locks::register,
            crate::sync_workloads::fanout::register
    }
}
criterion_main!(groups::benches);
