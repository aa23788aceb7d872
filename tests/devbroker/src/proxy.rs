//! Proxying: a broker that may not serve a journal relays the RPC over real
//! gRPC to a broker that may, passing frames back unchanged, so the client
//! sees the serving broker's header (§2.1).

use gazette_protocol::journal_client::JournalClient;
use gazette_protocol::{
    AppendRequest, AppendResponse, FragmentsRequest, FragmentsResponse, Header, ReadRequest,
    ReadResponse,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::server::Broker;

impl Broker {
    /// A client for broker `to` over the cluster's shared, lazily connected
    /// channel (not a new connection per proxied RPC).
    fn peer(&self, to: usize) -> Result<JournalClient<tonic::transport::Channel>, tonic::Status> {
        let mut peers = self.cluster.peers.lock().unwrap_or_else(|p| p.into_inner());
        let channel = match peers.get(&to) {
            Some(c) => c.clone(),
            None => {
                let endpoint = tonic::transport::Endpoint::from_shared(
                    self.cluster.brokers[to].endpoint.clone(),
                )
                .map_err(|e| tonic::Status::internal(format!("peer endpoint: {e}")))?
                .tcp_nodelay(true);
                let c = endpoint.connect_lazy();
                peers.insert(to, c.clone());
                c
            }
        };
        Ok(JournalClient::new(channel)
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20))
    }

    /// The header a proxied request carries: the peer's id and the route.
    fn proxy_header(&self, journal: &str, to: usize) -> Header {
        let mut h = self.status_header(journal);
        h.process_id = Some(self.cluster.brokers[to].id.clone());
        h
    }

    /// Relays a Read to broker `to`.
    pub(crate) async fn proxy_read(
        &self,
        to: usize,
        mut req: ReadRequest,
        tx: mpsc::Sender<Result<ReadResponse, tonic::Status>>,
    ) {
        req.header = Some(self.proxy_header(&req.journal, to));
        let mut stream = match self.peer(to) {
            Ok(mut c) => match c.read(req).await {
                Ok(r) => r.into_inner(),
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            },
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let mut stop = self.stop.clone();
        loop {
            let next = tokio::select! {
                m = stream.message() => m,
                // A stopping proxy ends relayed reads cleanly.
                _ = stop.wait_for(|s| *s) => return,
                _ = tx.closed() => return,
            };
            match next {
                Ok(Some(m)) => {
                    if tx.send(Ok(m)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    }

    /// Relays an Append to the primary `to`: the first message (already read)
    /// and then the client's stream as it arrives; a client that ends without
    /// the commit chunk makes the relayed stream end the same way.
    pub(crate) async fn proxy_append(
        &self,
        to: usize,
        mut first: AppendRequest,
        mut stream: tonic::Streaming<AppendRequest>,
    ) -> Result<AppendResponse, tonic::Status> {
        first.header = Some(self.proxy_header(&first.journal, to));
        let mut peer = self.peer(to)?;
        let (tx, rx) = mpsc::channel(16);
        tx.send(first).await.ok();
        let relay = tokio::spawn(async move {
            while let Ok(Some(m)) = stream.message().await {
                if tx.send(m).await.is_err() {
                    break;
                }
            }
        });
        let res = peer.append(ReceiverStream::new(rx)).await;
        relay.abort();
        res.map(|r| r.into_inner())
    }

    /// Relays ListFragments to broker `to`.
    pub(crate) async fn proxy_list_fragments(
        &self,
        to: usize,
        mut req: FragmentsRequest,
    ) -> Result<FragmentsResponse, tonic::Status> {
        req.header = Some(self.proxy_header(&req.journal, to));
        Ok(self.peer(to)?.list_fragments(req).await?.into_inner())
    }
}
