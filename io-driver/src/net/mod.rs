//! `magpie::net`: async TCP and UDP sockets driven by the reactor.
//!
//! Names and behaviour follow tokio's `net` module; addresses are anything that
//! implements [`std::net::ToSocketAddrs`] (resolved with the standard library, so a
//! host name lookup blocks the calling thread; IP literals never do). Every error is
//! the operating system's `std::io::Error`; no network error panics.
//!
//! Creating a socket outside a magpie runtime (no reactor in [`crate::context`])
//! panics; a socket keeps the reactor it was created with.

mod addr;
pub mod tcp;
mod udp;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
