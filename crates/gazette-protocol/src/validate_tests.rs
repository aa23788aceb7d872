//! Unit tests of every [`Validate`] rule, with the exact texts Go produces.
//! One file (over 600 lines) on purpose: its cases follow validate.rs and
//! validate/rpc.rs message by message, like Go's protocol tests.

use super::*;
use prost_types::Duration;

fn err<T: Validate>(v: &T) -> String {
    v.validate()
        .expect_err("expected a validation error")
        .to_string()
}

fn id(zone: &str, suffix: &str) -> process_spec::Id {
    process_spec::Id {
        zone: zone.into(),
        suffix: suffix.into(),
    }
}

fn etcd() -> header::Etcd {
    header::Etcd {
        cluster_id: 1,
        member_id: 2,
        revision: 3,
        raft_term: 4,
    }
}

fn route() -> Route {
    Route {
        members: vec![
            id("a", "broker-1"),
            id("a", "broker-2"),
            id("b", "broker-1"),
        ],
        primary: 1,
        endpoints: vec!["http://a:1".into(), "".into(), "https://b/path".into()],
    }
}

fn header() -> Header {
    Header {
        process_id: Some(id("a", "broker-2")),
        route: Some(route()),
        etcd: Some(etcd()),
    }
}

fn unrouted_header() -> Header {
    Header {
        process_id: Some(id("local", "oracle")),
        route: Some(Route {
            primary: -1,
            ..Default::default()
        }),
        etcd: Some(etcd()),
    }
}

fn fragment() -> Fragment {
    Fragment {
        journal: "a/journal".into(),
        begin: 100,
        end: 200,
        sum: Some(Sha1Sum::default()),
        compression_codec: CompressionCodec::Gzip as i32,
        ..Default::default()
    }
}

fn secs(s: i64) -> Option<Duration> {
    Some(Duration {
        seconds: s,
        nanos: 0,
    })
}

fn spec() -> JournalSpec {
    JournalSpec {
        name: "a/journal".into(),
        replication: 3,
        labels: Some(LabelSet::from_pairs([("aa", "1"), ("bb", "2")])),
        fragment: Some(journal_spec::Fragment {
            length: 1 << 20,
            compression_codec: CompressionCodec::Snappy as i32,
            stores: vec!["s3://bucket/prefix/".into(), "file:///".into()],
            refresh_interval: secs(60),
            retention: secs(3600),
            flush_interval: secs(600),
            path_postfix_template: "date={{ .Spool.FirstAppendTime.Format \"2006-01-02\" }}".into(),
        }),
        flags: journal_spec::Flag::ORdwr as u32,
        max_append_rate: 0,
        suspend: None,
    }
}

#[test]
fn status() {
    assert!(validate::validate_status(15).is_ok());
    assert_eq!(
        validate::validate_status(1000).unwrap_err().to_string(),
        "invalid status (1000)"
    );
    let resp = FragmentsResponse {
        status: 1000,
        header: Some(header()),
        ..Default::default()
    };
    assert_eq!(err(&resp), "Status: invalid status (1000)");
}

#[test]
fn label_and_set() {
    assert!(Label::new("ab", "").validate().is_ok());
    assert_eq!(
        err(&Label::new("a", "v")),
        "Name: invalid length (1; expected 2 <= length <= 64)"
    );
    assert_eq!(
        err(&Label::new("a b", "v")),
        "Name: not a valid token (a b)"
    );
    assert_eq!(
        err(&Label::new("ab", "v v")),
        "Value: not a valid token (v v)"
    );

    let set = |labels: Vec<Label>| LabelSet { labels };
    assert!(set(vec![
        Label::new("aa", "1"),
        Label::new("aa", "2"),
        Label::new("bb", "")
    ])
    .validate()
    .is_ok());
    assert_eq!(
        err(&set(vec![Label::new("bb", "1"), Label::new("aa", "2")])),
        "Labels not in unique, sorted order (index 1; label name aa <= bb)"
    );
    assert_eq!(
        err(&set(vec![Label::new("aa", "2"), Label::new("aa", "1")])),
        "Labels not in unique, sorted order (index 1; label aa value 1 <= 2)"
    );
    assert_eq!(
        err(&set(vec![Label::new("aa", "1"), Label::new("aa", "1")])),
        "Labels not in unique, sorted order (index 1; label aa value 1 <= 1)"
    );
    assert_eq!(
        err(&set(vec![Label::new("aa", ""), Label::new("aa", "1")])),
        "Label has empty & non-empty values (index 1; label aa value 1)"
    );
    assert_eq!(
        err(&set(vec![Label::new("aa", "1"), Label::new("b", "1")])),
        "Labels[1].Name: invalid length (1; expected 2 <= length <= 64)"
    );

    let sel = LabelSelector::new(LabelSet::default(), set(vec![Label::new("aa", "x y")]));
    assert_eq!(
        err(&sel),
        "Exclude.Labels[0].Value: not a valid token (x y)"
    );
    assert!(LabelSelector::default().validate().is_ok());
}

#[test]
fn process_id_and_route() {
    assert!(id("z", "abcd").validate().is_ok());
    assert_eq!(
        err(&id("", "abcd")),
        "Zone: invalid length (0; expected 1 <= length <= 32)"
    );
    assert_eq!(
        err(&id("z", "abc")),
        "Suffix: invalid length (3; expected 4 <= length <= 128)"
    );
    assert_eq!(
        err(&ProcessSpec {
            id: Some(id("z", "abcd")),
            endpoint: "localhost:8080".into()
        }),
        "Endpoint: missing host: localhost:8080"
    );
    assert_eq!(
        err(&ProcessSpec {
            id: Some(id("z", "abcd")),
            endpoint: "/just/a/path".into()
        }),
        "Endpoint: not absolute: /just/a/path"
    );

    assert!(route().validate().is_ok());
    assert!(Route {
        primary: -1,
        ..Default::default()
    }
    .validate()
    .is_ok());
    assert_eq!(
        err(&Route::default()),
        "invalid Primary (0; expected -1 <= Primary < 0)"
    );
    assert_eq!(
        err(&Route {
            primary: -2,
            ..route()
        }),
        "invalid Primary (-2; expected -1 <= Primary < 3)"
    );
    assert_eq!(
        err(&Route {
            primary: 3,
            ..route()
        }),
        "invalid Primary (3; expected -1 <= Primary < 3)"
    );
    let mut r = route();
    r.members.swap(0, 1);
    assert_eq!(
        err(&r),
        "Members not in unique, sorted order (index 1; {Zone:a Suffix:broker-2} <= {Zone:a Suffix:broker-1})"
    );
    let mut r = route();
    r.members[1] = id("a", "broker-1");
    assert!(err(&r).starts_with("Members not in unique, sorted order (index 1;"));
    let mut r = route();
    r.members[2] = id("b", "x");
    assert_eq!(
        err(&r),
        "Members[2].Suffix: invalid length (1; expected 4 <= length <= 128)"
    );
    let mut r = route();
    r.endpoints.pop();
    assert_eq!(err(&r), "len(Endpoints) != 0, and != len(Members) (2 vs 3)");
    r.endpoints.clear();
    assert!(r.validate().is_ok());
    let mut r = route();
    r.endpoints[2] = "no-scheme".into();
    assert_eq!(err(&r), "Endpoints[2]: not absolute: no-scheme");
}

#[test]
fn header_and_etcd() {
    assert!(header().validate().is_ok());
    assert!(unrouted_header().validate().is_ok());
    // A zero process id is allowed; a partial one is validated.
    assert!(Header {
        process_id: None,
        ..header()
    }
    .validate()
    .is_ok());
    assert!(Header {
        process_id: Some(id("", "")),
        ..header()
    }
    .validate()
    .is_ok());
    assert_eq!(
        err(&Header {
            process_id: Some(id("z", "")),
            ..header()
        }),
        "ProcessId.Suffix: invalid length (0; expected 4 <= length <= 128)"
    );
    // The zero-valued header fails on its route first.
    assert_eq!(
        err(&Header::default()),
        "Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    let with_etcd = |e: header::Etcd| Header {
        etcd: Some(e),
        ..header()
    };
    assert_eq!(
        err(&with_etcd(header::Etcd {
            cluster_id: 0,
            ..etcd()
        })),
        "Etcd: invalid ClusterId (expected != 0)"
    );
    assert_eq!(
        err(&with_etcd(header::Etcd {
            member_id: 0,
            ..etcd()
        })),
        "Etcd: invalid MemberId (expected != 0)"
    );
    assert_eq!(
        err(&with_etcd(header::Etcd {
            revision: 0,
            ..etcd()
        })),
        "Etcd: invalid Revision (0; expected 0 < revision)"
    );
    assert_eq!(
        err(&with_etcd(header::Etcd {
            raft_term: 0,
            ..etcd()
        })),
        "Etcd: invalid RaftTerm (expected != 0)"
    );
    assert_eq!(
        err(&Header {
            etcd: None,
            ..header()
        }),
        "Etcd: invalid ClusterId (expected != 0)"
    );
}

#[test]
fn fragment_rules() {
    assert!(fragment().validate().is_ok());
    assert_eq!(
        err(&Fragment {
            journal: "".into(),
            ..fragment()
        }),
        "Journal: invalid length (0; expected 4 <= length <= 512)"
    );
    assert_eq!(
        err(&Fragment {
            begin: 201,
            ..fragment()
        }),
        "expected Begin <= End (have 201, 200)"
    );
    assert_eq!(
        err(&Fragment {
            compression_codec: 0,
            ..fragment()
        }),
        "CompressionCodec: invalid value (INVALID)"
    );
    assert_eq!(
        err(&Fragment {
            compression_codec: 9,
            ..fragment()
        }),
        "CompressionCodec: invalid value (9)"
    );
    assert!(Fragment {
        path_postfix: "a=1/b=2".into(),
        ..fragment()
    }
    .validate()
    .is_ok());
    assert_eq!(
        err(&Fragment {
            path_postfix: "/a=1".into(),
            ..fragment()
        }),
        "PathPostfix: cannot begin with '/' (/a=1)"
    );
}

#[test]
fn journal_spec_rules() {
    assert!(spec().validate().is_ok());
    let e = |f: &dyn Fn(&mut JournalSpec)| {
        let mut s = spec();
        f(&mut s);
        err(&s)
    };
    assert_eq!(
        e(&|s| s.name = "bad name".into()),
        "Name: not a valid token (bad name)"
    );
    assert_eq!(
        e(&|s| s.name = "a/journal;meta".into()),
        "Name cannot have a metadata path segment (;meta; expected no segment)"
    );
    assert_eq!(
        e(&|s| s.replication = 0),
        "invalid Replication (0; expected 1 <= Replication <= 5)"
    );
    assert_eq!(
        e(&|s| s.replication = 6),
        "invalid Replication (6; expected 1 <= Replication <= 5)"
    );
    assert_eq!(
        e(&|s| s.labels = Some(LabelSet::from_pairs([("a", "1")]))),
        "Labels.Labels[0].Name: invalid length (1; expected 2 <= length <= 64)"
    );
    assert_eq!(
        e(&|s| s.labels.as_mut().unwrap().add_value("name", "x")),
        "Labels cannot include label \"name\""
    );
    assert_eq!(
        e(&|s| s.labels.as_mut().unwrap().add_value("prefix", "x/")),
        "Labels cannot include label \"prefix\""
    );
    assert_eq!(
        e(&|s| {
            let l = s.labels.as_mut().unwrap();
            l.add_value("content-type", "application/x-ndjson");
            l.add_value("content-type", "text/plain");
        }),
        "Labels: expected single-value Label has multiple values (index 3; label content-type value text/plain)"
    );
    assert_eq!(
        e(&|s| s
            .labels
            .as_mut()
            .unwrap()
            .add_value("content-type", "garbage")),
        "Labels: parsing content-type: mime: expected slash after first token"
    );
    assert_eq!(
        e(&|s| s
            .labels
            .as_mut()
            .unwrap()
            .add_value("app.gazette.dev/message-type", "Msg")),
        "Labels: expected content-type label alongside app.gazette.dev/message-type"
    );
    assert_eq!(
        e(&|s| s.labels.as_mut().unwrap().add_value("app.gazette.dev/message-sub-type", "Sub")),
        "Labels: expected app.gazette.dev/message-type label alongside app.gazette.dev/message-sub-type"
    );
    let mut ok = spec();
    let l = ok.labels.as_mut().unwrap();
    l.add_value("content-type", "application/x-ndjson");
    l.add_value("app.gazette.dev/message-type", "Msg");
    l.add_value("app.gazette.dev/message-sub-type", "Sub");
    ok.validate().unwrap();

    let frag = |f: &dyn Fn(&mut journal_spec::Fragment)| e(&|s| f(s.fragment.as_mut().unwrap()));
    assert_eq!(
        frag(&|f| f.length = 1023),
        "Fragment: invalid Length (1023; expected 1024 <= length <= 17179869184)"
    );
    assert_eq!(
        frag(&|f| f.length = (1 << 34) + 1),
        "Fragment: invalid Length (17179869185; expected 1024 <= length <= 17179869184)"
    );
    assert_eq!(
        frag(&|f| f.compression_codec = 0),
        "Fragment.CompressionCodec: invalid value (INVALID)"
    );
    assert_eq!(
        frag(&|f| f.stores[0] = "s3://bucket/no-slash".into()),
        "Fragment.Stores[0]: path component doesn't end in '/' (/no-slash)"
    );
    assert_eq!(
        frag(&|f| f.stores[1] = "ftp://host/".into()),
        "Fragment.Stores[1]: invalid scheme (ftp)"
    );
    assert_eq!(
        frag(&|f| f.stores[0] = "s3:///p/".into()),
        "Fragment.Stores[0]: missing bucket (s3:///p/)"
    );
    assert_eq!(
        frag(&|f| f.stores[0] = "file://host/".into()),
        "Fragment.Stores[0]: file scheme cannot have host (file://host/)"
    );
    assert_eq!(
        frag(&|f| f.stores[0] = "relative/".into()),
        "Fragment.Stores[0]: not absolute (relative/)"
    );
    assert_eq!(
        frag(&|f| f.stores[0] = "azure-ad://tenant/account/".into()),
        "Fragment.Stores[0]: missing storage container (azure-ad://tenant/account/)"
    );
    assert!(spec()
        .fragment
        .map(|mut f| {
            f.stores = vec![
                "azure-ad://tenant/account/container/".into(),
                "gs://b/".into(),
            ];
            f.validate()
        })
        .unwrap()
        .is_ok());
    assert_eq!(
        frag(&|f| {
            f.compression_codec = CompressionCodec::GzipOffloadDecompression as i32;
            f.stores.swap(0, 1);
        }),
        "Fragment: GZIP_OFFLOAD_DECOMPRESSION is incompatible with file:// stores (file:///)"
    );
    // Only the first store is restricted.
    assert!(spec()
        .fragment
        .map(|mut f| {
            f.compression_codec = CompressionCodec::GzipOffloadDecompression as i32;
            f.validate()
        })
        .unwrap()
        .is_ok());
    assert_eq!(
        frag(&|f| f.refresh_interval = Some(Duration {
            seconds: 0,
            nanos: 500_000_000
        })),
        "Fragment: invalid RefreshInterval (500ms; expected 1s <= interval <= 24h0m0s)"
    );
    assert_eq!(
        frag(&|f| f.refresh_interval = None),
        "Fragment: invalid RefreshInterval (0s; expected 1s <= interval <= 24h0m0s)"
    );
    assert_eq!(
        frag(&|f| f.refresh_interval = secs(24 * 3600 + 1)),
        "Fragment: invalid RefreshInterval (24h0m1s; expected 1s <= interval <= 24h0m0s)"
    );
    assert_eq!(
        frag(&|f| f.flush_interval = secs(59)),
        "Fragment: invalid FlushInterval (59s; expected >= 1m0s)"
    );
    assert!(spec()
        .fragment
        .map(|mut f| {
            f.flush_interval = None;
            f.retention = secs(-1);
            f.validate()
        })
        .unwrap()
        .is_ok());
    assert_eq!(
        frag(&|f| f.path_postfix_template = "{{ .Spool".into()),
        "Fragment.PathPostfixTemplate: template: postfix: unclosed action"
    );
    assert_eq!(
        e(&|s| s.fragment = None),
        "Fragment: invalid Length (0; expected 1024 <= length <= 17179869184)"
    );

    assert_eq!(e(&|s| s.flags = 3), "Flags: invalid combination (3)");
    for ok in [0, 1, 2, 4] {
        assert!(JournalSpec {
            flags: ok,
            ..spec()
        }
        .validate()
        .is_ok());
    }
    assert_eq!(
        e(&|s| s.max_append_rate = -1),
        "invalid MaxAppendRate (-1; expected >= 0)"
    );
    let suspend = |level, offset| Some(journal_spec::Suspend { level, offset });
    assert!(JournalSpec {
        suspend: suspend(2, 100),
        ..spec()
    }
    .validate()
    .is_ok());
    assert_eq!(
        e(&|s| s.suspend = suspend(3, 0)),
        "Suspend.Level: invalid Level variant (3)"
    );
    assert_eq!(
        e(&|s| s.suspend = suspend(1, -1)),
        "Suspend.Offset: invalid Offset (-1; expected >= 0)"
    );
}

#[test]
fn read_request_rules() {
    let req = ReadRequest {
        journal: "a/journal;meta".into(),
        offset: -1,
        ..Default::default()
    };
    assert!(req.validate().is_ok());
    assert_eq!(
        err(&ReadRequest {
            journal: "x".into(),
            ..req.clone()
        }),
        "Journal: invalid length (1; expected 4 <= length <= 512)"
    );
    assert_eq!(
        err(&ReadRequest {
            offset: -2,
            ..req.clone()
        }),
        "invalid Offset (-2; expected -1 <= Offset <= MaxInt64)"
    );
    assert_eq!(
        err(&ReadRequest {
            end_offset: -1,
            ..req.clone()
        }),
        "invalid EndOffset (-1; expected 0 or Offset <= EndOffset)"
    );
    assert_eq!(
        err(&ReadRequest {
            offset: 10,
            end_offset: 5,
            ..req.clone()
        }),
        "invalid EndOffset (5; expected 0 or Offset <= EndOffset)"
    );
    assert!(ReadRequest {
        offset: 10,
        end_offset: 10,
        ..req.clone()
    }
    .validate()
    .is_ok());
    assert_eq!(
        err(&ReadRequest {
            header: Some(Header::default()),
            ..req
        }),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
}

#[test]
fn read_response_rules() {
    let meta = ReadResponse {
        status: Status::Ok as i32,
        header: Some(header()),
        offset: 150,
        write_head: 300,
        fragment: Some(fragment()),
        fragment_url: "file:///a/journal/x.gz".into(),
        content: Default::default(),
    };
    assert!(meta.validate().is_ok());
    let content = ReadResponse {
        offset: 150,
        content: bytes::Bytes::from_static(b"hello"),
        ..Default::default()
    };
    assert!(content.validate().is_ok());

    let e = |f: &dyn Fn(&mut ReadResponse), base: &ReadResponse| {
        let mut r = base.clone();
        f(&mut r);
        err(&r)
    };
    assert_eq!(
        e(&|r| r.status = Status::NotJournalBroker as i32, &content),
        "unexpected Status with Content (NOT_JOURNAL_BROKER)"
    );
    assert!(
        e(&|r| r.header = Some(header()), &content).starts_with("unexpected Header with Content (")
    );
    assert_eq!(
        e(&|r| r.write_head = 1, &content),
        "unexpected WriteHead with Content (1)"
    );
    assert!(e(&|r| r.fragment = Some(fragment()), &content)
        .starts_with("unexpected Fragment with Content ("));
    assert_eq!(
        e(&|r| r.fragment_url = "http://x/".into(), &content),
        "unexpected FragmentUrl with Content (http://x/)"
    );

    assert_eq!(e(&|r| r.status = 99, &meta), "Status: invalid status (99)");
    assert_eq!(
        e(&|r| r.header = Some(Header::default()), &meta),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    assert_eq!(
        e(&|r| r.write_head = -1, &meta),
        "invalid WriteHead (-1; expected >= 0)"
    );
    assert_eq!(
        e(&|r| r.fragment.as_mut().unwrap().journal = "".into(), &meta),
        "Fragment.Journal: invalid length (0; expected 4 <= length <= 512)"
    );
    assert_eq!(
        e(&|r| r.offset = 99, &meta),
        "invalid Offset (99; expected 100 <= offset < 200)"
    );
    assert_eq!(
        e(&|r| r.offset = 200, &meta),
        "invalid Offset (200; expected 100 <= offset < 200)"
    );
    assert_eq!(
        e(&|r| r.write_head = 199, &meta),
        "invalid WriteHead (199; expected >= 200)"
    );
    assert_eq!(
        e(&|r| r.fragment_url = "http://bad\u{7f}".into(), &meta),
        "FragmentUrl: parse \"http://bad\\u{7f}\": net/url: invalid control character in URL"
    );
    // Without a fragment: OK needs offset 0 and no URL; other statuses may
    // carry an offset (OFFSET_NOT_YET_AVAILABLE at the write head).
    let bare = ReadResponse {
        fragment: None,
        fragment_url: "".into(),
        ..meta.clone()
    };
    assert_eq!(
        err(&bare),
        "unexpected Offset without Fragment or Content (150)"
    );
    assert!(ReadResponse {
        offset: 0,
        ..bare.clone()
    }
    .validate()
    .is_ok());
    assert!(ReadResponse {
        status: Status::OffsetNotYetAvailable as i32,
        ..bare.clone()
    }
    .validate()
    .is_ok());
    assert_eq!(
        e(
            &|r| r.fragment_url = "http://x/".into(),
            &ReadResponse { offset: 0, ..bare }
        ),
        "unexpected FragmentUrl without Fragment (http://x/)"
    );
}

#[test]
fn append_request_rules() {
    let first = AppendRequest {
        journal: "a/journal".into(),
        offset: 10,
        check_registers: Some(parse_label_selector_ok("owner=me")),
        union_registers: Some(LabelSet::from_pairs([("owner", "me")])),
        subtract_registers: Some(LabelSet::default()),
        suspend: append_request::Suspend::Now as i32,
        ..Default::default()
    };
    assert!(first.validate().is_ok());
    let e = |f: &dyn Fn(&mut AppendRequest), base: &AppendRequest| {
        let mut r = base.clone();
        f(&mut r);
        err(&r)
    };
    assert_eq!(
        e(&|r| r.journal = "/abs/journal".into(), &first),
        "Journal: cannot begin with '/' (/abs/journal)"
    );
    assert_eq!(
        e(&|r| r.offset = -1, &first),
        "invalid Offset (-1; expected >= 0)"
    );
    assert_eq!(
        e(&|r| r.content = bytes::Bytes::from_static(b"x"), &first),
        "unexpected Content"
    );
    assert_eq!(
        e(
            &|r| r.check_registers = Some(LabelSelector::new(
                LabelSet::from_pairs([("a", "")]),
                LabelSet::default()
            )),
            &first
        ),
        "CheckRegisters.Include.Labels[0].Name: invalid length (1; expected 2 <= length <= 64)"
    );
    assert_eq!(
        e(
            &|r| r.union_registers = Some(LabelSet {
                labels: vec![Label::new("bb", ""), Label::new("aa", "")]
            }),
            &first
        ),
        "UnionRegisters: Labels not in unique, sorted order (index 1; label name aa <= bb)"
    );
    assert_eq!(
        e(
            &|r| r.subtract_registers = Some(LabelSet {
                labels: vec![Label::new("aa", "x y")]
            }),
            &first
        ),
        "SubtractRegisters.Labels[0].Value: not a valid token (x y)"
    );
    assert_eq!(
        e(&|r| r.suspend = 9, &first),
        "Suspend: invalid Suspend variant (9)"
    );
    assert_eq!(
        e(&|r| r.header = Some(Header::default()), &first),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );

    // Content chunks and the empty commit carry nothing else.
    let chunk = AppendRequest {
        content: bytes::Bytes::from_static(b"data"),
        ..Default::default()
    };
    assert!(chunk.validate().is_ok());
    assert!(AppendRequest::default().validate().is_ok());
    assert_eq!(
        e(&|r| r.header = Some(header()), &chunk),
        "unexpected Header"
    );
    assert_eq!(
        e(&|r| r.do_not_proxy = true, &chunk),
        "unexpected DoNotProxy"
    );
    assert_eq!(e(&|r| r.offset = 1, &chunk), "unexpected Offset");
    assert_eq!(
        e(&|r| r.check_registers = Some(Default::default()), &chunk),
        "unexpected CheckRegisters"
    );
    assert_eq!(
        e(&|r| r.union_registers = Some(Default::default()), &chunk),
        "unexpected UnionRegisters"
    );
    assert_eq!(
        e(&|r| r.subtract_registers = Some(Default::default()), &chunk),
        "unexpected SubtractRegisters"
    );
}

fn parse_label_selector_ok(s: &str) -> LabelSelector {
    label::parse_label_selector(s).unwrap()
}

#[test]
fn append_response_rules() {
    let ok = AppendResponse {
        status: Status::Ok as i32,
        header: Some(header()),
        commit: Some(fragment()),
        registers: Some(LabelSet::default()),
        ..Default::default()
    };
    assert!(ok.validate().is_ok());
    let e = |f: &dyn Fn(&mut AppendResponse)| {
        let mut r = ok.clone();
        f(&mut r);
        err(&r)
    };
    assert_eq!(e(&|r| r.status = 16), "Status: invalid status (16)");
    assert_eq!(
        e(&|r| r.header = None),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    assert_eq!(e(&|r| r.commit = None), "expected Commit");
    assert_eq!(e(&|r| r.registers = None), "expected Registers");
    assert_eq!(
        e(&|r| {
            r.status = Status::RegisterMismatch as i32;
            r.registers = None
        }),
        "expected Registers"
    );
    assert_eq!(
        e(&|r| r.commit.as_mut().unwrap().journal = "".into()),
        "Commit.Journal: invalid length (0; expected 4 <= length <= 512)"
    );
    assert_eq!(
        e(&|r| r.registers = Some(LabelSet {
            labels: vec![Label::new("x", "")]
        })),
        "Registers.Labels[0].Name: invalid length (1; expected 2 <= length <= 64)"
    );
    // Error statuses need neither commit nor registers.
    assert!(AppendResponse {
        status: Status::WrongAppendOffset as i32,
        header: Some(header()),
        ..Default::default()
    }
    .validate()
    .is_ok());
}

#[test]
fn list_rules() {
    let req = ListRequest {
        selector: Some(parse_label_selector_ok("prefix=a/b/, prefix!=a/b/c/")),
        ..Default::default()
    };
    assert!(req.validate().is_ok());
    assert!(ListRequest::default().validate().is_ok());
    assert_eq!(
        err(&ListRequest {
            selector: Some(parse_label_selector_ok("prefix=a/b")),
            ..Default::default()
        }),
        "Selector.Include.Labels[\"prefix\"]: expected trailing '/' (a/b)"
    );
    assert_eq!(
        err(&ListRequest {
            selector: Some(parse_label_selector_ok("prefix!=a")),
            ..Default::default()
        }),
        "Selector.Exclude.Labels[\"prefix\"]: expected trailing '/' (a)"
    );
    assert_eq!(
        err(&ListRequest {
            selector: Some(LabelSelector::new(
                LabelSet::from_pairs([("a", "")]),
                LabelSet::default()
            )),
            ..Default::default()
        }),
        "Selector.Include.Labels[0].Name: invalid length (1; expected 2 <= length <= 64)"
    );

    let journal = list_response::Journal {
        spec: Some(spec()),
        mod_revision: 5,
        route: Some(route()),
        create_revision: 4,
    };
    let resp = ListResponse {
        status: Status::Ok as i32,
        header: Some(unrouted_header()),
        journals: vec![journal.clone()],
    };
    assert!(resp.validate().is_ok());
    let mut bad = resp.clone();
    bad.journals[0].spec.as_mut().unwrap().name = "invalid name".into();
    assert_eq!(
        err(&bad),
        "Journals[0].Spec.Name: not a valid token (invalid name)"
    );
    let mut bad = resp.clone();
    bad.journals.push(list_response::Journal {
        mod_revision: 0,
        ..journal.clone()
    });
    assert_eq!(
        err(&bad),
        "Journals[1]: invalid ModRevision (0; expected > 0)"
    );
    let mut bad = resp.clone();
    bad.journals[0].route = None;
    assert_eq!(
        err(&bad),
        "Journals[0].Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    assert_eq!(
        err(&ListResponse {
            header: None,
            ..resp.clone()
        }),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    // A continuation chunk has no header; only its journals are checked.
    let chunk = ListResponse {
        journals: vec![journal],
        ..Default::default()
    };
    assert!(validate::validate_list_chunk(&chunk).is_ok());
}

#[test]
fn apply_rules() {
    let upsert = |rev| apply_request::Change {
        expect_mod_revision: rev,
        upsert: Some(spec()),
        delete: String::new(),
    };
    let delete = |rev| apply_request::Change {
        expect_mod_revision: rev,
        upsert: None,
        delete: "a/journal".into(),
    };
    for ok in [upsert(0), upsert(-1), upsert(7), delete(-1), delete(7)] {
        ok.validate().unwrap();
    }
    assert!(ApplyRequest::default().validate().is_ok());
    assert_eq!(
        err(&upsert(-2)),
        "invalid ExpectModRevision (-2; expected >= 0 or -1)"
    );
    assert_eq!(
        err(&delete(0)),
        "invalid ExpectModRevision (0; expected > 0 or -1)"
    );
    assert_eq!(
        err(&apply_request::Change {
            delete: "a/journal".into(),
            ..upsert(0)
        }),
        "both Upsert and Delete are set (expected exactly one)"
    );
    assert_eq!(
        err(&apply_request::Change::default()),
        "neither Upsert nor Delete are set (expected exactly one)"
    );
    assert_eq!(
        err(&apply_request::Change {
            delete: "bad name".into(),
            ..delete(1)
        }),
        "Delete: not a valid token (bad name)"
    );
    let mut bad_spec = upsert(0);
    bad_spec
        .upsert
        .as_mut()
        .unwrap()
        .fragment
        .as_mut()
        .unwrap()
        .length = 1023;
    assert_eq!(
        err(&ApplyRequest {
            changes: vec![upsert(0), bad_spec]
        }),
        "Changes[1].Upsert.Fragment: invalid Length (1023; expected 1024 <= length <= 17179869184)"
    );

    assert!(ApplyResponse {
        status: 9,
        header: Some(unrouted_header())
    }
    .validate()
    .is_ok());
    assert_eq!(
        err(&ApplyResponse::default()),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    assert_eq!(
        err(&ApplyResponse {
            status: 1000,
            header: None
        }),
        "Status: invalid status (1000)"
    );
}

#[test]
fn fragments_rules() {
    let req = FragmentsRequest {
        journal: "a/journal".into(),
        begin_mod_time: 10,
        end_mod_time: 20,
        page_limit: 100,
        signature_ttl: secs(60),
        ..Default::default()
    };
    assert!(req.validate().is_ok());
    let e = |f: &dyn Fn(&mut FragmentsRequest)| {
        let mut r = req.clone();
        f(&mut r);
        err(&r)
    };
    assert_eq!(
        e(&|r| r.journal = "".into()),
        "Journal: invalid length (0; expected 4 <= length <= 512)"
    );
    assert_eq!(
        e(&|r| r.end_mod_time = 9),
        "invalid EndModTime (9 must be after 10)"
    );
    assert!(FragmentsRequest {
        end_mod_time: 0,
        ..req.clone()
    }
    .validate()
    .is_ok());
    assert_eq!(
        e(&|r| r.next_page_token = -1),
        "invalid NextPageToken (-1; must be >= 0)"
    );
    assert_eq!(
        e(&|r| r.page_limit = -1),
        "invalid PageLimit (-1; must be >= 0 and <= 10000)"
    );
    assert_eq!(
        e(&|r| r.page_limit = 10001),
        "invalid PageLimit (10001; must be >= 0 and <= 10000)"
    );
    assert!(FragmentsRequest {
        page_limit: 10000,
        ..req.clone()
    }
    .validate()
    .is_ok());
    assert_eq!(
        e(&|r| r.signature_ttl = secs(0)),
        "invalid SignatureTTL (0s; must be > 0s)"
    );
    assert!(FragmentsRequest {
        signature_ttl: None,
        ..req.clone()
    }
    .validate()
    .is_ok());

    let resp = FragmentsResponse {
        status: Status::Ok as i32,
        header: Some(header()),
        fragments: vec![fragments_response::Fragment {
            spec: Some(fragment()),
            signed_url: "https://storage/x?sig=1".into(),
        }],
        next_page_token: 0,
    };
    assert!(resp.validate().is_ok());
    let mut bad = resp.clone();
    bad.fragments[0].spec.as_mut().unwrap().begin = 300;
    assert_eq!(
        err(&bad),
        "Fragments[0].Spec: expected Begin <= End (have 300, 200)"
    );
    let mut bad = resp.clone();
    bad.fragments[0].spec = None;
    assert_eq!(
        err(&bad),
        "Fragments[0].Spec.Journal: invalid length (0; expected 4 <= length <= 512)"
    );
    let mut bad = resp.clone();
    bad.fragments[0].signed_url = ":no-scheme".into();
    assert_eq!(
        err(&bad),
        "Fragments[0].SignedUrl: parse \":no-scheme\": missing protocol scheme"
    );
    assert_eq!(
        err(&FragmentsResponse {
            header: None,
            ..resp
        }),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
}

#[test]
fn store_health_rules() {
    let req = FragmentStoreHealthRequest {
        fragment_store: "gs://bucket/root/".into(),
        check_delete: true,
        check_delete_prefix: "health/".into(),
    };
    assert!(req.validate().is_ok());
    assert_eq!(
        err(&FragmentStoreHealthRequest {
            fragment_store: "gs://bucket".into(),
            ..req.clone()
        }),
        "FragmentStore: path component doesn't end in '/' ()"
    );
    assert!(err(&FragmentStoreHealthRequest {
        check_delete_prefix: "health".into(),
        ..req.clone()
    })
    .starts_with("invalid CheckDeletePrefix (health;"));
    assert!(err(&FragmentStoreHealthRequest {
        check_delete_prefix: "../x/".into(),
        ..req
    })
    .starts_with("invalid CheckDeletePrefix (../x/;"));

    let resp = FragmentStoreHealthResponse {
        status: Status::FragmentStoreUnhealthy as i32,
        header: Some(unrouted_header()),
        store_health_error: "boom".into(),
    };
    assert!(resp.validate().is_ok());
    assert_eq!(
        err(&FragmentStoreHealthResponse {
            header: None,
            ..resp.clone()
        }),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
    assert_eq!(
        err(&FragmentStoreHealthResponse { status: 16, ..resp }),
        "Status: invalid status (16)"
    );
}
