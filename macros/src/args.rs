//! Parsing of the arguments written inside `#[magpie::main(...)]` and `#[magpie::test(...)]`.
//!
//! The arguments are `worker_threads = N`, with `N` a positive integer literal, and
//! `flavor = "multi_thread"` or `flavor = "current_thread"` (tokio's spelling, so a tokio
//! attribute compiles after the rename; `worker_threads` needs the multi-thread flavor, as
//! in tokio). Every problem becomes a `syn::Error` spanned on the offending tokens; several
//! problems in one attribute are combined so the user sees all of them in one build.

use proc_macro2::{Literal, Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// The argument names the entry-point macros accept.
const WORKER_THREADS: &str = "worker_threads";
const FLAVOR: &str = "flavor";
const START_PAUSED: &str = "start_paused";
const EXPECTED: &str = "expected `worker_threads`, `flavor` or `start_paused`";

/// The validated arguments of one entry-point attribute.
#[derive(Debug, Default)]
pub(crate) struct EntryArgs {
    /// `worker_threads = N` as written, already checked to be at least 1; `None` when absent.
    pub(crate) worker_threads: Option<WorkerThreads>,
    /// `flavor = "..."`; multi-thread when absent.
    pub(crate) flavor: Flavor,
    /// `start_paused = true`: the runtime's clock starts paused.
    pub(crate) start_paused: bool,
}

/// Which runtime the attribute builds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new()`: worker threads (the default).
    #[default]
    MultiThread,
    /// `Builder::new_current_thread()`: everything on the calling thread.
    CurrentThread,
}

/// A validated `worker_threads` value together with the span of the literal the user wrote.
#[derive(Debug)]
pub(crate) struct WorkerThreads {
    /// The number of worker threads, at least 1.
    pub(crate) count: usize,
    /// Where the literal stands in the user's source, so the generated call points back at it.
    pub(crate) span: Span,
}

impl WorkerThreads {
    /// The count as an unsuffixed literal carrying the user's span, ready to be passed to
    /// `Builder::worker_threads(usize)` (a suffix such as `4u8` would not type-check there).
    pub(crate) fn to_literal(&self) -> Literal {
        let mut literal = Literal::usize_unsuffixed(self.count);
        literal.set_span(self.span);
        literal
    }
}

/// Parses the attribute's argument tokens (what stands between the parentheses).
///
/// Returns every problem found, combined into one error, rather than stopping at the first.
pub(crate) fn parse_entry_args(tokens: TokenStream) -> syn::Result<EntryArgs> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let mut args = EntryArgs::default();
    let mut errors: Option<syn::Error> = None;
    let mut record = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };

    let mut flavor_seen = false;
    let mut start_paused_seen = false;
    for meta in metas {
        let is_worker_threads = meta.path().is_ident(WORKER_THREADS);
        if meta.path().is_ident(START_PAUSED) {
            let value = match meta {
                Meta::NameValue(name_value) => name_value.value,
                other => {
                    record(syn::Error::new_spanned(
                        other,
                        format!("`{START_PAUSED}` needs a value, e.g. `{START_PAUSED} = true`"),
                    ));
                    continue;
                }
            };
            match &value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(flag),
                    ..
                }) if !start_paused_seen => {
                    start_paused_seen = true;
                    args.start_paused = flag.value;
                }
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(_), ..
                }) => record(syn::Error::new_spanned(
                    &value,
                    format!("`{START_PAUSED}` is given more than once"),
                )),
                _ => record(syn::Error::new_spanned(
                    &value,
                    format!("`{START_PAUSED}` is `true` or `false`"),
                )),
            }
            continue;
        }
        if !is_worker_threads && !meta.path().is_ident(FLAVOR) {
            let name = path_to_string(meta.path());
            record(syn::Error::new_spanned(
                meta.path(),
                format!("unknown argument `{name}`, {EXPECTED}"),
            ));
            continue;
        }
        let name = if is_worker_threads {
            WORKER_THREADS
        } else {
            FLAVOR
        };
        let example = if is_worker_threads {
            "worker_threads = 4"
        } else {
            "flavor = \"current_thread\""
        };
        let value = match meta {
            Meta::NameValue(name_value) => name_value.value,
            other => {
                record(syn::Error::new_spanned(
                    other,
                    format!("`{name}` needs a value, e.g. `{example}`"),
                ));
                continue;
            }
        };
        if !is_worker_threads {
            match parse_flavor(&value) {
                Ok(_) if flavor_seen => record(syn::Error::new_spanned(
                    &value,
                    format!("`{FLAVOR}` is given more than once"),
                )),
                Ok(flavor) => {
                    flavor_seen = true;
                    args.flavor = flavor;
                }
                Err(error) => record(error),
            }
            continue;
        }
        match parse_worker_threads(&value) {
            Ok(parsed) if args.worker_threads.is_some() => {
                record(syn::Error::new(
                    parsed.span,
                    format!("`{WORKER_THREADS}` is given more than once"),
                ));
            }
            Ok(parsed) => args.worker_threads = Some(parsed),
            Err(error) => record(error),
        }
    }
    if args.flavor == Flavor::CurrentThread {
        if let Some(worker_threads) = &args.worker_threads {
            record(syn::Error::new(
                worker_threads.span,
                "`worker_threads` needs the `multi_thread` flavor: a `current_thread` \
                 runtime runs everything on the calling thread",
            ));
        }
    }

    match errors {
        Some(error) => Err(error),
        None => Ok(args),
    }
}

/// Reads `"multi_thread"` or `"current_thread"`.
fn parse_flavor(value: &Expr) -> syn::Result<Flavor> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(literal),
        ..
    }) = value
    {
        match literal.value().as_str() {
            "multi_thread" => return Ok(Flavor::MultiThread),
            "current_thread" => return Ok(Flavor::CurrentThread),
            _ => {}
        }
    }
    Err(syn::Error::new_spanned(
        value,
        "`flavor` is \"multi_thread\" or \"current_thread\"",
    ))
}

/// Checks that `value` is an integer literal of at least 1 that fits in `usize`.
fn parse_worker_threads(value: &Expr) -> syn::Result<WorkerThreads> {
    let not_positive_integer = || {
        syn::Error::new_spanned(
            value,
            format!("`{WORKER_THREADS}` expects a positive integer literal, e.g. `{WORKER_THREADS} = 4`"),
        )
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Int(literal),
        ..
    }) = value
    else {
        return Err(not_positive_integer());
    };
    // syn reads `-1` after `=` as one negative literal rather than a negation.
    if literal.base10_digits().starts_with('-') {
        return Err(not_positive_integer());
    }
    if !matches!(literal.suffix(), "" | "usize") {
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "`{WORKER_THREADS}` is a `usize`; remove the `{}` suffix",
                literal.suffix()
            ),
        ));
    }
    let count: usize = literal.base10_parse().map_err(|_| {
        syn::Error::new(
            literal.span(),
            format!("`{WORKER_THREADS}` is too large for a `usize`"),
        )
    })?;
    if count == 0 {
        return Err(syn::Error::new(
            literal.span(),
            format!("`{WORKER_THREADS}` must be at least 1"),
        ));
    }
    Ok(WorkerThreads {
        count,
        span: literal.span(),
    })
}

/// Renders a path the way the user wrote it (`foo`, `a::b`) for error messages.
fn path_to_string(path: &syn::Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let prefix = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{prefix}{}", segments.join("::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn error_message(tokens: TokenStream) -> String {
        match parse_entry_args(tokens) {
            Ok(args) => panic!("expected an error, got {args:?}"),
            Err(error) => error
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    #[test]
    fn empty_arguments_mean_defaults() {
        let args = parse_entry_args(TokenStream::new()).unwrap();
        assert!(args.worker_threads.is_none());
    }

    #[test]
    fn worker_threads_is_read() {
        let args = parse_entry_args(quote!(worker_threads = 3)).unwrap();
        assert_eq!(args.worker_threads.unwrap().count, 3);
    }

    #[test]
    fn trailing_comma_and_usize_suffix_are_accepted() {
        let args = parse_entry_args(quote!(worker_threads = 7usize,)).unwrap();
        let worker_threads = args.worker_threads.unwrap();
        assert_eq!(worker_threads.count, 7);
        assert_eq!(worker_threads.to_literal().to_string(), "7");
    }

    #[test]
    fn zero_is_rejected() {
        assert_eq!(
            error_message(quote!(worker_threads = 0)),
            "`worker_threads` must be at least 1"
        );
    }

    #[test]
    fn non_literal_and_negative_values_are_rejected() {
        let expected =
            "`worker_threads` expects a positive integer literal, e.g. `worker_threads = 4`";
        assert_eq!(error_message(quote!(worker_threads = n)), expected);
        assert_eq!(error_message(quote!(worker_threads = -1)), expected);
        assert_eq!(error_message(quote!(worker_threads = "4")), expected);
    }

    #[test]
    fn other_suffixes_are_rejected() {
        assert_eq!(
            error_message(quote!(worker_threads = 4u8)),
            "`worker_threads` is a `usize`; remove the `u8` suffix"
        );
    }

    #[test]
    fn overflow_is_rejected() {
        assert_eq!(
            error_message(quote!(worker_threads = 100000000000000000000000)),
            "`worker_threads` is too large for a `usize`"
        );
    }

    #[test]
    fn unknown_missing_and_duplicate_are_all_reported() {
        assert_eq!(
            error_message(quote!(
                flavour = "x",
                a::b,
                worker_threads,
                worker_threads = 1,
                worker_threads = 2
            )),
            "unknown argument `flavour`, expected `worker_threads`, `flavor` or `start_paused` \
             | unknown argument `a::b`, expected `worker_threads`, `flavor` or `start_paused` \
             | `worker_threads` needs a value, e.g. `worker_threads = 4` \
             | `worker_threads` is given more than once"
        );
    }

    #[test]
    fn flavors_are_read() {
        assert_eq!(
            parse_entry_args(TokenStream::new()).unwrap().flavor,
            Flavor::MultiThread
        );
        let args = parse_entry_args(quote!(flavor = "multi_thread", worker_threads = 2)).unwrap();
        assert_eq!(args.flavor, Flavor::MultiThread);
        assert_eq!(args.worker_threads.unwrap().count, 2);
        let args = parse_entry_args(quote!(flavor = "current_thread")).unwrap();
        assert_eq!(args.flavor, Flavor::CurrentThread);
    }

    #[test]
    fn start_paused_is_read_and_checked() {
        assert!(!parse_entry_args(TokenStream::new()).unwrap().start_paused);
        assert!(
            parse_entry_args(quote!(start_paused = true))
                .unwrap()
                .start_paused
        );
        assert!(
            !parse_entry_args(quote!(start_paused = false))
                .unwrap()
                .start_paused
        );
        assert_eq!(
            error_message(quote!(start_paused = 1)),
            "`start_paused` is `true` or `false`"
        );
        assert_eq!(
            error_message(quote!(start_paused)),
            "`start_paused` needs a value, e.g. `start_paused = true`"
        );
    }

    #[test]
    fn bad_flavors_are_rejected() {
        assert_eq!(
            error_message(quote!(flavor = "single")),
            "`flavor` is \"multi_thread\" or \"current_thread\""
        );
        assert_eq!(
            error_message(quote!(flavor = current_thread)),
            "`flavor` is \"multi_thread\" or \"current_thread\""
        );
        assert_eq!(
            error_message(quote!(flavor = "current_thread", flavor = "multi_thread")),
            "`flavor` is given more than once"
        );
        assert_eq!(
            error_message(quote!(flavor = "current_thread", worker_threads = 2)),
            "`worker_threads` needs the `multi_thread` flavor: a `current_thread` \
             runtime runs everything on the calling thread"
        );
    }

    #[test]
    fn malformed_tokens_are_a_parse_error() {
        assert!(parse_entry_args(quote!(worker_threads =)).is_err());
    }
}
