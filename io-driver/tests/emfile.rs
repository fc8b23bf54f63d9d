//! Running out of file descriptors during `accept` (its own test binary, because it
//! lowers the process's descriptor limit).

mod support;

use std::fs::File;
use std::io::ErrorKind;

use magpie_io_driver::net::TcpListener;
use support::{block_on_deadline, ReactorThread};

/// Sets the soft `RLIMIT_NOFILE`, returning the previous limits.
fn set_descriptor_limit(soft: libc::rlim_t) -> libc::rlimit {
    let mut previous = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `previous` is a valid, writable rlimit for the call to fill in.
    let result = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut previous) };
    assert_eq!(result, 0);
    let lowered = libc::rlimit {
        rlim_cur: soft.min(previous.rlim_max),
        rlim_max: previous.rlim_max,
    };
    // SAFETY: `lowered` is a valid rlimit that the call only reads.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
    previous
}

fn restore_descriptor_limit(previous: &libc::rlimit) {
    // SAFETY: `previous` is a valid rlimit that the call only reads.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, previous) }, 0);
}

#[test]
fn accept_reports_emfile_and_recovers_once_descriptors_are_free() {
    let previous = set_descriptor_limit(256);
    let reactor = ReactorThread::start();
    let _guard = reactor.enter();
    let listener = block_on_deadline(TcpListener::bind("127.0.0.1:0")).unwrap();
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();

    let mut hoard = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(file) => hoard.push(file),
            Err(error) if error.raw_os_error() == Some(libc::EMFILE) => break,
            Err(error) => panic!("unexpected error while exhausting descriptors: {error}"),
        }
    }

    for _ in 0..3 {
        let error = block_on_deadline(listener.accept()).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{error}");
        assert_ne!(error.kind(), ErrorKind::WouldBlock);
    }

    // The connection stayed queued: with a descriptor free, accept gets it.
    hoard.pop();
    let (stream, peer) = block_on_deadline(listener.accept()).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), peer);

    drop(hoard);
    restore_descriptor_limit(&previous);
}
