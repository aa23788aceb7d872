//! Read: metadata frames and content frames from the fragment index, blocking
//! at the write head when asked to (§2.2).

use bytes::Bytes;
use gazette_protocol::{ReadRequest, ReadResponse, Status};
use tokio::sync::mpsc;

use crate::faults::{Fault, Rpc};
use crate::journal::{lookup, Entry, JournalContent, Lookup, Source};
use crate::server::{Broker, Resolved};
use crate::{codec, helpers, store};

/// Largest content frame (Gazette v0.103+).
pub(crate) const MAX_CHUNK: usize = 32 * 1024 - 32;

type Tx = mpsc::Sender<Result<ReadResponse, tonic::Status>>;

/// Checks a ReadRequest as a broker does before serving it.
pub(crate) fn validate(req: &ReadRequest) -> Result<(), String> {
    helpers::validate(req)
}

/// The bytes `[from, to)` of an index entry, or None if the entry moved away
/// (the spool rolled, a file vanished) and the index should be asked again.
async fn entry_bytes(
    content: &JournalContent,
    entry: &Entry,
    from: i64,
    to: i64,
) -> Result<Option<Bytes>, tonic::Status> {
    let f = &entry.fragment;
    match &entry.source {
        Source::Spool => {
            let st = content.lock();
            if st.spool.begin > from || st.spool.end() < to {
                return Ok(None);
            }
            Ok(Some(st.spool.slice(from, to)))
        }
        Source::Memory(b) => Ok(Some(
            b.slice((from - f.begin) as usize..(to - f.begin) as usize),
        )),
        Source::File(path) => {
            let (path, codec) = (path.clone(), f.compression_codec);
            let raw = match tokio::fs::read(&path).await {
                Ok(raw) => raw,
                Err(_) => {
                    // Gone from the store: list it again before retrying.
                    content.lock().listing = None;
                    return Ok(None);
                }
            };
            let data = tokio::task::spawn_blocking(move || codec::decompress(codec, &raw))
                .await
                .map_err(|e| tonic::Status::internal(e.to_string()))?
                .map_err(|e| tonic::Status::unknown(format!("decoding {}: {e}", path.display())))?;
            if data.len() as i64 != f.end - f.begin {
                return Err(tonic::Status::unknown(format!(
                    "fragment {} decodes to {} bytes, expected {}",
                    path.display(),
                    data.len(),
                    f.end - f.begin
                )));
            }
            let data = Bytes::from(data);
            Ok(Some(
                data.slice((from - f.begin) as usize..(to - f.begin) as usize),
            ))
        }
    }
}

impl Broker {
    /// Serves Read into `tx` (a spawned task; ends when `tx` is dropped).
    pub(crate) async fn serve_read(self, req: ReadRequest, tx: Tx) {
        if let Some(fault) = self.cluster.faults.take_failure(Rpc::Read) {
            let msg = match fault {
                Fault::Grpc(code, m) => Err(tonic::Status::new(code, m)),
                Fault::Status(s) => Ok(ReadResponse {
                    status: s as i32,
                    header: Some(self.status_header(&req.journal)),
                    ..Default::default()
                }),
            };
            let _ = tx.send(msg).await;
            return;
        }
        let header_rev = req
            .header
            .as_ref()
            .and_then(|h| h.etcd.as_ref())
            .map_or(0, |e| e.revision);
        if !self
            .await_revision(req.min_etcd_revision.max(header_rev))
            .await
        {
            return;
        }
        let resolved = self.resolve(&req.journal, false, req.do_not_proxy, req.header.as_ref());
        let resolved = match resolved {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let (spec, route, content) = match resolved {
            Resolved::Local {
                spec,
                route,
                content,
            } => (spec, route, content),
            Resolved::Status(status, header) => {
                let _ = tx
                    .send(Ok(ReadResponse {
                        status: status as i32,
                        header: Some(header),
                        ..Default::default()
                    }))
                    .await;
                return;
            }
            Resolved::Proxy(to) => return self.proxy_read(to, req, tx).await,
        };
        let mut header = Some(self.cluster.header(self.me, route, self.revision()));
        if spec.flags == 2 {
            // O_WRONLY journals cannot be read.
            let _ = tx
                .send(Ok(ReadResponse {
                    status: Status::NotAllowed as i32,
                    header,
                    ..Default::default()
                }))
                .await;
            return;
        }
        let mut cut = self.cluster.faults.take_cut(Rpc::Read);
        let root = self.cluster.store_root.clone();
        let mut changes = self.cluster.subscribe();
        let mut stop = self.stop.clone();
        let mut offset = req.offset;
        // v0.89 has no ReadRequest.begin_mod_time: it reads from `offset`.
        let begin_mod_time = if self.cluster.version.has_create_revision_and_read_mod_time() {
            req.begin_mod_time
        } else {
            0
        };
        loop {
            changes.borrow_and_update();
            let (index, write_head) = content.index(&spec, root.as_deref());
            let (at, entry) = match lookup(&index, write_head, offset, begin_mod_time) {
                Lookup::Found { offset, entry } => (offset, entry),
                Lookup::NotYet { offset: at } => {
                    offset = at;
                    if !req.block {
                        let _ = tx
                            .send(Ok(ReadResponse {
                                status: Status::OffsetNotYetAvailable as i32,
                                header: header.take(),
                                offset,
                                write_head,
                                ..Default::default()
                            }))
                            .await;
                        return;
                    }
                    self.cluster.counters.bump_read_wait();
                    tokio::select! {
                        r = changes.changed() => if r.is_err() { return },
                        _ = stop.wait_for(|s| *s) => return,
                        _ = tx.closed() => return,
                    }
                    continue;
                }
            };
            offset = at;
            let f = entry.fragment.clone();
            let persisted = !f.backing_store.is_empty() && f.mod_time != 0;
            let meta = ReadResponse {
                status: Status::Ok as i32,
                header: header.take(),
                offset,
                write_head,
                fragment_url: if persisted {
                    store::fragment_url(&f)
                } else {
                    String::new()
                },
                fragment: Some(f.clone()),
                content: Bytes::new(),
            };
            if tx.send(Ok(meta)).await.is_err() {
                return;
            }
            let past_end = req.end_offset != 0 && offset >= req.end_offset;
            if req.metadata_only || (persisted && req.do_not_proxy) || past_end {
                return;
            }
            let to = if req.end_offset != 0 {
                f.end.min(req.end_offset)
            } else {
                f.end
            };
            let data = match entry_bytes(&content, &entry, offset, to).await {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            for chunk in data.chunks(MAX_CHUNK) {
                let mut chunk = data.slice_ref(chunk);
                if let Some(left) = cut.as_mut() {
                    if (chunk.len() as u64) >= *left {
                        chunk.truncate(*left as usize);
                        if !chunk.is_empty() {
                            let _ = tx.send(Ok(content_frame(offset, chunk))).await;
                        }
                        let _ = tx
                            .send(Err(tonic::Status::unavailable(
                                "devbroker: read stream cut (fault injection)",
                            )))
                            .await;
                        return;
                    }
                    *left -= chunk.len() as u64;
                }
                let n = chunk.len() as i64;
                if tx.send(Ok(content_frame(offset, chunk))).await.is_err() {
                    return;
                }
                offset += n;
            }
            if req.end_offset != 0 && offset >= req.end_offset {
                return;
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

fn content_frame(offset: i64, content: Bytes) -> ReadResponse {
    ReadResponse {
        offset,
        content,
        ..Default::default()
    }
}
