//! `append`: one whole append transaction, retried through transient
//! routing and transport failures.

use std::io::Read;

use bytes::Bytes;

use super::appender::{Appender, COALESCE_BYTES};
use super::backoff::backoff;
use super::client::Client;
use super::error::{Error, Result};
use super::stats::Stats;
use crate::protocol::{AppendRequest, AppendResponse};

/// Content that can be read again from its first byte, once per attempt
/// (Go's `io.ReaderAt` sources of `Append`).
///
/// Sources are read on the calling task; keep them in memory (or otherwise
/// quick to read) so the runtime isn't blocked.
pub trait ContentSource: Send + Sync {
    /// Opens the content from its start.
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>>;

    /// The whole content as `Bytes`, if it's already held that way: it is
    /// then sent without copying.
    fn as_bytes(&self) -> Option<Bytes> {
        None
    }
}

impl ContentSource for Bytes {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(&self[..]))
    }
    fn as_bytes(&self) -> Option<Bytes> {
        Some(self.clone())
    }
}

impl ContentSource for &[u8] {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(*self))
    }
}

impl ContentSource for Vec<u8> {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(&self[..]))
    }
}

impl ContentSource for &str {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(str::as_bytes(self)))
    }
}

/// A source built from a function that opens a fresh reader per attempt.
pub struct ReaderFn<F>(pub F);

impl<F, R> ContentSource for ReaderFn<F>
where
    F: Fn() -> std::io::Result<R> + Send + Sync,
    R: Read + Send + 'static,
{
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new((self.0)()?))
    }
}

/// True for the failures after which `append` tries again: transport
/// failures (gRPC `Unavailable`) and NOT_JOURNAL_PRIMARY_BROKER,
/// NO_JOURNAL_PRIMARY_BROKER and INSUFFICIENT_JOURNAL_BROKERS.
pub fn is_append_retryable(err: &Error) -> bool {
    err.is_unavailable()
        || matches!(
            err,
            Error::NotJournalPrimaryBroker
                | Error::NoJournalPrimaryBroker
                | Error::InsufficientJournalBrokers
        )
        // A token that expired: the next attempt signs or fetches anew.
        || matches!(err, Error::Security { kind, .. } if kind.is_retryable())
}

/// Appends the concatenation of `sources` to `request.journal` as one
/// transaction, retrying (with [`backoff`]) while the failure is
/// [`is_append_retryable`]; each attempt re-reads every source from its
/// start. Any other error, including a source's, is returned at once (a
/// failing source aborts the attempt, so nothing commits). No sources
/// makes an empty append, a write barrier.
pub async fn append(
    client: &Client,
    request: AppendRequest,
    sources: &[&dyn ContentSource],
) -> Result<AppendResponse> {
    let (response, result) = append_with_response(client, request, sources).await;
    result.map(|()| response)
}

/// Like [`append`], also returning the broker's last response when the
/// append fails (e.g. the current registers after REGISTER_MISMATCH).
pub async fn append_with_response(
    client: &Client,
    request: AppendRequest,
    sources: &[&dyn ContentSource],
) -> (AppendResponse, Result<()>) {
    let mut attempt = 0;
    loop {
        let mut appender = Appender::new(client, request.clone());
        let result = match copy_sources(&mut appender, sources).await {
            Ok(()) => appender.close().await,
            Err(err) => {
                appender.abort().await;
                Err(err)
            }
        };
        match result {
            Ok(()) => return (appender.response, Ok(())),
            Err(err) if is_append_retryable(&err) => {
                tracing::warn!(
                    journal = %request.journal,
                    attempt,
                    error = %err,
                    "append failed (will retry)"
                );
                Stats::add(&client.stats().retries, 1);
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(err) => return (appender.response, Err(err)),
        }
    }
}

/// Writes every source, in order, into `appender`.
async fn copy_sources(appender: &mut Appender, sources: &[&dyn ContentSource]) -> Result<()> {
    let mut buf = vec![0u8; COALESCE_BYTES];
    for source in sources {
        if let Some(bytes) = source.as_bytes() {
            appender.write_bytes(bytes).await?;
            continue;
        }
        let mut reader = source.open()?;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err.into()),
            };
            appender.write(&buf[..n]).await?;
        }
    }
    Ok(())
}
