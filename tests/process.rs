//! `magpie::process`: spawning, waiting, pipes, killing and reaping real programs
//! (`echo`, `cat`, `sh`, `sleep`, `true`, `false`).
//!
//! Zombie checks read `/proc/<pid>/stat` of the pids a test spawned itself, so the
//! other tests' children (running in parallel threads) cannot disturb them.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use magpie::io::{AsyncReadExt, AsyncWriteExt};
use magpie::process::Command;
use magpie::time::timeout;

/// Generous: the machine running the tests may be loaded.
const LIMIT: Duration = Duration::from_secs(20);

/// Whether `pid` is a zombie child of this process now.
fn is_our_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false; // gone: reaped
    };
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split
    // after its last ')'.
    let rest = &stat[stat.rfind(')').expect("malformed /proc stat") + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next().unwrap();
    let ppid: u32 = fields.next().unwrap().parse().unwrap();
    state == "Z" && ppid == std::process::id()
}

/// Whether `pid` is (still) a child of this process, zombie or not.
fn is_our_child(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let rest = &stat[stat.rfind(')').expect("malformed /proc stat") + 2..];
    let ppid: u32 = rest.split(' ').nth(1).unwrap().parse().unwrap();
    ppid == std::process::id()
}

/// Waits (boundedly) until `done` holds; false if it never did.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        magpie::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[magpie::test]
async fn output_collects_stdout_and_stderr() {
    let output = Command::new("sh")
        .args(["-c", "echo hello world; echo oops >&2"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, b"hello world\n");
    assert_eq!(output.stderr, b"oops\n");
}

#[magpie::test(flavor = "current_thread")]
async fn a_current_thread_runtime_runs_children_too() {
    let output = Command::new("sh")
        .args(["-c", "sleep 0.1; echo late"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.stdout, b"late\n");
}

#[magpie::test]
async fn echo_output() {
    let output = Command::new("echo").arg("hello").output().await.unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, b"hello\n");
}

#[magpie::test]
async fn failing_statuses_are_reported() {
    let status = Command::new("false").status().await.unwrap();
    assert!(!status.success());
    assert_eq!(status.code(), Some(1));
    let status = Command::new("sh")
        .args(["-c", "exit 3"])
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

#[magpie::test]
async fn env_and_current_dir_reach_the_child() {
    let output = Command::new("sh")
        .args(["-c", "echo $MAGPIE_TEST_VAR; echo ${HOME:-unset}; pwd"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .envs([("MAGPIE_TEST_VAR", "bar")])
        .env("HOME", "/nowhere")
        .env_remove("HOME")
        .current_dir("/")
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "bar\nunset\n/\n");
}

#[magpie::test]
async fn stdin_piped_to_cat_round_trips() {
    // More than a pipe's buffer (64 KiB), so writing waits for cat to read.
    let input: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let expected = input.clone();
    let writer = magpie::spawn(async move {
        stdin.write_all(&input).await.unwrap();
        stdin.flush().await.unwrap();
        // Dropping stdin closes the pipe: cat sees the end of its input.
    });
    let mut echoed = Vec::new();
    timeout(LIMIT, stdout.read_to_end(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    writer.await.unwrap();
    assert!(echoed == expected, "cat echoed {} bytes", echoed.len());
    assert!(child.wait().await.unwrap().success());
}

#[magpie::test]
async fn kill_stops_a_sleeping_child_promptly() {
    let mut child = Command::new("sleep").arg("60").spawn().unwrap();
    assert!(child.id().is_some());
    assert!(child.try_wait().unwrap().is_none());
    let started = Instant::now();
    timeout(LIMIT, child.kill()).await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "kill took {:?}",
        started.elapsed()
    );
    let status = child.try_wait().unwrap().expect("killed child not reaped");
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert_eq!(child.id(), None, "a reaped child has no id");
    // As tokio (and std): killing a child already reaped is a no-op that succeeds.
    child.start_kill().unwrap();
    timeout(LIMIT, child.kill()).await.unwrap().unwrap();
    let again = child.wait().await.unwrap();
    assert_eq!(again.signal(), Some(libc::SIGKILL));
}

/// A child that exited but was not awaited yet is a zombie: killing it succeeds (as
/// `kill(2)` on a zombie does, and as tokio and std report it), and does not take its
/// status, which `wait` still returns.
#[magpie::test]
async fn killing_an_exited_child_not_yet_awaited_succeeds() {
    let mut child = Command::new("true").spawn().unwrap();
    magpie::time::sleep(Duration::from_millis(200)).await;
    child.start_kill().unwrap();
    let status = timeout(LIMIT, child.wait()).await.unwrap().unwrap();
    assert!(
        status.success(),
        "the real status, not the kill's: {status:?}"
    );

    let mut child = Command::new("true").spawn().unwrap();
    magpie::time::sleep(Duration::from_millis(200)).await;
    timeout(LIMIT, child.kill()).await.unwrap().unwrap();
    let status = timeout(LIMIT, child.wait()).await.unwrap().unwrap();
    assert!(
        status.success(),
        "the real status, not the kill's: {status:?}"
    );
}

#[magpie::test]
async fn fifty_concurrent_children_are_all_reaped() {
    let mut children = Vec::new();
    for i in 0..50 {
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("exit {}", i % 4))
            .spawn()
            .unwrap();
        children.push((i, child));
    }
    let pids: Vec<u32> = children.iter().map(|(_, c)| c.id().unwrap()).collect();
    let mut tasks = magpie::task::JoinSet::new();
    for (i, mut child) in children {
        tasks.spawn(async move { (i, child.wait().await) });
    }
    let mut done = 0;
    while let Some(joined) = timeout(LIMIT, tasks.join_next()).await.unwrap() {
        let (i, status) = joined.unwrap();
        assert_eq!(status.unwrap().code(), Some(i % 4));
        done += 1;
    }
    assert_eq!(done, 50);
    let zombies: Vec<u32> = pids.into_iter().filter(|&pid| is_our_zombie(pid)).collect();
    assert!(zombies.is_empty(), "zombies left: {zombies:?}");
}

/// The check above runs after each `wait`, which reaps; here nobody waits: fifty
/// children are dropped at once and the runtime's orphan reaping must leave none of
/// them a zombie (each gone from `/proc`, so exited and reaped, within a few seconds).
#[magpie::test]
async fn fifty_dropped_children_are_all_reaped_without_waiting() {
    let mut pids = Vec::new();
    for _ in 0..50 {
        let child = Command::new("true").spawn().unwrap();
        pids.push(child.id().unwrap());
        drop(child);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|&p| is_our_child(p)).collect();
        if left.is_empty() {
            break;
        }
        let zombies: Vec<u32> = left.iter().copied().filter(|&p| is_our_zombie(p)).collect();
        assert!(
            Instant::now() < deadline,
            "not reaped after 5 s: {left:?}, of which zombies: {zombies:?}"
        );
        magpie::time::sleep(Duration::from_millis(20)).await;
    }
}

#[magpie::test]
async fn a_dropped_running_child_is_reaped_when_it_exits() {
    let child = Command::new("sleep").arg("0.3").spawn().unwrap();
    let pid = child.id().unwrap();
    drop(child);
    assert!(
        eventually(|| !is_our_child(pid)).await,
        "the dropped child was not reaped"
    );
}

#[magpie::test]
async fn a_dropped_exited_child_is_reaped() {
    let child = Command::new("true").spawn().unwrap();
    let pid = child.id().unwrap();
    // Let it exit (and become a zombie) before dropping it.
    assert!(eventually(|| is_our_zombie(pid)).await);
    drop(child);
    assert!(
        eventually(|| !is_our_child(pid)).await,
        "the dropped child was not reaped"
    );
}

#[magpie::test]
async fn kill_on_drop_kills_and_reaps() {
    let child = Command::new("sleep")
        .arg("60")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    drop(child);
    assert!(
        eventually(|| !is_our_child(pid)).await,
        "the child was not killed and reaped"
    );
}

#[magpie::test]
async fn without_kill_on_drop_a_dropped_child_runs_on() {
    let mut command = Command::new("sleep");
    command.arg("60");
    assert!(!command.get_kill_on_drop());
    let child = command.spawn().unwrap();
    let pid = child.id().unwrap();
    drop(child);
    magpie::time::sleep(Duration::from_millis(200)).await;
    assert!(is_our_child(pid) && !is_our_zombie(pid));
    // Clean up: it is in the orphan queue, which reaps it once killed.
    // SAFETY: `kill` takes two integers; `pid` is our unreaped child, so the number
    // cannot have been reused.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    assert!(eventually(|| !is_our_child(pid)).await);
}

#[magpie::test]
async fn wait_with_output_and_waiting_twice() {
    let mut child = Command::new("sh")
        .args(["-c", "read line; echo got $line"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"ping\n")
        .await
        .unwrap();
    let output = timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.stdout, b"got ping\n");

    let mut child = Command::new("true").spawn().unwrap();
    let first = child.wait().await.unwrap();
    assert_eq!(child.wait().await.unwrap(), first);
}

#[magpie::test]
async fn a_missing_program_is_not_found() {
    for program in ["magpie-no-such-program-4b1d", "/nonexistent/magpie/program"] {
        let error = Command::new(program).spawn().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{program}");
        let error = Command::new(program).output().await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{program}");
    }
}

#[test]
fn spawning_outside_a_runtime_is_an_error() {
    let error = Command::new("true").spawn().unwrap_err();
    assert!(error.to_string().contains("runtime"), "{error}");
}

#[test]
fn as_std_shows_the_settings() {
    let mut command = Command::new("echo");
    command.arg("a").kill_on_drop(true);
    assert_eq!(command.as_std().get_program(), "echo");
    assert_eq!(command.as_std().get_args().collect::<Vec<_>>(), ["a"]);
    command.as_std_mut().arg("b");
    assert_eq!(command.as_std().get_args().count(), 2);
    assert!(command.get_kill_on_drop());
}
