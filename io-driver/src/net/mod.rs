//! `magpie::net`: async TCP, UDP and Unix sockets driven by the reactor, and name resolution.
//!
//! Names and behaviour follow tokio's `net` module; addresses are anything that
//! implements [`ToSocketAddrs`] (IP addresses convert at once; a host name is looked up
//! with the system resolver on the runtime's blocking pool, never on a thread that runs
//! tasks; see [`lookup_host`]). Every error is the operating system's
//! `std::io::Error`; no network error panics.
//!
//! Creating a socket outside a magpie runtime (no reactor in [`crate::context`])
//! panics; a socket keeps the reactor it was created with.

mod addr;
mod half;
mod lookup_host;
mod sealed;
mod stream_io;
pub mod tcp;
mod to_socket_addrs;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use lookup_host::lookup_host;
pub use tcp::{TcpListener, TcpStream};
pub use to_socket_addrs::ToSocketAddrs;
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};
