//! Listing journals: Go's `ListAllJournals` and `GetJournal`.

use tonic::Streaming;

use super::client::Client;
use super::error::{Error, Result};
use super::router::Dispatch;
use super::rpc::call_default;
use crate::protocol::{
    list_response, Label, LabelSelector, LabelSet, ListRequest, ListResponse, Validate,
};
use crate::protocol::{strip_meta, validate::validate_list_chunk};

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
    let auth = client
        .auth_header(crate::auth::claims::list(
            request.selector.as_ref().unwrap_or(&Default::default()),
            false,
        ))
        .await?;
    let (dispatch, (mut stream, first)) = call_default(client, |mut grpc| {
        let request = crate::client::with_auth(request.clone(), &auth);
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
