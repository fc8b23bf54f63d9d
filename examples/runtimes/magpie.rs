//! The names a runtime-agnostic server body uses (`super::rt::...`), bound to magpie.
//! `tokio.rs` binds the same names to tokio; a body compiled once against each is the
//! same program on two runtimes. Each program uses only some of these names.
#![allow(dead_code, unused_imports)]

use std::io;

pub use magpie::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
pub use magpie::net::{TcpListener, TcpStream, ToSocketAddrs};
pub use magpie::spawn;
pub use magpie::sync::{broadcast, mpsc};
pub use magpie::task::JoinHandle;
pub use magpie::time::sleep;

/// The runtime's name, as the benchmark script spells it.
pub const NAME: &str = "magpie";

/// A multi-thread runtime with `workers` worker threads (`None`: the runtime's default).
/// `MAGPIE_IDLE_SPIN_US` in the environment sets `Builder::idle_spin` (microseconds; 0
/// turns the spin off), for the benchmark script's spin trade-off runs.
pub fn runtime(workers: Option<usize>) -> io::Result<magpie::runtime::Runtime> {
    let mut builder = magpie::runtime::Builder::new();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    if let Ok(text) = std::env::var("MAGPIE_IDLE_SPIN_US") {
        let micros: u64 = text.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("MAGPIE_IDLE_SPIN_US is a number of microseconds, not {text:?}"),
            )
        })?;
        builder.idle_spin(std::time::Duration::from_micros(micros));
    }
    builder.build()
}

/// A read half as a `futures::io::AsyncRead` (magpie's halves already are one).
pub fn futures_read(half: OwnedReadHalf) -> OwnedReadHalf {
    half
}

/// A write half as a `futures::io::AsyncWrite` (magpie's halves already are one).
pub fn futures_write(half: OwnedWriteHalf) -> OwnedWriteHalf {
    half
}

/// Stream read/write extension methods to import: none, magpie's are inherent.
pub mod io_ext {}

/// A stream as hyper's IO type, as a magpie user would wrap it (default settings).
#[cfg(feature = "hyper")]
pub fn hyper_io(stream: TcpStream) -> magpie::compat::hyper::MagpieIo<TcpStream> {
    magpie::compat::hyper::MagpieIo::new(stream)
}

/// hyper's timer on this runtime.
#[cfg(feature = "hyper")]
pub fn hyper_timer() -> magpie::compat::hyper::MagpieTimer {
    magpie::compat::hyper::MagpieTimer
}
