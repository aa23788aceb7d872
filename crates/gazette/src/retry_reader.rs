//! `RetryReader`: reads a journal through a succession of [`Reader`]s,
//! retrying what Gazette's client retries (Go: `client.RetryReader`).
//!
//! Each call of [`RetryReader::next_chunk`] / [`RetryReader::read`] loops
//! until it has something to return, replacing a failed Reader by its
//! successor (same request at the current offset, routed by the last
//! response's header) after a back-off. It returns, rather than retries:
//! * cancellation ([`Error::Canceled`], via [`RetryReader::cancel`] or the
//!   parent token) and an expired deadline;
//! * [`Error::OffsetNotYetAvailable`] of a non-blocking request (if `block`
//!   was switched on meanwhile, the read continues instead);
//! * [`Error::OffsetJump`] (the reader stays usable; see
//!   [`RetryReader::offset`]);
//! * [`Error::JournalNotFound`] when the request carries a header, or after
//!   more than three retries; [`Error::Suspended`]; an invalid request
//!   ([`Error::InvalidArgument`]);
//! * [`Error::Fragment`] (a directly read fragment that is corrupt,
//!   truncated or too long), and [`Error::Validation`] / [`Error::Protocol`]
//!   (a broker breaking the Read protocol: see [`Reader`]), once it failed
//!   again on three retries with no byte read between; the reader stays at
//!   the offset of the last good byte;
//! * [`Error::MessageTooLarge`] at once (the client's own limit);
//! * [`ReadStep::Eof`] once `end_offset` is reached.
//!
//! Everything else is retried: a clean end of a stream or of a directly read
//! fragment at once, routing statuses and transport errors, and fragment
//! and protocol errors (up to the limit above) after `backoff(attempt)`.
//! The attempt counter starts
//! at 0 on every call.
//!
//! Steps are [`ReadStep`]s as for [`Reader`]: `Frame` means a frame arrived
//! with no bytes yet, which is not the end. Bytes and an error never come
//! out of one call (Go may return both; here the bytes come first and the
//! error, if it is not retried, on the next call).

use std::io::SeekFrom;
use std::sync::{Arc, Mutex};

/// Retries of a directly read fragment that keeps failing, or of a broker
/// that keeps breaking the protocol, before the error is returned
/// ([`Error::Fragment`], [`Error::Validation`], [`Error::Protocol`]);
/// transient failures recover sooner.
const FRAGMENT_TRIES: i32 = 3;

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::sync::CancellationToken;

use super::backoff::backoff;
use super::client::Client;
use super::error::{Error, Result};
use super::fragment_reader::FragmentTransport;
use super::reader::{ReadContext, ReadStep, Reader};
use super::stats::Stats;
use crate::protocol::ReadRequest;

/// Cancels the current Reader of a [`RetryReader`] from any thread or task
/// (Go: `RetryReader.Cancel`). A blocked read returns [`Error::Canceled`],
/// as do later reads until [`RetryReader::restart`]. Cheap to clone; always
/// acts on the Reader current at the time of the call.
#[derive(Clone, Debug, Default)]
pub struct CancelHandle(Arc<Mutex<CancellationToken>>);

impl CancelHandle {
    /// Cancels the current Reader.
    pub fn cancel(&self) {
        self.0.lock().unwrap().cancel();
    }

    fn replace(&self, token: CancellationToken) {
        *self.0.lock().unwrap() = token;
    }
}

/// Unconsumed bytes a caller buffered from a [`RetryReader`], for
/// [`RetryReader::adjusted_offset`] and [`RetryReader::adjusted_seek`]
/// (Go: the `bufio.Reader` wrapping the reader).
pub trait ReadBuffer {
    /// Number of bytes read from the reader but not yet consumed.
    fn buffered(&self) -> usize;
    /// Drops the first `n` (≤ `buffered()`) buffered bytes.
    fn discard(&mut self, n: usize);
    /// Drops every buffered byte.
    fn reset(&mut self);
}

impl ReadBuffer for Bytes {
    fn buffered(&self) -> usize {
        self.len()
    }
    fn discard(&mut self, n: usize) {
        self.advance(n);
    }
    fn reset(&mut self) {
        self.clear();
    }
}

impl ReadBuffer for BytesMut {
    fn buffered(&self) -> usize {
        self.len()
    }
    fn discard(&mut self, n: usize) {
        self.advance(n);
    }
    fn reset(&mut self) {
        self.clear();
    }
}

/// A Reader of `request` under a fresh child of `parent`'s token, which
/// `cancel` will cancel from now on.
fn new_reader(
    client: &Client,
    transport: &FragmentTransport,
    parent: &ReadContext,
    cancel: &CancelHandle,
    request: ReadRequest,
) -> Reader {
    let token = match &parent.cancel {
        Some(parent) => parent.child_token(),
        None => CancellationToken::new(),
    };
    cancel.replace(token.clone());
    let ctx = ReadContext {
        cancel: Some(token),
        deadline: parent.deadline,
    };
    Reader::new(client, request)
        .with_transport(transport.clone())
        .with_context(ctx)
}

/// A journal reader that retries; see the [module docs](self).
pub struct RetryReader {
    client: Client,
    /// The parent context: its token parents each Reader's token.
    parent: ReadContext,
    transport: FragmentTransport,
    reader: Reader,
    cancel: CancelHandle,
    /// Consecutive failures of directly read fragments or protocol
    /// breaches with no byte delivered since (calls return metadata frames between them, so a
    /// per-call count would never reach [`FRAGMENT_TRIES`]).
    fragment_failures: i32,
}

impl std::fmt::Debug for RetryReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryReader")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl RetryReader {
    /// A RetryReader of `request` through `client`; nothing is sent until
    /// the first read.
    pub fn new(client: &Client, request: ReadRequest) -> RetryReader {
        RetryReader::with_context(client, request, ReadContext::default())
    }

    /// Like [`RetryReader::new`], bounded by `parent`: cancelling its token
    /// cancels every Reader this RetryReader creates, and its deadline
    /// applies to them all.
    pub fn with_context(client: &Client, request: ReadRequest, parent: ReadContext) -> Self {
        let transport = FragmentTransport::for_client(client);
        let cancel = CancelHandle::default();
        let reader = new_reader(client, &transport, &parent, &cancel, request);
        RetryReader {
            client: client.clone(),
            parent,
            transport,
            reader,
            cancel,
            fragment_failures: 0,
        }
    }

    /// Replaces the current Reader with a new one of `request` (Go:
    /// `Restart`). The old Reader is dropped, which ends its RPC.
    pub fn restart(&mut self, request: ReadRequest) {
        self.reader = new_reader(
            &self.client,
            &self.transport,
            &self.parent,
            &self.cancel,
            request,
        );
    }

    /// Cancels the current Reader (see [`CancelHandle`]).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A handle cancelling this RetryReader's current Reader from elsewhere.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// The journal being read.
    pub fn journal(&self) -> &str {
        &self.reader.request().journal
    }

    /// The journal offset of the next byte to be returned.
    pub fn offset(&self) -> i64 {
        self.reader.request().offset
    }

    /// The current Reader (its request and last response).
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Mutable access to the current Reader, e.g. to switch its request's
    /// `block` on.
    pub fn reader_mut(&mut self) -> &mut Reader {
        &mut self.reader
    }

    /// Copies the next bytes into `buf`, retrying; see the [module
    /// docs](self) and [`ReadStep`]. An empty `buf` returns `Data(0)` at once.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<ReadStep<usize>> {
        super::chunk_source::read_into(self, buf).await
    }

    /// Returns the next bytes (at most `max`) without copying, retrying;
    /// see the [module docs](self) and [`ReadStep`].
    pub async fn next_chunk(&mut self, max: usize) -> Result<ReadStep<Bytes>> {
        let mut attempt: i32 = 0;
        loop {
            let err = match self.reader.next_chunk(max).await {
                Ok(ReadStep::Eof) => Error::Eof,
                Ok(step) => {
                    if matches!(step, ReadStep::Data(_)) {
                        self.fragment_failures = 0;
                    }
                    return Ok(step);
                }
                Err(err) => err,
            };
            let request = self.reader.request();
            if matches!(err, Error::Eof)
                && request.end_offset != 0
                && request.offset >= request.end_offset
            {
                return Ok(ReadStep::Eof); // Read through the requested end.
            }
            if matches!(err, Error::OffsetJump) {
                return Err(err); // The Reader remains valid.
            }

            // Continue with a fresh Reader of the same request and context.
            self.reader = self.reader.successor();
            let request = self.reader.request();
            match err {
                Error::Canceled | Error::DeadlineExceeded => return Err(err),
                Error::OffsetNotYetAvailable if !request.block => return Err(err),
                Error::JournalNotFound if request.header.is_some() || attempt > 3 => {
                    return Err(err)
                }
                Error::Suspended | Error::InvalidArgument(_) => return Err(err),
                // Retrying can't help a limit of this client.
                Error::MessageTooLarge { .. } => return Err(err),
                // A fragment file that fails to decode (or has the wrong
                // length) again and again is corrupt, not a flaky transfer,
                // and a broker breaking the protocol at the same offset
                // again and again is broken: say which, rather than loop.
                Error::Fragment { .. } | Error::Validation(_) | Error::Protocol(_) => {
                    self.fragment_failures += 1;
                    if self.fragment_failures > FRAGMENT_TRIES {
                        self.fragment_failures = 0;
                        return Err(err);
                    }
                }
                // The stream (or a direct fragment) ended without error: go
                // on at once.
                Error::Eof => attempt = -1,
                _ => {}
            }
            // Like Go, the first routing miss and stream ends are expected
            // and not worth a line.
            let squelch = matches!(err, Error::Eof)
                || (attempt == 0
                    && matches!(
                        err,
                        Error::NotJournalBroker | Error::InsufficientJournalBrokers
                    ));
            if !squelch {
                tracing::warn!(
                    journal = %request.journal,
                    offset = request.offset,
                    attempt,
                    error = %err,
                    "read failed (will retry)"
                );
            }
            Stats::add(&self.client.stats().retries, 1);
            let ctx = self.reader.context().clone();
            ctx.run(async {
                tokio::time::sleep(backoff(attempt)).await;
                Ok(())
            })
            .await?;
            attempt += 1;
        }
    }

    /// Sets the offset of the next read (Go: `Seek`). A forward move within
    /// a directly read fragment discards up to it; anything else cancels
    /// the current Reader and restarts at the target. `SeekFrom::End` is not
    /// supported. Returns the new offset.
    pub async fn seek(&mut self, pos: SeekFrom) -> Result<i64> {
        let target = match pos {
            SeekFrom::Start(offset) => offset as i64,
            SeekFrom::Current(delta) => self.offset() + delta,
            SeekFrom::End(_) => {
                return Err(Error::InvalidArgument(
                    "io.SeekEnd whence is not supported".into(),
                ))
            }
        };
        if self
            .reader
            .seek(SeekFrom::Start(target as u64))
            .await
            .is_err()
        {
            let mut request = self.reader.request().clone();
            request.offset = target;
            self.cancel();
            self.restart(request);
        }
        Ok(self.offset())
    }

    /// The journal offset of the next byte the caller will consume, given
    /// the bytes it holds in `buffer` (Go: `AdjustedOffset`).
    pub fn adjusted_offset(&self, buffer: &impl ReadBuffer) -> i64 {
        self.reader.adjusted_offset(buffer.buffered())
    }

    /// Seeks, accounting for `buffer` (Go: `AdjustedSeek`): a target within
    /// the buffered bytes is reached by discarding from `buffer`; otherwise
    /// the reader [seeks](RetryReader::seek) and `buffer` is emptied.
    /// Returns the new adjusted offset.
    pub async fn adjusted_seek(
        &mut self,
        pos: SeekFrom,
        buffer: &mut impl ReadBuffer,
    ) -> Result<i64> {
        let current = self.adjusted_offset(buffer);
        let target = match pos {
            SeekFrom::Start(offset) => offset as i64,
            SeekFrom::Current(delta) => current + delta,
            SeekFrom::End(_) => {
                return Err(Error::InvalidArgument(
                    "io.SeekEnd whence is not supported".into(),
                ))
            }
        };
        let delta = target - current;
        if delta >= 0 && delta as usize <= buffer.buffered() {
            buffer.discard(delta as usize);
            return Ok(target);
        }
        let offset = self.seek(SeekFrom::Start(target as u64)).await;
        buffer.reset();
        offset
    }
}

/// One pending [`RetryReader::next_chunk`] call, owning its reader.
type PendingStep = std::pin::Pin<
    Box<dyn std::future::Future<Output = (RetryReader, Result<ReadStep<Bytes>>)> + Send>,
>;

/// A [`RetryReader`] as a [`Stream`](tokio_stream::Stream) of content chunks
/// and as a [`tokio::io::AsyncRead`], for consumers that want plain bytes
/// (e.g. `BufReader::lines`). Built by [`RetryReader::into_stream`].
///
/// `Frame` steps are skipped and [`ReadStep::Eof`] ends the stream. Errors
/// are yielded (through `AsyncRead`, as `std::io::Error`s carrying the
/// [`Error`]); polling again after one continues reading, which after
/// [`Error::OffsetJump`] goes on at the new offset.
pub struct ReadStream {
    idle: Option<RetryReader>,
    pending: Option<PendingStep>,
    /// Bytes received but not yet copied out by `poll_read`.
    leftover: Bytes,
}

impl std::fmt::Debug for ReadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadStream")
            .field("reading", &self.pending.is_some())
            .field("leftover", &self.leftover.len())
            .finish_non_exhaustive()
    }
}

impl RetryReader {
    /// Turns this RetryReader into a [`ReadStream`]. Take a
    /// [`cancel_handle`](RetryReader::cancel_handle) first to cancel it.
    pub fn into_stream(self) -> ReadStream {
        ReadStream {
            idle: Some(self),
            pending: None,
            leftover: Bytes::new(),
        }
    }
}

impl ReadStream {
    /// The RetryReader back, unless a read is in progress (then `None`).
    /// Bytes received but not yet read through `AsyncRead` are lost.
    pub fn into_inner(self) -> Option<RetryReader> {
        self.idle
    }

    /// The RetryReader, when no read is in progress.
    pub fn get_ref(&self) -> Option<&RetryReader> {
        self.idle.as_ref()
    }

    fn poll_chunk(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Bytes>>> {
        use std::task::Poll;
        loop {
            if self.pending.is_none() {
                let Some(mut rr) = self.idle.take() else {
                    return Poll::Ready(None);
                };
                self.pending = Some(Box::pin(async move {
                    let step = rr.next_chunk(64 * 1024).await;
                    (rr, step)
                }));
            }
            let (rr, step) = match self.pending.as_mut().expect("set above").as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(out) => out,
            };
            self.pending = None;
            self.idle = Some(rr);
            match step {
                Ok(ReadStep::Data(chunk)) => return Poll::Ready(Some(Ok(chunk))),
                Ok(ReadStep::Frame) => continue,
                Ok(ReadStep::Eof) => return Poll::Ready(None),
                Err(err) => return Poll::Ready(Some(Err(err))),
            }
        }
    }
}

impl tokio_stream::Stream for ReadStream {
    type Item = Result<Bytes>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if !this.leftover.is_empty() {
            return std::task::Poll::Ready(Some(Ok(std::mem::take(&mut this.leftover))));
        }
        this.poll_chunk(cx)
    }
}

impl tokio::io::AsyncRead for ReadStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        let this = self.get_mut();
        if this.leftover.is_empty() {
            match this.poll_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(err))) => return Poll::Ready(Err(err.into())),
                Poll::Ready(Some(Ok(chunk))) => this.leftover = chunk,
            }
        }
        let n = buf.remaining().min(this.leftover.len());
        buf.put_slice(&this.leftover.split_to(n));
        Poll::Ready(Ok(()))
    }
}
