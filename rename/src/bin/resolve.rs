//! A current-thread client that finds its server by name: `lookup_host`, and
//! `TcpStream::connect` with "localhost:PORT", a `(host, port)` tuple and a `String`,
//! through a helper generic over `ToSocketAddrs`.
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{lookup_host, TcpListener, TcpStream, ToSocketAddrs};

async fn ping<A: ToSocketAddrs>(addr: A) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(b"ping").await?;
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await?;
    assert!(stream.peer_addr()?.ip().is_loopback());
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Bound by name as well: "localhost" resolves to a loopback address.
    let listener = TcpListener::bind("localhost:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(listener.local_addr().unwrap().ip().is_loopback());

    let server = tokio::spawn(async move {
        for _ in 0..3 {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            socket.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");
            socket.write_all(b"pong").await.unwrap();
        }
    });

    let addrs: Vec<SocketAddr> = lookup_host(format!("localhost:{port}"))
        .await
        .unwrap()
        .collect();
    assert!(!addrs.is_empty());
    assert!(addrs
        .iter()
        .all(|a| a.ip().is_loopback() && a.port() == port));
    println!(
        "lookup_host: {} loopback address(es), port kept",
        if addrs.is_empty() { "no" } else { "some" }
    );

    // Every address form tokio accepts; connect tries each resolved address in turn.
    assert_eq!(ping(format!("localhost:{port}")).await.unwrap(), "pong");
    assert_eq!(ping(("localhost", port)).await.unwrap(), "pong");
    let literal: SocketAddr = ([127, 0, 0, 1], port).into();
    assert_eq!(ping(literal).await.unwrap(), "pong");
    println!("connected by name, by tuple and by address");
    server.await.unwrap();

    // A name that does not resolve is an error, not a panic.
    match lookup_host("no-such-host.invalid:80").await {
        Ok(addrs) => panic!("resolved an .invalid name: {:?}", addrs.collect::<Vec<_>>()),
        Err(err) => assert!(!err.to_string().is_empty()),
    }
    println!("unresolvable host: error");
    let err = TcpStream::connect("no-such-host.invalid:80")
        .await
        .unwrap_err();
    assert!(!err.to_string().is_empty());
    println!("connect to an unresolvable host: error");

    // A port that is not a number is an error too.
    assert!(
        lookup_host("localhost:http").await.is_err(),
        "a port name was accepted"
    );
    println!("bad port: error");
}
