//! `magpie::fs` through the public API: the free functions' round trips and errors,
//! `File` with its buffered reads, handed-off writes, seeks and `&self` methods,
//! `read_dir`, and many reads at once on the blocking pool.
//!
//! Each test works in its own directory under the temp dir (pid + counter), removed when
//! the test ends, pass or fail. Every wait is bounded by `common::bounded`.

mod common;

use std::collections::BTreeSet;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use common::bounded;
use magpie::fs::{self, File, OpenOptions};
use magpie::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// A fresh directory for one test, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, SeqCst);
        let path =
            std::env::temp_dir().join(format!("magpie-fs-{}-{what}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test directory");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Opens `path` for reading and writing; `fresh` creates it, or empties it if it exists.
async fn open_read_write(path: &Path, fresh: bool) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(fresh)
        .truncate(fresh)
        .open(path)
        .await
        .unwrap()
}

/// `len` bytes of a pattern that differs per `seed`.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + seed * 7) as u8).collect()
}

#[magpie::test]
async fn write_read_and_read_to_string_round_trip() {
    let dir = TempDir::new("round-trip");
    let path = dir.join("a.txt");
    bounded("write", fs::write(&path, "hello, fs"))
        .await
        .unwrap();
    assert_eq!(
        bounded("read", fs::read(&path)).await.unwrap(),
        b"hello, fs"
    );
    assert_eq!(
        bounded("read_to_string", fs::read_to_string(&path))
            .await
            .unwrap(),
        "hello, fs"
    );
    // Overwrites, not appends.
    fs::write(&path, b"x").await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"x");
    // Not UTF-8.
    fs::write(&path, [0xff, 0xfe]).await.unwrap();
    let error = fs::read_to_string(&path).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidData);
}

#[magpie::test]
async fn a_file_written_and_flushed_reads_back() {
    let dir = TempDir::new("file-write");
    let path = dir.join("data.bin");
    // Larger than one blocking write (2 MiB), so it takes several.
    let data = pattern(3, 5 * 1024 * 1024 + 17);
    let mut file = bounded("create", File::create(&path)).await.unwrap();
    bounded("write_all", file.write_all(&data)).await.unwrap();
    bounded("flush", file.flush()).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data, "complete after flush");

    let mut file = File::open(&path).await.unwrap();
    let mut back = Vec::new();
    bounded("read_to_end", file.read_to_end(&mut back))
        .await
        .unwrap();
    assert_eq!(back, data);
}

#[magpie::test]
async fn a_file_dropped_with_a_write_in_flight_still_writes_it() {
    let dir = TempDir::new("file-drop");
    let path = dir.join("dropped.bin");
    let data = pattern(5, 1024 * 1024);
    let mut file = File::create(&path).await.unwrap();
    file.write_all(&data).await.unwrap();
    drop(file); // no flush: the last write may still be running
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if std::fs::read(&path).unwrap() == data {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dropped file's write never landed"
        );
        magpie::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Writes `data` to `path` through a `File`, dropped without a flush while its last
/// write still waits in the blocking pool's queue (the pool's one thread is held by
/// another job), then drops the runtime; returns what the file holds afterwards.
fn write_then_drop_the_runtime(rt: magpie::runtime::Runtime, path: &Path, data: &[u8]) -> Vec<u8> {
    let (release, held) = std::sync::mpsc::channel::<()>();
    rt.block_on(async {
        let mut file = File::create(path).await.unwrap();
        let (head, tail) = data.split_at(data.len() - 1024 * 1024);
        // Two 2 MiB blocking writes; the second may still be queued or running.
        file.write_all(head).await.unwrap();
        // Queued after that write: holds the pool's thread until released.
        drop(magpie::task::spawn_blocking(move || {
            let _ = held.recv_timeout(common::HANG_LIMIT);
        }));
        // Waits for the previous write, then queues this one behind the holder.
        file.write_all(tail).await.unwrap();
        drop(file);
    });
    // Released once the shutdown has dealt with the queue (it waits for the thread).
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let _ = release.send(());
    });
    drop(rt);
    releaser.join().unwrap();
    std::fs::read(path).unwrap()
}

/// tokio runs a file's writes as "mandatory" blocking jobs: a runtime shut down right
/// after the `File` is dropped still completes them instead of cancelling them.
#[test]
fn writes_queued_when_the_runtime_shuts_down_still_land() {
    let dir = TempDir::new("shutdown-write");
    let data = pattern(9, 5 * 1024 * 1024);
    let multi = magpie::runtime::Builder::new()
        .worker_threads(2)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let path = dir.join("multi.bin");
    let written = write_then_drop_the_runtime(multi, &path, &data);
    assert_eq!(
        written.len(),
        data.len(),
        "multi-thread: bytes lost at shutdown"
    );
    assert!(written == data);

    let current = magpie::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let path = dir.join("current.bin");
    let written = write_then_drop_the_runtime(current, &path, &data);
    assert_eq!(
        written.len(),
        data.len(),
        "current-thread: bytes lost at shutdown"
    );
    assert!(written == data);
}

#[magpie::test]
async fn seeks_account_for_bytes_read_ahead() {
    let dir = TempDir::new("seek");
    let path = dir.join("digits.txt");
    fs::write(&path, b"0123456789").await.unwrap();
    let mut file = File::open(&path).await.unwrap();
    let mut three = [0; 3];
    file.read_exact(&mut three).await.unwrap(); // the blocking read took all ten
    assert_eq!(&three, b"012");
    assert_eq!(file.stream_position().await.unwrap(), 3);
    assert_eq!(file.seek(SeekFrom::Current(2)).await.unwrap(), 5);
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "56789");
    assert_eq!(file.seek(SeekFrom::Start(1)).await.unwrap(), 1);
    file.read_exact(&mut three).await.unwrap();
    assert_eq!(&three, b"123");
    assert_eq!(file.seek(SeekFrom::End(-2)).await.unwrap(), 8);
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"89");
    let error = file.seek(SeekFrom::Current(-100)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[magpie::test]
async fn a_write_after_a_buffered_read_lands_where_the_reads_stopped() {
    let dir = TempDir::new("read-write");
    let path = dir.join("mixed.txt");
    fs::write(&path, b"abcdefgh").await.unwrap();
    let mut file = open_read_write(&path, false).await;
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"ab");
    file.write_all(b"XY").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"abXYefgh");
    // And reading continues after the written bytes.
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"ef");
}

/// A write after a buffered read first seeks back over the bytes read ahead; where
/// that seek fails (a FIFO cannot seek), the write fails, and its bytes must not stay
/// in the buffer where the next read would hand them back as if read from the file.
#[cfg(unix)]
#[magpie::test]
async fn a_write_whose_seek_back_fails_is_not_read_back() {
    use magpie::io::AsyncRead;
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    use std::pin::Pin;
    use std::task::Poll;

    let dir = TempDir::new("fifo");
    let path = dir.join("fifo");
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    // Read+write: opening does not wait for a peer, and the pipe never reports EOF.
    let mut file = open_read_write(&path, false).await;
    let mut feed = std::fs::OpenOptions::new().write(true).open(&path).unwrap();

    // Start a 64-byte read; it waits in the pool (the pipe is empty) ...
    let mut big = [0; 64];
    std::future::poll_fn(|cx| {
        assert!(Pin::new(&mut file).poll_read(cx, &mut big).is_pending());
        Poll::Ready(())
    })
    .await;
    // ... takes all eleven bytes; the caller takes one, ten stay read ahead.
    feed.write_all(b"hello world").unwrap();
    let mut one = [0; 1];
    bounded("read one", file.read_exact(&mut one))
        .await
        .unwrap();
    assert_eq!(&one, b"h");

    // The write's seek back over those ten fails (ESPIPE), reported by flush.
    file.write_all(b"MINE").await.unwrap();
    let error = bounded("flush", file.flush()).await.unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::ESPIPE));

    // The next read gets what the pipe holds, not the failed write's bytes.
    feed.write_all(b"next").unwrap();
    let mut got = [0; 4];
    bounded("read after", file.read_exact(&mut got))
        .await
        .unwrap();
    assert_eq!(&got, b"next");
}

/// `set_max_buf_size` (tokio's): the most one blocking read or write moves, 2 MiB by
/// default; a `write` takes at most that many bytes and a `read` returns at most that
/// many, and `try_clone` keeps it.
#[magpie::test]
async fn max_buf_size_caps_each_blocking_read_and_write() {
    let dir = TempDir::new("max-buf");
    let path = dir.join("capped.bin");
    let mut file = open_read_write(&path, true).await;
    assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
    let big = pattern(3, 5 * 1024 * 1024);
    assert_eq!(file.write(&big).await.unwrap(), 2 * 1024 * 1024);

    file.set_max_buf_size(8 * 1024 * 1024);
    assert_eq!(file.max_buf_size(), 8 * 1024 * 1024);
    assert_eq!(file.write(&big).await.unwrap(), big.len());

    file.set_max_buf_size(16);
    assert_eq!(file.write(&big[..100]).await.unwrap(), 16);
    file.flush().await.unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        (2 * 1024 * 1024 + big.len() + 16) as u64
    );
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut dst = [0; 100];
    assert_eq!(file.read(&mut dst).await.unwrap(), 16);
    assert_eq!(&dst[..16], &big[..16]);
    // The cursor moved by exactly what was handed out: nothing was read ahead.
    assert_eq!(file.stream_position().await.unwrap(), 16);
    assert_eq!(file.try_clone().await.unwrap().max_buf_size(), 16);
}

#[test]
#[should_panic(expected = "must be greater than 0")]
fn a_zero_max_buf_size_panics() {
    let std = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    File::from_std(std).set_max_buf_size(0);
}

#[magpie::test]
async fn a_failed_write_is_reported_by_flush() {
    let dir = TempDir::new("write-error");
    let path = dir.join("read-only-handle.txt");
    fs::write(&path, b"data").await.unwrap();
    let mut file = File::open(&path).await.unwrap(); // opened for reading only
                                                     // The write is handed to the pool and reported as taken ...
    assert_eq!(file.write(b"nope").await.unwrap(), 4);
    // ... and its failure comes back from the flush, once.
    assert!(
        file.flush().await.is_err(),
        "the failed write must be reported"
    );
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"data");
}

#[magpie::test]
async fn file_methods_that_take_a_shared_reference() {
    let dir = TempDir::new("file-methods");
    let path = dir.join("f.bin");
    let mut file = open_read_write(&path, true).await;
    file.write_all(b"0123456789").await.unwrap();
    // `sync_all` waits for the write in flight.
    file.sync_all().await.unwrap();
    file.sync_data().await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 10);
    file.set_len(4).await.unwrap();
    assert_eq!(fs::metadata(&path).await.unwrap().len(), 4);
    let clone = file.try_clone().await.unwrap();
    assert_eq!(clone.metadata().await.unwrap().len(), 4);
    let mut std = file.into_std().await;
    use std::io::{Read, Seek};
    std.seek(SeekFrom::Start(0)).unwrap();
    let mut contents = String::new();
    std.read_to_string(&mut contents).unwrap();
    assert_eq!(contents, "0123");
    let file = File::from_std(std);
    assert!(file.try_into_std().is_ok());
}

#[magpie::test]
async fn read_dir_lists_every_entry() {
    let dir = TempDir::new("read-dir");
    // More than one batch of entries.
    let mut expected = BTreeSet::new();
    for i in 0..70 {
        let name = format!("file-{i:02}");
        std::fs::write(dir.join(&name), [i as u8]).unwrap();
        expected.insert(name);
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    expected.insert("sub".to_owned());

    let mut entries = bounded("read_dir", fs::read_dir(dir.path())).await.unwrap();
    let mut seen = BTreeSet::new();
    while let Some(entry) = bounded("next_entry", entries.next_entry()).await.unwrap() {
        let name = entry.file_name().into_string().unwrap();
        assert_eq!(entry.path(), dir.join(&name));
        let file_type = entry.file_type().await.unwrap();
        assert_eq!(file_type.is_dir(), name == "sub", "{name}");
        if name != "sub" {
            assert_eq!(entry.metadata().await.unwrap().len(), 1);
        }
        assert!(seen.insert(name), "an entry listed twice");
    }
    assert_eq!(seen, expected);
    // Exhausted stays exhausted.
    assert!(entries.next_entry().await.unwrap().is_none());
}

#[magpie::test]
async fn missing_paths_are_not_found() {
    let dir = TempDir::new("missing");
    let missing = dir.join("nothing-here");
    let kinds = [
        fs::read(&missing).await.map(drop),
        fs::read_to_string(&missing).await.map(drop),
        File::open(&missing).await.map(drop),
        fs::metadata(&missing).await.map(drop),
        fs::read_dir(&missing).await.map(drop),
        fs::remove_file(&missing).await,
        fs::remove_dir(&missing).await,
        fs::copy(&missing, dir.join("to")).await.map(drop),
        fs::rename(&missing, dir.join("to")).await,
        fs::canonicalize(&missing).await.map(drop),
    ];
    for (i, result) in kinds.into_iter().enumerate() {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::NotFound, "call {i}");
    }
    assert!(!fs::try_exists(&missing).await.unwrap());
}

#[magpie::test]
async fn a_hundred_concurrent_reads() {
    let dir = TempDir::new("concurrent");
    for i in 0..100 {
        std::fs::write(dir.join(&format!("{i}")), pattern(i, 4096 + i)).unwrap();
    }
    let reads: Vec<_> = (0..100)
        .map(|i| {
            let path = dir.join(&format!("{i}"));
            magpie::spawn(async move { (i, fs::read(path).await) })
        })
        .collect();
    for read in reads {
        let (i, contents) = bounded("read", read).await.unwrap();
        assert_eq!(contents.unwrap(), pattern(i, 4096 + i), "file {i}");
    }
}

#[magpie::test]
async fn create_dir_all_and_remove_dir_all() {
    let dir = TempDir::new("dirs");
    let deep = dir.join("a/b/c");
    fs::create_dir_all(&deep).await.unwrap();
    assert!(fs::metadata(&deep).await.unwrap().is_dir());
    fs::create_dir_all(&deep).await.unwrap(); // already there: fine
    let error = fs::create_dir(&deep).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AlreadyExists);
    fs::write(deep.join("f"), b"1").await.unwrap();
    fs::DirBuilder::new()
        .recursive(true)
        .create(dir.join("x/y"))
        .await
        .unwrap();
    assert!(fs::try_exists(dir.join("x/y")).await.unwrap());
    fs::remove_dir_all(dir.join("a")).await.unwrap();
    assert!(!fs::try_exists(dir.join("a")).await.unwrap());
    fs::remove_dir(dir.join("x/y")).await.unwrap();
}

#[magpie::test]
async fn copy_rename_links_and_metadata() {
    let dir = TempDir::new("copy-rename");
    let original = dir.join("original");
    fs::write(&original, b"twelve bytes").await.unwrap();
    assert_eq!(fs::copy(&original, dir.join("copy")).await.unwrap(), 12);
    assert_eq!(fs::read(dir.join("copy")).await.unwrap(), b"twelve bytes");
    fs::rename(dir.join("copy"), dir.join("renamed"))
        .await
        .unwrap();
    assert!(!fs::try_exists(dir.join("copy")).await.unwrap());
    let metadata = fs::metadata(dir.join("renamed")).await.unwrap();
    assert!(metadata.is_file());
    assert_eq!(metadata.len(), 12);

    fs::hard_link(&original, dir.join("hard")).await.unwrap();
    assert_eq!(fs::read(dir.join("hard")).await.unwrap(), b"twelve bytes");
    #[cfg(unix)]
    {
        fs::symlink(&original, dir.join("soft")).await.unwrap();
        assert_eq!(fs::read_link(dir.join("soft")).await.unwrap(), original);
        let link = fs::symlink_metadata(dir.join("soft")).await.unwrap();
        assert!(link.file_type().is_symlink());
        assert_eq!(
            fs::canonicalize(dir.join("soft")).await.unwrap(),
            fs::canonicalize(&original).await.unwrap()
        );
    }
    let mut permissions = metadata.permissions();
    permissions.set_readonly(true);
    fs::set_permissions(dir.join("renamed"), permissions)
        .await
        .unwrap();
    assert!(fs::metadata(dir.join("renamed"))
        .await
        .unwrap()
        .permissions()
        .readonly());
    fs::remove_file(dir.join("renamed")).await.unwrap();
}

#[magpie::test]
async fn an_abandoned_seek_does_not_answer_the_next_one() {
    let dir = TempDir::new("abandoned-seek");
    let path = dir.join("digits.txt");
    fs::write(&path, b"0123456789").await.unwrap();
    let mut file = File::open(&path).await.unwrap();
    {
        // Start a seek (its blocking call is now in flight) and drop it unanswered.
        let seek = file.seek(SeekFrom::Start(8));
        futures::pin_mut!(seek);
        let _ = futures::poll!(seek);
    }
    assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"23");
}

#[magpie::test(flavor = "current_thread")]
async fn files_work_on_the_current_thread_runtime() {
    let dir = TempDir::new("current-thread");
    let path = dir.join("f.txt");
    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"one thread").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "one thread");
    let mut entries = fs::read_dir(dir.path()).await.unwrap();
    let entry = entries.next_entry().await.unwrap().expect("one entry");
    assert_eq!(entry.file_name(), "f.txt");
    assert!(entries.next_entry().await.unwrap().is_none());
}

/// The handles move between tasks and threads, as tokio's do.
#[test]
fn handles_are_send_sync_and_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<File>();
    check::<fs::ReadDir>();
    check::<fs::DirEntry>();
    check::<OpenOptions>();
    check::<fs::DirBuilder>();
}
