//! Seeing inside a running magpie service: a small line-echo server with
//! one deliberately blocking handler (a `block` request sleeps on the
//! worker thread, as a careless synchronous call would). The runtime's
//! stall detector names the task that blocked and where it was spawned;
//! every second, and on SIGUSR1, the example prints the runtime's metrics
//! and a task dump.
//!
//! ```sh
//! cargo run --release --example observe            # drives itself for ~3 s
//! cargo run --release --example observe -- serve   # serves 127.0.0.1:7879 until killed
//! ```
//! (then, for the second form: `echo block | nc 127.0.0.1 7879`, and
//! `pkill -USR1 -f 'observe serve'` for a report on demand).

use magpie::net::{TcpListener, TcpStream};
use magpie::runtime::{Builder, Handle};
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let serve = std::env::args().nth(1).as_deref() == Some("serve");
    let rt = Builder::new()
        .worker_threads(2)
        // The default is 100 ms; the default report is this line on stderr.
        .stall_threshold(Some(Duration::from_millis(50)))
        .on_stall(|stall| println!("STALL  {stall}"))
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(if serve {
            "127.0.0.1:7879"
        } else {
            "127.0.0.1:0"
        })
        .await?;
        let addr = listener.local_addr()?;
        println!("serving on {addr}");
        magpie::spawn(accept_loop(listener));
        magpie::spawn(report_every(Duration::from_secs(1)));
        magpie::spawn(report_on_sigusr1());
        if serve {
            std::future::pending::<()>().await;
        }
        // Drive it ourselves: a few clients echoing, one asking to block.
        let clients: Vec<_> = (0..4).map(|i| magpie::spawn(client(addr, i))).collect();
        for client in clients {
            client.await.unwrap()?;
        }
        print_report().await;
        Ok(())
    })
}

async fn accept_loop(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        magpie::spawn(handle_connection(socket));
    }
}

/// Echoes lines; `block` makes it sleep 300 ms on the worker thread, the
/// mistake the stall detector is there to catch.
async fn handle_connection(mut socket: TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 256];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        if buf[..n].starts_with(b"block") {
            std::thread::sleep(Duration::from_millis(300));
        }
        socket.write_all(&buf[..n]).await?;
    }
}

async fn client(addr: std::net::SocketAddr, i: usize) -> std::io::Result<()> {
    let mut socket = TcpStream::connect(addr).await?;
    let mut buf = [0u8; 256];
    for round in 0..25 {
        let line: &[u8] = if i == 0 && round == 10 {
            b"block\n"
        } else {
            b"hello\n"
        };
        socket.write_all(line).await?;
        socket.read_exact(&mut buf[..line.len()]).await?;
        magpie::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn report_every(period: Duration) {
    let mut interval = magpie::time::interval(period);
    interval.tick().await;
    loop {
        interval.tick().await;
        print_report().await;
    }
}

/// Prints a report each time the process receives SIGUSR1.
async fn report_on_sigusr1() -> std::io::Result<()> {
    use magpie::signal::unix::{signal, SignalKind};
    let mut usr1 = signal(SignalKind::user_defined1())?;
    while usr1.recv().await.is_some() {
        println!("--- SIGUSR1");
        print_report().await;
    }
    Ok(())
}

async fn print_report() {
    let handle = Handle::current();
    let m = handle.metrics();
    println!("--- metrics");
    println!(
        "tasks alive {}  spawned {}  global queue {}  io events {}  blocking threads {}",
        m.num_alive_tasks(),
        m.spawned_tasks_count(),
        m.global_queue_depth(),
        m.io_driver_ready_count(),
        m.blocking_threads()
    );
    for w in 0..m.num_workers() {
        println!(
            "worker {w}: polls {}  steals {}  parks {}  busy {:.1?}  mean poll {:.1?}  queue {}",
            m.worker_poll_count(w),
            m.worker_steal_count(w),
            m.worker_park_count(w),
            m.worker_total_busy_duration(w),
            m.worker_mean_poll_time(w),
            m.worker_local_queue_depth(w)
        );
    }
    print!(
        "poll times (one poll in {} timed):\n{}",
        m.poll_time_histogram().sample_interval(),
        m.poll_time_histogram()
    );
    println!("--- tasks\n{}", handle.dump().await);
}
