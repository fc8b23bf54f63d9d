//! The RPC client: any number of tasks call concurrently over ONE TCP connection.
//!
//! How a call travels:
//! 1. The caller takes a fresh id and parks a `magpie::sync::oneshot::Sender` under it
//!    in the pending map, then queues the encoded request for the writer task, then
//!    awaits the oneshot's `Receiver` (under a timeout): a future completed by hand.
//! 2. The writer task owns the socket's write half and drains a `magpie::sync::mpsc`
//!    queue, sending everything queued in one write. A queue rather than a shared,
//!    locked write half: callers never wait on each other or on the socket (queuing is
//!    a push), and the writer batches frames from many callers into one syscall.
//! 3. The reader task owns the read half, decodes replies, takes the matching sender out
//!    of the map and completes the call with `send`; a reply whose id is no longer
//!    pending (its caller timed out) is dropped.
//!
//! A call's pending entry is removed by whoever finishes it: the reader (reply), the
//! connection's close (all entries at once), or the call's own [`PendingEntry`] guard
//! when the call gives up (timeout) or is itself dropped mid-flight. So the map never
//! keeps entries nobody waits for.
//!
//! When the connection ends (peer closed, IO error, malformed reply), the map is marked
//! closed and drained, every pending call gets [`RpcError::ConnectionLost`], and later
//! calls fail at once with the same error: the closed flag lives under the same lock as
//! the map, so no call can slip an entry in after the drain. The queue's sender lives
//! under that lock too: close drops it, so the writer ends once the callers that took
//! a clone before the close have queued their frames.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::io::BufReader;
use magpie::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use magpie::net::{TcpStream, ToSocketAddrs};
use magpie::sync::{mpsc, oneshot};
use magpie::task::JoinHandle;

use crate::framing::{read_frame, write_frames, ReadError};
use crate::protocol::{decode_reply, encode_request, FrameError, Method, Reply, MAX_PAYLOAD_LEN};

/// The timeout of [`Client::call`].
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcError {
    /// The server answered with an error; this is its message.
    Server(String),
    /// No reply came within the call's timeout; the call is forgotten (a late reply is
    /// dropped).
    Timeout,
    /// The connection ended before the reply came, or had already ended.
    ConnectionLost,
    /// The payload is larger than a frame can carry; nothing was sent.
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
    },
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::Server(message) => write!(f, "server error: {message}"),
            RpcError::Timeout => f.write_str("call timed out"),
            RpcError::ConnectionLost => f.write_str("connection lost"),
            RpcError::PayloadTooLarge { len } => write!(
                f,
                "payload of {len} bytes exceeds the {MAX_PAYLOAD_LEN}-byte limit"
            ),
        }
    }
}

impl std::error::Error for RpcError {}

/// Why a client's connection ended (see [`Client::close_reason`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The server closed the connection.
    PeerClosed,
    /// Reading replies failed with this error kind (`UnexpectedEof`: closed mid-frame).
    ReadFailed(io::ErrorKind),
    /// Writing requests failed with this error kind.
    WriteFailed(io::ErrorKind),
    /// The server sent bytes that are not a valid reply; the stream cannot be trusted.
    Malformed(FrameError),
}

type ReplySender = oneshot::Sender<Result<Vec<u8>, RpcError>>;

/// The calls in flight on one connection.
struct Calls {
    /// The id the next call gets.
    next_id: u64,
    /// Senders of calls awaiting their reply, by request id.
    waiting: HashMap<u64, ReplySender>,
    /// Set once, when the connection ends; from then on `waiting` stays empty.
    closed: Option<CloseReason>,
    /// Where encoded request frames go to the writer task; `None` exactly when `closed`
    /// is set. Each call clones it while registering; the close drops it, so once the
    /// clones taken before are gone, the writer's queue ends.
    frames: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

/// State shared by the client handles, the reader task and the writer task.
struct Shared {
    /// Locked by callers (to add and, on give-up, remove their entry), by the reader
    /// (to take the entry a reply answers) and by whoever closes the connection. Held
    /// only for map and sender operations, never across an await.
    calls: Mutex<Calls>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Calls> {
        // No code panics while holding this lock (only map operations run under it),
        // so a poisoned lock still guards consistent data.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Completes the call `reply` answers, if it is still pending.
    fn complete(&self, reply: Reply) {
        let sender = self.lock().waiting.remove(&reply.id);
        if let Some(sender) = sender {
            // The caller may have given up just now; then nobody wants the reply.
            let _ = sender.send(reply.outcome.map_err(RpcError::Server));
        }
    }

    /// Ends the connection: records why (the first reason wins), fails every pending
    /// call with `ConnectionLost`, and stops the writer.
    fn close(&self, reason: CloseReason) {
        let (waiting, frames) = {
            let mut calls = self.lock();
            calls.closed.get_or_insert(reason);
            (std::mem::take(&mut calls.waiting), calls.frames.take())
        };
        // The writer's queue ends once this and the callers' clones are dropped.
        drop(frames);
        for (_, sender) in waiting {
            let _ = sender.send(Err(RpcError::ConnectionLost));
        }
    }
}

/// Removes its call's pending entry when dropped, unless disarmed: covers a call that
/// times out and a call future that is dropped before its reply comes.
struct PendingEntry<'a> {
    shared: &'a Shared,
    id: u64,
    armed: bool,
}

impl PendingEntry<'_> {
    /// The entry is gone already (whoever completed the oneshot removed it).
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for PendingEntry<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.lock().waiting.remove(&self.id);
        }
    }
}

/// A connection to an RPC server. Cheap to clone: clones share the connection, and
/// calls from any number of tasks run concurrently over it.
///
/// Dropping the last clone stops the connection's reader and writer tasks.
#[derive(Clone)]
pub struct Client {
    connection: Arc<Connection>,
}

/// The connection behind every clone of a [`Client`].
struct Connection {
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // No call can be pending (each borrows a Client); stop the tasks, which drops
        // the socket's halves and so closes it.
        self.reader.abort();
        self.writer.abort();
    }
}

impl Client {
    /// Connects to the server at `addr` and starts the connection's reader and writer
    /// tasks.
    ///
    /// # Panics
    /// Outside a magpie runtime.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        // Requests are small and latency matters: do not wait to coalesce (the writer
        // task already batches what is queued).
        stream.set_nodelay(true)?;
        Ok(Client::from_stream(stream))
    }

    /// Runs the client protocol over an already connected stream.
    ///
    /// # Panics
    /// Outside a magpie runtime.
    pub fn from_stream(stream: TcpStream) -> Client {
        let (read_half, write_half) = stream.into_split();
        let (frames, queued) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            calls: Mutex::new(Calls {
                next_id: 0,
                waiting: HashMap::new(),
                closed: None,
                frames: Some(frames),
            }),
        });
        let reader = magpie::spawn(read_replies(shared.clone(), read_half));
        let writer = magpie::spawn(write_requests(shared.clone(), write_half, queued));
        Client {
            connection: Arc::new(Connection {
                shared,
                reader,
                writer,
            }),
        }
    }

    /// Calls `method` with `payload`, giving up after [`DEFAULT_CALL_TIMEOUT`].
    pub async fn call(&self, method: Method, payload: &[u8]) -> Result<Vec<u8>, RpcError> {
        self.call_timeout(method, payload, DEFAULT_CALL_TIMEOUT)
            .await
    }

    /// Calls `method` with `payload` and waits at most `timeout` for the reply:
    /// `Ok(reply payload)`, or why not. On timeout the call is forgotten: its pending
    /// entry is removed and a late reply is dropped. Dropping the returned future
    /// forgets the call the same way.
    ///
    /// # Panics
    /// Outside a magpie runtime (the timeout needs its timer).
    pub async fn call_timeout(
        &self,
        method: Method,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, RpcError> {
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(RpcError::PayloadTooLarge { len: payload.len() });
        }
        let shared = &*self.connection.shared;
        let (sender, receiver) = oneshot::channel();
        let (id, frames) = {
            let mut calls = shared.lock();
            // `frames` is taken by the close, under this lock: `None` means closed.
            let Some(frames) = calls.frames.clone() else {
                return Err(RpcError::ConnectionLost);
            };
            let id = calls.next_id;
            calls.next_id = id.wrapping_add(1);
            calls.waiting.insert(id, sender);
            (id, frames)
        };
        let mut entry = PendingEntry {
            shared,
            id,
            armed: true,
        };

        let mut frame = Vec::new();
        encode_request(id, method, payload, &mut frame)
            .expect("the payload length was checked against MAX_PAYLOAD_LEN above");
        if frames.send(frame).is_err() {
            // The writer is gone (a write failed); `entry` removes our entry.
            return Err(RpcError::ConnectionLost);
        }
        drop(frames);

        match magpie::time::timeout(timeout, receiver).await {
            Ok(Ok(outcome)) => {
                entry.disarm();
                outcome
            }
            // The sender was dropped unsent: only the connection's teardown does that.
            Ok(Err(oneshot::error::RecvError { .. })) => Err(RpcError::ConnectionLost),
            Err(_elapsed) => Err(RpcError::Timeout),
        }
    }

    /// How many calls are waiting for a reply.
    pub fn pending_len(&self) -> usize {
        self.connection.shared.lock().waiting.len()
    }

    /// Why the connection ended, or `None` while it is open.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.connection.shared.lock().closed.clone()
    }
}

/// Size of the reader's buffer: many small replies per read syscall.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// The reader task: completes calls as their replies arrive, then closes the
/// connection when the stream ends or goes bad.
async fn read_replies(shared: Arc<Shared>, read_half: OwnedReadHalf) {
    let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, read_half);
    let reason = loop {
        match read_frame(&mut reader).await {
            Ok(Some(body)) => match decode_reply(body) {
                Ok(reply) => shared.complete(reply),
                Err(error) => break CloseReason::Malformed(error),
            },
            Ok(None) => break CloseReason::PeerClosed,
            Err(ReadError::Io(error)) => break CloseReason::ReadFailed(error.kind()),
            Err(ReadError::Malformed(error)) => break CloseReason::Malformed(error),
        }
    };
    shared.close(reason);
}

/// The writer task: sends queued requests until the queue closes or a write fails.
async fn write_requests(
    shared: Arc<Shared>,
    mut write_half: OwnedWriteHalf,
    queued: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    if let Err(error) = write_frames(&mut write_half, queued).await {
        shared.close(CloseReason::WriteFailed(error.kind()));
    }
}
