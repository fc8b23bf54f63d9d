#[magpie_macros::test]
async fn takes_a_value(value: u32, other: u32) {
    assert_eq!(value, other);
}

fn main() {}
