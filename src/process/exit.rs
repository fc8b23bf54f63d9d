//! [`ExitWatch`]: how a [`Child`](super::Child) learns that its process exited, without
//! blocking a thread.
//!
//! Preferred: a pidfd (`pidfd_open(2)`, Linux 5.3+) registered with the reactor, which
//! turns readable when the process exits. Elsewhere, or where the kernel lacks it, a
//! `SIGCHLD` listener of the IO driver's signal delivery: every `SIGCHLD` makes the
//! child check again. Either way the status is collected with std's `try_wait`
//! (`waitpid(pid, WNOHANG)`). Uses `magpie_io_driver::{unix::EventedFd, signal}`.

use std::io;
use std::process::{self, ExitStatus};
use std::task::{ready, Context, Poll};

use magpie_io_driver::signal::SignalListener;
#[cfg(target_os = "linux")]
use magpie_io_driver::unix::EventedFd;

/// The exit notification of one child.
#[derive(Debug)]
pub(super) enum ExitWatch {
    /// The child's pidfd, registered with the reactor.
    #[cfg(target_os = "linux")]
    Pidfd(EventedFd),
    /// A `SIGCHLD` listener made before the first `try_wait`, so no exit is missed.
    Sigchld(SignalListener),
}

impl ExitWatch {
    /// A watch for `child`, served by the current runtime's reactor.
    pub(super) fn new(child: &process::Child) -> io::Result<ExitWatch> {
        #[cfg(target_os = "linux")]
        if let Some(pidfd) = pidfd_open(child.id())? {
            return Ok(ExitWatch::Pidfd(EventedFd::new(pidfd)?));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = child;
        Ok(ExitWatch::Sigchld(magpie_io_driver::signal::listen(
            libc::SIGCHLD,
        )?))
    }

    /// Reaps `child` once it has exited; `Pending` until then.
    pub(super) fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut process::Child,
    ) -> Poll<io::Result<ExitStatus>> {
        match self {
            #[cfg(target_os = "linux")]
            ExitWatch::Pidfd(pidfd) => {
                pidfd.poll_read_ready_with(cx, || match child.try_wait()? {
                    Some(status) => Ok(status),
                    None => Err(io::ErrorKind::WouldBlock.into()),
                })
            }
            ExitWatch::Sigchld(sigchld) => loop {
                if let Some(status) = child.try_wait()? {
                    return Poll::Ready(Ok(status));
                }
                if ready!(sigchld.poll_recv(cx)).is_none() {
                    return Poll::Ready(Err(io::Error::other(
                        "the magpie runtime shut down while waiting for a child process",
                    )));
                }
            },
        }
    }
}

/// The pidfd of process `pid`, or `None` where the kernel has no `pidfd_open` (before
/// Linux 5.3, or a seccomp filter that refuses it).
#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> io::Result<Option<std::os::fd::OwnedFd>> {
    use std::os::fd::FromRawFd;

    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "process id out of range"))?;
    // SAFETY: `pidfd_open(pid, 0)` takes two integers and returns a new descriptor or
    // -1; it touches no memory of ours. `pid` is our unreaped child, so it cannot have
    // been reused by another process.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ENOSYS) | Some(libc::EPERM) => Ok(None),
            _ => Err(error),
        };
    }
    let fd = std::os::fd::RawFd::try_from(fd)
        .map_err(|_| io::Error::other("pidfd_open returned an out-of-range descriptor"))?;
    // SAFETY: `fd` was just returned by `pidfd_open`: an open descriptor that nothing
    // else owns, so the `OwnedFd` may close it.
    Ok(Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    /// The fallback where there is no pidfd: the status comes after a `SIGCHLD`.
    #[test]
    fn the_sigchld_watch_reaps_an_exiting_child() {
        let runtime = crate::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            super::super::orphan::ensure_hooked().unwrap();
            let mut watch =
                ExitWatch::Sigchld(magpie_io_driver::signal::listen(libc::SIGCHLD).unwrap());
            let mut child = process::Command::new("sh")
                .args(["-c", "sleep 0.2; exit 7"])
                .spawn()
                .unwrap();
            let status = crate::time::timeout(
                std::time::Duration::from_secs(20),
                poll_fn(|cx| watch.poll_wait(cx, &mut child)),
            )
            .await
            .expect("no SIGCHLD woke the watch")
            .unwrap();
            assert_eq!(status.code(), Some(7));
        });
    }
}
