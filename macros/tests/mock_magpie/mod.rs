//! A stand-in for the `magpie` facade, just big enough for the macro expansions to compile
//! and run: `runtime::Builder` and `runtime::Runtime` with the real API's signatures
//! (`&mut self` setters, `build() -> io::Result<Runtime>`, `block_on(&self, F) -> F::Output`).
//!
//! The test crate that includes this module declares `extern crate self as magpie;`, so the
//! expansions' `::magpie::runtime::Builder` paths land here. The real runtime lives in
//! `magpie-runtime`, which this crate must not depend on (it depends on us through the
//! facade); end-to-end tests with it belong to the facade.

pub mod runtime {
    //! `Builder` and `Runtime` stand-ins; `block_on` is a single-threaded executor that parks
    //! the calling thread until its waker is used.

    use std::cell::Cell;
    use std::future::Future;
    use std::io;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::Thread;

    thread_local! {
        /// The `worker_threads` setting of the last runtime built on this thread: outer
        /// `None` before any build, inner `None` when `worker_threads` was never called.
        /// Written by `Builder::build`, read by the tests on the same thread.
        static LAST_BUILT_WORKER_THREADS: Cell<Option<Option<usize>>> = const { Cell::new(None) };
    }

    /// What `worker_threads` the last runtime built on this thread was given (see
    /// [`LAST_BUILT_WORKER_THREADS`]).
    pub fn last_built_worker_threads() -> Option<Option<usize>> {
        LAST_BUILT_WORKER_THREADS.with(Cell::get)
    }

    /// Records the configuration the expansion asked for.
    #[derive(Default)]
    pub struct Builder {
        worker_threads: Option<usize>,
    }

    impl Builder {
        /// Same signature as the real `Builder::new`.
        pub fn new() -> Builder {
            Builder::default()
        }

        /// Same signature as the real setter; rejects 0 as the real one does.
        pub fn worker_threads(&mut self, count: usize) -> &mut Self {
            assert!(count > 0, "worker_threads must be at least 1");
            self.worker_threads = Some(count);
            self
        }

        /// Same signature as the real `build`; records the worker setting.
        pub fn build(&mut self) -> io::Result<Runtime> {
            LAST_BUILT_WORKER_THREADS.with(|last| last.set(Some(self.worker_threads)));
            Ok(Runtime { _private: () })
        }
    }

    /// Runs futures on the calling thread.
    pub struct Runtime {
        _private: (),
    }

    /// Unparks the thread blocked in `block_on`.
    struct ThreadWaker(Thread);

    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    impl Runtime {
        /// Polls `future` to completion on the calling thread, parking between polls.
        pub fn block_on<F: Future>(&self, future: F) -> F::Output {
            let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
            let mut context = Context::from_waker(&waker);
            let mut future = pin!(future);
            loop {
                if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                    return output;
                }
                // A wake before this park leaves the token set, so none is lost.
                std::thread::park();
            }
        }
    }
}
