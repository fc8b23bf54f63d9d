//! Address resolution for the socket constructors: a [`ToSocketAddrs`] to a non-empty
//! list of candidates, tried in order like tokio does.

use std::io;
use std::net::SocketAddr;

use super::to_socket_addrs::{to_socket_addrs, ToSocketAddrs};

fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}

/// Resolves `addr` (a host name on the blocking pool); an empty result is an
/// `InvalidInput` error.
pub(crate) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let candidates: Vec<SocketAddr> = to_socket_addrs(addr).await?.collect();
    if candidates.is_empty() {
        return Err(no_addresses());
    }
    Ok(candidates)
}

/// The first resolved address of `addr` (no allocation for an IP address: `send_to`
/// calls this per datagram); an `InvalidInput` error if there is none.
pub(crate) async fn first(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    to_socket_addrs(addr).await?.next().ok_or_else(no_addresses)
}

/// Calls `attempt` on each resolved candidate until one succeeds; otherwise returns
/// the last candidate's error.
pub(crate) fn try_each<T>(
    candidates: Vec<SocketAddr>,
    mut attempt: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last_error = None;
    for candidate in candidates {
        match attempt(candidate) {
            Ok(value) => return Ok(value),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.expect("resolve returns at least one candidate"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn empty_resolution_is_invalid_input() {
        let none: &[SocketAddr] = &[];
        let error = block_on(resolve(none)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        let error = block_on(first(none)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn try_each_returns_the_first_success_or_the_last_error() {
        let candidates = block_on(resolve("127.0.0.1:1")).unwrap();
        let doubled = [candidates.clone(), candidates].concat();
        let mut calls = 0;
        let error = try_each(doubled.clone(), |_| -> io::Result<()> {
            calls += 1;
            Err(io::Error::other(format!("attempt {calls}")))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "attempt 2");
        assert_eq!(try_each(doubled, Ok).unwrap().port(), 1);
    }
}
