//! An idle runtime uses ~0% CPU: its own threads (found by a unique
//! `thread_name` in `/proc/self/task/*/comm`, which also prefixes the stall
//! watchdog's `<name>-watchd`) burn less than 50 ms of CPU time over 500 ms
//! of idleness, also right after heavy network traffic (the worker in the
//! IO driver spins briefly before sleeping only while events come fast),
//! and wake up at most a couple of times in all. Catches workers (and
//! whichever of them waits in the IO/timer driver), any helper thread, or
//! the blocking pool left spinning or waking up periodically: the CPU
//! budget catches spinning, the wake-up count catches a thread that wakes
//! periodically but cheaply (a watchdog ticking every 25 ms costs
//! microseconds of CPU, but 20 wake-ups).

mod common;

use magpie::runtime::{Builder, Runtime};
use std::future::pending;
use std::time::Duration;

const IDLE_WINDOW: Duration = Duration::from_millis(500);
const CPU_BUDGET: Duration = Duration::from_millis(50);
/// Voluntary context switches (sleeps after a wake-up) allowed to all the
/// runtime's threads together over the idle window.
const WAKEUP_BUDGET: u64 = 2;

/// CPU time (user + system) used so far by this process's threads whose
/// name starts with `prefix`, and how many such threads there are. Read
/// from each thread's CPU-time clock (nanoseconds; `/proc`'s utime and
/// stime only count 10 ms ticks).
fn cpu_time_of_threads(prefix: &str) -> (Duration, usize) {
    let mut total = Duration::ZERO;
    let mut threads = 0;
    for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue; // the thread exited meanwhile
        };
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let tid: libc::pid_t = entry.file_name().to_str().unwrap().parse().unwrap();
        // The kernel's CPU-time clock of thread `tid` (the encoding glibc's
        // `pthread_getcpuclockid` uses: !tid << 3 | CPUCLOCK_SCHED | per-thread).
        let clock = (!tid << 3) | 6;
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `time` is a valid, writable timespec; an invalid clock
        // (the thread exited) is reported as an error, not UB.
        if unsafe { libc::clock_gettime(clock, &mut time) } != 0 {
            continue;
        }
        total += Duration::new(time.tv_sec as u64, time.tv_nsec as u32);
        threads += 1;
    }
    (total, threads)
}

fn runtime_named(name: &str, workers: usize) -> Runtime {
    assert!(
        name.len() <= 8,
        "keep room for a helper thread's suffix in 15 bytes"
    );
    Builder::new()
        .worker_threads(workers)
        .thread_name(name)
        .build()
        .unwrap()
}

/// Measures the named runtime's threads over the idle window. At least
/// `min_threads` must be found (the workers, plus blocking threads); a
/// helper thread named after the runtime is measured too.
fn assert_idle(name: &str, min_threads: usize) {
    // Let the threads finish whatever the setup woke them for.
    std::thread::sleep(Duration::from_millis(50));
    let wakeups_before = common::wakeups_of_threads(name);
    let (before, threads) = cpu_time_of_threads(name);
    assert!(
        threads >= min_threads,
        "found only {threads} of the runtime's threads"
    );
    // The stall watchdog (on by default) is among the threads measured.
    assert_eq!(
        cpu_time_of_threads(&format!("{name}-watchd")).1,
        1,
        "the watchdog thread was not found"
    );
    std::thread::sleep(IDLE_WINDOW);
    let (after, threads_after) = cpu_time_of_threads(name);
    let wakeups = common::wakeups_of_threads(name) - wakeups_before;
    assert_eq!(
        threads_after, threads,
        "a thread of the idle runtime started or exited"
    );
    let used = after.saturating_sub(before);
    assert!(
        used < CPU_BUDGET,
        "an idle runtime used {used:?} of CPU in {IDLE_WINDOW:?} (budget {CPU_BUDGET:?})"
    );
    assert!(
        wakeups <= WAKEUP_BUDGET,
        "the threads of an idle runtime woke up {wakeups} times in {IDLE_WINDOW:?} \
         (budget {WAKEUP_BUDGET})"
    );
}

#[test]
fn an_idle_runtime_uses_almost_no_cpu() {
    let rt = runtime_named("mpidle-a", 2);
    // Some work first, so every worker has run and parked again.
    rt.block_on(async {
        let handles: Vec<_> = (0..1000).map(|i| magpie::spawn(async move { i })).collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_idle("mpidle-a", 2);
}

#[test]
fn a_runtime_with_only_waiting_tasks_uses_almost_no_cpu() {
    let rt = runtime_named("mpidle-b", 2);
    let _waiting: Vec<_> = (0..100).map(|_| rt.spawn(pending::<()>())).collect();
    // A far-away timer must not make the driver wake up periodically.
    let _sleeping = rt.spawn(async { magpie::time::sleep(Duration::from_secs(3600)).await });
    let (_tx, rx) = futures::channel::oneshot::channel::<()>();
    let _receiving = rt.spawn(rx);
    rt.block_on(async { magpie::time::sleep(Duration::from_millis(5)).await });
    assert_idle("mpidle-b", 2);
}

#[test]
fn an_idle_blocking_thread_uses_almost_no_cpu() {
    let rt = runtime_named("mpidle-c", 1);
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    // The blocking thread now waits out its 10 s keep-alive.
    assert_idle("mpidle-c", 1 + 1); // worker + blocking thread
}

/// The worker that waits in the IO driver polls it for a few tens of
/// microseconds before sleeping while events come thick and fast; once the
/// traffic stops it must go back to sleeping at once.
#[test]
fn a_runtime_idle_after_network_traffic_uses_almost_no_cpu() {
    use magpie::net::{TcpListener, TcpStream};
    let rt = runtime_named("mpidle-d", 2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = magpie::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 32];
            while stream.read_exact(&mut buf).await.is_ok() {
                stream.write_all(&buf).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut buf = [1u8; 32];
        for _ in 0..2_000 {
            client.write_all(&buf).await.unwrap();
            client.read_exact(&mut buf).await.unwrap();
        }
        drop(client);
        server.await.unwrap();
    });
    assert_idle("mpidle-d", 2);
}
