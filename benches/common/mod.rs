//! What the side-by-side benches share: the two runtimes, built the same way
//! (2 workers, IO and timers on), and the `pair!` macro that puts a workload's
//! magpie and tokio functions in one criterion group.

/// Worker threads of both runtimes in every bench.
pub const WORKERS: usize = 2;

pub fn magpie_rt() -> magpie::runtime::Runtime {
    magpie::runtime::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .unwrap()
}

pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap()
}

/// One group per workload, with a `magpie` and a `tokio` function; each
/// runtime is built once, outside the timed loop, and dropped before the
/// other one runs. Expects modules `on_magpie` and `on_tokio` in scope.
macro_rules! pair {
    ($c:expr, $group:literal, $work:ident) => {{
        let mut group = $c.benchmark_group($group);
        let rt = common::magpie_rt();
        group.bench_function("magpie", |b| b.iter(|| on_magpie::$work(&rt)));
        drop(rt);
        let rt = common::tokio_rt();
        group.bench_function("tokio", |b| b.iter(|| on_tokio::$work(&rt)));
        drop(rt);
        group.finish();
    }};
}
