//! Turns an `async fn` marked `#[magpie::main]` or `#[magpie::test]` into a plain `fn` that
//! builds a multi-thread magpie runtime and blocks on the function's body.
//!
//! Output shape, for `#[magpie::main(worker_threads = 4)] async fn main() -> R { body }`:
//!
//! ```text
//! fn main() -> R {
//!     ::magpie::runtime::Builder::new()
//!         .worker_threads(4)
//!         .build()
//!         .expect("failed to build the magpie runtime")
//!         .block_on(async move { body })
//! }
//! ```
//!
//! The async block's output is the function's return value, so `return x;` and `?` inside
//! the body work as in any `async fn`, and `R` drives their type inference. `#[test]` is the
//! same plus `#[::core::prelude::v1::test]` in front of the user's own attributes, and a
//! default of 2 worker threads.
//!
//! Error policy: every problem (bad arguments, missing `async`, parameters, a second `#[test]`)
//! is reported as a spanned `compile_error!`, and next to it the function is still expanded as
//! well as it can be (defaults for bad arguments, no parameters). That keeps the user's build
//! output down to our message, instead of adding "`main` function not found" or
//! "`main` is not allowed to be `async`" on top of it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{AttrStyle, Attribute, ItemFn};

use crate::args::{parse_entry_args, EntryArgs, Flavor};

/// Which entry-point attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// `#[magpie::main]`: the program's entry point; default worker count is the builder's.
    Main,
    /// `#[magpie::test]`: one test function; default worker count is 2.
    Test,
}

/// Worker threads a `#[magpie::test]` runtime gets unless `worker_threads` says otherwise.
const TEST_DEFAULT_WORKER_THREADS: usize = 2;

impl EntryKind {
    /// The attribute as the user writes it, for error messages.
    fn attribute_name(self) -> &'static str {
        match self {
            EntryKind::Main => "#[magpie::main]",
            EntryKind::Test => "#[magpie::test]",
        }
    }
}

/// Expands one entry-point attribute: `args` is what stands in its parentheses, `item` the
/// function it is attached to.
pub(crate) fn expand_entry(kind: EntryKind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                format!(
                    "the `{}` attribute applies only to an `async fn`",
                    kind.attribute_name()
                ),
            );
            let mut output = error.to_compile_error();
            output.extend(item);
            return output;
        }
    };

    let mut errors = Vec::new();
    let args = parse_entry_args(args).unwrap_or_else(|error| {
        errors.push(error);
        EntryArgs::default()
    });
    errors.extend(check_signature(kind, &mut function));
    if kind == EntryKind::Test {
        errors.extend(remove_extra_test_attributes(&mut function));
    }

    let mut output = build_function(kind, &args, function);
    for error in errors {
        output.extend(error.to_compile_error());
    }
    output
}

/// Reports a missing `async` and any parameters, then strips the parameters so the
/// best-effort expansion does not add a second, less helpful error about them.
fn check_signature(kind: EntryKind, function: &mut ItemFn) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    if function.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            function.sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    if !function.sig.inputs.is_empty() {
        let message = match kind {
            EntryKind::Main => "the main function cannot accept arguments",
            EntryKind::Test => "a test function cannot accept arguments",
        };
        errors.push(syn::Error::new_spanned(&function.sig.inputs, message));
        function.sig.inputs = Punctuated::new();
    }
    errors
}

/// `#[magpie::test]` already emits `#[test]`; a second one would register the test twice.
/// Reports and removes any `#[test]` (or `#[core::prelude::v1::test]`-like) the user added.
fn remove_extra_test_attributes(function: &mut ItemFn) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    function.attrs.retain(|attribute| {
        if is_builtin_test_attribute(attribute) {
            errors.push(syn::Error::new_spanned(
                attribute,
                "`#[magpie::test]` already marks this function as a test; remove this `#[test]`",
            ));
            false
        } else {
            true
        }
    });
    errors
}

/// Whether `attribute` is the standard `#[test]`, written bare or through a prelude path.
fn is_builtin_test_attribute(attribute: &Attribute) -> bool {
    let segments: Vec<String> = attribute
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match segments.as_slice() {
        [only] => only == "test",
        [first, .., last] => (first == "core" || first == "std") && last == "test",
        [] => false,
    }
}

/// Emits the synchronous function that builds the runtime and blocks on the async body.
fn build_function(kind: EntryKind, args: &EntryArgs, function: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;

    let (outer_attrs, inner_attrs): (Vec<Attribute>, Vec<Attribute>) = attrs
        .into_iter()
        .partition(|attribute| matches!(attribute.style, AttrStyle::Outer));
    let test_attr = match kind {
        EntryKind::Main => TokenStream::new(),
        EntryKind::Test => quote!(#[::core::prelude::v1::test]),
    };

    let worker_threads = match (&args.worker_threads, kind) {
        // A current-thread runtime has no workers (`parse_entry_args` refused a count).
        _ if args.flavor == Flavor::CurrentThread => TokenStream::new(),
        (Some(worker_threads), _) => {
            let count = worker_threads.to_literal();
            quote!(.worker_threads(#count))
        }
        (None, EntryKind::Test) => {
            let count = proc_macro2::Literal::usize_unsuffixed(TEST_DEFAULT_WORKER_THREADS);
            quote!(.worker_threads(#count))
        }
        // `Builder::new()` already defaults to one worker per core.
        (None, EntryKind::Main) => TokenStream::new(),
    };

    // The async block is passed straight to `block_on` rather than bound to a local first:
    // a `let` would need a name, and a user's `const` of that name in scope would turn the
    // binding into a pattern match.
    let statements = &block.stmts;
    let start_paused = if args.start_paused {
        quote!(.start_paused(true))
    } else {
        TokenStream::new()
    };
    let builder = match args.flavor {
        Flavor::MultiThread => quote!(::magpie::runtime::Builder::new()),
        Flavor::CurrentThread => quote!(::magpie::runtime::Builder::new_current_thread()),
    };

    quote! {
        #test_attr
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #builder
                #worker_threads
                #start_paused
                .build()
                .expect("failed to build the magpie runtime")
                .block_on(async move { #(#statements)* })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn expand(kind: EntryKind, args: TokenStream, item: TokenStream) -> String {
        expand_entry(kind, args, item).to_string()
    }

    fn expand_normalized(kind: EntryKind, args: TokenStream, item: TokenStream) -> String {
        normalize(expand_entry(kind, args, item))
    }

    /// Prints tokens the way `syn` re-prints a parsed file, so that `>>` versus `> >` and
    /// similar spacing differences between `quote!` and the expansion do not matter.
    fn normalize(tokens: TokenStream) -> String {
        let file: syn::File = syn::parse2(tokens).expect("expected tokens are a valid file");
        file.to_token_stream().to_string()
    }

    #[test]
    fn main_without_arguments_uses_the_builder_default() {
        let output = expand_normalized(
            EntryKind::Main,
            TokenStream::new(),
            quote!(
                async fn main() {
                    work().await;
                }
            ),
        );
        assert_eq!(
            output,
            normalize(quote! {
                fn main() {
                    ::magpie::runtime::Builder::new()
                        .build()
                        .expect("failed to build the magpie runtime")
                        .block_on(async move { work().await; })
                }
            })
        );
    }

    #[test]
    fn main_keeps_attributes_visibility_and_return_type() {
        let output = expand_normalized(
            EntryKind::Main,
            quote!(worker_threads = 4),
            quote! {
                /// Docs.
                #[allow(unused)]
                pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
                    #![allow(clippy::all)]
                    return Ok(());
                }
            },
        );
        assert_eq!(
            output,
            normalize(quote! {
                /// Docs.
                #[allow(unused)]
                pub fn main() -> Result<(), Box<dyn std::error::Error>> {
                    #![allow(clippy::all)]
                    ::magpie::runtime::Builder::new()
                        .worker_threads(4)
                        .build()
                        .expect("failed to build the magpie runtime")
                        .block_on(async move { return Ok(()); })
                }
            })
        );
    }

    #[test]
    fn test_puts_the_test_attribute_first_and_defaults_to_two_workers() {
        let output = expand_normalized(
            EntryKind::Test,
            TokenStream::new(),
            quote! {
                #[should_panic(expected = "boom")]
                async fn panics() { panic!("boom"); }
            },
        );
        assert_eq!(
            output,
            normalize(quote! {
                #[::core::prelude::v1::test]
                #[should_panic(expected = "boom")]
                fn panics() {
                    ::magpie::runtime::Builder::new()
                        .worker_threads(2)
                        .build()
                        .expect("failed to build the magpie runtime")
                        .block_on(async move { panic!("boom"); })
                }
            })
        );
    }

    #[test]
    fn test_honours_worker_threads() {
        let output = expand(
            EntryKind::Test,
            quote!(worker_threads = 1),
            quote!(
                async fn one() {}
            ),
        );
        assert!(output.contains(". worker_threads (1)"), "{output}");
    }

    #[test]
    fn errors_come_with_a_best_effort_expansion() {
        let output = expand(
            EntryKind::Main,
            quote!(foo = 1),
            quote!(
                fn main(x: u8) {}
            ),
        );
        assert!(output.starts_with("fn main () {"), "{output}");
        assert!(!output.contains(". worker_threads"), "{output}");
        for message in [
            "unknown argument `foo`, expected `worker_threads`",
            "the `async` keyword is missing from the function declaration",
            "the main function cannot accept arguments",
        ] {
            assert!(output.contains(message), "missing {message:?} in {output}");
        }
    }

    #[test]
    fn a_second_test_attribute_is_reported_and_dropped() {
        let output = expand(
            EntryKind::Test,
            TokenStream::new(),
            quote!(
                #[test]
                #[ignore]
                async fn twice() {}
            ),
        );
        assert_eq!(
            output
                .matches("# [:: core :: prelude :: v1 :: test]")
                .count(),
            1,
            "{output}"
        );
        assert!(!output.contains("# [test]"), "{output}");
        assert!(output.contains("# [ignore]"), "{output}");
        assert!(
            output.contains("already marks this function as a test"),
            "{output}"
        );
    }

    #[test]
    fn a_non_function_is_rejected_and_left_in_place() {
        let output = expand(
            EntryKind::Main,
            TokenStream::new(),
            quote!(
                struct S;
            ),
        );
        assert!(output.contains("applies only to an `async fn`"), "{output}");
        assert!(output.ends_with("struct S ;"), "{output}");
    }
}
