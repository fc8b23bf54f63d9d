//! The actor pattern from tokio's docs, and the rest of `tokio::sync` around it:
//! an actor owning its state behind an `mpsc` channel, answering through `oneshot`;
//! a `watch` config, a `Semaphore` limiting concurrency in a `JoinSet`, `Notify`,
//! `Mutex`/`RwLock` held across awaits, and `select!` with `biased;`, `, if` and `else`.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Mutex, Notify, RwLock, Semaphore};
use tokio::task::JoinSet;

enum Command {
    Add {
        amount: u64,
        respond_to: oneshot::Sender<u64>,
    },
    Get {
        respond_to: oneshot::Sender<u64>,
    },
}

struct Counter {
    receiver: mpsc::Receiver<Command>,
    total: u64,
}

impl Counter {
    async fn run(mut self) -> u64 {
        while let Some(command) = self.receiver.recv().await {
            match command {
                Command::Add { amount, respond_to } => {
                    self.total += amount;
                    let _ = respond_to.send(self.total);
                }
                Command::Get { respond_to } => {
                    let _ = respond_to.send(self.total);
                }
            }
        }
        self.total
    }
}

#[derive(Clone)]
struct CounterHandle {
    sender: mpsc::Sender<Command>,
}

impl CounterHandle {
    fn new() -> (Self, tokio::task::JoinHandle<u64>) {
        let (sender, receiver) = mpsc::channel(8);
        let actor = tokio::spawn(Counter { receiver, total: 0 }.run());
        (CounterHandle { sender }, actor)
    }

    async fn add(&self, amount: u64) -> u64 {
        let (send, recv) = oneshot::channel();
        let _ = self
            .sender
            .send(Command::Add {
                amount,
                respond_to: send,
            })
            .await;
        recv.await.expect("the actor is gone")
    }

    async fn get(&self) -> u64 {
        let (send, recv) = oneshot::channel();
        let _ = self.sender.send(Command::Get { respond_to: send }).await;
        recv.await.expect("the actor is gone")
    }
}

async fn actor() {
    let (handle, actor) = CounterHandle::new();
    let mut set = JoinSet::new();
    for i in 1..=10 {
        let handle = handle.clone();
        set.spawn(async move { handle.add(i).await });
    }
    let mut answers = 0;
    while let Some(res) = set.join_next().await {
        assert!(res.unwrap() <= 55);
        answers += 1;
    }
    assert_eq!(answers, 10);
    assert_eq!(handle.get().await, 55);
    drop(handle);
    assert_eq!(actor.await.unwrap(), 55);
    println!("actor: total 55 from 10 tasks");
}

async fn limited() {
    let permits = Arc::new(Semaphore::new(3));
    let running = Arc::new(Mutex::new((0usize, 0usize))); // (now, peak)
    let mut set = JoinSet::new();
    for _ in 0..12 {
        let permits = permits.clone();
        let running = running.clone();
        set.spawn(async move {
            let _permit = permits.acquire().await.unwrap();
            {
                let mut r = running.lock().await;
                r.0 += 1;
                r.1 = r.1.max(r.0);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            running.lock().await.0 -= 1;
        });
    }
    while let Some(res) = set.join_next().await {
        res.unwrap();
    }
    let (now, peak) = *running.lock().await;
    assert_eq!(now, 0);
    assert!(peak <= 3 && peak >= 1, "peak {peak}");
    assert_eq!(permits.available_permits(), 3);
    println!("semaphore: at most 3 at once");
}

async fn config() {
    let (tx, mut rx) = watch::channel("v1".to_string());
    let reader = tokio::spawn(async move {
        let mut seen = vec![rx.borrow_and_update().clone()];
        while rx.changed().await.is_ok() {
            let v = rx.borrow_and_update().clone();
            let last = v == "v3";
            seen.push(v);
            if last {
                break;
            }
        }
        seen
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    tx.send("v2".to_string()).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    tx.send_modify(|v| *v = "v3".to_string());
    let seen = reader.await.unwrap();
    assert_eq!(seen, ["v1", "v2", "v3"]);
    println!("watch: saw {seen:?}");
}

async fn notify_and_locks() {
    let notify = Arc::new(Notify::new());
    let table = Arc::new(RwLock::new(Vec::<u32>::new()));
    let waiter = {
        let notify = notify.clone();
        let table = table.clone();
        tokio::spawn(async move {
            notify.notified().await;
            table.read().await.iter().sum::<u32>()
        })
    };
    {
        let mut t = table.write().await;
        for i in 1..=4 {
            t.push(i);
            tokio::task::yield_now().await; // held across an await: tokio's Mutex/RwLock allow it
        }
    }
    notify.notify_one();
    assert_eq!(waiter.await.unwrap(), 10);
    println!("notify + rwlock: sum 10");
}

async fn selects() {
    // biased: the first ready branch in order wins.
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    tx.send(1).unwrap();
    let mut order = Vec::new();
    for _ in 0..2 {
        tokio::select! {
            biased;
            Some(v) = rx.recv() => order.push(format!("msg {v}")),
            _ = tokio::time::sleep(Duration::from_millis(1)) => order.push("timer".to_string()),
        }
    }
    assert_eq!(order, ["msg 1", "timer"]);

    // `, if` disables a branch; `else` runs when every branch is disabled.
    let mut done = false;
    let mut rounds = 0;
    loop {
        tokio::select! {
            _ = tokio::task::yield_now(), if !done => { rounds += 1; done = rounds == 3; }
            else => break,
        }
    }
    assert_eq!(rounds, 3);

    // A pattern that does not match disables its branch for the rest of the call.
    drop(tx);
    let (_keep, mut never) = mpsc::channel::<u32>(1);
    let outcome = tokio::select! {
        Some(v) = rx.recv() => format!("got {v}"),
        Some(v) = never.recv() => format!("never {v}"),
        _ = tokio::time::sleep(Duration::from_millis(20)) => "closed channel disabled".to_string(),
    };
    assert_eq!(outcome, "closed channel disabled");

    let (a, b) = tokio::join!(async { 1 }, async { 2 });
    let sum: Result<u32, String> = async {
        let (x, y) = tokio::try_join!(async { Ok::<_, String>(a) }, async { Ok(b) })?;
        Ok(x + y)
    }
    .await;
    assert_eq!(sum, Ok(3));
    let failed = tokio::try_join!(async { Ok::<u32, &str>(1) }, async {
        Err::<u32, &str>("no")
    });
    assert_eq!(failed, Err("no"));
    println!("select!/join!/try_join!: ok");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    actor().await;
    limited().await;
    config().await;
    notify_and_locks().await;
    selects().await;
    let blocking = tokio::task::spawn_blocking(|| (1..=100u64).sum::<u64>())
        .await
        .unwrap();
    assert_eq!(blocking, 5050);
    println!("spawn_blocking: {blocking}");
}
