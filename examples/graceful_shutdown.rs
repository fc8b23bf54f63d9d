//! A line-based TCP server that shuts down gracefully on Ctrl-C or SIGTERM: it stops
//! accepting, lets the requests in flight finish (for at most `GRACE`), closes idle
//! connections and exits with status 0.
//!
//! ```sh
//! cargo run --example graceful_shutdown                   # listens on 127.0.0.1:7879
//! cargo run --example graceful_shutdown -- 127.0.0.1:0    # any free port
//! GRACEFUL_SHUTDOWN_ADDR=0.0.0.0:9000 cargo run --example graceful_shutdown
//! nc 127.0.0.1 7879    # type "hello", then "slow" and press Ctrl-C in the server
//! ```
//!
//! The first line on stdout is `listening on <address>`. Each request is one line: the
//! server answers `slow` with `working` at once and `slow done` 500 ms later (so a
//! request can be in flight when the signal comes), and anything else by echoing it.

use std::time::Duration;

use magpie::io::{AsyncBufReadExt, BufReader};
use magpie::net::{TcpListener, TcpStream};
use magpie::signal::unix::{signal, SignalKind};
use magpie::sync::watch;
use magpie::task::JoinSet;

/// How long the requests in flight get to finish once shutdown starts.
const GRACE: Duration = Duration::from_secs(10);

/// How long a `slow` request takes.
const SLOW: Duration = Duration::from_millis(500);

#[magpie::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("GRACEFUL_SHUTDOWN_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:7879".to_string());
    // Listen for the signals before announcing the address: from then on SIGTERM and
    // Ctrl-C start the shutdown instead of killing the process.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);

    // `true` once shutdown starts; every connection watches it.
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        magpie::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    let shutdown = shutdown_rx.clone();
                    connections.spawn(async move {
                        if let Err(error) = serve(socket, shutdown).await {
                            eprintln!("{peer}: {error}");
                        }
                    });
                }
                // E.g. out of file descriptors: wait a little for some to close.
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    magpie::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            // Collect finished connections as we go, so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    println!(
        "shutting down: no longer accepting, {} connections open",
        connections.len()
    );
    // Idle connections close now; busy ones after their current request.
    let _ = shutdown_tx.send(true);
    let drained = magpie::time::timeout(GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    match drained {
        Ok(()) => println!("all connections finished, bye"),
        Err(_) => {
            println!(
                "{} connections still busy after {GRACE:?}: aborted",
                connections.len()
            );
            connections.abort_all();
        }
    }
    Ok(())
}

/// Answers `socket`'s requests, one per line, until the client closes or shutdown
/// starts while no request is in flight.
async fn serve(mut socket: TcpStream, mut shutdown: watch::Receiver<bool>) -> std::io::Result<()> {
    let (reader, mut writer) = socket.split();
    let mut lines = BufReader::new(reader).lines();
    loop {
        if *shutdown.borrow_and_update() {
            return Ok(());
        }
        let line = magpie::select! {
            line = lines.next_line() => line?,
            _ = shutdown.changed() => return Ok(()),
        };
        let Some(line) = line else {
            return Ok(()); // the client closed
        };
        // A request in flight is not interrupted by the shutdown.
        if line.trim() == "slow" {
            writer.write_all(b"working\n").await?;
            magpie::time::sleep(SLOW).await;
            writer.write_all(b"slow done\n").await?;
        } else {
            writer.write_all(format!("{line}\n").as_bytes()).await?;
        }
    }
}
