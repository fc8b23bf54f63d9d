//! `JoinSet`: results in completion order, `len` / `is_empty`,
//! `abort_all`, `shutdown().await`, and aborting every member on drop.

mod common;

use common::{wait_until, with_timeout, DropCount, HANG_LIMIT};
use futures::channel::oneshot;
use magpie::task::{self, JoinSet};
use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

#[test]
fn join_next_on_an_empty_set_is_none() {
    let rt = common::runtime(1);
    rt.block_on(async {
        let mut set = JoinSet::<u8>::new();
        assert!(set.is_empty());
        assert_eq!(set.len(), 0);
        assert!(set.join_next().await.is_none());
        let mut set = JoinSet::<u8>::default();
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn join_next_yields_results_in_completion_order() {
    with_timeout(HANG_LIMIT, || {
        let rt = common::runtime(2);
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut releases = Vec::new();
            for i in 0..5u32 {
                let (tx, rx) = oneshot::channel::<()>();
                releases.push(Some(tx));
                set.spawn(async move {
                    rx.await.unwrap();
                    i
                });
            }
            assert_eq!(set.len(), 5);
            assert!(!set.is_empty());
            // Release them out of spawn order; each result must come back
            // before the next one is released.
            for (n, i) in [3usize, 0, 4, 1, 2].into_iter().enumerate() {
                releases[i].take().unwrap().send(()).unwrap();
                let got = set.join_next().await.unwrap().unwrap();
                assert_eq!(got as usize, i);
                assert_eq!(set.len(), 4 - n);
            }
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn join_next_collects_many_tasks_and_errors() {
    with_timeout(HANG_LIMIT, || {
        let rt = common::runtime(2);
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..1000u64 {
                set.spawn(async move {
                    if i % 100 == 7 {
                        panic!("member {i} panics");
                    }
                    task::yield_now().await;
                    i
                });
            }
            let (mut sum, mut panics) = (0, 0);
            while let Some(res) = set.join_next().await {
                match res {
                    Ok(v) => sum += v,
                    Err(e) => {
                        assert!(e.is_panic());
                        panics += 1;
                    }
                }
            }
            assert_eq!(panics, 10);
            assert_eq!(sum, (0..1000u64).filter(|i| i % 100 != 7).sum::<u64>());
        });
    });
}

#[test]
fn abort_all_cancels_every_member() {
    let rt = common::runtime(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..20 {
            let guard = DropCount(dropped.clone());
            set.spawn(async move {
                let _guard = guard;
                pending::<()>().await;
            });
        }
        set.spawn(async {}); // may finish before the abort: Ok then
        set.abort_all();
        assert_eq!(set.len(), 21, "aborted members stay until joined");
        let (mut cancelled, mut ok) = (0, 0);
        while let Some(res) = set.join_next().await {
            match res {
                Ok(()) => ok += 1,
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert!(cancelled >= 20 && cancelled + ok == 21);
        assert!(set.is_empty());
    });
    assert_eq!(dropped.load(SeqCst), 20);
}

#[test]
fn spawn_returns_an_abort_handle_for_that_member() {
    let rt = common::runtime(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        let stuck = set.spawn(pending::<u8>());
        set.spawn(async { 9 });
        stuck.abort();
        let mut results: Vec<_> = Vec::new();
        while let Some(res) = set.join_next().await {
            results.push(res.map_err(|e| e.is_cancelled()));
        }
        results.sort();
        assert_eq!(results, vec![Ok(9), Err(true)]);
        assert!(stuck.is_finished());
    });
}

#[test]
fn shutdown_aborts_and_waits_for_every_member() {
    let rt = common::runtime(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let dropped2 = dropped.clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        for _ in 0..50 {
            let guard = DropCount(dropped2.clone());
            set.spawn(async move {
                let _guard = guard;
                loop {
                    task::yield_now().await;
                }
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(set.len(), 0);
        assert_eq!(
            dropped2.load(SeqCst),
            50,
            "shutdown returned before every future was dropped"
        );
        // The set is reusable afterwards.
        set.spawn(async {});
        assert!(set.join_next().await.unwrap().is_ok());
    });
    assert_eq!(dropped.load(SeqCst), 50);
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    let rt = common::runtime(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    {
        let _enter = rt.enter();
        for _ in 0..30 {
            let guard = DropCount(dropped.clone());
            let polled = polled.clone();
            set.spawn(async move {
                let _guard = guard;
                polled.fetch_add(1, SeqCst);
                pending::<()>().await;
            });
        }
    }
    wait_until("every member was polled", HANG_LIMIT, || {
        polled.load(SeqCst) == 30
    });
    assert_eq!(dropped.load(SeqCst), 0);
    drop(set);
    wait_until("every member's future is dropped", HANG_LIMIT, || {
        dropped.load(SeqCst) == 30
    });
}

#[test]
fn a_set_can_be_driven_from_a_task_while_members_complete_elsewhere() {
    with_timeout(HANG_LIMIT, || {
        let rt = common::runtime(2);
        let total = rt
            .block_on(rt.spawn(async {
                let mut set = JoinSet::new();
                let mut total = 0u64;
                for round in 0..50u64 {
                    for i in 0..20u64 {
                        set.spawn(async move { round * i });
                    }
                    // Interleave spawning with joining.
                    for _ in 0..10 {
                        total += set.join_next().await.unwrap().unwrap();
                    }
                }
                while let Some(res) = set.join_next().await {
                    total += res.unwrap();
                }
                total
            }))
            .unwrap();
        let expected: u64 = (0..50u64)
            .map(|r| (0..20u64).map(|i| r * i).sum::<u64>())
            .sum();
        assert_eq!(total, expected);
    });
}

#[test]
#[should_panic(expected = "must be called from the context of a magpie runtime")]
fn join_set_spawn_outside_a_runtime_panics() {
    let mut set = JoinSet::new();
    set.spawn(async {});
}

#[test]
fn join_next_is_cancel_safe() {
    use std::future::Future;
    use std::task::Poll;
    let rt = common::runtime(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            rx.await.unwrap();
            5
        });
        // Poll join_next once, then drop that future (as a losing select!
        // branch or an elapsed timeout would).
        std::future::poll_fn(|cx| {
            let next = std::pin::pin!(set.join_next());
            assert!(next.poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        tx.send(()).unwrap();
        // The completion that woke the dropped future is not lost.
        assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
        assert!(set.is_empty());
    });
}

#[magpie::test]
async fn join_all_returns_every_output() {
    let mut set = magpie::task::JoinSet::new();
    for i in 0..20u32 {
        set.spawn(async move {
            magpie::task::yield_now().await;
            i
        });
    }
    let mut outputs = set.join_all().await;
    outputs.sort_unstable();
    assert_eq!(outputs, (0..20).collect::<Vec<_>>());
}

#[magpie::test]
#[should_panic(expected = "boom in a member")]
async fn join_all_resumes_a_members_panic() {
    let mut set = magpie::task::JoinSet::new();
    set.spawn(async { 1u8 });
    set.spawn(async { panic!("boom in a member") });
    let _ = set.join_all().await;
}
