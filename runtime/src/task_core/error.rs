//! `JoinError`: why a task produced no output (it was cancelled, or it
//! panicked).

use super::Id;
use std::any::Any;
use std::fmt;

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
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

// SAFETY: the only non-Sync field is the panic payload, which is never
// accessed through a shared reference (only moved out by `into_panic`), so
// sharing a `&JoinError` between threads cannot touch it concurrently.
unsafe impl Sync for JoinError {}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(payload),
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
            Repr::Panic(payload) => Ok(payload),
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
            Repr::Panic(p) => match panic_message(p.as_ref()) {
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
            Repr::Panic(p) => match panic_message(p.as_ref()) {
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
