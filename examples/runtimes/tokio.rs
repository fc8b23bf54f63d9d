//! The names a runtime-agnostic server body uses (`super::rt::...`), bound to tokio: the
//! counterpart of `magpie.rs`, with the same names and shapes. Each program uses only
//! some of these names.
#![allow(dead_code, unused_imports)]

use std::io;

pub use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
pub use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
pub use tokio::spawn;
pub use tokio::sync::{broadcast, mpsc};
pub use tokio::task::JoinHandle;
pub use tokio::time::sleep;

/// The runtime's name, as the benchmark script spells it.
pub const NAME: &str = "tokio";

/// A multi-thread runtime with `workers` worker threads (`None`: the runtime's default),
/// IO and timers on.
pub fn runtime(workers: Option<usize>) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    builder.enable_all().build()
}

/// A read half as a `futures::io::AsyncRead`, through tokio-util's compat layer (what a
/// tokio program does to run futures-io code).
pub fn futures_read(half: OwnedReadHalf) -> tokio_util::compat::Compat<OwnedReadHalf> {
    tokio_util::compat::TokioAsyncReadCompatExt::compat(half)
}

/// A write half as a `futures::io::AsyncWrite`, through tokio-util's compat layer.
pub fn futures_write(half: OwnedWriteHalf) -> tokio_util::compat::Compat<OwnedWriteHalf> {
    tokio_util::compat::TokioAsyncWriteCompatExt::compat_write(half)
}

/// Stream read/write extension methods to import.
pub mod io_ext {
    pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
}

/// A stream as hyper's IO type, the way tokio programs do it (hyper-util's `TokioIo`).
#[cfg(feature = "hyper")]
pub fn hyper_io(stream: TcpStream) -> hyper_util::rt::TokioIo<TcpStream> {
    hyper_util::rt::TokioIo::new(stream)
}

/// hyper's timer on this runtime (hyper-util's `TokioTimer`).
#[cfg(feature = "hyper")]
pub fn hyper_timer() -> hyper_util::rt::TokioTimer {
    hyper_util::rt::TokioTimer::new()
}
