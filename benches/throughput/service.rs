//! Section 4: small records through `AppendService` (batched async appends)
//! from several tasks into several journals.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{AppendRequest, CompressionCodec};
use gazette::{AppendFuture, AppendService, Client, OpFutures};
use tonic::transport::Channel;

use crate::measure::{job, measure, Row, Unit, Variant, Work, REPS, WARMUP};
use crate::setup::{create_journal, payload};

const SECTION: &str = "append service";
const TASKS: usize = 8;
const JOURNALS: usize = 16;
const RECORD: usize = 100;
/// Records each task appends per run.
const PER_TASK: usize = 40_000;

/// Every task appends `PER_TASK` records, cycling over the journals, then
/// waits for its last append to each journal to commit.
async fn run_once(service: &AppendService, journals: &[String]) -> Work {
    let record = payload(RECORD);
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let service = service.clone();
            let journals = journals.to_vec();
            let record = record.clone();
            tokio::spawn(async move {
                let mut last: HashMap<usize, AppendFuture> = HashMap::new();
                for i in 0..PER_TASK {
                    let j = (t * 3 + i) % JOURNALS;
                    let request = AppendRequest {
                        journal: journals[j].clone(),
                        ..Default::default()
                    };
                    let mut append = service.start_append(request, OpFutures::new()).await;
                    append.write_all(&record).expect("write");
                    last.insert(j, append.release().expect("release"));
                }
                for future in last.values() {
                    future.wait().await.expect("append committed");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let records = (TASKS * PER_TASK) as u64;
    Work {
        bytes: records * RECORD as u64,
        ops: records,
    }
}

/// Runs section 4.
pub async fn run(client: &Client, stub: &JournalClient<Channel>, prefix: &str) -> Vec<Row> {
    let mut journals = Vec::new();
    for j in 0..JOURNALS {
        let name = format!("{prefix}/service-{j:02}");
        create_journal(&mut stub.clone(), &name, CompressionCodec::None, false).await;
        journals.push(name);
    }
    let service = AppendService::new(client.clone());
    let variants = vec![Variant {
        name: format!("AppendService, {RECORD} B records, {TASKS} tasks x {JOURNALS} journals"),
        baselines: Vec::new(),
        unit: Unit::OpsPerSec("records/s"),
        job: job(|| run_once(&service, &journals)),
    }];
    eprintln!("append service: {TASKS} tasks, {JOURNALS} journals");
    let rows = measure(SECTION, variants, WARMUP, REPS).await;
    service
        .close(Duration::from_secs(30))
        .await
        .expect("close service");
    rows
}
