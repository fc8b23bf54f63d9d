//! The workload families of `benches/sync.rs`, one file each, and what they share:
//! the group macro for workloads that need state set up once per runtime.
//!
//! Each family file defines its workloads once, in a macro, and instantiates it for
//! magpie (`magpie::sync` on magpie's runtime) and tokio (`tokio::sync` on tokio's):
//! the two sides differ only in the paths they are given.

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

pub mod fanout;
pub mod locks;
pub mod mpsc;
pub mod notify;
