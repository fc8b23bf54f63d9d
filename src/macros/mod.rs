//! The function-like macros `select!`, `join!`, `try_join!` and `pin!`, with tokio's grammar
//! and behaviour, and the hidden `support` module their expansions name.
//!
//! Each macro is a `#[macro_export]`ed `macro_rules!` in its own file, so it is reachable as
//! `magpie::select!` etc. with no import. `select!`, `join!` and `try_join!` forward their
//! tokens, together with `$crate`, to proc-macro helpers in `magpie-macros`, which write the
//! polling code; `pin!` is plain `macro_rules!` over `core::pin::pin!`.

mod join;
mod pin;
mod select;
#[doc(hidden)]
pub mod support;
