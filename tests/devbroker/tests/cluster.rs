//! Several brokers in one process: routes, proxying over gRPC, counters,
//! moving primaries, and stopping/restarting brokers.

mod support;

use gazette_devbroker::{DevBroker, Options, Rpc};
use gazette_protocol::{
    AppendRequest, CompressionCodec, FragmentsRequest, ReadRequest, Route, Status,
};
use support::*;

async fn start(n: usize) -> DevBroker {
    DevBroker::start(Options {
        // These tests look at other behaviours: assign at once.
        assign_delay: std::time::Duration::ZERO,
        brokers: n,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// The route of `name` as List reports it.
async fn route_of(c: &mut Client, name: &str) -> Route {
    let req = gazette_protocol::ListRequest {
        selector: Some(gazette_protocol::LabelSelector {
            include: Some(gazette_protocol::LabelSet::from_pairs([("name", name)])),
            exclude: None,
        }),
        ..Default::default()
    };
    let mut s = c.list(req).await.unwrap().into_inner();
    s.message().await.unwrap().unwrap().journals[0]
        .route
        .clone()
        .unwrap()
}

fn index_of(b: &DevBroker, route: &Route, member: usize) -> usize {
    (0..b.endpoints().len())
        .find(|&i| b.process_id(i) == route.members[member])
        .unwrap()
}

#[tokio::test]
async fn routes_are_sorted_spread_and_sized_by_replication() {
    let b = start(3).await;
    assert_eq!(b.endpoints().len(), 3);
    assert_eq!(
        (b.process_id(0).zone.as_str(), b.process_id(1).zone.as_str()),
        ("zone-a", "zone-b")
    );
    assert_eq!(b.process_id(2).suffix, "broker-2");
    let mut c = client(b.endpoint(0)).await;
    let mut primaries = std::collections::HashSet::new();
    for i in 0..24 {
        let name = unique("spread");
        let mut s = spec(&name, CompressionCodec::None, &[]);
        s.replication = if i == 0 { 5 } else { 2 };
        create(&mut c, s).await;
        let r = route_of(&mut c, &name).await;
        assert_eq!(
            r.members.len(),
            if i == 0 { 3 } else { 2 },
            "min(replication, brokers)"
        );
        let keys: Vec<_> = r
            .members
            .iter()
            .map(|m| (m.zone.clone(), m.suffix.clone()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(r.primary >= 0);
        assert_eq!(
            r.endpoints[r.primary as usize],
            b.endpoint(index_of(&b, &r, r.primary as usize))
        );
        primaries.insert(index_of(&b, &r, r.primary as usize));
        // Deterministic: the same answer again.
        assert_eq!(route_of(&mut c, &name).await, r);
    }
    assert_eq!(primaries.len(), 3, "primaries are spread across brokers");
}

#[tokio::test]
async fn non_members_proxy_reads_and_non_primaries_proxy_appends() {
    let b = start(3).await;
    let mut c0 = client(b.endpoint(0)).await;
    let name = unique("proxy");
    create(&mut c0, spec(&name, CompressionCodec::None, &[])).await;
    let route = route_of(&mut c0, &name).await;
    let primary = index_of(&b, &route, 0);
    let other = (primary + 1) % 3;
    let mut co = client(b.endpoint(other)).await;

    let before = b.counters().get(primary, Rpc::Append);
    let r = append(&mut co, &name, &[b"via proxy"]).await;
    assert_eq!(
        r.header.unwrap().process_id.unwrap(),
        b.process_id(primary),
        "the primary's header is relayed"
    );
    assert_eq!(b.counters().get(primary, Rpc::Append), before + 1);
    assert_eq!(b.counters().get(other, Rpc::Append), 1);

    let f = read_frames(
        &mut co,
        ReadRequest {
            journal: name.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        f[0].header.as_ref().unwrap().process_id.clone().unwrap(),
        b.process_id(primary)
    );
    assert_eq!(f[0].header.as_ref().unwrap().route.clone().unwrap(), route);
    let data: Vec<u8> = f.iter().flat_map(|f| f.content.to_vec()).collect();
    assert_eq!(data, b"via proxy");
    assert_eq!(b.counters().get(primary, Rpc::Read), 1);

    let lf = co
        .list_fragments(FragmentsRequest {
            journal: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((lf.status, lf.fragments.len()), (0, 1));
    assert_eq!(
        lf.header.unwrap().process_id.unwrap(),
        b.process_id(primary)
    );

    // With do_not_proxy the broker answers with the route instead.
    let f = read_frames(
        &mut co,
        ReadRequest {
            journal: name.clone(),
            do_not_proxy: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, Status::NotJournalBroker as i32);
    let h = f[0].header.clone().unwrap();
    assert_eq!(
        (h.process_id.unwrap(), h.route.unwrap()),
        (b.process_id(other), route.clone())
    );
    let r = append_with(
        &mut co,
        AppendRequest {
            journal: name.clone(),
            do_not_proxy: true,
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::NotJournalPrimaryBroker as i32);
    assert_eq!(r.header.unwrap().route.unwrap(), route);

    // A proxied append that never commits rolls back at the primary.
    let msgs = vec![
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        AppendRequest {
            content: bytes::Bytes::from_static(b"lost"),
            ..Default::default()
        },
    ];
    assert!(co.append(tokio_stream::iter(msgs)).await.is_err());
    assert_eq!(read_all(&mut c0, &name, 0).await, b"via proxy");
}

#[tokio::test]
async fn move_primary_and_stop_restart_brokers() {
    let b = start(2).await;
    let mut c0 = client(b.endpoint(0)).await;
    let mut c1 = client(b.endpoint(1)).await;
    let name = unique("move");
    create(&mut c0, spec(&name, CompressionCodec::None, &[])).await;
    let was = index_of(&b, &route_of(&mut c0, &name).await, 0);
    let to = 1 - was;
    assert!(b.move_primary(&name, to));
    let r = route_of(&mut c0, &name).await;
    assert_eq!(index_of(&b, &r, r.primary as usize), to);
    let direct = if to == 0 { &mut c0 } else { &mut c1 };
    let resp = append_with(
        direct,
        AppendRequest {
            journal: name.clone(),
            do_not_proxy: true,
            ..Default::default()
        },
        &[b"a"],
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 0);

    // Stopping the primary moves the journal to the other broker.
    assert!(b.stop_broker(to).await);
    let mut survivor = client(b.endpoint(was)).await;
    let r = route_of(&mut survivor, &name).await;
    assert_eq!((r.members.len(), index_of(&b, &r, 0)), (1, was));
    let resp = append_with(
        &mut survivor,
        AppendRequest {
            journal: name.clone(),
            do_not_proxy: true,
            ..Default::default()
        },
        &[b"b"],
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 0);
    assert!(
        gazette_protocol::journal_client::JournalClient::connect(b.endpoint(to))
            .await
            .is_err()
    );

    // Restarted on the same port, it serves again.
    assert!(b.restart_broker(to).await.unwrap());
    let mut back = client(b.endpoint(to)).await;
    assert_eq!(read_all(&mut back, &name, 0).await, b"ab");
    b.shutdown().await;
}
