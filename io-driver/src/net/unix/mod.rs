//! Unix domain sockets: the listener, the stream and its two ways of splitting
//! (borrowed with [`UnixStream::split`], owned with [`UnixStream::into_split`]), and
//! the datagram socket. The stream shares its reading and writing with TCP's
//! (`net::stream_io`, `net::half`); this module adds what is Unix's own: paths,
//! `pair`, and the address type.

mod datagram;
mod listener;
mod split;
mod split_owned;
mod stream;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
/// The address of a Unix socket: a path, or unnamed (the standard library's type).
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use ucred::UCred;
