//! A task on one runtime's worker that enters another runtime's context and
//! sets a timer there: the timer goes to the other runtime's shard for
//! outside threads, not to the shard numbered like the calling worker (which
//! the other runtime may not have: it panicked with 4 workers against 1).

use magpie::runtime::Builder;
use std::time::Duration;

#[test]
fn a_worker_of_one_runtime_sets_timers_on_another() {
    let a = Builder::new().worker_threads(4).build().unwrap();
    let b = Builder::new().worker_threads(1).build().unwrap();
    let on_b = b.handle().clone();
    a.block_on(async move {
        let mut sleepers = vec![];
        for _ in 0..16 {
            let on_b = on_b.clone();
            sleepers.push(magpie::spawn(async move {
                let entered = on_b.enter();
                let sleep = magpie::time::sleep(Duration::from_millis(5));
                drop(entered);
                sleep.await;
            }));
        }
        for sleeper in sleepers {
            sleeper.await.unwrap();
        }
    });
}
