//! Network faults through the real runtime: each comes back to the caller as
//! a `std::io::Error` with the OS's kind, promptly, and nothing panics.
//! Refused connects, peer resets, ports in use, malformed addresses, early
//! EOF, and running out of file descriptors in `accept` (in a child process,
//! because it lowers the process's descriptor limit).
//!
//! Every wait is bounded with `magpie::time::timeout`, so a lost wakeup fails
//! the test instead of hanging it.

mod common;

use common::{
    bounded, descriptor_limit, report_first_pending, send_on, set_descriptor_limit, HANG_LIMIT,
};
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::mem;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use magpie::net::{TcpListener, TcpStream, UdpSocket};
use magpie::time::sleep;

fn check_libc(result: libc::c_int, what: &str) {
    assert!(result >= 0, "{what} failed: {}", io::Error::last_os_error());
}

/// A TCP port on 127.0.0.1 that is bound but not listening: a connect to it
/// is refused, and no other socket can take the port while this lives.
struct ClosedPort {
    _socket: OwnedFd,
    addr: SocketAddr,
}

fn closed_port() -> ClosedPort {
    // SAFETY: socket(2) with constant arguments; the result is checked below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    check_libc(fd, "socket");
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_in is plain integers; all-zero is a valid value.
    let mut addr: libc::sockaddr_in = unsafe { mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
    addr.sin_port = 0;
    let mut len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a valid sockaddr_in of `len` bytes that bind only reads.
    check_libc(
        unsafe {
            libc::bind(
                socket.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                len,
            )
        },
        "bind",
    );
    // SAFETY: `addr` and `len` are valid and writable; `len` holds the size of `addr`.
    check_libc(
        unsafe {
            libc::getsockname(
                socket.as_raw_fd(),
                (&mut addr as *mut libc::sockaddr_in).cast(),
                &mut len,
            )
        },
        "getsockname",
    );
    let port = u16::from_be(addr.sin_port);
    ClosedPort {
        _socket: socket,
        addr: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)),
    }
}

/// Sets `SO_LINGER` to {on, 0 s}: closing the socket then sends RST, not FIN.
fn set_linger_zero(fd: RawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `linger` is a valid libc::linger and the length passed is its size;
    // setsockopt only reads it. `fd` is an open socket owned by the caller.
    check_libc(
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        },
        "setsockopt(SO_LINGER)",
    );
}

fn is_reset_or_eof(result: &io::Result<usize>) -> bool {
    match result {
        Ok(0) => true,
        Err(error) => error.kind() == ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

#[magpie::test]
async fn connect_to_a_closed_port_is_refused_promptly() {
    let closed = closed_port();
    for _ in 0..3 {
        let started = Instant::now();
        let error = bounded("a refused connect", TcpStream::connect(closed.addr))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "refusal took {:?}",
            started.elapsed()
        );
    }
    // Every resolved address is tried; the last error comes back.
    let both = [closed.addr, closed.addr];
    let error = bounded("a refused connect", TcpStream::connect(&both[..]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
}

#[magpie::test]
async fn a_peer_reset_wakes_a_parked_read_with_reset_or_eof() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::net::TcpStream::connect(addr).unwrap();
    let (mut server, _) = bounded("accept", listener.accept()).await.unwrap();

    let (parked_tx, parked_rx) = mpsc::channel();
    let reader = magpie::spawn(async move {
        let mut buf = [0u8; 64];
        let read = report_first_pending(server.read(&mut buf), send_on(parked_tx)).await;
        // Whatever the read saw, the connection is gone: a write must fail
        // (possibly only the second one) rather than panic or hang.
        let first = server.write_all(b"anyone there?").await;
        let second = server.write_all(b"anyone there?").await;
        (read, first, second)
    });

    parked_rx
        .recv_timeout(HANG_LIMIT)
        .expect("the read to park in the reactor");
    set_linger_zero(peer.as_raw_fd());
    drop(peer);

    let (read, first, second) = bounded("the reset to reach the reader", reader)
        .await
        .unwrap();
    assert!(is_reset_or_eof(&read), "expected a reset or EOF: {read:?}");
    let write_error = first
        .err()
        .or(second.err())
        .expect("writes to a reset peer fail");
    assert!(
        matches!(
            write_error.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        ),
        "{write_error}"
    );
}

#[magpie::test]
async fn a_magpie_stream_reset_reaches_a_magpie_peer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = bounded(
        "connect and accept",
        futures::future::join(TcpStream::connect(addr), listener.accept()),
    )
    .await;
    let mut client = client.unwrap();
    let (server, _) = accepted.unwrap();

    let (parked_tx, parked_rx) = mpsc::channel();
    let reader = magpie::spawn(async move {
        let mut buf = [0u8; 64];
        report_first_pending(client.read(&mut buf), send_on(parked_tx)).await
    });
    bounded("the read to park", async {
        while parked_rx.try_recv().is_err() {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    set_linger_zero(server.as_raw_fd());
    drop(server);

    let read = bounded("the reset", reader).await.unwrap();
    assert!(is_reset_or_eof(&read), "expected a reset or EOF: {read:?}");
}

#[magpie::test]
async fn binding_a_used_port_is_addr_in_use() {
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = first.local_addr().unwrap();
    let error = TcpListener::bind(addr).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AddrInUse, "{error}");

    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let error = TcpListener::bind(std_listener.local_addr().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AddrInUse, "{error}");

    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let error = UdpSocket::bind(udp.local_addr().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AddrInUse, "{error}");

    // The first listener is unharmed.
    let client = std::net::TcpStream::connect(addr).unwrap();
    let (_, peer) = bounded("accept", first.accept()).await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
}

#[magpie::test]
async fn bad_addresses_and_misuse_are_errors_not_panics() {
    let error = TcpStream::connect("127.0.0.1").await.unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::InvalidInput,
        "missing port: {error}"
    );
    let error = TcpListener::bind("127.0.0.1:not-a-port").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "bad port: {error}");
    let no_addresses: &[SocketAddr] = &[];
    assert!(TcpStream::connect(no_addresses).await.is_err());
    assert!(TcpListener::bind(no_addresses).await.is_err());
    assert!(UdpSocket::bind(no_addresses).await.is_err());

    // An address this host does not have (TEST-NET-1, RFC 5737).
    let error = TcpListener::bind("192.0.2.1:0").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AddrNotAvailable, "{error}");

    // `send` on an unconnected UDP socket has no destination.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert!(udp.send(b"to nobody").await.is_err());
    assert_eq!(udp.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);

    // Early EOF in read_exact.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = bounded("accept", listener.accept()).await.unwrap();
    peer.write_all(b"abc").unwrap();
    drop(peer);
    let mut buf = [0u8; 8];
    let error = bounded("read_exact", server.read_exact(&mut buf))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "{error}");
}

// ---- EMFILE from accept, in a child process --------------------------------

/// Set in the child's environment: run the EMFILE scenario for real.
const EMFILE_CHILD_ENV: &str = "MAGPIE_EMFILE_CHILD";
const EMFILE_TEST_NAME: &str = "accept_reports_emfile_without_spinning_and_recovers";

/// CPU time (user + system) this process has used so far.
fn process_cpu_time() -> Duration {
    // SAFETY: rusage is plain integers; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { mem::zeroed() };
    // SAFETY: `usage` is valid and writable for getrusage to fill in.
    check_libc(
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) },
        "getrusage",
    );
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// Lowers the soft `RLIMIT_NOFILE` to `soft` (this process only).
fn lower_descriptor_limit(soft: libc::rlim_t) {
    let mut limit = descriptor_limit();
    limit.rlim_cur = soft.min(limit.rlim_max);
    set_descriptor_limit(&limit);
}

/// The scenario itself; runs only in the child process.
fn emfile_scenario() {
    lower_descriptor_limit(128);
    let runtime = magpie::runtime::Builder::new()
        .worker_threads(2)
        .build()
        .expect("build runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Queued in the backlog, waiting for accept.
        let mut client = std::net::TcpStream::connect(addr).unwrap();

        let mut hoard = Vec::new();
        loop {
            match File::open("/dev/null") {
                Ok(file) => hoard.push(file),
                Err(error) if error.raw_os_error() == Some(libc::EMFILE) => break,
                Err(error) => panic!("unexpected error while using up descriptors: {error}"),
            }
        }

        let error = bounded("accept without descriptors", listener.accept())
            .await
            .unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{error}");

        // A server's usual answer: retry after a short sleep. Meanwhile the
        // runtime must not spin (mio is edge-triggered, and the pending
        // connection produces no new events).
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let mut retries = 0;
        while started.elapsed() < Duration::from_millis(500) {
            let error = bounded("accept retry", listener.accept())
                .await
                .unwrap_err();
            assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{error}");
            retries += 1;
            sleep(Duration::from_millis(20)).await;
        }
        let cpu_used = process_cpu_time() - cpu_before;
        let wall = started.elapsed();
        println!("EMFILE retries: {retries}, CPU {cpu_used:?} over {wall:?}");
        assert!(retries >= 5, "only {retries} retries in {wall:?}");
        assert!(
            cpu_used < Duration::from_millis(150),
            "the process used {cpu_used:?} of CPU in {wall:?} while accept kept failing: a spin"
        );

        // With descriptors free again, the queued connection is accepted.
        drop(hoard);
        let (mut stream, peer) = bounded("accept after recovery", listener.accept())
            .await
            .unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        client.write_all(b"hello").unwrap();
        let mut buf = [0u8; 5];
        bounded("read", stream.read_exact(&mut buf)).await.unwrap();
        assert_eq!(&buf, b"hello");
        stream.write_all(b"world").await.unwrap();
        client.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"world");
    });
}

/// Re-runs this test binary with only the EMFILE test selected and the child
/// variable set, so the lowered descriptor limit touches nothing else.
#[test]
fn accept_reports_emfile_without_spinning_and_recovers() {
    if std::env::var_os(EMFILE_CHILD_ENV).is_some() {
        emfile_scenario();
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            EMFILE_TEST_NAME,
            "--nocapture",
            "--test-threads=1",
        ])
        .env(EMFILE_CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child test process");
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    let output = match done_rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.expect("wait for the child"),
        Err(_) => {
            // SAFETY: kill(2) on the pid of the child this test started and has
            // not reaped (its waiter thread is still blocked in wait).
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("the EMFILE child process hung; killed it");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "EMFILE child failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
}
