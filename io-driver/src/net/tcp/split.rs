//! [`ReadHalf`] and [`WriteHalf`]: halves of a [`TcpStream`] that borrow it, from
//! [`TcpStream::split`]. The read half waits in the stream's reader slot, the write
//! half in its writer slot, so both can be used at once.

use crate::net::half::{impl_async_read, impl_async_write, read_half_methods, write_half_methods};
use crate::net::TcpStream;

/// The reading half of a borrowed [`TcpStream`].
///
/// Made by [`TcpStream::split`], whose docs show both halves used at once.
///
/// # Examples
///
/// ```
/// use magpie::net::{TcpListener, TcpStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (mut reader, mut writer) = TcpStream::split(&mut server);
///     client.write_all(b"ping").await?;
///     let mut request = [0; 4];
///     reader.read_exact(&mut request).await?;
///     assert_eq!(&request, b"ping");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a> {
    stream: &'a TcpStream,
}

/// The writing half of a borrowed [`TcpStream`].
///
/// Made by [`TcpStream::split`], whose docs show both halves used at once.
///
/// # Examples
///
/// ```
/// use magpie::net::{TcpListener, TcpStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (mut reader, mut writer) = TcpStream::split(&mut server);
///     writer.write_all(b"pong").await?;
///     let mut reply = [0; 4];
///     client.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a> {
    stream: &'a TcpStream,
}

impl<'a> ReadHalf<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> ReadHalf<'a> {
        ReadHalf { stream }
    }

    read_half_methods!(TcpStream, "TcpStream::split(&mut server)");
}

impl<'a> WriteHalf<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> WriteHalf<'a> {
        WriteHalf { stream }
    }

    write_half_methods!(TcpStream, "TcpStream::split(&mut server)");
}

impl_async_read!(ReadHalf<'_>);
impl_async_write!(WriteHalf<'_>);
