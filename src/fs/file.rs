//! [`File`]: an open file with the `magpie::io` traits (`AsyncRead`, `AsyncWrite`,
//! `AsyncSeek`), whose reads, writes and seeks run on the blocking pool.
//!
//! The design is tokio's: a file is either *idle*, holding a [`Buf`] (bytes read ahead,
//! or nothing), or *busy* with exactly one blocking operation, which owns the buffer and
//! a clone of the `Arc<std::fs::File>` and hands both back when it ends. So:
//! - a write returns as soon as its bytes are copied into the buffer and the blocking
//!   write is started; it is complete once `flush` (or `sync_all`, ...) returns, and an
//!   error it met is reported by the next write or flush;
//! - dropping the `File` detaches the operation in flight, which still finishes (a
//!   write's bytes are not lost); writes run as *mandatory* blocking jobs, which a
//!   runtime shutting down still runs instead of cancelling them;
//! - bytes read ahead are accounted for: a write or a relative seek first moves the OS
//!   cursor back by the bytes the caller has not consumed.
//!
//! It uses [`crate::task::spawn_blocking`], `magpie_runtime`'s hidden
//! `spawn_mandatory_blocking` (for writes) and [`crate::sync::Mutex`] (for the `&self`
//! methods, which wait for the operation in flight).

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::{poll_fn, Future};
use std::io::{self, Seek, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::io::{AsyncRead, AsyncSeek, AsyncWrite};

use super::blocking::{asyncify, join_error};
use super::file_buf::{Buf, DEFAULT_MAX_BUF};
use super::OpenOptions;
use crate::sync::Mutex;
use crate::task::{spawn_blocking, JoinHandle};
use magpie_runtime::internal::spawn_mandatory_blocking;

/// An open file, read and written asynchronously through the `magpie::io` traits
/// (`AsyncReadExt`, `AsyncWriteExt`, `AsyncSeekExt`).
///
/// Each read, write or seek runs one blocking call on the runtime's blocking pool; at
/// most one is in flight per file. A write returns once its bytes are handed to that
/// call, so **call `flush` (or [`File::sync_all`]) to learn that writes are complete**
/// and to see their errors. Dropping a file with a write in flight does not lose the
/// write: it finishes on the pool, even if the runtime shuts down right after.
///
/// Reading, writing or seeking starts blocking work, so (like every `magpie::fs`
/// future) it panics outside a magpie runtime; [`File::from_std`] itself needs none.
///
/// # Examples
///
/// ```
/// use magpie::fs::File;
/// use magpie::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join(format!("magpie-doc-file-{}", std::process::id()));
///     let mut file = File::create(&path).await?;
///     file.write_all(b"hello, file").await?;
///     file.flush().await?; // the write is complete once this returns
///
///     let mut file = File::open(&path).await?;
///     file.seek(SeekFrom::Start(7)).await?;
///     let mut rest = String::new();
///     file.read_to_string(&mut rest).await?;
///     assert_eq!(rest, "file");
///     magpie::fs::remove_file(&path).await
/// }
/// ```
pub struct File {
    /// The file; blocking operations hold clones while they run.
    std: Arc<std::fs::File>,
    /// The buffer and the operation in flight. The poll methods (`&mut self`) reach it
    /// with `get_mut`; the `&self` methods lock it, so they wait for each other.
    inner: Mutex<Inner>,
    /// The most bytes one blocking read or write moves ([`File::set_max_buf_size`]).
    max_buf_size: usize,
}

/// A file's state between calls.
#[derive(Debug)]
struct Inner {
    state: State,
    /// The kind of the error of a write that nobody has been told about yet; the next
    /// write or flush returns it.
    last_write_err: Option<io::ErrorKind>,
    /// The position `poll_seek` was asked for while its seek is in flight, so a repeated
    /// poll with the same position takes that seek's result.
    pending_seek: Option<SeekFrom>,
}

/// Idle with the buffer, or busy with one blocking operation that owns it.
#[derive(Debug)]
enum State {
    Idle(Buf),
    Busy(JoinHandle<(Operation, Buf)>),
}

/// What a finished blocking operation did.
#[derive(Debug)]
enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

impl File {
    /// Opens the file at `path` for reading (`NotFound` if there is none).
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        asyncify(move || std::fs::File::open(path))
            .await
            .map(File::from_std)
    }

    /// Opens the file at `path` for writing, creating it or truncating it.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        asyncify(move || std::fs::File::create(path))
            .await
            .map(File::from_std)
    }

    /// Creates a new file at `path` for reading and writing; `AlreadyExists` if there is
    /// one.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// New [`OpenOptions`], to open a file some other way.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open standard-library file (no runtime needed).
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner {
                state: State::Idle(Buf::default()),
                last_write_err: None,
                pending_seek: None,
            }),
            max_buf_size: DEFAULT_MAX_BUF,
        }
    }

    /// Waits for the operation in flight, then flushes and syncs the file's data and
    /// metadata to the disk (`fsync`).
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn sync_all(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        if let Some(kind) = inner.last_write_err.take() {
            return Err(kind.into());
        }
        let std = Arc::clone(&self.std);
        asyncify(move || std.sync_all()).await
    }

    /// As [`File::sync_all`], but syncing only the data and what is needed to read it
    /// back (`fdatasync`).
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn sync_data(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        if let Some(kind) = inner.last_write_err.take() {
            return Err(kind.into());
        }
        let std = Arc::clone(&self.std);
        asyncify(move || std.sync_data()).await
    }

    /// Waits for the operation in flight, then truncates or extends the file to `size`
    /// bytes (the cursor stays where the caller's reads and writes left it).
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        let State::Idle(buf) = &mut inner.state else {
            // `complete_inflight` always leaves the file idle.
            return Err(io::Error::other("a file operation is still in flight"));
        };
        let mut buf = std::mem::take(buf);
        let back = buf.discard_read();
        let std = Arc::clone(&self.std);
        // Run as a "seek" so that, if this future is dropped meanwhile, the next
        // operation collects the result like any other.
        inner.state = State::Busy(spawn_blocking(move || {
            let result = (|| {
                if back != 0 {
                    (&*std).seek(SeekFrom::Current(back))?;
                }
                std.set_len(size)?;
                Ok(0)
            })();
            (Operation::Seek(result), buf)
        }));
        let State::Busy(handle) = &mut inner.state else {
            return Err(io::Error::other("set_len lost its operation"));
        };
        match handle.await {
            Ok((operation, buf)) => {
                inner.state = State::Idle(buf);
                match operation {
                    Operation::Seek(result) => result.map(drop),
                    _ => Err(io::Error::other("set_len got another operation's result")),
                }
            }
            Err(error) => {
                inner.state = State::Idle(Buf::default());
                Err(join_error(error))
            }
        }
    }

    /// Waits for the operation in flight, then reads the file's metadata.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        let std = Arc::clone(&self.std);
        asyncify(move || std.metadata()).await
    }

    /// Waits for the operation in flight, then makes a new `File` for the same open file
    /// (sharing its cursor, as `dup` does), with the same maximum buffer size.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn try_clone(&self) -> io::Result<File> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        let std = Arc::clone(&self.std);
        let mut file = asyncify(move || std.try_clone())
            .await
            .map(File::from_std)?;
        file.max_buf_size = self.max_buf_size;
        Ok(file)
    }

    /// Waits for the operation in flight, then changes the file's permissions.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        let std = Arc::clone(&self.std);
        asyncify(move || std.set_permissions(permissions)).await
    }

    /// Waits for the operation in flight and gives back the standard-library file. Bytes
    /// read ahead are dropped, so its cursor may be past what the caller has read, and
    /// a write error nobody was told about is lost; flush first to see it.
    ///
    /// # Panics
    /// Never in practice: once the operation in flight has ended, nothing but this
    /// `File` holds the standard-library file (a panic would mean a blocking operation
    /// outlived its result).
    pub async fn into_std(mut self) -> std::fs::File {
        self.inner.get_mut().complete_inflight().await;
        Arc::try_unwrap(self.std).expect("no blocking operation holds the file once it is idle")
    }

    /// Sets the most bytes one blocking read or write moves (2 MiB by default, as in
    /// tokio): a larger caller buffer is read or written in several operations, and a
    /// `write` returns at most this many bytes taken.
    ///
    /// # Panics
    /// If `max_buf_size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use magpie::fs::File;
    /// use magpie::io::AsyncWriteExt;
    ///
    /// #[magpie::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let path = std::env::temp_dir().join(format!("magpie-doc-buf-{}", std::process::id()));
    ///     let mut file = File::create(&path).await?;
    ///     file.set_max_buf_size(8 * 1024 * 1024);
    ///     assert_eq!(file.max_buf_size(), 8 * 1024 * 1024);
    ///     // One blocking write of 4 MiB instead of two of 2 MiB.
    ///     assert_eq!(file.write(&vec![7; 4 * 1024 * 1024]).await?, 4 * 1024 * 1024);
    ///     file.flush().await?;
    ///     magpie::fs::remove_file(&path).await
    /// }
    /// ```
    #[track_caller]
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        self.max_buf_size = max_buf_size;
    }

    /// The most bytes one blocking read or write moves (see
    /// [`File::set_max_buf_size`]).
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }

    /// Gives back the standard-library file at once if no operation is in flight;
    /// otherwise gives this `File` back.
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        if matches!(self.inner.get_mut().state, State::Busy(_)) {
            return Err(self);
        }
        match Arc::try_unwrap(self.std) {
            Ok(std) => Ok(std),
            Err(std) => Err(File {
                std,
                inner: self.inner,
                max_buf_size: self.max_buf_size,
            }),
        }
    }
}

impl Inner {
    /// Waits for the operation in flight, if any, and puts its buffer back; a write
    /// error it met is kept for the next write or flush.
    async fn complete_inflight(&mut self) {
        poll_fn(|cx| self.poll_complete_inflight(cx)).await
    }

    fn poll_complete_inflight(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Err(error) = ready!(self.poll_flush(cx)) {
            self.last_write_err = Some(error.kind());
        }
        Poll::Ready(())
    }

    /// Waits for the operation in flight (if any) to end and takes its result and
    /// buffer; a pool failure leaves the file idle with an empty buffer and is
    /// returned as an error.
    fn poll_operation(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Operation>>> {
        let State::Busy(handle) = &mut self.state else {
            return Poll::Ready(None);
        };
        let result = ready!(Pin::new(handle).poll(cx));
        Poll::Ready(Some(match result {
            Ok((operation, buf)) => {
                self.state = State::Idle(buf);
                Ok(operation)
            }
            Err(error) => {
                self.state = State::Idle(Buf::default());
                Err(join_error(error))
            }
        }))
    }

    /// Waits for the operation in flight; reports a write error (new or kept).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(kind) = self.last_write_err.take() {
            return Poll::Ready(Err(kind.into()));
        }
        match ready!(self.poll_operation(cx)) {
            None => Poll::Ready(Ok(())),
            Some(Err(error)) => Poll::Ready(Err(error)),
            Some(Ok(Operation::Write(result))) => Poll::Ready(result),
            Some(Ok(Operation::Read(_) | Operation::Seek(_))) => {
                // A seek nobody waits for any more (its future was dropped).
                self.pending_seek = None;
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let inner = me.inner.get_mut();
        loop {
            match &mut inner.state {
                State::Idle(buf) => {
                    if !buf.is_empty() || dst.is_empty() {
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    let mut buf = std::mem::take(buf);
                    let std = Arc::clone(&me.std);
                    let len = dst.len().min(me.max_buf_size);
                    inner.state = State::Busy(spawn_blocking(move || {
                        let result = buf.read_from(&*std, len);
                        (Operation::Read(result), buf)
                    }));
                }
                State::Busy(_) => match ready!(inner.poll_operation(cx)) {
                    None => {}
                    Some(Err(error)) => return Poll::Ready(Err(error)),
                    Some(Ok(Operation::Read(result))) => {
                        let State::Idle(buf) = &mut inner.state else {
                            continue;
                        };
                        return Poll::Ready(result.map(|_| buf.copy_to(dst)));
                    }
                    Some(Ok(Operation::Write(Err(error)))) => {
                        inner.last_write_err = Some(error.kind());
                    }
                    Some(Ok(Operation::Write(Ok(())))) => {}
                    Some(Ok(Operation::Seek(_))) => inner.pending_seek = None,
                },
            }
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let inner = me.inner.get_mut();
        loop {
            match &mut inner.state {
                State::Idle(buf) => {
                    if let Some(kind) = inner.last_write_err.take() {
                        return Poll::Ready(Err(kind.into()));
                    }
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let mut buf = std::mem::take(buf);
                    // Bytes read ahead: the OS cursor is past the caller's; move it back.
                    let back = buf.discard_read();
                    let n = buf.copy_from(src, me.max_buf_size);
                    let std = Arc::clone(&me.std);
                    // Mandatory: a runtime shutting down before a pool thread took it
                    // still runs it, so a write the caller was told succeeded is not
                    // dropped (tokio's rule).
                    inner.state = State::Busy(spawn_mandatory_blocking(move || {
                        let result = if back != 0 {
                            match (&*std).seek(SeekFrom::Current(back)) {
                                Ok(_) => buf.write_to(&*std),
                                // A file that cannot seek (a FIFO): the write fails, and
                                // its bytes must not stay where the next read would hand
                                // them out as if read from the file.
                                Err(error) => {
                                    buf.clear();
                                    Err(error)
                                }
                            }
                        } else {
                            buf.write_to(&*std)
                        };
                        (Operation::Write(result), buf)
                    }));
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => match ready!(inner.poll_operation(cx)) {
                    None => {}
                    Some(Err(error)) => return Poll::Ready(Err(error)),
                    Some(Ok(Operation::Write(result))) => result?,
                    // The read-ahead stays in the buffer; the write discards it.
                    Some(Ok(Operation::Read(_))) => {}
                    Some(Ok(Operation::Seek(_))) => inner.pending_seek = None,
                },
            }
        }
    }

    /// Waits until the write in flight is complete; its error, or an earlier one nobody
    /// was told about, is returned.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    /// As `poll_flush` (a file has nothing to shut down).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    /// Waits for the operation in flight, then moves the cursor; a relative position
    /// counts from where the caller's reads stopped, not from the bytes read ahead.
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        let inner = me.inner.get_mut();
        loop {
            match &mut inner.state {
                State::Idle(buf) => {
                    let mut buf = std::mem::take(buf);
                    let back = buf.discard_read();
                    let target = match pos {
                        SeekFrom::Current(offset) if back != 0 => match offset.checked_add(back) {
                            Some(offset) => SeekFrom::Current(offset),
                            None => {
                                inner.state = State::Idle(buf);
                                return Poll::Ready(Err(io::Error::new(
                                    io::ErrorKind::InvalidInput,
                                    "seek offset overflows",
                                )));
                            }
                        },
                        other => other,
                    };
                    let std = Arc::clone(&me.std);
                    inner.pending_seek = Some(pos);
                    inner.state = State::Busy(spawn_blocking(move || {
                        let result = (&*std).seek(target);
                        (Operation::Seek(result), buf)
                    }));
                }
                State::Busy(_) => match ready!(inner.poll_operation(cx)) {
                    None => {}
                    Some(Err(error)) => {
                        inner.pending_seek = None;
                        return Poll::Ready(Err(error));
                    }
                    Some(Ok(Operation::Seek(result))) => {
                        let ours = inner.pending_seek.take() == Some(pos);
                        if ours {
                            return Poll::Ready(result);
                        }
                        // Another position's seek (a dropped future's): start ours.
                    }
                    Some(Ok(Operation::Write(Err(error)))) => {
                        inner.last_write_err = Some(error.kind());
                    }
                    Some(Ok(Operation::Write(Ok(())) | Operation::Read(_))) => {}
                },
            }
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("std", &self.std).finish()
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}
