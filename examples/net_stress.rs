//! A networking stress run, small enough to finish under valgrind: many TCP
//! connections echoing many messages at once (half of them pipelined through
//! owned halves in two tasks), connect/close churn that includes connections
//! reset with unread data, a UDP ping-pong, and timers (sleeps, timeouts that
//! fire, timeouts that cancel their sleep, an interval), all on one runtime.
//! At the end the runtime is dropped while the servers are still parked in
//! `accept` and `recv_from`, so the shutdown paths run too.
//!
//! ```sh
//! cargo run --example net_stress
//! cargo run --example net_stress -- --connections 16 --messages 20 --churn 40
//! ```
//!
//! The README's "Stress and valgrind" section has the valgrind command. Every
//! wait is bounded, so a lost wakeup ends the run with an error instead of a
//! hang. Prints a summary and exits 0 when every echo, datagram and timer
//! checked out; prints what went wrong and exits 1 otherwise (2 for bad
//! arguments).

use std::future::{pending, Future};
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use magpie::net::{TcpListener, TcpStream, UdpSocket};
use magpie::task::JoinSet;
use magpie::time::{interval, sleep, timeout};

/// How long one network operation may take before the run fails. Generous:
/// valgrind slows everything down some fifty times.
const OPERATION_LIMIT: Duration = Duration::from_secs(60);

/// How much of the run each part does; set from the command line.
#[derive(Debug, Clone, Copy)]
struct Config {
    workers: usize,
    connections: usize,
    messages: usize,
    churn: usize,
    datagrams: usize,
    timers: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            workers: 2,
            connections: 64,
            messages: 100,
            churn: 300,
            datagrams: 500,
            timers: 200,
        }
    }
}

const USAGE: &str = "usage: net_stress [--workers N] [--connections N] [--messages N] \
                     [--churn N] [--datagrams N] [--timers N]";

impl Config {
    /// Reads `--name N` pairs; anything else is an error naming the culprit.
    fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let mut config = Config::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let field = match flag.as_str() {
                "--workers" => &mut config.workers,
                "--connections" => &mut config.connections,
                "--messages" => &mut config.messages,
                "--churn" => &mut config.churn,
                "--datagrams" => &mut config.datagrams,
                "--timers" => &mut config.timers,
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            };
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a number\n{USAGE}"))?;
            *field = value
                .parse()
                .map_err(|_| format!("`{flag} {value}`: not a non-negative integer\n{USAGE}"))?;
        }
        if config.workers == 0 {
            return Err(format!("`--workers` must be at least 1\n{USAGE}"));
        }
        Ok(config)
    }
}

/// What the run did, for the summary.
#[derive(Debug, Default)]
struct Summary {
    messages_echoed: u64,
    bytes_echoed: u64,
    churn_connections: u64,
    datagrams: u64,
    datagram_resends: u64,
    timers_fired: u64,
}

/// Counted by the echo server's connection tasks (which write), read at the
/// end by `main`.
#[derive(Debug, Default)]
struct ServerStats {
    connections: AtomicU64,
    /// Connections that ended in an error (resets from the churn), not EOF.
    errors: AtomicU64,
}

/// Awaits `future`, or fails naming `what` after [`OPERATION_LIMIT`].
async fn bounded<F: Future>(what: &str, future: F) -> Result<F::Output, String> {
    timeout(OPERATION_LIMIT, future)
        .await
        .map_err(|_| format!("timed out after {OPERATION_LIMIT:?}: {what}"))
}

/// Awaits a network operation: a timeout and an IO error both become a
/// message naming `what`.
async fn net<T>(what: &str, future: impl Future<Output = io::Result<T>>) -> Result<T, String> {
    bounded(what, future)
        .await?
        .map_err(|error| format!("{what}: {error}"))
}

/// The bytes of message `index` on connection `connection`: its length and
/// contents both vary, so a misrouted or torn echo shows.
fn message(connection: usize, index: usize) -> Vec<u8> {
    let len = 1 + (connection * 131 + index * 71) % 4000;
    (0..len)
        .map(|i| (i + connection * 7 + index * 13) as u8)
        .collect()
}

/// Accepts forever, echoing each connection in its own task. Never returns
/// normally: the runtime is dropped with it parked in `accept`.
async fn echo_server(listener: TcpListener, stats: Arc<ServerStats>) -> Result<(), String> {
    loop {
        let (socket, _) = listener
            .accept()
            .await
            .map_err(|error| format!("accept: {error}"))?;
        stats.connections.fetch_add(1, SeqCst);
        let stats = stats.clone();
        magpie::spawn(async move {
            if echo(socket).await.is_err() {
                stats.errors.fetch_add(1, SeqCst);
            }
        });
    }
}

async fn echo(mut socket: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        socket.write_all(&buf[..n]).await?;
    }
}

/// One request/response at a time on one connection.
async fn lock_step_client(addr: SocketAddr, id: usize, messages: usize) -> Result<u64, String> {
    let mut stream = net("connect", TcpStream::connect(addr)).await?;
    stream
        .set_nodelay(true)
        .map_err(|error| format!("set_nodelay: {error}"))?;
    let mut bytes = 0;
    let mut echo = Vec::new();
    for index in 0..messages {
        let sent = message(id, index);
        net("write a message", stream.write_all(&sent)).await?;
        echo.resize(sent.len(), 0);
        net("read an echo", stream.read_exact(&mut echo)).await?;
        if echo != sent {
            return Err(format!("connection {id}: echo of message {index} differs"));
        }
        bytes += sent.len() as u64;
    }
    Ok(bytes)
}

/// All messages written by one task while another reads and checks the
/// echoes: the two halves of one socket busy at once, maybe on two workers.
async fn pipelined_client(addr: SocketAddr, id: usize, messages: usize) -> Result<u64, String> {
    let stream = net("connect", TcpStream::connect(addr)).await?;
    let (mut reader, mut writer) = stream.into_split();
    let writing = magpie::spawn(async move {
        for index in 0..messages {
            net("write a message", writer.write_all(&message(id, index))).await?;
        }
        Ok::<_, String>(())
    });
    let mut bytes = 0;
    let mut echo = Vec::new();
    for index in 0..messages {
        let expected = message(id, index);
        echo.resize(expected.len(), 0);
        net("read an echo", reader.read_exact(&mut echo)).await?;
        if echo != expected {
            return Err(format!("connection {id}: echo of message {index} differs"));
        }
        bytes += expected.len() as u64;
    }
    bounded("the writer task", writing)
        .await?
        .map_err(|error| format!("writer task: {error}"))??;
    Ok(bytes)
}

/// Short-lived connections, closed in three ways: after an echo, at once,
/// and with the echo still unread (which makes the kernel send a reset).
async fn churn(addr: SocketAddr, count: usize) -> Result<u64, String> {
    for i in 0..count {
        let mut stream = net("churn connect", TcpStream::connect(addr)).await?;
        match i % 3 {
            0 => {
                net("churn write", stream.write_all(b"x")).await?;
                let mut byte = [0u8; 1];
                net("churn read", stream.read_exact(&mut byte)).await?;
            }
            1 => {}
            _ => {
                net("churn write", stream.write_all(&[7u8; 512])).await?;
                // Wait for the echo (peek leaves it queued), so the close
                // finds it unread. Not `readable()`: a fresh socket counts
                // as readable before any data arrives.
                let mut byte = [0u8; 1];
                net("churn peek", stream.peek(&mut byte)).await?;
            }
        }
    }
    Ok(count as u64)
}

/// Echoes datagrams forever; the runtime is dropped with it parked.
async fn udp_echo_server(socket: UdpSocket) -> Result<(), String> {
    let mut buf = [0u8; 64];
    loop {
        let (n, from) = net("udp recv_from", socket.recv_from(&mut buf)).await?;
        net("udp send_to", socket.send_to(&buf[..n], from)).await?;
    }
}

/// Lock-step ping-pong; a datagram lost (loopback rarely drops one) or late
/// is sent again, and stale echoes are skipped. Returns (datagrams, resends).
async fn udp_client(server: SocketAddr, count: usize) -> Result<(u64, u64), String> {
    let socket = net("udp bind", UdpSocket::bind("127.0.0.1:0")).await?;
    net("udp connect", socket.connect(server)).await?;
    let mut resends = 0;
    let mut buf = [0u8; 64];
    for seq in 0..count as u64 {
        let mut attempts = 0;
        'attempt: loop {
            attempts += 1;
            if attempts > 20 {
                return Err(format!("udp: no echo of datagram {seq} after 20 sends"));
            }
            net("udp send", socket.send(&seq.to_le_bytes())).await?;
            loop {
                match timeout(Duration::from_secs(2), socket.recv(&mut buf)).await {
                    Err(_) => {
                        resends += 1;
                        continue 'attempt;
                    }
                    Ok(Err(error)) => return Err(format!("udp recv: {error}")),
                    Ok(Ok(8)) if buf[..8] == seq.to_le_bytes() => break 'attempt,
                    Ok(Ok(8)) => {} // an echo of an earlier resend
                    Ok(Ok(n)) => return Err(format!("udp: echo of {n} bytes, expected 8")),
                }
            }
        }
    }
    Ok((count as u64, resends))
}

/// Sleeps that must not end early, timeouts that must fire, timeouts that
/// cancel a longer sleep, and an interval. Returns how many timers fired.
async fn timers(count: usize) -> Result<u64, String> {
    let mut set = JoinSet::new();
    for i in 0..count {
        set.spawn(async move {
            let wanted = Duration::from_millis((i % 20) as u64);
            let started = Instant::now();
            match i % 3 {
                0 => {
                    sleep(wanted).await;
                    if started.elapsed() < wanted {
                        return Err(format!("a sleep of {wanted:?} ended early"));
                    }
                }
                1 => {
                    if timeout(wanted, pending::<()>()).await.is_ok() {
                        return Err("a timeout around a never-ready future completed".into());
                    }
                }
                _ => {
                    // The inner sleep is cancelled when the timeout fires.
                    if timeout(wanted, sleep(Duration::from_secs(3600)))
                        .await
                        .is_ok()
                    {
                        return Err("an hour's sleep finished early".into());
                    }
                }
            }
            Ok::<_, String>(())
        });
    }
    let mut fired = 0;
    while let Some(joined) = bounded("a timer task", set.join_next()).await? {
        joined.map_err(|error| format!("timer task: {error}"))??;
        fired += 1;
    }
    let mut ticker = interval(Duration::from_millis(1));
    for _ in 0..20 {
        bounded("an interval tick", ticker.tick()).await?;
        fired += 1;
    }
    Ok(fired)
}

async fn run(config: Config, server_stats: Arc<ServerStats>) -> Result<Summary, String> {
    let listener = net("bind", TcpListener::bind("127.0.0.1:0")).await?;
    let addr = listener
        .local_addr()
        .map_err(|error| format!("local_addr: {error}"))?;
    // Detached: parked in accept when the runtime is dropped.
    drop(magpie::spawn(echo_server(listener, server_stats)));

    let udp_server = net("udp bind", UdpSocket::bind("127.0.0.1:0")).await?;
    let udp_addr = udp_server
        .local_addr()
        .map_err(|error| format!("udp local_addr: {error}"))?;
    drop(magpie::spawn(udp_echo_server(udp_server)));

    let mut echo_clients = JoinSet::new();
    for id in 0..config.connections {
        if id % 2 == 0 {
            echo_clients.spawn(lock_step_client(addr, id, config.messages));
        } else {
            echo_clients.spawn(pipelined_client(addr, id, config.messages));
        }
    }
    let churners: Vec<_> = (0..4)
        .map(|part| {
            let share = config.churn / 4 + usize::from(part < config.churn % 4);
            magpie::spawn(churn(addr, share))
        })
        .collect();
    let udp = magpie::spawn(udp_client(udp_addr, config.datagrams));
    let timer_task = magpie::spawn(timers(config.timers));

    let mut summary = Summary::default();
    while let Some(joined) = bounded("an echo client", echo_clients.join_next()).await? {
        summary.bytes_echoed += joined.map_err(|error| format!("echo client: {error}"))??;
        summary.messages_echoed += config.messages as u64;
    }
    for churner in churners {
        summary.churn_connections += bounded("a churn task", churner)
            .await?
            .map_err(|error| format!("churn task: {error}"))??;
    }
    let (datagrams, resends) = bounded("the udp client", udp)
        .await?
        .map_err(|error| format!("udp client: {error}"))??;
    summary.datagrams = datagrams;
    summary.datagram_resends = resends;
    summary.timers_fired = bounded("the timer task", timer_task)
        .await?
        .map_err(|error| format!("timer task: {error}"))??;
    Ok(summary)
}

fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match magpie::runtime::Builder::new()
        .worker_threads(config.workers)
        .thread_name("net-stress")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("net_stress: cannot build the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let server_stats = Arc::new(ServerStats::default());
    let started = Instant::now();
    let result = runtime.block_on(run(config, server_stats.clone()));
    let elapsed = started.elapsed();
    // The servers are still parked in accept and recv_from.
    let dropping = Instant::now();
    drop(runtime);
    let drop_took = dropping.elapsed();

    match result {
        Ok(summary) => {
            println!("net_stress: {config:?}");
            println!(
                "  echo:   {} connections, {} messages, {} bytes",
                config.connections, summary.messages_echoed, summary.bytes_echoed
            );
            println!(
                "  churn:  {} connections; server saw {} connections, {} ended in an error",
                summary.churn_connections,
                server_stats.connections.load(SeqCst),
                server_stats.errors.load(SeqCst)
            );
            println!(
                "  udp:    {} datagrams echoed, {} resent",
                summary.datagrams, summary.datagram_resends
            );
            println!("  timers: {} fired", summary.timers_fired);
            println!("  took {elapsed:?}; dropping the runtime took {drop_took:?}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("net_stress failed: {message}");
            ExitCode::FAILURE
        }
    }
}
