//! The expansions behind `magpie::join!` and `magpie::try_join!`: every future polled on the
//! current task until all are done (or, for `try_join!`, until one fails).
//!
//! The facade's `macro_rules!` front ends (`src/macros/join.rs`) forward here as
//! `join_priv! { ($crate) <the user's tokens> }`; every path in the output starts with that
//! `$crate`. Uses syn for parsing.
//!
//! Output shape, for `join!(a, b)`:
//!
//! ```text
//! {
//!     let (s0, s1) = (Some(into_future(a)), Some(into_future(b)));   // in order
//!     let mut p1 = pin!(s1);                 // each future in an Option pinned on the stack,
//!     let mut p0 = pin!(s0);                 // dropped 0, 1, ... like a tuple's fields
//!     let (mut o0, mut o1) = (None, None);   // outputs, kept outside the pins
//!     let mut next = 0;
//!     poll_fn(move |cx| {                    // owns the pins, outputs and `next`
//!         start at `next` (rotating one step per poll; always 0 with `biased;`);
//!         poll every future still there; Ready(v): drop it in place (`p.set(None)`), store v;
//!         (try_join!: Ready(Err(e)) returns Ready(Err(e)) at once)
//!         any left: Pending; else Ready((o0.take().unwrap(), o1.take().unwrap()))
//!     }).await
//! }
//! ```
//!
//! A finished future is dropped as soon as it completes, and whatever is left is dropped
//! when the macro's block ends, which is how `try_join!` cancels the rest on an error.
//! Internal names carry `Span::mixed_site()`, so they cannot clash with the user's.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

/// Which of the two macros is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinKind {
    /// `join!`: a tuple of every output.
    Join,
    /// `try_join!`: `Ok` of a tuple of the `Ok` values, or the first `Err`.
    TryJoin,
}

/// Everything inside `join_priv! { ... }` / `try_join_priv! { ... }`.
struct JoinInput {
    /// The facade's `$crate`, as forwarded by the `macro_rules!` front end.
    krate: TokenStream,
    /// `biased;` was given: every poll starts at the first future instead of rotating.
    biased: bool,
    /// The future expressions, in source order.
    futures: Vec<Expr>,
}

impl Parse for JoinInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (krate, biased) = crate::header::parse_header(input)?;
        let futures = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        Ok(JoinInput {
            krate,
            biased,
            futures: futures.into_iter().collect(),
        })
    }
}

/// Expands `join_priv!` or `try_join_priv!`; parse errors become `compile_error!`s.
pub(crate) fn expand_join(kind: JoinKind, input: TokenStream) -> TokenStream {
    match syn::parse2::<JoinInput>(input) {
        Ok(join) => expand(kind, join),
        Err(error) => error.to_compile_error(),
    }
}

/// Writes the expansion described in the module docs.
fn expand(kind: JoinKind, join: JoinInput) -> TokenStream {
    let JoinInput {
        krate,
        biased,
        futures,
    } = join;
    let support = quote!(#krate::macros::support);
    let site = Span::mixed_site();

    if futures.is_empty() {
        // Still an `.await`, so the empty form is only accepted where the others are.
        return match kind {
            JoinKind::Join => quote_spanned!(site=> async {}.await),
            JoinKind::TryJoin => quote_spanned!(site=> async { #support::Result::Ok(()) }.await),
        };
    }

    let count = futures.len() as u32;
    let slots: Vec<_> = (0..count)
        .map(|n| format_ident!("__slot{}", n, span = site))
        .collect();
    let pins: Vec<_> = (0..count)
        .map(|n| format_ident!("__pinned{}", n, span = site))
        .collect();
    let outs: Vec<_> = (0..count)
        .map(|n| format_ident!("__out{}", n, span = site))
        .collect();
    let cx = format_ident!("__cx", span = site);
    let next = format_ident!("__next", span = site);
    let first = format_ident!("__first", span = site);
    let step = format_ident!("__step", span = site);
    let index = format_ident!("__index", span = site);
    let pending = format_ident!("__pending", span = site);
    let fut = format_ident!("__fut", span = site);
    let value = format_ident!("__value", span = site);
    let error = format_ident!("__error", span = site);

    let pins_rev = pins.iter().rev();
    let slots_rev = slots.iter().rev();

    let start = if biased {
        quote_spanned!(site=> 0u32)
    } else {
        quote_spanned! {site=> {
            let #first = #next;
            #next = if #next + 1 == #count { 0 } else { #next + 1 };
            #first
        }}
    };

    let poll_arms = (0..count).map(|n| {
        let pinned = &pins[n as usize];
        let out = &outs[n as usize];
        let store = match kind {
            JoinKind::Join => quote_spanned!(site=> #out = #support::Option::Some(#value);),
            JoinKind::TryJoin => quote_spanned! {site=>
                match #value {
                    #support::Result::Ok(#value) => #out = #support::Option::Some(#value),
                    #support::Result::Err(#error) => {
                        return #support::Poll::Ready(#support::Result::Err(#error));
                    }
                }
            },
        };
        quote_spanned! {site=>
            #n => {
                if let #support::Option::Some(#fut) = #pinned.as_mut().as_pin_mut() {
                    match #support::Future::poll(#fut, #cx) {
                        #support::Poll::Ready(#value) => {
                            #pinned.set(#support::Option::None);
                            #store
                        }
                        #support::Poll::Pending => #pending = true,
                    }
                }
            }
        }
    });

    let outputs = quote_spanned! {site=>
        (#(#outs.take().expect("join!: a finished future's output was taken twice"),)*)
    };
    let ready = match kind {
        JoinKind::Join => quote_spanned!(site=> #support::Poll::Ready(#outputs)),
        JoinKind::TryJoin => {
            quote_spanned!(site=> #support::Poll::Ready(#support::Result::Ok(#outputs)))
        }
    };

    quote_spanned! {site=> {
        let (#(#slots,)*) = (#(
            #support::Option::Some(#support::IntoFuture::into_future(#futures)),
        )*);
        #(let mut #pins_rev = #support::pin!(#slots_rev);)*
        #(let mut #outs = #support::Option::None;)*
        #[allow(unused_mut, unused_variables)]
        let mut #next: u32 = 0;
        #support::poll_fn(move |#cx| {
            let mut #pending = false;
            let #first: u32 = #start;
            for #step in 0..#count {
                let mut #index = #first + #step;
                if #index >= #count {
                    #index -= #count;
                }
                match #index {
                    #(#poll_arms)*
                    _ => ::core::unreachable!("join!: future index out of range"),
                }
            }
            if #pending {
                #support::Poll::Pending
            } else {
                #ready
            }
        })
        .await
    }}
}
