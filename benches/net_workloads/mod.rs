//! The loopback network workloads, written once and instantiated for magpie
//! (`on_magpie`) and tokio (`on_tokio`): echo round trips, bulk transfer,
//! connect churn and UDP echo. `benches/net.rs` times them with criterion;
//! `benches/net_paired.rs` alternates the two runtimes run by run.

use magpie::net as magpie_net;
use std::net::SocketAddr;
use tokio::net as tokio_net;

/// Worker threads of both runtimes.
pub const WORKERS: usize = 2;
pub const ECHO_CONNS: usize = 32;
pub const ECHO_ROUNDS: usize = 1_000;
pub const MSG: usize = 64;
pub const BULK_TOTAL: usize = 256 << 20;
pub const BULK_CHUNK: usize = 64 << 10;
pub const CHURN: usize = 1_000;
pub const UDP_ROUNDS: usize = 10_000;

macro_rules! workloads {
    ($name:ident, $rt:ty, $builder:expr, $spawn:path, $net:ident, $($imports:item)*) => {
        pub mod $name {
            use super::*;
            use $net::{TcpListener, TcpStream, UdpSocket};
            $($imports)*

            pub fn runtime() -> $rt {
                $builder
            }

            /// An echo server for fixed-size messages; returns its address.
            pub fn echo_server(rt: &$rt) -> SocketAddr {
                rt.block_on(async {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    $spawn(async move {
                        loop {
                            let Ok((mut s, _)) = listener.accept().await else { return };
                            s.set_nodelay(true).unwrap();
                            $spawn(async move {
                                let mut buf = [0u8; MSG];
                                while s.read_exact(&mut buf).await.is_ok() {
                                    if s.write_all(&buf).await.is_err() {
                                        return;
                                    }
                                }
                            });
                        }
                    });
                    addr
                })
            }

            pub fn tcp_echo(rt: &$rt, addr: SocketAddr) {
                rt.block_on(async move {
                    let clients: Vec<_> = (0..ECHO_CONNS)
                        .map(|_| {
                            $spawn(async move {
                                let mut s = TcpStream::connect(addr).await.unwrap();
                                s.set_nodelay(true).unwrap();
                                let mut buf = [7u8; MSG];
                                for _ in 0..ECHO_ROUNDS {
                                    s.write_all(&buf).await.unwrap();
                                    s.read_exact(&mut buf).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for c in clients {
                        c.await.unwrap();
                    }
                });
            }

            /// A server that reads `BULK_TOTAL` bytes per connection, then acks with one byte.
            pub fn sink_server(rt: &$rt) -> SocketAddr {
                rt.block_on(async {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    $spawn(async move {
                        loop {
                            let Ok((mut s, _)) = listener.accept().await else { return };
                            $spawn(async move {
                                let mut buf = vec![0u8; BULK_CHUNK];
                                let mut total = 0;
                                while total < BULK_TOTAL {
                                    match s.read(&mut buf).await {
                                        Ok(0) | Err(_) => return,
                                        Ok(n) => total += n,
                                    }
                                }
                                let _ = s.write_all(&[1]).await;
                            });
                        }
                    });
                    addr
                })
            }

            pub fn tcp_bulk(rt: &$rt, addr: SocketAddr) {
                rt.block_on(async move {
                    $spawn(async move {
                        let mut s = TcpStream::connect(addr).await.unwrap();
                        let chunk = vec![3u8; BULK_CHUNK];
                        for _ in 0..BULK_TOTAL / BULK_CHUNK {
                            s.write_all(&chunk).await.unwrap();
                        }
                        let mut ack = [0u8; 1];
                        s.read_exact(&mut ack).await.unwrap();
                    })
                    .await
                    .unwrap();
                });
            }

            /// A server that accepts and closes at once.
            pub fn close_server(rt: &$rt) -> SocketAddr {
                rt.block_on(async {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    $spawn(async move {
                        while let Ok((s, _)) = listener.accept().await {
                            drop(s);
                        }
                    });
                    addr
                })
            }

            pub fn tcp_connect_churn(rt: &$rt, addr: SocketAddr) {
                rt.block_on(async move {
                    $spawn(async move {
                        for _ in 0..CHURN {
                            let mut s = TcpStream::connect(addr).await.unwrap();
                            let mut buf = [0u8; 1];
                            // EOF proves the server accepted and closed.
                            let _ = s.read(&mut buf).await;
                        }
                    })
                    .await
                    .unwrap();
                });
            }

            pub fn udp_server(rt: &$rt) -> SocketAddr {
                rt.block_on(async {
                    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                    let addr = socket.local_addr().unwrap();
                    $spawn(async move {
                        let mut buf = [0u8; 1500];
                        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
                            let _ = socket.send_to(&buf[..n], peer).await;
                        }
                    });
                    addr
                })
            }

            pub fn udp_echo(rt: &$rt, addr: SocketAddr) {
                rt.block_on(async move {
                    $spawn(async move {
                        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                        socket.connect(addr).await.unwrap();
                        let mut buf = [0u8; MSG];
                        for _ in 0..UDP_ROUNDS {
                            socket.send(&buf[..]).await.unwrap();
                            socket.recv(&mut buf).await.unwrap();
                        }
                    })
                    .await
                    .unwrap();
                });
            }
        }
    };
}

workloads!(
    on_magpie,
    magpie::runtime::Runtime,
    magpie::runtime::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .unwrap(),
    magpie::spawn,
    magpie_net,
);
workloads!(
    on_tokio,
    tokio::runtime::Runtime,
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap(),
    tokio::spawn,
    tokio_net,
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
);
