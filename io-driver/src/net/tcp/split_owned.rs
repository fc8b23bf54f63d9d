//! [`OwnedReadHalf`] and [`OwnedWriteHalf`]: halves of a [`TcpStream`] that share it
//! through an `Arc`, from [`TcpStream::into_split`], so they can live in different
//! tasks. The read half waits in the stream's reader slot, the write half in its
//! writer slot.

use std::error::Error;
use std::fmt;
use std::net::Shutdown;
use std::sync::Arc;

use crate::net::half::{impl_async_read, impl_async_write, read_half_methods, write_half_methods};
use crate::net::TcpStream;

/// The owned reading half of a [`TcpStream`].
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
///     let (mut reader, mut writer) = server.into_split();
///     // The reading side in one task, the writing side in another.
///     let reading = magpie::spawn(async move {
///         let mut request = [0; 4];
///         reader.read_exact(&mut request).await?;
///         std::io::Result::Ok(request)
///     });
///     client.write_all(b"ping").await?;
///     assert_eq!(&reading.await??, b"ping");
///     writer.write_all(b"pong").await?;
///     let mut reply = [0; 4];
///     client.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The owned writing half of a [`TcpStream`]. Dropping it shuts down the stream's
/// writing side (the peer reads EOF), unless [`OwnedWriteHalf::forget`] is used or the
/// halves are reunited.
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
///     let (mut reader, mut writer) = server.into_split();
///     writer.write_all(b"goodbye").await?;
///     drop(writer); // shuts down the writing side: the peer reads the end of the stream
///     let mut received = Vec::new();
///     let mut buf = [0; 64];
///     loop {
///         match client.read(&mut buf).await? {
///             0 => break,
///             n => received.extend_from_slice(&buf[..n]),
///         }
///     }
///     assert_eq!(received, b"goodbye");
///     // The reading half still works.
///     client.write_all(b"ack").await?;
///     let mut ack = [0; 3];
///     reader.read_exact(&mut ack).await?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
    shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`] when the halves come from different streams;
/// it gives both halves back.
///
/// # Examples
///
/// ```
/// use magpie::net::tcp::ReuniteError;
/// use magpie::net::{TcpListener, TcpStream};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (client_reader, client_writer) = client.into_split();
///     let (server_reader, server_writer) = server.into_split();
///     let error = client_reader.reunite(server_writer).unwrap_err();
///     assert_eq!(error.to_string(), "tried to reunite halves that are not from the same TcpStream");
///     // Both halves come back, to be paired up correctly.
///     let ReuniteError(client_reader, server_writer) = error;
///     let _client: TcpStream = client_reader.reunite(client_writer).unwrap();
///     let _server: TcpStream = server_reader.reunite(server_writer).unwrap();
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same TcpStream")
    }
}

impl Error for ReuniteError {}

impl OwnedReadHalf {
    pub(crate) fn new(stream: Arc<TcpStream>) -> OwnedReadHalf {
        OwnedReadHalf { stream }
    }

    /// Puts the stream back together; fails if `write` belongs to another stream.
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let mut server: TcpStream = reader.reunite(writer).expect("halves of one stream");
    ///     // Reuniting does not shut the writing side down: the stream works as before.
    ///     server.write_all(b"still open").await?;
    ///     let mut buf = [0; 10];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"still open");
    ///     Ok(())
    /// }
    /// ```
    pub fn reunite(self, mut write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown_on_drop = false;
        drop(write);
        let stream = Arc::try_unwrap(self.stream)
            .expect("both halves of the stream were given back, so no other reference exists");
        Ok(stream)
    }

    read_half_methods!(TcpStream, "server.into_split()");
}

impl OwnedWriteHalf {
    pub(crate) fn new(stream: Arc<TcpStream>) -> OwnedWriteHalf {
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        }
    }

    /// Puts the stream back together; fails if `read` belongs to another stream.
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     let server: TcpStream = writer.reunite(reader).expect("halves of one stream");
    ///     assert_eq!(server.peer_addr()?, client.local_addr()?);
    ///     Ok(())
    /// }
    /// ```
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }

    /// Drops this half without shutting down the writing side.
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
    ///     let (mut reader, mut writer) = server.into_split();
    ///     use magpie::time::{timeout, Duration};
    ///
    ///     writer.forget(); // dropped without shutting down the writing side
    ///     let mut buf = [0; 1];
    ///     // So the peer sees no end of stream: its read just waits.
    ///     let read = timeout(Duration::from_millis(20), client.read(&mut buf)).await;
    ///     assert!(read.is_err());
    ///     Ok(())
    /// }
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    write_half_methods!(TcpStream, "server.into_split()");
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may already be gone; there is nobody to report that to.
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

impl_async_read!(OwnedReadHalf);
impl_async_write!(OwnedWriteHalf);
