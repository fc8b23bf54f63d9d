//! `Handle::dump()`: tasks waiting on a sleep, a socket and a channel are
//! listed with their spawn sites, the longest idle first; dumps taken while
//! tasks spawn and finish on every worker neither crash nor miss a
//! long-lived task.

use magpie::runtime::{Builder, Handle, TaskState};
use std::time::{Duration, Instant};

#[test]
fn waiting_tasks_are_listed_idle_longest_first() {
    let rt = Builder::new().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let sleeper = magpie::spawn(magpie::time::sleep(Duration::from_secs(60)));
        let sleeper_line = line!() - 1;
        magpie::time::sleep(Duration::from_millis(50)).await;
        let listener = magpie::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let acceptor = magpie::spawn(async move { listener.accept().await.map(|_| ()) });
        let acceptor_line = line!() - 1;
        let (tx, rx) = magpie::sync::oneshot::channel::<()>();
        let receiver = magpie::spawn(rx);
        let receiver_line = line!() - 1;

        // Wait until each has been polled once and parked.
        let deadline = Instant::now() + Duration::from_secs(10);
        let dump = loop {
            let dump = Handle::current().dump().await;
            if dump.tasks().len() == 3
                && dump
                    .tasks()
                    .iter()
                    .all(|t| t.polls() >= 1 && t.state() == TaskState::Idle)
            {
                break dump;
            }
            assert!(Instant::now() < deadline, "tasks never parked: {dump}");
            magpie::time::sleep(Duration::from_millis(5)).await;
        };
        let lines: Vec<u32> = dump.tasks().iter().map(|t| t.spawned_at().line()).collect();
        assert!(lines.contains(&sleeper_line));
        assert!(lines.contains(&acceptor_line));
        assert!(lines.contains(&receiver_line));
        // The sleeper was last polled 50 ms before the others.
        assert_eq!(dump.tasks()[0].id(), sleeper.id(), "{dump}");
        assert!(dump.tasks()[0].since_last_poll() >= Duration::from_millis(40));
        for pair in dump.tasks().windows(2) {
            assert!(pair[0].since_last_poll() >= pair[1].since_last_poll());
        }
        let table = dump.to_string();
        assert!(table.contains("spawned at"), "{table}");
        assert!(table.contains(file!()), "{table}");
        assert!(table.contains("idle"), "{table}");
        assert!(table.ends_with("3 tasks"), "{table}");

        drop(tx);
        receiver.await.unwrap().unwrap_err();
        sleeper.abort();
        acceptor.abort();
    });
}

#[test]
fn dumps_during_churn_see_every_long_lived_task() {
    let rt = Builder::new().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let long_lived: Vec<_> = (0..20)
            .map(|_| magpie::spawn(std::future::pending::<()>()))
            .collect();
        let ids: Vec<_> = long_lived.iter().map(|t| t.id()).collect();
        // Spawners on both workers keep creating and finishing tasks.
        let churn: Vec<_> = (0..4)
            .map(|_| {
                magpie::spawn(async {
                    let start = Instant::now();
                    while start.elapsed() < Duration::from_millis(300) {
                        let batch: Vec<_> =
                            (0..50).map(|i| magpie::spawn(async move { i })).collect();
                        for task in batch {
                            task.await.unwrap();
                        }
                        magpie::task::yield_now().await;
                    }
                })
            })
            .collect();
        let start = Instant::now();
        let mut dumps = 0;
        while start.elapsed() < Duration::from_millis(300) {
            let dump = Handle::current().dump().await;
            for id in &ids {
                assert!(
                    dump.tasks().iter().any(|t| t.id() == *id),
                    "task {id} missing from a dump"
                );
            }
            dumps += 1;
            magpie::task::yield_now().await;
        }
        assert!(dumps > 1);
        for task in churn {
            task.await.unwrap();
        }
        for task in long_lived {
            task.abort();
        }
    });
}

#[test]
fn a_running_task_shows_as_running() {
    let rt = Builder::new().worker_threads(2).build().unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let busy = rt.spawn(async move {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();
    let dump = rt.block_on(rt.handle().dump());
    let info = dump.tasks().iter().find(|t| t.id() == busy.id()).unwrap();
    assert_eq!(info.state(), TaskState::Running);
    release_tx.send(()).unwrap();
    rt.block_on(busy).unwrap();
}

/// A task spawned from a thread outside the runtime, never polled yet, is
/// stamped with the real time of its spawn, not with a clock reading that
/// thread cached at an earlier spawn (nothing refreshes it there).
#[test]
fn a_task_spawned_from_outside_long_after_start_is_not_shown_as_old() {
    for current_thread in [false, true] {
        let mut builder = if current_thread {
            Builder::new_current_thread()
        } else {
            Builder::new_multi_thread()
        };
        // One worker, kept busy below, so the new task stays unpolled.
        let rt = builder
            .worker_threads(1)
            .stall_threshold(None)
            .build()
            .unwrap();
        // A first spawn from this thread: a stale cache would date from here.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            let _ = blocked.recv_timeout(Duration::from_secs(10));
        });
        std::thread::sleep(Duration::from_millis(300));
        let fresh = rt.spawn(std::future::pending::<()>());
        // A current-thread runtime polls `dump()` before its queued tasks;
        // a multi-thread one's only worker still sits in `blocker`'s poll.
        let dump = rt.block_on(rt.handle().dump());
        let info = dump
            .tasks()
            .iter()
            .find(|t| t.id() == fresh.id())
            .unwrap_or_else(|| panic!("the new task is missing: {dump}"));
        assert_eq!(info.polls(), 0, "current_thread: {current_thread}: {dump}");
        assert!(
            info.since_last_poll() < Duration::from_millis(100),
            "current_thread: {current_thread}: spawned just now, shown as {:?} old: {dump}",
            info.since_last_poll()
        );
        release.send(()).unwrap();
        if !current_thread {
            rt.block_on(blocker).unwrap();
        }
        fresh.abort();
    }
}

/// On a current-thread runtime, `spawn_local` tasks (in the runtime's own
/// local set) are listed too, polls counted; every spawn entry point is
/// `#[track_caller]`: the dump shows the caller's line for `spawn_local`
/// and `JoinSet::spawn`.
#[test]
fn spawn_local_and_join_set_tasks_are_listed_at_their_call_sites() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let local = magpie::task::spawn_local(std::future::pending::<()>());
        let local_line = line!() - 1;
        let mut set = magpie::task::JoinSet::new();
        let in_set = set.spawn(std::future::pending::<()>());
        let set_line = line!() - 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        let dump = loop {
            // Not `yield_now`: the runtime polls a `block_on` future that
            // woke itself before its queued tasks.
            magpie::time::sleep(Duration::from_millis(1)).await;
            let dump = Handle::current().dump().await;
            if dump.tasks().len() == 2 && dump.tasks().iter().all(|t| t.polls() >= 1) {
                break dump;
            }
            assert!(Instant::now() < deadline, "tasks never polled: {dump}");
        };
        for (id, line) in [(local.id(), local_line), (in_set.id(), set_line)] {
            let info = dump.tasks().iter().find(|t| t.id() == id).unwrap();
            assert_eq!(info.spawned_at().line(), line, "{dump}");
            assert_eq!(info.spawned_at().file(), file!(), "{dump}");
            assert_eq!(info.state(), TaskState::Idle, "{dump}");
        }
        local.abort();
        set.abort_all();
    });
}
