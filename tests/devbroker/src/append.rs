//! Append: preconditions, then content chunks held back until the empty
//! commit chunk and EOF, then one atomic commit to the spool (§2.5).

use bytes::BytesMut;
use gazette_protocol::{AppendRequest, AppendResponse, Fragment, LabelSet, Status};
use sha1::{Digest, Sha1};

use crate::faults::Rpc;
use crate::helpers;
use crate::server::{Broker, Resolved};

/// Checks the first message of an Append stream.
fn validate_first(req: &AppendRequest) -> Result<(), String> {
    if req.journal.is_empty() {
        return Err("Journal: invalid length (0; expected 4 <= length <= 512)".into());
    }
    helpers::validate(req)
}

/// The next message of an Append stream, unless the broker stops or the
/// client falls below the minimum rate (`deadline`) first.
async fn next_message(
    stream: &mut tonic::Streaming<AppendRequest>,
    stop: &mut tokio::sync::watch::Receiver<bool>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Option<AppendRequest>, tonic::Status> {
    let too_slow = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        m = stream.message() => m,
        _ = stop.wait_for(|s| *s) => Err(tonic::Status::unavailable("broker is stopping")),
        _ = too_slow => Err(tonic::Status::unknown(
            "client stream didn't sustain the minimum append data rate",
        )),
    }
}

fn is_empty_set(s: &Option<LabelSet>) -> bool {
    s.as_ref().is_none_or(|s| s.labels.is_empty())
}

impl Broker {
    /// The registers of `journal` (empty if it does not exist).
    fn current_registers(&self, journal: &str) -> LabelSet {
        let content = self
            .cluster
            .etcd()
            .journals
            .get(journal)
            .map(|j| j.content.clone());
        content
            .map(|c| c.lock().registers.clone())
            .unwrap_or_default()
    }

    /// Serves Append. gRPC errors roll everything back; statuses are in-band.
    pub(crate) async fn serve_append(
        &self,
        mut stream: tonic::Streaming<AppendRequest>,
        injected: Option<Status>,
    ) -> Result<AppendResponse, tonic::Status> {
        let first = stream
            .message()
            .await?
            .ok_or_else(|| tonic::Status::unknown("append stream: unexpected EOF"))?;
        validate_first(&first).map_err(tonic::Status::unknown)?;
        let reply = |status: Status, header| AppendResponse {
            status: status as i32,
            header: Some(header),
            ..Default::default()
        };
        if let Some(s) = injected {
            let mut r = reply(s, self.status_header(&first.journal));
            if s == Status::FragmentStoreUnhealthy {
                // Real brokers explain an unhealthy store.
                r.store_health_error = "injected fault: fragment store unhealthy".to_string();
            }
            if s == Status::RegisterMismatch {
                // A valid REGISTER_MISMATCH carries the current registers.
                r.registers = Some(self.current_registers(&first.journal));
            }
            return Ok(r);
        }
        let header_rev = first
            .header
            .as_ref()
            .and_then(|h| h.etcd.as_ref())
            .map_or(0, |e| e.revision);
        if !self
            .await_revision(first.min_etcd_revision.max(header_rev))
            .await
        {
            return Err(tonic::Status::unavailable("broker is stopping"));
        }
        let (spec, route, content) = match self.resolve(
            &first.journal,
            true,
            first.do_not_proxy,
            first.header.as_ref(),
        )? {
            Resolved::Local {
                spec,
                route,
                content,
            } => (spec, route, content),
            Resolved::Status(s, header) => return Ok(reply(s, header)),
            Resolved::Proxy(to) => return self.proxy_append(to, first, stream).await,
        };
        let _pipeline = content.pipeline.lock().await;
        self.cluster.counters.bump_pipeline_taken();
        let header = self.cluster.header(self.me, route, self.revision());
        let root = self.cluster.store_root.clone();

        // Preconditions, before any content is read.
        {
            let mut st = content.lock();
            if let Some(sel) = &first.check_registers {
                if !st.registers.labels.is_empty() && !helpers::selector_matches(sel, &st.registers)
                {
                    return Ok(AppendResponse {
                        registers: Some(st.registers.clone()),
                        ..reply(Status::RegisterMismatch, header)
                    });
                }
            }
            if first.offset != 0 && first.offset != st.spool.end() {
                return Ok(reply(Status::WrongAppendOffset, header));
            }
            if spec.flags == 1 {
                // O_RDONLY journals cannot be written.
                return Ok(reply(Status::NotAllowed, header));
            }
            if st.should_roll(&spec) {
                st.roll(&spec, root.as_deref());
                drop(st);
                self.cluster.notify();
            }
        }

        // Content, held back until the commit.
        let cut = self.cluster.faults.take_cut(Rpc::Append);
        let mut buf = BytesMut::new();
        let mut chunks = 0i64;
        let mut stop = self.stop.clone();
        let started = tokio::time::Instant::now();
        let min_rate = self.cluster.min_append_rate;
        // Like Gazette's MinAppendRate: after one second of credit, the
        // client must keep up `min_rate` bytes per second.
        let deadline = |received: usize| {
            (min_rate > 0).then(|| {
                started
                    + std::time::Duration::from_secs(1)
                    + std::time::Duration::from_secs_f64(received as f64 / min_rate as f64)
            })
        };
        loop {
            let msg = next_message(&mut stream, &mut stop, deadline(buf.len())).await?;
            let Some(msg) = msg else {
                return Err(tonic::Status::unknown("append stream: unexpected EOF"));
            };
            chunks += 1;
            if !msg.journal.is_empty() {
                return Err(tonic::Status::unknown("append stream: unexpected Journal"));
            }
            // Content messages carry nothing else; the empty one commits.
            helpers::validate(&msg).map_err(tonic::Status::unknown)?;
            if msg.content.is_empty() {
                break;
            }
            buf.extend_from_slice(&msg.content);
            if let Some(limit) = cut {
                if buf.len() as u64 >= limit {
                    return Err(tonic::Status::unavailable(
                        "devbroker: append cut (fault injection)",
                    ));
                }
            }
        }
        if next_message(&mut stream, &mut stop, deadline(buf.len()))
            .await?
            .is_some()
        {
            return Err(tonic::Status::unknown(
                "append stream: expected EOF after empty Content chunk",
            ));
        }
        let changes_registers =
            !is_empty_set(&first.union_registers) || !is_empty_set(&first.subtract_registers);
        if buf.is_empty() && changes_registers {
            return Err(tonic::Status::unknown(
                "register modification requires non-empty Append",
            ));
        }

        // Commit.
        let mut st = content.lock();
        let begin = st.spool.end();
        st.spool.extend(&buf);
        if !buf.is_empty() {
            st.registers = helpers::update_registers(
                &st.registers,
                &first.subtract_registers.clone().unwrap_or_default(),
                &first.union_registers.clone().unwrap_or_default(),
            );
        }
        let commit = Fragment {
            journal: content.name.clone(),
            begin,
            end: begin + buf.len() as i64,
            sum: Some(helpers::sum_from_digest(&Sha1::digest(&buf))),
            compression_codec: st.spool.codec,
            ..Default::default()
        };
        let registers = st.registers.clone();
        drop(st);
        self.cluster.notify();
        Ok(AppendResponse {
            commit: Some(commit),
            registers: Some(registers),
            total_chunks: chunks,
            ..reply(Status::Ok, header)
        })
    }
}
