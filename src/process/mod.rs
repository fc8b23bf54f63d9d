//! `magpie::process`: tokio's `Command` and `Child`, driven by the runtime's reactor.
//!
//! Owns the public types. A child's exit is awaited through a pidfd registered with the
//! reactor (or `SIGCHLD` deliveries where there is no pidfd: `exit`), its pipes are
//! non-blocking descriptors on the reactor (`stdio`), and a child dropped before it
//! was reaped goes to the `orphan` queue, swept on every `SIGCHLD`. Uses std's
//! `Command` to spawn, and `magpie_io_driver::{signal, unix, context}`.

mod child;
mod exit;
mod orphan;
mod stdio;

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::Child;
pub use stdio::{ChildStderr, ChildStdin, ChildStdout};

/// Builds and spawns a child process, as tokio's (and std's) `Command`.
///
/// ```
/// # #[magpie::main(worker_threads = 1)]
/// # async fn main() -> std::io::Result<()> {
/// use magpie::process::Command;
///
/// let output = Command::new("echo").arg("hello").output().await?;
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hello\n");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` if it has no `/`), with no
    /// arguments, the parent's environment and working directory, and stdio inherited
    /// (for [`Command::spawn`] and [`Command::status`]).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin (`Stdio::piped()` makes [`Child::stdin`] available).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's stdout (`Stdio::piped()` makes [`Child::stdout`] available).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's stderr (`Stdio::piped()` makes [`Child::stderr`] available).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] before it was reaped kills the process
    /// (`SIGKILL`). Default `false`: the process runs on. Either way it is reaped.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`Command::kill_on_drop`] is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// std's `Command` underneath, to read its settings.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// std's `Command` underneath, for settings this type does not wrap
    /// (`std::os::unix::process::CommandExt`'s `uid`, `process_group`, ...).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Spawns the process. It is reaped by the runtime whether or not the returned
    /// [`Child`] is awaited.
    ///
    /// # Errors
    /// `NotFound` if the program does not exist; the OS's error if spawning fails; an
    /// error (without spawning) when called outside a magpie runtime.
    pub fn spawn(&mut self) -> io::Result<Child> {
        // Everything that can fail without a process goes first: no child may be left
        // to nobody.
        if magpie_io_driver::context::try_current().is_none() {
            return Err(io::Error::other(
                "there is no reactor running: magpie processes must be spawned from \
                 within a magpie runtime (inside `Runtime::block_on` or a task it runs)",
            ));
        }
        orphan::ensure_hooked()?;
        magpie_io_driver::signal::drive(libc::SIGCHLD)?;
        let child = self.std.spawn()?;
        Child::new(child, self.kill_on_drop)
    }

    /// Spawns the process (now, not when awaited) and waits for its exit status. Its
    /// stdio is inherited unless set otherwise; piped stdio is closed at once.
    ///
    /// # Errors
    /// As [`Command::spawn`] and [`Child::wait`].
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> {
        let child = self.spawn();
        async move {
            let mut child = child?;
            drop((child.stdin.take(), child.stdout.take(), child.stderr.take()));
            child.wait().await
        }
    }

    /// Spawns the process (now, not when awaited) with stdout and stderr piped, and
    /// collects its exit status and everything it wrote to them.
    ///
    /// # Errors
    /// As [`Command::spawn`] and [`Child::wait_with_output`].
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async move { child?.wait_with_output().await }
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}
