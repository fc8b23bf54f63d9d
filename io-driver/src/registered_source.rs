//! [`RegisteredSource`]: a mio socket together with its [`Registration`]; it
//! deregisters the socket before closing it.

use std::io;

use mio::event::Source;

use crate::context;
use crate::registration::Registration;
use crate::ReactorHandle;

/// A mio socket registered with a reactor.
pub(crate) struct RegisteredSource<S: Source> {
    source: S,
    registration: Registration,
}

impl<S: Source> RegisteredSource<S> {
    /// Registers `source` with the current thread's reactor.
    ///
    /// # Panics
    /// When no reactor is current (outside a magpie runtime).
    pub(crate) fn new(source: S) -> io::Result<RegisteredSource<S>> {
        RegisteredSource::with_handle(source, context::expect_current())
    }

    /// Registers `source` with `handle`'s reactor.
    pub(crate) fn with_handle(
        mut source: S,
        handle: ReactorHandle,
    ) -> io::Result<RegisteredSource<S>> {
        let registration = Registration::new(&mut source, handle)?;
        Ok(RegisteredSource {
            source,
            registration,
        })
    }

    /// The socket itself.
    pub(crate) fn source(&self) -> &S {
        &self.source
    }

    /// The socket's registration.
    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }
}

impl<S: Source> Drop for RegisteredSource<S> {
    fn drop(&mut self) {
        // Explicitly, because epoll only forgets a descriptor once every duplicate of it
        // is closed. Failure only means the kernel no longer knows the socket.
        let _ = self.registration.deregister(&mut self.source);
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for RegisteredSource<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredSource")
            .field("source", &self.source)
            .field("registration", &self.registration)
            .finish()
    }
}
