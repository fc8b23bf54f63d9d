//! `JoinError`: why a task produced no output (it was cancelled, or it
//! panicked).

use super::Id;
use parking_lot::Mutex;
use std::any::Any;
use std::fmt;

enum Repr {
    Cancelled,
    /// The payload is `Send` but not `Sync`, yet `Display` and `Debug` read
    /// it through `&JoinError`, which may be shared between threads. The
    /// mutex makes that sound by construction (`Mutex<T: Send>` is `Sync`):
    /// two threads formatting one error take turns. Only those two readers
    /// ever lock it; `try_into_panic` takes it by value.
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

/// A task failed to produce its output: it was cancelled (aborted, or the
/// runtime shut down) or its future panicked.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let task = magpie::spawn(async { panic!("boom") });
///     let error = task.await.unwrap_err();
///     assert!(error.is_panic());
///     assert!(error.to_string().contains("boom"));
/// });
/// ```
pub struct JoinError {
    repr: Repr,
    id: Id,
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(Mutex::new(payload)),
            id,
        }
    }

    /// True when the task was cancelled (aborted, or dropped by runtime shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// task.abort();
    /// let error = rt.block_on(task).unwrap_err();
    /// assert!(error.is_cancelled());
    /// assert!(!error.is_panic());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True when the task's future panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(async { panic!("boom") });
    /// let error = rt.block_on(task).unwrap_err();
    /// assert!(error.is_panic());
    /// assert!(!error.is_cancelled());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// Consumes the error and returns the panic payload.
    ///
    /// # Panics
    ///
    /// Panics when the error is not a panic (see [`JoinError::is_panic`]).
    ///
    /// # Examples
    ///
    /// Inspecting the payload (pass it to `std::panic::resume_unwind` to
    /// carry the panic on in the awaiting thread instead):
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(async { panic!("boom") });
    /// let payload = rt.block_on(task).unwrap_err().into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on an error that is not a panic")
    }

    /// Returns the panic payload, or the error itself when it is not a panic.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// task.abort();
    /// let error = rt.block_on(task).unwrap_err();
    /// match error.try_into_panic() {
    ///     Ok(payload) => std::panic::resume_unwind(payload),
    ///     Err(error) => assert!(error.is_cancelled()),
    /// }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use magpie_runtime as magpie;
    /// let rt = magpie::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(async { panic!("boom") });
    /// let id = task.id();
    /// assert_eq!(rt.block_on(task).unwrap_err().id(), id);
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(p) => match panic_message(p.lock().as_ref()) {
                Some(msg) => write!(f, "task {} panicked with message {msg:?}", self.id),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(p) => match panic_message(p.lock().as_ref()) {
                Some(msg) => write!(f, "JoinError::Panic({:?}, {msg:?}, ...)", self.id),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `JoinError` is `Send + Sync` because its parts are, with no unsafe
    /// impl: this fails to compile if the payload's guard is removed.
    #[test]
    fn join_error_is_send_and_sync_by_construction() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JoinError>();
    }

    #[test]
    fn a_shared_error_formats_its_panic_message_from_several_threads() {
        let error = JoinError::panic(Id::next(), Box::new(String::from("boom")));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        assert!(error.to_string().contains("\"boom\""));
                        assert!(format!("{error:?}").contains("boom"));
                    }
                });
            }
        });
        let payload = error.into_panic();
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("boom")
        );
    }
}
