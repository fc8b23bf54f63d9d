//! The mio `Token` of a registration: its slab index plus a generation.
//!
//! A slab slot is reused as soon as its socket is dropped, but the kernel may already
//! have queued an event for the old socket under the same index. The generation tells
//! the reactor that such an event belongs to a registration that no longer exists, so
//! it is dropped instead of being dispatched to the slot's new occupant. (Memory safety
//! does not depend on this: every `ScheduledIo` is reference counted. The generation
//! only keeps stale events from causing spurious wakeups.)

/// Bits of the token that hold the slab index; the rest hold the generation.
const INDEX_BITS: u32 = if usize::BITS >= 64 { 32 } else { 24 };
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Number of distinct generations; they wrap around.
const GENERATION_MASK: usize = usize::MAX >> INDEX_BITS;

/// The token of the reactor's own `mio::Waker`. Its index part is `INDEX_MASK`, which
/// [`RegistrationToken::new`] never hands out, so it cannot collide with a socket.
pub(crate) const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);

/// The token of the signal self-pipe's read end (see [`crate::signal`]). Its index part
/// is `INDEX_MASK - 1`, which is above [`MAX_INDEX`], so it cannot collide either.
#[cfg(unix)]
pub(crate) const SIGNAL_TOKEN: mio::Token = mio::Token(usize::MAX - 1);

/// The largest slab index a socket may use (the two indexes above it are the
/// reactor's own tokens).
pub(crate) const MAX_INDEX: usize = INDEX_MASK - 2;

/// A socket registration's token: slab index and generation packed in one `usize`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RegistrationToken(usize);

impl RegistrationToken {
    /// Packs `index` (at most [`MAX_INDEX`]) with the low bits of `generation`.
    ///
    /// # Panics
    /// If `index` exceeds [`MAX_INDEX`] (the caller checks first).
    pub(crate) fn new(index: usize, generation: usize) -> RegistrationToken {
        assert!(
            index <= MAX_INDEX,
            "slab index {index} does not fit a token"
        );
        RegistrationToken(((generation & GENERATION_MASK) << INDEX_BITS) | index)
    }

    /// Recovers a token from a mio event.
    pub(crate) fn from_mio(token: mio::Token) -> RegistrationToken {
        RegistrationToken(token.0)
    }

    /// The token as mio wants it.
    pub(crate) fn to_mio(self) -> mio::Token {
        mio::Token(self.0)
    }

    /// The slab index part.
    pub(crate) fn index(self) -> usize {
        self.0 & INDEX_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_generation_round_trip() {
        let token = RegistrationToken::new(7, 3);
        assert_eq!(token.index(), 7);
        assert_ne!(token, RegistrationToken::new(7, 4));
        assert_eq!(RegistrationToken::from_mio(token.to_mio()), token);
    }

    #[test]
    fn generation_wraps_without_touching_the_index() {
        let token = RegistrationToken::new(MAX_INDEX, usize::MAX);
        assert_eq!(token.index(), MAX_INDEX);
        assert_ne!(token.to_mio(), WAKER_TOKEN);
    }

    #[test]
    fn waker_token_is_never_a_socket_index() {
        assert!(RegistrationToken::from_mio(WAKER_TOKEN).index() > MAX_INDEX);
    }

    #[cfg(unix)]
    #[test]
    fn signal_token_is_never_a_socket_index_nor_the_waker() {
        assert!(RegistrationToken::from_mio(SIGNAL_TOKEN).index() > MAX_INDEX);
        assert_ne!(SIGNAL_TOKEN, WAKER_TOKEN);
    }

    #[test]
    #[should_panic(expected = "does not fit a token")]
    fn oversized_index_panics() {
        RegistrationToken::new(MAX_INDEX + 1, 0);
    }
}
