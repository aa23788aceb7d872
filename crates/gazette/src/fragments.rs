//! Listing a journal's fragments: Go's `ListAllFragments`.

use super::client::Client;
use super::error::{Error, Result};
use super::rpc::call;
use crate::protocol::{FragmentsRequest, FragmentsResponse, Validate};

/// Lists every fragment of `request.journal` that passes its filters,
/// following page tokens: the result is the first page's response with
/// later pages' fragments appended and `next_page_token` zeroed.
///
/// The RPC goes to a member of the journal's cached route; the response
/// header refreshes that route.
pub async fn list_all_fragments(
    client: &Client,
    mut request: FragmentsRequest,
) -> Result<FragmentsResponse> {
    let journal = request.journal.clone();
    let mut result: Option<FragmentsResponse> = None;
    loop {
        let dispatch = client.journal_client_for(&journal, false)?;
        let mut grpc = dispatch.client.clone();
        let rpc = client
            .request(
                request.clone(),
                crate::auth::claims::list_fragments(&journal),
            )
            .await?;
        let page = call(client, Some(&journal), &dispatch, async {
            Ok(grpc.list_fragments(rpc).await?.into_inner())
        })
        .await?;
        page.validate()?;
        if let Some(route) = page.header.as_ref().and_then(|h| h.route.as_ref()) {
            client.update_route(&journal, route);
        }
        Error::check_status(page.status, "")?;

        let token = page.next_page_token;
        match &mut result {
            None => result = Some(page),
            Some(result) => result.fragments.extend(page.fragments),
        }
        if token == 0 {
            break;
        }
        request.next_page_token = token;
    }
    let mut result = result.expect("at least one page");
    result.next_page_token = 0;
    Ok(result)
}
