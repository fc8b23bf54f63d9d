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

// Every group here needs set-up state, so it uses `pair_with_setup!`, not `pair!`.
#[allow(unused_macros)]
#[macro_use]
mod common;
#[macro_use]
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
