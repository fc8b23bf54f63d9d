//! The header every `*_priv!` helper input starts with: the facade's
//! `$crate` in parentheses (forwarded by the `macro_rules!` front end), then
//! tokio's optional `biased;`. Shared by `select` and `join`.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::Token;

/// Parses `($crate) biased;?`, returning the crate path and whether
/// `biased;` was given.
pub(crate) fn parse_header(input: ParseStream<'_>) -> syn::Result<(TokenStream, bool)> {
    let krate_group;
    syn::parenthesized!(krate_group in input);
    let krate: TokenStream = krate_group.parse()?;
    let biased = input.peek(syn::Ident) && input.peek2(Token![;]) && {
        let fork = input.fork();
        fork.parse::<syn::Ident>()? == "biased"
    };
    if biased {
        input.parse::<syn::Ident>()?;
        input.parse::<Token![;]>()?;
    }
    Ok((krate, biased))
}
