//! TCP: the listener, the stream, and the two ways of splitting a stream into a
//! reading and a writing half (borrowed with [`TcpStream::split`], owned with
//! [`TcpStream::into_split`]).

mod listener;
mod queue_hint;
mod split;
mod split_owned;
mod stream;

pub use listener::TcpListener;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;
