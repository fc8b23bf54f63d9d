//! TCP behaviour through the public API, with a reactor on its own thread.

mod support;

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};

use futures::executor::LocalPool;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::task::LocalSpawnExt;
use magpie_io_driver::net::{TcpListener, TcpStream};
use support::{block_on_deadline, closed_port, run, spawn_echo_acceptor, ReactorThread};

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A connected pair: (client side, server side).
async fn connected_pair() -> (TcpStream, TcpStream) {
    let (listener, addr) = listener().await;
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

#[test]
fn echo_round_trip() {
    run(async {
        let (listener, addr) = listener().await;
        let server = async {
            let (mut stream, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, stream.peer_addr().unwrap());
            let mut buf = [0u8; 64];
            loop {
                let read = stream.read(&mut buf).await.unwrap();
                if read == 0 {
                    break;
                }
                stream.write_all(&buf[..read]).await.unwrap();
            }
        };
        let client = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), addr);
            for round in 0..100u32 {
                let message = format!("message number {round}");
                stream.write_all(message.as_bytes()).await.unwrap();
                let mut echoed = vec![0u8; message.len()];
                assert_eq!(stream.read_exact(&mut echoed).await.unwrap(), message.len());
                assert_eq!(echoed, message.as_bytes());
            }
            stream.shutdown(Shutdown::Write).unwrap();
            let mut rest = [0u8; 8];
            assert_eq!(
                stream.read(&mut rest).await.unwrap(),
                0,
                "server closed after EOF"
            );
        };
        futures::join!(server, client);
    });
}

#[test]
fn half_close_lets_the_server_reply_after_eof() {
    run(async {
        let (listener, addr) = listener().await;
        let server = async {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"question");
            stream.write_all(b"answer after your EOF").await.unwrap();
            // Dropping the stream closes it: the client reads EOF after the reply.
        };
        let client = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"question").await.unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply, b"answer after your EOF");
        };
        futures::join!(server, client);
    });
}

#[test]
fn a_short_read_does_not_hide_a_fin_queued_behind_the_data() {
    // The data and the FIN arrive before the server reads: one event reports both.
    // The short read of the data clears readiness early (it drained the queue), but
    // the sticky closed flag must let the next read see EOF instead of waiting for
    // an event that never comes.
    run(async {
        let (listener, addr) = listener().await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"last words").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        server.readable().await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(server.read(&mut buf).await.unwrap(), 10);
        assert_eq!(&buf[..10], b"last words");
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn reads_that_fill_the_buffer_exactly_get_every_message_queued_behind_them() {
    // Three messages wait in the queue at once; each exact read must go on to the
    // next instead of waiting for an event (none comes: the data is already there).
    // Then the queue is empty, and a message sent later must still wake the reader.
    run(async {
        let (listener, addr) = listener().await;
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let burst: Vec<u8> = (0..192).map(|i| i as u8).collect();
        std::io::Write::write_all(&mut client, &burst).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut buf = [0u8; 64];
        for chunk in burst.chunks(64) {
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf[..], chunk);
        }
        let late = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::io::Write::write_all(&mut client, &[9; 64]).unwrap();
            client
        });
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [9; 64]);
        drop(late.join().unwrap());
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn an_exact_read_does_not_hide_a_fin_queued_behind_the_data() {
    // Like the short-read case below, for a read that fills its buffer: the data and
    // the FIN are both queued, and the read after the data must return EOF.
    run(async {
        let (mut client, mut server) = connected_pair().await;
        client.write_all(&[7; 64]).await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut buf = [0u8; 64];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [7; 64]);
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn many_concurrent_connections_on_one_thread() {
    const CONNECTIONS: usize = 200;
    let reactor = ReactorThread::start();
    let _guard = reactor.enter();
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();

    let (listener, addr) = block_on_deadline(listener());
    spawn_echo_acceptor::<32>(&spawner, listener, CONNECTIONS);
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|client| {
            spawner
                .spawn_local_with_handle(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let message = format!("client {client}");
                    stream.write_all(message.as_bytes()).await.unwrap();
                    let mut echoed = vec![0u8; message.len()];
                    stream.read_exact(&mut echoed).await.unwrap();
                    assert_eq!(echoed, message.as_bytes());
                    client
                })
                .unwrap()
        })
        .collect();
    let finished =
        pool.run_until(async { block_on_deadline_local(futures::future::join_all(clients)).await });
    assert_eq!(finished, (0..CONNECTIONS).collect::<Vec<_>>());
}

/// `join_all` of local task handles, bounded by the test deadline.
async fn block_on_deadline_local<F: std::future::Future>(future: F) -> F::Output {
    let (fire, fired) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(support::DEADLINE);
        let _ = fire.send(());
    });
    match futures::future::select(std::pin::pin!(future), fired).await {
        futures::future::Either::Left((output, _)) => output,
        futures::future::Either::Right(_) => panic!("connections did not finish in time"),
    }
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let addr = closed_port();
    let error = run(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
}

#[test]
fn bind_on_a_used_port_is_addr_in_use() {
    run(async {
        let (_first, addr) = listener().await;
        let error = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AddrInUse, "{error}");
    });
}

#[test]
fn peer_reset_reads_as_reset_or_eof() {
    run(async {
        let (mut client, server) = connected_pair().await;
        // Closing a socket with unread data makes the kernel send RST, not FIN.
        client.write_all(b"never read by the server").await.unwrap();
        // Let the data reach the server's receive queue before it closes.
        server.readable().await.unwrap();
        let mut peeked = [0u8; 1];
        server.peek(&mut peeked).await.unwrap();
        drop(server);
        let mut buf = [0u8; 16];
        match client.read(&mut buf).await {
            Ok(0) => {}
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
            other => panic!("expected a reset or EOF, got {other:?}"),
        }
    });
}

#[test]
fn futures_io_copy_between_two_magpie_streams() {
    const LEN: usize = 1 << 20;
    run(async {
        let (listener, addr) = listener().await;
        let server = async {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut reader, mut writer) = stream.into_split();
            let copied = futures::io::copy(&mut reader, &mut writer).await.unwrap();
            assert_eq!(copied, LEN as u64);
            writer.close().await.unwrap();
        };
        let client = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let payload: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
            // Spelled out: with `futures::io::AsyncReadExt` in scope, `stream.split()`
            // would pick that trait's by-value `split`.
            let (mut reader, mut writer) = TcpStream::split(&mut stream);
            let send = async {
                writer.write_all(&payload).await.unwrap();
                AsyncWriteExt::close(&mut writer).await.unwrap();
            };
            let receive = async {
                let mut echoed = Vec::with_capacity(LEN);
                AsyncReadExt::read_to_end(&mut reader, &mut echoed)
                    .await
                    .unwrap();
                echoed
            };
            let ((), echoed) = futures::join!(send, receive);
            assert!(echoed == payload, "echoed bytes differ from the payload");
        };
        futures::join!(server, client);
    });
}

#[test]
fn owned_halves_work_apart_and_reunite() {
    run(async {
        let (client, server) = connected_pair().await;
        let (mut read_half, mut write_half) = server.into_split();
        let (mut client_read, mut client_write) = client.into_split();

        client_write.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        read_half.read_exact(&mut buf).await.unwrap();
        write_half.write_all(&buf).await.unwrap();
        client_read.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");

        // Halves of different streams do not reunite and come back intact.
        let mismatch = read_half.reunite(client_write).unwrap_err();
        let (read_half, client_write) = (mismatch.0, mismatch.1);
        let mut server = read_half.reunite(write_half).expect("same stream");
        server.write_all(b"pong").await.unwrap();
        client_read.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");

        // Dropping an owned write half shuts down writing: the peer reads EOF.
        drop(client_write);
        let mut rest = [0u8; 4];
        assert_eq!(server.read(&mut rest).await.unwrap(), 0);
    });
}

#[test]
fn try_io_readiness_and_peek() {
    run(async {
        let (client, server) = connected_pair().await;
        client.writable().await.unwrap();
        let mut buf = [0u8; 16];
        // Nothing sent yet: a try_read must not block.
        let error = server.try_read(&mut buf).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WouldBlock);
        assert_eq!(client.try_write(b"hello").unwrap(), 5);
        loop {
            server.readable().await.unwrap();
            match server.peek(&mut buf).await {
                Ok(5) => break,
                Ok(_) => continue, // part of the data so far; wait for more
                Err(error) => panic!("peek failed: {error}"),
            }
        }
        assert_eq!(&buf[..5], b"hello");
        loop {
            server.readable().await.unwrap();
            match server.try_read(&mut buf) {
                Ok(read) => {
                    assert_eq!(&buf[..read], b"hello", "peek left the data in place");
                    break;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => continue,
                Err(error) => panic!("try_read failed: {error}"),
            }
        }
    });
}

#[test]
fn many_tasks_can_await_one_listener() {
    run(async {
        let (listener, addr) = listener().await;
        let accepts = futures::future::join_all((0..4).map(|_| listener.accept()));
        let connects = futures::future::join_all((0..4).map(|_| TcpStream::connect(addr)));
        let (accepted, connected) = futures::join!(accepts, connects);
        assert!(accepted.iter().all(Result::is_ok));
        assert!(connected.iter().all(Result::is_ok));
    });
}

#[test]
fn options_addresses_and_name_resolution() {
    run(async {
        let (listener, addr) = listener().await;
        // A host name goes through std's resolver; "localhost" may yield ::1 first,
        // which is refused, so this also exercises trying the next address.
        let target = format!("localhost:{}", addr.port());
        let (client, accepted) =
            futures::join!(TcpStream::connect(target.as_str()), listener.accept());
        let client = client.unwrap();
        let (server, peer) = accepted.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        assert_eq!(server.local_addr().unwrap(), addr);
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
        assert!(client.take_error().unwrap().is_none());
    });
}

#[test]
fn std_sockets_convert() {
    run(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let mut client = TcpStream::from_std(std_client).unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"converted").await.unwrap();
        let mut buf = [0u8; 9];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"converted");
    });
}

#[test]
fn read_exact_reports_early_eof() {
    run(async {
        let (mut client, mut server) = connected_pair().await;
        client.write_all(b"short").await.unwrap();
        drop(client);
        let mut buf = [0u8; 10];
        let error = server.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
#[should_panic(expected = "there is no reactor running")]
fn creating_a_socket_outside_a_runtime_panics() {
    let _ = futures::executor::block_on(TcpListener::bind("127.0.0.1:0"));
}
