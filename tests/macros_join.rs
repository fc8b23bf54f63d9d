//! `magpie::join!` and `magpie::try_join!` through the public API: outputs in order, the
//! futures running concurrently on one task, finished futures dropped at once, the rotating
//! (or `biased;`) poll order, and `try_join!` returning the first error and dropping the rest.

use std::cell::RefCell;
use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::channel::oneshot;

/// A future that never completes and sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Future for DropFlag {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

fn drop_flag() -> (Arc<AtomicBool>, DropFlag) {
    let flag = Arc::new(AtomicBool::new(false));
    (flag.clone(), DropFlag(flag))
}

/// Two futures that each need the other's signal: only a concurrent join can finish them.
async fn ping_pong() -> (u32, u32) {
    let (to_b, from_a) = oneshot::channel::<u32>();
    let (to_a, from_b) = oneshot::channel::<u32>();
    magpie::join!(
        async move {
            to_b.send(1).unwrap();
            from_b.await.unwrap() + 10
        },
        async move {
            let got = from_a.await.unwrap();
            to_a.send(got + 1).unwrap();
            got + 100
        },
    )
}

#[magpie::test(worker_threads = 1)]
async fn join_runs_its_futures_concurrently_on_one_worker() {
    assert_eq!(ping_pong().await, (12, 101));
}

#[magpie::test(worker_threads = 2)]
async fn join_runs_its_futures_concurrently_on_two_workers() {
    assert_eq!(ping_pong().await, (12, 101));
    // Also as a spawned task: a join! is Send when its futures are.
    assert_eq!(magpie::spawn(ping_pong()).await.unwrap(), (12, 101));
}

#[magpie::test(worker_threads = 1)]
async fn join_returns_outputs_in_order_for_any_count() {
    assert_eq!(magpie::join!(async { 1 }), (1,));
    let (a, b, c) = magpie::join!(async { "a" }, async { 2u8 }, async { 'c' },);
    assert_eq!((a, b, c), ("a", 2, 'c'));
    let () = magpie::join!();
    let (x, y) = magpie::join!(biased; async { 1 }, std::future::ready(2));

    assert_eq!((x, y), (1, 2));

    // More futures than select!'s branch limit.
    macro_rules! many {
        ($($n:literal)*) => { magpie::join!($( async { $n }, )*) };
    }
    let all = many!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63 64 65 66 67 68 69
    );
    assert_eq!((all.0, all.33, all.69), (0, 33, 69));
}

#[magpie::test(worker_threads = 1)]
async fn a_finished_future_is_dropped_before_the_join_ends() {
    let (flag, guard) = drop_flag();
    let quick = async move {
        let _guard = guard;
        // Keep the guard alive across an await, inside the future's state.
        magpie::task::yield_now().await;
        1
    };
    let flag_seen = flag.clone();
    let slow = async move {
        for _ in 0..100 {
            if flag_seen.load(SeqCst) {
                return true;
            }
            magpie::time::sleep(Duration::from_millis(1)).await;
        }
        false
    };
    assert_eq!(magpie::join!(quick, slow), (1, true));
}

/// Records which future each poll of a join reached first.
async fn first_polled_per_round(biased: bool) -> Vec<usize> {
    let log = RefCell::new(Vec::new());
    let probe = |id: usize| {
        let log = &log;
        let mut rounds = 0;
        futures::future::poll_fn(move |cx| {
            log.borrow_mut().push(id);
            rounds += 1;
            if rounds == 4 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    };
    if biased {
        magpie::join!(biased; probe(0), probe(1), probe(2));
    } else {
        magpie::join!(probe(0), probe(1), probe(2));
    }
    let log = log.into_inner();
    log.chunks(3).map(|round| round[0]).collect()
}

#[magpie::test(worker_threads = 1)]
async fn join_rotates_its_first_future_unless_biased() {
    assert_eq!(first_polled_per_round(false).await, vec![0, 1, 2, 0]);
    assert_eq!(first_polled_per_round(true).await, vec![0, 0, 0, 0]);
}

#[magpie::test(worker_threads = 1)]
async fn try_join_collects_oks() {
    let ok: Result<(u8, &str), String> = magpie::try_join!(async { Ok(1) }, async { Ok("two") });
    assert_eq!(ok, Ok((1, "two")));
    let empty: Result<(), ()> = magpie::try_join!();
    assert_eq!(empty, Ok(()));
    let biased: Result<(u8,), ()> = magpie::try_join!(biased; async { Ok(3) });
    assert_eq!(biased, Ok((3,)));
}

#[magpie::test(worker_threads = 1)]
async fn try_join_returns_the_first_error_and_drops_the_rest() {
    let (flag, never) = drop_flag();
    let flag_seen = flag.clone();
    let started = Instant::now();
    let result: Result<((), u32, ()), &str> = magpie::try_join!(
        async move {
            never.await;
            Ok(())
        },
        async {
            magpie::time::sleep(Duration::from_millis(10)).await;
            Err("failed")
        },
        async {
            // Still pending when the error arrives.
            pending::<()>().await;
            Ok(())
        },
    );
    assert_eq!(result, Err("failed"));
    assert!(flag_seen.load(SeqCst), "the other futures were not dropped");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[magpie::test(worker_threads = 2)]
async fn try_join_stops_polling_after_an_error() {
    let polled_after = Arc::new(AtomicBool::new(false));
    let late = polled_after.clone();
    let result: Result<((), ()), u8> = magpie::try_join!(
        async {
            magpie::time::sleep(Duration::from_millis(5)).await;
            Err(7)
        },
        async move {
            magpie::time::sleep(Duration::from_millis(50)).await;
            late.store(true, SeqCst);
            Ok(())
        },
    );
    assert_eq!(result, Err(7));
    magpie::time::sleep(Duration::from_millis(100)).await;
    assert!(!polled_after.load(SeqCst));
}
