//! The private half of [`ToSocketAddrs`](super::ToSocketAddrs): the conversion method,
//! the future it returns ([`MaybeReady`]) and the addresses that future yields
//! ([`OneOrMore`]).
//!
//! Everything here is `pub` only so that the public trait may name it; the module is
//! private, so nothing outside this crate can call, name or implement it. A conversion
//! that needs no lookup is ready at once and allocates nothing; a host name is looked
//! up with the standard library's resolver on the runtime's blocking pool
//! ([`crate::blocking`]).

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::{option, vec};

use crate::blocking::{self, BlockingResult};

/// Proof that a call comes from this crate: users cannot name it, so they cannot call
/// [`ToSocketAddrsPriv::to_socket_addrs`].
#[derive(Debug)]
pub struct Internal(pub(super) ());

/// The conversion behind [`ToSocketAddrs`](super::ToSocketAddrs).
pub trait ToSocketAddrsPriv {
    /// Starts converting `self`: ready at once for IP addresses, a lookup on the
    /// blocking pool for host names.
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady;
}

/// The addresses of a conversion, once known.
#[doc(hidden)]
#[derive(Debug)]
pub struct MaybeReady(State);

#[derive(Debug)]
enum State {
    /// Known without a lookup (taken by the first poll).
    Ready(Option<io::Result<OneOrMore>>),
    /// A host name lookup running on the blocking pool.
    Lookup(BlockingResult<vec::IntoIter<SocketAddr>>),
}

impl MaybeReady {
    /// One address, no lookup.
    pub(super) fn one(addr: SocketAddr) -> MaybeReady {
        MaybeReady(State::Ready(Some(Ok(OneOrMore::One(
            Some(addr).into_iter(),
        )))))
    }

    /// A list of addresses, no lookup.
    pub(super) fn many(addrs: Vec<SocketAddr>) -> MaybeReady {
        MaybeReady(State::Ready(Some(Ok(OneOrMore::More(addrs.into_iter())))))
    }

    /// A `"host:port"` string: parsed if it is an IP address, looked up otherwise.
    /// A string without a valid port fails at once, as the standard library does.
    pub(super) fn host_and_port_string(text: &str) -> MaybeReady {
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return MaybeReady::one(addr);
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return MaybeReady::invalid_input("invalid socket address");
        };
        match port.parse::<u16>() {
            Ok(port) => MaybeReady::host_and_port(host, port),
            Err(_) => MaybeReady::invalid_input("invalid port value"),
        }
    }

    /// A `(host, port)` pair: parsed if `host` is an IP address, looked up otherwise.
    ///
    /// # Panics
    /// When `host` needs a lookup and this thread has no blocking pool (outside a
    /// magpie runtime).
    pub(super) fn host_and_port(host: &str, port: u16) -> MaybeReady {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return MaybeReady::one(SocketAddr::V4(SocketAddrV4::new(ip, port)));
        }
        if let Ok(ip) = host.parse::<Ipv6Addr>() {
            return MaybeReady::one(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)));
        }
        let host = host.to_owned();
        MaybeReady(State::Lookup(blocking::run(move || {
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        })))
    }

    fn invalid_input(message: &'static str) -> MaybeReady {
        MaybeReady(State::Ready(Some(Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            message,
        )))))
    }
}

impl Future for MaybeReady {
    type Output = io::Result<OneOrMore>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            State::Ready(result) => Poll::Ready(
                result
                    .take()
                    .expect("an address conversion polled after it completed"),
            ),
            State::Lookup(lookup) => Pin::new(lookup).poll(cx).map_ok(OneOrMore::More),
        }
    }
}

/// The resolved addresses, in the resolver's order.
#[doc(hidden)]
#[derive(Debug)]
pub enum OneOrMore {
    /// An address known without a lookup.
    One(option::IntoIter<SocketAddr>),
    /// A lookup's answers or a slice's addresses.
    More(vec::IntoIter<SocketAddr>),
}

impl Iterator for OneOrMore {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        match self {
            OneOrMore::One(addrs) => addrs.next(),
            OneOrMore::More(addrs) => addrs.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            OneOrMore::One(addrs) => addrs.size_hint(),
            OneOrMore::More(addrs) => addrs.size_hint(),
        }
    }
}
