//! `magpie::select!` and `magpie::pin!` through the public API: start-branch order (random,
//! or source order with `biased;`), preconditions, patterns that disable a branch, `else`,
//! the all-disabled panic, when the futures are dropped, control flow out of handlers, and a
//! loop over two channels on one and on two workers.

use std::cell::RefCell;
use std::future::{pending, Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::mpsc;
use futures::StreamExt;

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

/// A flag and a never-ending future that raises it when dropped.
fn drop_flag() -> (Arc<AtomicBool>, DropFlag) {
    let flag = Arc::new(AtomicBool::new(false));
    (flag.clone(), DropFlag(flag))
}

/// Wraps a future and counts its polls.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

fn count_polls<F: Future>(inner: F, polls: &Arc<AtomicUsize>) -> CountPolls<F> {
    CountPolls {
        inner: Box::pin(inner),
        polls: polls.clone(),
    }
}

/// A future that fails the test if it is ever polled.
struct MustNotPoll;

impl Future for MustNotPoll {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        panic!("a disabled branch's future was polled");
    }
}

#[magpie::test(worker_threads = 1)]
async fn first_ready_branch_wins_and_its_value_is_the_result() {
    let got = magpie::select! {
        _ = pending::<()>() => 0,
        v = async { 20 } => v + 1,
        _ = magpie::time::sleep(Duration::from_secs(60)) => 2,
    };
    assert_eq!(got, 21);
}

#[magpie::test(worker_threads = 1)]
async fn the_start_branch_is_random() {
    let mut wins = [0u32; 3];
    for _ in 0..600 {
        let winner = magpie::select! {
            _ = async {} => 0,
            _ = async {} => 1,
            _ = async {} => 2,
        };
        wins[winner] += 1;
    }
    // Each has a 1/3 chance per round: fewer than 100 of 600 would be far outside chance.
    assert!(wins.iter().all(|&w| w >= 100), "wins per branch: {wins:?}");
}

#[magpie::test(worker_threads = 1)]
async fn biased_polls_in_source_order() {
    let order = RefCell::new(Vec::new());
    for _ in 0..200 {
        let winner = magpie::select! {
            biased;
            _ = async {} => 0,
            _ = async {} => 1,
        };
        assert_eq!(winner, 0);
    }
    // With none ready, a biased poll goes through every branch top to bottom.
    let log = |n: u32| {
        let order = &order;
        futures::future::poll_fn(move |_| {
            order.borrow_mut().push(n);
            if n == 2 && order.borrow().len() >= 3 {
                Poll::Ready(n)
            } else {
                Poll::Pending
            }
        })
    };
    let winner = magpie::select! {
        biased;
        v = log(0) => v,
        v = log(1) => v,
        v = log(2) => v,
    };
    assert_eq!(winner, 2);
    assert_eq!(*order.borrow(), vec![0, 1, 2]);
}

#[magpie::test(worker_threads = 1)]
async fn a_false_precondition_keeps_its_future_unpolled() {
    for _ in 0..50 {
        let got = magpie::select! {
            v = MustNotPoll, if false => v,
            v = async { 3 } => v,
        };
        assert_eq!(got, 3);
    }
}

#[magpie::test(worker_threads = 1)]
async fn preconditions_run_before_any_future_expression() {
    // As in tokio: every precondition first, then every future expression (a disabled
    // branch's included), each group in source order.
    let log = RefCell::new(Vec::new());
    let note = |what: &'static str| log.borrow_mut().push(what);
    let got = magpie::select! {
        v = { note("fut a"); async { 1 } }, if { note("cond a"); false } => v,
        v = { note("fut b"); async { 2 } }, if { note("cond b"); true } => v,
        v = { note("fut c"); async { 3 } } => v,
        else => 0,
    };
    assert!(got == 2 || got == 3);
    assert_eq!(
        *log.borrow(),
        vec!["cond a", "cond b", "fut a", "fut b", "fut c"]
    );
}

#[magpie::test(worker_threads = 1)]
async fn a_failed_pattern_disables_its_branch_without_spinning() {
    let (tx, mut rx) = mpsc::unbounded::<u32>();
    drop(tx);
    let polls = Arc::new(AtomicUsize::new(0));
    let got = magpie::select! {
        Some(v) = count_polls(rx.next(), &polls) => v,
        _ = magpie::time::sleep(Duration::from_millis(30)) => 99,
    };
    assert_eq!(got, 99);
    // The closed channel answered `None` once and was never asked again.
    assert_eq!(polls.load(SeqCst), 1);
}

#[magpie::test(worker_threads = 1)]
async fn else_runs_when_every_branch_is_disabled() {
    let by_precondition = magpie::select! {
        v = async { 1 }, if false => v,
        v = async { 2 }, if 1 > 2 => v,
        else => 3,
    };
    assert_eq!(by_precondition, 3);

    let by_pattern = magpie::select! {
        Some(v) = async { None::<u32> } => v,
        Ok(v) = async { Err::<u32, ()>(()) } => v,
        else => 4,
    };
    assert_eq!(by_pattern, 4);

    let only_else = magpie::select! {
        else => 5,
    };
    assert_eq!(only_else, 5);
}

#[magpie::test(worker_threads = 1)]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
async fn every_branch_disabled_without_else_panics_with_advice() {
    let _: u32 = magpie::select! {
        v = async { 1 }, if false => v,
        Some(v) = async { None } => v,
    };
}

#[test]
fn the_all_disabled_panic_says_to_add_else() {
    let result = std::panic::catch_unwind(|| {
        futures::executor::block_on(async {
            magpie::select! {
                _ = async {}, if false => {}
            }
        })
    });
    let payload = result.expect_err("select! should have panicked");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(message.contains("add an `else => ...` branch"), "{message}");
}

#[magpie::test(worker_threads = 1)]
async fn every_future_is_dropped_before_the_handler_runs() {
    let (loser_dropped, loser) = drop_flag();
    let (disabled_dropped, disabled) = drop_flag();
    let winner_flag = Arc::new(AtomicBool::new(false));
    let winner = {
        let guard = DropFlag(winner_flag.clone());
        async move {
            let _guard = guard;
            7
        }
    };
    let got = magpie::select! {
        _ = loser => 0,
        _ = disabled, if false => 1,
        v = winner => {
            assert!(loser_dropped.load(SeqCst), "loser still alive in the handler");
            assert!(disabled_dropped.load(SeqCst), "disabled future alive in the handler");
            assert!(winner_flag.load(SeqCst), "winner's future alive in the handler");
            v
        }
    };
    assert_eq!(got, 7);
}

#[magpie::test(worker_threads = 1)]
async fn futures_are_dropped_when_the_select_is_cancelled() {
    let (flag, never) = drop_flag();
    let outer = magpie::time::timeout(Duration::from_millis(10), async {
        magpie::select! {
            _ = never => {}
            _ = pending::<()>() => {}
        }
    })
    .await;
    assert!(outer.is_err());
    assert!(flag.load(SeqCst));
}

async fn returns_from_handler() -> &'static str {
    magpie::select! {
        _ = async {} => return "returned",
    }
    #[allow(unreachable_code)]
    "fell through"
}

async fn question_mark_in_handler(input: &str) -> Result<u32, std::num::ParseIntError> {
    let doubled = magpie::select! {
        text = async { input } => text.parse::<u32>()? * 2,
    };
    Ok(doubled)
}

#[magpie::test(worker_threads = 1)]
async fn return_break_continue_and_question_mark_leave_the_handler() {
    assert_eq!(returns_from_handler().await, "returned");
    assert_eq!(question_mark_in_handler("21").await, Ok(42));
    assert!(question_mark_in_handler("x").await.is_err());

    let mut rounds = 0;
    let found = 'outer: loop {
        rounds += 1;
        magpie::select! {
            v = async { rounds } => {
                if v < 3 {
                    continue 'outer;
                }
                break 'outer v * 10;
            }
        }
    };
    assert_eq!((found, rounds), (30, 3));
}

#[magpie::test(worker_threads = 1)]
async fn patterns_with_binding_modes_and_handlers_without_commas() {
    let got = magpie::select! {
        mut v = async { vec![1] } => {
            v.push(2);
            v
        }
        (Some(ref a), mut b) = async { (Some(String::from("x")), 1) } => {
            b += 1;
            vec![a.len(), b, 0]
        }
    };
    assert!(got == vec![1, 2] || got == vec![1, 2, 0], "{got:?}");

    // `ref mut` in the winning pattern borrows the output mutably.
    let edited = magpie::select! {
        Some(ref mut text) = async { Some(String::from("a")) } => {
            text.push('b');
            text.clone()
        }
    };
    assert_eq!(edited, "ab");

    // A one-branch select with a trailing handler and no comma.
    let last = magpie::select! { x = async { 5 } => x * 2 };
    assert_eq!(last, 10);

    // Or-patterns and IntoFuture values.
    struct Later(u8);
    impl IntoFuture for Later {
        type Output = Result<u8, u8>;
        type IntoFuture = std::future::Ready<Result<u8, u8>>;
        fn into_future(self) -> Self::IntoFuture {
            std::future::ready(Err(self.0))
        }
    }
    let either = magpie::select! {
        Ok(v) | Err(v) = Later(9) => v,
    };
    assert_eq!(either, 9);
}

#[magpie::test(worker_threads = 1)]
async fn nested_selects_keep_their_own_state() {
    let got = magpie::select! {
        v = async {
            magpie::select! {
                biased;
                _ = pending::<()>() => 0,
                w = async { 4 } => w,
            }
        } => v + 1,
        _ = pending::<()>() => 0,
    };
    assert_eq!(got, 5);
}

#[magpie::test(worker_threads = 1)]
async fn sixty_four_branches() {
    macro_rules! all_but_one_disabled {
        ($($n:literal)*) => {
            magpie::select! {
                biased;
                $( v = async { $n }, if $n == 63 => v, )*
            }
        };
    }
    let got: u32 = all_but_one_disabled!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63
    );
    assert_eq!(got, 63);
}

/// Drains two producer tasks with `loop { select! }` until both channels close.
async fn loop_over_two_sources() {
    let (num_tx, mut numbers) = mpsc::channel::<u64>(4);
    let (word_tx, mut words) = mpsc::channel::<String>(4);
    let producers = [
        magpie::spawn(async move {
            let mut tx = num_tx;
            for n in 1..=100 {
                futures::SinkExt::send(&mut tx, n).await.unwrap();
            }
        }),
        magpie::spawn(async move {
            let mut tx = word_tx;
            for n in 0..50 {
                futures::SinkExt::send(&mut tx, format!("w{n}"))
                    .await
                    .unwrap();
                if n % 10 == 0 {
                    magpie::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }),
    ];
    let (mut sum, mut word_count) = (0, 0);
    loop {
        magpie::select! {
            Some(n) = numbers.next() => sum += n,
            Some(w) = words.next() => {
                assert!(w.starts_with('w'));
                word_count += 1;
            }
            else => break,
        }
    }
    assert_eq!((sum, word_count), (5050, 50));
    for producer in producers {
        producer.await.unwrap();
    }
}

#[magpie::test(worker_threads = 1)]
async fn select_loop_on_one_worker() {
    loop_over_two_sources().await;
}

#[magpie::test(worker_threads = 2)]
async fn select_loop_on_two_workers() {
    loop_over_two_sources().await;
    // Also as a spawned task: a select! loop is Send when its futures are.
    magpie::spawn(loop_over_two_sources()).await.unwrap();
}

#[magpie::test(worker_threads = 2)]
async fn select_on_spawned_tasks() {
    let slow = magpie::spawn(async {
        magpie::time::sleep(Duration::from_secs(60)).await;
        "slow"
    });
    let quick = magpie::spawn(async { "quick" });
    let got = magpie::select! {
        r = slow => r.unwrap(),
        r = quick => r.unwrap(),
    };
    assert_eq!(got, "quick");
}

#[magpie::test(worker_threads = 1)]
async fn select_yields_once_the_task_budget_is_spent() {
    // The first branch is always ready and spends a unit of the task's budget each time;
    // once it is spent, that branch returns `Pending`, and without select!'s own check the
    // always-ready second branch would win forever without the task ever yielding.
    let sink = magpie::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = sink.local_addr().unwrap();
    let socket = magpie::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let ready_polls = magpie::spawn(async move {
        // A new socket is writable only once the reactor has said so: wait for that first.
        socket.send_to(b"x", target).await.unwrap();
        for ready_polls in 0..10_000 {
            let mut one = Box::pin(async {
                magpie::select! {
                    biased;
                    sent = socket.send_to(b"x", target) => {
                        sent.unwrap();
                    }
                    () = std::future::ready(()) => {}
                }
            });
            if futures::poll!(one.as_mut()).is_pending() {
                return ready_polls;
            }
        }
        panic!("select! never yielded in one task poll");
    })
    .await
    .unwrap();
    // Everything before the yield was the budget being spent on real sends.
    assert!(ready_polls >= 100, "yielded after only {ready_polls} polls");
    drop(sink);
}

#[magpie::test(worker_threads = 1)]
async fn pin_both_forms() {
    let started = std::time::Instant::now();
    let sleep = magpie::time::sleep(Duration::from_millis(20));
    let other = async { 1 };
    magpie::pin!(sleep, other);
    assert_eq!((&mut other).await, 1);
    let mut ticks = 0;
    loop {
        magpie::select! {
            _ = &mut sleep => break,
            _ = magpie::time::sleep(Duration::from_millis(1)) => ticks += 1,
        }
    }
    // The loop ended on the one 20 ms timer, resumed through `&mut` every time round.
    assert!(started.elapsed() >= Duration::from_millis(20));
    let _ = ticks;

    magpie::pin! {
        let a = async { 2 };
        let b = async { 3 };
    }
    fn is_pinned<T>(_: &Pin<&mut T>) {}
    is_pinned(&a);
    assert_eq!(a.await + b.await, 5);
}
