//! `ChunkSource`: what a [`Reader`] and a [`RetryReader`] have in common, so
//! code that reads from either (copying into a buffer, the C ABI's readers)
//! is written once.

use std::future::Future;
use std::io::SeekFrom;
use std::pin::Pin;

use bytes::Bytes;

use super::error::Result;
use super::reader::{ReadStep, Reader};
use super::retry_reader::RetryReader;

/// A boxed, sendable future (a trait's async step, callable through `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of journal bytes in chunks: a [`Reader`] (one Read RPC) or a
/// [`RetryReader`] (reads retried across RPCs).
pub trait ChunkSource: Send {
    /// The next bytes, at most `max`, without copying (see [`ReadStep`]).
    fn next_chunk(&mut self, max: usize) -> BoxFuture<'_, Result<ReadStep<Bytes>>>;

    /// Moves the next read to `pos`; the new offset.
    fn seek(&mut self, pos: SeekFrom) -> BoxFuture<'_, Result<i64>>;

    /// The Read RPC's reader: its request (offset) and last response.
    fn reader(&self) -> &Reader;

    /// True if the next step yields content without waiting (a frame has
    /// already arrived); false when that is not known.
    fn content_ready(&mut self) -> bool {
        false
    }
}

/// Copies the next bytes of `source` into `buf` (at most its length): the
/// `read` of both readers.
pub async fn read_into<S: ChunkSource + ?Sized>(
    source: &mut S,
    buf: &mut [u8],
) -> Result<ReadStep<usize>> {
    if buf.is_empty() {
        return Ok(ReadStep::Data(0));
    }
    Ok(match source.next_chunk(buf.len()).await? {
        ReadStep::Data(chunk) => {
            buf[..chunk.len()].copy_from_slice(&chunk);
            ReadStep::Data(chunk.len())
        }
        ReadStep::Frame => ReadStep::Frame,
        ReadStep::Eof => ReadStep::Eof,
    })
}

impl ChunkSource for Reader {
    fn next_chunk(&mut self, max: usize) -> BoxFuture<'_, Result<ReadStep<Bytes>>> {
        Box::pin(Reader::next_chunk(self, max))
    }

    fn seek(&mut self, pos: SeekFrom) -> BoxFuture<'_, Result<i64>> {
        Box::pin(Reader::seek(self, pos))
    }

    fn reader(&self) -> &Reader {
        self
    }

    fn content_ready(&mut self) -> bool {
        Reader::content_ready(self)
    }
}

impl ChunkSource for RetryReader {
    fn next_chunk(&mut self, max: usize) -> BoxFuture<'_, Result<ReadStep<Bytes>>> {
        Box::pin(RetryReader::next_chunk(self, max))
    }

    fn seek(&mut self, pos: SeekFrom) -> BoxFuture<'_, Result<i64>> {
        Box::pin(RetryReader::seek(self, pos))
    }

    fn reader(&self) -> &Reader {
        RetryReader::reader(self)
    }
}
