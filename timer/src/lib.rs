//! magpie-timer: the hierarchical timer wheel behind `magpie::time`.
#![deny(missing_docs)]

pub mod wheel;
