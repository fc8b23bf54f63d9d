//! # magpie-io
//!
//! Asynchronous IO with `tokio::io`'s names over the `futures-io` traits; users reach it
//! as `magpie::io`. This crate owns the module's layout and re-exports; it knows
//! nothing of the scheduler, so every helper works with any `futures-io` stream.
//!
//! - The traits: [`AsyncRead`], [`AsyncWrite`], [`AsyncBufRead`] and [`AsyncSeek`] are
//!   `futures-io`'s, re-exported. Implementing one by hand follows `futures-io`: for
//!   instance `poll_read` takes `&mut [u8]` where tokio's takes a `ReadBuf`.
//! - The extension traits [`AsyncReadExt`], [`AsyncWriteExt`], [`AsyncBufReadExt`] and
//!   [`AsyncSeekExt`] carry futures' methods *and* tokio's extras (`read_buf`,
//!   `write_all_buf`, `read_u32`, `write_i64_le`, `shutdown`, ...), so that
//!   `use magpie::io::{AsyncReadExt, AsyncWriteExt};` is all a tokio or a futures
//!   program needs. Where tokio's and futures' signatures differ, tokio's wins
//!   (`read_exact` returns the number of bytes read).
//! - Adapters and helpers: [`BufReader`], [`BufWriter`], [`BufStream`], [`copy`],
//!   [`copy_buf`], [`copy_bidirectional`], [`split`], [`join`], [`duplex`], [`empty`],
//!   [`sink`], [`repeat`], [`Lines`] and [`Split`].
//!
//! Not here (yet): tokio's `stdin`/`stdout`/`stderr`, which need a blocking pool, and
//! tokio's own `ReadBuf` (the `futures-io` traits read into `&mut [u8]`).
//!
//! # Example
//!
//! ```
//! use magpie::io::{self, AsyncReadExt, AsyncWriteExt};
//!
//! #[magpie::main]
//! async fn main() -> io::Result<()> {
//!     let (mut client, mut server) = io::duplex(64);
//!     client.write_u32(7).await?;
//!     client.write_all(b"hello").await?;
//!     client.shutdown().await?;
//!
//!     assert_eq!(server.read_u32().await?, 7);
//!     let mut rest = String::new();
//!     server.read_to_string(&mut rest).await?;
//!     assert_eq!(rest, "hello");
//!     Ok(())
//! }
//! ```

mod buf_read_ext;
mod buf_stream;
mod copy_bidirectional;
mod copy_buffer;
mod delimited;
mod duplex;
mod empty;
mod join;
mod lines;
mod read_buf;
mod read_exact;
mod read_ext;
mod read_int;
mod seek_ext;
mod split;
mod split_by;
mod write_buf;
mod write_ext;
mod write_int;

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use std::io::{Error, ErrorKind, IoSlice, IoSliceMut, Result, SeekFrom};

pub use buf_read_ext::AsyncBufReadExt;
pub use read_ext::AsyncReadExt;
pub use seek_ext::AsyncSeekExt;
pub use write_ext::AsyncWriteExt;

pub use buf_stream::BufStream;
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use duplex::{duplex, DuplexStream};
pub use empty::{empty, Empty};
pub use join::{join, Join};
pub use lines::Lines;
pub use split::{split, ReadHalf, ReuniteError, WriteHalf};
pub use split_by::Split;

// Adapters and helpers that futures already provides, re-exported unchanged.
pub use futures_util::io::{
    copy, copy_buf, repeat, sink, BufReader, BufWriter, Chain, Cursor, Repeat, Sink, Take,
};

/// The futures that the extension traits' methods and [`copy`] return.
///
/// Most programs only `.await` them; the types are here so that a struct can hold one
/// or a signature can name one. (Not named `futures`, which a `use magpie::io::*;` would
/// make clash with the `futures` crate.)
pub mod util {
    pub use crate::read_buf::ReadBuf;
    pub use crate::read_exact::ReadExact;
    pub use crate::read_int::ReadInt;
    pub use crate::seek_ext::Rewind;
    pub use crate::write_buf::{WriteAllBuf, WriteBuf};
    pub use crate::write_int::WriteInt;
    pub use futures_util::io::{
        Close, Copy, CopyBuf, FillBuf, Flush, Read, ReadLine, ReadToEnd, ReadToString, ReadUntil,
        ReadVectored, Seek, Write, WriteAll, WriteVectored,
    };
}
