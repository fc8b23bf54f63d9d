//! Unix-socket echo, magpie vs tokio (2 workers each) in one criterion group: 32
//! connections, each making 1000 round trips of a 64-byte message through a spawned
//! echo server. Both sides come from one macro body.

use criterion::{criterion_main, Criterion};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Worker threads of both runtimes.
const WORKERS: usize = 2;
const ECHO_CONNS: usize = 32;
const ECHO_ROUNDS: usize = 1_000;
const MSG: usize = 64;

/// A socket path for this process and runtime, cleared of any leftover.
fn socket_path(which: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("magpie-bench-unix-{}-{which}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

macro_rules! workloads {
    ($name:ident, $rt:ty, $builder:expr, $spawn:path, { $($imports:item)* }) => {
        mod $name {
            use super::*;
            $($imports)*

            pub fn runtime() -> $rt {
                $builder
            }

            /// An echo server for fixed-size messages at `path`.
            pub fn echo_server(rt: &$rt, path: &Path) {
                let path = path.to_owned();
                rt.block_on(async move {
                    let listener = UnixListener::bind(&path).unwrap();
                    $spawn(async move {
                        loop {
                            let Ok((mut s, _)) = listener.accept().await else { return };
                            $spawn(async move {
                                let mut buf = [0u8; MSG];
                                while s.read_exact(&mut buf).await.is_ok() {
                                    if s.write_all(&buf).await.is_err() {
                                        return;
                                    }
                                }
                            });
                        }
                    });
                })
            }

            pub fn unix_echo(rt: &$rt, path: &Path) {
                rt.block_on(async move {
                    let clients: Vec<_> = (0..ECHO_CONNS)
                        .map(|_| {
                            let path = path.to_owned();
                            $spawn(async move {
                                let mut s = UnixStream::connect(&path).await.unwrap();
                                let mut buf = [7u8; MSG];
                                for _ in 0..ECHO_ROUNDS {
                                    s.write_all(&buf).await.unwrap();
                                    s.read_exact(&mut buf).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for c in clients {
                        c.await.unwrap();
                    }
                });
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::runtime::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .unwrap(),
    magpie::spawn,
    {
        use magpie::net::{UnixListener, UnixStream};
    }
);
workloads!(
    on_tokio,
    tokio::runtime::Runtime,
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap(),
    tokio::spawn,
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::{UnixListener, UnixStream};
    }
);

fn unix(c: &mut Criterion) {
    let mut group = c.benchmark_group("unix_echo");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let path = socket_path("magpie");
    let rt = on_magpie::runtime();
    on_magpie::echo_server(&rt, &path);
    group.bench_function("magpie", |b| b.iter(|| on_magpie::unix_echo(&rt, &path)));
    drop(rt);
    let _ = std::fs::remove_file(&path);
    let path = socket_path("tokio");
    let rt = on_tokio::runtime();
    on_tokio::echo_server(&rt, &path);
    group.bench_function("tokio", |b| b.iter(|| on_tokio::unix_echo(&rt, &path)));
    drop(rt);
    let _ = std::fs::remove_file(&path);
    group.finish();
}

/// Holds `benches`, the group `main` runs: `criterion_group!` makes it a `pub fn`, which
/// cannot take a doc comment, so it stays private in here.
mod group {
    criterion::criterion_group!(benches, super::unix);
}
criterion_main!(group::benches);
