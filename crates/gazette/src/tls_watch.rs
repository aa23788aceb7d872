//! Recognising a client certificate that a broker refused after the TLS
//! handshake.
//!
//! Under TLS 1.3 the client finishes its side of the handshake before the
//! broker has checked the client's certificate. A broker that refuses it
//! sends an alert and closes, and that alert races the client's first
//! request: depending on thread timing hyper reports the connection's end
//! as the alert, a cancelled request or a broken pipe. So every `https://`
//! broker connection is watched: one that ends before the broker sent a
//! single byte of application data, on a client a broker asked for a
//! certificate, is taken for a refusal (see `Client::refine`). A broker
//! that accepted the certificate always sends its HTTP/2 settings first.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};
use tonic::codegen::http::Uri;
use tonic::codegen::Service;

/// What a client's TLS connections have seen, shared by all of them.
#[derive(Debug, Default)]
pub(crate) struct CertWatch {
    /// A server asked for a client certificate (given or not).
    asked: AtomicBool,
    /// The newest connection to end did so before the server sent any
    /// application data.
    ended_unanswered: AtomicBool,
}

impl CertWatch {
    pub fn note_asked(&self) {
        self.asked.store(true, Ordering::Relaxed);
    }

    /// True once a server asked for a client certificate.
    pub fn asked(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }

    /// True if a server asked for the certificate and the newest
    /// connection to end was closed without the server answering.
    pub fn refused(&self) -> bool {
        self.asked() && self.ended_unanswered.load(Ordering::Relaxed)
    }

    fn answered(&self) {
        self.ended_unanswered.store(false, Ordering::Relaxed);
    }

    fn ended_unanswered(&self) {
        self.ended_unanswered.store(true, Ordering::Relaxed);
    }
}

/// A connector whose connections report to a [`CertWatch`].
#[derive(Clone)]
pub(crate) struct WatchingConnector<C> {
    inner: C,
    watch: Arc<CertWatch>,
}

impl<C> WatchingConnector<C> {
    pub fn new(inner: C, watch: Arc<CertWatch>) -> Self {
        WatchingConnector { inner, watch }
    }
}

impl<C> Service<Uri> for WatchingConnector<C>
where
    C: Service<Uri>,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
{
    type Response = Watched<C::Response>;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let watch = self.watch.clone();
        Box::pin(async move {
            Ok(Watched {
                inner: connecting.await?,
                answered: false,
                ended: false,
                watch,
            })
        })
    }
}

/// One watched connection.
pub(crate) struct Watched<S> {
    inner: S,
    /// The server has sent application data.
    answered: bool,
    ended: bool,
    watch: Arc<CertWatch>,
}

impl<S> Watched<S> {
    fn end(&mut self) {
        if !self.answered && !self.ended {
            self.watch.ended_unanswered();
        }
        self.ended = true;
    }
}

impl<S: Read + Unpin> Read for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.answered || buf.remaining() == 0 {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        // Until the first bytes, read through a small buffer of our own to
        // see whether any came (a cursor doesn't tell); a copy once per
        // connection.
        let mut first = [0u8; 512];
        let n = buf.remaining().min(first.len());
        let mut staged = ReadBuf::new(&mut first[..n]);
        match Pin::new(&mut this.inner).poll_read(cx, staged.unfilled()) {
            Poll::Ready(Ok(())) => {
                let got = staged.filled();
                if got.is_empty() {
                    this.end();
                } else {
                    this.answered = true;
                    this.watch.answered();
                    buf.put_slice(got);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => {
                this.end();
                Poll::Ready(Err(err))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Watched<S> {
    /// Passes a write-side poll through, noting a failure as the end.
    fn noting<T>(&mut self, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(_)) = polled {
            self.end();
        }
        polled
    }
}

impl<S: Write + Unpin> Write for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.noting(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.noting(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.noting(polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
