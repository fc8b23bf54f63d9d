//! Compile-fail tests: each file under `tests/ui/` misuses `#[main]` or `#[test]`, and its
//! `.stderr` snapshot pins the message and the span it points at. Regenerate snapshots with
//! `TRYBUILD=overwrite cargo test -p magpie-macros --test ui`, then read the diff.

#[test]
fn misuse_is_a_spanned_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
