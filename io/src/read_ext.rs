//! `AsyncReadExt`: futures' reading methods and tokio's extras (`read_buf`, the number
//! readers) in one trait, so that importing it alone serves code written for either.
//! futures' futures are reused where their output matches tokio's; `read_exact`,
//! `read_buf` and the number readers have their own futures (`read_exact`, `read_buf`,
//! `read_int` modules).

use std::io::IoSliceMut;

use bytes::BufMut;
use futures_io::AsyncRead;
use futures_util::io::{Chain, Read, ReadToEnd, ReadToString, ReadVectored, Take};

use crate::read_buf::ReadBuf;
use crate::read_exact::ReadExact;
use crate::read_int::ReadInt;

/// Declares the number readers: `name, type, width, decoder, docs`.
macro_rules! read_number {
    ($($(#[$doc:meta])* $name:ident -> $ty:ty, $n:literal, $decode:path;)*) => {
        $(
            $(#[$doc])*
            fn $name(&mut self) -> ReadInt<'_, Self, $ty, $n>
            where
                Self: Unpin,
            {
                ReadInt::new(self, $decode)
            }
        )*
    };
}

/// Reads bytes from a source: futures' `AsyncReadExt` methods plus tokio's extras.
///
/// Implemented for every [`AsyncRead`], so `use magpie::io::AsyncReadExt;` brings the
/// methods to any reader. Types with an inherent method of the same name (such as
/// `magpie::net::TcpStream::read`) keep using theirs, which means the same.
///
/// Importing futures' `AsyncReadExt` as well makes calls such as `read` ambiguous; import
/// one or the other.
///
/// # Example
///
/// ```
/// use magpie::io::{self, AsyncReadExt};
///
/// #[magpie::main]
/// async fn main() -> io::Result<()> {
///     let mut reader: &[u8] = &[0, 0, 0, 42, b'h', b'i'];
///     assert_eq!(reader.read_u32().await?, 42);
///     let mut rest = Vec::new();
///     reader.read_to_end(&mut rest).await?;
///     assert_eq!(rest, b"hi");
///     Ok(())
/// }
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Creates a reader that reads all of `self`, then all of `next`.
    ///
    /// ```
    /// use magpie::io::{self, AsyncReadExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut both = (&b"ab"[..]).chain(&b"cd"[..]);
    ///     let mut out = String::new();
    ///     both.read_to_string(&mut out).await?;
    ///     assert_eq!(out, "abcd");
    ///     Ok(())
    /// }
    /// ```
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        futures_util::io::AsyncReadExt::chain(self, next)
    }

    /// Reads some bytes into `buf`, returning how many (0 at EOF or for an empty `buf`).
    ///
    /// ```ignore
    /// async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was read.
    ///
    /// ```
    /// use magpie::io::{self, AsyncReadExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut reader: &[u8] = b"hello";
    ///     let mut buf = [0; 3];
    ///     assert_eq!(reader.read(&mut buf).await?, 3);
    ///     assert_eq!(&buf, b"hel");
    ///     Ok(())
    /// }
    /// ```
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read(self, buf)
    }

    /// Reads some bytes into the buffers `bufs`, in order, returning how many.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was read.
    fn read_vectored<'a>(&'a mut self, bufs: &'a mut [IoSliceMut<'a>]) -> ReadVectored<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_vectored(self, bufs)
    }

    /// Reads some bytes into `buf`'s spare capacity and advances it, returning how many
    /// (0 at EOF or when `buf` has no spare capacity left).
    ///
    /// `buf` is any [`BufMut`], such as a `bytes::BytesMut` or a `Vec<u8>`; a `BytesMut`
    /// whose capacity is used up grows (by 64 bytes, as `BufMut::chunk_mut` does) so
    /// reserve what you expect to read. One call reads at most 64 KiB.
    ///
    /// ```ignore
    /// async fn read_buf<B: BufMut>(&mut self, buf: &mut B) -> io::Result<usize>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no data was read.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use magpie::io::{self, AsyncReadExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut reader: &[u8] = b"hello";
    ///     let mut buf = BytesMut::with_capacity(16);
    ///     assert_eq!(reader.read_buf(&mut buf).await?, 5);
    ///     assert_eq!(&buf[..], b"hello");
    ///     Ok(())
    /// }
    /// ```
    fn read_buf<'a, B>(&'a mut self, buf: &'a mut B) -> ReadBuf<'a, Self, B>
    where
        Self: Unpin,
        B: BufMut + ?Sized,
    {
        ReadBuf::new(self, buf)
    }

    /// Reads exactly `buf.len()` bytes, returning that number (tokio's signature).
    ///
    /// ```ignore
    /// async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// ```
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) if the stream ends first; the
    /// contents of `buf` are then unspecified.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped, some bytes may already have been read
    /// into `buf`.
    ///
    /// ```
    /// use magpie::io::{self, AsyncReadExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut reader: &[u8] = b"hello";
    ///     let mut buf = [0; 4];
    ///     assert_eq!(reader.read_exact(&mut buf).await?, 4);
    ///     assert_eq!(&buf, b"hell");
    ///     assert!(reader.read_exact(&mut buf).await.is_err());
    ///     Ok(())
    /// }
    /// ```
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact::new(self, buf)
    }

    /// Reads until EOF, appending to `buf`; returns the number of bytes appended.
    ///
    /// ```ignore
    /// async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize>;
    /// ```
    ///
    /// Bytes read before an error stay appended to `buf`.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_to_end(self, buf)
    }

    /// Reads until EOF, appending to `buf`; returns the number of bytes appended.
    ///
    /// ```ignore
    /// async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize>;
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidData`](std::io::ErrorKind::InvalidData) if the bytes are not UTF-8;
    /// `buf` is then left as it was.
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_to_string(self, buf)
    }

    /// Creates a reader that reads at most `limit` bytes of `self`, then reports EOF.
    ///
    /// ```
    /// use magpie::io::{self, AsyncReadExt};
    ///
    /// #[magpie::main]
    /// async fn main() -> io::Result<()> {
    ///     let mut head = (&b"hello"[..]).take(2);
    ///     let mut out = Vec::new();
    ///     head.read_to_end(&mut out).await?;
    ///     assert_eq!(out, b"he");
    ///     Ok(())
    /// }
    /// ```
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        futures_util::io::AsyncReadExt::take(self, limit)
    }

    read_number! {
        /// Reads an unsigned 8-bit integer.
        ///
        /// ```ignore
        /// async fn read_u8(&mut self) -> io::Result<u8>;
        /// ```
        ///
        /// # Errors
        ///
        /// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) at EOF.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: if the future is dropped before completing, no data was read.
        ///
        /// ```
        /// use magpie::io::{self, AsyncReadExt};
        ///
        /// #[magpie::main]
        /// async fn main() -> io::Result<()> {
        ///     let mut reader: &[u8] = &[2, 5];
        ///     assert_eq!(reader.read_u8().await?, 2);
        ///     assert_eq!(reader.read_u8().await?, 5);
        ///     assert!(reader.read_u8().await.is_err());
        ///     Ok(())
        /// }
        /// ```
        read_u8 -> u8, 1, u8::from_be_bytes;
        /// Reads a signed 8-bit integer.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: if the future is dropped before completing, no data was read.
        read_i8 -> i8, 1, i8::from_be_bytes;
        /// Reads an unsigned 16-bit integer in big-endian order.
        ///
        /// ```ignore
        /// async fn read_u16(&mut self) -> io::Result<u16>;
        /// ```
        ///
        /// # Errors
        ///
        /// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) if the stream ends first.
        ///
        /// # Cancel safety
        ///
        /// Not cancel safe: if the future is dropped, the bytes read so far are lost.
        read_u16 -> u16, 2, u16::from_be_bytes;
        /// Reads a signed 16-bit integer in big-endian order; see [`read_u16`](Self::read_u16).
        read_i16 -> i16, 2, i16::from_be_bytes;
        /// Reads an unsigned 32-bit integer in big-endian order.
        ///
        /// ```ignore
        /// async fn read_u32(&mut self) -> io::Result<u32>;
        /// ```
        ///
        /// # Errors
        ///
        /// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) if the stream ends first.
        ///
        /// # Cancel safety
        ///
        /// Not cancel safe: if the future is dropped, the bytes read so far are lost.
        ///
        /// ```
        /// use magpie::io::{self, AsyncReadExt};
        ///
        /// #[magpie::main]
        /// async fn main() -> io::Result<()> {
        ///     let mut reader: &[u8] = &[0, 0, 1, 2, 3];
        ///     assert_eq!(reader.read_u32().await?, 258);
        ///     assert!(reader.read_u32().await.is_err());
        ///     Ok(())
        /// }
        /// ```
        read_u32 -> u32, 4, u32::from_be_bytes;
        /// Reads a signed 32-bit integer in big-endian order; see [`read_u32`](Self::read_u32).
        read_i32 -> i32, 4, i32::from_be_bytes;
        /// Reads an unsigned 64-bit integer in big-endian order; see [`read_u32`](Self::read_u32).
        read_u64 -> u64, 8, u64::from_be_bytes;
        /// Reads a signed 64-bit integer in big-endian order; see [`read_u32`](Self::read_u32).
        read_i64 -> i64, 8, i64::from_be_bytes;
        /// Reads an unsigned 128-bit integer in big-endian order; see [`read_u32`](Self::read_u32).
        read_u128 -> u128, 16, u128::from_be_bytes;
        /// Reads a signed 128-bit integer in big-endian order; see [`read_u32`](Self::read_u32).
        read_i128 -> i128, 16, i128::from_be_bytes;
        /// Reads a 32-bit IEEE float in big-endian order; see [`read_u32`](Self::read_u32).
        read_f32 -> f32, 4, f32::from_be_bytes;
        /// Reads a 64-bit IEEE float in big-endian order; see [`read_u32`](Self::read_u32).
        read_f64 -> f64, 8, f64::from_be_bytes;
        /// Reads an unsigned 16-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_u16_le -> u16, 2, u16::from_le_bytes;
        /// Reads a signed 16-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_i16_le -> i16, 2, i16::from_le_bytes;
        /// Reads an unsigned 32-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        ///
        /// ```
        /// use magpie::io::{self, AsyncReadExt};
        ///
        /// #[magpie::main]
        /// async fn main() -> io::Result<()> {
        ///     let mut reader: &[u8] = &[2, 1, 0, 0];
        ///     assert_eq!(reader.read_u32_le().await?, 258);
        ///     Ok(())
        /// }
        /// ```
        read_u32_le -> u32, 4, u32::from_le_bytes;
        /// Reads a signed 32-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_i32_le -> i32, 4, i32::from_le_bytes;
        /// Reads an unsigned 64-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_u64_le -> u64, 8, u64::from_le_bytes;
        /// Reads a signed 64-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_i64_le -> i64, 8, i64::from_le_bytes;
        /// Reads an unsigned 128-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_u128_le -> u128, 16, u128::from_le_bytes;
        /// Reads a signed 128-bit integer in little-endian order; see [`read_u32`](Self::read_u32).
        read_i128_le -> i128, 16, i128::from_le_bytes;
        /// Reads a 32-bit IEEE float in little-endian order; see [`read_u32`](Self::read_u32).
        read_f32_le -> f32, 4, f32::from_le_bytes;
        /// Reads a 64-bit IEEE float in little-endian order; see [`read_u32`](Self::read_u32).
        read_f64_le -> f64, 8, f64::from_le_bytes;
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}
