//! UDP behaviour through the public API, with a reactor on its own thread.

mod support;

use std::io::ErrorKind;
use std::sync::Arc;

use magpie_io_driver::net::UdpSocket;
use support::run;

async fn local_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

#[test]
fn send_to_and_recv_from() {
    run(async {
        let (a, b) = (local_socket().await, local_socket().await);
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        assert_eq!(a.send_to(b"to b", b_addr).await.unwrap(), 4);
        let mut buf = [0u8; 64];
        let (len, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..len], from), (&b"to b"[..], a_addr));
        // Reply through a string address.
        b.send_to(b"to a", format!("127.0.0.1:{}", a_addr.port()))
            .await
            .unwrap();
        let (len, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..len], from), (&b"to a"[..], b_addr));
    });
}

#[test]
fn connect_send_and_recv() {
    run(async {
        let (a, b) = (local_socket().await, local_socket().await);
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        for round in 0..50u8 {
            a.send(&[round; 3]).await.unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
            assert_eq!(&buf[..3], &[round; 3]);
        }
    });
}

#[test]
fn oversized_datagram_is_truncated_and_the_socket_stays_usable() {
    run(async {
        let (sender, receiver) = (local_socket().await, local_socket().await);
        let target = receiver.local_addr().unwrap();
        let big = vec![0xAB; 8 * 1024];
        assert_eq!(sender.send_to(&big, target).await.unwrap(), big.len());
        sender.send_to(b"after", target).await.unwrap();

        let mut small = [0u8; 512];
        let (len, _) = receiver.recv_from(&mut small).await.unwrap();
        assert_eq!(len, 512, "the datagram is cut to the buffer");
        assert!(small.iter().all(|&byte| byte == 0xAB));
        let (len, _) = receiver.recv_from(&mut small).await.unwrap();
        assert_eq!(
            &small[..len],
            b"after",
            "the rest of the big datagram was discarded"
        );
    });
}

#[test]
fn concurrent_receivers_on_one_shared_socket() {
    run(async {
        let receiver = Arc::new(local_socket().await);
        let sender = local_socket().await;
        let target = receiver.local_addr().unwrap();
        let receive = |receiver: Arc<UdpSocket>| async move {
            let mut buf = [0u8; 8];
            receiver.recv_from(&mut buf).await.unwrap().0
        };
        let receivers = futures::future::join_all((0..3).map(|_| receive(receiver.clone())));
        let send = async {
            for _ in 0..3 {
                sender.send_to(b"x", target).await.unwrap();
            }
        };
        let (lengths, ()) = futures::join!(receivers, send);
        assert_eq!(lengths, vec![1, 1, 1]);
    });
}

#[test]
fn try_recv_from_does_not_block() {
    run(async {
        let socket = local_socket().await;
        let mut buf = [0u8; 8];
        let error = socket.try_recv_from(&mut buf).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WouldBlock);
        // A new socket is not ready until the reactor reports it (like tokio).
        socket.writable().await.unwrap();
        socket
            .try_send_to(b"self", socket.local_addr().unwrap())
            .unwrap();
        socket.readable().await.unwrap();
        let mut buf = [0u8; 8];
        let (len, _) = socket.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..len], b"self");
    });
}
