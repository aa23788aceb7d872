//! Checking a fragment store through the brokers: Go's
//! `FragmentStoreHealth`.

use super::client::Client;
use super::error::{Error, Result};
use super::rpc::call_default;
use crate::protocol::{FragmentStoreHealthRequest, FragmentStoreHealthResponse, Status, Validate};

/// Asks a broker about the health of `fragment_store` (a store URL such as
/// `s3://bucket/prefix/`). OK and FRAGMENT_STORE_UNHEALTHY both return the
/// response (the latter with its `store_health_error`); other statuses are
/// errors. A non-empty `check_delete_prefix` also checks that objects under
/// it can be deleted (newer brokers only).
pub async fn fragment_store_health(
    client: &Client,
    fragment_store: &str,
    check_delete_prefix: &str,
) -> Result<FragmentStoreHealthResponse> {
    let request = FragmentStoreHealthRequest {
        fragment_store: fragment_store.to_string(),
        check_delete: !check_delete_prefix.is_empty(),
        check_delete_prefix: check_delete_prefix.to_string(),
    };
    let auth = client
        .auth_header(crate::auth::claims::store_health())
        .await?;
    let (_, response) = call_default(client, |mut grpc| {
        let request = crate::client::with_auth(request.clone(), &auth);
        async move { Ok(grpc.fragment_store_health(request).await?.into_inner()) }
    })
    .await?;
    response.validate()?;
    let status = Status::try_from(response.status).expect("validated");
    match status {
        Status::Ok | Status::FragmentStoreUnhealthy => Ok(response),
        _ => Err(Error::from_status(status, &response.store_health_error).expect("not OK")),
    }
}
