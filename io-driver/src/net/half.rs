//! What the split halves of every stream type have in common, written once: the
//! borrowed halves (`ReadHalf`, `WriteHalf`, from `split`) and the owned halves
//! (`OwnedReadHalf`, `OwnedWriteHalf`, from `into_split`) of [`TcpStream`](super::TcpStream)
//! and of [`UnixStream`](super::UnixStream): the methods each forwards to its stream, with
//! their docs, and its `AsyncRead` / `AsyncWrite` impl. A half's `stream` field is a
//! `&Stream` or an `Arc<Stream>`; both reach the stream by deref.
//!
//! Each macro takes the stream type's name (`TcpStream` or `UnixStream`: it picks the doc
//! links, the examples' opening lines and the address type) and the expression that makes
//! the halves from `server` in the doc examples (`TcpStream::split(&mut server)` or
//! `server.into_split()`), so each example shows the half it is on.
//!
//! It uses only the stream's `pub(crate)` `*_inner` methods and its public ones.

/// The opening lines of every example: a listener, a connected `client` and the accepted
/// `server`, split by `$split` into `reader` and `writer`.
macro_rules! example_prelude {
    (TcpStream, $split:literal) => {
        concat!(
            r#"use magpie::net::{TcpListener, TcpStream};

#[magpie::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let mut client = TcpStream::connect(listener.local_addr()?).await?;
    let (mut server, _) = listener.accept().await?;
    let (mut reader, mut writer) = "#,
            $split,
            ";\n"
        )
    };
    (UnixStream, $split:literal) => {
        concat!(
            r#"use magpie::net::UnixStream;

#[magpie::main]
async fn main() -> std::io::Result<()> {
    let (mut client, mut server) = UnixStream::pair()?;
    let (mut reader, mut writer) = "#,
            $split,
            ";\n"
        )
    };
}

/// `peer_addr` and `local_addr`, which both kinds of half have; `$half` names the half the
/// doc examples call them on.
#[rustfmt::skip] // rustfmt re-indents the raw strings in `concat!` on every run
macro_rules! addr_methods {
    (TcpStream, $split:literal, $half:literal) => {
        #[doc = concat!(
            r#"See [`TcpStream::peer_addr`].

# Examples

```
"#,
            $crate::net::half::example_prelude!(TcpStream, $split),
            "    assert_eq!(",
            $half,
            r#".peer_addr()?, client.local_addr()?);
    Ok(())
}
```"#,
        )]
        pub fn peer_addr(&self) -> ::std::io::Result<::std::net::SocketAddr> {
            self.stream.peer_addr()
        }

        #[doc = concat!(
            r#"See [`TcpStream::local_addr`].

# Examples

```
"#,
            $crate::net::half::example_prelude!(TcpStream, $split),
            "    assert_eq!(",
            $half,
            r#".local_addr()?, client.peer_addr()?);
    Ok(())
}
```"#,
        )]
        pub fn local_addr(&self) -> ::std::io::Result<::std::net::SocketAddr> {
            self.stream.local_addr()
        }
    };
    (UnixStream, $split:literal, $half:literal) => {
        #[doc = concat!(
            r#"See [`UnixStream::peer_addr`].

# Examples

```
"#,
            $crate::net::half::example_prelude!(UnixStream, $split),
            "    assert!(",
            $half,
            r#".peer_addr()?.is_unnamed()); // `pair` sockets have no names
    Ok(())
}
```"#,
        )]
        pub fn peer_addr(&self) -> ::std::io::Result<::std::os::unix::net::SocketAddr> {
            self.stream.peer_addr()
        }

        #[doc = concat!(
            r#"See [`UnixStream::local_addr`].

# Examples

```
"#,
            $crate::net::half::example_prelude!(UnixStream, $split),
            "    assert!(",
            $half,
            r#".local_addr()?.is_unnamed()); // `pair` sockets have no names
    Ok(())
}
```"#,
        )]
        pub fn local_addr(&self) -> ::std::io::Result<::std::os::unix::net::SocketAddr> {
            self.stream.local_addr()
        }
    };
}

/// The methods of a reading half, inside its `impl` block; `$split` makes the halves in the
/// doc examples.
#[rustfmt::skip] // rustfmt re-indents the raw strings in `concat!` on every run
macro_rules! read_half_methods {
    ($stream:ident, $split:literal) => {
        #[doc = concat!(
            "See [`", stringify!($stream), r#"::read`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    client.write_all(b"hello").await?;
    drop(client);
    let mut received = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match reader.read(&mut buf).await? {
            0 => break,
            n => received.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(received, b"hello");
    Ok(())
}
```"#,
        )]
        pub async fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
            self.stream.read_inner(buf).await
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::read_exact`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    client.write_all(b"ping").await?;
    let mut request = [0; 4];
    reader.read_exact(&mut request).await?;
    writer.write_all(&request).await?;
    let mut reply = [0; 4];
    client.read_exact(&mut reply).await?;
    assert_eq!(&reply, b"ping");
    Ok(())
}
```"#,
        )]
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
            self.stream.read_exact_inner(buf).await
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::peek`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    client.write_all(b"hello").await?;
    let mut first = [0; 1];
    reader.peek(&mut first).await?;
    assert_eq!(&first, b"h");
    let mut all = [0; 5];
    reader.read_exact(&mut all).await?; // the peeked byte is read again
    assert_eq!(&all, b"hello");
    Ok(())
}
```"#,
        )]
        pub async fn peek(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
            self.stream.peek(buf).await
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::readable`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    client.write_all(b"hi").await?;
    let mut buf = [0; 16];
    let n = loop {
        reader.readable().await?;
        match reader.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            result => break result?,
        }
    };
    assert_eq!(&buf[..n], &b"hi"[..n]);
    Ok(())
}
```"#,
        )]
        pub async fn readable(&self) -> ::std::io::Result<()> {
            self.stream.readable().await
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::try_read`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    let mut buf = [0; 16];
    let error = reader.try_read(&mut buf).unwrap_err(); // nothing sent yet
    assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    client.write_all(b"hi").await?;
    let n = loop {
        reader.readable().await?;
        match reader.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            result => break result?,
        }
    };
    assert_eq!(&buf[..n], &b"hi"[..n]);
    Ok(())
}
```"#,
        )]
        pub fn try_read(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
            self.stream.try_read(buf)
        }

        $crate::net::half::addr_methods!($stream, $split, "reader");
    };
}

/// The methods of a writing half, inside its `impl` block; `$split` makes the halves in the
/// doc examples.
#[rustfmt::skip] // rustfmt re-indents the raw strings in `concat!` on every run
macro_rules! write_half_methods {
    ($stream:ident, $split:literal) => {
        #[doc = concat!(
            "See [`", stringify!($stream), r#"::write`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    let mut rest = &b"some bytes"[..];
    while !rest.is_empty() {
        let n = writer.write(rest).await?;
        rest = &rest[n..];
    }
    let mut buf = [0; 10];
    client.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"some bytes");
    Ok(())
}
```"#,
        )]
        pub async fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
            self.stream.write_inner(buf).await
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::write_all`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    writer.write_all(b"welcome").await?;
    let mut buf = [0; 7];
    client.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"welcome");
    Ok(())
}
```"#,
        )]
        pub async fn write_all(&mut self, buf: &[u8]) -> ::std::io::Result<()> {
            self.stream.write_all_inner(buf).await
        }

        #[doc = concat!(
            "Does nothing (see [`", stringify!($stream), r#"::flush`]).

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    writer.write_all(b"data").await?;
    writer.flush().await?; // a no-op: nothing is buffered
    let mut buf = [0; 4];
    client.read_exact(&mut buf).await?;
    Ok(())
}
```"#,
        )]
        pub async fn flush(&mut self) -> ::std::io::Result<()> {
            Ok(())
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::writable`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    let mut rest = &b"hello"[..];
    while !rest.is_empty() {
        writer.writable().await?;
        match writer.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    let mut buf = [0; 5];
    client.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"hello");
    Ok(())
}
```"#,
        )]
        pub async fn writable(&self) -> ::std::io::Result<()> {
            self.stream.writable().await
        }

        #[doc = concat!(
            "See [`", stringify!($stream), r#"::try_write`].

# Examples

```
"#,
            $crate::net::half::example_prelude!($stream, $split),
            r#"    writer.writable().await?;
    let n = writer.try_write(b"hi")?;
    let mut buf = vec![0; n];
    client.read_exact(&mut buf).await?;
    assert_eq!(buf, &b"hi"[..n]);
    Ok(())
}
```"#,
        )]
        pub fn try_write(&self, buf: &[u8]) -> ::std::io::Result<usize> {
            self.stream.try_write(buf)
        }

        $crate::net::half::addr_methods!($stream, $split, "writer");
    };
}

/// `AsyncRead` for a reading half: the stream's reader side.
macro_rules! impl_async_read {
    ($half:ty) => {
        impl ::futures_io::AsyncRead for $half {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.stream.poll_read_inner(cx, buf)
            }

            fn poll_read_vectored(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.stream.poll_read_vectored_inner(cx, bufs)
            }
        }
    };
}

/// `AsyncWrite` for a writing half: the stream's writer side; closing shuts it down.
macro_rules! impl_async_write {
    ($half:ty) => {
        impl ::futures_io::AsyncWrite for $half {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.stream.poll_write_inner(cx, buf)
            }

            fn poll_write_vectored(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.stream.poll_write_vectored_inner(cx, bufs)
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                _cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::std::task::Poll::Ready(Ok(()))
            }

            /// Shuts down the stream's writing side: the peer reads EOF.
            fn poll_close(
                self: ::std::pin::Pin<&mut Self>,
                _cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::std::task::Poll::Ready(self.stream.shutdown(::std::net::Shutdown::Write))
            }
        }
    };
}

pub(crate) use {
    addr_methods, example_prelude, impl_async_read, impl_async_write, read_half_methods,
    write_half_methods,
};
