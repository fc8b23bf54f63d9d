//! Smoke tests of the real-program benchmark servers (`examples/real_hyper`,
//! `examples/kv`, `examples/real_rpc`): each server body, built for magpie and for tokio,
//! is started on a loopback port in this process and must answer real requests from a
//! plain blocking client: an HTTP GET; SET, GET, DEL, pipelined PING and one
//! PUBLISH/SUBSCRIBE delivery over RESP; one RPC echo call. The kv server's runtime-free
//! floor (`examples/kv/on_floor.rs`, one thread) must answer the same commands and
//! refuse SUBSCRIBE. Also the RESP parser's handling of split and inline input, which
//! the benchmark's load generators rely on.

// Each server body is compiled once per runtime, on purpose.
#![allow(clippy::duplicate_mod)]

mod common;

#[cfg(feature = "hyper")]
#[path = "../examples/real_hyper/on_magpie.rs"]
mod hyper_on_magpie;
#[cfg(feature = "hyper")]
#[path = "../examples/real_hyper/on_tokio.rs"]
mod hyper_on_tokio;
#[path = "../examples/kv/on_floor.rs"]
mod kv_on_floor;
#[path = "../examples/kv/on_magpie.rs"]
mod kv_on_magpie;
#[path = "../examples/kv/on_tokio.rs"]
mod kv_on_tokio;
#[path = "../examples/kv/resp.rs"]
#[allow(dead_code)] // the reply encoders: the servers' business
mod resp;
#[path = "../examples/real_rpc/on_magpie.rs"]
mod rpc_on_magpie;
#[path = "../examples/real_rpc/on_tokio.rs"]
mod rpc_on_tokio;
#[path = "../examples/rpc/protocol.rs"]
#[allow(dead_code)] // the server's half of the wire format
mod rpc_protocol;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;

use common::HANG_LIMIT;

/// How a server body starts: workers, address, and what to call with the bound address.
type Serve = fn(Option<usize>, SocketAddr, Box<dyn FnOnce(SocketAddr)>) -> io::Result<()>;

/// Starts `serve` on its own thread with 2 workers on a free loopback port; its address.
/// The server runs until the test process ends.
fn start(name: &str, serve: Serve) -> SocketAddr {
    start_with_workers(name, serve, 2)
}

/// [`start`] with `workers` workers.
fn start_with_workers(name: &str, serve: Serve, workers: usize) -> SocketAddr {
    let (bound, address) = mpsc::channel();
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let thread_name = name.to_string();
    thread::Builder::new()
        .name(thread_name.clone())
        .spawn(move || {
            let report = Box::new(move |addr| bound.send(addr).expect("the test waits"));
            if let Err(error) = serve(Some(workers), any_port, report) {
                panic!("{thread_name}: the server stopped: {error}");
            }
        })
        .expect("spawning the server thread");
    address
        .recv_timeout(HANG_LIMIT)
        .unwrap_or_else(|error| panic!("{name}: the server did not start: {error}"))
}

/// A blocking connection whose reads and writes fail instead of hanging.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connecting");
    stream.set_read_timeout(Some(HANG_LIMIT)).unwrap();
    stream.set_write_timeout(Some(HANG_LIMIT)).unwrap();
    stream
}

/// Sends `request`, then expects exactly `reply` (and no more, for now).
fn exchange(stream: &mut TcpStream, request: &[u8], reply: &[u8]) {
    stream.write_all(request).expect("sending");
    expect(stream, reply);
}

/// Reads `reply.len()` bytes and checks that they are `reply`.
fn expect(stream: &mut TcpStream, reply: &[u8]) {
    let mut got = vec![0; reply.len()];
    stream.read_exact(&mut got).unwrap_or_else(|error| {
        panic!(
            "reading {:?}: {error}",
            String::from_utf8_lossy(reply).escape_debug()
        )
    });
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(reply)
    );
}

#[cfg(feature = "hyper")]
fn hyper_answers_a_get(name: &str, serve: Serve) {
    let mut stream = connect(start(name, serve));
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("sending the request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("reading the response");
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 200 OK\r\n"),
        "{name}: {response}"
    );
    assert!(
        response.ends_with("\r\n\r\nHello, world!"),
        "{name}: {response}"
    );
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_hello_answers_on_magpie() {
    hyper_answers_a_get("hyper on magpie", hyper_on_magpie::serve);
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_hello_answers_on_tokio() {
    hyper_answers_a_get("hyper on tokio", hyper_on_tokio::serve);
}

/// SET, GET, DEL, pipelined and inline, and what redis-benchmark asks first; the client.
fn kv_answers_commands(addr: SocketAddr) -> TcpStream {
    let mut client = connect(addr);
    // SET and GET as arrays of bulk strings, then an inline PING, in one write.
    exchange(
        &mut client,
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING\r\n",
        b"+OK\r\n$5\r\nvalue\r\n+PONG\r\n",
    );
    exchange(
        &mut client,
        b"*3\r\n$3\r\nDEL\r\n$3\r\nkey\r\n$7\r\nmissing\r\n",
        b":1\r\n",
    );
    exchange(&mut client, b"GET key\r\n", b"$-1\r\n");
    // What redis-benchmark asks before it starts.
    exchange(
        &mut client,
        b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nappendonly\r\n",
        b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n",
    );
    client
}

fn kv_answers_commands_and_delivers_a_message(name: &str, serve: Serve) {
    let addr = start(name, serve);
    let mut client = kv_answers_commands(addr);

    let mut subscriber = connect(addr);
    exchange(
        &mut subscriber,
        b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
    );
    exchange(
        &mut client,
        b"*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
        b":1\r\n",
    );
    expect(
        &mut subscriber,
        b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
    );
    // Subscribed: PING is answered in the push format, GET is refused.
    exchange(
        &mut subscriber,
        b"PING\r\n",
        b"*2\r\n$4\r\npong\r\n$0\r\n\r\n",
    );
    exchange(
        &mut subscriber,
        b"GET key\r\n",
        b"-ERR Can't execute 'get': only SUBSCRIBE / UNSUBSCRIBE / PING / QUIT are allowed in this context\r\n",
    );
}

#[test]
fn kv_answers_on_magpie() {
    kv_answers_commands_and_delivers_a_message("kv on magpie", kv_on_magpie::serve);
}

#[test]
fn kv_answers_on_tokio() {
    kv_answers_commands_and_delivers_a_message("kv on tokio", kv_on_tokio::serve);
}

#[test]
fn kv_answers_on_the_floor() {
    let addr = start_with_workers("kv floor", kv_on_floor::serve, 1);
    let mut client = kv_answers_commands(addr);
    exchange(
        &mut client,
        b"*3\r\n$6\r\nEXISTS\r\n$3\r\nkey\r\n$3\r\nkey\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
        b":0\r\n$2\r\nhi\r\n",
    );
    // No pub/sub without tasks: nobody can subscribe, so a message reaches no one.
    exchange(
        &mut client,
        b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n",
        b"-ERR not supported by the floor server\r\n",
    );
    exchange(
        &mut client,
        b"*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
        b":0\r\n",
    );
    // The floor is one thread.
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let refused = kv_on_floor::serve(Some(2), any_port, Box::new(|_| {}));
    assert_eq!(
        refused.map_err(|error| error.kind()),
        Err(io::ErrorKind::InvalidInput)
    );
}

fn rpc_answers_an_echo(name: &str, serve: Serve) {
    let mut stream = connect(start(name, serve));
    let mut request = Vec::new();
    rpc_protocol::encode_request(41, rpc_protocol::Method::Echo, b"ping", &mut request)
        .expect("encoding");
    stream.write_all(&request).expect("sending");
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix).expect("reading the length");
    let mut body = vec![0; u32::from_be_bytes(prefix) as usize];
    stream.read_exact(&mut body).expect("reading the body");
    assert_eq!(
        rpc_protocol::decode_reply(body),
        Ok(rpc_protocol::Reply {
            id: 41,
            outcome: Ok(b"ping".to_vec())
        }),
        "{name}"
    );
}

#[test]
fn rpc_answers_on_magpie() {
    rpc_answers_an_echo("rpc on magpie", rpc_on_magpie::serve);
}

#[test]
fn rpc_answers_on_tokio() {
    rpc_answers_an_echo("rpc on tokio", rpc_on_tokio::serve);
}

/// Parses `input` and returns the arguments as strings, or `None` if incomplete.
fn parse(input: &[u8]) -> Result<Option<(usize, Vec<String>)>, resp::ProtocolError> {
    let mut args = Vec::new();
    Ok(resp::parse_command(input, &mut args)?.map(|used| {
        let words = args
            .iter()
            .map(|range| String::from_utf8_lossy(&input[range.clone()]).into_owned())
            .collect();
        (used, words)
    }))
}

#[test]
fn resp_commands_split_anywhere_parse_only_once_complete() {
    let command = b"*3\r\n$3\r\nSET\r\n$4\r\nk\r\nx\r\n$0\r\n\r\n";
    for cut in 0..command.len() {
        assert_eq!(parse(&command[..cut]), Ok(None), "cut at {cut}");
    }
    let mut two = command.to_vec();
    two.extend_from_slice(b"PING");
    assert_eq!(
        parse(&two),
        Ok(Some((
            command.len(),
            vec!["SET".to_string(), "k\r\nx".to_string(), String::new()]
        )))
    );
}

#[test]
fn resp_inline_commands_split_on_spaces_and_bad_input_is_refused() {
    assert_eq!(
        parse(b"  SET  a   b\r\nGET"),
        Ok(Some((14, vec!["SET".into(), "a".into(), "b".into()])))
    );
    assert_eq!(parse(b"PING\n"), Ok(Some((5, vec!["PING".into()]))));
    assert_eq!(parse(b"\r\n"), Ok(Some((2, vec![]))));
    assert!(parse(b"*1\r\n+OK\r\n").is_err());
    assert!(parse(b"*1\r\n$3\r\nGETX\r\n").is_err());
    assert!(parse(b"*x\r\n").is_err());
    assert!(parse(&vec![b'a'; resp::MAX_INLINE_LEN]).is_err());
}
