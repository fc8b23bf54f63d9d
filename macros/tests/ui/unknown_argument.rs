#[magpie_macros::main(flavour = "multi_thread")]
async fn main() {}
