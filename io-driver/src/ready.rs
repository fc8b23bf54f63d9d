//! Readiness bits of a socket as the reactor reports them, and the two directions an
//! IO operation can wait in.

use std::ops;

/// A set of readiness flags. Only the low [`Ready::ALL`] bits are ever used, so a set
/// fits in the low bits of a `ScheduledIo`'s readiness word.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Ready(usize);

impl Ready {
    /// No readiness at all.
    pub(crate) const EMPTY: Ready = Ready(0);
    /// The socket can be read (or accepted) from.
    pub(crate) const READABLE: Ready = Ready(0b0_0001);
    /// The socket can be written to (or a pending connect finished).
    pub(crate) const WRITABLE: Ready = Ready(0b0_0010);
    /// The peer closed its writing side (or the socket hung up): reads return EOF.
    pub(crate) const READ_CLOSED: Ready = Ready(0b0_0100);
    /// The socket's writing side is closed: writes fail.
    pub(crate) const WRITE_CLOSED: Ready = Ready(0b0_1000);
    /// The socket has a pending error (`SO_ERROR`).
    pub(crate) const ERROR: Ready = Ready(0b1_0000);
    /// Every flag.
    pub(crate) const ALL: Ready = Ready(0b1_1111);

    /// Translates one mio event into readiness flags.
    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready |= Ready::READABLE;
        }
        if event.is_writable() {
            ready |= Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready |= Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready |= Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            ready |= Ready::ERROR;
        }
        ready
    }

    /// Rebuilds a set from the low bits of a readiness word (other bits are dropped).
    pub(crate) fn from_bits(bits: usize) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    /// The raw bits of this set.
    pub(crate) fn bits(self) -> usize {
        self.0
    }

    /// True when the set holds no flag.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when the set shares at least one flag with `other`.
    pub(crate) fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

/// The direction an IO operation waits in. Each direction has its own waker slot in a
/// `ScheduledIo`, so a reader and a writer of one socket never overwrite each other.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Direction {
    /// Reading, peeking, receiving, accepting.
    Read,
    /// Writing, sending, finishing a connect.
    Write,
}

impl Direction {
    /// The flags that let an operation in this direction make progress. Closed and
    /// error flags count: the operation then runs and reports EOF or the error.
    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_masks_cover_closed_and_error_flags() {
        assert!(Direction::Read.mask().intersects(Ready::READ_CLOSED));
        assert!(Direction::Read.mask().intersects(Ready::ERROR));
        assert!(!Direction::Read.mask().intersects(Ready::WRITABLE));
        assert!(Direction::Write.mask().intersects(Ready::WRITE_CLOSED));
        assert!(!Direction::Write.mask().intersects(Ready::READABLE));
    }

    #[test]
    fn from_bits_drops_foreign_bits() {
        assert_eq!(Ready::from_bits(usize::MAX), Ready::ALL);
        assert!(Ready::from_bits(1 << 20).is_empty());
    }
}
