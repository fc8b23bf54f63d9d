//! Reading many small files, magpie vs tokio (2 workers each) in one criterion group:
//! 1000 files of 1 KiB, each read whole by its own task with `fs::read`, all at once
//! (so the blocking pool does the work). The files are written once, before timing.

use criterion::{criterion_main, Criterion};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Worker threads of both runtimes.
const WORKERS: usize = 2;
const FILES: usize = 1_000;
const FILE_LEN: usize = 1024;

/// Writes the files into a fresh directory; returns their paths.
fn make_files(dir: &std::path::Path) -> Arc<Vec<PathBuf>> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let paths = (0..FILES)
        .map(|i| {
            let path = dir.join(format!("{i}.txt"));
            std::fs::write(&path, vec![i as u8; FILE_LEN]).unwrap();
            path
        })
        .collect();
    Arc::new(paths)
}

fn magpie_read_all(rt: &magpie::runtime::Runtime, paths: &Arc<Vec<PathBuf>>) {
    rt.block_on(async {
        let reads: Vec<_> = (0..paths.len())
            .map(|i| {
                let paths = Arc::clone(paths);
                magpie::spawn(async move { magpie::fs::read(&paths[i]).await.unwrap().len() })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), FILE_LEN);
        }
    });
}

fn tokio_read_all(rt: &tokio::runtime::Runtime, paths: &Arc<Vec<PathBuf>>) {
    rt.block_on(async {
        let reads: Vec<_> = (0..paths.len())
            .map(|i| {
                let paths = Arc::clone(paths);
                tokio::spawn(async move { tokio::fs::read(&paths[i]).await.unwrap().len() })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), FILE_LEN);
        }
    });
}

fn fs(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("magpie-bench-fs-{}", std::process::id()));
    let paths = make_files(&dir);
    let mut group = c.benchmark_group("fs_read_1000_small");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let rt = magpie::runtime::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .unwrap();
    group.bench_function("magpie", |b| b.iter(|| magpie_read_all(&rt, &paths)));
    drop(rt);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    group.bench_function("tokio", |b| b.iter(|| tokio_read_all(&rt, &paths)));
    drop(rt);
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Holds `benches`, the group `main` runs: `criterion_group!` makes it a `pub fn`, which
/// cannot take a doc comment, so it stays private in here.
mod group {
    criterion::criterion_group!(benches, super::fs);
}
criterion_main!(group::benches);
