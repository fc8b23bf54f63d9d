//! Stream reads that also tell whether they emptied the socket's receive queue.
//!
//! A read that fills the caller's buffer cannot tell by itself whether more bytes
//! wait behind it, so the edge-triggered protocol would spend one more `recv` to learn
//! `WouldBlock` before it waits. On Linux the `TCP_INQ` socket option makes every
//! `recvmsg` also report how many bytes are still queued after it (a control message
//! computed after the kernel has processed packets that arrived during the read); when
//! that count is zero the readiness can be cleared at once, like after a short read.
//! In a request/response exchange this saves one of the two `recv`s per message.
//!
//! A stream turns the option on lazily, at its first read that fills the buffer
//! exactly ([`QueueHint`]): only then is the count worth a syscall, and a connection
//! that is opened, read once and closed (a short read, or EOF) never pays for it
//! (a `setsockopt` at every connect and accept made tcp_connect_churn ~2% slower:
//! 39.8 against 39.0 ms, medians of alternating runs).
//!
//! Elsewhere, or when the kernel refuses the option, reads fall back to plain `read`
//! and to the short-read rule.

use std::io;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::net::stream_io::{read_plain, Received};

/// [`QueueHint`] states.
const UNTRIED: u8 = 0;
const ON: u8 = 1;
const UNAVAILABLE: u8 = 2;

/// Whether one stream's reads carry the kernel's queue count: not tried yet, on, or
/// unavailable (refused, or not Linux).
///
/// Written and read only by the stream's reader (one at a time: reads wait in the
/// stream's reader slot); atomic only because the stream is shared between its
/// halves.
#[derive(Debug)]
pub(crate) struct QueueHint(AtomicU8);

impl QueueHint {
    pub(crate) fn new() -> QueueHint {
        QueueHint(AtomicU8::new(UNTRIED))
    }

    /// One read from `source` (whose descriptor is `fd`) into `buf`; turns the option
    /// on after the first read that fills `buf` exactly.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn receive(
        &self,
        source: impl io::Read,
        fd: std::os::fd::RawFd,
        buf: &mut [u8],
    ) -> io::Result<Received> {
        // Relaxed: the state orders nothing else, and only the one reader touches it.
        match self.0.load(Ordering::Relaxed) {
            ON => recv(fd, buf),
            UNAVAILABLE => read_plain(source, buf),
            _ => {
                let received = read_plain(source, buf)?;
                if received.len == buf.len() {
                    let state = if enable(fd) { ON } else { UNAVAILABLE };
                    // Relaxed: as above.
                    self.0.store(state, Ordering::Relaxed);
                }
                Ok(received)
            }
        }
    }

    /// One read from `source` into `buf`: this platform has no queue count.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn receive(
        &self,
        source: impl io::Read,
        _fd: i32,
        buf: &mut [u8],
    ) -> io::Result<Received> {
        read_plain(source, buf)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::io;
    use std::mem::{size_of, size_of_val, MaybeUninit};
    use std::os::fd::RawFd;

    use crate::net::stream_io::Received;

    /// Asks the kernel to attach the receive-queue count to every `recvmsg` on `fd`.
    /// Returns whether it agreed (kernels before 4.18 do not know the option).
    pub(crate) fn enable(fd: RawFd) -> bool {
        let on: libc::c_int = 1;
        // SAFETY: `fd` is a socket the caller owns for the duration of the call;
        // `optval` points at a live `c_int` and `optlen` is its exact size, which is
        // what `setsockopt(TCP_INQ)` reads.
        let result = unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_INQ,
                (&on as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        result == 0
    }

    /// One `recvmsg` into `buf` that also reads the `TCP_CM_INQ` control message.
    pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<Received> {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // Room for one control message carrying a `c_int`, aligned for `cmsghdr`
        // (CMSG_SPACE(4) is 24 bytes on 64-bit targets, 16 on 32-bit ones).
        let mut control = [0u64; 4];
        // SAFETY: `msghdr` is a plain C struct for which all-zero is a valid value
        // (null pointers, zero lengths); musl adds private padding fields that must be
        // zero, which this also satisfies.
        let mut msg: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of_val(&control) as _;
        // SAFETY: `msg` points at one iovec describing `buf` (writable for its whole
        // length, borrowed mutably for this call) and at `control` (writable for
        // `msg_controllen` bytes); both outlive the call. The kernel writes at most
        // those lengths and updates `msg_controllen` to what it wrote.
        let received = unsafe { libc::recvmsg(fd, &mut msg, 0) };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        let len = received as usize;
        let mut queued = None;
        // SAFETY: `msg` was filled in by a successful `recvmsg`, so its control
        // pointer and the length the kernel wrote describe initialised bytes inside
        // `control`; CMSG_FIRSTHDR/CMSG_NXTHDR only return headers that lie wholly
        // within that length (or null).
        let mut header = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !header.is_null() {
            // SAFETY: non-null headers from CMSG_FIRSTHDR/CMSG_NXTHDR point inside
            // `control`, which is aligned for `cmsghdr` (u64 alignment).
            let cmsg = unsafe { &*header };
            if cmsg.cmsg_level == libc::SOL_TCP && cmsg.cmsg_type == libc::TCP_CM_INQ {
                // SAFETY: a TCP_CM_INQ message carries one `c_int` right after its
                // header, inside `control`; read unaligned, since CMSG_DATA only
                // promises `cmsghdr`-aligned data on some targets.
                let count = unsafe {
                    libc::CMSG_DATA(header)
                        .cast::<libc::c_int>()
                        .read_unaligned()
                };
                queued = Some(count);
            }
            // SAFETY: `header` is a valid header within `msg`'s control buffer.
            header = unsafe { libc::CMSG_NXTHDR(&msg, header) };
        }
        // Without the count (the option is off), only a short read proves the queue
        // empty. The kernel reports 1, not 0, when the peer's FIN is all that is left.
        let drained = match queued {
            Some(count) => len > 0 && count == 0,
            None => len > 0 && len < buf.len(),
        };
        Ok(Received { len, drained })
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
use imp::{enable, recv};

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    use super::{enable, read_plain, recv, QueueHint, Received};

    fn received(len: usize, drained: bool) -> Received {
        Received { len, drained }
    }

    /// A connected pair of blocking std sockets: (writer, reader).
    fn plain_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (reader, _) = listener.accept().unwrap();
        (writer, reader)
    }

    /// `plain_pair` with `TCP_INQ` on for the reader.
    fn pair() -> (TcpStream, TcpStream) {
        let (writer, reader) = plain_pair();
        assert!(
            enable(reader.as_raw_fd()),
            "TCP_INQ is refused by this kernel"
        );
        (writer, reader)
    }

    #[test]
    fn a_read_that_leaves_bytes_queued_is_not_drained() {
        let (mut writer, reader) = pair();
        writer.write_all(&[1; 128]).unwrap();
        let mut buf = [0; 64];
        let first = recv(reader.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(first, received(64, false));
        let second = recv(reader.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(second, received(64, true));
    }

    #[test]
    fn a_read_that_fills_the_buffer_exactly_and_empties_the_queue_is_drained() {
        let (mut writer, reader) = pair();
        writer.write_all(&[2; 64]).unwrap();
        let mut buf = [0; 64];
        let read = recv(reader.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(read, received(64, true));
        assert_eq!(buf, [2; 64]);
    }

    #[test]
    fn a_fin_behind_the_data_keeps_the_read_undrained_until_eof_is_read() {
        let (mut writer, reader) = pair();
        writer.write_all(&[3; 64]).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
        // Blocking reads: the first waits for the data, and the FIN travels with
        // or right behind it on loopback; wait until the kernel has it.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut buf = [0; 64];
        let data = recv(reader.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(data, received(64, false));
        let eof = recv(reader.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(eof, received(0, false));
    }

    #[test]
    fn without_the_option_only_a_short_read_counts_as_drained() {
        let (mut writer, reader) = plain_pair();
        writer.write_all(&[4; 64]).unwrap();
        let mut buf = [0; 64];
        // The option is off, so `recv` sees no count and falls back to the rule.
        assert_eq!(
            recv(reader.as_raw_fd(), &mut buf).unwrap(),
            received(64, false)
        );
        writer.write_all(&[5; 10]).unwrap();
        assert_eq!(read_plain(&reader, &mut buf).unwrap(), received(10, true));
    }

    #[test]
    fn the_option_is_turned_on_at_the_first_read_that_fills_the_buffer() {
        let (mut writer, reader) = plain_pair();
        let hint = QueueHint::new();
        let fd = reader.as_raw_fd();
        let mut buf = [0; 64];
        // A short read: no reason to pay for the option yet.
        writer.write_all(&[1; 10]).unwrap();
        let short = hint.receive(&reader, fd, &mut buf).unwrap();
        assert_eq!(short, received(10, true));
        // The first full read cannot know the queue yet (plain read) ...
        writer.write_all(&[2; 64]).unwrap();
        let first_full = hint.receive(&reader, fd, &mut buf).unwrap();
        assert_eq!(first_full, received(64, false));
        // ... but every later one does.
        writer.write_all(&[3; 64]).unwrap();
        let later = hint.receive(&reader, fd, &mut buf).unwrap();
        assert_eq!(later, received(64, true));
    }
}
