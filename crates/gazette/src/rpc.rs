//! The steps shared by the one-shot RPCs (listings, apply, fragments,
//! store health): the request timeout, stats, and reporting each outcome to
//! the client's routing.

use tonic::transport::Channel;

use super::client::Client;
use super::error::{Error, Result};
use super::router::Dispatch;
use super::stats::Stats;
use crate::protocol::journal_client::JournalClient;

/// Runs one unary-ish RPC step under the request timeout and reports its
/// outcome to the client (a transport failure moves to another endpoint or
/// forgets `journal`'s route).
pub(crate) async fn call<T, F>(
    client: &Client,
    journal: Option<&str>,
    dispatch: &Dispatch,
    fut: F,
) -> Result<T>
where
    F: std::future::Future<Output = std::result::Result<T, tonic::Status>>,
{
    Stats::add(&client.stats().other_rpcs, 1);
    let result = client
        .with_request_timeout(async { fut.await.map_err(Error::from) })
        .await
        .map_err(|err| client.refine(err));
    match &result {
        Ok(_) => client.report_success(dispatch),
        Err(err) => client.report_error(journal, dispatch, err),
    }
    result
}

/// Runs a read-only RPC on a default endpoint; after a transport failure
/// (`Unavailable`) it tries each other configured endpoint once.
pub(crate) async fn call_default<T, F, Fut>(client: &Client, mut rpc: F) -> Result<(Dispatch, T)>
where
    F: FnMut(JournalClient<Channel>) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, tonic::Status>>,
{
    let mut tries = client.config().endpoints.len();
    loop {
        let dispatch = client.default_client()?;
        tries -= 1;
        match call(client, None, &dispatch, rpc(dispatch.client.clone())).await {
            Err(err) if err.is_unavailable() && tries > 0 => {
                Stats::add(&client.stats().retries, 1);
            }
            result => return result.map(|value| (dispatch, value)),
        }
    }
}
