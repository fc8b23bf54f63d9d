#[magpie_macros::main(threads = 4, worker_threads = 0)]
fn main(arguments: Vec<String>) {
    drop(arguments);
}
