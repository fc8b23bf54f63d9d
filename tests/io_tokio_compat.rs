//! `magpie::compat::tokio_io::TokioIo` (feature `tokio-io`) with real tokio-IO crates over
//! magpie TCP streams on magpie's runtime: tokio-util's `Framed` + `LinesCodec` (lines cut
//! across TCP writes, many round trips, EOF), and tokio-rustls (a handshake against a
//! certificate made at test time, data both ways, TLS close_notify as EOF, a client that
//! does not trust the certificate refused), with the TLS streams wrapped back into
//! `futures-io` so that `magpie::io`'s extension methods run on them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use magpie::compat::tokio_io::TokioIo;
use magpie::io::{AsyncReadExt, AsyncWriteExt};
use magpie::net::{TcpListener, TcpStream};
use magpie::time::timeout;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tokio_util::codec::{Framed, LinesCodec};

/// How long any single wait may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(20);

/// Awaits `future`, panicking if it takes longer than [`HANG_LIMIT`].
async fn bounded<F: Future>(future: F) -> F::Output {
    timeout(HANG_LIMIT, future).await.expect("timed out")
}

/// A connected pair of loopback TCP streams.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

#[magpie::test]
async fn tokio_util_lines_codec_over_a_magpie_tcp_stream() {
    let (client, server) = tcp_pair().await;
    let server = magpie::spawn(async move {
        let mut lines = Framed::new(TokioIo::new(server), LinesCodec::new());
        let mut seen = 0;
        while let Some(line) = lines.next().await {
            let line = line.unwrap();
            lines
                .send(format!("{}:{}", seen, line.to_uppercase()))
                .await
                .unwrap();
            seen += 1;
        }
        seen // the client's EOF ended the stream
    });

    let mut client = Framed::new(TokioIo::new(client), LinesCodec::new());
    for i in 0..200 {
        bounded(client.send(format!("line {i}"))).await.unwrap();
        let reply = bounded(client.next()).await.unwrap().unwrap();
        assert_eq!(reply, format!("{i}:LINE {i}"));
    }
    // A line cut across raw TCP writes is reassembled by the codec.
    let raw = client.get_mut().inner_mut();
    raw.write_all(b"spl").await.unwrap();
    magpie::time::sleep(Duration::from_millis(10)).await;
    raw.write_all(b"it\n").await.unwrap();
    assert_eq!(bounded(client.next()).await.unwrap().unwrap(), "200:SPLIT");

    // Closing the sink shuts down the write side: the server's stream ends.
    bounded(SinkExt::<String>::close(&mut client))
        .await
        .unwrap();
    assert_eq!(bounded(server).await.unwrap(), 201);
    assert!(bounded(client.next()).await.is_none(), "server gone: EOF");
}

/// A self-signed certificate for "localhost", and TLS acceptor and connector configs with
/// rustls' ring provider; the connector trusts the certificate only if `trust` is set.
fn tls_pair(trust: bool) -> (TlsAcceptor, TlsConnector) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    if trust {
        roots.add(cert).unwrap();
    }
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

#[magpie::test]
async fn tokio_rustls_over_a_magpie_tcp_stream() {
    let (acceptor, connector) = tls_pair(true);
    let (client, server) = tcp_pair().await;

    let server = magpie::spawn(async move {
        let tls = acceptor.accept(TokioIo::new(server)).await.unwrap();
        // Back to futures-io, so magpie::io's extension methods run over TLS.
        let mut tls = TokioIo::new(tls);
        let len = tls.read_u32().await.unwrap() as usize;
        let mut body = vec![0; len];
        tls.read_exact(&mut body).await.unwrap();
        tls.write_u64_le(body.iter().map(|&b| u64::from(b)).sum())
            .await
            .unwrap();
        tls.write_all(&body).await.unwrap();
        tls.shutdown().await.unwrap(); // close_notify, then the TCP write side
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await.unwrap();
        rest
    });

    let domain = ServerName::try_from("localhost").unwrap();
    let tls = bounded(connector.connect(domain, TokioIo::new(client)))
        .await
        .unwrap();
    let mut tls = TokioIo::new(tls);
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 249) as u8).collect();
    tls.write_u32(body.len() as u32).await.unwrap();
    tls.write_all(&body).await.unwrap();
    tls.flush().await.unwrap();
    let sum = bounded(tls.read_u64_le()).await.unwrap();
    assert_eq!(sum, body.iter().map(|&b| u64::from(b)).sum::<u64>());
    let mut echoed = Vec::new();
    bounded(tls.read_to_end(&mut echoed)).await.unwrap();
    assert_eq!(
        echoed, body,
        "the echo, then EOF at the server's close_notify"
    );
    tls.write_all(b"bye").await.unwrap();
    tls.shutdown().await.unwrap();
    assert_eq!(bounded(server).await.unwrap(), b"bye");
}

#[magpie::test]
async fn tokio_rustls_refuses_an_untrusted_certificate() {
    let (acceptor, connector) = tls_pair(false);
    let (client, server) = tcp_pair().await;
    let server = magpie::spawn(async move { acceptor.accept(TokioIo::new(server)).await.is_err() });
    let domain = ServerName::try_from("localhost").unwrap();
    let err = bounded(connector.connect(domain, TokioIo::new(client)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
    assert!(
        bounded(server).await.unwrap(),
        "the server sees the failed handshake"
    );
}
