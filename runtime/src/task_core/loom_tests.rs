//! Loom models of the task protocol: a wake racing a poll, `abort` racing a
//! run (and a wake), the `JoinHandle` dropped or polled while the task
//! completes on another thread.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom -C debug-assertions" cargo test -p magpie-runtime --lib --release loom`
//! (release keeps loom fast; the debug assertions check the state machine's
//! invariants in every interleaving; all models take ~15 s together).
//!
//! The tasks are real (`new_task`, the real harness, state word and wakers);
//! only the scheduler is a mock: a queue in a loom mutex that the model's
//! threads drain by hand. Besides loom's own checks (every interleaving,
//! deadlocks, leaked `loom::sync::Arc`s), the values that cross threads carry
//! probes: the output and the future's destructor write loom `UnsafeCell`s
//! that the `JoinHandle` side reads, and each join waker instance owns one
//! that `wake_by_ref` reads and `drop` writes. Any access to those not
//! ordered by happens-before against a conflicting one is a loom failure, so
//! the models check the state word's orderings, not only its values.
//! Counters check that the future, the output and the task allocation are
//! each dropped exactly once.

use super::{new_task, Id, JoinHandle, Notified, RawTask, Schedule};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
// Relaxed throughout: counters are read after the threads are joined, and a
// flag handed between threads must be ordered by the protocol under test,
// which is what the models check.
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// Runs `model` under loom over every interleaving and reports (with
/// `--nocapture`) how many there were, so a model that silently stopped
/// exploring shows up as a tiny count.
fn check(name: &str, model: impl Fn() + Sync + Send + 'static) {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    loom::model::Builder::new().check(move || {
        counter.fetch_add(1, Relaxed);
        model();
    });
    eprintln!("{name}: {} interleavings", runs.load(Relaxed));
}

/// What a model's threads share: the mock scheduler's queue and the probes.
/// Every field is written and read by any thread of the model; the counters
/// are only compared after the threads are joined (so Relaxed is enough).
struct World {
    /// Queued tasks; pushed by `Schedule`, popped by `drain`.
    queue: Mutex<VecDeque<Notified<Mock>>>,
    /// The owner references of live tasks (the mock's owned-task list).
    owned: Mutex<Vec<RawTask>>,
    /// The last waker a `WaitForFlag` future stored.
    waker_slot: Mutex<Option<Waker>>,
    /// What a `WaitForFlag` future waits for. Relaxed on both sides on
    /// purpose: the task's wake -> poll hand-over must order it.
    flag: AtomicBool,
    futures_dropped: AtomicUsize,
    /// Written by the future's destructor; the join side reads it after
    /// `Ready`, so loom checks the destructor happens-before that.
    future_gone: Checked<bool>,
    outputs_made: AtomicUsize,
    outputs_dropped: AtomicUsize,
    tasks_freed: AtomicUsize,
    /// Loom violations caught inside the runtime's `catch_unwind`s (where a
    /// panicking output destructor is swallowed by design). Plain std: the
    /// record must not add interleavings.
    violations: std::sync::Mutex<Vec<String>>,
}

impl World {
    fn new() -> Arc<World> {
        Arc::new(World {
            queue: Mutex::new(VecDeque::new()),
            owned: Mutex::new(Vec::new()),
            waker_slot: Mutex::new(None),
            flag: AtomicBool::new(false),
            futures_dropped: AtomicUsize::new(0),
            future_gone: Checked::new(false),
            outputs_made: AtomicUsize::new(0),
            outputs_dropped: AtomicUsize::new(0),
            tasks_freed: AtomicUsize::new(0),
            violations: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Runs `access`; if it panics (a loom violation), records that before
    /// unwinding, so a runtime `catch_unwind` cannot hide it.
    fn probe<R>(&self, what: &str, access: impl FnOnce() -> R) -> R {
        match catch_unwind(AssertUnwindSafe(access)) {
            Ok(r) => r,
            Err(panic) => {
                self.violations.lock().unwrap().push(what.to_string());
                resume_unwind(panic)
            }
        }
    }

    /// The end of a model, after every thread was joined: nothing queued,
    /// nothing owned, the waker slot emptied (it would keep the task alive),
    /// and no probe failed.
    fn finish(&self) {
        assert!(
            self.queue.lock().unwrap().is_empty(),
            "a task stayed queued"
        );
        assert!(
            self.owned.lock().unwrap().is_empty(),
            "a task never completed"
        );
        drop(self.waker_slot.lock().unwrap().take());
        let violations = self.violations.lock().unwrap();
        assert!(violations.is_empty(), "unordered accesses: {violations:?}");
    }

    /// Polls/cancels queued tasks until the queue is empty.
    fn drain(&self) {
        loop {
            let next = self.queue.lock().unwrap().pop_front();
            match next {
                Some(task) => task.run(),
                None => return,
            }
        }
    }

    fn take_waker(&self) -> Waker {
        self.waker_slot
            .lock()
            .unwrap()
            .take()
            .expect("the future stored no waker")
    }

    /// Counts after the model's threads are joined, when every task is gone.
    fn assert_all_freed(&self, outputs: usize) {
        assert_eq!(self.futures_dropped.load(Relaxed), 1, "future drops");
        assert_eq!(self.outputs_made.load(Relaxed), outputs, "outputs made");
        assert_eq!(self.outputs_dropped.load(Relaxed), outputs, "output drops");
        assert_eq!(self.tasks_freed.load(Relaxed), 1, "task allocations freed");
    }
}

/// A loom-checked cell that several threads may reach; loom panics on any
/// access not ordered by happens-before against a conflicting one.
struct Checked<T>(UnsafeCell<T>);

// SAFETY: every access goes through loom's tracked `with`/`with_mut`, which
// fails the model on any pair of conflicting accesses not ordered by
// happens-before; a passing model therefore proves the accesses exclusive.
unsafe impl<T: Send> Sync for Checked<T> {}

impl<T: Copy> Checked<T> {
    fn new(value: T) -> Checked<T> {
        Checked(UnsafeCell::new(value))
    }
    fn set(&self, value: T) {
        // SAFETY: see the `Sync` impl: loom checks this write.
        self.0.with_mut(|p| unsafe { *p = value });
    }
    fn get(&self) -> T {
        // SAFETY: see the `Sync` impl: loom checks this read.
        self.0.with(|p| unsafe { *p })
    }
}

/// The mock scheduler each task holds. Dropping a task's copy (when the
/// allocation is freed) counts the task as freed.
struct Mock {
    world: Arc<World>,
    /// Set by `release` on the completing thread, read when the task is
    /// freed on whichever thread drops the last reference: loom checks that
    /// the reference count orders the two.
    released: Checked<bool>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let released = &self.released;
        let released = self.world.probe("task free", || released.get());
        assert!(released, "a task was freed before it left the owned list");
        self.world.tasks_freed.fetch_add(1, Relaxed);
    }
}

impl Schedule for Mock {
    fn schedule(&self, task: Notified<Mock>) {
        self.world.queue.lock().unwrap().push_back(task);
    }

    fn release(&self, task: RawTask) -> bool {
        let mut owned = self.world.owned.lock().unwrap();
        let i = owned.iter().position(|&t| t == task);
        let was_owned = i.map(|i| owned.swap_remove(i)).is_some();
        self.released.set(true);
        was_owned
    }
}

/// Spawns `future` on the mock: queued once, its owner reference in `owned`.
fn spawn(world: &Arc<World>, future: TestFuture) -> JoinHandle<Output> {
    let mock = Mock {
        world: world.clone(),
        released: Checked::new(false),
    };
    let (owner, notified, join) =
        new_task(future, mock, Id::next(), std::panic::Location::caller());
    world.owned.lock().unwrap().push(owner);
    world.queue.lock().unwrap().push_back(notified);
    join
}

/// A task's output. Its value is written where it is made (the polling
/// thread) and read and overwritten (on drop) wherever the runtime moves it.
struct Output {
    value: UnsafeCell<u32>,
    world: Arc<World>,
}

const OUTPUT: u32 = 7;

impl Output {
    fn new(world: &Arc<World>) -> Output {
        let out = Output {
            value: UnsafeCell::new(0),
            world: world.clone(),
        };
        // SAFETY: not shared yet.
        out.value.with_mut(|p| unsafe { *p = OUTPUT });
        world.outputs_made.fetch_add(1, Relaxed);
        out
    }

    fn read(&self) -> u32 {
        // SAFETY: loom checks that this read is ordered after the write.
        self.world
            .probe("output read", || self.value.with(|p| unsafe { *p }))
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // SAFETY: loom checks that no other access races this write.
        self.world
            .probe("output drop", || self.value.with_mut(|p| unsafe { *p = 0 }));
        self.world.outputs_dropped.fetch_add(1, Relaxed);
    }
}

/// What a `TestFuture` does when polled.
#[derive(Clone, Copy)]
enum Script {
    /// Ready at once.
    Ready,
    /// Wakes itself and returns Pending the first time, then Ready.
    YieldOnce,
    /// Pending forever, and never wakes itself: only an abort ends it.
    Pending,
    /// Ready once `World::flag` is seen; otherwise stores a clone of its
    /// waker in `World::waker_slot` (dropping the one there) and is Pending.
    WaitForFlag,
}

struct TestFuture {
    script: Script,
    polls: usize,
    world: Arc<World>,
}

impl TestFuture {
    fn new(world: &Arc<World>, script: Script) -> TestFuture {
        TestFuture {
            script,
            polls: 0,
            world: world.clone(),
        }
    }
}

impl Future for TestFuture {
    type Output = Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        self.polls += 1;
        let ready = match self.script {
            Script::Ready => true,
            Script::Pending => false,
            Script::YieldOnce if self.polls == 1 => {
                cx.waker().wake_by_ref();
                false
            }
            Script::YieldOnce => true,
            Script::WaitForFlag if self.world.flag.load(Relaxed) => true,
            Script::WaitForFlag => {
                let old = self
                    .world
                    .waker_slot
                    .lock()
                    .unwrap()
                    .replace(cx.waker().clone());
                drop(old);
                false
            }
        };
        if ready {
            Poll::Ready(Output::new(&self.world))
        } else {
            Poll::Pending
        }
    }
}

impl Drop for TestFuture {
    fn drop(&mut self) {
        self.world.futures_dropped.fetch_add(1, Relaxed);
        let world = &self.world;
        world.probe("future drop", || world.future_gone.set(true));
    }
}

/// A join waker whose every instance (each clone is a new one) owns a
/// loom-checked cell: `wake_by_ref` reads it, `drop` writes it. A completer
/// waking the stored waker while the `JoinHandle` replaces or drops it is
/// thus a loom failure unless the state word orders the two.
struct ProbeWaker {
    wakes: Arc<AtomicUsize>,
    instance: UnsafeCell<()>,
}

static PROBE_VTABLE: RawWakerVTable =
    RawWakerVTable::new(probe_clone, probe_wake, probe_wake_by_ref, probe_drop);

fn probe_waker(wakes: &Arc<AtomicUsize>) -> Waker {
    let probe = Box::new(ProbeWaker {
        wakes: wakes.clone(),
        instance: UnsafeCell::new(()),
    });
    let data = Box::into_raw(probe) as *const ();
    // SAFETY: the vtable's functions treat `data` as the `Box<ProbeWaker>`
    // made here, cloning into new boxes and freeing it exactly once.
    unsafe { Waker::from_raw(RawWaker::new(data, &PROBE_VTABLE)) }
}

/// # Safety
/// `data` is a live `Box<ProbeWaker>` from `probe_waker`.
unsafe fn probe_ref<'a>(data: *const ()) -> &'a ProbeWaker {
    // SAFETY: guaranteed by the caller.
    unsafe { &*(data as *const ProbeWaker) }
}

unsafe fn probe_clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned is live.
    let probe = unsafe { probe_ref(data) };
    probe.instance.with(|_| ());
    let waker = std::mem::ManuallyDrop::new(probe_waker(&probe.wakes));
    RawWaker::new(waker.data(), &PROBE_VTABLE)
}

unsafe fn probe_wake(data: *const ()) {
    // SAFETY: `wake` consumes a live waker: wake, then free it.
    unsafe {
        probe_wake_by_ref(data);
        probe_drop(data);
    }
}

unsafe fn probe_wake_by_ref(data: *const ()) {
    // SAFETY: the waker is live.
    let probe = unsafe { probe_ref(data) };
    probe.instance.with(|_| ());
    probe.wakes.fetch_add(1, Relaxed);
}

unsafe fn probe_drop(data: *const ()) {
    // SAFETY: the waker is live and dropped exactly once, here.
    let probe = unsafe { Box::from_raw(data as *mut ProbeWaker) };
    probe.instance.with_mut(|_| ());
}

/// Polls the join handle once with `waker`.
fn poll_join(join: &mut JoinHandle<Output>, waker: &Waker) -> Poll<super::Output<Output>> {
    Pin::new(join).poll(&mut Context::from_waker(waker))
}

/// The join side saw `Ready(Ok)`: the output is the one made, and the
/// future's destructor ran before (loom checks the ordering of both reads).
fn check_output(world: &World, out: &Output) {
    assert_eq!(out.read(), OUTPUT);
    assert!(world.probe("future_gone read", || world.future_gone.get()));
}

/// After the model's threads joined and the queue was drained, the task
/// must be complete with its output.
fn join_completed(world: &World, mut join: JoinHandle<Output>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    match poll_join(&mut join, &probe_waker(&wakes)) {
        Poll::Ready(Ok(out)) => check_output(world, &out),
        Poll::Ready(Err(e)) => panic!("task failed: {e:?}"),
        Poll::Pending => panic!("lost wake-up: the task never completed"),
    }
}

/// (a) A waker fires from another thread while the task is queued, polled,
/// going idle or completing. The wake must not be lost (the poll it causes
/// sees the flag written before it), nor schedule a complete task, nor leak
/// or double-free the task when it drops the last reference.
fn wake_races_poll(name: &str, by_val: bool) {
    check(name, move || {
        let world = World::new();
        let join = spawn(&world, TestFuture::new(&world, Script::WaitForFlag));
        world.drain(); // First poll: Pending, waker stored, task idle.
        let waker = world.take_waker();
        waker.wake_by_ref(); // Queued again, so a poll races the wake below.

        let w = world.clone();
        let waker_thread = thread::spawn(move || {
            w.flag.store(true, Relaxed);
            if by_val {
                waker.wake();
            } else {
                waker.wake_by_ref();
                drop(waker);
            }
        });
        world.drain();
        waker_thread.join().unwrap();
        world.drain();

        join_completed(&world, join);
        world.finish();
        world.assert_all_freed(1);
    });
}

#[test]
fn loom_wake_by_val_races_poll() {
    wake_races_poll("wake_by_val_races_poll", true);
}

#[test]
fn loom_wake_by_ref_races_poll() {
    wake_races_poll("wake_by_ref_races_poll", false);
}

/// (b) `abort()` from another thread while the task is queued, polled,
/// re-queued by its own wake, or completing (the aborting thread then helps
/// drain the queue, as a worker would). Returns whether the task produced
/// its output (otherwise it was cancelled). Either way the future is dropped
/// exactly once, before the join side sees the result, and nothing stays
/// queued.
fn abort_races_run(name: &str, script: Script, expect_cancelled: bool) {
    check(name, move || {
        let world = World::new();
        let join = spawn(&world, TestFuture::new(&world, script));

        let w = world.clone();
        let aborter = thread::spawn(move || {
            join.abort();
            w.drain();
            join
        });
        world.drain();
        let mut join = aborter.join().unwrap();
        world.drain();

        let wakes = Arc::new(AtomicUsize::new(0));
        let outputs = match poll_join(&mut join, &probe_waker(&wakes)) {
            Poll::Ready(Ok(out)) => {
                assert!(!expect_cancelled, "the abort was lost");
                check_output(&world, &out);
                1
            }
            Poll::Ready(Err(e)) => {
                assert!(e.is_cancelled(), "{e:?}");
                assert!(world.probe("future_gone read", || world.future_gone.get()));
                0
            }
            Poll::Pending => panic!("an aborted task never completed"),
        };
        drop(join);
        world.finish();
        world.assert_all_freed(outputs);
    });
}

/// (b) against a task that yields once, then completes: both outcomes are
/// possible.
#[test]
fn loom_abort_races_yielding_task() {
    abort_races_run("abort_races_yielding_task", Script::YieldOnce, false);
}

/// (b) against a task that only an abort can finish: whenever the abort
/// lands (queued, mid-poll, idle), the task ends cancelled, never stranded.
#[test]
fn loom_abort_races_pending_task() {
    abort_races_run("abort_races_pending_task", Script::Pending, true);
}

/// (b') `abort()` of an idle task racing a real wake of it: both want to
/// schedule it; it must be queued once at a time, run to output or
/// cancellation, and be freed.
#[test]
fn loom_abort_idle_races_wake() {
    check("abort_idle_races_wake", || {
        let world = World::new();
        let join = spawn(&world, TestFuture::new(&world, Script::WaitForFlag));
        world.drain(); // Idle, waker stored.
        let waker = world.take_waker();
        let abort = join.abort_handle();

        let w = world.clone();
        let aborter = thread::spawn(move || {
            abort.abort();
            drop(abort);
            w.drain();
        });
        world.flag.store(true, Relaxed);
        waker.wake();
        world.drain();
        aborter.join().unwrap();
        world.drain();

        let mut join = join;
        let wakes = Arc::new(AtomicUsize::new(0));
        let outputs = match poll_join(&mut join, &probe_waker(&wakes)) {
            Poll::Ready(Ok(out)) => {
                check_output(&world, &out);
                1
            }
            Poll::Ready(Err(e)) => {
                assert!(e.is_cancelled(), "{e:?}");
                0
            }
            Poll::Pending => panic!("lost wake-up: the task never completed"),
        };
        drop(join);
        world.finish();
        world.assert_all_freed(outputs);
    });
}

/// (c) The `JoinHandle` is dropped while the task completes on another
/// thread: exactly one side drops the output, exactly once, and the task
/// is freed.
#[test]
fn loom_join_handle_drop_races_completion() {
    check("join_handle_drop_races_completion", || {
        let world = World::new();
        let join = spawn(&world, TestFuture::new(&world, Script::Ready));

        let w = world.clone();
        let worker = thread::spawn(move || w.drain());
        drop(join);
        worker.join().unwrap();

        world.finish();
        world.assert_all_freed(1);
    });
}

/// (c') As (c), but the handle first registers a join waker: the completer
/// may be waking it while the handle drops it, and whichever side ends up
/// owning the waker drops it once.
#[test]
fn loom_polled_join_handle_drop_races_completion() {
    check("polled_join_handle_drop_races_completion", || {
        let world = World::new();
        let mut join = spawn(&world, TestFuture::new(&world, Script::Ready));

        let w = world.clone();
        let worker = thread::spawn(move || w.drain());
        let wakes = Arc::new(AtomicUsize::new(0));
        if let Poll::Ready(out) = poll_join(&mut join, &probe_waker(&wakes)) {
            check_output(&world, &out.unwrap());
        }
        drop(join);
        worker.join().unwrap();

        world.finish();
        world.assert_all_freed(1);
    });
}

/// (d) The `JoinHandle` is polled (twice, with different wakers, so the
/// second poll replaces the stored one) while the task completes on
/// another thread: either a poll sees the output, or the last registered
/// waker is woken. Never neither.
#[test]
fn loom_join_handle_poll_races_completion() {
    check("join_handle_poll_races_completion", || {
        let world = World::new();
        let mut join = spawn(&world, TestFuture::new(&world, Script::Ready));

        let w = world.clone();
        let worker = thread::spawn(move || w.drain());
        let first = Arc::new(AtomicUsize::new(0));
        let second = Arc::new(AtomicUsize::new(0));
        let mut done = false;
        for wakes in [&first, &second] {
            if let Poll::Ready(out) = poll_join(&mut join, &probe_waker(wakes)) {
                check_output(&world, &out.unwrap());
                done = true;
                break;
            }
        }
        worker.join().unwrap();
        if !done {
            assert_eq!(second.load(Relaxed), 1, "the join waker was not woken");
            join_completed(&world, join);
        } else {
            drop(join);
        }

        world.finish();
        world.assert_all_freed(1);
    });
}
