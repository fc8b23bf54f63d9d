//! [`lookup_host`]: tokio's name resolution function, over [`ToSocketAddrs`].

use std::io;
use std::net::SocketAddr;

use super::to_socket_addrs::{to_socket_addrs, ToSocketAddrs};

/// Resolves `host` to its socket addresses: a host name with the system resolver on
/// the runtime's blocking pool (never on a thread that runs tasks), an IP address at
/// once. `host` is anything [`ToSocketAddrs`] takes; a string needs a port
/// (`"localhost:80"`), as in tokio and the standard library.
///
/// A name that does not resolve is an `io::Error`, as is a string without a valid
/// port. Cancel safe: dropping the future while the lookup runs leaves the lookup to
/// finish on its pool thread and drops its answer.
///
/// # Panics
/// When `host` is a host name and the call is outside a magpie runtime.
///
/// # Examples
///
/// ```
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     for addr in magpie::net::lookup_host("localhost:8080").await? {
///         assert!(addr.ip().is_loopback());
///         assert_eq!(addr.port(), 8080);
///     }
///
///     // An IP address needs no lookup.
///     let mut addrs = magpie::net::lookup_host("127.0.0.1:80").await?;
///     assert_eq!(addrs.next(), Some("127.0.0.1:80".parse().unwrap()));
///
///     // `.invalid` never resolves (RFC 6761).
///     assert!(magpie::net::lookup_host("does-not-exist.invalid:80").await.is_err());
///     Ok(())
/// }
/// ```
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    to_socket_addrs(host).await
}
