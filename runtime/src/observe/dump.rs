//! Task dumps (`Handle::dump`): every live task of a runtime with its id,
//! spawn location, state, poll count and time since its last poll, read
//! from the task headers through the owned-task list.

use crate::clock;
use crate::task_core::list::OwnedTasks;
use crate::task_core::Id;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

/// What a task is doing when the dump reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting to be woken (a socket, a timer, a channel, a lock...).
    Idle,
    /// Woken and queued, waiting for a worker.
    Scheduled,
    /// Being polled by a worker right now.
    Running,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
        })
    }
}

/// One task in a [`Dump`].
#[derive(Clone, Debug)]
pub struct TaskInfo {
    id: Id,
    spawned_at: &'static Location<'static>,
    state: TaskState,
    polls: u64,
    since_last_poll: Duration,
}

impl TaskInfo {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Where it was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// What it was doing when the dump read it.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many times it was polled.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Time since its last poll started (since its spawn if never polled),
    /// to about a millisecond: workers stamp polls with a clock reading
    /// they refresh every few polls, and the stamp is kept in ~1 ms units.
    pub fn since_last_poll(&self) -> Duration {
        self.since_last_poll
    }
}

/// A snapshot of a runtime's live tasks (`Handle::dump().await`), the
/// longest-idle first: when a service hangs, the tasks that have not been
/// polled for a long time are where to look.
///
/// Listed: every task spawned onto the runtime (`spawn`, `Handle::spawn`,
/// `JoinSet::spawn`...) and, on a current-thread runtime, the tasks that
/// `spawn_local` put in the runtime's own local set. Not listed: tasks of a
/// `LocalSet` the program creates itself (they belong to the set, which no
/// runtime owns: it may be run inside any runtime, or none) and
/// `spawn_blocking` closures (they run on the blocking pool, not as tasks).
///
/// Its `Display` is a table, one task per line.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let _waiting = magpie::spawn(std::future::pending::<()>());
///     let dump = magpie::runtime::Handle::current().dump().await;
///     assert_eq!(dump.tasks().len(), 1);
///     println!("{dump}");
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Dump {
    tasks: Vec<TaskInfo>,
}

impl Dump {
    /// Reads every task of the `lists`, one list shard at a time.
    pub(crate) fn capture(lists: &[&OwnedTasks]) -> Dump {
        let now = clock::now_ns();
        let mut tasks = Vec::new();
        lists.iter().for_each(|owned| {
            owned.for_each(|header| {
                let snapshot = header.state.load();
                if snapshot.is_complete() {
                    return; // completing: about to leave the list
                }
                let state = if snapshot.is_running() {
                    TaskState::Running
                } else if snapshot.is_notified() {
                    TaskState::Scheduled
                } else {
                    TaskState::Idle
                };
                tasks.push(TaskInfo {
                    id: header.id,
                    spawned_at: header.spawned_at,
                    state,
                    polls: header.stats.polls(),
                    since_last_poll: header.stats.since_last_poll(now),
                });
            })
        });
        tasks.sort_by(|a, b| {
            b.since_last_poll
                .cmp(&a.since_last_poll)
                .then(a.id.cmp(&b.id))
        });
        Dump { tasks }
    }

    /// The tasks, the longest since their last poll first.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>8}  {:<9}  {:>8}  {:>14}  spawned at",
            "task", "state", "polls", "last poll ago"
        )?;
        for t in &self.tasks {
            writeln!(
                f,
                "{:>8}  {:<9}  {:>8}  {:>14}  {}",
                t.id.to_string(),
                t.state,
                t.polls,
                format!("{:.1?}", t.since_last_poll),
                t.spawned_at
            )?;
        }
        write!(f, "{} tasks", self.tasks.len())
    }
}
