//! Follow a running build's log line by line, then save one step's log to a file.
//!
//! `codearts::logs::follow_build_log` polls the log while the build runs, yields every new line
//! exactly once, resumes after transient errors and ends when the build has finished;
//! `download_step_log` streams one step's log to any `AsyncWrite` in constant memory.
//!
//! On the emulator (no credentials) it creates and runs a job first; against the real region:
//! `cargo run --example tail_logs -- <job-id> <build-no>`.

mod common;

use codearts::CallExt;
use codearts::build::types::RunJobRequestBody;
use codearts::logs::{FollowOptions, download_step_log, follow_build_log};
use codearts::wait::start_build;
use futures::StreamExt;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect(Duration::from_millis(200)).await?;
    let client = &session.client;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (job_id, build_no) = match args.as_slice() {
        [job, build_no] => (job.clone(), build_no.parse()?),
        _ => {
            let job_id = common::create_job(&session, "tail-logs-example").await?;
            let body = RunJobRequestBody::builder().job_id(&job_id);
            let build = start_build(client, body).await?;
            (job_id, build.build_no)
        }
    };

    // The log is addressed by the build record's ID.
    let record = client.show_record_detail().job_id(&job_id).build_no(build_no).call().await?;
    let record_id = record.result.and_then(|r| r.build_record_id).ok_or("the build has no record id")?;
    println!("following build #{build_no} (record {record_id}):");
    let options = FollowOptions { interval: Duration::from_millis(300), ..FollowOptions::default() };
    let mut lines = std::pin::pin!(follow_build_log(client, &job_id, build_no, &record_id, options));
    let mut count = 0;
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) => {
                count += 1;
                println!("| {line}");
            }
            // A failed poll is reported and the follower carries on from the same byte.
            Err(e) => eprintln!("(poll failed, resuming: {e})"),
        }
    }
    println!("the build has finished: {count} line(s)");

    // One step's log, straight to a file.
    let step = "Build with Maven";
    let path = std::env::temp_dir().join(format!("codearts-{record_id}-step.log"));
    let file = tokio::fs::File::create(&path).await?;
    let bytes = download_step_log(client, &record_id, step, file).await?;
    println!("saved the log of step {step:?} ({bytes} bytes) to {}", path.display());
    Ok(())
}
