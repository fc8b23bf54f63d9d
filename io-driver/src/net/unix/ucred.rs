//! [`UCred`]: the credentials of a Unix socket's peer (Linux's `SO_PEERCRED`), read by
//! [`UnixStream::peer_cred`](super::UnixStream::peer_cred).

use std::io;
use std::mem::size_of;
use std::os::fd::RawFd;

/// The user, group and process of the peer of a Unix stream, as the kernel recorded
/// them when the connection was made (or the pair created).
///
/// # Examples
///
/// ```
/// use magpie::net::UnixStream;
///
/// #[magpie::main]
/// async fn main() -> std::io::Result<()> {
///     let (a, _b) = UnixStream::pair()?;
///     let cred = a.peer_cred()?;
///     // The peer of a pair is this very process.
///     assert_eq!(cred.pid(), Some(std::process::id() as i32));
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    uid: u32,
    gid: u32,
    pid: Option<i32>,
}

impl UCred {
    /// The peer's user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id, when the platform reports it.
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}

/// Reads `SO_PEERCRED` of the connected Unix socket `fd`.
pub(crate) fn peer_cred(fd: RawFd) -> io::Result<UCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is a live, writable `ucred` and `len` holds its exact size, which
    // is what `getsockopt(SO_PEERCRED)` writes at most (and it updates `len`); `fd` is
    // a socket the caller keeps open for the whole call.
    let result = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    if len as usize != size_of::<libc::ucred>() {
        return Err(io::Error::other("SO_PEERCRED returned a short credential"));
    }
    Ok(UCred {
        uid: cred.uid,
        gid: cred.gid,
        pid: Some(cred.pid),
    })
}
