//! `Inject`: the runtime's global run queue (crossbeam's lock-free
//! `Injector`), with the batch operations the workers need.
//!
//! It takes the tasks spawned or woken from outside the workers, and the half
//! of a worker's local queue that overflows (`queue::Local::push_back`).
//! Workers take from it every `GLOBAL_QUEUE_INTERVAL` ticks and whenever
//! their own queue is empty.
//!
//! A `Mutex<VecDeque>` (which, unlike crossbeam's blocks of 63 slots, frees
//! nothing on the consumer's thread) was tried and measured much slower with
//! a thread outside the runtime spawning into busy workers
//! (`cargo bench --bench scheduler`, spawn_many_remote_busy 3.2x tokio's time
//! against 0.5x): on 2 cores, a lock holder that gets descheduled stalls
//! every worker that checks the queue.
//!
//! Shared state: the injector is internally synchronised; any thread pushes,
//! workers pop.
//!
//! Uses crossbeam-deque and the task type; nothing of the workers.

use super::Task;
use crossbeam_deque::{Injector, Steal};

pub(crate) struct Inject {
    tasks: Injector<Task>,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            tasks: Injector::new(),
        }
    }

    pub(crate) fn push(&self, task: Task) {
        self.tasks.push(task);
    }

    /// Pushes every task of `tasks`, in order.
    pub(crate) fn push_batch(&self, tasks: &mut dyn Iterator<Item = Task>) {
        for task in tasks {
            self.tasks.push(task);
        }
    }

    /// Takes the oldest task.
    pub(crate) fn pop(&self) -> Option<Task> {
        loop {
            match self.tasks.steal() {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Takes the oldest task and up to `more` others after it, which it
    /// hands to `keep` in order.
    pub(crate) fn pop_batch(&self, more: usize, mut keep: impl FnMut(Task)) -> Option<Task> {
        let first = self.pop()?;
        for _ in 0..more {
            match self.pop() {
                Some(task) => keep(task),
                None => break,
            }
        }
        Some(first)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }
}
