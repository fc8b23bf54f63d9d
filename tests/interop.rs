//! Runtime-agnostic crates on magpie: `futures::join!`/`select!`, the channels of
//! `futures::channel` and `async-channel`, the `futures::io` helpers over
//! `magpie::net::TcpStream`, and `futures::stream` combinators over channels and
//! `JoinHandle`s.
//!
//! None of these crates knows magpie: they only hold and call `std::task::Waker`s, so each
//! test checks that magpie's wakers and IO traits keep their side of that contract. Every
//! test body runs under [`bounded`], so a lost wakeup fails the test instead of hanging it.

mod common;

use common::{bounded, DropFlag};
use std::future::pending;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures::stream::{self, FuturesUnordered, StreamExt};
use futures::{poll, select, FutureExt, SinkExt};
use magpie::net::{TcpListener, TcpStream};

/// A connected pair of loopback streams: (the connecting side, the accepted side).
async fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    Ok((client?, accepted?.0))
}

/// `len` bytes that are not all alike, so a reordering or a lost chunk shows up.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

// ---------------------------------------------------------------- join! and select!

#[magpie::test]
async fn join_polls_its_futures_concurrently_within_one_task() {
    bounded("the test body", async {
        // Each side waits for the other: run one after the other, the first would hang.
        let (ping_tx, ping_rx) = oneshot::channel();
        let (pong_tx, pong_rx) = oneshot::channel();
        let (pong, ping) = futures::join!(
            async {
                ping_tx.send(1).unwrap();
                pong_rx.await.unwrap()
            },
            async {
                let n = ping_rx.await.unwrap();
                pong_tx.send(n + 1).unwrap();
                n
            },
        );
        assert_eq!((ping, pong), (1, 2));
    })
    .await;
}

#[magpie::test]
async fn join_and_try_join_collect_the_outputs_of_spawned_tasks() {
    bounded("the test body", async {
        let (a, b, c) = futures::join!(
            magpie::spawn(async { 1 }),
            magpie::spawn(async {
                magpie::time::sleep(Duration::from_millis(2)).await;
                "two"
            }),
            magpie::spawn(async {
                magpie::task::yield_now().await;
                3.0
            }),
        );
        assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (1, "two", 3.0));

        let cancelled = magpie::spawn(pending::<u32>());
        cancelled.abort();
        let failed = futures::try_join!(magpie::spawn(async { 1u32 }), cancelled);
        assert!(failed.unwrap_err().is_cancelled());
    })
    .await;
}

#[magpie::test]
async fn select_takes_the_first_ready_branch_and_drops_the_others() {
    bounded("the test body", async {
        let (guard, loser_dropped) = DropFlag::new();
        let (reply_tx, reply_rx) = oneshot::channel();
        magpie::spawn(async move {
            magpie::time::sleep(Duration::from_millis(2)).await;
            reply_tx.send("reply").unwrap();
        });
        let loser = async move {
            let _guard = guard;
            pending::<&str>().await
        };
        let winner = select! {
            reply = reply_rx.fuse() => reply.unwrap(),
            never = loser.fuse() => never,
        };
        assert_eq!(winner, "reply");
        assert!(
            loser_dropped.load(SeqCst),
            "select! drops the branches that lost"
        );
    })
    .await;
}

#[magpie::test]
async fn select_in_a_loop_multiplexes_a_channel_and_a_timer() {
    bounded("the test body", async {
        // The producer sends half its messages, then waits until the consumer's timer
        // branch has fired: the loop can only finish if both branches do their part.
        let (mut tx, mut rx) = mpsc::channel::<u32>(4);
        let (resume_tx, resume_rx) = oneshot::channel::<()>();
        magpie::spawn(async move {
            for n in 0..20 {
                tx.send(n).await.unwrap();
            }
            resume_rx.await.unwrap();
            for n in 20..40 {
                tx.send(n).await.unwrap();
            }
        });
        let mut resume = Some(resume_tx);
        let mut received = Vec::new();
        loop {
            select! {
                message = rx.next() => match message {
                    Some(n) => received.push(n),
                    None => break,
                },
                () = magpie::time::sleep(Duration::from_millis(1)).fuse() => {
                    if let Some(resume) = resume.take() {
                        resume.send(()).unwrap();
                    }
                }
            }
        }
        assert_eq!(received, (0..40).collect::<Vec<_>>());
        assert!(resume.is_none(), "the timer branch never won");
    })
    .await;
}

// ---------------------------------------------------------------- futures::channel

#[magpie::test]
async fn bounded_mpsc_carries_every_message_in_order_between_tasks() {
    bounded("the test body", async {
        // Capacity 1: the producer waits for the consumer over and over.
        let (mut tx, rx) = mpsc::channel::<u32>(1);
        let producer = magpie::spawn(async move {
            for n in 0..2_000 {
                tx.send(n).await.unwrap();
            }
        });
        let consumer = magpie::spawn(rx.collect::<Vec<_>>());
        producer.await.unwrap();
        assert_eq!(consumer.await.unwrap(), (0..2_000).collect::<Vec<_>>());
    })
    .await;
}

#[magpie::test]
async fn mpsc_with_many_producing_tasks_loses_nothing() {
    bounded("the test body", async {
        let (tx, rx) = mpsc::channel::<u32>(2);
        for producer in 0..8 {
            let mut tx = tx.clone();
            magpie::spawn(async move {
                for n in 0..250 {
                    tx.send(producer * 1_000 + n).await.unwrap();
                    if n % 50 == 0 {
                        magpie::task::yield_now().await;
                    }
                }
            });
        }
        drop(tx); // the stream ends when the last producer's sender is dropped
        let mut received: Vec<u32> = rx.collect().await;
        received.sort_unstable();
        let expected: Vec<u32> = (0..8)
            .flat_map(|producer| (0..250).map(move |n| producer * 1_000 + n))
            .collect();
        assert_eq!(received, expected);
    })
    .await;
}

#[magpie::test]
async fn unbounded_mpsc_fed_by_a_plain_thread_wakes_the_receiving_task() {
    bounded("the test body", async {
        let (tx, rx) = mpsc::unbounded::<u32>();
        let feeder = std::thread::spawn(move || {
            for n in 0..20 {
                tx.unbounded_send(n).unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let received = magpie::spawn(rx.collect::<Vec<_>>()).await.unwrap();
        assert_eq!(received, (0..20).collect::<Vec<_>>());
        feeder.join().unwrap();
    })
    .await;
}

#[magpie::test]
async fn oneshot_delivers_across_tasks_and_reports_the_other_side_leaving() {
    bounded("the test body", async {
        let (tx, rx) = oneshot::channel();
        magpie::spawn(async move {
            magpie::time::sleep(Duration::from_millis(1)).await;
            tx.send(String::from("done")).unwrap();
        });
        assert_eq!(magpie::spawn(rx).await.unwrap(), Ok(String::from("done")));

        // A sender dropped unsent: the waiting receiver fails instead of hanging.
        let (tx, rx) = oneshot::channel::<u32>();
        let waiting = magpie::spawn(rx);
        magpie::time::sleep(Duration::from_millis(2)).await;
        drop(tx);
        assert!(waiting.await.unwrap().is_err());

        // A receiver dropped: the sender's `cancellation()` resolves, and `send` fails.
        let (mut tx, rx) = oneshot::channel::<u32>();
        let watcher = magpie::spawn(async move {
            tx.cancellation().await;
            tx.send(1)
        });
        magpie::time::sleep(Duration::from_millis(2)).await;
        drop(rx);
        assert_eq!(watcher.await.unwrap(), Err(1));
    })
    .await;
}

// ---------------------------------------------------------------- async-channel

#[magpie::test(worker_threads = 4)]
async fn async_channel_hands_each_message_to_exactly_one_consumer() {
    bounded("the test body", async {
        let (tx, rx) = async_channel::bounded::<u32>(4);
        let producers: Vec<_> = (0..3)
            .map(|producer| {
                let tx = tx.clone();
                magpie::spawn(async move {
                    for n in 0..300 {
                        tx.send(producer * 1_000 + n).await.unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                magpie::spawn(async move {
                    let mut got = Vec::new();
                    // `recv` fails once every sender is gone and the channel is drained.
                    while let Ok(n) = rx.recv().await {
                        got.push(n);
                    }
                    got
                })
            })
            .collect();
        drop(rx);
        for producer in producers {
            producer.await.unwrap();
        }
        let mut received = Vec::new();
        for consumer in consumers {
            received.extend(consumer.await.unwrap());
        }
        received.sort_unstable();
        let expected: Vec<u32> = (0..3)
            .flat_map(|producer| (0..300).map(move |n| producer * 1_000 + n))
            .collect();
        assert_eq!(received, expected);
    })
    .await;
}

#[magpie::test]
async fn async_channel_send_waits_for_room_and_recv_sees_the_close() {
    bounded("the test body", async {
        let (tx, rx) = async_channel::bounded::<u32>(1);
        tx.send(1).await.unwrap();
        let mut second = pin!(tx.send(2));
        assert!(poll!(second.as_mut()).is_pending(), "the channel is full");

        let receiver = magpie::spawn(async move {
            let first = rx.recv().await;
            let second = rx.recv().await;
            let after_close = rx.recv().await;
            (first, second, after_close)
        });
        second.await.unwrap(); // woken when the receiver makes room
        drop(tx);
        let (first, second, after_close) = receiver.await.unwrap();
        assert_eq!((first, second), (Ok(1), Ok(2)));
        assert!(
            after_close.is_err(),
            "recv fails once the channel is closed and empty"
        );
    })
    .await;
}

// ---------------------------------------------------------------- futures::io over TcpStream

#[magpie::test]
async fn write_all_and_read_to_end_move_a_large_payload() {
    bounded("the test body", async {
        let (mut client, mut server) = tcp_pair().await.unwrap();
        let sent = payload(4 << 20); // far more than the socket buffers hold
        let expected = sent.clone();
        let writer = magpie::spawn(async move {
            AsyncWriteExt::write_all(&mut client, &sent).await.unwrap();
            AsyncWriteExt::close(&mut client).await.unwrap(); // the peer reads EOF
        });
        let mut received = Vec::new();
        let len = AsyncReadExt::read_to_end(&mut server, &mut received)
            .await
            .unwrap();
        writer.await.unwrap();
        assert_eq!(len, expected.len());
        assert!(received == expected, "the payload arrived altered");
    })
    .await;
}

#[magpie::test]
async fn copy_echoes_a_stream_through_split_halves() {
    bounded("the test body", async {
        let (client, server) = tcp_pair().await.unwrap();

        // The echo side splits with futures' own `AsyncReadExt::split` (a lock shared by
        // both halves) and pumps with `futures::io::copy` until the client's EOF.
        let echo = magpie::spawn(async move {
            let (mut reader, mut writer) = AsyncReadExt::split(server);
            let copied = futures::io::copy(&mut reader, &mut writer).await?;
            writer.close().await?;
            io::Result::Ok(copied)
        });

        let sent = payload(1 << 20);
        let (mut read_half, mut write_half) = client.into_split();
        let sending = async {
            AsyncWriteExt::write_all(&mut write_half, &sent).await?;
            AsyncWriteExt::close(&mut write_half).await
        };
        let mut echoed = Vec::new();
        let receiving = AsyncReadExt::read_to_end(&mut read_half, &mut echoed);
        // Sending and receiving must overlap: the echo stalls once the buffers fill.
        let (sent_result, received_result) = futures::join!(sending, receiving);
        sent_result.unwrap();
        assert_eq!(received_result.unwrap(), sent.len());
        assert_eq!(echo.await.unwrap().unwrap(), sent.len() as u64);
        assert!(echoed == sent, "the echo differs from what was sent");
    })
    .await;
}

#[magpie::test]
async fn buf_reader_lines_splits_lines_that_arrive_in_pieces() {
    bounded("the test body", async {
        let (mut client, server) = tcp_pair().await.unwrap();
        let writer = magpie::spawn(async move {
            // Line breaks fall inside, between and at the ends of the writes.
            for piece in [
                "alpha\nbe",
                "ta\n",
                "",
                "gam",
                "ma\n\ndelta",
                "\nlast line, no newline",
            ] {
                AsyncWriteExt::write_all(&mut client, piece.as_bytes()).await?;
                magpie::time::sleep(Duration::from_millis(1)).await;
            }
            client.shutdown(Shutdown::Write)
        });
        let lines: Vec<String> = BufReader::new(server)
            .lines()
            .map(|line| line.unwrap())
            .collect()
            .await;
        writer.await.unwrap().unwrap();
        assert_eq!(
            lines,
            [
                "alpha",
                "beta",
                "gamma",
                "",
                "delta",
                "last line, no newline"
            ]
        );
    })
    .await;
}

#[magpie::test]
async fn read_to_end_reports_a_reset_connection_as_an_error() {
    bounded("the test body", async {
        let (client, mut server) = tcp_pair().await.unwrap();
        // Closing a socket with unread received data resets the connection (no clean FIN).
        AsyncWriteExt::write_all(&mut server, b"never read")
            .await
            .unwrap();
        let mut first = [0u8; 1];
        client.peek(&mut first).await.unwrap(); // the bytes are in the client's buffer
        drop(client);
        let mut received = Vec::new();
        let error = AsyncReadExt::read_to_end(&mut server, &mut received)
            .await
            .expect_err("a reset connection is not a clean EOF");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    })
    .await;
}

// ---------------------------------------------------------------- futures::stream

#[magpie::test]
async fn stream_combinators_run_over_an_mpsc_receiver() {
    bounded("the test body", async {
        let (mut tx, rx) = mpsc::channel::<u32>(8);
        magpie::spawn(async move {
            let mut numbers = stream::iter(1..=100).map(Ok);
            tx.send_all(&mut numbers).await.unwrap();
        });
        let even_squares: Vec<u32> = rx
            .filter(|n| futures::future::ready(n % 2 == 0))
            .map(|n| n * n)
            .take(5)
            .collect()
            .await;
        assert_eq!(even_squares, [4, 16, 36, 64, 100]);
    })
    .await;
}

#[magpie::test]
async fn futures_unordered_yields_join_handles_in_completion_order() {
    bounded("the test body", async {
        // Task i finishes only when gate i opens; the gates open in reverse order.
        let mut gates = Vec::new();
        let mut running = FuturesUnordered::new();
        for i in 0..5u32 {
            let (open, gate) = oneshot::channel::<()>();
            gates.push(open);
            running.push(magpie::spawn(async move {
                gate.await.unwrap();
                i
            }));
        }
        for expected in (0..5u32).rev() {
            gates.pop().unwrap().send(()).unwrap();
            let finished = running.next().await.unwrap().unwrap();
            assert_eq!(finished, expected);
        }
        assert!(running.next().await.is_none());
    })
    .await;
}

#[magpie::test]
async fn buffer_unordered_keeps_a_bounded_number_of_tasks_in_flight() {
    bounded("the test body", async {
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most_in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut results: Vec<u32> = stream::iter(0..40u32)
            .map(|n| {
                let (in_flight, most_in_flight) = (in_flight.clone(), most_in_flight.clone());
                magpie::spawn(async move {
                    let now = in_flight.fetch_add(1, SeqCst) + 1;
                    most_in_flight.fetch_max(now, SeqCst);
                    magpie::time::sleep(Duration::from_millis(1)).await;
                    in_flight.fetch_sub(1, SeqCst);
                    n * 2
                })
            })
            .buffer_unordered(4)
            .map(|joined| joined.unwrap())
            .collect()
            .await;
        results.sort_unstable();
        assert_eq!(results, (0..40).map(|n| n * 2).collect::<Vec<_>>());
        let most = most_in_flight.load(SeqCst);
        assert!((1..=4).contains(&most), "{most} tasks ran at once");
    })
    .await;
}
