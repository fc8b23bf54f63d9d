//! Adapters that let runtime-specific libraries run on magpie.
//!
//! Each adapter lives in its own module behind a cargo feature of the same
//! name, so a program pays only for the libraries it uses:
//!
//! - [`hyper`] (feature `hyper`): hyper 1.x's executor, timer and IO traits.

pub mod hyper;
