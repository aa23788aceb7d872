//! Helpers shared by the AppendService tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use gazette::protocol::AppendRequest;
use gazette::{AppendService, AppendServiceConfig, Client, ClientConfig};

use crate::common::TestEnv;

/// A client of every broker of `env` (so it can fail over between them).
pub fn client(env: &TestEnv) -> Client {
    let mut config = ClientConfig::new(env.endpoint());
    for endpoint in &env.endpoints()[1..] {
        config = config.with_endpoint(endpoint.clone());
    }
    Client::new(config).expect("client")
}

/// A service over `env` with `config`.
pub fn service(env: &TestEnv, config: AppendServiceConfig) -> AppendService {
    AppendService::with_config(client(env), config)
}

/// A plain request for `journal`.
pub fn req(journal: &str) -> AppendRequest {
    AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    }
}

/// Every byte of `journal`, read with a raw non-blocking Read from offset 0.
pub async fn read_all(env: &TestEnv, journal: &str) -> Vec<u8> {
    crate::common::read_committed(env.endpoint(), journal).await
}

/// Polls `cond` every 5 ms until it holds, panicking after 10 s.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
