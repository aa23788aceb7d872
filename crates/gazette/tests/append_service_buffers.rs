//! Spill buffers under a failing disk, the buffer pool, and the
//! AppendService's handling of write errors. The failing disk is a
//! `SpillFile` standing in for the file system, not a mock of our code.

mod append_service_support;
mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::TestEnv;
use gazette::protocol::CompressionCodec;
use gazette::spill_buffer::{SpillBuffer, SpillFile, SpillPool};
use gazette::{AppendServiceConfig, AsyncOperation, OpFutures};

use append_service_support::*;

/// In-memory storage that can take partial writes, start failing after a
/// number of bytes, or fail every write while `failing` is set.
#[derive(Default)]
struct FlakyDisk {
    data: Mutex<Vec<u8>>,
    failing: AtomicBool,
    /// Largest write accepted per call (partial writes); 0 = unlimited.
    max_write: AtomicUsize,
    /// Writes that fail after this many more bytes (0 = off).
    fail_after: AtomicUsize,
    /// Writes refused so far (while failing).
    refused: AtomicUsize,
}

impl SpillFile for FlakyDisk {
    fn write_at(&self, buf: &[u8], offset: u64) -> std::io::Result<usize> {
        if self.failing.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(std::io::Error::other("disk on fire"));
        }
        let mut n = buf.len();
        let max = self.max_write.load(Ordering::SeqCst);
        if max > 0 {
            n = n.min(max);
        }
        let left = self.fail_after.load(Ordering::SeqCst);
        if left > 0 {
            if n >= left {
                n = left;
                self.failing.store(true, Ordering::SeqCst);
            }
            self.fail_after.store(left - n, Ordering::SeqCst);
        }
        let mut data = self.data.lock().unwrap();
        let end = offset as usize + n;
        if data.len() < end {
            data.resize(end, 0);
        }
        data[offset as usize..end].copy_from_slice(&buf[..n]);
        Ok(n)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let data = self.data.lock().unwrap();
        let start = (offset as usize).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.data.lock().unwrap().resize(len as usize, 0);
        Ok(())
    }
}

fn contents(buffer: &SpillBuffer) -> Vec<u8> {
    let mut out = vec![0u8; buffer.offset() as usize];
    let n = buffer.read_at(&mut out, 0).unwrap();
    out.truncate(n);
    out
}

#[test]
fn flush_errors_keep_unflushed_data() {
    let disk = Arc::new(FlakyDisk::default());
    disk.max_write.store(3, Ordering::SeqCst); // Partial writes.
    let mut buffer = SpillBuffer::with_file(disk.clone(), 8);

    buffer.write_all(b"hello").unwrap();
    assert_eq!((buffer.offset(), buffer.buffered()), (0, 5));
    // The disk fails part way: what it took is written, the rest stays.
    disk.fail_after.store(4, Ordering::SeqCst);
    assert!(buffer.flush().is_err());
    assert_eq!((buffer.offset(), buffer.buffered()), (4, 1));
    assert_eq!(contents(&buffer), b"hell");
    // Repeated failures change nothing.
    for _ in 0..3 {
        assert!(buffer.flush().is_err());
        assert!(buffer.write_all(b" big write over capacity").is_err());
        assert_eq!((buffer.offset(), buffer.buffered()), (4, 1));
    }
    // Recovered: everything lands, in order.
    disk.failing.store(false, Ordering::SeqCst);
    buffer.write_all(b", world").unwrap();
    buffer
        .write_all(b" and a write larger than the buffer")
        .unwrap();
    buffer.flush().unwrap();
    assert_eq!(
        contents(&buffer),
        b"hello, world and a write larger than the buffer"
    );

    // Rollback to a checkpoint, then writing, continues from it (whether the
    // discarded bytes were buffered or already in the file).
    buffer.rollback(5);
    assert_eq!(buffer.len(), 5);
    buffer.write_all(b"!").unwrap();
    buffer.flush().unwrap();
    assert_eq!(&contents(&buffer)[..6], b"hello!");
    buffer.write_all(b"??").unwrap();
    buffer.rollback(6); // Only buffered bytes go.
    buffer.flush().unwrap();
    assert_eq!(buffer.len(), 6);
    assert_eq!(&contents(&buffer)[..6], b"hello!");
}

#[test]
fn pool_returns_buffers_zeroed() {
    let pool = SpillPool::new(4, 2);
    let mut buffer = pool.get().unwrap();
    buffer
        .write_all(b"some content spilling to the file")
        .unwrap();
    buffer.write_all(b"+buffered").unwrap();
    assert!(buffer.offset() > 0);
    pool.put(buffer);
    assert_eq!(pool.idle_count(), 1);
    let buffer = pool.get().unwrap();
    assert_eq!(
        (buffer.offset(), buffer.buffered(), buffer.len()),
        (0, 0, 0)
    );
    let mut byte = [0u8; 1];
    assert_eq!(buffer.read_at(&mut byte, 0).unwrap(), 0, "file truncated");
    // At most max_idle are kept.
    let extra: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    pool.put(buffer);
    for b in extra {
        pool.put(b);
    }
    assert_eq!(pool.idle_count(), 2);
    pool.clear();
    assert_eq!(pool.idle_count(), 0);
}

#[tokio::test]
async fn release_reports_write_errors_and_rolls_back() {
    let env = TestEnv::start(1).await;
    let journal = env
        .create_journal("write-err", CompressionCodec::None)
        .await;
    let disk = Arc::new(FlakyDisk::default());
    let factory_disk = disk.clone();
    let svc = service(
        &env,
        AppendServiceConfig {
            buffer_size: 4,
            spill_factory: Some(Arc::new(move || {
                Ok(factory_disk.clone() as Arc<dyn SpillFile>)
            })),
            ..Default::default()
        },
    );
    let gate = AsyncOperation::new();
    let gated: OpFutures = [gate.future()].into_iter().collect();

    let mut aa = svc.start_append(req(&journal), gated.clone()).await;
    aa.write_all(b"first ").unwrap();
    let fut = aa.release().unwrap();

    let mut aa = svc.start_append(req(&journal), gated.clone()).await;
    aa.write_all(b"ok so far ").unwrap();
    disk.failing.store(true, Ordering::SeqCst);
    // The caller may ignore write errors; they are sticky...
    let _ = aa.write_all(b"this fails");
    disk.failing.store(false, Ordering::SeqCst);
    assert!(aa.write_all(b"and so does this").is_err());
    // ...and release reports them, rolling back this caller's bytes.
    assert_eq!(aa.release().unwrap_err().to_string(), "disk on fire");

    let mut aa = svc.start_append(req(&journal), gated).await;
    aa.write_all(b"second").unwrap();
    assert!(aa.release().unwrap().ptr_eq(&fut));
    gate.resolve(Ok(()));
    fut.wait().await.unwrap();
    assert_eq!(read_all(&env, &journal).await, b"first second");

    // The next append on the journal proceeds normally.
    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
    aa.write_all(b" third").unwrap();
    aa.release().unwrap().wait().await.unwrap();
    assert_eq!(read_all(&env, &journal).await, b"first second third");
}

#[tokio::test]
async fn flush_failures_before_the_rpc_are_retried() {
    // A batch whose buffered bytes can't reach the disk yet waits (retrying)
    // instead of failing or losing them.
    let env = TestEnv::start(1).await;
    let journal = env
        .create_journal("flush-retry", CompressionCodec::None)
        .await;
    let disk = Arc::new(FlakyDisk::default());
    let factory_disk = disk.clone();
    let svc = service(
        &env,
        AppendServiceConfig {
            buffer_size: 64,
            spill_factory: Some(Arc::new(move || {
                Ok(factory_disk.clone() as Arc<dyn SpillFile>)
            })),
            ..Default::default()
        },
    );
    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
    aa.write_all(b"still buffered").unwrap();
    disk.failing.store(true, Ordering::SeqCst);
    let fut = aa.release().unwrap();
    // The dispatcher tried (and failed) to flush twice: it retries, and the
    // batch still waits.
    eventually("two refused flushes", || {
        disk.refused.load(Ordering::SeqCst) >= 2
    })
    .await;
    assert!(!fut.is_done());
    disk.failing.store(false, Ordering::SeqCst);
    fut.wait().await.unwrap();
    assert_eq!(read_all(&env, &journal).await, b"still buffered");
}
