//! [`Child`]: a spawned process, awaited without blocking a thread, and reaped even if
//! dropped.
//!
//! Owns std's `Child` (the pid and its status) with its [`ExitWatch`] and pipes; a
//! `Child` dropped before its process was reaped hands std's `Child` to the
//! [`orphan`](super::orphan) queue (killing it first with `kill_on_drop`).

use std::future::poll_fn;
use std::io;
use std::process::{self, ExitStatus, Output};
use std::task::{Context, Poll};

use magpie_io::AsyncRead;
use magpie_io::AsyncReadExt;

use super::exit::ExitWatch;
use super::orphan;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};

/// A child process spawned by [`Command::spawn`](super::Command::spawn), as tokio's
/// `Child`.
///
/// Dropping it does not kill the process (unless
/// [`Command::kill_on_drop`](super::Command::kill_on_drop) was set) and does not leave a
/// zombie: the runtime reaps the process when it exits (at the next `SIGCHLD` that a
/// live magpie runtime's reactor serves; every `Command::spawn` makes its runtime serve
/// them).
#[derive(Debug)]
pub struct Child {
    /// std's handle; `Some` until `drop` takes it for the orphan queue.
    child: Option<process::Child>,
    /// The exit notification (pidfd or `SIGCHLD`).
    exit: ExitWatch,
    /// The exit status, once reaped.
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// The child's stdin, when it was `Stdio::piped()`.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, when it was `Stdio::piped()`.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, when it was `Stdio::piped()`.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    /// Wraps a just spawned `child`: registers its pipes and exit watch with the current
    /// runtime. On failure the process is killed and handed to the orphan queue.
    pub(super) fn new(mut child: process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let parts = (|| {
            let stdin = child.stdin.take().map(ChildStdin::new).transpose()?;
            let stdout = child.stdout.take().map(ChildStdout::new).transpose()?;
            let stderr = child.stderr.take().map(ChildStderr::new).transpose()?;
            let exit = ExitWatch::new(&child)?;
            io::Result::Ok((stdin, stdout, stderr, exit))
        })();
        match parts {
            Ok((stdin, stdout, stderr, exit)) => Ok(Child {
                child: Some(child),
                exit,
                status: None,
                kill_on_drop,
                stdin,
                stdout,
                stderr,
            }),
            Err(error) => {
                let _ = child.kill();
                orphan::adopt(child);
                Err(error)
            }
        }
    }

    /// std's handle.
    fn std(&mut self) -> &mut process::Child {
        self.child
            .as_mut()
            .expect("magpie: a Child's process handle is only taken by its drop")
    }

    /// The process id, or `None` once the process has been reaped (its id may then
    /// belong to another process).
    pub fn id(&self) -> Option<u32> {
        match (&self.child, self.status) {
            (Some(child), None) => Some(child.id()),
            _ => None,
        }
    }

    /// Waits for the process to exit and returns its status (at once if it was already
    /// reaped). Closes `stdin` first, so a child reading its input to the end can finish.
    /// Cancel safe: a later call picks up where a dropped one left off.
    ///
    /// # Errors
    /// When `waitpid` fails, or when the runtime shuts down first.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let child = self
            .child
            .as_mut()
            .expect("magpie: a Child's process handle is only taken by its drop");
        let status = std::task::ready!(self.exit.poll_wait(cx, child))?;
        self.status = Some(status);
        Poll::Ready(Ok(status))
    }

    /// The exit status if the process has exited (reaping it), `None` if it still runs.
    /// Never blocks.
    ///
    /// # Errors
    /// When `waitpid` fails.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.std().try_wait()?;
        }
        Ok(self.status)
    }

    /// Sends `SIGKILL` to the process without waiting for it to exit (see
    /// [`Child::kill`]).
    ///
    /// As tokio's: a process that already exited but was not awaited is a zombie, which
    /// `kill(2)` accepts, so this succeeds and [`Child::wait`] still returns the real
    /// exit status; once the process was reaped (by `wait` or `try_wait`) this does
    /// nothing and succeeds.
    ///
    /// # Errors
    /// The OS's error if `kill(2)` fails.
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        // Not reaped yet, so the pid is still ours (a zombie at worst): std sends the
        // signal, or returns `Ok` if it reaped the process itself.
        self.std().kill()
    }

    /// Kills the process (`SIGKILL`) and waits for it to exit.
    ///
    /// # Errors
    /// As [`Child::start_kill`] and [`Child::wait`].
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the process to exit while reading all of its `stdout` and `stderr`
    /// (those that are piped; the others come back empty). Closes `stdin` first.
    ///
    /// # Errors
    /// As [`Child::wait`], and a read error on either pipe.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let stdout = read_all(self.stdout.take());
        let stderr = read_all(self.stderr.take());
        let (stdout, stderr, status) = crate::try_join!(stdout, stderr, self.wait())?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Everything `pipe` yields until its end (nothing if there is no pipe).
async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut bytes).await?;
    }
    Ok(bytes)
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = child.kill();
        }
        orphan::adopt(child);
    }
}
