//! How the runtime drives its timers, seen from outside. There is no driver
//! thread: an idle worker blocks in the reactor with the next deadline as
//! its timeout, and busy workers poll the driver every 61 scheduler ticks.
//! So a timer must fire when every worker is idle (and the sleeper is the
//! `block_on` thread, not a task), when a worker is already blocked on a far
//! deadline and an earlier timer is armed (tokio issue 3190), and when every
//! worker is busy with CPU-bound tasks.
//!
//! The tests in this file take `SERIAL` so that the CPU-bound one cannot
//! delay the timers that the others measure.

mod common;

use common::{ms, runtime, wait_until, with_timeout, HANG_LIMIT};
use magpie::runtime::Runtime;
use magpie::time::{self, Duration, Instant};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread;

/// Held by each test of this file for its whole run.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    // A failed test poisons the lock; the others still run.
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Long enough for both workers of a runtime to run out of work and park,
/// one of them in the driver.
const SETTLE: Duration = Duration::from_millis(30);

/// The most a short sleep may overrun before the test calls its wakeup
/// missing. A missed unpark shows up as seconds.
const ON_TIME: Duration = Duration::from_millis(100);

/// Sleeps `requested` in `rt.block_on` and returns how long it took.
fn block_on_sleep(rt: &Runtime, requested: Duration) -> Duration {
    rt.block_on(async move {
        let start = Instant::now();
        time::sleep(requested).await;
        start.elapsed()
    })
}

fn assert_on_time(requested: Duration, took: Duration, what: &str) {
    assert!(
        took >= requested,
        "{what}: a {requested:?} sleep took only {took:?}"
    );
    assert!(
        took < requested + ON_TIME,
        "{what}: a {requested:?} sleep took {took:?}: a wakeup was missed"
    );
}

#[test]
fn a_sleep_in_block_on_fires_while_every_worker_is_idle() {
    let _serial = serial();
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        for requested in [ms(1), ms(5), ms(20), ms(50)] {
            thread::sleep(SETTLE);
            let took = block_on_sleep(&rt, requested);
            assert_on_time(requested, took, "block_on, idle workers");
        }
    });
}

#[test]
fn an_earlier_timer_wakes_a_worker_blocked_on_a_far_deadline() {
    let _serial = serial();
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        // The only timer for a while: an idle worker blocks in the driver
        // with a timeout of about 10 s.
        let far = rt.spawn(async { time::sleep(Duration::from_secs(10)).await });
        for round in 0..5 {
            // From a task: spawning it wakes some worker, maybe not the one
            // blocked in the driver.
            thread::sleep(SETTLE);
            let (took_tx, took_rx) = mpsc::channel();
            rt.spawn(async move {
                let start = Instant::now();
                time::sleep(ms(5)).await;
                took_tx.send(start.elapsed()).unwrap();
            });
            let took = took_rx
                .recv_timeout(Duration::from_secs(2))
                .unwrap_or_else(|_| {
                    panic!(
                        "round {round}: a 5 ms sleep armed in a task did not fire within 2 s \
                         while a worker waited on a 10 s deadline"
                    )
                });
            assert_on_time(ms(5), took, "armed in a task");

            // From `block_on`: arming the timer is then the only thing that
            // can wake the worker blocked in the driver.
            thread::sleep(SETTLE);
            let took = block_on_sleep(&rt, ms(5));
            assert_on_time(ms(5), took, "armed in block_on");
        }
        assert!(!far.is_finished());
        far.abort();
    });
}

/// Keeps a worker busy until `stop`: short CPU bursts between yields.
async fn spin(stop: Arc<AtomicBool>, threads: Arc<Mutex<HashSet<thread::ThreadId>>>) {
    while !stop.load(SeqCst) {
        threads.lock().unwrap().insert(thread::current().id());
        let burst = Instant::now();
        while burst.elapsed() < Duration::from_micros(50) {
            std::hint::spin_loop();
        }
        magpie::task::yield_now().await;
    }
}

#[test]
fn sleeps_fire_while_every_worker_is_busy_with_cpu_bound_tasks() {
    let _serial = serial();
    with_timeout(HANG_LIMIT, || {
        let rt = runtime(2);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = Arc::new(Mutex::new(HashSet::new()));
        for _ in 0..4 {
            rt.spawn(spin(stop.clone(), threads.clone()));
        }
        // No worker parks from here on: only the periodic maintenance polls
        // the driver.
        wait_until("spinning tasks run on both workers", HANG_LIMIT, || {
            threads.lock().unwrap().len() == 2
        });

        let mut lateness = Vec::new();
        for requested in [ms(1), ms(5), ms(10), ms(20), ms(5), ms(1)] {
            let (took_tx, took_rx) = mpsc::channel();
            rt.spawn(async move {
                let start = Instant::now();
                time::sleep(requested).await;
                took_tx.send(start.elapsed()).unwrap();
            });
            let took = took_rx
                .recv_timeout(Duration::from_secs(2))
                .unwrap_or_else(|_| {
                    panic!(
                        "a {requested:?} sleep did not fire within 2 s while every worker was busy"
                    )
                });
            assert_on_time(requested, took, "task, busy workers");
            lateness.push(took - requested);
        }
        // A `block_on` sleeper is woken through the same maintenance path.
        let took = block_on_sleep(&rt, ms(5));
        assert_on_time(ms(5), took, "block_on, busy workers");
        println!("lateness of sleeps while both workers spin: {lateness:?}");

        stop.store(true, SeqCst);
    });
}
