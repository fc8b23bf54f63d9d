//! A simulation on a paused clock: `Builder::new_current_thread().start_paused(true)`,
//! a few workers with `sleep` and `interval`, a deadline with `timeout`, and the
//! virtual time they took, printed in whole seconds.
use std::time::Duration;

use tokio::runtime::Builder;
use tokio::sync::mpsc;
use tokio::time::{self, Instant, MissedTickBehavior};

async fn simulate() -> Vec<(u64, String)> {
    let start = Instant::now();
    let (tx, mut rx) = mpsc::channel(16);

    // A sensor that reports every 15 s.
    let sensor = tx.clone();
    tokio::spawn(async move {
        let mut interval = time::interval(Duration::from_secs(15));
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        for reading in 0..4 {
            interval.tick().await;
            if sensor.send(format!("reading {reading}")).await.is_err() {
                break;
            }
        }
    });

    // Jobs that take a while.
    for (name, secs) in [("backup", 40u64), ("report", 25)] {
        let tx = tx.clone();
        tokio::spawn(async move {
            time::sleep(Duration::from_secs(secs)).await;
            tx.send(format!("{name} done")).await.unwrap();
        });
    }

    // A job that would take a day, cut off after a minute.
    let tx2 = tx.clone();
    tokio::spawn(async move {
        let slow = time::sleep(Duration::from_secs(24 * 3600));
        let outcome = match time::timeout(Duration::from_secs(60), slow).await {
            Ok(()) => "slow job finished",
            Err(_) => "slow job timed out",
        };
        tx2.send(outcome.to_string()).await.unwrap();
    });
    drop(tx);

    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push((start.elapsed().as_secs(), event));
    }
    events
}

fn main() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let wall = std::time::Instant::now();
    let events = rt.block_on(simulate());
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "virtual time took real time"
    );
    for (secs, event) in &events {
        println!("t={secs:>3}s {event}");
    }
    let expected = [
        (0, "reading 0"),
        (15, "reading 1"),
        (25, "report done"),
        (30, "reading 2"),
        (40, "backup done"),
        (45, "reading 3"),
        (60, "slow job timed out"),
    ];
    let got: Vec<(u64, &str)> = events.iter().map(|(s, e)| (*s, e.as_str())).collect();
    assert_eq!(got, expected);

    // The clock also moves by hand.
    rt.block_on(async {
        let before = Instant::now();
        time::advance(Duration::from_secs(90)).await;
        assert_eq!(before.elapsed().as_secs(), 90);
        println!("advanced 90 s by hand");
    });
}
