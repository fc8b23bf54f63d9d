#[magpie_macros::test(flavor = "single_thread")]
async fn runs() {}

fn main() {}
