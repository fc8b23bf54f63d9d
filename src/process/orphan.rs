//! The orphan queue: children whose [`Child`](super::Child) was dropped before they were
//! reaped. Nothing is left a zombie: the queue is swept after every `SIGCHLD` (a hook on
//! the IO driver's signal delivery, run on the reactor thread) and whenever a child is
//! added, so one that already exited is reaped at once.
//!
//! Owns the queue; uses `magpie_io_driver::signal::add_hook` and std's non-blocking
//! `Child::try_wait` (`waitpid(pid, WNOHANG)` on that one pid: it never reaps a child
//! somebody else owns).

use std::io;
use std::process;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// The children to reap. Pushed by any thread dropping a `Child`; swept by that thread
/// and by the reactor threads delivering `SIGCHLD`.
static ORPHANS: Mutex<Vec<process::Child>> = Mutex::new(Vec::new());

/// Whether the sweep hook is registered (the result of the one attempt).
static HOOKED: OnceLock<Result<(), io::ErrorKind>> = OnceLock::new();

/// Makes `SIGCHLD` sweep the queue (once per process); call before spawning. Fails
/// only if the `SIGCHLD` handler cannot be installed.
pub(super) fn ensure_hooked() -> io::Result<()> {
    let result = HOOKED.get_or_init(|| {
        magpie_io_driver::signal::add_hook(libc::SIGCHLD, sweep).map_err(|error| error.kind())
    });
    result.map_err(|kind| io::Error::new(kind, "cannot install the SIGCHLD handler"))
}

/// Hands `child` (not yet reaped) to the queue, then sweeps it: if it exited before the
/// push, the `SIGCHLD` sweep may already have run, so this one reaps it.
pub(super) fn adopt(child: process::Child) {
    let mut orphans = orphans();
    orphans.push(child);
    sweep_locked(&mut orphans);
}

/// Reaps every queued child that has exited.
fn sweep() {
    sweep_locked(&mut orphans());
}

/// The locked queue. A panic while it was locked cannot have broken it (every update
/// is one `push` or `retain_mut`), so poisoning is ignored.
fn orphans() -> MutexGuard<'static, Vec<process::Child>> {
    ORPHANS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sweep_locked(orphans: &mut Vec<process::Child>) {
    // `Ok(None)`: still running. `Ok(Some(_))`: reaped now. `Err`: not our child any
    // more (nothing left to reap).
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exited_orphan_is_reaped_when_adopted() {
        let child = process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Wait for the exit without reaping it.
        // SAFETY: `waitid` with `WNOWAIT` only reads the child's state into `info`,
        // which is a valid, writable `siginfo_t`.
        let waited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        assert_eq!(waited, 0);
        adopt(child);
        // Reaped by the adoption's sweep: waiting for it again finds no such child.
        // SAFETY: `waitpid` with a null status pointer writes nothing.
        let again =
            unsafe { libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG) };
        assert_eq!(again, -1);
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ECHILD)
        );
    }
}
