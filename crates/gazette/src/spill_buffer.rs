//! Spill buffers: where an AppendService batch's bytes wait for their Append
//! RPC. Content goes through a small in-memory buffer into a temporary file
//! (unlinked at creation, so nothing is left behind even if the process
//! dies), which lets appends ride out broker outages up to disk capacity.
//!
//! Writes are positional (`pwrite`), so the file has no cursor to get out of
//! step: the buffer alone knows where the next byte goes, and rolling back is
//! just moving that mark.

use std::io;
use std::sync::{Arc, Mutex};

/// Default size of the in-memory front of a spill buffer (Go's 8 KiB).
pub const DEFAULT_BUFFER_SIZE: usize = 8 << 10;

/// The storage behind a [`SpillBuffer`]: positional reads and writes and
/// truncation. Implemented for [`std::fs::File`]; other implementations let
/// tests stand in for a failing disk.
pub trait SpillFile: Send + Sync {
    /// Writes some prefix of `buf` at `offset`, returning its length.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize>;
    /// Reads into `buf` from `offset`, returning the length read (0 at end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Truncates (or extends) the storage to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
}

impl SpillFile for std::fs::File {
    #[cfg(unix)]
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::write_at(self, buf, offset)
    }
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
    #[cfg(windows)]
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_write(self, buf, offset)
    }
    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, offset)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        std::fs::File::set_len(self, len)
    }
}

/// A file-backed append buffer: bytes `[0, offset)` are in the file, bytes
/// `[offset, len)` still in memory. A failed flush loses nothing: what the
/// file did not take stays buffered, and a later flush picks up from there.
pub struct SpillBuffer {
    file: Arc<dyn SpillFile>,
    /// Bytes written to the file so far; where the next flush writes.
    offset: u64,
    /// Content not yet in the file, following `offset`.
    pending: Vec<u8>,
    capacity: usize,
}

impl std::fmt::Debug for SpillBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillBuffer")
            .field("offset", &self.offset)
            .field("buffered", &self.pending.len())
            .finish()
    }
}

impl SpillBuffer {
    /// A buffer over a new unlinked temporary file, with `capacity` bytes of
    /// in-memory front.
    pub fn new(capacity: usize) -> io::Result<SpillBuffer> {
        Ok(Self::with_file(Arc::new(tempfile::tempfile()?), capacity))
    }

    /// A buffer over `file`, which is treated as empty.
    pub fn with_file(file: Arc<dyn SpillFile>, capacity: usize) -> SpillBuffer {
        SpillBuffer {
            file,
            offset: 0,
            pending: Vec::with_capacity(capacity),
            capacity: capacity.max(1),
        }
    }

    /// Total bytes held: in the file plus buffered.
    pub fn len(&self) -> u64 {
        self.offset + self.pending.len() as u64
    }

    /// True if nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes already in the file (where the next flush writes).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes still in memory.
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    /// Appends all of `data`. Small writes are buffered; a write that
    /// doesn't fit first flushes the buffer, and one at least as large as
    /// the buffer then goes straight to the file. On error, the bytes taken
    /// so far stay (the caller rolls back to a checkpoint to drop them).
    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if self.pending.len() + data.len() <= self.capacity {
            self.pending.extend_from_slice(data);
            return Ok(());
        }
        self.flush()?;
        if data.len() < self.capacity {
            self.pending.extend_from_slice(data);
            return Ok(());
        }
        let mut rest = data;
        while !rest.is_empty() {
            let n = self.write_file(rest)?;
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Writes every buffered byte to the file. On error the bytes the file
    /// did not take stay buffered, so flushing again later is safe.
    pub fn flush(&mut self) -> io::Result<()> {
        while !self.pending.is_empty() {
            let n = match self.file.write_at(&self.pending, self.offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            self.pending.drain(..n);
            self.offset += n as u64;
        }
        Ok(())
    }

    /// Discards everything after the first `checkpoint` bytes; later writes
    /// continue from there. Never fails: no I/O is needed.
    pub fn rollback(&mut self, checkpoint: u64) {
        if checkpoint >= self.offset {
            let keep = (checkpoint - self.offset) as usize;
            self.pending.truncate(keep.min(self.pending.len()));
        } else {
            self.pending.clear();
            self.offset = checkpoint;
        }
    }

    /// Reads file content at `offset` into `buf` (flush first to include
    /// buffered bytes).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }

    /// A handle on the backing file, for reading it off the caller's task.
    pub fn file(&self) -> Arc<dyn SpillFile> {
        self.file.clone()
    }

    /// Empties the buffer: nothing buffered, offset 0, file truncated.
    pub fn reset(&mut self) -> io::Result<()> {
        self.pending.clear();
        self.offset = 0;
        self.file.set_len(0)
    }

    fn write_file(&mut self, data: &[u8]) -> io::Result<usize> {
        loop {
            match self.file.write_at(data, self.offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
    }
}

/// A pool of idle spill buffers, so busy services reuse their files. Each
/// buffer comes back emptied (offset 0, file truncated); at most `max_idle`
/// are kept, the rest are closed.
pub struct SpillPool {
    idle: Mutex<Vec<SpillBuffer>>,
    max_idle: usize,
    capacity: usize,
    factory: Option<SpillFactory>,
}

/// Makes the storage of new spill buffers (for example a file in a chosen
/// directory). The default is an unlinked [`tempfile::tempfile`].
pub type SpillFactory = Arc<dyn Fn() -> io::Result<Arc<dyn SpillFile>> + Send + Sync>;

/// A factory of unlinked temporary files in `dir` (the AppendService's
/// `spill_dir`). An error names the directory, so a caller can tell which
/// one is missing or full.
pub fn spill_files_in(dir: std::path::PathBuf) -> SpillFactory {
    Arc::new(move || {
        let file = tempfile::tempfile_in(&dir).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("creating a spill file in {}: {err}", dir.display()),
            )
        })?;
        Ok(Arc::new(file) as Arc<dyn SpillFile>)
    })
}

impl std::fmt::Debug for SpillPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillPool")
            .field("idle", &self.idle_count())
            .field("max_idle", &self.max_idle)
            .finish()
    }
}

impl SpillPool {
    /// A pool of buffers with `capacity` bytes of memory each, keeping at
    /// most `max_idle` idle ones.
    pub fn new(capacity: usize, max_idle: usize) -> SpillPool {
        SpillPool {
            idle: Mutex::new(Vec::new()),
            max_idle,
            capacity,
            factory: None,
        }
    }

    /// Like [`SpillPool::new`], making new buffers' storage with `factory`.
    pub fn with_factory(capacity: usize, max_idle: usize, factory: SpillFactory) -> SpillPool {
        SpillPool {
            factory: Some(factory),
            ..SpillPool::new(capacity, max_idle)
        }
    }

    /// An empty buffer: an idle one, or a new one over a fresh temporary file.
    pub fn get(&self) -> io::Result<SpillBuffer> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match reused {
            Some(buffer) => Ok(buffer),
            None => match &self.factory {
                Some(factory) => Ok(SpillBuffer::with_file(factory()?, self.capacity)),
                None => SpillBuffer::new(self.capacity),
            },
        }
    }

    /// Returns `buffer` to the pool, emptied. If it can't be emptied or the
    /// pool is full, it is dropped (closing its file).
    pub fn put(&self, mut buffer: SpillBuffer) {
        if buffer.reset().is_err() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(buffer);
        }
    }

    /// Number of idle buffers held.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Closes every idle buffer.
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
