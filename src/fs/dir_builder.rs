//! [`DirBuilder`]: creating a directory with options (recursive, mode), as
//! `std::fs::DirBuilder`, run on the blocking pool.

use std::io;
use std::path::Path;

use super::blocking::asyncify;

/// Options for creating directories.
///
/// # Examples
///
/// ```
/// use magpie::fs::DirBuilder;
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let root = std::env::temp_dir().join(format!("magpie-doc-dir-builder-{}", std::process::id()));
///     DirBuilder::new().recursive(true).create(root.join("a/b")).await?;
///     assert!(magpie::fs::metadata(root.join("a/b")).await?.is_dir());
///     magpie::fs::remove_dir_all(&root).await
/// }
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory (not its parents) with default permissions.
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Whether to create missing parents too (and accept a directory that exists).
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// The permission bits of the new directories (before the umask).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }

    /// Creates `path` with these options.
    ///
    /// # Panics
    /// When polled outside a magpie runtime.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        asyncify(move || builder.create(path)).await
    }
}
