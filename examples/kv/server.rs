//! The key-value server's connections, written once against `super::rt` (see
//! `examples/runtimes/`): the accept loop, the request/reply loop, and subscriber mode.
//!
//! A connection runs every complete command in what it has read (pipelining) and sends
//! their replies in one write. After SUBSCRIBE it switches to subscriber mode for good:
//! the stream is split, a writer task drains a queue of replies into it, and one
//! forwarder task per subscribed channel moves that channel's messages onto the queue,
//! while the connection keeps reading commands (SUBSCRIBE, UNSUBSCRIBE, PING, QUIT;
//! any command once no subscription is left).

use std::collections::HashMap;
use std::io;
use std::mem;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

// magpie's stream methods are inherent; tokio's come from these traits.
#[allow(unused_imports)]
use super::rt::io_ext::*;

use super::commands::{execute, is, wrong_arity, Outcome, State};
use super::input::Input;
use super::pubsub::Message;
use super::resp;
use super::rt;

/// Builds the runtime, binds `addr`, hands the bound address to `bound`, then serves
/// forever (or returns the error that stopped it from starting).
pub fn serve(
    workers: Option<usize>,
    addr: SocketAddr,
    bound: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    rt::runtime(workers)?.block_on(async move {
        let listener = rt::TcpListener::bind(addr).await?;
        bound(listener.local_addr()?);
        let state = Arc::new(State::default());
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    rt::spawn(serve_connection(stream, state.clone()));
                }
                // E.g. out of file descriptors: wait a little for some to close.
                Err(_) => rt::sleep(Duration::from_millis(50)).await,
            }
        }
    })
}

/// Serves one connection until the client closes it, sends QUIT or breaks the protocol.
async fn serve_connection(mut stream: rt::TcpStream, state: Arc<State>) {
    // Request/response traffic: never wait to coalesce a reply.
    let _ = stream.set_nodelay(true);
    let mut input = Input::new();
    let mut args = Vec::new();
    let mut out = Vec::with_capacity(16 << 10);
    loop {
        loop {
            match input.next_command(&mut args) {
                Ok(Some(_)) if args.is_empty() => {}
                Ok(Some(command)) => match execute(&state, command, &args, &mut out) {
                    Outcome::Continue => {}
                    Outcome::Subscribe => {
                        let channels = owned_args(command, &args[1..]);
                        return subscriber_mode(stream, state, input, out, channels).await;
                    }
                    Outcome::Quit => {
                        let _ = stream.write_all(&out).await;
                        return;
                    }
                },
                Ok(None) => break,
                Err(error) => {
                    resp::error(&mut out, &format!("ERR {error}"));
                    let _ = stream.write_all(&out).await;
                    return;
                }
            }
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
        let spare = match input.spare() {
            Ok(spare) => spare,
            Err(error) => {
                resp::error(&mut out, &format!("ERR {error}"));
                let _ = stream.write_all(&out).await;
                return;
            }
        };
        match stream.read(spare).await {
            Ok(0) | Err(_) => return,
            Ok(read) => input.filled(read),
        }
    }
}

/// The arguments at `args` in `command`, copied.
fn owned_args(command: &[u8], args: &[Range<usize>]) -> Vec<Vec<u8>> {
    args.iter()
        .map(|range| command[range.clone()].to_vec())
        .collect()
}

/// The rest of a connection after its first SUBSCRIBE (see the module docs). `out`
/// holds the replies to the commands before it, not sent yet; `input` what is unparsed.
async fn subscriber_mode(
    stream: rt::TcpStream,
    state: Arc<State>,
    mut input: Input,
    mut out: Vec<u8>,
    channels: Vec<Vec<u8>>,
) {
    let (mut reader, writer) = stream.into_split();
    let (queue, queued) = rt::mpsc::unbounded_channel();
    let writer = rt::spawn(write_queued(writer, queued));
    let mut subscriptions = Subscriptions {
        forwarders: HashMap::new(),
        queue: queue.clone(),
    };
    for channel in channels {
        subscriptions.subscribe(&state, channel, &mut out);
    }
    let mut args = Vec::new();
    'connection: loop {
        loop {
            match input.next_command(&mut args) {
                Ok(Some(_)) if args.is_empty() => {}
                Ok(Some(command)) => {
                    if subscriptions.run(&state, command, &args, &mut out) == Outcome::Quit {
                        break 'connection;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    resp::error(&mut out, &format!("ERR {error}"));
                    break 'connection;
                }
            }
        }
        if !out.is_empty() && queue.send(mem::take(&mut out)).is_err() {
            break;
        }
        let Ok(spare) = input.spare() else {
            resp::error(&mut out, "ERR Protocol error: command too large");
            break;
        };
        match reader.read(spare).await {
            Ok(0) | Err(_) => break,
            Ok(read) => input.filled(read),
        }
    }
    if !out.is_empty() {
        let _ = queue.send(out);
    }
    // The forwarders hold the queue's other senders: once they and ours are gone, the
    // writer sends what is queued and ends.
    drop(subscriptions);
    drop(queue);
    let _ = writer.await;
}

/// A subscriber connection's channels, each with the task forwarding its messages.
struct Subscriptions {
    forwarders: HashMap<Vec<u8>, rt::JoinHandle<()>>,
    queue: rt::mpsc::UnboundedSender<Vec<u8>>,
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        for forwarder in self.forwarders.values() {
            forwarder.abort();
        }
    }
}

impl Subscriptions {
    /// Runs one command in subscriber mode, appending its reply to `out`.
    fn run(
        &mut self,
        state: &State,
        command: &[u8],
        args: &[Range<usize>],
        out: &mut Vec<u8>,
    ) -> Outcome {
        let name = &command[args[0].clone()];
        if is(name, "SUBSCRIBE") {
            if args.len() < 2 {
                wrong_arity(out, name);
            }
            for channel in owned_args(command, &args[1..]) {
                self.subscribe(state, channel, out);
            }
        } else if is(name, "UNSUBSCRIBE") {
            let mut channels = owned_args(command, &args[1..]);
            if channels.is_empty() {
                channels = self.forwarders.keys().cloned().collect();
                if channels.is_empty() {
                    self.confirm(out, "unsubscribe", None);
                }
            }
            for channel in channels {
                if let Some(forwarder) = self.forwarders.remove(&channel) {
                    forwarder.abort();
                }
                self.confirm(out, "unsubscribe", Some(&channel));
            }
        } else if self.forwarders.is_empty() && !is(name, "PING") {
            // No subscription left: a normal connection again (SUBSCRIBE is handled above).
            return execute(state, command, args, out);
        } else if is(name, "PING") {
            resp::array_header(out, 2);
            resp::bulk(out, Some(b"pong"));
            resp::bulk(
                out,
                Some(args.get(1).map_or(&b""[..], |arg| &command[arg.clone()])),
            );
        } else if is(name, "QUIT") {
            resp::simple(out, "OK");
            return Outcome::Quit;
        } else {
            let name = String::from_utf8_lossy(name).to_lowercase();
            resp::error(
                out,
                &format!(
                    "ERR Can't execute '{name}': only SUBSCRIBE / UNSUBSCRIBE / PING / QUIT are allowed in this context"
                ),
            );
        }
        Outcome::Continue
    }

    /// Subscribes to `channel` (once) and appends the confirmation. The receiver exists
    /// before the confirmation is sent, so a publish the client makes after reading it
    /// is delivered.
    fn subscribe(&mut self, state: &State, channel: Vec<u8>, out: &mut Vec<u8>) {
        if !self.forwarders.contains_key(&channel) {
            let receiver = state.pubsub.subscribe(&channel);
            let forwarder = rt::spawn(forward(receiver, self.queue.clone()));
            self.forwarders.insert(channel.clone(), forwarder);
        }
        self.confirm(out, "subscribe", Some(&channel));
    }

    /// Appends `[kind, channel, subscriptions left]`.
    fn confirm(&self, out: &mut Vec<u8>, kind: &str, channel: Option<&[u8]>) {
        resp::array_header(out, 3);
        resp::bulk(out, Some(kind.as_bytes()));
        resp::bulk(out, channel);
        resp::integer(out, self.forwarders.len() as i64);
    }
}

/// Moves a channel's messages onto the connection's queue until it is aborted or the
/// queue closes. A subscriber that fell behind loses the oldest messages, as in Redis
/// with a full output buffer (there the client is disconnected instead).
async fn forward(
    mut receiver: rt::broadcast::Receiver<Message>,
    queue: rt::mpsc::UnboundedSender<Vec<u8>>,
) {
    loop {
        match receiver.recv().await {
            Ok(message) => {
                if queue.send(message.to_vec()).is_err() {
                    return;
                }
            }
            Err(rt::broadcast::error::RecvError::Lagged(_)) => {}
            Err(rt::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Writes queued replies, batching what is queued into one write, until every sender
/// is gone or a write fails.
async fn write_queued(
    mut writer: rt::OwnedWriteHalf,
    mut queued: rt::mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(mut batch) = queued.recv().await {
        while let Ok(more) = queued.try_recv() {
            batch.extend_from_slice(&more);
        }
        if writer.write_all(&batch).await.is_err() {
            return;
        }
    }
}
