//! `https://` fragment URLs (signed store URLs of direct reads) are fetched
//! over TLS with the client's roots, streamed like `http://` ones, and a
//! store whose certificate isn't trusted fails with its own kind, without
//! the URL's query (a signed URL's signature) in the message.

use std::convert::Infallible;

use bytes::Bytes;
use gazette::fragment_reader::{open_fragment_url, FragmentTransport};
use gazette::protocol::{CompressionCodec, Fragment};
use gazette::{Client, ClientConfig, Error, SecurityFailure};
use gazette_devbroker::CertSet;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

const CONTENT: &[u8] = b"fragment over https\n";

/// An HTTPS store on loopback answering every GET with
/// CONTENT; returns its address.
async fn store(certs: &CertSet) -> std::net::SocketAddr {
    let tls = certs.server().server_config().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        while let Ok((conn, _)) = listener.accept().await {
            // A connection each (clients keep theirs open for reuse).
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(conn).await else {
                    return;
                };
                let service = service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                        Bytes::from_static(CONTENT),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn fragment() -> Fragment {
    Fragment {
        journal: "a/journal".into(),
        begin: 0,
        end: CONTENT.len() as i64,
        compression_codec: CompressionCodec::None as i32,
        ..Default::default()
    }
}

fn client(ca: &str) -> Client {
    let mut config = ClientConfig::new("http://127.0.0.1:1");
    config.tls.ca_pem = Some(ca.as_bytes().to_vec());
    Client::new(config).unwrap()
}

#[tokio::test]
async fn https_fragments_use_the_clients_roots() {
    let certs = CertSet::generate().unwrap();
    let addr = store(&certs).await;
    let url = format!(
        "https://localhost:{}/a/journal/x.raw?X-Signature=s3cr3t",
        addr.port()
    );

    let transport = FragmentTransport::for_client(&client(&certs.ca_pem));
    let mut reader = open_fragment_url(&transport, fragment(), 0, &url)
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        match reader.read(&mut buf).await.unwrap() {
            0 => break,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(out, CONTENT);

    let transport = FragmentTransport::for_client(&client(&certs.other_ca_pem));
    let err = match open_fragment_url(&transport, fragment(), 0, &url).await {
        Err(err) => err,
        Ok(_) => panic!("an untrusted store was read"),
    };
    match &err {
        Error::Security { kind, message } => {
            assert_eq!(*kind, SecurityFailure::UntrustedCertificate, "{message}");
            assert!(!message.contains("s3cr3t"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
