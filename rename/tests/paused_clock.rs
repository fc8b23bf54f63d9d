//! Tests on the paused clock, as tokio's docs write them: `start_paused = true`,
//! auto-advance when every task only waits on timers, `time::advance`, and
//! `tokio::time::Instant` moving with the paused clock.
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{self, Instant};

#[tokio::test(start_paused = true)]
async fn an_hour_long_sleep_takes_no_time() {
    let wall = std::time::Instant::now();
    let start = Instant::now();
    time::sleep(Duration::from_secs(3600)).await;
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(3600), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3601), "{elapsed:?}");
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "the sleep took real time"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_fires_on_a_future_that_never_completes() {
    let start = Instant::now();
    let result = time::timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
    assert!(result.is_err());
    assert_eq!(start.elapsed().as_secs(), 30);
}

// tokio runs this test on its current-thread runtime; after the rename it runs
// on magpie's 2 workers, where `advance` first lets the spawned sleepers (not
// yet polled when it is called) register their timers.
#[tokio::test(start_paused = true)]
async fn advance_fires_due_timers_only() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for secs in [3u64, 1, 2] {
        let tx = tx.clone();
        tokio::spawn(async move {
            time::sleep(Duration::from_secs(secs)).await;
            tx.send(secs).unwrap();
        });
    }
    drop(tx);
    // Let the tasks register their timers.
    tokio::task::yield_now().await;

    time::advance(Duration::from_millis(1500)).await;
    assert_eq!(rx.recv().await, Some(1));
    assert!(rx.try_recv().is_err(), "the 2 s timer fired at 1.5 s");

    time::advance(Duration::from_secs(1)).await;
    assert_eq!(rx.recv().await, Some(2));
    // Nothing else to do: the clock jumps to the 3 s timer by itself.
    assert_eq!(rx.recv().await, Some(3));
    assert_eq!(rx.recv().await, None);
}

#[tokio::test(start_paused = true)]
async fn interval_ticks_on_the_paused_clock() {
    let start = Instant::now();
    let mut interval = time::interval(Duration::from_secs(10));
    let mut ticks = Vec::new();
    for _ in 0..4 {
        let at = interval.tick().await;
        ticks.push((at - start).as_secs());
    }
    assert_eq!(ticks, [0, 10, 20, 30]);
}

#[tokio::test]
async fn pause_by_hand() {
    time::pause();
    let start = Instant::now();
    time::advance(Duration::from_secs(5)).await;
    assert_eq!(start.elapsed().as_secs(), 5);
    let sleep = time::sleep(Duration::from_secs(60));
    tokio::pin!(sleep);
    assert!(!sleep.is_elapsed());
    sleep.as_mut().await;
    assert!(sleep.is_elapsed());
    assert_eq!(start.elapsed().as_secs(), 65);
    time::resume();
}
