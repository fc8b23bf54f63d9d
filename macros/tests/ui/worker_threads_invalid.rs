#[magpie_macros::test(worker_threads = "4")]
async fn string_literal() {}

#[magpie_macros::test(worker_threads = THREADS)]
async fn named_constant() {}

#[magpie_macros::test(worker_threads = -1)]
async fn negative() {}

#[magpie_macros::test(worker_threads = 2.5)]
async fn float() {}

#[magpie_macros::test(worker_threads = 4u8)]
async fn suffixed() {}

#[magpie_macros::test(worker_threads = 99999999999999999999999)]
async fn too_large() {}

#[magpie_macros::test(worker_threads)]
async fn missing_value() {}

#[magpie_macros::test(worker_threads = 2, worker_threads = 3)]
async fn given_twice() {}

#[magpie_macros::test(worker_threads =)]
async fn malformed() {}

const THREADS: usize = 4;

fn main() {}
