//! Replays exchanges captured from a real Gazette broker (v0.99.0) through
//! the scripted broker: the client must send byte-identical requests where
//! the Go client's requests are determined, and handle the real responses.

mod client_common;
mod common;

use bytes::Bytes;
use common::scripted::Stub;
use common::VECTORS;
use gazette::append::{append, ContentSource};
use gazette::appender::Appender;
use gazette::protocol::{
    AppendRequest, AppendResponse, ApplyRequest, ApplyResponse, FragmentsRequest,
    FragmentsResponse, ListRequest, ListResponse,
};
use gazette::Error;
use gazette::{apply_journals, list_all_fragments, list_all_journals};
use prost::Message;

fn bin(name: &str) -> Vec<u8> {
    std::fs::read(format!("{VECTORS}/wire/{name}.bin")).expect("vector")
}

fn decode<M: Message + Default>(name: &str) -> M {
    M::decode(&bin(name)[..]).expect("decode vector")
}

/// Points a captured header's route at the stub, which stands in for the
/// captured broker (`http://localhost:8080`), so follow-up RPCs that the
/// route cache dispatches reach it.
fn localize(header: &mut Option<gazette::protocol::Header>, stub: &Stub) {
    let route = header.as_mut().and_then(|h| h.route.as_mut()).unwrap();
    for endpoint in &mut route.endpoints {
        assert_eq!(endpoint, "http://localhost:8080");
        *endpoint = stub.endpoint.clone();
    }
}

#[tokio::test]
async fn append_exchange_matches_the_go_client() {
    let stub = Stub::start().await;
    let response: AppendResponse = decode("append_response");
    stub.script().appends.push_back(response.clone());
    let request: AppendRequest = decode("append_request_first");
    let chunks: Vec<Bytes> = [
        "append_request_content",
        "append_request_content_2",
        "append_request_content_3",
    ]
    .iter()
    .map(|name| decode::<AppendRequest>(name).content)
    .collect();
    let sources: Vec<&dyn ContentSource> = chunks.iter().map(|c| c as &dyn ContentSource).collect();
    let client = stub.client();
    let got = append(&client, request.clone(), &sources).await.unwrap();
    assert_eq!(got, response);

    let (messages, clean_eof) = stub.script().append_streams.remove(0);
    assert_eq!(messages[0].encode_to_vec(), bin("append_request_first"));
    assert_eq!(
        messages.last().unwrap().encode_to_vec(),
        bin("append_request_commit"),
        "the empty commit message"
    );
    let sent: Vec<u8> = messages[1..messages.len() - 1]
        .iter()
        .flat_map(|m| m.content.to_vec())
        .collect();
    assert_eq!(sent, chunks.concat());
    assert!(clean_eof);
    let route = client.route_cache().get(&request.journal).unwrap();
    assert_eq!(route.endpoints, ["http://localhost:8080"]);
}

#[tokio::test]
async fn real_precondition_failures_map_to_named_errors() {
    let stub = Stub::start().await;
    for name in [
        "append_response_register_mismatch",
        "append_response_wrong_offset",
    ] {
        let mut response: AppendResponse = decode(name);
        localize(&mut response.header, &stub);
        stub.script().appends.push_back(response);
    }
    let client = stub.client();

    let request: AppendRequest = decode("append_request_register_mismatch");
    let mut app = Appender::new(&client, request);
    let err = app.close().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "selector owner=someone-else doesn't match registers epoch=2,owner=vectors-capture: REGISTER_MISMATCH"
    );
    assert_eq!(app.response.registers.unwrap().labels.len(), 2);
    let (messages, _) = stub.script().append_streams.remove(0);
    assert_eq!(
        messages[0].encode_to_vec(),
        bin("append_request_register_mismatch")
    );

    let request: AppendRequest = decode("append_request_wrong_offset");
    let mut app = Appender::new(&client, request);
    let err = app.close().await.unwrap_err();
    assert!(matches!(err, Error::WrongAppendOffset));
    let (messages, _) = stub.script().append_streams.remove(0);
    assert_eq!(
        messages[0].encode_to_vec(),
        bin("append_request_wrong_offset")
    );
}

#[tokio::test]
async fn real_list_and_apply_responses() {
    let stub = Stub::start().await;
    let listing: ListResponse = decode("list_response");
    stub.script().lists.push_back(vec![listing.clone()]);
    let client = stub.client();
    let request: ListRequest = decode("list_request");
    let got = list_all_journals(&client, request).await.unwrap();
    assert_eq!(got, listing);
    assert_eq!(
        stub.script().list_requests[0].encode_to_vec(),
        bin("list_request")
    );
    for journal in &listing.journals {
        let name = &journal.spec.as_ref().unwrap().name;
        assert!(client.route_cache().get(name).is_some(), "{name} cached");
    }

    stub.script()
        .applies
        .push_back(decode::<ApplyResponse>("apply_response"));
    stub.script().applies.push_back(decode::<ApplyResponse>(
        "apply_response_etcd_transaction_failed",
    ));
    let request: ApplyRequest = decode("apply_request");
    apply_journals(&client, request).await.unwrap();
    assert_eq!(
        stub.script().apply_requests[0].encode_to_vec(),
        bin("apply_request")
    );
    let request: ApplyRequest = decode("apply_request_etcd_transaction_failed");
    let err = apply_journals(&client, request).await.unwrap_err();
    assert_eq!(err.to_string(), "ETCD_TRANSACTION_FAILED");
}

#[tokio::test]
async fn real_fragment_pages_are_followed_with_identical_requests() {
    let stub = Stub::start().await;
    let pages: Vec<FragmentsResponse> = (1..=3)
        .map(|i| decode(&format!("fragments_response_page{i}")))
        .collect();
    for page in &pages {
        let mut page = page.clone();
        localize(&mut page.header, &stub);
        stub.script().fragments.push_back(Ok(page));
    }
    let client = stub.client();
    let request: FragmentsRequest = decode("fragments_request_page1");
    let all = list_all_fragments(&client, request).await.unwrap();
    let expect: Vec<_> = pages.iter().flat_map(|p| p.fragments.clone()).collect();
    assert_eq!(all.fragments, expect);
    assert_eq!(all.next_page_token, 0);
    let mut first_header = pages[0].header.clone();
    localize(&mut first_header, &stub);
    assert_eq!(all.header, first_header);

    let sent: Vec<Vec<u8>> = stub
        .script()
        .fragments_requests
        .iter()
        .map(|r| r.encode_to_vec())
        .collect();
    let expect: Vec<Vec<u8>> = (1..=3)
        .map(|i| bin(&format!("fragments_request_page{i}")))
        .collect();
    assert_eq!(
        sent, expect,
        "page requests byte-identical to the Go client's"
    );
}
