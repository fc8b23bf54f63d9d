//! Process benchmark: spawn 200 `true` processes at once, then wait for all of them,
//! on magpie and on tokio (2 workers each) inside one criterion group, so the ratio
//! magpie/tokio comes from a single run.
//!
//! Both sides come from one body (`workloads!`); only the runtime paths differ. Most of
//! the time is the kernel's (fork/exec and exit); what the runtimes add is the spawn
//! bookkeeping and the exit notification (magpie: a pidfd on the reactor; tokio: its
//! own process driver).

#[macro_use]
mod common;

use criterion::{criterion_main, Criterion};
use std::time::Duration;

/// Processes per iteration, all spawned before any is awaited.
const CHILDREN: usize = 200;

macro_rules! workloads {
    ($name:ident, $rt:ty, $command:path) => {
        mod $name {
            use super::*;

            pub fn spawn_and_wait(rt: &$rt) {
                rt.block_on(async {
                    let mut children = Vec::with_capacity(CHILDREN);
                    for _ in 0..CHILDREN {
                        children.push(<$command>::new("true").spawn().unwrap());
                    }
                    for mut child in children {
                        assert!(child.wait().await.unwrap().success());
                    }
                });
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::process::Command
);
workloads!(on_tokio, tokio::runtime::Runtime, tokio::process::Command);

fn processes(c: &mut Criterion) {
    pair!(c, "spawn_and_wait_200", spawn_and_wait);
}

/// Holds `benches`, the group `main` runs: `criterion_group!` makes it a `pub fn`, which
/// cannot take a doc comment, so it stays private in here.
mod group {
    use super::{Criterion, Duration};

    criterion::criterion_group! {
        name = benches;
        config = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        targets = super::processes
    }
}
criterion_main!(group::benches);
