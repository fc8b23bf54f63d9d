//! A chat server: every line a client sends goes to every other client, through a
//! `broadcast` channel; each connection's task `select!`s between its socket and the
//! channel, and the accept loop `select!`s against a shutdown signal.
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, oneshot, Barrier};

const NAMES: [&str; 3] = ["alice", "bob", "carol"];

#[derive(Clone, Debug)]
struct Message {
    from: String,
    text: String,
}

async fn handle_client(mut socket: TcpStream, tx: broadcast::Sender<Message>) {
    let mut rx = tx.subscribe();
    let (reader, mut writer) = socket.split();
    let mut lines = BufReader::new(reader).lines();

    // The first line names the client.
    let name = match lines.next_line().await {
        Ok(Some(name)) => name,
        _ => return,
    };
    if writer.write_all(b"welcome\n").await.is_err() {
        return;
    }

    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(text)) => {
                    tx.send(Message { from: name.clone(), text }).unwrap();
                }
                // The client hung up (or the connection broke).
                Ok(None) | Err(_) => break,
            },
            msg = rx.recv() => match msg {
                Ok(msg) if msg.from == name => {}
                Ok(msg) => {
                    let line = format!("{}: {}\n", msg.from, msg.text);
                    if writer.write_all(line.as_bytes()).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => panic!("lagged by {n}"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}

async fn server(listener: TcpListener, mut shutdown: oneshot::Receiver<()>) -> usize {
    let (tx, _) = broadcast::channel(16);
    let mut handlers = Vec::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, _peer) = accepted.unwrap();
                handlers.push(tokio::spawn(handle_client(socket, tx.clone())));
            }
            _ = &mut shutdown => break,
        }
    }
    let served = handlers.len();
    for handler in handlers {
        handler.await.unwrap();
    }
    served
}

async fn client(
    addr: std::net::SocketAddr,
    name: &'static str,
    barrier: std::sync::Arc<Barrier>,
) -> Vec<String> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();

    writer
        .write_all(format!("{name}\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("welcome"));

    // Everyone is subscribed once every client has been welcomed.
    barrier.wait().await;
    writer
        .write_all(format!("hello from {name}\n").as_bytes())
        .await
        .unwrap();

    let mut heard = Vec::new();
    while heard.len() < NAMES.len() - 1 {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("server hung up early");
        heard.push(line);
    }
    heard.sort();
    heard
}

#[tokio::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = oneshot::channel();
    let server = tokio::spawn(server(listener, stop_rx));

    let barrier = std::sync::Arc::new(Barrier::new(NAMES.len()));
    let clients: Vec<_> = NAMES
        .iter()
        .map(|name| tokio::spawn(client(addr, name, barrier.clone())))
        .collect();

    for (name, client) in NAMES.iter().zip(clients) {
        let heard = tokio::time::timeout(Duration::from_secs(10), client)
            .await
            .expect("a client timed out")
            .unwrap();
        let expected: Vec<String> = NAMES
            .iter()
            .filter(|other| *other != name)
            .map(|other| format!("{other}: hello from {other}"))
            .collect();
        assert_eq!(heard, expected);
        println!("{name} heard {heard:?}");
    }

    stop_tx.send(()).unwrap();
    let served = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server did not stop")
        .unwrap();
    assert_eq!(served, NAMES.len());
    println!("served {served} clients");
}
