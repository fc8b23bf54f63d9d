//! `examples/graceful_shutdown.rs`, run as a child process: after SIGTERM it stops
//! accepting, finishes the request in flight, closes the idle connection and exits 0.
//!
//! `cargo test` builds the package's examples next to the test binaries
//! (`target/<profile>/examples/`); when only this test was built (`cargo test --test
//! graceful_shutdown`), the test builds the example with the same cargo first.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: the machine running the tests may be loaded.
const LIMIT: Duration = Duration::from_secs(30);

/// The example's binary, built if it is not there yet.
fn example_binary() -> PathBuf {
    // This test runs as target/<profile>/deps/graceful_shutdown-<hash>.
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let binary = deps
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("graceful_shutdown{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let profile_dir = deps.parent().unwrap();
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--example", "graceful_shutdown"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().expect("cannot run cargo");
        assert!(status.success(), "building the example failed");
    }
    assert!(binary.exists(), "no example binary at {}", binary.display());
    binary
}

/// Kills the server if the test fails before it exits.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    (stream, reader)
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_zero() {
    let mut server = Server(
        Command::new(example_binary())
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let first = read_line(&mut stdout);
    let addr: SocketAddr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();

    // The server works.
    let (mut busy, mut busy_reader) = connect(addr);
    busy.write_all(b"hello\n").unwrap();
    assert_eq!(read_line(&mut busy_reader), "hello\n");
    // An idle connection, and a request in flight when the signal comes.
    let (_idle, mut idle_reader) = connect(addr);
    busy.write_all(b"slow\n").unwrap();
    assert_eq!(read_line(&mut busy_reader), "working\n");

    // SAFETY: `kill` takes two integers; the server is our unreaped child (the `Child`
    // in `server`), so its pid cannot have been reused.
    let sent = unsafe { libc::kill(server.0.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);

    // It stops accepting: once it says so, its port refuses connections.
    assert!(read_line(&mut stdout).starts_with("shutting down"));
    let refused = TcpStream::connect_timeout(&addr, LIMIT);
    assert!(refused.is_err(), "the server still accepts after SIGTERM");
    // The request in flight completes; the idle connection is closed.
    assert_eq!(read_line(&mut busy_reader), "slow done\n");
    let mut rest = Vec::new();
    idle_reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());

    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "the server exited with {status}");
    let mut farewell = String::new();
    stdout.read_to_string(&mut farewell).unwrap();
    assert_eq!(farewell, "all connections finished, bye\n");
}
