//! `AsyncWriteExt`: futures' writing methods and tokio's extras (`write_buf`,
//! `write_all_buf`, the number writers, `shutdown`) in one trait. futures' futures are
//! reused where they match tokio's; the extras have their own (`write_buf`, `write_int`).

use std::io::IoSlice;

use bytes::Buf;
use futures_io::AsyncWrite;
use futures_util::io::{Close, Flush, Write, WriteAll, WriteVectored};

use crate::write_buf::{WriteAllBuf, WriteBuf};
use crate::write_int::WriteInt;

/// Declares the number writers: `name, type, width, encoder, docs`.
macro_rules! write_number {
    ($($(#[$doc:meta])* $name:ident($ty:ty), $n:literal, $encode:ident;)*) => {
        $(
            $(#[$doc])*
            fn $name(&mut self, n: $ty) -> WriteInt<'_, Self, $n>
            where
                Self: Unpin,
            {
                WriteInt::new(self, n.$encode())
            }
        )*
    };
}

/// Writes bytes to a sink: futures' `AsyncWriteExt` methods plus tokio's extras.
///
/// Implemented for every [`AsyncWrite`], so `use magpie::io::AsyncWriteExt;` brings the
/// methods to any writer. Types with an inherent method of the same name (such as
/// `magpie::net::TcpStream::write_all`) keep using theirs, which means the same.
///
/// Importing futures' `AsyncWriteExt` as well makes calls such as `write_all` ambiguous;
/// import one or the other.
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncWriteExt};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let mut out = Vec::new();
///     out.write_u16(0x0102).await?;
///     out.write_all(b"hi").await?;
///     out.shutdown().await?;
///     assert_eq!(out, [1, 2, b'h', b'i']);
///     Ok(())
/// }
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some bytes of `buf`, returning how many were accepted.
    ///
    /// ```ignore
    /// async fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was written.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write(self, buf)
    }

    /// Writes some bytes of the buffers `bufs`, in order, returning how many.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was written.
    fn write_vectored<'a>(&'a mut self, bufs: &'a [IoSlice<'a>]) -> WriteVectored<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write_vectored(self, bufs)
    }

    /// Writes some bytes of `buf`'s current chunk and advances `buf` by that many,
    /// returning it (0 when `buf` is empty).
    ///
    /// ```ignore
    /// async fn write_buf<B: Buf>(&mut self, buf: &mut B) -> io::Result<usize>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was written.
    ///
    /// ```
    /// use std::io::Cursor;
    ///
    /// use magpie::io::{self, AsyncWriteExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut out = Vec::new();
    ///     let mut src = Cursor::new(b"hello".to_vec());
    ///     let n = out.write_buf(&mut src).await?;
    ///     assert_eq!(src.position(), n as u64);
    ///     assert_eq!(out, &b"hello"[..n]);
    ///     Ok(())
    /// }
    /// ```
    fn write_buf<'a, B>(&'a mut self, buf: &'a mut B) -> WriteBuf<'a, Self, B>
    where
        Self: Unpin,
        B: Buf + ?Sized,
    {
        WriteBuf::new(self, buf)
    }

    /// Writes all of `buf`, advancing it as bytes are written.
    ///
    /// ```ignore
    /// async fn write_all_buf<B: Buf>(&mut self, buf: &mut B) -> io::Result<()>;
    /// ```
    ///
    /// # Errors
    ///
    /// [`WriteZero`](std::io::ErrorKind::WriteZero) if the writer accepts no more bytes.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, `buf` may be partly written, but it has been advanced by
    /// exactly what was written: calling `write_all_buf` again writes the rest.
    ///
    /// ```
    /// use bytes::{Buf, Bytes};
    /// use magpie::io::{self, AsyncWriteExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut out = Vec::new();
    ///     let mut src = Bytes::from_static(b"hello");
    ///     out.write_all_buf(&mut src).await?;
    ///     assert!(!src.has_remaining());
    ///     assert_eq!(out, b"hello");
    ///     Ok(())
    /// }
    /// ```
    fn write_all_buf<'a, B>(&'a mut self, buf: &'a mut B) -> WriteAllBuf<'a, Self, B>
    where
        Self: Unpin,
        B: Buf + ?Sized,
    {
        WriteAllBuf::new(self, buf)
    }

    /// Writes all of `buf`.
    ///
    /// ```ignore
    /// async fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// ```
    ///
    /// # Errors
    ///
    /// [`WriteZero`](std::io::ErrorKind::WriteZero) if the writer accepts no more bytes.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped, `buf` may be partly written, and a new
    /// call starts over from its beginning.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write_all(self, buf)
    }

    /// Flushes buffered data to its destination.
    ///
    /// ```ignore
    /// async fn flush(&mut self) -> io::Result<()>;
    /// ```
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::flush(self)
    }

    /// Flushes, then shuts down the writing side (for a socket, the peer reads EOF);
    /// futures' name for [`shutdown`](Self::shutdown).
    ///
    /// ```ignore
    /// async fn close(&mut self) -> io::Result<()>;
    /// ```
    fn close(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::close(self)
    }

    /// Flushes, then shuts down the writing side (for a socket, the peer reads EOF);
    /// tokio's name for [`close`](Self::close).
    ///
    /// ```ignore
    /// async fn shutdown(&mut self) -> io::Result<()>;
    /// ```
    ///
    /// ```
    /// use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let (mut a, mut b) = io::duplex(16);
    ///     a.write_all(b"bye").await?;
    ///     a.shutdown().await?;
    ///     let mut got = Vec::new();
    ///     b.read_to_end(&mut got).await?; // ends: `a` shut down
    ///     assert_eq!(got, b"bye");
    ///     Ok(())
    /// }
    /// ```
    fn shutdown(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::close(self)
    }

    write_number! {
        /// Writes an unsigned 8-bit integer.
        ///
        /// ```ignore
        /// async fn write_u8(&mut self, n: u8) -> io::Result<()>;
        /// ```
        ///
        /// ```
        /// use magpie::io::{self, AsyncWriteExt};
        ///
        /// #[magpie::main]
        /// async fn main() -> io::Result<()> {
        ///     let mut out = Vec::new();
        ///     out.write_u8(2).await?;
        ///     out.write_u8(5).await?;
        ///     assert_eq!(out, [2, 5]);
        ///     Ok(())
        /// }
        /// ```
        write_u8(u8), 1, to_be_bytes;
        /// Writes a signed 8-bit integer; see [`write_u8`](Self::write_u8).
        write_i8(i8), 1, to_be_bytes;
        /// Writes an unsigned 16-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_u16(u16), 2, to_be_bytes;
        /// Writes a signed 16-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i16(i16), 2, to_be_bytes;
        /// Writes an unsigned 32-bit integer in big-endian order.
        ///
        /// ```ignore
        /// async fn write_u32(&mut self, n: u32) -> io::Result<()>;
        /// ```
        ///
        /// # Errors
        ///
        /// [`WriteZero`](std::io::ErrorKind::WriteZero) if the writer accepts no more bytes.
        ///
        /// # Cancel safety
        ///
        /// Not cancel safe: if the future is dropped, the number may be partly written.
        ///
        /// ```
        /// use magpie::io::{self, AsyncWriteExt};
        ///
        /// #[magpie::main]
        /// async fn main() -> io::Result<()> {
        ///     let mut out = Vec::new();
        ///     out.write_u32(258).await?;
        ///     assert_eq!(out, [0, 0, 1, 2]);
        ///     Ok(())
        /// }
        /// ```
        write_u32(u32), 4, to_be_bytes;
        /// Writes a signed 32-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i32(i32), 4, to_be_bytes;
        /// Writes an unsigned 64-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_u64(u64), 8, to_be_bytes;
        /// Writes a signed 64-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i64(i64), 8, to_be_bytes;
        /// Writes an unsigned 128-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_u128(u128), 16, to_be_bytes;
        /// Writes a signed 128-bit integer in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i128(i128), 16, to_be_bytes;
        /// Writes a 32-bit IEEE float in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_f32(f32), 4, to_be_bytes;
        /// Writes a 64-bit IEEE float in big-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_f64(f64), 8, to_be_bytes;
        /// Writes an unsigned 16-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_u16_le(u16), 2, to_le_bytes;
        /// Writes a signed 16-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i16_le(i16), 2, to_le_bytes;
        /// Writes an unsigned 32-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        ///
        /// ```
        /// use magpie::io::{self, AsyncWriteExt};
        ///
        /// #[magpie::main]
        /// async fn main() -> io::Result<()> {
        ///     let mut out = Vec::new();
        ///     out.write_u32_le(258).await?;
        ///     assert_eq!(out, [2, 1, 0, 0]);
        ///     Ok(())
        /// }
        /// ```
        write_u32_le(u32), 4, to_le_bytes;
        /// Writes a signed 32-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i32_le(i32), 4, to_le_bytes;
        /// Writes an unsigned 64-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_u64_le(u64), 8, to_le_bytes;
        /// Writes a signed 64-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i64_le(i64), 8, to_le_bytes;
        /// Writes an unsigned 128-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_u128_le(u128), 16, to_le_bytes;
        /// Writes a signed 128-bit integer in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_i128_le(i128), 16, to_le_bytes;
        /// Writes a 32-bit IEEE float in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_f32_le(f32), 4, to_le_bytes;
        /// Writes a 64-bit IEEE float in little-endian order; see
        /// [`write_u32`](Self::write_u32).
        write_f64_le(f64), 8, to_le_bytes;
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
