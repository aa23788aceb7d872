//! `Reader`: one Read RPC of a journal, read as a sequence of byte chunks
//! (Go: `client.Reader`).
//!
//! The first read starts the RPC. Content frames are handed out as `Bytes`
//! slices of the received frame (no copy). When the request sets
//! `do_not_proxy` and the broker answers with a persisted fragment's URL and
//! closes the stream, the Reader opens that fragment itself and reads it
//! directly, ending with EOF at the fragment's end.
//!
//! # Read steps
//!
//! Go's `Reader.Read` returns `(0, nil)` whenever a frame arrives, so callers
//! can inspect the new `Response`; Rust's `Ok(0)` means end of input, so the
//! steps are spelled out instead by [`ReadStep`]:
//! * [`ReadStep::Data`]: journal bytes (never empty), starting at the offset
//!   the request had before the call;
//! * [`ReadStep::Frame`]: a metadata or content frame arrived and nothing was
//!   returned yet; [`Reader::response`] shows it;
//! * [`ReadStep::Eof`]: the RPC ended cleanly (the broker closed the stream,
//!   `end_offset` was reached, or a directly read fragment ended).
//!
//! Errors: [`Error::OffsetJump`] tells that the broker skipped ahead (the
//! request offset was moved to the new position) and the Reader stays
//! usable. Any other error ends the Reader: later calls return it again.
//!
//! # A broker breaking the protocol
//!
//! No byte is handed out at an offset other than the one it has in the
//! journal, nor at or past `end_offset`:
//! * content past `end_offset` is cut off there, and the read ends with EOF
//!   (as a direct fragment read does; Go's Reader trusts the broker here);
//! * a frame going backwards fails validation ([`Error::Validation`], Go's
//!   text); a content frame that leaves a gap, comes before any metadata
//!   frame, or lies outside its metadata frame's fragment, and a fragment
//!   URL whose file name spans another fragment, end the read with
//!   [`Error::Protocol`] (see `read_checks.rs`);
//! * a message over the client's receive limit is [`Error::MessageTooLarge`];
//!   the client stays usable.

use std::future::Future;
use std::io::SeekFrom;

use bytes::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::Streaming;

use super::client::Client;
use super::error::{Error, Result};
use super::fragment_reader::{open_fragment_url, FragmentReader, FragmentTransport};
use super::read_checks;
use super::router::Dispatch;
use super::stats::Stats;
use crate::protocol::validate::Validate;
use crate::protocol::{Fragment, ReadRequest, ReadResponse, Status};

/// What one read call produced; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadStep<T> {
    /// Journal bytes (a non-empty `Bytes`, or the non-zero count copied).
    Data(T),
    /// A frame arrived; no bytes yet. Inspect [`Reader::response`].
    Frame,
    /// The read ended cleanly.
    Eof,
}

/// Where an RPC must stop waiting: a cancellation token and/or a deadline
/// (Go: the reader's `context.Context`).
#[derive(Clone, Debug, Default)]
pub struct ReadContext {
    /// Cancelling it makes pending and later reads fail with
    /// [`Error::Canceled`].
    pub cancel: Option<CancellationToken>,
    /// Past it, reads fail with [`Error::DeadlineExceeded`].
    pub deadline: Option<Instant>,
}

impl ReadContext {
    /// A context cancelled by `token`.
    pub fn with_cancel(token: CancellationToken) -> Self {
        ReadContext {
            cancel: Some(token),
            deadline: None,
        }
    }

    /// The error of an already cancelled or expired context.
    pub fn err(&self) -> Option<Error> {
        if self.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            Some(Error::Canceled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Error::DeadlineExceeded)
        } else {
            None
        }
    }

    /// Resolves once the context is cancelled or expired, with its error.
    pub async fn done(&self) -> Error {
        let cancelled = async {
            match &self.cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let expired = async {
            match self.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = cancelled => Error::Canceled,
            _ = expired => Error::DeadlineExceeded,
        }
    }

    /// Runs `fut` unless the context ends first (checked first, so a context
    /// that is already done always wins).
    pub async fn run<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        if let Some(err) = self.err() {
            return Err(err);
        }
        tokio::select! {
            biased;
            err = self.done() => Err(err),
            out = fut => out,
        }
    }
}

/// One Read RPC; see the [module docs](self).
pub struct Reader {
    request: ReadRequest,
    response: ReadResponse,
    client: Client,
    transport: FragmentTransport,
    ctx: ReadContext,
    stream: Option<(Streaming<ReadResponse>, Dispatch)>,
    direct: Option<FragmentReader>,
    /// The error (or EOF) that ended this Reader, returned again by later
    /// calls.
    ended: Option<Result<()>>,
    /// A frame (or the stream's end) taken by [`Reader::content_ready`]
    /// and not yet handled; `receive` handles it first.
    peeked: Option<Result<Option<ReadResponse>>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("request", &self.request)
            .field("started", &self.stream.is_some())
            .field("direct", &self.direct.is_some())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// A Reader of `request` through `client`; nothing is sent until the
    /// first read. `file://` fragment URLs resolve under the client's
    /// configured `file_root`.
    pub fn new(client: &Client, request: ReadRequest) -> Reader {
        Reader {
            request,
            response: ReadResponse::default(),
            client: client.clone(),
            transport: FragmentTransport::for_client(client),
            ctx: ReadContext::default(),
            stream: None,
            direct: None,
            ended: None,
            peeked: None,
        }
    }

    /// Sets the context bounding this Reader's waits.
    pub fn with_context(mut self, ctx: ReadContext) -> Self {
        self.ctx = ctx;
        self
    }

    /// Uses `transport` for direct fragment reads (e.g. to share its
    /// connection pool, or a different file root).
    pub fn with_transport(mut self, transport: FragmentTransport) -> Self {
        self.transport = transport;
        self
    }

    /// A fresh Reader continuing this one: same request (at the current
    /// offset), client, transport and context, and this one's last response,
    /// whose header (if any) routes the new RPC (Go HEAD).
    pub fn successor(&self) -> Reader {
        Reader {
            request: self.request.clone(),
            response: self.response.clone(),
            client: self.client.clone(),
            transport: self.transport.clone(),
            ctx: self.ctx.clone(),
            stream: None,
            direct: None,
            ended: None,
            peeked: None,
        }
    }

    /// The request; its `offset` is always the journal offset of the next
    /// byte to be returned.
    pub fn request(&self) -> &ReadRequest {
        &self.request
    }

    /// Mutable access to the request. Changes other than `block` take effect
    /// only for a later RPC (e.g. of a [`successor`](Reader::successor)).
    pub fn request_mut(&mut self) -> &mut ReadRequest {
        &mut self.request
    }

    /// The most recent frame. A content frame carries the `fragment` and
    /// `write_head` of the metadata frame before it. Empty before the first
    /// frame of an RPC.
    pub fn response(&self) -> &ReadResponse {
        &self.response
    }

    /// The context of this Reader.
    pub fn context(&self) -> &ReadContext {
        &self.ctx
    }

    /// The fragment transport of this Reader.
    pub fn transport(&self) -> &FragmentTransport {
        &self.transport
    }

    /// True while a fragment is being read directly (after a `do_not_proxy`
    /// read was answered with a fragment URL).
    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }

    /// The journal offset of the next byte a consumer will see, when it has
    /// `buffered` bytes read from this Reader but not yet consumed (Go:
    /// `AdjustedOffset` with a `bufio.Reader`).
    pub fn adjusted_offset(&self, buffered: usize) -> i64 {
        self.request.offset - buffered as i64
    }

    /// Copies the next bytes into `buf`; see [`ReadStep`]. An empty `buf`
    /// returns `Data(0)` at once.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<ReadStep<usize>> {
        super::chunk_source::read_into(self, buf).await
    }

    /// Returns the next bytes, at most `max` (> 0), without copying; see
    /// [`ReadStep`].
    pub async fn next_chunk(&mut self, max: usize) -> Result<ReadStep<Bytes>> {
        let max = max.max(1);
        if let Some(ended) = &self.ended {
            return match ended {
                Ok(()) => Ok(ReadStep::Eof),
                Err(err) => Err(err.clone()),
            };
        }
        let step = self.step(max).await;
        match &step {
            Ok(ReadStep::Data(chunk)) => {
                self.request.offset += chunk.len() as i64;
                Stats::add(&self.client.stats().bytes_read, chunk.len() as u64);
            }
            Ok(ReadStep::Frame) | Err(Error::OffsetJump) => {}
            Ok(ReadStep::Eof) => self.end(Ok(())),
            Err(err) => self.end(Err(err.clone())),
        }
        step
    }

    /// Whether the next [`next_chunk`](Reader::next_chunk) calls return
    /// content without waiting: bytes of the last frame remain, or the next
    /// content frame (OK, at the expected offset) has already arrived. Never
    /// waits; a frame it looks at is kept for the next step. Lets a caller
    /// with room left fill it with what is already here. Call within the
    /// client's runtime context.
    pub fn content_ready(&mut self) -> bool {
        if self.ended.is_some() || self.direct.is_some() {
            return false;
        }
        let done = (self.request.offset - self.response.offset).max(0) as usize;
        if self.response.content.len() > done {
            return true;
        }
        let Some((stream, _)) = self.stream.as_mut() else {
            return false;
        };
        if self.peeked.is_none() {
            use tokio_stream::Stream;
            let waker = noop_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            // Polling a stream is cancel safe: a frame not there yet stays
            // with the stream for the next real wait.
            match std::pin::Pin::new(stream).poll_next(&mut cx) {
                std::task::Poll::Pending => return false,
                std::task::Poll::Ready(next) => {
                    self.peeked = Some(next.transpose().map_err(Error::from));
                }
            }
        }
        matches!(
            &self.peeked,
            Some(Ok(Some(f))) if f.status == Status::Ok as i32
                && !f.content.is_empty()
                && f.header.is_none()
                && f.offset == self.request.offset
        )
    }

    /// Ends the Reader, releasing the stream and any open fragment.
    fn end(&mut self, outcome: Result<()>) {
        self.peeked = None;
        self.stream = None;
        self.direct = None;
        self.ended = Some(outcome);
    }

    /// One step of the read state machine. Doesn't advance the offset for
    /// returned data (the caller does).
    async fn step(&mut self, max: usize) -> Result<ReadStep<Bytes>> {
        loop {
            // A directly opened fragment?
            if let Some(direct) = &mut self.direct {
                let mut max = max;
                if self.request.end_offset != 0 {
                    let remain = self.request.end_offset - self.request.offset;
                    if remain <= 0 {
                        return Ok(ReadStep::Eof);
                    }
                    max = max.min(remain as usize);
                }
                return match self.ctx.run(direct.next_chunk(max)).await {
                    Ok(Some(chunk)) => Ok(ReadStep::Data(chunk)),
                    Ok(None) => Ok(ReadStep::Eof),
                    Err(err) => Err(in_fragment(err, direct.fragment(), &self.response)),
                };
            }

            // Content of the last frame not yet handed out?
            let done = (self.request.offset - self.response.offset).max(0) as usize;
            if self.response.content.len() > done {
                let mut max = max;
                if self.request.end_offset != 0 {
                    // A broker trims its last chunk at end_offset; should one
                    // send more, the bytes past it are never handed out.
                    let remain = self.request.end_offset - self.request.offset;
                    if remain <= 0 {
                        return Ok(ReadStep::Eof);
                    }
                    max = max.min(remain as usize);
                }
                let end = self.response.content.len().min(done.saturating_add(max));
                return Ok(ReadStep::Data(self.response.content.slice(done..end)));
            }

            if self.stream.is_none() {
                self.start().await?;
                continue;
            }
            return self.receive(max).await;
        }
    }

    /// Starts the RPC, dispatched by the last response's header route if
    /// there is one (a Reader continuing another), else by the route cache.
    async fn start(&mut self) -> Result<()> {
        if let Err(err) = self.request.validate() {
            // The caller's request can't succeed however often it's retried.
            return Err(Error::InvalidArgument(
                err.context("ReadRequest").to_string(),
            ));
        }
        let dispatch = match self.response.header.as_ref().and_then(|h| h.route.as_ref()) {
            Some(route) => self.client.journal_client_for_route(route, false)?,
            None => self
                .client
                .journal_client_for(&self.request.journal, false)?,
        };
        self.response = ReadResponse::default();
        self.peeked = None;
        Stats::add(&self.client.stats().read_rpcs, 1);

        let mut grpc = dispatch.client.clone();
        let claims = crate::auth::claims::read(&self.request.journal);
        let request = self.request.clone();
        let client = self.client.clone();
        let started = self
            .ctx
            .run(async move { Ok(grpc.read(client.request(request, claims).await?).await?) })
            .await;
        match started {
            Ok(response) => {
                self.stream = Some((response.into_inner(), dispatch));
                Ok(())
            }
            Err(err) => {
                let err = self.client.refine(err);
                self.client
                    .report_error(Some(&self.request.journal), &dispatch, &err);
                Err(err)
            }
        }
    }

    /// Receives and handles the next frame, or the end of the stream.
    async fn receive(&mut self, max: usize) -> Result<ReadStep<Bytes>> {
        let (stream, dispatch) = self.stream.as_mut().expect("stream is started");
        let received = match self.peeked.take() {
            Some(peeked) => peeked,
            None => self.ctx.run(async { Ok(stream.message().await?) }).await,
        };
        let frame = match received {
            Ok(Some(frame)) => frame,
            Ok(None) => return self.stream_ended(max).await,
            Err(err) => {
                let err = self.client.refine(err);
                self.client
                    .report_error(Some(&self.request.journal), dispatch, &err);
                return Err(err);
            }
        };
        if frame.header.is_some() {
            // The first frame: the broker connection works.
            self.client.report_success(dispatch);
        }

        if let Err(err) = frame.validate() {
            return Err(Error::Validation(err.context("ReadResponse").to_string()));
        }
        if frame.status == Status::Ok as i32 && frame.offset < self.request.offset {
            return Err(Error::Validation(format!(
                "invalid ReadResponse offset ({}; expected >= {})",
                frame.offset, self.request.offset
            )));
        }
        if frame.status == Status::Ok as i32 && !frame.content.is_empty() {
            read_checks::content_frame(
                &frame,
                self.response.fragment.as_ref(),
                self.request.offset,
            )?;
        }
        if let Some(route) = frame.header.as_ref().and_then(|h| h.route.as_ref()) {
            self.client.update_route(&self.request.journal, route);
        }

        let previous = std::mem::replace(&mut self.response, frame);
        let mut jumped = false;
        if self.request.offset < self.response.offset {
            // Content was skipped (deleted fragments), or offset -1 resolved.
            self.request.offset = self.response.offset;
            jumped = true;
        }

        if self.response.status == Status::Ok as i32 {
            if !self.response.content.is_empty() {
                // Keep the fragment metadata visible on content frames.
                self.response.fragment = previous.fragment;
                self.response.write_head = previous.write_head;
            }
            return if jumped {
                Err(Error::OffsetJump)
            } else {
                Ok(ReadStep::Frame)
            };
        }
        // A non-OK frame is followed by the stream's close: read it, then
        // map the status (this overrides a pending offset jump).
        Box::pin(self.step(max)).await
    }

    /// Handles a clean end of the stream.
    async fn stream_ended(&mut self, max: usize) -> Result<ReadStep<Bytes>> {
        self.stream = None;
        let last = &self.response;
        if !self.request.metadata_only
            && last.status == Status::Ok as i32
            && !last.fragment_url.is_empty()
        {
            let fragment = last.fragment.clone().unwrap_or_default();
            let url = last.fragment_url.clone();
            read_checks::fragment_url(&url, &fragment)?;
            let opened = self
                .ctx
                .run(open_fragment_url(
                    &self.transport,
                    fragment.clone(),
                    self.request.offset,
                    &url,
                ))
                .await
                .map_err(|err| in_fragment(err, &fragment, last))?;
            let (journal, begin, end, codec) = {
                let f = last.fragment.as_ref();
                (
                    f.map_or("", |f| f.journal.as_str()),
                    f.map_or(0, |f| f.begin),
                    f.map_or(0, |f| f.end),
                    f.map_or(0, |f| f.compression_codec),
                )
            };
            let codec_name = crate::protocol::CompressionCodec::try_from(codec)
                .map_or("INVALID", |c| c.as_str_name());
            tracing::info!(
                journal,
                begin,
                end,
                codec = codec_name,
                url = %url,
                "opened fragment"
            );
            self.client.stats().fragment_opened(codec, end - begin);
            self.direct = Some(opened);
            return Box::pin(self.step(max)).await;
        }
        match Error::from_status_code(last.status, "") {
            None => Ok(ReadStep::Eof),
            Some(err) => Err(err),
        }
    }

    /// Moves to `pos` by reading and discarding, which works only while a
    /// fragment is being read directly and `pos` lies ahead within it;
    /// otherwise fails with [`Error::SeekRequiresNewReader`] and the offset
    /// is unchanged. `SeekFrom::End` is not supported. Returns the new
    /// offset.
    pub async fn seek(&mut self, pos: SeekFrom) -> Result<i64> {
        let target = match pos {
            SeekFrom::Start(offset) => offset as i64,
            SeekFrom::Current(delta) => self.request.offset + delta,
            SeekFrom::End(_) => {
                return Err(Error::InvalidArgument(
                    "io.SeekEnd whence is not supported".into(),
                ))
            }
        };
        let fragment_end = self.response.fragment.as_ref().map_or(0, |f| f.end);
        if self.direct.is_none() || target < self.request.offset || target >= fragment_end {
            return Err(Error::SeekRequiresNewReader);
        }
        while self.request.offset < target {
            let want = (target - self.request.offset) as usize;
            match self.next_chunk(want).await? {
                ReadStep::Data(_) | ReadStep::Frame => {}
                ReadStep::Eof => return Err(Error::UnexpectedEof),
            }
        }
        Ok(self.request.offset)
    }
}

/// A waker that does nothing, for polling once without waiting (the MSRV
/// predates `Waker::noop`). Public for callers that drain
/// [`Reader::content_ready`] content without an executor, as the C reader does.
pub fn noop_waker() -> std::task::Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    std::task::Waker::from(std::sync::Arc::new(Noop))
}

/// Names the fragment in an error of reading it directly (a corrupt,
/// truncated or over-long file), so the caller can tell which file is bad.
/// Other errors (cancellation, a deadline) pass unchanged.
fn in_fragment(err: Error, fragment: &Fragment, response: &ReadResponse) -> Error {
    match err {
        Error::Codec(_) | Error::UnexpectedEof | Error::DidNotReadExpectedEof | Error::Io(_) => {
            Error::Fragment {
                fragment: format!(
                    "{} {}-{} ({})",
                    fragment.journal, fragment.begin, fragment.end, response.fragment_url
                ),
                error: Box::new(err),
            }
        }
        other => other,
    }
}
