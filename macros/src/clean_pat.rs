//! Turns a `select!` branch pattern into one that can test a borrowed output without moving
//! out of it.
//!
//! `select!` decides whether a branch wins by matching `&output` against the branch's
//! pattern; only the winner's output is later matched by value, with the pattern as written.
//! Against a reference, match ergonomics bind every name by reference, except where the
//! pattern spells a binding mode: `mut x` would move out of the borrow and `ref x` /
//! `ref mut x` are refused under a by-reference default. So this strips `ref` and `mut`
//! from identifier bindings and `mut` from `&mut` patterns, and keeps everything else
//! (an identifier may name a constant or a unit variant, so it must stay). Used by `select`.

use syn::Pat;

/// Removes explicit binding modes (`ref`, `mut`) throughout `pat`, in place.
pub(crate) fn clean_pattern(pat: &mut Pat) {
    match pat {
        Pat::Ident(ident) => {
            ident.by_ref = None;
            ident.mutability = None;
            if let Some((_, sub)) = &mut ident.subpat {
                clean_pattern(sub);
            }
        }
        Pat::Or(or) => or.cases.iter_mut().for_each(clean_pattern),
        Pat::Paren(paren) => clean_pattern(&mut paren.pat),
        Pat::Reference(reference) => {
            reference.mutability = None;
            clean_pattern(&mut reference.pat);
        }
        Pat::Slice(slice) => slice.elems.iter_mut().for_each(clean_pattern),
        Pat::Struct(strukt) => strukt
            .fields
            .iter_mut()
            .for_each(|field| clean_pattern(&mut field.pat)),
        Pat::Tuple(tuple) => tuple.elems.iter_mut().for_each(clean_pattern),
        Pat::TupleStruct(tuple) => tuple.elems.iter_mut().for_each(clean_pattern),
        Pat::Type(typed) => clean_pattern(&mut typed.pat),
        // Literals, ranges, paths, `_`, `..`, macros and anything newer bind nothing we
        // could rewrite.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::clean_pattern;
    use quote::ToTokens;
    use syn::parse::Parser;
    use syn::Pat;

    fn cleaned(src: &str) -> String {
        let mut pat = Pat::parse_multi_with_leading_vert.parse_str(src).unwrap();
        clean_pattern(&mut pat);
        pat.into_token_stream().to_string()
    }

    #[test]
    fn binding_modes_go_and_structure_stays() {
        assert_eq!(cleaned("mut x"), "x");
        assert_eq!(cleaned("Some(ref mut x)"), "Some (x)");
        assert_eq!(cleaned("(mut a, ref b)"), "(a , b)");
        assert_eq!(cleaned("S { mut f, g: ref h }"), "S { f , g : h }");
        assert_eq!(cleaned("&mut (mut v)"), "& (v)");
        assert_eq!(
            cleaned("mut all @ Some(mut x) | all @ None"),
            "all @ Some (x) | all @ None"
        );
        assert_eq!(cleaned("None"), "None");
        assert_eq!(cleaned("[mut first, ..]"), "[first , ..]");
    }
}
