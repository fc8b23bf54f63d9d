#[magpie_macros::main]
fn main() {}
