//! UDP through the real runtime and the `magpie::net` facade: addressed
//! datagrams, connected sockets, and an oversized datagram truncated into a
//! small buffer without hurting the socket.
//!
//! Every wait is bounded with `magpie::time::timeout`, so a lost wakeup fails
//! the test instead of hanging it.

mod common;

use common::bounded;
use std::io::ErrorKind;
use std::time::Duration;

use magpie::net::UdpSocket;

async fn local_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.expect("bind udp")
}

#[magpie::test]
async fn send_to_and_recv_from_report_the_right_addresses() {
    let a = local_socket().await;
    let b = local_socket().await;
    let a_addr = a.local_addr().unwrap();
    let b_addr = b.local_addr().unwrap();

    // b waits first (in a task on a worker), so the datagram wakes a parked receiver.
    let receiver = magpie::spawn(async move {
        let mut buf = [0u8; 64];
        let (n, from) = b.recv_from(&mut buf).await?;
        b.send_to(&buf[..n], from).await?;
        Ok::<_, std::io::Error>((buf[..n].to_vec(), from))
    });
    magpie::time::sleep(Duration::from_millis(10)).await;

    assert_eq!(a.send_to(b"ping", b_addr).await.unwrap(), 4);
    let (received, from) = bounded("b's datagram", receiver).await.unwrap().unwrap();
    assert_eq!(received, b"ping");
    assert_eq!(from, a_addr);

    let mut buf = [0u8; 64];
    let (n, from) = bounded("the reply", a.recv_from(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, b_addr);
}

#[magpie::test]
async fn connected_sockets_send_and_recv_only_with_their_peer() {
    let a = local_socket().await;
    let b = local_socket().await;
    let stranger = local_socket().await;
    let a_addr = a.local_addr().unwrap();
    let b_addr = b.local_addr().unwrap();

    assert_eq!(
        a.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected,
        "an unconnected socket has no peer"
    );
    a.connect(b_addr).await.unwrap();
    b.connect(a_addr).await.unwrap();
    assert_eq!(a.peer_addr().unwrap(), b_addr);

    // The kernel drops datagrams from anyone but the connected peer.
    stranger.send_to(b"from a stranger", a_addr).await.unwrap();
    assert_eq!(b.send(b"from the peer").await.unwrap(), 13);
    let mut buf = [0u8; 64];
    let n = bounded("the peer's datagram", a.recv(&mut buf))
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"from the peer");

    for i in 0u32..100 {
        a.send(&i.to_le_bytes()).await.unwrap();
        let n = bounded("a numbered datagram", b.recv(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], &i.to_le_bytes());
    }
}

#[magpie::test]
async fn an_8_kib_datagram_into_a_512_byte_buffer_is_truncated_and_the_socket_stays_usable() {
    let sender = local_socket().await;
    let receiver = local_socket().await;
    let to = receiver.local_addr().unwrap();
    let big: Vec<u8> = (0..8192u32).map(|i| (i % 251) as u8).collect();

    assert_eq!(sender.send_to(&big, to).await.unwrap(), big.len());
    let mut small = [0u8; 512];
    let (n, from) = bounded("the big datagram", receiver.recv_from(&mut small))
        .await
        .unwrap();
    assert_eq!(n, 512, "the rest of the datagram is discarded");
    assert_eq!(&small[..], &big[..512]);
    assert_eq!(from, sender.local_addr().unwrap());

    // The discarded tail does not leak into the next datagram.
    sender.send_to(b"next", to).await.unwrap();
    let (n, _) = bounded("the next datagram", receiver.recv_from(&mut small))
        .await
        .unwrap();
    assert_eq!(&small[..n], b"next");
}

#[magpie::test]
async fn many_datagrams_to_a_receiver_task_on_another_worker() {
    const DATAGRAMS: u32 = 2000;
    let sender = local_socket().await;
    let receiver = local_socket().await;
    let to = receiver.local_addr().unwrap();
    sender.connect(to).await.unwrap();
    receiver
        .connect(sender.local_addr().unwrap())
        .await
        .unwrap();

    // Lock-step, so no datagram is dropped for lack of buffer space: the
    // receiver acknowledges each one.
    let echo = magpie::spawn(async move {
        let mut buf = [0u8; 16];
        for expected in 0..DATAGRAMS {
            let n = receiver.recv(&mut buf).await?;
            assert_eq!(&buf[..n], &expected.to_le_bytes());
            receiver.send(&buf[..n]).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut buf = [0u8; 16];
    for i in 0..DATAGRAMS {
        sender.send(&i.to_le_bytes()).await.unwrap();
        let n = bounded("an acknowledgement", sender.recv(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], &i.to_le_bytes());
    }
    bounded("the receiver task", echo).await.unwrap().unwrap();
}
