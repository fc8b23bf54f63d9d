//! The paused test clock (`time::pause`, `resume`, `advance`,
//! `start_paused`) on both runtime flavors: `Instant::now` stands still,
//! `advance` fires exactly the timers due, the clock jumps to the next
//! deadline when every task waits on timers (auto-advance), a
//! `spawn_blocking` job or socket traffic holds it, and misuse panics with a
//! message that says what to do.

mod common;

use magpie::net::{TcpListener, TcpStream};
use magpie::runtime::{Builder, Runtime};
use magpie::time::{self, Duration, Instant};
use std::sync::{Arc, Mutex};

fn paused_runtimes() -> Vec<(String, Runtime)> {
    common::paused_runtimes(&[2])
}

#[test]
fn an_hour_of_sleep_passes_at_once_and_exactly() {
    for (flavor, rt) in paused_runtimes() {
        let real = std::time::Instant::now();
        let (start, end) = rt.block_on(async {
            let start = Instant::now();
            time::sleep(Duration::from_secs(3600)).await;
            (start, Instant::now())
        });
        assert_eq!(end - start, Duration::from_secs(3600), "{flavor}");
        assert!(real.elapsed() < Duration::from_secs(10), "{flavor}");
    }
}

#[test]
fn concurrent_sleeps_wake_in_deadline_order_at_their_deadlines() {
    for (flavor, rt) in paused_runtimes() {
        let woke = rt.block_on(async {
            let start = Instant::now();
            let order = Arc::new(Mutex::new(Vec::new()));
            let mut tasks = Vec::new();
            for secs in [30u64, 10, 20, 50, 40] {
                let order = order.clone();
                tasks.push(magpie::spawn(async move {
                    time::sleep(Duration::from_secs(secs)).await;
                    order.lock().unwrap().push((secs, Instant::now() - start));
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
            let woke = order.lock().unwrap().clone();
            woke
        });
        let expected: Vec<_> = [10u64, 20, 30, 40, 50]
            .into_iter()
            .map(|secs| (secs, Duration::from_secs(secs)))
            .collect();
        assert_eq!(woke, expected, "{flavor}");
    }
}

#[test]
fn now_stands_still_while_paused() {
    for (flavor, rt) in paused_runtimes() {
        rt.block_on(async {
            let before = Instant::now();
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert_eq!(Instant::now(), before, "{flavor}");
        });
    }
}

#[test]
fn advance_fires_exactly_the_timers_due() {
    for (flavor, rt) in paused_runtimes() {
        rt.block_on(async {
            let start = Instant::now();
            let mut sleep = Box::pin(time::sleep(Duration::from_millis(100)));
            // Polled once, so the timer is armed.
            assert!(futures::poll!(sleep.as_mut()).is_pending());
            time::advance(Duration::from_millis(99)).await;
            assert!(!sleep.is_elapsed(), "{flavor}");
            assert!(futures::poll!(sleep.as_mut()).is_pending(), "{flavor}");
            time::advance(Duration::from_millis(1)).await;
            assert!(sleep.is_elapsed(), "{flavor}");
            sleep.await;
            assert_eq!(
                Instant::now() - start,
                Duration::from_millis(100),
                "{flavor}"
            );
        });
    }
}

#[test]
fn interval_ticks_a_period_apart() {
    for (flavor, rt) in paused_runtimes() {
        rt.block_on(async {
            let mut interval = time::interval(Duration::from_secs(1));
            let first = interval.tick().await;
            for n in 1..=5u32 {
                let tick = interval.tick().await;
                assert_eq!(tick - first, Duration::from_secs(1) * n, "{flavor}");
            }
        });
    }
}

#[test]
fn a_blocking_job_holds_the_clock() {
    for (flavor, rt) in paused_runtimes() {
        let events = rt.block_on(async {
            let events = Arc::new(Mutex::new(Vec::new()));
            let job = magpie::task::spawn_blocking({
                let events = events.clone();
                move || {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    events.lock().unwrap().push("blocking job done");
                }
            });
            let timer = magpie::spawn({
                let events = events.clone();
                async move {
                    time::sleep(Duration::from_secs(60)).await;
                    events.lock().unwrap().push("timer fired");
                }
            });
            job.await.unwrap();
            timer.await.unwrap();
            let events = events.lock().unwrap().clone();
            events
        });
        assert_eq!(events, ["blocking job done", "timer fired"], "{flavor}");
    }
}

#[test]
fn socket_traffic_holds_the_clock() {
    for (flavor, rt) in paused_runtimes() {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            magpie::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 8];
                while socket.read_exact(&mut buf).await.is_ok() {
                    socket.write_all(&buf).await.unwrap();
                }
            });
            let mut client = TcpStream::connect(addr).await.unwrap();
            let start = Instant::now();
            for round in 0..200u64 {
                let exchange = async {
                    client.write_all(&round.to_be_bytes()).await.unwrap();
                    let mut back = [0u8; 8];
                    client.read_exact(&mut back).await.unwrap();
                    u64::from_be_bytes(back)
                };
                let echoed = time::timeout(Duration::from_secs(5), exchange)
                    .await
                    .unwrap_or_else(|_| panic!("{flavor}: the clock jumped over round {round}"));
                assert_eq!(echoed, round);
            }
            assert_eq!(Instant::now(), start, "{flavor}: no timer was due");
        });
    }
}

#[test]
fn resume_lets_real_time_run_again() {
    for (flavor, rt) in paused_runtimes() {
        rt.block_on(async {
            time::advance(Duration::from_secs(10)).await;
            time::resume();
            let before = Instant::now();
            let real = std::time::Instant::now();
            time::sleep(Duration::from_millis(20)).await;
            assert!(
                real.elapsed() >= std::time::Duration::from_millis(20),
                "{flavor}"
            );
            assert!(
                Instant::now() - before >= Duration::from_millis(20),
                "{flavor}"
            );
        });
    }
}

#[test]
fn pause_works_inside_a_running_runtime() {
    let rt = Builder::new().worker_threads(2).build().unwrap();
    rt.block_on(async {
        time::pause();
        let start = Instant::now();
        time::sleep(Duration::from_secs(86_400)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(86_400));
    });
}

#[magpie::test(start_paused = true)]
async fn start_paused_attribute_on_the_multi_thread_flavor() {
    let start = Instant::now();
    time::sleep(Duration::from_secs(7)).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(7));
}

#[magpie::test(flavor = "current_thread", start_paused = true)]
async fn start_paused_attribute_on_the_current_thread_flavor() {
    let start = Instant::now();
    time::timeout(Duration::from_secs(3), std::future::pending::<()>())
        .await
        .unwrap_err();
    assert_eq!(Instant::now() - start, Duration::from_secs(3));
}

#[test]
#[should_panic(expected = "must be called from the context of a magpie runtime")]
fn pause_outside_a_runtime_panics() {
    time::pause();
}

#[test]
fn advance_on_a_running_clock_panics_with_directions() {
    let rt = Builder::new_current_thread().build().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(time::advance(Duration::from_secs(1)))
    }));
    let payload = result.unwrap_err();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("time::pause()"), "{message}");
}
