//! The main job, end to end: create a build job, run it, wait for it while its log grows, then show
//! the build record, the job's history and its success ratio.
//!
//! With no credentials in the environment (nor `~/.huaweicloud/credentials`) it starts the embedded
//! CodeArts Build emulator on 127.0.0.1 and runs the flow there, and says so. With credentials and
//! `CODEARTS_PROJECT_ID` (a CodeArts project id: 32 hex characters) set, the same calls go to the
//! real region.
//!
//! ```text
//! cargo run --example quickstart
//! ```

mod common;

use codearts::CallExt;
use codearts::build::types;
use codearts::logs::{FollowOptions, follow_build_log};
use codearts::wait::{BuildOutcome, WaitOptions, wait_for_build};
use futures::StreamExt;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let session = common::connect(Duration::from_millis(300)).await?;
    let (client, project) = (&session.client, &session.project);

    // 4.18 CreateBuildJob
    let job = client
        .create_build_job()
        .body(common::job_body(project, &format!("quickstart-{}", std::process::id())))
        .call()
        .await?;
    let job_id = job.result.and_then(|r| r.job_id).ok_or("CreateBuildJob returned no job id")?;
    println!("1. create_build_job  -> job {job_id}");

    // 4.6 RunJob: starts a build; never resent once it may have reached the server.
    let run = client
        .run_job()
        .body_map(|b| b.job_id(&job_id).parameter(vec![types::RunJobParameterItem::new("releaseVersion", "1.0.1")]))
        .call()
        .await?;
    let build_no: i32 = run.actual_build_number.as_deref().unwrap_or("1").parse()?;
    println!("2. run_job           -> build #{build_no}");

    // Follow the log as it grows (4.10 DownloadBuildLog), then wait for the outcome (4.12).
    let record = client.show_record_detail().job_id(&job_id).build_no(build_no).call().await?;
    let record_id = record.result.and_then(|r| r.build_record_id).ok_or("ShowRecordDetail returned no record id")?;
    println!("3. following the log of record {record_id}:");
    let follow = FollowOptions { interval: Duration::from_millis(250), ..FollowOptions::default() };
    let mut lines = std::pin::pin!(follow_build_log(client, &job_id, build_no, &record_id, follow));
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("   (log poll failed, resuming: {e})"),
        }
    }
    let wait = WaitOptions {
        max_wait: Duration::from_secs(120),
        initial_interval: Duration::from_millis(250),
        max_interval: Duration::from_secs(2),
    };
    let record = match wait_for_build(client, &job_id, build_no, wait).await? {
        BuildOutcome::Succeeded(r) | BuildOutcome::Failed(r) | BuildOutcome::Stopped(r) => r,
        BuildOutcome::TimedOut { .. } => return Err("the build did not finish within 2 minutes".into()),
    };
    println!("   build #{build_no}: {}", record.status.as_deref().unwrap_or("unknown"));

    // 4.2 ShowListHistory and 4.9 ShowJobSuccessRatio
    let history = client.show_list_history().job_id(&job_id).offset(0).limit(10).interval(7).call().await?;
    println!("4. show_list_history -> {} build(s) in the last 7 days", history.total.unwrap_or(0));
    for h in &history.history_records {
        println!("     #{} {}", h.build_number.unwrap_or(0), h.result.as_deref().unwrap_or("?"));
    }
    let today = today();
    let ratio = client.show_job_success_ratio().job_id(&job_id).start_time(&today).end_time(&today).call().await?;
    println!("5. show_job_success_ratio -> {:?}", ratio.success_ratio);

    println!(
        "\nDone in {:.1} s: created a job, ran it, followed its log to the end, read its history.",
        started.elapsed().as_secs_f64()
    );
    if record.status.as_deref() != Some("SUCCESS") {
        return Err(format!("the build ended {}", record.status.as_deref().unwrap_or("unknown")).into());
    }
    Ok(())
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
}
