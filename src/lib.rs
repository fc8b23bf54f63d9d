//! # magpie
//!
//! A multi-threaded, work-stealing async runtime. One worker thread per
//! core runs spawned tasks from its own queue and steals from the others
//! when idle; an idle worker also polls the sockets (mio) and the timer
//! wheel, and the tasks they wake run right there.
//!
//! The names follow tokio's, so most programs switch by renaming the crate:
//!
//! ```
//! #[magpie::main(worker_threads = 2)]
//! async fn main() {
//!     let task = magpie::spawn(async {
//!         magpie::time::sleep(std::time::Duration::from_millis(1)).await;
//!         21 * 2
//!     });
//!     assert_eq!(task.await.unwrap(), 42);
//! }
//! ```
//!
//! This crate re-exports its members: the schedulers (`magpie-runtime`), the
//! timer and the test clock (`magpie-timer`), the IO driver and sockets
//! (`magpie-io-driver`), channels and locks (`magpie-sync`), the IO traits and
//! helpers (`magpie-io`) and the attribute macros (`magpie-macros`), and
//! defines `select!`, `join!`, `try_join!` and `pin!`. Moving from tokio is
//! mostly renaming the crate; `docs/porting-from-tokio.md` lists the rest.

#![deny(missing_docs)]

// `select!`, `join!`, `try_join!` and `pin!` are `#[macro_export]`ed from here, so they are
// `magpie::select!` etc.; the module itself only holds what their expansions name.
#[doc(hidden)]
pub mod macros;

pub use magpie_runtime::spawn;
pub use magpie_runtime::{runtime, task};

/// Runs an `async fn main` on a multi-thread runtime; see the crate docs.
///
/// `#[magpie::main(flavor = "current_thread")]` runs everything on the
/// calling thread instead (tokio's spelling; `flavor = "multi_thread"` is the
/// default). `#[magpie::main(worker_threads = N)]` picks the worker count (default:
/// the number of cores).
pub use magpie_macros::main;

/// Runs an `async fn` test on a fresh runtime with 2 workers
/// (`#[magpie::test(worker_threads = N)]` to change it).
///
/// ```
/// #[magpie::test]
/// async fn adds() {
///     assert_eq!(magpie::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
/// ```
pub use magpie_macros::test;

/// Timers: `sleep`, `timeout` and `interval`, resolved by a hierarchical
/// timer wheel with 1 ms granularity.
pub mod time {
    pub use magpie_runtime::time::advance;
    pub use magpie_timer::{
        error, interval, interval_at, pause, resume, sleep, sleep_until, timeout, timeout_at,
        Duration, Instant, Interval, MissedTickBehavior, Sleep, Timeout,
    };
}

/// Adapters for running runtime-specific libraries on magpie, each behind a
/// cargo feature of its name (`hyper`: hyper 1.x's executor, timer and IO traits;
/// `tokio-io`: tokio's IO traits over magpie's streams).
#[cfg(any(feature = "hyper", feature = "tokio-io"))]
pub mod compat;

/// Asynchronous IO with tokio's names: the `futures-io` traits (`AsyncRead`,
/// `AsyncWrite`, `AsyncBufRead`, `AsyncSeek`), the extension traits carrying futures'
/// methods and tokio's extras (`read_buf`, `read_u32`, `write_all_buf`, `shutdown`, ...),
/// `BufReader`, `BufWriter`, `copy`, `copy_bidirectional`, `split`, `duplex`, `empty`,
/// `sink` and `repeat`.
pub mod io {
    pub use magpie_io::*;
}

/// TCP, UDP and Unix sockets driven by the runtime's reactor.
pub mod net {
    pub use magpie_io_driver::net::*;
}

pub mod fs;

/// Signals with tokio's names: [`signal::ctrl_c`] and, on Unix, [`signal::unix::signal`]
/// listeners, woken by the runtime's own reactor.
pub mod signal;

/// Child processes with tokio's names: [`process::Command`] and [`process::Child`],
/// whose exit and pipes are driven by the runtime's reactor.
#[cfg(unix)]
pub mod process;

/// The guide `docs/tasks-futures-coroutines.md`, attached here only so that
/// `cargo test --doc` compiles and runs its snippets.
#[doc = include_str!("../docs/tasks-futures-coroutines.md")]
#[cfg(doctest)]
pub struct TasksFuturesCoroutinesGuide;

/// Channels and locks with tokio's names: `oneshot`, `mpsc`, `broadcast`, `watch`,
/// `Notify`, `Mutex`, `RwLock`, `Semaphore`, `Barrier`, `OnceCell`.
pub mod sync {
    pub use magpie_sync::*;
}
