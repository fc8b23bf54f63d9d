//! The workload families of `benches/sync.rs` and `benches/sync_paired.rs`, one file
//! each.
//!
//! Each family file defines its workloads once, in a macro, and instantiates it for
//! magpie (`magpie::sync` on magpie's runtime) and tokio (`tokio::sync` on tokio's):
//! the two sides differ only in the paths they are given. Each family's `register`
//! hands its groups to the bench's `Harness` through two macros the bench defines
//! before this module: `pair_with_setup!(harness, name, setup(args), work)` for
//! workloads with state made once per runtime (`on_x::setup(&rt, args)`, then
//! `on_x::work(&rt, &state)` timed), and `with_references!(harness, name, work)` for
//! the mpsc workloads, which also have async-channel and flume sides on magpie.

pub mod fanout;
pub mod locks;
pub mod mpsc;
pub mod notify;
