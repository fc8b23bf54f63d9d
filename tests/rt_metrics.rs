//! `Handle::metrics()`: counters checked against workloads whose effect is
//! known, on both runtime flavors.

use magpie::runtime::{Builder, Runtime};
use std::time::{Duration, Instant};

fn multi(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

/// Polls `cond` every millisecond for up to 10 s.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn spawning_1000_tasks_counts_1000_and_alive_returns_to_its_start() {
    let rt = multi(2);
    let metrics = rt.handle().metrics();
    let spawned = metrics.spawned_tasks_count();
    let alive = metrics.num_alive_tasks();
    rt.block_on(async {
        let tasks: Vec<_> = (0..1000)
            .map(|i| magpie::spawn(async move { i * 2 }))
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), i * 2);
        }
    });
    assert_eq!(metrics.spawned_tasks_count() - spawned, 1000);
    eventually("alive tasks back to the start", || {
        metrics.num_alive_tasks() == alive
    });
    let polls: u64 = (0..2).map(|w| metrics.worker_poll_count(w)).sum();
    assert!(polls >= 1000, "{polls} polls for 1000 tasks");
    // One poll in `sample_interval` is timed, on each worker.
    let histogram = metrics.poll_time_histogram();
    let timed = histogram.total_count();
    let sampled = polls / histogram.sample_interval();
    assert!(
        timed + 2 >= sampled && timed <= sampled + 2,
        "{timed} timed polls out of {polls}"
    );
    let buckets = histogram.buckets();
    assert_eq!(buckets[0].range().start, Duration::ZERO);
    for pair in buckets.windows(2) {
        assert_eq!(pair[0].range().end, pair[1].range().start);
    }
}

#[test]
fn alive_tasks_count_tasks_that_wait() {
    let rt = multi(2);
    let metrics = rt.handle().metrics();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let waiting: Vec<_> = (0..10)
        .map(|_| rt.spawn(std::future::pending::<()>()))
        .collect();
    assert_eq!(metrics.num_alive_tasks(), 10);
    for task in &waiting {
        task.abort();
    }
    eventually("aborted tasks leave", || metrics.num_alive_tasks() == 0);
    drop((tx, rx));
}

#[test]
fn a_blocked_workers_busy_duration_grows_while_it_is_blocked() {
    let rt = Builder::new()
        .worker_threads(1)
        .stall_threshold(None)
        .build()
        .unwrap();
    let metrics = rt.handle().metrics();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        started_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(400));
    });
    started_rx.recv().unwrap();
    let first = metrics.worker_total_busy_duration(0);
    std::thread::sleep(Duration::from_millis(150));
    let second = metrics.worker_total_busy_duration(0);
    assert!(
        second >= first + Duration::from_millis(100),
        "busy time went from {first:?} to {second:?} while the worker was blocked"
    );
}

#[test]
fn parks_steals_and_the_local_queue_are_counted() {
    let rt = multi(2);
    let metrics = rt.handle().metrics();
    eventually("both workers parked once", || {
        metrics.worker_park_count(0) > 0 && metrics.worker_park_count(1) > 0
    });
    // One task fans out 200 busy children on its worker: the other worker
    // steals some of them.
    rt.block_on(async {
        magpie::spawn(async {
            let children: Vec<_> = (0..200)
                .map(|_| {
                    magpie::spawn(async {
                        let start = Instant::now();
                        while start.elapsed() < Duration::from_micros(200) {
                            std::hint::spin_loop();
                        }
                    })
                })
                .collect();
            for child in children {
                child.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    let steals: u64 = (0..2).map(|w| metrics.worker_steal_count(w)).sum();
    assert!(steals > 0, "no steals counted");
    assert_eq!(metrics.worker_local_queue_depth(0), 0);
    assert_eq!(metrics.global_queue_depth(), 0);
    assert!(metrics.worker_mean_poll_time(0) + metrics.worker_mean_poll_time(1) > Duration::ZERO);
}

#[test]
fn io_events_and_the_blocking_pool_are_counted() {
    let rt = multi(2);
    let metrics = rt.handle().metrics();
    let ready = metrics.io_driver_ready_count();
    rt.block_on(async {
        let listener = magpie::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = magpie::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            socket.read_exact(&mut buf).await.unwrap();
            socket.write_all(&buf).await.unwrap();
        });
        let mut client = magpie::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        client.read_exact(&mut buf).await.unwrap();
        server.await.unwrap();
    });
    assert!(metrics.io_driver_ready_count() > ready);

    assert_eq!(metrics.blocking_queue_depth(), 0);
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let job = rt.spawn_blocking(move || release_rx.recv().unwrap());
    eventually("a blocking thread", || metrics.blocking_threads() >= 1);
    release_tx.send(()).unwrap();
    rt.block_on(job).unwrap();
}

#[test]
#[should_panic(expected = "worker index 2 out of range")]
fn a_worker_index_out_of_range_panics_with_a_clear_message() {
    let rt = multi(2);
    rt.handle().metrics().worker_poll_count(2);
}

#[test]
fn a_current_thread_runtime_reports_one_worker() {
    let rt = Builder::new_current_thread().build().unwrap();
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.num_workers(), 1);
    rt.block_on(async {
        for _ in 0..100 {
            magpie::spawn(async {}).await.unwrap();
        }
    });
    assert_eq!(metrics.spawned_tasks_count(), 100);
    assert_eq!(metrics.num_alive_tasks(), 0);
    assert!(metrics.worker_poll_count(0) >= 100);
    assert!(metrics.worker_total_busy_duration(0) > Duration::ZERO);
    assert_eq!(metrics.global_queue_depth(), 0);
}
