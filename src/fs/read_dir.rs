//! [`read_dir`], [`ReadDir`] and [`DirEntry`]: listing a directory. Entries are read
//! on the blocking pool in batches of [`BATCH`], so a long listing costs one pool trip
//! per batch rather than per entry.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::blocking::{asyncify, join_error};
use crate::task::{spawn_blocking, JoinHandle};

/// How many entries one blocking call reads ahead.
const BATCH: usize = 32;

/// Opens the directory at `path` for listing ([`std::fs::read_dir`]); its entries come
/// from [`ReadDir::next_entry`], in no particular order, without `.` and `..`.
///
/// # Examples
///
/// ```
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let dir = std::env::temp_dir().join(format!("magpie-doc-read-dir-{}", std::process::id()));
///     magpie::fs::create_dir_all(&dir).await?;
///     magpie::fs::write(dir.join("a.txt"), b"a").await?;
///     let mut entries = magpie::fs::read_dir(&dir).await?;
///     let mut names = Vec::new();
///     while let Some(entry) = entries.next_entry().await? {
///         names.push(entry.file_name());
///     }
///     assert_eq!(names, ["a.txt"]);
///     magpie::fs::remove_dir_all(&dir).await
/// }
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Batch {
            entries: VecDeque::new(),
            std,
            more: true,
        }),
    })
}

/// The entries of a directory, from [`read_dir`].
#[derive(Debug)]
pub struct ReadDir {
    state: State,
}

/// Where a [`ReadDir`]'s entries are: here, being read on the blocking pool, or lost
/// because that read did not return.
#[derive(Debug)]
enum State {
    Idle(Batch),
    Pending(JoinHandle<Batch>),
    Failed,
}

/// Entries read ahead, the directory handle, and whether it may hold more.
#[derive(Debug)]
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    std: std::fs::ReadDir,
    more: bool,
}

impl Batch {
    /// Reads up to [`BATCH`] more entries (blocking).
    fn fill(&mut self) {
        for _ in 0..BATCH {
            match self.std.next() {
                Some(entry) => self
                    .entries
                    .push_back(entry.map(|std| DirEntry { std: Arc::new(std) })),
                None => {
                    self.more = false;
                    return;
                }
            }
        }
    }
}

impl ReadDir {
    /// The next entry, or `None` once all were returned. Cancel safe: an entry read
    /// ahead stays for the next call.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry ([`ReadDir::next_entry`] as a poll function).
    ///
    /// # Panics
    /// When it has to read more entries outside a magpie runtime.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            // `Failed` stands in while the state is taken apart; every arm below puts
            // back the state it leaves (an error leaves `Failed`).
            match std::mem::replace(&mut self.state, State::Failed) {
                State::Idle(mut batch) => {
                    if let Some(entry) = batch.entries.pop_front() {
                        self.state = State::Idle(batch);
                        return Poll::Ready(entry.map(Some));
                    }
                    if !batch.more {
                        self.state = State::Idle(batch);
                        return Poll::Ready(Ok(None));
                    }
                    self.state = State::Pending(spawn_blocking(move || {
                        batch.fill();
                        batch
                    }));
                }
                State::Pending(mut handle) => match Pin::new(&mut handle).poll(cx) {
                    Poll::Pending => {
                        self.state = State::Pending(handle);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(batch)) => self.state = State::Idle(batch),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(join_error(error))),
                },
                State::Failed => return Poll::Ready(Ok(None)),
            }
        }
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
}

impl DirEntry {
    /// The full path: the directory given to [`read_dir`] joined with the file name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number.
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link
    /// ([`std::fs::DirEntry::metadata`]).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        asyncify(move || std.metadata()).await
    }

    /// The entry's file type, not following a symbolic link
    /// ([`std::fs::DirEntry::file_type`]; it may need a `stat`, hence async).
    pub async fn file_type(&self) -> io::Result<FileType> {
        let std = Arc::clone(&self.std);
        asyncify(move || std.file_type()).await
    }
}
