//! The floor server's event loop: one thread, one `mio::Poll`, edge-triggered readiness,
//! no tasks, no wakers, no runtime. What it spends per request is the kernel's share (the
//! socket syscalls and `epoll_wait`) plus the command work, which is the code the runtime
//! builds run (`commands.rs`, `input.rs`, `resp.rs`, `store.rs`): the least any runtime
//! can spend serving the same traffic.
//!
//! Per connection, as `server.rs` does it: read into the [`Input`], run every complete
//! command, send the replies in one write, read again. A reply the socket cannot take
//! now stays buffered, the connection registers for writability, and reading waits
//! until it is sent (as `server.rs` awaits its `write_all` before reading). A read that
//! fills less than the space offered emptied the socket, so the loop waits for the next
//! edge instead of reading again for `WouldBlock` (magpie's and tokio's streams do the
//! same). SUBSCRIBE is answered "ERR not supported by the floor server".

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

use super::commands::{execute, Outcome, State};
use super::input::Input;
use super::resp;

/// The listener's token; connection `index` has `Token(index + 1)`.
const LISTENER: Token = Token(0);

/// How long to wait before accepting again after an accept error (e.g. out of file
/// descriptors), as `server.rs` does.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Binds `addr`, hands the bound address to `bound`, then serves forever on this thread
/// (or returns the error that stopped it). `workers`: `None` or 1, the floor is one thread.
pub fn serve(
    workers: Option<usize>,
    addr: SocketAddr,
    bound: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    if let Some(workers) = workers.filter(|&workers| workers != 1) {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("the floor server runs on one thread: workers must be 1, not {workers}"),
        ));
    }
    let mut poll = Poll::new()?;
    // mio listens with a backlog of 128 where magpie and tokio ask for 1024: plenty for
    // the benchmark's 50 clients, and raising it would take an unsafe `libc::listen`.
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    bound(listener.local_addr()?);

    let state = State::default();
    let mut connections = Connections::default();
    let mut events = Events::with_capacity(1024);
    let mut args = Vec::new();
    let mut accept_backoff = false;
    loop {
        let timeout = accept_backoff.then_some(ACCEPT_BACKOFF);
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
        if accept_backoff {
            accept_backoff = !accept(&listener, poll.registry(), &mut connections);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_backoff = !accept(&listener, poll.registry(), &mut connections);
                continue;
            }
            let index = event.token().0 - 1;
            let Some(connection) = connections.get_mut(index) else {
                continue; // closed earlier in this batch of events
            };
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                connection.readable = true;
            }
            match connection.serve(&state, &mut args, poll.registry(), event.token()) {
                Ok(Open::Yes) => {}
                // Dropping the stream closes it, which also takes it out of the poll.
                Ok(Open::No) | Err(_) => connections.remove(index),
            }
        }
    }
}

/// Accepts every pending connection; `false` after an error other than `WouldBlock`
/// (the caller tries again after [`ACCEPT_BACKOFF`]).
fn accept(listener: &TcpListener, registry: &Registry, connections: &mut Connections) -> bool {
    loop {
        match listener.accept() {
            Ok((mut stream, _peer)) => {
                // Request/response traffic: never wait to coalesce a reply (as server.rs).
                let _ = stream.set_nodelay(true);
                let index = connections.vacant();
                // Registering reports readiness that is already there (bytes the client
                // sent before), so nothing is missed.
                if registry
                    .register(&mut stream, Token(index + 1), Interest::READABLE)
                    .is_ok()
                {
                    connections.insert(index, Connection::new(stream));
                }
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Whether a connection stays open.
enum Open {
    Yes,
    No,
}

/// One client connection.
struct Connection {
    stream: TcpStream,
    input: Input,
    /// Replies not yet sent: `out[sent..]`.
    out: Vec<u8>,
    sent: usize,
    /// Whether the socket may have bytes to read (since its last readable edge, no read
    /// has emptied it).
    readable: bool,
    /// Whether it is registered for writability (only while replies wait for room).
    writable_interest: bool,
    /// QUIT or a protocol error: close once `out` is sent.
    closing: bool,
}

impl Connection {
    fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            input: Input::new(),
            out: Vec::with_capacity(16 << 10),
            sent: 0,
            readable: false,
            writable_interest: false,
            closing: false,
        }
    }

    /// Makes what progress the socket allows: sends pending replies, then reads and runs
    /// commands and sends their replies until the socket has nothing more to read or no
    /// room for more replies. `Err`: the socket failed; close it.
    fn serve(
        &mut self,
        state: &State,
        args: &mut Vec<std::ops::Range<usize>>,
        registry: &Registry,
        token: Token,
    ) -> io::Result<Open> {
        loop {
            if !self.flush()? {
                if !self.writable_interest {
                    registry.reregister(
                        &mut self.stream,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    self.writable_interest = true;
                }
                return Ok(Open::Yes);
            }
            if self.writable_interest {
                registry.reregister(&mut self.stream, token, Interest::READABLE)?;
                self.writable_interest = false;
            }
            if self.closing {
                return Ok(Open::No);
            }
            if !self.readable {
                return Ok(Open::Yes);
            }
            let spare = match self.input.spare() {
                Ok(spare) => spare,
                Err(error) => {
                    resp::error(&mut self.out, &format!("ERR {error}"));
                    self.closing = true;
                    continue;
                }
            };
            let offered = spare.len();
            match self.stream.read(spare) {
                Ok(0) => return Ok(Open::No),
                Ok(read) => {
                    self.input.filled(read);
                    self.readable = read == offered;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => {
                    self.readable = false;
                    continue;
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
            self.run_commands(state, args);
        }
    }

    /// Runs every complete command read so far, appending the replies to `out`.
    fn run_commands(&mut self, state: &State, args: &mut Vec<std::ops::Range<usize>>) {
        loop {
            match self.input.next_command(args) {
                Ok(Some(_)) if args.is_empty() => {}
                Ok(Some(command)) => match execute(state, command, args, &mut self.out) {
                    Outcome::Continue => {}
                    Outcome::Subscribe => {
                        resp::error(&mut self.out, "ERR not supported by the floor server")
                    }
                    Outcome::Quit => {
                        self.closing = true;
                        return;
                    }
                },
                Ok(None) => return,
                Err(error) => {
                    resp::error(&mut self.out, &format!("ERR {error}"));
                    self.closing = true;
                    return;
                }
            }
        }
    }

    /// Sends what it can of `out`; whether all of it is sent.
    fn flush(&mut self) -> io::Result<bool> {
        while self.sent < self.out.len() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(written) => self.sent += written,
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        self.out.clear();
        self.sent = 0;
        Ok(true)
    }
}

/// The open connections, by index (token - 1); closed ones' slots are reused.
#[derive(Default)]
struct Connections {
    slots: Vec<Option<Connection>>,
    free: Vec<usize>,
}

impl Connections {
    /// A free index (filled by [`Connections::insert`], or left free).
    fn vacant(&mut self) -> usize {
        match self.free.last() {
            Some(&index) => index,
            None => {
                self.slots.push(None);
                self.free.push(self.slots.len() - 1);
                self.slots.len() - 1
            }
        }
    }

    /// Puts `connection` at `index`, which [`Connections::vacant`] returned.
    fn insert(&mut self, index: usize, connection: Connection) {
        let popped = self.free.pop();
        debug_assert_eq!(popped, Some(index));
        self.slots[index] = Some(connection);
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut Connection> {
        self.slots.get_mut(index).and_then(Option::as_mut)
    }

    fn remove(&mut self, index: usize) {
        if self.slots[index].take().is_some() {
            self.free.push(index);
        }
    }
}
