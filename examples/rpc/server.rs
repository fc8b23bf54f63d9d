//! The RPC server: accepts connections and answers each request in its own task, so a
//! slow request does not hold up the ones behind it and replies go out in the order
//! they finish, not the order they came.
//!
//! Per connection: one task reads and decodes requests and spawns a handler per request;
//! handlers push encoded replies onto an mpsc queue; one writer task drains the queue into
//! the socket (batching what is queued). The connection closes once the client stops
//! sending and every handler has answered.
//!
//! Written against `super::rt` (`examples/runtimes/`): the demo binds it to magpie; the
//! benchmark server `examples/real_rpc` compiles this same body for magpie and for tokio.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures::io::BufReader;

use super::framing::{read_frame, write_frames, ReadError};
use super::protocol::{
    decode_request, encode_reply, parse_sleep_payload, FrameError, Method, Request,
};
use super::rt::{self, mpsc, TcpListener, TcpStream, ToSocketAddrs};

/// The longest wait a `Sleep` request may ask for; longer ones get an error reply.
pub const MAX_SLEEP_MILLIS: u64 = 10_000;

/// A bound listening socket, ready to serve.
pub struct Server {
    listener: TcpListener,
}

impl Server {
    /// Binds the server to `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    ///
    /// # Panics
    /// Outside a runtime of the kind `super::rt` names.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr).await?,
        })
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections forever, serving each in its own task. A failed accept (for
    /// example, out of file descriptors) is reported on stderr and retried shortly
    /// after; it never stops the server.
    pub async fn run(self) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _peer)) => {
                    rt::spawn(serve_connection(stream));
                }
                Err(error) => {
                    eprintln!("rpc server: accept failed: {error}");
                    rt::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Size of the reader's buffer: many small requests per read syscall.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Serves one connection until the client closes it or sends something unreadable.
/// Errors end this connection only; they are reported on stderr.
pub async fn serve_connection(stream: TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        eprintln!("rpc server: set_nodelay failed: {error}");
    }
    let (read_half, write_half) = stream.into_split();
    let mut write_half = rt::futures_write(write_half);
    let (replies, queued) = mpsc::unbounded_channel();
    let writer = rt::spawn(async move {
        if let Err(error) = write_frames(&mut write_half, queued).await {
            eprintln!("rpc server: writing replies failed: {error}");
        }
    });

    let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, rt::futures_read(read_half));
    loop {
        let body = match read_frame(&mut reader).await {
            Ok(Some(body)) => body,
            Ok(None) => break,
            Err(ReadError::Io(error)) if error.kind() == io::ErrorKind::ConnectionReset => break,
            Err(error) => {
                eprintln!("rpc server: closing connection: {error}");
                break;
            }
        };
        match decode_request(body) {
            Ok(request) => {
                let replies = replies.clone();
                rt::spawn(async move {
                    let id = request.id;
                    let outcome = handle(request).await;
                    send_reply(&replies, id, outcome.as_deref().map_err(String::as_str));
                });
            }
            // The frame was whole and its id is known: answer it, keep the connection.
            Err(FrameError::UnknownMethod { id, method }) => {
                let message = format!("unknown method {method}");
                send_reply(&replies, id, Err(&message));
            }
            Err(error) => {
                eprintln!("rpc server: closing connection: malformed request: {error}");
                break;
            }
        }
    }
    // Handlers still running hold clones of `replies`; the writer finishes once they
    // have all answered.
    drop(replies);
    // A panicking writer is already reported by the runtime; nothing more to do here.
    let _ = writer.await;
}

/// Encodes a reply and queues it for the connection's writer.
fn send_reply(replies: &mpsc::UnboundedSender<Vec<u8>>, id: u64, outcome: Result<&[u8], &str>) {
    let mut frame = Vec::new();
    if let Err(error) = encode_reply(id, outcome, &mut frame) {
        let message = format!("reply could not be encoded: {error}");
        frame.clear();
        encode_reply(id, Err(&message), &mut frame)
            .expect("a short error message always fits in a frame");
    }
    // The writer is gone only if the connection failed; the reply has nowhere to go.
    let _ = replies.send(frame);
}

/// Runs one request: the reply's payload, or the error message to send back.
async fn handle(request: Request) -> Result<Vec<u8>, String> {
    match request.method {
        Method::Echo => Ok(request.payload),
        Method::Sleep => {
            let millis = parse_sleep_payload(&request.payload)?;
            if millis > MAX_SLEEP_MILLIS {
                return Err(format!(
                    "sleep of {millis} ms exceeds the {MAX_SLEEP_MILLIS} ms limit"
                ));
            }
            rt::sleep(Duration::from_millis(millis)).await;
            Ok(request.payload)
        }
        Method::Fail => Err(String::from_utf8_lossy(&request.payload).into_owned()),
    }
}
