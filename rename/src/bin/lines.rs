//! A line protocol: a key-value server that reads commands with
//! `BufReader::lines()`/`next_line()` and answers one line each; the client talks to
//! it with `read_line` and `BufWriter`, and hangs up with `shutdown()`.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

type Db = Arc<Mutex<HashMap<String, String>>>;

async fn serve(stream: TcpStream, db: Db) -> std::io::Result<usize> {
    let (reader, writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    let mut writer = BufWriter::new(writer);
    let mut handled = 0;
    while let Some(line) = lines.next_line().await? {
        let mut words = line.split_whitespace();
        let reply = match (words.next(), words.next(), words.next()) {
            (Some("SET"), Some(key), Some(value)) => {
                db.lock()
                    .unwrap()
                    .insert(key.to_string(), value.to_string());
                "OK".to_string()
            }
            (Some("GET"), Some(key), None) => match db.lock().unwrap().get(key) {
                Some(value) => format!("VALUE {value}"),
                None => "NIL".to_string(),
            },
            (Some("COUNT"), None, None) => format!("COUNT {}", db.lock().unwrap().len()),
            _ => format!("ERR unknown command {line:?}"),
        };
        writer.write_all(reply.as_bytes()).await?;
        writer.write_all(b"\n").await?;
        writer.flush().await?;
        handled += 1;
    }
    Ok(handled)
}

async fn request(stream: &mut BufReader<TcpStream>, command: &str) -> String {
    stream
        .get_mut()
        .write_all(command.as_bytes())
        .await
        .unwrap();
    stream.get_mut().write_all(b"\n").await.unwrap();
    let mut reply = String::new();
    let n = stream.read_line(&mut reply).await.unwrap();
    assert!(n > 0, "the server hung up");
    assert!(reply.ends_with('\n'));
    reply.trim_end().to_string()
}

#[tokio::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let db: Db = Arc::new(Mutex::new(HashMap::new()));

    let server_db = db.clone();
    let server = tokio::spawn(async move {
        let mut total = 0;
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            total += tokio::spawn(serve(stream, server_db.clone()))
                .await
                .unwrap()
                .unwrap();
        }
        total
    });

    // First client: one request at a time.
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    let script = [
        ("SET colour blue", "OK"),
        ("GET colour", "VALUE blue"),
        ("GET shape", "NIL"),
        ("SET shape circle", "OK"),
        ("COUNT", "COUNT 2"),
        ("FROB", "ERR unknown command \"FROB\""),
    ];
    for (command, expected) in script {
        let reply = request(&mut conn, command).await;
        assert_eq!(reply, expected, "reply to {command}");
        println!("{command} -> {reply}");
    }
    drop(conn);

    // Second client: pipelines everything, then half-closes and reads every reply
    // as a stream of lines.
    let stream = TcpStream::connect(addr).await.unwrap();
    let (reader, mut writer) = stream.into_split();
    let mut pipelined = String::new();
    for i in 0..100 {
        pipelined.push_str(&format!("SET key{i} {}\n", i * i));
    }
    pipelined.push_str("GET key7\nCOUNT\n");
    writer.write_all(pipelined.as_bytes()).await.unwrap();
    writer.shutdown().await.unwrap();

    let mut lines = BufReader::new(reader).lines();
    let mut replies = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        replies.push(line);
    }
    assert_eq!(replies.len(), 102);
    assert!(replies[..100].iter().all(|r| r == "OK"));
    assert_eq!(replies[100], "VALUE 49");
    assert_eq!(replies[101], "COUNT 102");
    println!(
        "pipelined: {} replies, last {:?}",
        replies.len(),
        &replies[100..]
    );

    let handled = server.await.unwrap();
    assert_eq!(handled, 6 + 102);
    println!("server handled {handled} commands");
}
