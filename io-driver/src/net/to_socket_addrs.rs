//! [`ToSocketAddrs`]: what every `bind`, `connect` and `send_to` accepts as an
//! address, tokio's sealed trait and its implementations. The conversion itself lives
//! in [`super::sealed`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::sealed::{Internal, MaybeReady, ToSocketAddrsPriv};

/// Converts or resolves, without blocking the calling thread, to one or more socket
/// addresses: the address argument of every `bind`, `connect` and `send_to` in
/// [`magpie::net`](crate::net), as in tokio.
///
/// Implemented for [`SocketAddr`], [`SocketAddrV4`], [`SocketAddrV6`], `(IpAddr, u16)`,
/// `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`, `(&str, u16)`, `(String, u16)`, `str`,
/// [`String`], `&[SocketAddr]` and references to any of these. IP addresses (also as
/// strings, like `"127.0.0.1:80"` or `("::1", 80)`) convert at once; a host name
/// (`"localhost:80"`) is looked up with the system resolver on the runtime's blocking
/// pool, never on a thread that runs tasks, and a name that does not resolve is an
/// `io::Error`. Socket constructors try the addresses in the resolver's order and
/// return the last error if none works.
///
/// The trait is sealed: use it in bounds only; its method is private.
///
/// # Panics
/// Converting a host name outside a magpie runtime panics (there is no blocking pool
/// to run the lookup on); IP addresses convert anywhere.
///
/// # Examples
///
/// ```
/// use magpie::net::{TcpListener, TcpStream, ToSocketAddrs};
///
/// // Generic over every address form, like the socket constructors.
/// async fn connect_to(addr: impl ToSocketAddrs) -> std::io::Result<TcpStream> {
///     TcpStream::connect(addr).await
/// }
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
///     let port = listener.local_addr()?.port();
///     connect_to(listener.local_addr()?).await?;
///     connect_to(format!("127.0.0.1:{port}")).await?;
///     connect_to(("localhost", port)).await?; // a lookup, on the blocking pool
///     Ok(())
/// }
/// ```
pub trait ToSocketAddrs: ToSocketAddrsPriv {}

impl ToSocketAddrs for SocketAddr {}

impl ToSocketAddrsPriv for SocketAddr {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::one(*self)
    }
}

impl ToSocketAddrs for SocketAddrV4 {}

impl ToSocketAddrsPriv for SocketAddrV4 {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::one(SocketAddr::V4(*self))
    }
}

impl ToSocketAddrs for SocketAddrV6 {}

impl ToSocketAddrsPriv for SocketAddrV6 {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::one(SocketAddr::V6(*self))
    }
}

impl ToSocketAddrs for (IpAddr, u16) {}

impl ToSocketAddrsPriv for (IpAddr, u16) {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::one(SocketAddr::from(*self))
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {}

impl ToSocketAddrsPriv for (Ipv4Addr, u16) {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::one(SocketAddr::from(*self))
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {}

impl ToSocketAddrsPriv for (Ipv6Addr, u16) {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::one(SocketAddr::from(*self))
    }
}

impl ToSocketAddrs for (&str, u16) {}

impl ToSocketAddrsPriv for (&str, u16) {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::host_and_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}

impl ToSocketAddrsPriv for (String, u16) {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::host_and_port(&self.0, self.1)
    }
}

impl ToSocketAddrs for str {}

impl ToSocketAddrsPriv for str {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::host_and_port_string(self)
    }
}

impl ToSocketAddrs for String {}

impl ToSocketAddrsPriv for String {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::host_and_port_string(self)
    }
}

impl ToSocketAddrs for &[SocketAddr] {}

impl ToSocketAddrsPriv for &[SocketAddr] {
    fn to_socket_addrs(&self, _: Internal) -> MaybeReady {
        MaybeReady::many(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

impl<T: ToSocketAddrsPriv + ?Sized> ToSocketAddrsPriv for &T {
    fn to_socket_addrs(&self, internal: Internal) -> MaybeReady {
        (**self).to_socket_addrs(internal)
    }
}

/// Starts converting `addr` (taking it by value, so callers hold no borrow of it while
/// the conversion runs).
pub(crate) fn to_socket_addrs(addr: impl ToSocketAddrs) -> MaybeReady {
    addr.to_socket_addrs(Internal(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use std::io;

    fn convert(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
        block_on(to_socket_addrs(addr)).map(Iterator::collect)
    }

    #[test]
    // The borrows are the point: they test the `&T` implementation.
    #[allow(clippy::needless_borrows_for_generic_args)]
    fn ip_addresses_convert_without_a_runtime() {
        // No blocking pool in context: a lookup would panic, so none happens.
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        for (addrs, expected) in [
            (convert(v4), v4),
            (convert("127.0.0.1:80"), v4),
            (convert(String::from("[::1]:80")), v6),
            (convert(("127.0.0.1", 80)), v4),
            (convert((String::from("::1"), 80)), v6),
            (convert((Ipv4Addr::LOCALHOST, 80)), v4),
            (convert((Ipv6Addr::LOCALHOST, 80)), v6),
            (convert((IpAddr::from(Ipv4Addr::LOCALHOST), 80)), v4),
            (convert(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80)), v4),
            (
                convert(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 80, 0, 0)),
                v6,
            ),
            (convert(&v4), v4),
            (convert(&&"127.0.0.1:80"), v4),
        ] {
            assert_eq!(addrs.unwrap(), [expected]);
        }
        let both = [v4, v6];
        assert_eq!(convert(&both[..]).unwrap(), both);
    }

    #[test]
    fn a_string_without_a_valid_port_fails_without_a_lookup() {
        for text in ["localhost", "localhost:http", "127.0.0.1:65536"] {
            let error = convert(text).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{text}");
        }
    }

    #[test]
    #[should_panic(expected = "no blocking pool")]
    fn a_host_name_outside_a_runtime_panics() {
        drop(to_socket_addrs("localhost:80"));
    }
}
