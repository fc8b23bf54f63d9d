//! Adapters that let runtime-specific libraries run on magpie.
//!
//! Each adapter lives in its own module behind a cargo feature of the same
//! name, so a program pays only for the libraries it uses:
//!
//! - `hyper` (feature `hyper`): hyper 1.x's executor, timer and IO traits.
//! - `tokio_io` (feature `tokio-io`): tokio's IO traits over magpie's streams (and
//!   back), for tokio-util's codecs, tokio-rustls and the like.

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "tokio-io")]
pub mod tokio_io;
