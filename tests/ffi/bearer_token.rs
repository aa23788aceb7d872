//! The C ABI's bearer token reaches the wire: a client configured with
//! `gazette_config_set_bearer_token` sends `authorization: Bearer <token>`
//! with its RPCs, and one without sends none (checked by a scripted broker
//! on loopback that records the metadata of every RPC).

use std::ptr::null_mut;

use super::scripted::Stub;
use crate::client::*;
use crate::config::*;
use crate::list::*;
use crate::status::gazette_status as S;
use gazette::protocol::{ListResponse, Route};

/// A List answer with no journals, as a broker heads it.
fn empty_list(stub: &Stub) -> Vec<ListResponse> {
    let mut header = stub.header();
    header.route = Some(Route {
        members: vec![],
        primary: -1,
        endpoints: vec![],
    });
    vec![ListResponse {
        status: 0,
        header: Some(header),
        journals: vec![],
    }]
}

/// A C-ABI client of `endpoint`, with `token` if given.
fn client(endpoint: &str, token: Option<&str>) -> *mut gazette_client {
    let cfg = gazette_config_new();
    let st = gazette_config_add_endpoint(cfg, endpoint.as_ptr().cast(), endpoint.len(), null_mut());
    assert_eq!(st, S::Ok);
    if let Some(t) = token {
        let st = gazette_config_set_bearer_token(cfg, t.as_ptr().cast(), t.len(), null_mut());
        assert_eq!(st, S::Ok);
    }
    let mut c = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut c, null_mut()), S::Ok);
    gazette_config_free(cfg);
    c
}

fn list(c: *mut gazette_client) {
    let mut out = null_mut();
    let st = gazette_list_journals(c, "".as_ptr().cast(), 0, 10_000, &mut out, null_mut());
    assert_eq!(st, S::Ok);
    assert_eq!(gazette_journal_list_len(out), 0);
    gazette_journal_list_free(out);
}

#[test]
fn bearer_token_is_sent_with_rpcs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stub = rt.block_on(Stub::start());
    for _ in 0..2 {
        let answer = empty_list(&stub);
        stub.script().lists.push_back(answer);
    }

    let with = client(&stub.endpoint, Some("s3cr3t"));
    list(with);
    gazette_client_free(with);
    let without = client(&stub.endpoint, None);
    list(without);
    gazette_client_free(without);

    let auth = stub.script().auth.clone();
    assert_eq!(auth, vec![Some("Bearer s3cr3t".to_string()), None]);
    drop(stub);
}
