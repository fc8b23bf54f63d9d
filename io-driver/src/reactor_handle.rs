//! [`ReactorHandle`]: the shareable side of the reactor — the table of registered
//! sockets, the `mio::Registry` they register through, unparking and shutdown.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Waker;

use mio::event::Source;
use mio::{Events, Interest, Registry};
use parking_lot::Mutex;
use slab::Slab;

use crate::ready::Ready;
use crate::scheduled_io::ScheduledIo;
use crate::token::{RegistrationToken, MAX_INDEX, WAKER_TOKEN};

/// A cloneable, thread-safe handle to a [`Reactor`](crate::Reactor): wakes it from a
/// blocking turn and shuts it down. Sockets keep one to register and deregister.
#[derive(Clone)]
pub struct ReactorHandle {
    shared: Arc<Shared>,
}

/// State shared by the reactor thread, its handles and every registered socket.
struct Shared {
    /// A clone of the `mio::Poll`'s registry (same epoll instance). Sockets register and
    /// deregister through it from any thread; it stays valid after the `Poll` is gone.
    registry: Registry,
    /// Interrupts a blocking `mio::Poll::poll`.
    waker: mio::Waker,
    /// True from the moment an `unpark` wakes `waker` until the reactor consumes that
    /// wake, so a burst of unparks costs one syscall. Set by `unpark` (any thread),
    /// cleared by the reactor thread in `turn`.
    unpark_pending: AtomicBool,
    /// Socket readiness events dispatched so far, for the runtime's metrics.
    /// Added to by the reactor thread once per turn; read by anyone.
    /// Relaxed: a counter, nothing is published through it.
    ready_count: AtomicU64,
    /// The registered sockets. Locked by any thread creating or dropping a socket, by
    /// the reactor thread once per turn to dispatch events, and by `shutdown`.
    registrations: Mutex<Registrations>,
    /// This reactor's duplicate of the signal self-pipe's read end, registered under
    /// `SIGNAL_TOKEN` by the first `serve_signals`; `None` until then. Locked by that
    /// call and by the reactor thread when the pipe turns readable.
    #[cfg(unix)]
    signal_receiver: Mutex<Option<mio::net::UnixStream>>,
}

/// The table of registered sockets, indexed by their token's slab index.
struct Registrations {
    slab: Slab<Arc<ScheduledIo>>,
    /// The generation the next registration's token gets (wraps around).
    next_generation: usize,
    /// Set once by `shutdown`; no registration is accepted afterwards.
    is_shutdown: bool,
}

/// The error every IO operation returns once the reactor has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("magpie runtime shut down: its IO driver no longer serves this socket")
}

impl ReactorHandle {
    /// Builds the shared state around `poll`: clones its registry and installs the
    /// unpark waker.
    pub(crate) fn new(poll: &mio::Poll) -> io::Result<ReactorHandle> {
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        Ok(ReactorHandle {
            shared: Arc::new(Shared {
                registry,
                waker,
                unpark_pending: AtomicBool::new(false),
                ready_count: AtomicU64::new(0),
                registrations: Mutex::new(Registrations {
                    slab: Slab::new(),
                    next_generation: 0,
                    is_shutdown: false,
                }),
                #[cfg(unix)]
                signal_receiver: Mutex::new(None),
            }),
        })
    }

    /// Interrupts a blocking [`Reactor::turn`](crate::Reactor::turn), or makes the next
    /// one return at once. Cheap when a wake is already pending: unparks are coalesced
    /// until the reactor consumes the pending one.
    ///
    /// # Panics
    /// If writing to the reactor's wake-up descriptor fails (the OS refused an
    /// `eventfd`/pipe write, which does not happen short of a kernel error).
    pub fn unpark(&self) {
        // AcqRel: the swap that finds `false` must publish the caller's prior writes to
        // the reactor's swap in `turn` (Release), and a swap that finds `true` joins the
        // release sequence that that swap acquires.
        if !self.shared.unpark_pending.swap(true, Ordering::AcqRel) {
            self.shared
                .waker
                .wake()
                .expect("failed to wake the magpie IO driver");
        }
    }

    /// Shuts the reactor down: every registered socket is marked shut down and every
    /// task waiting on one is woken; their operations, and all later ones, fail with an
    /// `io::Error`, and creating new sockets fails too. Waiting signal listeners are
    /// woken too (theirs then return `None`). Also unparks the reactor. Idempotent.
    pub fn shutdown(&self) {
        let mut batch = Vec::new();
        {
            let mut registrations = self.shared.registrations.lock();
            if registrations.is_shutdown {
                return;
            }
            registrations.is_shutdown = true;
            for (_, io) in registrations.slab.iter() {
                io.mark_shutdown();
                io.take_wakers(Ready::ALL, &mut batch);
            }
        }
        #[cfg(unix)]
        if self.shared.signal_receiver.lock().is_some() {
            crate::signal::slot::wake_all(&mut batch);
        }
        batch.into_iter().for_each(Waker::wake);
        self.unpark();
    }

    /// Whether [`ReactorHandle::shutdown`] has been called (or the reactor dropped).
    pub fn is_shutdown(&self) -> bool {
        self.shared.registrations.lock().is_shutdown
    }

    /// Whether both handles belong to the same reactor.
    pub fn same_reactor(&self, other: &ReactorHandle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Registers `source` for read and write readiness (edge-triggered) and returns its
    /// record. Fails with [`shutdown_error`] after shutdown.
    pub(crate) fn register(&self, source: &mut impl Source) -> io::Result<Arc<ScheduledIo>> {
        let io = {
            let mut guard = self.shared.registrations.lock();
            let registrations = &mut *guard;
            if registrations.is_shutdown {
                return Err(shutdown_error());
            }
            let entry = registrations.slab.vacant_entry();
            if entry.key() > MAX_INDEX {
                return Err(io::Error::other(
                    "too many sockets registered with the magpie IO driver",
                ));
            }
            let token = RegistrationToken::new(entry.key(), registrations.next_generation);
            let io = Arc::new(ScheduledIo::new(token));
            entry.insert(io.clone());
            registrations.next_generation = registrations.next_generation.wrapping_add(1);
            io
        };
        // The record is in the table before the kernel learns the token, so the first
        // event (epoll reports current readiness on registration) always finds it.
        let registered = self.shared.registry.register(
            source,
            io.token().to_mio(),
            Interest::READABLE | Interest::WRITABLE,
        );
        match registered {
            Ok(()) => Ok(io),
            Err(error) => {
                self.remove(&io);
                Err(error)
            }
        }
    }

    /// Stops the kernel from reporting events for `source`.
    pub(crate) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.shared.registry.deregister(source)
    }

    /// Drops `io` from the table. Events already queued under its token are then
    /// ignored: its slot is either empty or holds a record with another generation.
    pub(crate) fn remove(&self, io: &ScheduledIo) {
        let removed = {
            let mut registrations = self.shared.registrations.lock();
            let index = io.token().index();
            match registrations.slab.get(index) {
                Some(entry) if entry.token() == io.token() => {
                    Some(registrations.slab.remove(index))
                }
                _ => None,
            }
        };
        // The table's reference is released outside the lock.
        drop(removed);
    }

    /// Makes this reactor drain the signal self-pipe (see [`crate::signal`]): registers
    /// a duplicate of its read end once. Fails with [`shutdown_error`] after shutdown.
    #[cfg(unix)]
    pub(crate) fn serve_signals(&self) -> io::Result<()> {
        let mut receiver = self.shared.signal_receiver.lock();
        if receiver.is_some() {
            return Ok(());
        }
        if self.is_shutdown() {
            return Err(shutdown_error());
        }
        let mut stream =
            mio::net::UnixStream::from_std(crate::signal::self_pipe()?.clone_receiver()?);
        self.shared.registry.register(
            &mut stream,
            crate::token::SIGNAL_TOKEN,
            Interest::READABLE,
        )?;
        *receiver = Some(stream);
        Ok(())
    }

    /// Reactor thread, after the signal self-pipe turned readable: empties it, then
    /// delivers every pending signal (wakers into `batch`, hooks run).
    #[cfg(unix)]
    pub(crate) fn deliver_signals(&self, batch: &mut Vec<Waker>) {
        if let Some(receiver) = &*self.shared.signal_receiver.lock() {
            let mut buf = [0u8; 64];
            loop {
                match io::Read::read(&mut &*receiver, &mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break, // WouldBlock: drained
                }
            }
        }
        crate::signal::slot::deliver_pending(batch);
    }

    /// Reactor thread: records readiness for each event of one poll and moves the wakers
    /// to wake into `batch`. Says whether the unpark waker fired and whether the signal
    /// self-pipe turned readable.
    pub(crate) fn dispatch(&self, events: &Events, batch: &mut Vec<Waker>) -> Dispatched {
        let mut dispatched = Dispatched::default();
        let mut ready_events = 0;
        let registrations = self.shared.registrations.lock();
        for event in events.iter() {
            if event.token() == WAKER_TOKEN {
                dispatched.unparked = true;
                continue;
            }
            #[cfg(unix)]
            if event.token() == crate::token::SIGNAL_TOKEN {
                dispatched.signalled = true;
                continue;
            }
            let token = RegistrationToken::from_mio(event.token());
            let Some(io) = registrations.slab.get(token.index()) else {
                continue; // the socket was dropped after the kernel queued this event
            };
            if io.token() != token {
                continue; // a stale event for an earlier occupant of this slot
            }
            let ready = Ready::from_mio(event);
            if ready.is_empty() {
                continue;
            }
            io.set_readiness(ready);
            io.take_wakers(ready, batch);
            ready_events += 1;
        }
        if ready_events > 0 {
            self.shared
                .ready_count
                .fetch_add(ready_events, Ordering::Relaxed);
        }
        dispatched
    }

    /// Socket readiness events the reactor has dispatched so far.
    pub fn ready_count(&self) -> u64 {
        self.shared.ready_count.load(Ordering::Relaxed)
    }

    /// Reactor thread, after the unpark waker fired: later unparks must wake again.
    pub(crate) fn consume_unpark(&self) {
        // AcqRel: acquires the unparkers' releases (see `unpark`), so whatever they
        // wrote before unparking is visible once `turn` returns.
        self.shared.unpark_pending.swap(false, Ordering::AcqRel);
    }
}

/// What one [`ReactorHandle::dispatch`] saw besides socket events.
#[derive(Default)]
pub(crate) struct Dispatched {
    /// The unpark waker fired.
    pub(crate) unparked: bool,
    /// The signal self-pipe turned readable.
    pub(crate) signalled: bool,
}

impl std::fmt::Debug for ReactorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registrations = self.shared.registrations.lock();
        f.debug_struct("ReactorHandle")
            .field("registered_sockets", &registrations.slab.len())
            .field("is_shutdown", &registrations.is_shutdown)
            .finish()
    }
}
