//! `magpie::signal::ctrl_c`, in a test binary of its own: it raises SIGINT, which would
//! kill every other test's process if raised before a handler is installed.

use std::time::Duration;

use magpie::signal::unix::{signal, SignalKind};

#[magpie::test]
async fn ctrl_c_completes_on_sigint() {
    // Installs the SIGINT handler now, so raising it can no longer kill the process.
    let _installed = signal(SignalKind::interrupt()).unwrap();
    let mut ctrl_c = magpie::spawn(magpie::signal::ctrl_c());
    // `ctrl_c` listens from its first poll on, which the task makes at some point
    // after the spawn: raise until it has seen one.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let result = loop {
        // SAFETY: `kill` takes two integers; SIGINT has a handler (see above).
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
        match magpie::time::timeout(Duration::from_millis(100), &mut ctrl_c).await {
            Ok(result) => break result.unwrap(),
            Err(_) => assert!(
                std::time::Instant::now() < deadline,
                "ctrl_c did not complete"
            ),
        }
    };
    result.unwrap();
}
