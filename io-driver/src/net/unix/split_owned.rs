//! [`OwnedReadHalf`] and [`OwnedWriteHalf`]: halves of a [`UnixStream`] that share it
//! through an `Arc`, from [`UnixStream::into_split`], so they can live in different
//! tasks. Their methods are TCP's (`net::half`); dropping the write half shuts the
//! writing side down, as TCP's does.

use std::error::Error;
use std::fmt;
use std::net::Shutdown;
use std::sync::Arc;

use crate::net::half::{impl_async_read, impl_async_write, read_half_methods, write_half_methods};
use crate::net::UnixStream;

/// The owned reading half of a [`UnixStream`], made by [`UnixStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<UnixStream>,
}

/// The owned writing half of a [`UnixStream`], made by [`UnixStream::into_split`].
/// Dropping it shuts down the stream's writing side (the peer reads EOF), unless
/// [`OwnedWriteHalf::forget`] is used or the halves are reunited.
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<UnixStream>,
    shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`] when the halves come from different streams;
/// it gives both halves back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same UnixStream")
    }
}

impl Error for ReuniteError {}

impl OwnedReadHalf {
    pub(crate) fn new(stream: Arc<UnixStream>) -> OwnedReadHalf {
        OwnedReadHalf { stream }
    }

    /// Puts the stream back together; fails if `write` belongs to another stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::net::UnixStream;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let (mut client, server) = UnixStream::pair()?;
    ///     let (reader, writer) = server.into_split();
    ///     let mut server = reader.reunite(writer).expect("halves of one stream");
    ///     server.write_all(b"still open").await?;
    ///     let mut buf = [0; 10];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"still open");
    ///     Ok(())
    /// }
    /// ```
    pub fn reunite(self, mut write: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown_on_drop = false;
        drop(write);
        let stream = Arc::try_unwrap(self.stream)
            .expect("both halves of the stream were given back, so no other reference exists");
        Ok(stream)
    }

    read_half_methods!(UnixStream, "server.into_split()");
}

impl OwnedWriteHalf {
    pub(crate) fn new(stream: Arc<UnixStream>) -> OwnedWriteHalf {
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        }
    }

    /// Puts the stream back together; fails if `read` belongs to another stream.
    pub fn reunite(self, read: OwnedReadHalf) -> Result<UnixStream, ReuniteError> {
        read.reunite(self)
    }

    /// Drops this half without shutting down the writing side.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    write_half_methods!(UnixStream, "server.into_split()");
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
