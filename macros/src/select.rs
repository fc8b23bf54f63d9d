//! The expansion behind `magpie::select!`: parses the branches and writes the code that
//! polls their futures on the current task until one of them produces a value its pattern
//! accepts.
//!
//! The facade's `select!` (a `macro_rules!` in `src/macros/select.rs`) forwards here as
//! `select_priv! { ($crate) <the user's tokens> }`; every path in the output starts with
//! that `$crate`, so it resolves even when the user renamed the dependency. Uses syn for
//! parsing and `clean_pat` for the pattern test.
//!
//! Output shape, for `a = fa, if ca => ha, b = fb => hb, else => e`:
//!
//! ```text
//! {
//!     enum Out<T0, T1> { _0(T0), _1(T1), Disabled }
//!     let mut disabled: u64 = 0;
//!     if !(ca) { disabled |= 1 << 0; }                 // preconditions first
//!     let output = {
//!         let (i0, i1) = (fa, fb);                     // every future expression, in order
//!         let (f0, f1) = (into_future(i0), into_future(i1));
//!         let mut p1 = pin!(f1);                       // pinned on this stack frame,
//!         let mut p0 = pin!(f0);                       // dropped 0, 1, ... at the block's end
//!         poll_fn(move |cx| {                          // owns the pins and `disabled`
//!             budget check;
//!             for each enabled branch, from a random start (0 with `biased;`):
//!                 poll it; Pending: remember and go on;
//!                 Ready(v): disable it; if `&v` matches the cleaned pattern,
//!                           return Ready(Out::_n(v)); else go on;
//!             all pending: Pending; nothing enabled: Ready(Out::Disabled)
//!         }).await
//!     };                                               // every future is dropped here
//!     match output { Out::_0(a) => ha, Out::_1(b) => hb, Out::Disabled => e }
//! }
//! ```
//!
//! The closure takes the `Pin<&mut _>`s by move rather than borrowing them, which keeps the
//! enclosing future one pointer per branch smaller. The handlers sit outside the closure, so `return`, `break`, `continue` and `?` in them act
//! on the user's code, and they run after every branch's future has been dropped. Internal
//! names carry `Span::mixed_site()`, so they can neither capture nor shadow the user's locals.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{braced, Expr, Pat, Token};

use crate::clean_pat::clean_pattern;

/// The most branches one `select!` may have: the disabled set is one bit per branch in a `u64`.
const MAX_BRANCHES: usize = 64;

/// One `pattern = future (, if condition)? => handler` branch.
struct Branch {
    /// What the future's output must match for this branch to win.
    pat: Pat,
    /// The expression that produces the future (anything `IntoFuture`).
    fut: Expr,
    /// The `, if` precondition, if any.
    cond: Option<Expr>,
    /// The expression evaluated when this branch wins.
    handler: Expr,
}

/// Everything inside `select_priv! { ... }`.
struct SelectInput {
    /// The facade's `$crate`, as forwarded by the `macro_rules!` front end.
    krate: TokenStream,
    /// `biased;` was given: poll in source order instead of from a random branch.
    biased: bool,
    /// The branches, in source order.
    branches: Vec<Branch>,
    /// The `else => expr` branch, if any.
    else_branch: Option<Expr>,
}

impl Parse for SelectInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (krate, biased) = crate::header::parse_header(input)?;

        let mut branches = Vec::new();
        let mut else_branch = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                input.parse::<Token![else]>()?;
                input.parse::<Token![=>]>()?;
                else_branch = Some(input.parse::<Expr>()?);
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
                if !input.is_empty() {
                    return Err(input.error("the `else` branch of `select!` must come last"));
                }
                break;
            }
            branches.push(parse_branch(input)?);
        }
        Ok(SelectInput {
            krate,
            biased,
            branches,
            else_branch,
        })
    }
}

/// Parses one branch and the comma after it. As in tokio, a handler that is a block needs no
/// comma; any other handler needs one unless it ends the input.
fn parse_branch(input: ParseStream<'_>) -> syn::Result<Branch> {
    let pat = Pat::parse_multi_with_leading_vert(input)?;
    input.parse::<Token![=]>()?;
    let fut: Expr = input.parse()?;
    let cond = if input.peek(Token![,]) && input.peek2(Token![if]) {
        input.parse::<Token![,]>()?;
        input.parse::<Token![if]>()?;
        Some(input.parse::<Expr>()?)
    } else {
        None
    };
    input.parse::<Token![=>]>()?;
    let handler = if input.peek(syn::token::Brace) {
        let content;
        let brace_token = braced!(content in input);
        let stmts = content.call(syn::Block::parse_within)?;
        let block = Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: syn::Block { brace_token, stmts },
        });
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        block
    } else {
        let handler: Expr = input.parse()?;
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        handler
    };
    Ok(Branch {
        pat,
        fut,
        cond,
        handler,
    })
}

/// Expands `select_priv!`'s input; parse errors become `compile_error!`s at their tokens.
pub(crate) fn expand_select(input: TokenStream) -> TokenStream {
    match syn::parse2::<SelectInput>(input) {
        Ok(select) => expand(select),
        Err(error) => error.to_compile_error(),
    }
}

/// Writes the expansion described in the module docs.
fn expand(select: SelectInput) -> TokenStream {
    let SelectInput {
        krate,
        biased,
        branches,
        else_branch,
    } = select;
    let support = quote!(#krate::macros::support);
    let site = Span::mixed_site();

    if branches.is_empty() {
        return match else_branch {
            Some(els) => quote!({ #els }),
            None => quote!(::core::compile_error!(
                "`select!` needs at least one branch (`pattern = future => handler`)"
            )),
        };
    }
    if let Some(extra) = branches.get(MAX_BRANCHES) {
        return syn::Error::new_spanned(&extra.pat, "`select!` supports at most 64 branches")
            .to_compile_error();
    }

    let count = branches.len();
    let count_lit = count as u32;
    let out = format_ident!("__MagpieSelectOut", span = site);
    let disabled = format_ident!("__disabled", span = site);
    let output = format_ident!("__output", span = site);
    let cx = format_ident!("__cx", span = site);
    let pending = format_ident!("__pending", span = site);
    let branch = format_ident!("__branch", span = site);
    let value = format_ident!("__value", span = site);
    let first = format_ident!("__first", span = site);
    let step = format_ident!("__step", span = site);

    let params: Vec<_> = (0..count)
        .map(|n| format_ident!("__T{}", n, span = site))
        .collect();
    let variants: Vec<_> = (0..count)
        .map(|n| format_ident!("_{}", n, span = site))
        .collect();
    let inits: Vec<_> = (0..count)
        .map(|n| format_ident!("__init{}", n, span = site))
        .collect();
    let futs: Vec<_> = (0..count)
        .map(|n| format_ident!("__fut{}", n, span = site))
        .collect();
    let pins: Vec<_> = (0..count)
        .map(|n| format_ident!("__pinned{}", n, span = site))
        .collect();

    let preconditions = branches.iter().enumerate().filter_map(|(n, b)| {
        let cond = b.cond.as_ref()?;
        let bit = n as u32;
        Some(quote_spanned! {site=>
            if !(#cond) {
                #disabled |= 1u64 << #bit;
            }
        })
    });

    let fut_exprs = branches.iter().map(|b| &b.fut);
    // Pinned in reverse so that, dropped in reverse declaration order, they go 0, 1, ...
    let pins_rev = pins.iter().rev();
    let futs_rev = futs.iter().rev();

    let start = if biased || count == 1 {
        quote!(0u32)
    } else {
        quote!(#support::thread_rng_n(#count_lit))
    };

    let poll_arms = branches.iter().enumerate().map(|(n, b)| {
        let bit = n as u32;
        let pinned = &pins[n];
        let variant = &variants[n];
        let mut test_pat = b.pat.clone();
        clean_pattern(&mut test_pat);
        quote_spanned! {site=>
            #bit => {
                if #disabled & (1u64 << #bit) != 0 {
                    continue;
                }
                let #value = match #support::Future::poll(#pinned.as_mut(), #cx) {
                    #support::Poll::Ready(#value) => #value,
                    #support::Poll::Pending => {
                        #pending = true;
                        continue;
                    }
                };
                #disabled |= 1u64 << #bit;
                #[allow(unused_variables, unused_mut, unreachable_patterns)]
                match &#value {
                    #test_pat => {}
                    _ => continue,
                }
                return #support::Poll::Ready(#out::#variant(#value));
            }
        }
    });

    let handler_arms = branches.iter().enumerate().map(|(n, b)| {
        let variant = &variants[n];
        let pat = &b.pat;
        let handler = &b.handler;
        quote!(#out::#variant(#pat) => #handler,)
    });

    let else_arm = match else_branch {
        Some(els) => quote!(#out::Disabled => #els,),
        None => quote!(#out::Disabled => #support::all_branches_disabled(),),
    };

    quote_spanned! {site=> {
        #[allow(non_camel_case_types, clippy::enum_variant_names)]
        enum #out<#(#params),*> {
            #(#variants(#params),)*
            Disabled,
        }

        let mut #disabled: u64 = 0;
        #(#preconditions)*

        // `mut`, so that a winning pattern may bind by `ref mut`.
        #[allow(unused_mut)]
        let mut #output = {
            let (#(#inits,)*) = (#(#fut_exprs,)*);
            let (#(#futs,)*) = (#(#support::IntoFuture::into_future(#inits),)*);
            #(let mut #pins_rev = #support::pin!(#futs_rev);)*
            #support::poll_fn(move |#cx| {
                #support::ready!(#support::poll_budget_available(#cx));
                let mut #pending = false;
                let #first: u32 = #start;
                for #step in 0..#count_lit {
                    let mut #branch = #first + #step;
                    if #branch >= #count_lit {
                        #branch -= #count_lit;
                    }
                    match #branch {
                        #(#poll_arms)*
                        _ => ::core::unreachable!("select!: branch index out of range"),
                    }
                }
                if #pending {
                    #support::Poll::Pending
                } else {
                    #support::Poll::Ready(#out::Disabled)
                }
            })
            .await
        };

        #[allow(unreachable_patterns, unreachable_code)]
        match #output {
            #(#handler_arms)*
            #else_arm
            _ => ::core::unreachable!("select!: a winning output no longer matches its pattern"),
        }
    }}
}

#[cfg(test)]
mod tests {
    use super::expand_select;
    use quote::quote;

    fn expansion_of(input: proc_macro2::TokenStream) -> String {
        expand_select(quote!((::magpie) #input)).to_string()
    }

    #[test]
    fn misuse_becomes_a_compile_error() {
        assert!(expansion_of(quote!()).contains("needs at least one branch"));
        let else_first = expansion_of(quote!(else => 1, v = f => v));
        assert!(else_first.contains("must come last"), "{else_first}");
        let missing_comma = expansion_of(quote!(a = f => 1 b = g => 2));
        assert!(missing_comma.contains("compile_error"), "{missing_comma}");
        let branches = (0..65).map(|n| quote!(v = f => #n,));
        let too_many = expansion_of(quote!(#(#branches)*));
        assert!(too_many.contains("at most 64 branches"), "{too_many}");
    }

    #[test]
    fn only_else_is_just_the_else_expression() {
        assert_eq!(
            expansion_of(quote!(biased; else => 5)),
            quote!({ 5 }).to_string()
        );
    }

    #[test]
    fn biased_uses_no_random_start() {
        let biased = expansion_of(quote!(biased; a = f => 1, b = g => 2));
        assert!(!biased.contains("thread_rng_n"));
        let fair = expansion_of(quote!(a = f => 1, b = g => 2));
        assert!(fair.contains("thread_rng_n"));
        // `biased` alone is an ordinary pattern, not the keyword.
        let named = expansion_of(quote!(biased = f => biased));
        assert!(!named.contains("compile_error"), "{named}");
    }
}
