//! Per-signal state: the pending flag the handler sets, the delivery counter listeners
//! compare against, their wakers, and the hooks run on delivery.
//!
//! Owns the static table of [`Slot`]s and the installation of the process-wide handler
//! through `signal-hook-registry`. Uses [`super::pipe`] to wake the reactors.

use std::io;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

use parking_lot::{const_mutex, Mutex};
use slab::Slab;

use super::pipe;

/// The largest signal number served (Linux's `SIGRTMAX`; other systems have fewer, and
/// `sigaction` rejects the numbers they lack).
pub(super) const MAX_SIGNUM: c_int = 64;

/// The table, indexed by signal number (index 0 is unused).
static SLOTS: [Slot; MAX_SIGNUM as usize + 1] = [const { Slot::new() }; MAX_SIGNUM as usize + 1];

/// One signal's state.
pub(super) struct Slot {
    /// Set by the signal handler (any thread, in signal context); cleared by the reactor
    /// that delivers it ([`deliver_pending`]).
    pending: AtomicBool,
    /// Whether the process-wide handler is installed. Written once, under its own lock,
    /// by the first successful [`Slot::install`]; read by later calls.
    installed: Mutex<bool>,
    /// Listeners and the delivery counter. Locked by listeners (register, poll, drop)
    /// and by the delivering reactor thread.
    state: Mutex<SlotState>,
    /// Functions run on the reactor thread after each delivery. Pushed by
    /// [`add_hook`](super::add_hook), read by the delivering reactor.
    hooks: Mutex<Vec<fn()>>,
}

/// The lock-protected part of a [`Slot`].
pub(super) struct SlotState {
    /// How many deliveries have happened (deliveries between two polls coalesce).
    pub(super) generation: u64,
    /// One entry per live listener: the waker of its pending `recv`, if any.
    pub(super) wakers: Slab<Option<Waker>>,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            pending: AtomicBool::new(false),
            installed: const_mutex(false),
            state: const_mutex(SlotState {
                generation: 0,
                wakers: Slab::new(),
            }),
            hooks: const_mutex(Vec::new()),
        }
    }

    /// The listeners' state.
    pub(super) fn state(&self) -> &Mutex<SlotState> {
        &self.state
    }

    /// Adds a hook run after each delivery of this signal.
    pub(super) fn add_hook(&self, hook: fn()) {
        self.hooks.lock().push(hook);
    }

    /// Installs the process-wide handler for `signum` once; later calls return at once.
    /// A refused signal yields an error each time it is asked for.
    fn install(&'static self, signum: c_int) -> io::Result<()> {
        let mut installed = self.installed.lock();
        if *installed {
            return Ok(());
        }
        let pipe = pipe::get()?;
        let pending = &self.pending;
        // SAFETY: `register` requires the action to be async-signal-safe. It does an
        // atomic store and `SelfPipe::notify` (one non-blocking `send(2)`), touches only
        // `'static` data, neither allocates nor locks nor panics. The caller checked that
        // `signum` is not in `FORBIDDEN`, so `register` does not panic either.
        unsafe {
            signal_hook_registry::register(signum, move || {
                // SeqCst: the flag must be visible to the reactor that reads the byte
                // written next (it swaps the flag after draining the pipe).
                pending.store(true, Ordering::SeqCst);
                pipe.notify();
            })
        }?;
        *installed = true;
        Ok(())
    }
}

/// The slot of `signum`, with its handler installed.
///
/// Fails with `InvalidInput` for a number outside `1..=MAX_SIGNUM` or one that
/// `signal-hook-registry` refuses (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`),
/// and with the OS's error when `sigaction` refuses it.
pub(super) fn installed(signum: c_int) -> io::Result<&'static Slot> {
    if !(1..=MAX_SIGNUM).contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{signum} is not a signal number magpie can listen for"),
        ));
    }
    if signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signum} cannot be handled (it is forbidden to register)"),
        ));
    }
    let slot = &SLOTS[signum as usize];
    slot.install(signum)?;
    Ok(slot)
}

/// Reactor thread, after draining the self-pipe: for each signal whose flag is set,
/// clears it, counts one delivery, moves its listeners' wakers into `batch` and runs
/// its hooks.
pub(crate) fn deliver_pending(batch: &mut Vec<Waker>) {
    for slot in SLOTS.iter().skip(1) {
        // SeqCst: pairs with the handler's store (see `Slot::install`).
        if !slot.pending.swap(false, Ordering::SeqCst) {
            continue;
        }
        {
            let mut state = slot.state.lock();
            state.generation = state.generation.wrapping_add(1);
            batch.extend(
                state
                    .wakers
                    .iter_mut()
                    .filter_map(|(_, waker)| waker.take()),
            );
        }
        let hooks = slot.hooks.lock().clone();
        hooks.into_iter().for_each(|hook| hook());
    }
}

/// After a reactor serving signals shut down: wakes every waiting listener (of any
/// reactor), so those of the dead one see it and return `None`; the others find no
/// delivery and wait again.
pub(crate) fn wake_all(batch: &mut Vec<Waker>) {
    for slot in SLOTS.iter().skip(1) {
        let mut state = slot.state.lock();
        batch.extend(
            state
                .wakers
                .iter_mut()
                .filter_map(|(_, waker)| waker.take()),
        );
    }
}
