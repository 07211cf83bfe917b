//! List every job of a project, and a job's whole build history, page by page without holding more
//! than one page: `codearts::paginate`.
//!
//! The streams fetch the next page only when the previous one has been consumed, stop at the last
//! page (a short or empty page, or the reported total) and fail instead of looping when a server
//! ignores the paging parameters. On the emulator (no credentials) it first creates a few jobs.

mod common;

use codearts::build::types::RunJobRequestBody;
use codearts::wait::{WaitOptions, run_and_wait};
use futures::StreamExt;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect(Duration::from_millis(20)).await?;
    let client = &session.client;
    let mut first_job = None;
    if session.emulator.is_some() {
        for i in 1..=7 {
            let id = common::create_job(&session, &format!("list-example-{i}")).await?;
            first_job.get_or_insert(id);
        }
    }

    // Items across pages of 3 (a small page size, to show the page boundaries).
    println!("jobs of project {}:", session.project);
    let listing = client.show_job_list_by_project_id().project_id(&session.project);
    let mut pages = std::pin::pin!(listing.into_paginator().page_size(3).pages());
    let mut page_no = 0;
    while let Some(page) = pages.next().await {
        let page = page?;
        page_no += 1;
        for job in &page.items {
            println!(
                "  page {page_no}: {} {}",
                job.id.as_deref().unwrap_or("?"),
                job.job_name.as_deref().unwrap_or("?")
            );
            first_job.get_or_insert_with(|| job.id.clone().unwrap_or_default());
        }
    }

    // A job's build history as a flat stream of records.
    let Some(job_id) = first_job else { return Ok(()) };
    if session.emulator.is_some() {
        let quick = WaitOptions {
            max_wait: Duration::from_secs(60),
            initial_interval: Duration::from_millis(50),
            max_interval: Duration::from_millis(200),
        };
        for _ in 0..4 {
            let body = RunJobRequestBody::builder().job_id(&job_id);
            run_and_wait(client, body, quick.clone()).await?.outcome?;
        }
    }
    println!("builds of job {job_id} in the last 7 days:");
    let history = client.show_list_history().job_id(&job_id).interval(7);
    let mut records = std::pin::pin!(history.into_paginator().page_size(2).items());
    while let Some(record) = records.next().await {
        let record = record?;
        println!("  #{} {}", record.build_number.unwrap_or(0), record.result.as_deref().unwrap_or("?"));
    }
    Ok(())
}
