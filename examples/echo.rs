//! A TCP echo server: every byte a client sends comes straight back.
//!
//! ```sh
//! cargo run --example echo                  # listens on 127.0.0.1:7878
//! cargo run --example echo -- 0.0.0.0:9000
//! nc 127.0.0.1 7878                         # then type something
//! ```
//!
//! Each connection runs in its own task; a failing connection is reported and closed
//! without affecting the others.

use std::time::Duration;

use magpie::net::{TcpListener, TcpStream};

#[magpie::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7878".to_string());
    let listener = TcpListener::bind(&addr).await?;
    println!("echo server listening on {}", listener.local_addr()?);

    loop {
        match listener.accept().await {
            Ok((socket, peer)) => {
                magpie::spawn(async move {
                    if let Err(error) = echo(socket).await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
            // E.g. out of file descriptors: wait a little for some to close.
            Err(error) => {
                eprintln!("accept failed: {error}");
                magpie::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Sends back everything `socket` receives until the client closes its side.
async fn echo(mut socket: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        socket.write_all(&buf[..n]).await?;
    }
}
