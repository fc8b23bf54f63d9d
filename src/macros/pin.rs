//! `pin!`: tokio's two forms of pinning local variables on the stack, written over
//! `core::pin::pin!`, without `unsafe`.

/// Pins values on the current stack frame, so futures that are not `Unpin` can be polled
/// through `&mut` (for example, awaited by reference inside `select!` in a loop).
///
/// Both of tokio's forms work:
///
/// - `pin!(a, b);` moves each named local into a pinned slot and shadows it with a
///   `Pin<&mut _>` of the same name.
/// - `pin! { let a = expr; let b = expr; }` declares and pins in one go.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[magpie::main(worker_threads = 1)]
/// async fn main() {
///     let sleep = magpie::time::sleep(Duration::from_millis(20));
///     magpie::pin!(sleep);
///     let mut ticks = 0;
///     loop {
///         magpie::select! {
///             // `&mut sleep` resumes the same timer every time round.
///             _ = &mut sleep => break,
///             _ = magpie::time::sleep(Duration::from_millis(1)) => ticks += 1,
///         }
///     }
///     println!("{ticks} short sleeps ended before the 20 ms one");
///
///     magpie::pin! {
///         let ready = async { 5 };
///     }
///     assert_eq!((&mut ready).await, 5);
/// }
/// ```
#[macro_export]
macro_rules! pin {
    ($($name:ident),* $(,)?) => {
        $(
            #[allow(unused_mut)]
            let mut $name = $crate::macros::support::pin!($name);
        )*
    };
    ($(let $name:ident = $init:expr;)*) => {
        $(
            let $name = $init;
            $crate::pin!($name);
        )*
    };
}
