//! Many connections echoing across OS threads: the two halves of each connection are
//! driven from different threads, so the reader and writer slots of one socket are in
//! use at once while the reactor thread wakes both. A short run is a normal test; a
//! long one is `#[ignore]`d (`cargo test -p magpie-io-driver -- --ignored`).

mod support;

use std::net::SocketAddr;
use std::thread;

use futures::executor::LocalPool;
use magpie_io_driver::context;
use magpie_io_driver::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use magpie_io_driver::net::{TcpListener, TcpStream};
use magpie_io_driver::ReactorHandle;
use support::{block_on_deadline, spawn_echo_acceptor, ReactorThread};

/// Serves `connections` echo connections on a thread of its own, then returns.
fn spawn_echo_server(
    handle: ReactorHandle,
    connections: usize,
) -> (SocketAddr, thread::JoinHandle<()>) {
    let _guard = context::enter(&handle);
    let listener = block_on_deadline(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let _guard = context::enter(&handle);
        let mut pool = LocalPool::new();
        spawn_echo_acceptor::<1024>(&pool.spawner(), listener, connections);
        pool.run();
    });
    (addr, server)
}

/// Writes `messages` numbered messages, then shuts down writing (by dropping).
async fn write_messages(mut writer: OwnedWriteHalf, connection: u64, messages: u64) {
    for sequence in 0..messages {
        let mut message = [0u8; 16];
        message[..8].copy_from_slice(&connection.to_le_bytes());
        message[8..].copy_from_slice(&sequence.to_le_bytes());
        writer.write_all(&message).await.unwrap();
    }
}

/// Reads the echoes of [`write_messages`] and checks every one, then EOF.
async fn check_echoes(mut reader: OwnedReadHalf, connection: u64, messages: u64) {
    for sequence in 0..messages {
        let mut message = [0u8; 16];
        reader.read_exact(&mut message).await.unwrap();
        assert_eq!(message[..8], connection.to_le_bytes());
        assert_eq!(message[8..], sequence.to_le_bytes());
    }
    let mut rest = [0u8; 1];
    assert_eq!(reader.read(&mut rest).await.unwrap(), 0);
}

fn cross_thread_echo(client_threads: usize, connections_per_thread: usize, messages: u64) {
    let reactor = ReactorThread::start();
    let handle = reactor.handle().clone();
    let (addr, server) = spawn_echo_server(handle.clone(), client_threads * connections_per_thread);

    let clients: Vec<_> = (0..client_threads)
        .map(|thread_index| {
            let handle = handle.clone();
            thread::spawn(move || {
                let _guard = context::enter(&handle);
                let first = (thread_index * connections_per_thread) as u64;
                let streams = block_on_deadline(futures::future::try_join_all(
                    (0..connections_per_thread).map(|_| TcpStream::connect(addr)),
                ))
                .unwrap();
                let (readers, writers): (Vec<_>, Vec<_>) =
                    streams.into_iter().map(TcpStream::into_split).unzip();
                let writer_thread = {
                    let handle = handle.clone();
                    thread::spawn(move || {
                        let _guard = context::enter(&handle);
                        block_on_deadline(futures::future::join_all(
                            writers
                                .into_iter()
                                .zip(first..)
                                .map(|(writer, connection)| {
                                    write_messages(writer, connection, messages)
                                }),
                        ));
                    })
                };
                block_on_deadline(futures::future::join_all(
                    readers
                        .into_iter()
                        .zip(first..)
                        .map(|(reader, connection)| check_echoes(reader, connection, messages)),
                ));
                writer_thread.join().expect("writer thread");
            })
        })
        .collect();
    for client in clients {
        client.join().expect("client thread");
    }
    server.join().expect("server thread");
}

#[test]
fn cross_thread_echo_short() {
    cross_thread_echo(3, 8, 50);
}

#[test]
#[ignore = "long stress run"]
fn cross_thread_echo_long() {
    cross_thread_echo(8, 100, 2_000);
}
