//! Applying journal specs: Go's `ApplyJournals` and
//! `ApplyJournalsInBatches`.

use super::client::Client;
use super::error::{Error, Result};
use super::rpc::call;
use crate::protocol::{ApplyRequest, ApplyResponse, Validate};

/// Applies every change of `request` in one Apply RPC.
pub async fn apply_journals(client: &Client, request: ApplyRequest) -> Result<ApplyResponse> {
    apply_journals_in_batches(client, request, 0).await
}

/// Applies `request`'s changes in consecutive batches of at most `size`
/// (0 = all in one), one Apply RPC each, stopping at the first failure
/// (earlier batches stay applied). Returns the last response. An empty
/// change list still sends one (empty) Apply.
pub async fn apply_journals_in_batches(
    client: &Client,
    request: ApplyRequest,
    size: usize,
) -> Result<ApplyResponse> {
    let changes = request.changes;
    let size = if size == 0 {
        changes.len().max(1)
    } else {
        size
    };
    let batches: Vec<_> = if changes.is_empty() {
        vec![Vec::new()]
    } else {
        changes.chunks(size).map(<[_]>::to_vec).collect()
    };
    let mut last = ApplyResponse::default();
    for batch in batches {
        let dispatch = client.default_client()?;
        let mut grpc = dispatch.client.clone();
        let request = client
            .request(
                ApplyRequest { changes: batch },
                crate::auth::claims::apply(),
            )
            .await?;
        last = call(client, None, &dispatch, async {
            Ok(grpc.apply(request).await?.into_inner())
        })
        .await?;
        last.validate()?;
        Error::check_status(last.status, "")?;
    }
    Ok(last)
}
