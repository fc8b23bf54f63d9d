//! The workloads of `benches/sync.rs`, timed in alternation: both runtimes (2 workers
//! each) and their workload state live side by side, and each round times a batch of
//! magpie calls and a batch of tokio calls back to back, the order swapping every
//! round. It prints the median time per call of each and the median of the per-round
//! ratios. On a VM whose speed drifts over seconds, criterion's back-to-back groups
//! can catch the two runtimes in different phases (single groups of `benches/sync.rs`
//! moved by 2x between runs); alternating rounds cannot. Use it to check a change.
//! The async-channel and flume references are left out.
//!
//! ```sh
//! cargo bench --bench sync_paired                       # every group, about a minute
//! cargo bench --bench sync_paired -- notify_ --runs 41  # groups containing `notify_`
//! ```

use std::time::{Duration, Instant};

#[allow(unused_macros)]
#[macro_use]
mod common;

/// Every batch lasts at least this long (the batch size is set from one timed call).
const BATCH: Duration = Duration::from_millis(20);

/// Runs the groups the command line asks for, alternating the runtimes.
pub struct Harness {
    filters: Vec<String>,
    runs: usize,
}

impl Harness {
    fn from_args() -> Harness {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut filters = vec![];
        let mut runs = 21;
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "--runs" => {
                    i += 1;
                    runs = args
                        .get(i)
                        .and_then(|n| n.parse().ok())
                        .filter(|&n| n > 0)
                        .expect("--runs takes a positive number");
                }
                // Flags cargo passes to every bench binary.
                "--bench" => {}
                name => filters.push(name.to_string()),
            }
            i += 1;
        }
        Harness { filters, runs }
    }

    /// Whether the group `name` was asked for (no filter: every group).
    fn wants(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }

    /// Times `magpie` and `tokio` in alternating batches and prints the result.
    fn run(&self, name: &str, mut magpie: impl FnMut(), mut tokio: impl FnMut()) {
        // Warm-up and batch size: calls for half a batch's time on each runtime;
        // a batch then takes at least `BATCH` on the slower one.
        let mean_call = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            let mut calls = 0u32;
            while start.elapsed() < BATCH / 2 {
                f();
                calls += 1;
            }
            start.elapsed() / calls
        };
        let slowest = mean_call(&mut magpie).max(mean_call(&mut tokio));
        let calls = (BATCH.as_nanos() / slowest.as_nanos().max(1)).max(1) as u32;
        let batch = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_secs_f64() / f64::from(calls)
        };
        let (mut m, mut t, mut ratios) = (vec![], vec![], vec![]);
        for round in 0..self.runs {
            let (mt, tt) = if round % 2 == 0 {
                let mt = batch(&mut magpie);
                (mt, batch(&mut tokio))
            } else {
                let tt = batch(&mut tokio);
                (batch(&mut magpie), tt)
            };
            m.push(mt);
            t.push(tt);
            ratios.push(mt / tt);
        }
        println!(
            "{name:<34} magpie {:>10}  tokio {:>10}  median magpie/tokio {:.2}  (rounds {:.2}-{:.2}, {calls} calls a batch)",
            fmt(median(&m)),
            fmt(median(&t)),
            median(&ratios),
            min(&ratios),
            max(&ratios),
        );
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

/// Seconds as text in the unit that suits them.
fn fmt(secs: f64) -> String {
    let ns = secs * 1e9;
    for (unit, scale) in [("s", 1e9), ("ms", 1e6), ("µs", 1e3)] {
        if ns >= scale {
            return format!("{:.3} {unit}", ns / scale);
        }
    }
    format!("{ns:.0} ns")
}

/// Both runtimes and both states at once, then alternating batches of `$work`.
macro_rules! pair_with_setup {
    ($c:expr, $group:expr, $setup:ident($($arg:expr),*), $work:ident) => {{
        let name = String::from($group);
        if $c.wants(&name) {
            let m_rt = crate::common::magpie_rt();
            let m_state = on_magpie::$setup(&m_rt $(, $arg)*);
            let t_rt = crate::common::tokio_rt();
            let t_state = on_tokio::$setup(&t_rt $(, $arg)*);
            $c.run(
                &name,
                || on_magpie::$work(&m_rt, &m_state),
                || on_tokio::$work(&t_rt, &t_state),
            );
            drop(m_state);
            drop(t_state);
            drop(m_rt);
            drop(t_rt);
        }
    }};
}

/// magpie::sync against tokio::sync only (the references are criterion's).
macro_rules! with_references {
    ($c:expr, $group:literal, $work:ident) => {{
        if $c.wants($group) {
            let m_rt = crate::common::magpie_rt();
            let t_rt = crate::common::tokio_rt();
            $c.run(
                $group,
                || on_magpie::$work(&m_rt),
                || on_tokio::$work(&t_rt),
            );
        }
    }};
}

#[allow(dead_code)] // the reference channels are only timed by `benches/sync.rs`
mod sync_workloads;

fn main() {
    let mut harness = Harness::from_args();
    sync_workloads::mpsc::register(&mut harness);
    sync_workloads::notify::register(&mut harness);
    sync_workloads::locks::register(&mut harness);
    sync_workloads::fanout::register(&mut harness);
}
