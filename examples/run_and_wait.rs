//! Start a build with a parameter and wait for it: `codearts::wait::run_and_wait`.
//!
//! On the emulator (no credentials in the environment) it creates a job first; against the real
//! region pass the job's ID: `cargo run --example run_and_wait -- <job-id>`. Exits non-zero when the
//! build does not succeed, naming the step that failed.

mod common;

use codearts::CallExt;
use codearts::build::types::{RunJobParameterItem, RunJobRequestBody};
use codearts::wait::{BuildOutcome, WaitOptions, run_and_wait};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect(Duration::from_millis(200)).await?;
    let client = &session.client;
    let job_id = match std::env::args().nth(1) {
        Some(id) => id,
        None => common::create_job(&session, "run-and-wait-example").await?,
    };

    // Generated types are built through their builders (or `new` with their required fields), so
    // that fields the vendor adds later break no caller.
    let body = RunJobRequestBody::builder()
        .job_id(job_id.clone())
        .parameter(vec![RunJobParameterItem::new("releaseVersion", "1.0.2")]);
    // Poll every 0.5–2 s (jittered, doubling) for at most 10 minutes.
    let options = WaitOptions {
        max_wait: Duration::from_secs(600),
        initial_interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(2),
    };
    // `Err` here means no build is known to have started; RunJob is never resent.
    let run = run_and_wait(client, body, options).await?;
    let build_no = run.build.build_no;
    println!("job {job_id}: started build #{build_no}");

    let record = match run.outcome {
        Ok(BuildOutcome::Succeeded(record)) => {
            println!("build #{build_no} succeeded in {} ms", record.duration.unwrap_or_default());
            return Ok(());
        }
        Ok(BuildOutcome::Failed(record)) | Ok(BuildOutcome::Stopped(record)) => record,
        Ok(BuildOutcome::TimedOut { .. }) => {
            return Err(format!("build #{build_no} still running after 10 minutes; it was left running").into());
        }
        // The build is running but polling failed: resume with `run.build.wait(..)` later.
        Err(e) => return Err(format!("build #{build_no} started, but waiting for it failed: {e}").into()),
    };
    // Which step broke: 4.8 ShowHistoryDetails lists the build's steps with their status.
    let details = client.show_history_details().job_id(&job_id).build_number(build_no).call().await?;
    let failed: Vec<String> = details
        .build_steps
        .into_iter()
        .filter(|s| s.status.as_deref() == Some("error"))
        .filter_map(|s| s.name)
        .collect();
    Err(format!(
        "build #{build_no} ended {}{}",
        record.status.as_deref().unwrap_or("unknown"),
        if failed.is_empty() { String::new() } else { format!(" in step {:?}", failed.join(", ")) }
    )
    .into())
}
