//! The main job against the emulator: waiting for builds (`codearts::wait`), downloading and
//! following logs (`codearts::logs`) and paginating list operations (`codearts::paginate`).
//! The waiter's stop and timeout tests run on a manual clock; the others on 20 ms steps.

#![cfg(feature = "build")]

mod support;

use std::time::Duration;

use codearts::build::{Client, types};
use codearts::logs::{FollowOptions, download_build_log, download_step_log, follow_build_log};
use codearts::paginate;
use codearts::retry::RetryPolicy;
use codearts::wait::{BuildOutcome, StartedBuild, WaitOptions, run_and_wait, wait_for_build};
use codearts::{CallExt, Error};
use codearts_emulator::faults::{self, Fault, Faults};
use codearts_emulator::{Emulator, EmulatorBuilder, ManualClock, RunningEmulator};
use futures::StreamExt;
use serde_json::json;
use support::loopback::{Reply, Server};

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const FAST_STEP: Duration = Duration::from_millis(20);
const SLOW_STEP: Duration = Duration::from_secs(10);

fn client_for(emulator: &RunningEmulator, retry: Option<RetryPolicy>) -> Client {
    let mut builder = emulator.config_builder().credentials(emulator.password_credentials());
    if let Some(policy) = retry {
        builder = builder.retry(policy);
    }
    Client::from_config(&builder.build().expect("a valid config")).expect("a client")
}

/// An emulator whose builds take `FAST_STEP` per step on the system clock.
async fn fast() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().step_duration(FAST_STEP).start().await.expect("the emulator starts");
    let client = client_for(&emulator, None);
    (emulator, client)
}

/// A fast emulator behind a fault-injection layer, and a client that does not retry (so each
/// injected failure reaches the code under test).
async fn faulty() -> (RunningEmulator, Client, Faults) {
    let faults = Faults::new();
    let emulator = Emulator::builder()
        .step_duration(FAST_STEP)
        .start_with({
            let faults = faults.clone();
            move |router| faults::layer(router, faults)
        })
        .await
        .expect("the emulator starts");
    let client = client_for(&emulator, Some(RetryPolicy::none()));
    (emulator, client, faults)
}

/// An emulator on a manual clock (builds stay where they are until the test advances it).
async fn manual() -> (RunningEmulator, Client, ManualClock) {
    let noon = time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap());
    let clock = ManualClock::new(noon.into());
    let emulator = EmulatorBuilder::default()
        .step_duration(SLOW_STEP)
        .clock(clock.clone())
        .start()
        .await
        .expect("the emulator starts");
    let client = client_for(&emulator, None);
    (emulator, client, clock)
}

fn job_body(name: &str, steps: &[&str]) -> types::CreateBuildJobRequestBody {
    codearts_emulator::fixtures::build_job(PROJECT, name, steps, Vec::new())
}

async fn create_job(client: &Client, name: &str, steps: &[&str]) -> String {
    let created = client.create_build_job().body(job_body(name, steps)).call().await.expect("job created");
    created.result.and_then(|r| r.job_id).expect("a job id")
}

/// Runs the job; returns its build number and record ID.
async fn run(client: &Client, job: &str) -> (i32, String) {
    let body = types::RunJobRequestBody::builder().job_id(job);
    let started = client.run_job().body(body).call().await.expect("the job runs");
    let build_no: i32 = started.actual_build_number.expect("a build number").parse().unwrap();
    let record = client.show_record_detail().job_id(job).build_no(build_no).call().await.unwrap();
    (build_no, record.result.unwrap().build_record_id.expect("a record id"))
}

fn quick() -> WaitOptions {
    WaitOptions {
        max_wait: Duration::from_secs(20),
        initial_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
    }
}

async fn full_log(client: &Client, record_id: &str) -> String {
    let mut out = Vec::new();
    let n = download_build_log(client, record_id, &mut out).await.expect("a log");
    assert_eq!(n, out.len() as u64);
    String::from_utf8(out).unwrap()
}

// --- wait ---------------------------------------------------------------------------------------

#[tokio::test]
async fn waiter_reports_success_with_the_final_record() {
    let (_emulator, client) = fast().await;
    let job = create_job(&client, "wait-ok", &["Build", "Test"]).await;
    let (build_no, record_id) = run(&client, &job).await;
    let outcome = wait_for_build(&client, &job, build_no, quick()).await.expect("polling works");
    let BuildOutcome::Succeeded(record) = outcome else { panic!("expected success, got {outcome:?}") };
    assert_eq!(record.status.as_deref(), Some("SUCCESS"));
    assert_eq!(record.build_record_id.as_deref(), Some(record_id.as_str()));
    assert!(full_log(&client, &record_id).await.contains("Finished: SUCCESS"));
}

#[tokio::test]
async fn waiter_reports_failure() {
    let (_emulator, client) = fast().await;
    let job = create_job(&client, "wait-fail", &["Build", "Deliberately fail here"]).await;
    let (build_no, _) = run(&client, &job).await;
    let outcome = wait_for_build(&client, &job, build_no, quick()).await.expect("polling works");
    let BuildOutcome::Failed(record) = outcome else { panic!("expected failure, got {outcome:?}") };
    assert_eq!(record.status.as_deref(), Some("FAILURE"));
}

#[tokio::test]
async fn waiter_reports_a_stopped_build() {
    let (_emulator, client, clock) = manual().await;
    let job = create_job(&client, "wait-stop", &["Build"]).await;
    let (build_no, _) = run(&client, &job).await;
    clock.advance(SLOW_STEP.mul_f64(1.5)); // running
    let waiter = tokio::spawn({
        let (client, job) = (client.clone(), job.clone());
        async move { wait_for_build(&client, &job, build_no, quick()).await }
    });
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(!waiter.is_finished(), "the build is still running");
    let stopped = client.stop_build_job().job_id(&job).build_no(build_no).call().await.unwrap();
    assert_eq!(stopped.success, Some(true));
    let outcome = tokio::time::timeout(Duration::from_secs(10), waiter).await.unwrap().unwrap().unwrap();
    let BuildOutcome::Stopped(record) = outcome else { panic!("expected stopped, got {outcome:?}") };
    assert_eq!(record.status.as_deref(), Some("ABORTED"));
}

#[tokio::test]
async fn waiter_times_out_with_the_last_record() {
    let (_emulator, client, _clock) = manual().await;
    let job = create_job(&client, "wait-timeout", &["Build"]).await;
    let (build_no, _) = run(&client, &job).await;
    let options = WaitOptions { max_wait: Duration::from_millis(50), ..quick() };
    let started = std::time::Instant::now();
    let outcome = wait_for_build(&client, &job, build_no, options).await.expect("polling works");
    assert!(started.elapsed() < Duration::from_secs(5));
    let BuildOutcome::TimedOut { last: Some(last) } = outcome else { panic!("expected a timeout, got {outcome:?}") };
    assert_eq!(last.status.as_deref(), Some("QUEUED"), "the clock never moved");
}

#[tokio::test]
async fn waiter_returns_polling_errors() {
    let (_emulator, client) = fast().await;
    let e = wait_for_build(&client, "0123456789abcdef0123456789abcdef", 1, quick()).await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
}

// --- logs ---------------------------------------------------------------------------------------

#[tokio::test]
async fn step_log_downloads_only_that_step() {
    let (_emulator, client, clock) = manual().await;
    let job = create_job(&client, "step-log", &["Build with Maven", "Upload"]).await;
    let (_, record_id) = run(&client, &job).await;
    clock.advance(SLOW_STEP * 10);
    let mut out = Vec::new();
    let n = download_step_log(&client, &record_id, "Build with Maven", &mut out).await.unwrap();
    let step = String::from_utf8(out).unwrap();
    assert_eq!(n as usize, step.len());
    assert!(step.contains("echo Build with Maven"), "{step}");
    assert!(!step.contains("echo Upload"), "{step}");
    assert!(full_log(&client, &record_id).await.contains(&step));
}

async fn follow_exactly_once(client: &Client, faults: Option<&Faults>) {
    let job = create_job(client, "follow", &["Build", "Test", "Package"]).await;
    let (build_no, record_id) = run(client, &job).await;
    if let Some(faults) = faults {
        let log_path = format!("/v4/{record_id}/download-log");
        faults.inject(Fault::server_error(1, 503).on_path(&log_path));
        faults.inject(Fault::truncated_body(1).on_path(&log_path));
    }
    let options = FollowOptions { interval: Duration::from_millis(7), max_consecutive_errors: 5 };
    let mut stream = Box::pin(follow_build_log(client, &job, build_no, &record_id, options));
    let (mut lines, mut errors) = (Vec::new(), Vec::<Error>::new());
    let collect = async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(line) => lines.push(line),
                Err(e) => errors.push(e),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect).await.expect("the follower ends with the build");
    let delivered: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let log = full_log(client, &record_id).await;
    assert!(log.ends_with("Finished: SUCCESS\n"), "{log}");
    assert_eq!(delivered, log, "every byte exactly once");
    match faults {
        None => assert!(errors.is_empty(), "{errors:?}"),
        Some(faults) => {
            assert_eq!(errors.len(), 2, "each surfaced failure is yielded once: {errors:?}");
            assert!(faults.pending().is_empty());
        }
    }
}

#[tokio::test]
async fn follower_delivers_exactly_the_bytes_of_the_final_log() {
    let (_emulator, client) = fast().await;
    follow_exactly_once(&client, None).await;
}

#[tokio::test]
async fn follower_resumes_after_errors_without_losing_or_repeating_bytes() {
    // No retries: the injected failures reach the follower.
    let (_emulator, client, faults) = faulty().await;
    follow_exactly_once(&client, Some(&faults)).await;
}

#[tokio::test]
async fn follower_gives_up_after_consecutive_errors() {
    let (_emulator, client) = fast().await;
    let options = FollowOptions { interval: Duration::from_millis(1), max_consecutive_errors: 3 };
    let items: Vec<_> = follow_build_log(&client, "0123456789abcdef0123456789abcdef", 1, "x", options).collect().await;
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i.is_err()));
}

// --- run and wait ------------------------------------------------------------------------------

fn run_body(job: &str) -> types::builder::RunJobRequestBody {
    types::RunJobRequestBody::builder().job_id(job)
}

#[tokio::test]
async fn run_and_wait_starts_one_build_and_reports_its_outcome() {
    let (emulator, client) = fast().await;
    let ok = create_job(&client, "run-ok", &["Build"]).await;
    let bad = create_job(&client, "run-bad", &["Build", "Deliberately fail here"]).await;

    let run = run_and_wait(&client, run_body(&ok), quick()).await.expect("the build starts");
    assert_eq!(run.build, StartedBuild { job_id: ok.clone(), build_no: 1 });
    assert!(matches!(run.outcome, Ok(BuildOutcome::Succeeded(_))), "{:?}", run.outcome);
    let run = run_and_wait(&client, run_body(&ok), quick()).await.expect("the build starts");
    assert_eq!(run.build.build_no, 2, "each call starts exactly one new build");

    let run = run_and_wait(&client, run_body(&bad), quick()).await.expect("the build starts");
    let Ok(BuildOutcome::Failed(record)) = run.outcome else { panic!("expected a failure, got {:?}", run.outcome) };
    assert_eq!(record.build_no, Some(1));
    drop(emulator);
}

#[tokio::test]
async fn run_and_wait_keeps_the_build_number_when_waiting_fails_and_can_resume() {
    let (_emulator, client, faults) = faulty().await;
    let job = create_job(&client, "run-resume", &["Build"]).await;
    // The first poll of the record fails; RunJob itself is untouched.
    faults.inject(Fault::server_error(1, 503).on_path(format!("/v4/jobs/{job}/1/record-info")));

    let run = run_and_wait(&client, run_body(&job), quick()).await.expect("the build starts");
    assert_eq!(run.build.build_no, 1);
    let err = run.outcome.expect_err("the poll failed");
    assert_eq!(err.status(), Some(503));
    let resumed = run.build.wait(&client, quick()).await.expect("polling works again");
    assert!(matches!(resumed, BuildOutcome::Succeeded(_)), "{resumed:?}");
}

#[tokio::test]
async fn a_run_job_answer_without_a_build_number_is_a_typed_error_and_is_not_resent() {
    // A service whose RunJob answer lacks `actual_build_number`.
    let server = Server::start(|_, _| Reply::json(200, json!({ "octopus_job_name": "run-unknown" }))).await;
    let config = codearts::Config::builder()
        .endpoint(codearts::region::Service::Build, &server.base)
        .credentials(codearts::credentials::Credentials::Token("t".to_string().into()))
        .build()
        .unwrap();
    let client = Client::from_config(&config).unwrap();
    let job = "f9d6c8466d614a9788e9a0acf6c15f46";
    let err = codearts::wait::start_build(&client, run_body(job)).await.expect_err("no build number");
    assert_eq!(err.kind(), codearts::ErrorKind::Decode);
    assert!(err.to_string().contains("may have started"), "{err}");
    assert_eq!(server.count(), 1, "RunJob is sent once");
}

// --- paginate -----------------------------------------------------------------------------------

#[tokio::test]
async fn jobs_paginate_across_page_boundaries() {
    let (_emulator, client) = fast().await;
    for i in 0..7 {
        create_job(&client, &format!("page-job-{i}"), &["Build"]).await;
    }
    let pages: Vec<_> =
        client.show_job_list_by_project_id().project_id(PROJECT).into_paginator().page_size(3).pages().collect().await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.as_ref().unwrap().items.len()).collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    let names: Vec<String> =
        paginate::items(client.show_job_list_by_project_id().project_id(PROJECT).into_paginator().page_size(3).pages())
            .map(|j| j.unwrap().job_name.unwrap())
            .collect()
            .await;
    assert_eq!(names, (0..7).map(|i| format!("page-job-{i}")).collect::<Vec<_>>());
    // Exactly one page of seven: the total stops it without requesting an empty page.
    let pages: Vec<_> =
        client.show_job_list_by_project_id().project_id(PROJECT).into_paginator().page_size(7).pages().collect().await;
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn history_paginates() {
    let (_emulator, client, clock) = manual().await;
    let job = create_job(&client, "history", &["Build"]).await;
    for _ in 0..5 {
        run(&client, &job).await;
        clock.advance(SLOW_STEP * 5);
    }
    let records: Vec<types::JobHistoryRecord> = client
        .show_list_history()
        .job_id(&job)
        .interval(7)
        .into_paginator()
        .page_size(2)
        .items()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(records.len(), 5);
    let numbers: Vec<_> = records.iter().map(|r| r.build_number).collect();
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "no record twice: {numbers:?}");
}

#[tokio::test]
async fn templates_paginate() {
    let (_emulator, client) = fast().await;
    for i in 0..5 {
        let body: types::CreateTemplatesRequestBody = serde_json::from_value(json!({
            "name": format!("template-{i}"),
            "description": "Maven build",
            "tool_type": "maven",
            "parameters": [],
            "template": {"steps": [{
                "module_id": "devcloud2018.codeci_action_20057.action",
                "name": "Build with Maven",
                "version": "",
                "enable": true,
                "properties": {"command": "mvn package"}
            }]}
        }))
        .unwrap();
        client.create_templates().body(body).call().await.unwrap();
    }
    let pages: Vec<_> = client.list_templates().into_paginator().page_size(2).pages().collect().await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.as_ref().unwrap().items.len()).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
}
