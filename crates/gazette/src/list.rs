//! Listing and applying journals, listing fragments, and store health:
//! Go's `ListAllJournals`, `GetJournal`, `ApplyJournals`,
//! `ApplyJournalsInBatches`, `ListAllFragments` and `FragmentStoreHealth`.

use tonic::transport::Channel;
use tonic::Streaming;

use super::error::{Error, Result};
use super::router::{Client, Dispatch};
use super::stats::Stats;
use crate::protocol::journal_client::JournalClient;
use crate::protocol::{
    list_response, ApplyRequest, ApplyResponse, FragmentStoreHealthRequest,
    FragmentStoreHealthResponse, FragmentsRequest, FragmentsResponse, Label, LabelSelector,
    LabelSet, ListRequest, ListResponse, Status, Validate,
};
use crate::protocol::{strip_meta, validate::validate_list_chunk};

/// Runs one unary-ish RPC step under the request timeout and reports its
/// outcome to the client (a transport failure moves to another endpoint or
/// forgets `journal`'s route).
async fn call<T, F>(
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
        .await;
    match &result {
        Ok(_) => client.report_success(dispatch),
        Err(err) => client.report_error(journal, dispatch, err),
    }
    result
}

/// Runs a read-only RPC on a default endpoint; after a transport failure
/// (`Unavailable`) it tries each other configured endpoint once.
async fn call_default<T, F, Fut>(client: &Client, mut rpc: F) -> Result<(Dispatch, T)>
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

/// Lists every journal matching `request.selector`, concatenating the
/// chunks of a streamed listing (a pre-v0.100 broker's single response is
/// the same stream of one). The listed routes are cached. A transport
/// failure moves on to the next configured endpoint (once each).
///
/// A `watch` request is refused: a watch never ends.
pub async fn list_all_journals(client: &Client, request: ListRequest) -> Result<ListResponse> {
    if request.watch {
        return Err(Error::InvalidArgument(
            "list_all_journals doesn't support watch".into(),
        ));
    }
    let resume_revision = request
        .watch_resume
        .as_ref()
        .and_then(|h| h.etcd.as_ref())
        .map(|etcd| etcd.revision);
    let (dispatch, (mut stream, first)) = call_default(client, |mut grpc| {
        let request = client.request(request.clone());
        async move {
            let mut stream = grpc.list(request).await?.into_inner();
            let first = stream.message().await?;
            Ok((stream, first))
        }
    })
    .await?;
    let mut response = first
        .ok_or_else(|| Error::Protocol("unexpected end of List stream before a response".into()))?;
    check_first_list_response(&response, resume_revision)?;
    read_list_chunks(client, &dispatch, &mut stream, &mut response).await?;

    for journal in &response.journals {
        if let (Some(spec), Some(route)) = (&journal.spec, &journal.route) {
            client.update_route(&spec.name, route);
        }
    }
    Ok(response)
}

/// Validates a listing's first message and maps a non-OK status.
fn check_first_list_response(response: &ListResponse, resume: Option<i64>) -> Result<()> {
    response.validate()?;
    Error::check_status(response.status, "")?;
    if let Some(resume) = resume {
        let revision = response
            .header
            .as_ref()
            .and_then(|h| h.etcd.as_ref())
            .map_or(0, |etcd| etcd.revision);
        if revision <= resume {
            return Err(Error::Protocol(format!(
                "expected ListResponse.Header.Etcd.Revision ({revision}) > ListRequest.WatchResume.Etcd.Revision ({resume})"
            )));
        }
    }
    Ok(())
}

/// Appends continuation chunks to `response` until the stream ends.
async fn read_list_chunks(
    client: &Client,
    dispatch: &Dispatch,
    stream: &mut Streaming<ListResponse>,
    response: &mut ListResponse,
) -> Result<()> {
    loop {
        let next = client
            .with_request_timeout(async { stream.message().await.map_err(Error::from) })
            .await;
        let chunk = match next {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(()),
            Err(err) => {
                client.report_error(None, dispatch, &err);
                return Err(err);
            }
        };
        validate_list_chunk(&chunk)?;
        if chunk.journals.is_empty() {
            return Err(Error::Protocol(
                "unexpected empty ListResponse.Journals in unary listing".into(),
            ));
        }
        response.journals.extend(chunk.journals);
    }
}

/// Fetches the listing of one journal (by name; a `;meta` suffix is
/// ignored). No such journal → [`Error::NamedJournalDoesNotExist`].
pub async fn get_journal(client: &Client, journal: &str) -> Result<list_response::Journal> {
    let request = ListRequest {
        selector: Some(LabelSelector {
            include: Some(LabelSet {
                labels: vec![Label {
                    name: "name".into(),
                    value: strip_meta(journal).into(),
                    prefix: false,
                }],
            }),
            exclude: None,
        }),
        ..Default::default()
    };
    let response = list_all_journals(client, request).await?;
    response
        .journals
        .into_iter()
        .next()
        .ok_or_else(|| Error::NamedJournalDoesNotExist {
            journal: journal.to_string(),
        })
}

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
        let request = client.request(ApplyRequest { changes: batch });
        last = call(client, None, &dispatch, async {
            Ok(grpc.apply(request).await?.into_inner())
        })
        .await?;
        last.validate()?;
        Error::check_status(last.status, "")?;
    }
    Ok(last)
}

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
        let page = call(client, Some(&journal), &dispatch, async {
            Ok(grpc
                .list_fragments(client.request(request.clone()))
                .await?
                .into_inner())
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
    let (_, response) = call_default(client, |mut grpc| {
        let request = client.request(request.clone());
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
