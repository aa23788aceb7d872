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
//! * [`ReadStep::Eof`] once `end_offset` is reached.
//!
//! Everything else is retried: a clean end of a stream or of a directly read
//! fragment at once, routing statuses and transport, fragment and
//! validation errors after `backoff(attempt)`. The attempt counter starts
//! at 0 on every call.
//!
//! Steps are [`ReadStep`]s as for [`Reader`]: `Frame` means a frame arrived
//! with no bytes yet, which is not the end.

use std::io::SeekFrom;
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::sync::CancellationToken;

use super::backoff::backoff;
use super::error::{Error, Result};
use super::fragment_reader::FragmentTransport;
use super::reader::{ReadContext, ReadStep, Reader};
use super::router::Client;
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

    /// Copies the next bytes into `buf` (non-empty), retrying; see the
    /// [module docs](self) and [`ReadStep`].
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<ReadStep<usize>> {
        if buf.is_empty() {
            return Ok(ReadStep::Data(0));
        }
        Ok(match self.next_chunk(buf.len()).await? {
            ReadStep::Data(chunk) => {
                buf[..chunk.len()].copy_from_slice(&chunk);
                ReadStep::Data(chunk.len())
            }
            ReadStep::Frame => ReadStep::Frame,
            ReadStep::Eof => ReadStep::Eof,
        })
    }

    /// Returns the next bytes (at most `max`) without copying, retrying;
    /// see the [module docs](self) and [`ReadStep`].
    pub async fn next_chunk(&mut self, max: usize) -> Result<ReadStep<Bytes>> {
        let mut attempt: i32 = 0;
        loop {
            let err = match self.reader.next_chunk(max).await {
                Ok(ReadStep::Eof) => Error::Eof,
                Ok(step) => return Ok(step),
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
                // The stream (or a direct fragment) ended without error: go
                // on at once.
                Error::Eof => attempt = -1,
                _ => {}
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
