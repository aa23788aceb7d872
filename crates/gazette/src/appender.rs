//! `Appender`: one Append RPC, written to like a byte sink and committed by
//! `close`.
//!
//! Nothing written is visible to readers until `close` succeeds. Dropping an
//! Appender (or calling `abort`) ends the request stream without the commit
//! message, so the broker rolls everything back.

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

use super::client::Client;
use super::error::{Error, Result};
use super::router::Dispatch;
use super::stats::Stats;
use crate::protocol::{AppendRequest, AppendResponse, LabelSelector, Status, Validate};

/// Writes are gathered until this many bytes are pending, so many small
/// writes become few messages.
pub const COALESCE_BYTES: usize = 64 << 10;

/// Largest content message sent; larger writes are split, staying well
/// under brokers' 4 MiB default receive limit.
pub const MAX_CHUNK_BYTES: usize = 1 << 20;

/// Request messages queued ahead of the transport. Bounded so a fast
/// writer waits for a slow broker instead of buffering without limit.
const QUEUE_DEPTH: usize = 4;

type CallResult = std::result::Result<tonic::Response<AppendResponse>, tonic::Status>;

/// An Append RPC in progress.
struct Call {
    tx: Option<mpsc::Sender<AppendRequest>>,
    handle: JoinHandle<CallResult>,
    /// The finished call's outcome, once observed while writing.
    done: Option<CallResult>,
    dispatch: Dispatch,
}

impl Drop for Call {
    /// An abandoned call is cancelled rather than left to linger: without
    /// the commit message the broker rolls it back either way.
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// One Append RPC, as Go's `client.Appender`: streamed as written,
/// committed by [`Appender::close`], rolled back by [`Appender::abort`] or
/// drop.
///
/// The RPC starts lazily, once the first chunk is ready to go (at least
/// [`COALESCE_BYTES`] written, or `close`): brokers hold a journal's append
/// pipeline for an open Append and abort appends that don't sustain a
/// minimum data rate, so the RPC isn't opened before there is data to send.
pub struct Appender {
    /// The append's request; its journal and options go in the first message.
    pub request: AppendRequest,
    /// The broker's response, once received (after `close`, or after a write
    /// failed because the broker answered early).
    pub response: AppendResponse,
    client: Client,
    call: Option<Call>,
    pending: BytesMut,
    /// The request passed validation.
    validated: bool,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender")
            .field("journal", &self.request.journal)
            .field("started", &self.call.is_some())
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Appender {
    /// An Appender of `request` through `client`. Nothing is sent yet.
    pub fn new(client: &Client, request: AppendRequest) -> Self {
        Appender {
            request,
            response: AppendResponse::default(),
            client: client.clone(),
            call: None,
            pending: BytesMut::new(),
            validated: false,
        }
    }

    /// Appends `p` to the transaction (copied once). Empty writes do
    /// nothing: an empty message would mean "commit". If the broker already
    /// answered (rejecting the append early), its mapped error is returned
    /// and nothing of `p` is taken.
    pub async fn write(&mut self, p: &[u8]) -> Result<usize> {
        if p.is_empty() {
            return Ok(0);
        }
        self.check_request()?;
        self.check_early_response().await?;
        self.pending.extend_from_slice(p);
        self.send_pending(false).await?;
        Ok(p.len())
    }

    /// Takes a small write without awaiting anything when buffering is all
    /// it needs: the request was validated (by an earlier write), no broker
    /// answer waits to be reported, and the gathered content stays under
    /// [`COALESCE_BYTES`]. Returns false, having taken nothing, when the
    /// async [`Appender::write`] must run instead. Lets blocking callers
    /// skip a round trip through the runtime per small write.
    pub fn try_write_buffered(&mut self, p: &[u8]) -> bool {
        if !self.validated || self.pending.len() + p.len() >= COALESCE_BYTES {
            return false;
        }
        if let Some(call) = &self.call {
            if call.done.is_some() || call.handle.is_finished() {
                return false;
            }
        }
        self.pending.extend_from_slice(p);
        true
    }

    /// Like [`Appender::write`] for content already in a `Bytes`: large
    /// buffers are sent without copying.
    pub async fn write_bytes(&mut self, content: Bytes) -> Result<usize> {
        if content.is_empty() {
            return Ok(0);
        }
        let len = content.len();
        self.check_request()?;
        self.check_early_response().await?;
        if len >= COALESCE_BYTES {
            // Large: flush what's gathered, then send slices without copying.
            self.send_pending(true).await?;
            let mut rest = content;
            while !rest.is_empty() {
                let chunk = rest.split_to(rest.len().min(MAX_CHUNK_BYTES));
                self.send_chunk(chunk).await?;
            }
        } else {
            self.pending.extend_from_slice(&content);
            self.send_pending(false).await?;
        }
        Ok(len)
    }

    /// Commits the transaction: flushes pending content, sends the empty
    /// commit message, half-closes and reads the broker's response, which
    /// is validated, teaches the route cache, and maps a non-OK status to
    /// its error. On success `self.response` holds the commit.
    pub async fn close(&mut self) -> Result<()> {
        self.start().await?;
        let outcome = match self.send_pending(true).await {
            Ok(()) => {
                // The commit message; a send failure surfaces from the response.
                self.send_message(AppendRequest::default()).await.ok();
                self.finish().await
            }
            Err(err) => Err(err),
        };
        outcome.and_then(|()| self.check_response())
    }

    /// Rolls the transaction back: drops pending content, half-closes
    /// without the commit message and waits for the broker's (discarded)
    /// answer. Does nothing more if the RPC wasn't started.
    pub async fn abort(&mut self) {
        self.pending.clear();
        if let Some(call) = &mut self.call {
            call.tx = None;
            if call.done.is_none() {
                call.done = Some((&mut call.handle).await.unwrap_or_else(join_error));
            }
        }
    }

    /// Returns the Appender to its just-built state so the same request can
    /// be tried again. A started, unfinished RPC is rolled back.
    pub fn reset(&mut self) {
        self.response = AppendResponse::default();
        self.call = None;
        self.pending.clear();
        self.validated = false;
    }

    /// The dispatch of the started RPC, if any (which broker it went to).
    pub fn dispatch(&self) -> Option<&Dispatch> {
        self.call.as_ref().map(|call| &call.dispatch)
    }

    /// Validates the request (once), so a bad one fails the first write
    /// even while its content is only being gathered.
    fn check_request(&mut self) -> Result<()> {
        if self.validated {
            return Ok(());
        }
        if self.request.journal.is_empty() {
            return Err(Error::Validation("expected Request.Journal".into()));
        }
        self.request
            .validate()
            .map_err(|err| Error::from(err.context("Request")))?;
        self.validated = true;
        Ok(())
    }

    /// Starts the RPC if not yet started: validates the request, dispatches
    /// it to the journal's primary and sends the request message.
    async fn start(&mut self) -> Result<()> {
        if self.call.is_some() {
            return Ok(());
        }
        self.check_request()?;
        let dispatch = self
            .client
            .journal_client_for(&self.request.journal, true)?;
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let mut grpc = dispatch.client.clone();
        let request = self
            .client
            .request(
                ReceiverStream::new(rx),
                crate::auth::claims::append(&self.request.journal),
            )
            .await?;
        let handle = tokio::spawn(async move { grpc.append(request).await });
        Stats::add(&self.client.stats().append_rpcs, 1);
        self.call = Some(Call {
            tx: Some(tx),
            handle,
            done: None,
            dispatch,
        });
        self.send_message(self.request.clone()).await
    }

    /// Sends pending content in chunks of at most `MAX_CHUNK_BYTES`; all of
    /// it if `all`, else only once at least `COALESCE_BYTES` are pending.
    async fn send_pending(&mut self, all: bool) -> Result<()> {
        while !self.pending.is_empty() && (all || self.pending.len() >= COALESCE_BYTES) {
            let take = self.pending.len().min(MAX_CHUNK_BYTES);
            let chunk = self.pending.split_to(take).freeze();
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn send_chunk(&mut self, content: Bytes) -> Result<()> {
        self.start().await?;
        let len = content.len() as u64;
        self.send_message(AppendRequest {
            content,
            ..Default::default()
        })
        .await?;
        Stats::add(&self.client.stats().bytes_appended, len);
        Ok(())
    }

    /// Queues one message. If the call has already finished (the broker
    /// answered early or the transport failed), returns the outcome's error.
    async fn send_message(&mut self, message: AppendRequest) -> Result<()> {
        let call = self.call.as_mut().expect("started");
        if call.done.is_none() {
            if let Some(tx) = &call.tx {
                tokio::select! {
                    biased;
                    sent = tx.send(message) => if sent.is_ok() { return Ok(()) },
                    result = &mut call.handle => {
                        call.done = Some(result.unwrap_or_else(join_error));
                    }
                }
            }
        }
        // The stream is gone: learn why from the call's outcome.
        self.finish().await?;
        self.check_response()?;
        Err(Error::Protocol(
            "append stream closed by the broker before commit".into(),
        ))
    }

    /// Returns the mapped error of an already finished call, if any: this
    /// is how a broker's early rejection surfaces from the next write.
    async fn check_early_response(&mut self) -> Result<()> {
        let Some(call) = self.call.as_mut() else {
            return Ok(());
        };
        if call.done.is_none() && call.handle.is_finished() {
            call.done = Some((&mut call.handle).await.unwrap_or_else(join_error));
        }
        if call.done.is_none() {
            return Ok(());
        }
        self.take_outcome()?;
        self.check_response()?;
        Err(Error::Protocol("append RPC already ended".into()))
    }

    /// Half-closes and awaits the call, storing its response.
    async fn finish(&mut self) -> Result<()> {
        let call = self.call.as_mut().expect("started");
        call.tx = None;
        if call.done.is_none() {
            call.done = Some((&mut call.handle).await.unwrap_or_else(join_error));
        }
        self.take_outcome()
    }

    /// Moves a finished call's outcome into `self.response`, reporting a
    /// transport error to the client (which forgets the route on
    /// `Unavailable`).
    fn take_outcome(&mut self) -> Result<()> {
        let call = self.call.as_mut().expect("started");
        match call.done.as_ref().expect("finished") {
            Ok(response) => {
                self.response = response.get_ref().clone();
                self.client.report_success(&call.dispatch);
                Ok(())
            }
            Err(status) => {
                let err = self.client.refine(Error::from(status.clone()));
                self.client
                    .report_error(Some(&self.request.journal), &call.dispatch, &err);
                Err(err)
            }
        }
    }

    /// Validates `self.response`, records its route, and maps its status.
    fn check_response(&self) -> Result<()> {
        self.response
            .validate()
            .map_err(|err| Error::from(err).with_context("validating broker response"))?;
        if let Some(route) = self.response.header.as_ref().and_then(|h| h.route.as_ref()) {
            self.client.update_route(&self.request.journal, route);
        }
        let status = Status::try_from(self.response.status).expect("validated");
        let detail = match status {
            Status::RegisterMismatch => format!(
                "selector {} doesn't match registers {}",
                self.request.check_registers.clone().unwrap_or_default(),
                LabelSelector {
                    include: self.response.registers.clone(),
                    exclude: None,
                },
            ),
            Status::FragmentStoreUnhealthy => self.response.store_health_error.clone(),
            _ => String::new(),
        };
        Error::check_status(self.response.status, &detail)
    }
}

fn join_error(err: tokio::task::JoinError) -> CallResult {
    Err(tonic::Status::cancelled(format!(
        "append task failed: {err}"
    )))
}
