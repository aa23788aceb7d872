//! Waiting for a journal's assignment. A real broker's allocator assigns a
//! journal some time after Apply creates it (about 0.1 s, more under load),
//! and again after its broker goes away; until then Append answers
//! NO_JOURNAL_PRIMARY_BROKER and Read INSUFFICIENT_JOURNAL_BROKERS. `append`
//! rides that out by retrying; an `Appender` or a `Reader` used right after
//! Apply should wait here first.

use std::time::Duration;

use crate::protocol::Route;

use super::client::Client;
use super::error::{Error, Result};
use super::list::get_journal;

/// First and last pause between listings while waiting.
const FIRST_POLL: Duration = Duration::from_millis(5);
const MAX_POLL: Duration = Duration::from_millis(100);

/// Is `route` a usable assignment: members and a primary?
fn is_assigned(route: &Route) -> bool {
    route.primary >= 0 && !route.members.is_empty()
}

/// Waits until `journal` has a primary broker, polling its listing (List
/// works with every broker version), and returns its route, which it also
/// puts in the client's route cache. Fails with the listing's error (e.g.
/// [`Error::NamedJournalDoesNotExist`]), or [`Error::DeadlineExceeded`]
/// when `timeout` passes first.
pub async fn await_assignment(client: &Client, journal: &str, timeout: Duration) -> Result<Route> {
    let wait = async {
        let mut pause = FIRST_POLL;
        loop {
            let listing = get_journal(client, journal).await?;
            if let Some(route) = listing.route.filter(is_assigned) {
                client.update_route(journal, &route);
                return Ok(route);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .unwrap_or(Err(Error::DeadlineExceeded))
}
