//! Task hooks: each called once per event, in order, with the spawn site of
//! every spawn entry point; a panicking hook is reported and the runtime
//! goes on.

use magpie::runtime::{Builder, Runtime, TaskMeta};
use magpie::task::{Id, JoinSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Spawn,
    Before,
    After,
    Terminate,
}

type Log = Arc<Mutex<Vec<(Event, Id, u32)>>>;

fn logged_runtime(builder: &mut Builder) -> (Runtime, Log) {
    let log: Log = Arc::default();
    let record = |event| {
        let log = log.clone();
        move |meta: &TaskMeta| {
            log.lock()
                .unwrap()
                .push((event, meta.id(), meta.spawned_at().line()))
        }
    };
    let rt = builder
        .on_task_spawn(record(Event::Spawn))
        .on_before_task_poll(record(Event::Before))
        .on_after_task_poll(record(Event::After))
        .on_task_terminate(record(Event::Terminate))
        .build()
        .unwrap();
    (rt, log)
}

fn events_of(log: &Log, id: Id) -> Vec<Event> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(_, task, _)| *task == id)
        .map(|(event, _, _)| *event)
        .collect()
}

#[test]
fn hooks_run_once_per_event_in_order() {
    for current_thread in [false, true] {
        let mut builder = if current_thread {
            Builder::new_current_thread()
        } else {
            Builder::new_multi_thread()
        };
        builder.worker_threads(2);
        let (rt, log) = logged_runtime(&mut builder);
        let (id, yields) = rt.block_on(async {
            let task = magpie::spawn(async {
                magpie::task::yield_now().await;
                magpie::task::yield_now().await;
            });
            let id = task.id();
            task.await.unwrap();
            (id, 2)
        });
        // The terminate hook runs as the task completes, inside its last
        // poll, so before that poll's after-hook.
        let mut expected = vec![Event::Spawn];
        for _ in 0..yields {
            expected.extend([Event::Before, Event::After]);
        }
        expected.extend([Event::Before, Event::Terminate, Event::After]);
        // The join completes inside that last poll, so on a multi-thread
        // runtime the worker may still be about to run the after-hook when
        // block_on returns: give it a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut events = events_of(&log, id);
        while events.len() < expected.len() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
            events = events_of(&log, id);
        }
        assert_eq!(events, expected, "current_thread: {current_thread}");
    }
}

#[test]
fn aborted_and_shut_down_tasks_terminate_once() {
    let (rt, log) = logged_runtime(Builder::new_multi_thread().worker_threads(2));
    let aborted = rt.spawn(std::future::pending::<()>());
    let left = rt.spawn(std::future::pending::<()>());
    let (aborted_id, left_id) = (aborted.id(), left.id());
    aborted.abort();
    assert!(rt.block_on(aborted).unwrap_err().is_cancelled());
    drop(rt);
    for id in [aborted_id, left_id] {
        let events = events_of(&log, id);
        assert_eq!(events.first(), Some(&Event::Spawn));
        assert_eq!(
            events.iter().filter(|e| **e == Event::Terminate).count(),
            1,
            "{events:?}"
        );
        let terminated = events.iter().position(|e| *e == Event::Terminate).unwrap();
        assert!(
            !events[terminated..].contains(&Event::Before),
            "polled after it terminated: {events:?}"
        );
    }
}

#[test]
fn every_spawn_entry_point_records_its_call_site() {
    let (rt, log) = logged_runtime(Builder::new_multi_thread().worker_threads(2));
    let handle = rt.handle().clone();
    let mut expected = Vec::new();
    let mut ids = Vec::new();

    let task = rt.spawn(async {});
    expected.push(line!() - 1);
    ids.push(task.id());
    rt.block_on(task).unwrap();

    let task = handle.spawn(async {});
    expected.push(line!() - 1);
    ids.push(task.id());
    rt.block_on(task).unwrap();

    let (free, task_mod, in_set) = rt.block_on(async {
        let free = magpie::spawn(async {});
        let free_line = line!() - 1;
        let via_task = magpie::task::spawn(async {});
        let task_line = line!() - 1;
        let mut set = JoinSet::new();
        let in_set = set.spawn(async {});
        let set_line = line!() - 1;
        let ids = (free.id(), via_task.id(), in_set.id());
        free.await.unwrap();
        via_task.await.unwrap();
        set.join_next().await.unwrap().unwrap();
        ((ids.0, free_line), (ids.1, task_line), (ids.2, set_line))
    });
    for (id, line) in [free, task_mod, in_set] {
        ids.push(id);
        expected.push(line);
    }
    let log = log.lock().unwrap();
    for (id, line) in ids.into_iter().zip(expected) {
        let spawn = log
            .iter()
            .find(|(event, task, _)| *event == Event::Spawn && *task == id)
            .unwrap_or_else(|| panic!("no spawn hook call for task {id}"));
        assert_eq!(spawn.2, line, "spawned_at of task {id}");
    }
}

#[test]
fn a_panicking_hook_is_reported_and_the_runtime_goes_on() {
    let rt = Builder::new()
        .worker_threads(2)
        .on_task_spawn(|_| panic!("spawn hook fails"))
        .on_before_task_poll(|_| panic!("poll hook fails"))
        .on_after_task_poll(|_| panic!("after-poll hook fails"))
        .on_task_terminate(|_| panic!("terminate hook fails"))
        .build()
        .unwrap();
    let sum = rt.block_on(async {
        let tasks: Vec<_> = (0..10u32)
            .map(|i| magpie::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 45);
    // The workers survived: the runtime still runs tasks.
    let later = rt.spawn(async {
        magpie::time::sleep(Duration::from_millis(1)).await;
        7
    });
    assert_eq!(rt.block_on(later).unwrap(), 7);
}

#[test]
fn join_set_spawn_on_keeps_its_call_site_in_dumps() {
    let rt = Builder::new().worker_threads(1).build().unwrap();
    let mut set = JoinSet::new();
    set.spawn_on(std::future::pending::<()>(), rt.handle());
    let line = line!() - 1;
    let dump = rt.block_on(rt.handle().dump());
    assert_eq!(dump.tasks().len(), 1);
    assert_eq!(dump.tasks()[0].spawned_at().line(), line);
    assert_eq!(dump.tasks()[0].spawned_at().file(), file!());
    set.abort_all();
}

/// Set in the child process of `panicking_hooks_are_reported_on_stderr`.
const CHILD_ENV: &str = "MAGPIE_RT_HOOKS_PANIC_CHILD";

/// The child's part: one task through a runtime whose four hooks panic,
/// each with its own message. A no-op in the ordinary test run.
#[test]
fn panicking_hooks_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    for current_thread in [false, true] {
        let mut builder = if current_thread {
            Builder::new_current_thread()
        } else {
            Builder::new_multi_thread()
        };
        let rt = builder
            .worker_threads(1)
            .on_task_spawn(|_| panic!("boom-spawn"))
            .on_before_task_poll(|_| panic!("boom-before"))
            .on_after_task_poll(|_| panic!("boom-after"))
            .on_task_terminate(|_| panic!("boom-terminate"))
            .build()
            .unwrap();
        assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7);
    }
}

/// A panicking hook is caught and reported on stderr with the hook's name
/// and the panic's message (the after-poll hook too), and the runtime goes
/// on: checked in a child process (this test binary, running
/// `panicking_hooks_child`), whose stderr is read here.
#[test]
fn panicking_hooks_are_reported_on_stderr() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "panicking_hooks_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the child failed: {stderr}");
    for (hook, message) in [
        ("on_task_spawn", "boom-spawn"),
        ("on_before_task_poll", "boom-before"),
        ("on_after_task_poll", "boom-after"),
        ("on_task_terminate", "boom-terminate"),
    ] {
        let report = format!("magpie: the {hook} hook panicked for task ");
        let reported = stderr
            .lines()
            .filter(|line| line.starts_with(&report) && line.contains(message))
            .count();
        // Once per runtime flavor.
        assert_eq!(reported, 2, "{hook} reports in: {stderr}");
        assert!(
            stderr.contains(&format!("{message}; the runtime goes on")),
            "{stderr}"
        );
    }
}
