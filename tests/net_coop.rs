//! The cooperative budget through the real runtime: on a single worker, a
//! task reading a connection that is always ready (its peer floods it) must
//! still let other tasks on that worker run — a task yielding in a loop, a
//! task sleeping 1 ms at a time, and a task spawned while the flood goes on.
//!
//! Without the budget the flooding reader would never return `Pending`, so
//! the other tasks would run only after it gives up (after [`FLOOD_CAP`]);
//! the tests then fail on their latency bound instead of hanging.

mod common;

use common::bounded;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use magpie::net::{TcpListener, TcpStream};
use magpie::task::yield_now;
use magpie::time::sleep;

/// The flooding reader stops after this long even if nobody tells it to, so
/// a starved runtime fails the latency checks rather than hanging.
const FLOOD_CAP: Duration = Duration::from_secs(8);

/// How long a latency-sensitive task may take to finish its small job while
/// the flood goes on (the job itself needs ~15 ms).
const LATENCY_BOUND: Duration = Duration::from_secs(2);

/// A connection whose far end a plain thread fills as fast as it can until
/// the connection breaks. Returns the magpie end.
async fn flooded_connection() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (stream, _) = bounded("accept", listener.accept()).await.unwrap();
    thread::spawn(move || {
        let chunk = vec![0x5a_u8; 64 * 1024];
        // Ends when the reader closes its end (EPIPE / ECONNRESET).
        while peer.write_all(&chunk).is_ok() {}
    });
    stream
}

/// The state a flooding reader shares with the test body and the other tasks.
/// The reader writes `reads` and `flooding`; everyone else only reads them,
/// and the test body sets `stop`.
struct Flood {
    reads: AtomicU64,
    flooding: AtomicBool,
    stop: AtomicBool,
}

impl Flood {
    fn new() -> Arc<Flood> {
        Arc::new(Flood {
            reads: AtomicU64::new(0),
            flooding: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        })
    }
}

/// Spawns a task that reads `stream` in tiny pieces (so data is always
/// waiting: the peer writes 64 KiB at a time) until told to stop or
/// [`FLOOD_CAP`] passes. Its handle resolves to the number of reads.
fn spawn_flooding_reader(
    mut stream: TcpStream,
    flood: Arc<Flood>,
) -> magpie::task::JoinHandle<u64> {
    magpie::spawn(async move {
        let started = Instant::now();
        flood.flooding.store(true, SeqCst);
        let mut buf = [0u8; 16];
        while !flood.stop.load(SeqCst) && started.elapsed() < FLOOD_CAP {
            let n = stream.read(&mut buf).await.expect("read the flood");
            assert!(n > 0, "the flooding peer never closes");
            flood.reads.fetch_add(1, SeqCst);
        }
        flood.flooding.store(false, SeqCst);
        flood.reads.load(SeqCst)
    })
}

async fn wait_for_flood_to_start(flood: &Flood) {
    bounded("the flood to start", async {
        while flood.reads.load(SeqCst) < 1000 {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// Asserts that a latency-sensitive task finished in time, while the flood
/// still went on.
fn check_latency(what: &str, took: Duration, flood_still_on: bool) {
    assert!(
        flood_still_on,
        "{what} ran only after the flooding reader stopped: it was starved"
    );
    assert!(
        took < LATENCY_BOUND,
        "{what} took {took:?} next to a flooding reader"
    );
}

#[magpie::test(worker_threads = 1)]
async fn a_flooding_reader_lets_yielding_and_sleeping_tasks_run() {
    let flood = Flood::new();
    let reader = spawn_flooding_reader(flooded_connection().await, flood.clone());
    wait_for_flood_to_start(&flood).await;

    // Spawned while the one worker is busy with the flood.
    let yielder = magpie::spawn({
        let flood = flood.clone();
        async move {
            let started = Instant::now();
            for _ in 0..100 {
                yield_now().await;
            }
            (started.elapsed(), flood.flooding.load(SeqCst))
        }
    });
    let sleeper = magpie::spawn({
        let flood = flood.clone();
        async move {
            let started = Instant::now();
            for _ in 0..10 {
                sleep(Duration::from_millis(1)).await;
            }
            (started.elapsed(), flood.flooding.load(SeqCst))
        }
    });

    let (took, flood_on) = bounded("the yielding task", yielder).await.unwrap();
    check_latency("100 yields", took, flood_on);
    let (took, flood_on) = bounded("the sleeping task", sleeper).await.unwrap();
    check_latency("10 sleeps of 1 ms", took, flood_on);

    // A task spawned later still gets its turn.
    let started = Instant::now();
    let flood_on = bounded(
        "a freshly spawned task",
        magpie::spawn({
            let flood = flood.clone();
            async move { flood.flooding.load(SeqCst) }
        }),
    )
    .await
    .unwrap();
    check_latency("a freshly spawned task", started.elapsed(), flood_on);

    flood.stop.store(true, SeqCst);
    let reads = bounded("the flooding reader", reader).await.unwrap();
    assert!(reads >= 1000);
}

#[magpie::test(worker_threads = 1)]
async fn two_flooding_readers_share_one_worker() {
    let flood_a = Flood::new();
    let flood_b = Flood::new();
    let reader_a = spawn_flooding_reader(flooded_connection().await, flood_a.clone());
    wait_for_flood_to_start(&flood_a).await;
    let reader_b = spawn_flooding_reader(flooded_connection().await, flood_b.clone());
    wait_for_flood_to_start(&flood_b).await;

    // Both keep making progress side by side.
    let a_before = flood_a.reads.load(SeqCst);
    let b_before = flood_b.reads.load(SeqCst);
    bounded("both readers to progress", async {
        while flood_a.reads.load(SeqCst) < a_before + 1000
            || flood_b.reads.load(SeqCst) < b_before + 1000
        {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(flood_a.flooding.load(SeqCst) && flood_b.flooding.load(SeqCst));

    flood_a.stop.store(true, SeqCst);
    flood_b.stop.store(true, SeqCst);
    bounded("reader a", reader_a).await.unwrap();
    bounded("reader b", reader_b).await.unwrap();
}
