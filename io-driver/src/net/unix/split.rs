//! [`ReadHalf`] and [`WriteHalf`]: halves of a [`UnixStream`] that borrow it, from
//! [`UnixStream::split`]. The read half waits in the stream's reader slot, the write
//! half in its writer slot, so both can be used at once. Their methods are TCP's
//! (`net::half`).

use crate::net::half::{impl_async_read, impl_async_write, read_half_methods, write_half_methods};
use crate::net::UnixStream;

/// The reading half of a borrowed [`UnixStream`], made by [`UnixStream::split`] (whose
/// docs show both halves used at once).
#[derive(Debug)]
pub struct ReadHalf<'a> {
    stream: &'a UnixStream,
}

/// The writing half of a borrowed [`UnixStream`], made by [`UnixStream::split`] (whose
/// docs show both halves used at once).
#[derive(Debug)]
pub struct WriteHalf<'a> {
    stream: &'a UnixStream,
}

impl<'a> ReadHalf<'a> {
    pub(crate) fn new(stream: &'a UnixStream) -> ReadHalf<'a> {
        ReadHalf { stream }
    }

    read_half_methods!(UnixStream, "UnixStream::split(&mut server)");
}

impl<'a> WriteHalf<'a> {
    pub(crate) fn new(stream: &'a UnixStream) -> WriteHalf<'a> {
        WriteHalf { stream }
    }

    write_half_methods!(UnixStream, "UnixStream::split(&mut server)");
}

impl_async_read!(ReadHalf<'_>);
impl_async_write!(WriteHalf<'_>);
