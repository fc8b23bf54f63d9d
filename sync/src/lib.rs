//! Channels and locks with `tokio::sync`'s names and meanings, for magpie.
//!
//! This crate knows nothing of the scheduler: its futures deal in `std::task::Waker`s
//! and spend the cooperative budget of `magpie-coop`, so they run on any executor.
//! Users reach it as `magpie::sync`.
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
