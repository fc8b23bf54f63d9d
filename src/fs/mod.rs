//! `magpie::fs`: asynchronous file-system access, with tokio's names and meanings.
//!
//! Operating systems offer no readiness-based file IO, so every operation here runs a
//! blocking `std::fs` call on the runtime's blocking pool (`spawn_blocking`) and awaits
//! it; worker threads never block on the disk. The free functions each make one such
//! call; [`File`] keeps an internal buffer and at most one blocking operation in flight
//! (see its docs for when a write is complete); [`read_dir`] fetches entries in
//! batches.
//!
//! This module owns nothing of the scheduler: it uses only the public
//! [`crate::task::spawn_blocking`]. Calling any of it outside a magpie runtime panics
//! (when the returned future is first polled), as `spawn_blocking` does.

mod blocking;
mod dir_builder;
mod file;
mod file_buf;
mod functions;
mod open_options;
mod read_dir;

pub use dir_builder::DirBuilder;
pub use file::File;
#[cfg(unix)]
pub use functions::symlink;
pub use functions::{
    canonicalize, copy, create_dir, create_dir_all, hard_link, metadata, read, read_link,
    read_to_string, remove_dir, remove_dir_all, remove_file, rename, set_permissions,
    symlink_metadata, try_exists, write,
};
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};
