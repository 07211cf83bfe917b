//! The SDK against the emulator: every CodeArts Build operation through `Client::from_config` and
//! `.call()`, with the emulator's semantics checked along the way (authentication, a build's life on
//! a manual clock, growing logs, history, stop, paging, permissions, templates, notifications,
//! validation and 404/405 answers). Run with `cargo test --features emulator`.

#![cfg(feature = "build")]
#![allow(deprecated)] // the deprecated operations are tested too

mod support;

use std::time::Duration;

use codearts::build::{Client, types};
use codearts::credentials::Credentials;
use codearts::region::Service;
use codearts::{CallExt, Config, Error, ErrorKind};
use codearts_emulator::{DEFAULT_KEYSTORE, Emulator, ManualClock, RunningEmulator};
use futures::StreamExt;
use serde_json::json;

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const OTHER_PROJECT: &str = "0123456789abcdef0123456789abcdef";
/// The step duration of the manual-clock tests.
const STEP: Duration = Duration::from_secs(10);

/// An emulator on a manual clock, and a client logged in with the demo password.
struct Env {
    emulator: RunningEmulator,
    clock: ManualClock,
    client: Client,
}

impl Env {
    async fn new() -> Env {
        Self::with(Emulator::builder()).await
    }

    async fn with(builder: codearts_emulator::EmulatorBuilder) -> Env {
        // Noon (UTC) of today: tests advance the clock by minutes, never across midnight, and tokens
        // the emulator issues (valid 24 h on its clock) are still valid by the system clock.
        let noon = time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap());
        let clock = ManualClock::new(noon.into());
        let emulator = builder.step_duration(STEP).clock(clock.clone()).start().await.expect("the emulator starts");
        let client = client(&emulator, emulator.password_credentials());
        Env { emulator, clock, client }
    }

    /// Moves the emulator's clock forward by `steps` step durations (fractions allowed).
    fn advance(&self, steps: f64) {
        self.clock.advance(STEP.mul_f64(steps));
    }

    fn today(&self) -> String {
        let now = time::OffsetDateTime::from(self.clock.now());
        format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
    }
}

fn client(emulator: &RunningEmulator, credentials: Credentials) -> Client {
    let config = emulator.config_builder().credentials(credentials).build().expect("a valid config");
    Client::from_config(&config).expect("a client")
}

/// The shared test job, with a plain and a password build parameter.
fn job_body(project: &str, name: &str, steps: &[&str]) -> types::CreateBuildJobRequestBody {
    let parameters = serde_json::from_value(json!([{
        "name": "hudson.model.StringParameterDefinition",
        "params": [
            {"name": "name", "value": "releaseVersion"},
            {"name": "type", "value": "normalparam"},
            {"name": "defaults", "value": "1.0.0"}
        ]
    }, {
        "name": "hudson.model.PasswordParameterDefinition",
        "params": [
            {"name": "name", "value": "deployToken"},
            {"name": "type", "value": "encryptparam"},
            {"name": "defaults", "value": "s3cret"}
        ]
    }]))
    .expect("build parameters of the spec's shape");
    codearts_emulator::fixtures::build_job(project, name, steps, parameters)
}

async fn create_job(client: &Client, name: &str, steps: &[&str]) -> String {
    create_job_in(client, PROJECT, name, steps).await
}

async fn create_job_in(client: &Client, project: &str, name: &str, steps: &[&str]) -> String {
    let created = client.create_build_job().body(job_body(project, name, steps)).call().await.expect("job created");
    assert_eq!(created.status.as_deref(), Some("success"));
    created.result.and_then(|r| r.job_id).expect("a job id")
}

async fn run(client: &Client, job: &str, parameters: &[(&str, &str)]) -> types::RunJobResponse {
    let parameter =
        parameters.iter().map(|(name, value)| types::RunJobParameterItem::new(*name, *value)).collect::<Vec<_>>();
    client.run_job().body_map(|b| b.job_id(job).parameter(parameter)).call().await.expect("the job runs")
}

async fn record(client: &Client, job: &str, build: i32) -> types::BuildRecordDetail {
    let r = client.show_record_detail().job_id(job).build_no(build).call().await.expect("a record");
    assert_eq!(r.status.as_deref(), Some("success"));
    r.result.expect("a record result")
}

async fn collect(stream: codearts::build::ByteStream) -> String {
    let mut stream = stream.into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.expect("the download continues"));
    }
    String::from_utf8(bytes).expect("a text log")
}

async fn full_log(client: &Client, record_id: &str) -> String {
    collect(client.download_build_log().record_id(record_id).call().await.expect("a log")).await
}

async fn task_log(client: &Client, record_id: &str, task: &str) -> String {
    collect(client.download_task_log().record_id(record_id).task_name(task).call().await.expect("a step log")).await
}

async fn step_states(client: &Client, job: &str, build: i32) -> Vec<String> {
    let details = client.show_history_details().job_id(job).build_number(build).call().await.expect("details");
    details.build_steps.into_iter().map(|s| s.status.map(|s| s.as_str().to_string()).unwrap_or_default()).collect()
}

/// `unwrap_err` for results whose success type (a download stream) has no `Debug`.
trait Failed {
    fn failed(self) -> Error;
}

impl<T> Failed for Result<T, Error> {
    #[track_caller]
    fn failed(self) -> Error {
        match self {
            Ok(_) => panic!("expected an error, the call succeeded"),
            Err(e) => e,
        }
    }
}

#[track_caller]
fn assert_refused_before_sending(e: &Error, operation: &str, parameter: &str) {
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!((e.operation(), e.attempts(), e.status()), (Some(operation), 0, None), "{e}");
    assert!(e.message().unwrap_or_default().starts_with(&format!("{parameter} ")), "{e}");
}

#[track_caller]
fn assert_service_error(e: &Error, status: u16, code: &str) {
    assert_eq!(e.kind(), ErrorKind::Service, "{e}");
    assert_eq!(e.status(), Some(status), "{e}");
    assert_eq!(e.code(), Some(code), "{e}");
    assert!(e.request_id().is_some(), "the emulator sends X-Request-Id: {e}");
}

// --- Authentication ------------------------------------------------------------------------------

#[tokio::test]
async fn password_login_and_aksk_both_work() {
    let env = Env::new().await;
    let by_password = env.client.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(10);
    assert_eq!(by_password.call().await.unwrap().total, Some(0));

    let job = create_job(&env.client, "by-password", &["Build"]).await;
    let aksk = client(&env.emulator, env.emulator.aksk_credentials());
    let status = aksk.show_job_status().job_id(&job).call().await.expect("AK/SK signatures verify");
    assert_eq!(status.result, Some(false));
    // A signed POST with a body: the body's hash is part of the signature.
    run(&aksk, &job, &[("releaseVersion", "2.0.0")]).await;

    // AK/SK without an IAM project id: the SDK resolves it through GET /v3/projects?name=<region>.
    let base = env.emulator.base_url();
    let config = Config::builder()
        .region("eu-west-101")
        .endpoint(Service::Build, base)
        .endpoint(Service::Iam, base)
        .credentials(env.emulator.aksk_credentials())
        .build()
        .unwrap();
    let resolved = Client::from_config(&config).unwrap();
    assert_eq!(resolved.show_job_status().job_id(&job).call().await.unwrap().result, Some(true));

    // Password login scoped by project name (region) rather than id.
    let config = Config::builder()
        .region("eu-west-101")
        .endpoint(Service::Build, base)
        .endpoint(Service::Iam, base)
        .credentials(env.emulator.password_credentials())
        .build()
        .unwrap();
    let by_name = Client::from_config(&config).unwrap();
    assert_eq!(by_name.show_job_status().job_id(&job).call().await.unwrap().result, Some(true));
}

#[tokio::test]
async fn bad_credentials_are_refused_with_401() {
    let env = Env::new().await;
    let job = create_job(&env.client, "guarded", &["Build"]).await;

    let wrong_password = client(&env.emulator, Credentials::password("demo", "demo", "not-the-password"));
    let e = wrong_password.show_job_status().job_id(&job).call().await.failed();
    assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
    assert!(e.to_string().contains("401"), "{e}");
    assert!(e.to_string().contains("The username or password is wrong"), "{e}");

    let wrong_sk = client(&env.emulator, Credentials::aksk("EMULATORAK", "not-the-secret"));
    let e = wrong_sk.show_job_status().job_id(&job).call().await.failed();
    assert_service_error(&e, 401, "APIGW.0301");
    assert!(e.message().unwrap().contains("signature does not match"), "{e}");

    let unknown_ak = client(&env.emulator, Credentials::aksk("NOSUCHAK", "x"));
    let e = unknown_ak.show_job_status().job_id(&job).call().await.failed();
    assert_service_error(&e, 401, "APIGW.0301");

    let forged = client(&env.emulator, Credentials::token("MIIforged"));
    let e = forged.show_job_status().job_id(&job).call().await.failed();
    assert_service_error(&e, 401, "APIGW.0301");

    let config = Config::builder().endpoint(Service::Build, env.emulator.base_url()).build().unwrap();
    let anonymous = Client::from_config(&config).unwrap();
    let e = anonymous.show_job_status().job_id(&job).call().await.failed();
    assert_service_error(&e, 401, "APIGW.0301");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_by_the_sdk() {
    let env = Env::new().await;
    let job = create_job(&env.client, "long-lived", &["Build"]).await;
    // 25 hours later on the emulator's clock the cached token has expired: the emulator answers 401
    // APIGW.0307, and the SDK logs in again once and resends.
    env.clock.advance(Duration::from_secs(25 * 3600));
    let status = env.client.show_job_status().job_id(&job).call().await.expect("refreshed and resent");
    assert_eq!(status.result, Some(false));

    // A static token that expired is not refreshable: the 401 reaches the caller.
    let token = login_token(&env.emulator).await;
    env.clock.advance(Duration::from_secs(25 * 3600));
    let fixed = client(&env.emulator, Credentials::token(token));
    let e = fixed.show_job_status().job_id(&job).call().await.failed();
    assert_service_error(&e, 401, "APIGW.0307");
}

// --- A build's life ------------------------------------------------------------------------------

#[tokio::test]
async fn a_build_runs_from_queued_to_success_and_everything_reflects_it() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "maven-demo", &["Build with Maven", "Upload to release repo"]).await;

    let started = run(c, &job, &[("releaseVersion", "2.0.0")]).await;
    assert_eq!(started.actual_build_number.as_deref(), Some("1"));
    let daily = started.daily_build_number.clone().unwrap();
    assert!(daily.ends_with(".1") && daily.len() == 10, "{daily}");
    assert!(started.octopus_job_name.as_deref().unwrap().starts_with("j_"));

    // Queued for one step.
    assert_eq!(c.show_job_status().job_id(&job).call().await.unwrap().result, Some(true));
    let queued = record(c, &job, 1).await;
    assert_eq!(queued.status.as_deref(), Some("QUEUED"));
    assert_eq!((queued.start_time.as_deref(), queued.duration), (None, Some(0)));
    assert_eq!(queued.daily_build_num.as_deref(), Some(daily.as_str()));
    let record_id = queued.build_record_id.clone().unwrap();
    assert_eq!(step_states(c, &job, 1).await, vec!["", "", ""]);
    let log_queued = full_log(c, &record_id).await;
    assert!(log_queued.contains("queued"), "{log_queued}");
    assert!(!log_queued.contains("Started by"), "{log_queued}");

    // Running: the implicit checkout, then the job's steps, one step duration each.
    env.advance(1.5);
    let running = record(c, &job, 1).await;
    assert_eq!(running.status.as_deref(), Some("RUNNING"));
    assert_eq!(running.duration, Some(5_000));
    assert!(running.start_time.is_some() && running.finish_time.is_none());
    assert_eq!(step_states(c, &job, 1).await, vec!["running", "", ""]);
    let log_running = full_log(c, &record_id).await;
    assert!(log_running.starts_with(&log_queued), "the log only grows");
    assert!(log_running.contains("[Code checkout] Step started"), "{log_running}");
    assert!(!log_running.contains("Finished:"), "{log_running}");
    assert!(task_log(c, &record_id, "Code checkout").await.contains("git clone git@example.com:demo/maven-demo.git"));
    assert_eq!(task_log(c, &record_id, "Upload to release repo").await, "", "not started yet");

    env.advance(1.0);
    assert_eq!(step_states(c, &job, 1).await, vec!["success", "running", ""]);
    let log_later = full_log(c, &record_id).await;
    assert!(log_later.len() > log_running.len() && log_later.starts_with(&log_running), "the log grows");
    let maven = task_log(c, &record_id, "Build with Maven").await;
    assert!(maven.contains("$ echo Build with Maven") && !maven.contains("Code checkout"), "{maven}");

    // Finished.
    env.advance(2.0);
    assert_eq!(c.show_job_status().job_id(&job).call().await.unwrap().result, Some(false));
    let done = record(c, &job, 1).await;
    assert_eq!(done.status.as_deref(), Some("SUCCESS"));
    assert_eq!(done.duration, Some(30_000));
    assert!(done.finish_time.is_some() && done.err_msg.is_none());
    assert_eq!(done.codeci_job_id.as_deref(), Some(job.as_str()));
    assert_eq!(done.devcloud_project_id.as_deref(), Some(PROJECT));
    assert_eq!((done.branch.as_deref(), done.repo_name.as_deref()), (Some("master"), Some("maven-demo")));
    assert_eq!(step_states(c, &job, 1).await, vec!["success", "success", "success"]);
    let log = full_log(c, &record_id).await;
    assert!(log.starts_with(&log_later) && log.ends_with("[INFO] Finished: SUCCESS\n"), "{log}");
    assert!(!log.contains("[DEBUG]"));
    assert_eq!(full_log(c, &record_id).await, log, "a finished build's log no longer changes");
    env.advance(10.0);
    assert_eq!(full_log(c, &record_id).await, log);
    let debug = collect(c.download_build_log().record_id(&record_id).log_level("DEBUG").call().await.unwrap()).await;
    assert!(debug.contains("[DEBUG] Parameter releaseVersion=2.0.0"), "{debug}");
    assert!(debug.contains("[DEBUG] Parameter deployToken=*****"), "sensitive values are masked: {debug}");
    let v3 = collect(c.download_log_by_record_id().record_id(&record_id).call().await.unwrap()).await;
    assert_eq!(v3, log, "the deprecated v3 download gives the INFO log");

    // History details: parameters (masked) and steps with their times.
    let details = c.show_history_details().job_id(&job).build_number(1).call().await.unwrap();
    assert_eq!((details.job_name.as_deref(), details.build_number), (Some("maven-demo"), Some(1)));
    assert_eq!(details.parameters.get("releaseVersion").map(String::as_str), Some("2.0.0"));
    assert_eq!(details.parameters.get("deployToken").map(String::as_str), Some("*****"));
    assert!(details.build_steps.iter().all(|s| s.build_time == Some(10_000)));

    // The v3 record.
    let info = c.show_record_info().job_id(&job).build_no(1).call().await.unwrap();
    assert_eq!(info.success, Some(true));
    let info = info.result.unwrap();
    assert_eq!((info.status.as_deref(), info.duration), (Some("SUCCESS"), Some(30_000.0)));
    assert_eq!(info.build_record_id.as_deref(), Some(record_id.as_str()));

    // History, period history, success ratio.
    let history = c.show_list_history().job_id(&job).offset(0).limit(10).interval(7).call().await.unwrap();
    assert_eq!(history.total, Some(1));
    let h = &history.history_records[0];
    assert_eq!(
        (h.record_id.as_deref(), h.result.as_deref(), h.build_number),
        (Some(&*record_id), Some("SUCCESS"), Some(1))
    );
    let today = env.today();
    let period = c
        .show_list_period_history()
        .job_id(&job)
        .offset(0)
        .limit(10)
        .start_time(&today)
        .end_time(&today)
        .call()
        .await
        .unwrap();
    assert_eq!(period.total, Some(1));
    let p = &period.history_records[0];
    assert_eq!((p.executor.as_deref(), p.branch.as_deref()), (Some("demo"), Some("master")));
    assert_eq!(p.commit_id, done.commit);
    let ratio = c.show_job_success_ratio().job_id(&job).start_time(&today).end_time(&today).call().await.unwrap();
    assert_eq!((ratio.success_count, ratio.total_count, ratio.success_ratio), (Some(1), Some(1), Some(1.0)));

    // Products, the last successful build of the repository, the flow graph.
    let output = c.show_output_info().job_id(&job).build_no(1).call().await.unwrap();
    let package = output.result.unwrap().package_info.expect("a successful build produced a package");
    assert_eq!(package.version.as_deref(), Some(daily.as_str()));
    let last = c.show_last_history().project_id(PROJECT).repository_name("maven-demo").call().await.unwrap();
    assert_eq!((last.record_id.as_deref(), last.result.as_deref()), (Some(&*record_id), Some("SUCCESS")));
    assert_eq!(last.job_name.as_deref(), Some("maven-demo"));
    let graph = c.show_flow_graph().build_flow_record_id(&record_id).call().await.unwrap();
    let vertex = &graph.result.unwrap().vertices[0];
    assert_eq!((vertex.id.as_deref(), vertex.status.as_deref()), (Some(&*record_id), Some("SUCCESS")));
    assert_eq!((vertex.build_duration, vertex.build_no.as_deref()), (Some(30_000), Some("1")));

    // The list item reflects the build.
    let list = c.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(10).call().await.unwrap();
    let item = &list.jobs[0];
    assert_eq!(
        (item.last_build_status.as_deref(), item.is_finished, item.health_score),
        (Some("blue"), Some(true), Some(100))
    );
    assert!(item.last_build_time.is_some());
}

#[tokio::test]
async fn history_pages_newest_first_and_covers_the_interval() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "many-builds", &["Build"]).await;
    run(c, &job, &[]).await;
    env.clock.advance(Duration::from_secs(8 * 86_400));
    for _ in 0..3 {
        run(c, &job, &[]).await;
        env.advance(5.0);
    }
    let numbers = |r: &types::ShowListHistoryResponse| {
        r.history_records.iter().map(|h| h.build_number.unwrap()).collect::<Vec<_>>()
    };
    let page0 = c.show_list_history().job_id(&job).offset(0).limit(2).interval(7).call().await.unwrap();
    assert_eq!((page0.total, numbers(&page0)), (Some(3), vec![4, 3]), "build 1 is older than 7 days");
    let page1 = c.show_list_history().job_id(&job).offset(1).limit(2).interval(7).call().await.unwrap();
    assert_eq!(numbers(&page1), vec![2]);
    let all = c.show_list_history().job_id(&job).offset(0).limit(10).interval(30).call().await.unwrap();
    assert_eq!(numbers(&all), vec![4, 3, 2, 1]);
    let status = c.show_list_history().job_id(&job).offset(0).limit(1).interval(30).call().await.unwrap();
    assert_eq!(status.history_records[0].result.as_deref(), Some("SUCCESS"));
}

#[tokio::test]
async fn a_failing_step_fails_the_build_at_that_step() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "flaky", &["Compile", "Run failing tests", "Package"]).await;
    run(c, &job, &[]).await;
    env.advance(2.5);
    assert_eq!(step_states(c, &job, 1).await, vec!["success", "running", "", ""]);
    env.advance(10.0);
    assert_eq!(step_states(c, &job, 1).await, vec!["success", "success", "error", ""]);
    let failed = record(c, &job, 1).await;
    assert_eq!(failed.status.as_deref(), Some("FAILURE"));
    assert_eq!(failed.duration, Some(30_000), "it stops at the failing step");
    assert!(failed.err_msg.as_deref().unwrap().contains("Run failing tests"));
    let record_id = failed.build_record_id.unwrap();
    let log = full_log(c, &record_id).await;
    assert!(log.contains("[ERROR] [Run failing tests] Step failed"), "{log}");
    assert!(log.ends_with("[INFO] Finished: FAILURE\n"), "{log}");
    assert!(!log.contains("[Package]"), "{log}");

    let today = env.today();
    let ratio = c.show_job_success_ratio().job_id(&job).start_time(&today).end_time(&today).call().await.unwrap();
    assert_eq!((ratio.success_count, ratio.total_count, ratio.success_ratio), (Some(0), Some(1), Some(0.0)));
    let output = c.show_output_info().job_id(&job).build_no(1).call().await.unwrap();
    assert_eq!(output.result.unwrap(), types::BuildOutputInfo::default(), "a failed build produced nothing");
    let e = c.show_last_history().project_id(PROJECT).repository_name("maven-demo").call().await.failed();
    assert!(e.is_not_found(), "no successful build yet: {e}");
    let list = c.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(10).call().await.unwrap();
    assert_eq!((list.jobs[0].last_build_status.as_deref(), list.jobs[0].health_score), (Some("red"), Some(0)));

    // The `fail` run parameter: `true` fails the last step, a step's name fails that step.
    let job = create_job(c, "steady", &["Compile", "Package"]).await;
    run(c, &job, &[("fail", "true")]).await;
    run(c, &job, &[("fail", "Compile")]).await;
    run(c, &job, &[("fail", "false")]).await;
    env.advance(10.0);
    assert_eq!(step_states(c, &job, 1).await, vec!["success", "success", "error"]);
    assert_eq!(step_states(c, &job, 2).await, vec!["success", "error", ""]);
    assert_eq!(step_states(c, &job, 3).await, vec!["success", "success", "success"]);
}

#[tokio::test]
async fn stop_aborts_a_running_build() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "long", &["Compile", "Package"]).await;
    run(c, &job, &[]).await;
    env.advance(2.5);
    let stopped = c.stop_build_job().job_id(&job).build_no(1).call().await.unwrap();
    assert_eq!((stopped.success, stopped.result.as_deref()), (Some(true), Some("")));
    let again = c.stop_build_job().job_id(&job).build_no(1).call().await.unwrap();
    assert_eq!(again.success, Some(true), "stopping a stopped build again is harmless");
    env.advance(10.0);
    let aborted = record(c, &job, 1).await;
    assert_eq!((aborted.status.as_deref(), aborted.duration), (Some("ABORTED"), Some(15_000)));
    assert!(aborted.err_msg.as_deref().unwrap().contains("Stopped by user demo"));
    assert_eq!(step_states(c, &job, 1).await, vec!["success", "error", ""]);
    let log = full_log(c, &aborted.build_record_id.unwrap()).await;
    assert!(log.contains("[WARN] Build stopped by user demo"), "{log}");
    assert!(log.ends_with("[INFO] Finished: ABORTED\n"), "{log}");
    assert_eq!(c.show_job_status().job_id(&job).call().await.unwrap().result, Some(false));

    // A finished build cannot be stopped.
    run(c, &job, &[]).await;
    env.advance(10.0);
    let late = c.stop_build_job().job_id(&job).build_no(2).call().await.unwrap();
    assert_eq!(late.success, Some(false));
    assert!(late.result.unwrap().contains("already finished (SUCCESS)"));

    // The deprecated StopJob: the build in the body, a boolean answer.
    run(c, &job, &[]).await;
    let body = types::StopJobRequestBody::new(job.clone(), "3");
    assert_eq!(c.stop_job().body(body).call().await.unwrap().result, Some(true));
    assert_eq!(record(c, &job, 3).await.status.as_deref(), Some("ABORTED"));
    let body = types::StopJobRequestBody::new(job.clone(), "2");
    assert_eq!(c.stop_job().body(body).call().await.unwrap().result, Some(false));
    let body = types::StopJobRequestBody::new(job.clone(), "two");
    assert_service_error(&c.stop_job().body(body).call().await.failed(), 400, "CB.00060200");
    let e = c.stop_build_job().job_id(&job).build_no(9).call().await.failed();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn builds_run_on_the_system_clock_too() {
    let emulator = Emulator::builder().step_duration(Duration::from_millis(20)).start().await.unwrap();
    let c = client(&emulator, emulator.aksk_credentials());
    let job = create_job(&c, "quick", &["Build"]).await;
    run(&c, &job, &[]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = record(&c, &job, 1).await.status.unwrap();
        if status == "SUCCESS" {
            break;
        }
        assert!(["QUEUED", "RUNNING"].contains(&status.as_str()), "{status}");
        assert!(std::time::Instant::now() < deadline, "the build did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// --- Jobs ----------------------------------------------------------------------------------------

#[tokio::test]
async fn jobs_are_listed_per_project_in_pages_with_permission_flags() {
    let env =
        Env::with(Emulator::builder().user("demo", "demo", "demo-password").user("demo", "colleague", "pw2")).await;
    let c = &env.client;
    for i in 0..25 {
        create_job(c, &format!("job-{i:02}"), &["Build"]).await;
    }
    create_job_in(c, OTHER_PROJECT, "elsewhere", &["Build"]).await;
    let page = |index: i32| c.show_job_list_by_project_id().project_id(PROJECT).page_index(index).page_size(10).call();
    let names = |r: &types::ShowJobListByProjectIdResponse| {
        r.jobs.iter().map(|j| j.job_name.clone().unwrap()).collect::<Vec<_>>()
    };
    let first = page(1).await.unwrap();
    assert_eq!(first.total, Some(25));
    assert_eq!(names(&first), (0..10).map(|i| format!("job-{i:02}")).collect::<Vec<_>>());
    assert_eq!(names(&page(0).await.unwrap()), names(&first), "page 0 is the first page too");
    assert_eq!(names(&page(3).await.unwrap()), (20..25).map(|i| format!("job-{i:02}")).collect::<Vec<_>>());
    assert!(page(4).await.unwrap().jobs.is_empty());
    let other = c.show_job_list_by_project_id().project_id(OTHER_PROJECT).page_index(1).page_size(100).call();
    assert_eq!(names(&other.await.unwrap()), vec!["elsewhere"]);
    let e = c.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(101).call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");

    let item = &first.jobs[0];
    let flags = |j: &types::BuildJobListItem| {
        [j.is_view, j.is_execute, j.is_copy, j.is_modify, j.is_delete, j.is_forbidden].map(|f| f.unwrap())
    };
    assert_eq!(flags(item), [true; 6], "the creator may do everything");
    assert_eq!((item.user_name.as_deref(), item.disabled, item.favorite), (Some("demo"), Some(false), Some(false)));
    assert_eq!(
        (item.last_build_status.as_deref(), item.is_finished, item.last_build_time),
        (Some("notbuilt"), Some(true), None)
    );
    assert_eq!(item.source_code.as_deref(), Some("codehub"));

    // Another user of the account sees the jobs but may only view, run and copy them.
    let colleague = client(&env.emulator, Credentials::password("demo", "colleague", "pw2"));
    let seen = colleague.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(1).call();
    assert_eq!(flags(&seen.await.unwrap().jobs[0]), [true, true, true, false, false, false]);
    let id = item.id.clone().unwrap();
    run(&colleague, &id, &[]).await;
    let e = colleague.delete_build_job().job_id(&id).call().await.failed();
    assert_service_error(&e, 403, "CB.00060200");
    let e = colleague.disable_build_job().job_id(&id).call().await.failed();
    assert_eq!(e.status(), Some(403));
    let update = update_body(&id, "renamed", &["Build"]);
    assert_eq!(colleague.update_build_job().body(update).call().await.failed().status(), Some(403));
}

fn update_body(job: &str, name: &str, steps: &[&str]) -> types::UpdateBuildJobRequestBody {
    let mut body = serde_json::to_value(job_body(PROJECT, name, steps)).unwrap();
    body["job_id"] = json!(job);
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_job_is_configured_updated_disabled_restored_and_deleted() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "lifecycle", &["Build with Maven"]).await;

    let config = c.list_job_config().job_id(&job).call().await.unwrap();
    assert_eq!(config.status.as_deref(), Some("success"));
    let config = config.result.unwrap();
    assert_eq!((config.job_id.as_deref(), config.job_name.as_deref()), (Some(job.as_str()), Some("lifecycle")));
    assert_eq!(
        (config.arch.as_ref().map(|a| a.as_str()), config.project_id.as_deref()),
        (Some("x86-64"), Some(PROJECT))
    );
    assert_eq!(
        config.steps.iter().flatten().map(|s| s.name.clone().unwrap()).collect::<Vec<_>>(),
        vec!["Build with Maven"]
    );
    assert_eq!(config.scms[0].url.as_deref(), Some("git@example.com:demo/maven-demo.git"));
    assert_eq!(config.parameters.len(), 2);
    let all = c.list_job_config().job_id(&job).get_all_params("true").call().await.unwrap().result.unwrap();
    assert_eq!(all.parameters.len(), 3, "get_all_parameters adds the system parameter codeBranch");
    let e = c.list_job_config().job_id(&job).get_all_params("maybe").call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");

    // Update: a new name and steps; the next build runs the new steps.
    let updated = c.update_build_job().body(update_body(&job, "lifecycle-2", &["Lint", "Build"])).call().await.unwrap();
    assert_eq!(updated.result.unwrap().job_id.as_deref(), Some(job.as_str()));
    let config = c.list_job_config().job_id(&job).call().await.unwrap().result.unwrap();
    assert_eq!(config.job_name.as_deref(), Some("lifecycle-2"));
    run(c, &job, &[]).await;
    assert_eq!(step_states(c, &job, 1).await.len(), 3);

    // Names are unique per project.
    let e = c.create_build_job().body(job_body(PROJECT, "lifecycle-2", &["Build"])).call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");
    create_job_in(c, OTHER_PROJECT, "lifecycle-2", &["Build"]).await;
    let other = create_job(c, "another", &["Build"]).await;
    let e = c.update_build_job().body(update_body(&other, "lifecycle-2", &["Build"])).call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");

    // Disable: it cannot run; recover: it can.
    assert_eq!(c.disable_build_job().job_id(&job).call().await.unwrap().status.as_deref(), Some("success"));
    assert_eq!(c.disable_build_job().job_id(&job).call().await.unwrap().status.as_deref(), Some("success"));
    let listed = c.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(10).call().await.unwrap();
    assert_eq!(listed.jobs.iter().find(|j| j.id.as_deref() == Some(&*job)).unwrap().disabled, Some(true));
    let e = c.run_job().body(types::RunJobRequestBody::builder().job_id(&job)).call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");
    assert!(e.message().unwrap().contains("disabled"), "{e}");
    assert_eq!(c.enable_build_job().job_id(&job).call().await.unwrap().status.as_deref(), Some("success"));
    assert_eq!(run(c, &job, &[]).await.actual_build_number.as_deref(), Some("2"));

    // Delete: everything about it is gone.
    let record_id = record(c, &job, 1).await.build_record_id.unwrap();
    let deleted = c.delete_build_job().job_id(&job).call().await.unwrap();
    assert_eq!(deleted.status.as_deref(), Some("success"));
    let result = deleted.result.unwrap();
    assert_eq!((result.job_id.as_deref(), result.project_id.as_deref()), (Some(job.as_str()), Some(PROJECT)));
    for e in [
        c.show_job_status().job_id(&job).call().await.failed(),
        c.list_job_config().job_id(&job).call().await.failed(),
        c.show_record_detail().job_id(&job).build_no(1).call().await.failed(),
        c.delete_build_job().job_id(&job).call().await.failed(),
    ] {
        assert_service_error(&e, 404, "CB.00060214");
        assert!(e.is_not_found());
    }
    let e = c.download_build_log().record_id(&record_id).call().await.failed();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(env.emulator.state().job_count(), 2);
}

// --- Templates, notices, keystore ----------------------------------------------------------------

fn template_body(name: &str) -> types::CreateTemplatesRequestBody {
    serde_json::from_value(json!({
        "name": name,
        "description": "Maven build",
        "tool_type": "maven",
        "parameters": [{"name": "hudson.model.StringParameterDefinition", "params": [{"name": "name", "value": "codeBranch"}]}],
        "template": {"steps": [{
            "module_id": "devcloud2018.codeci_action_20057.action",
            "name": "Build with Maven",
            "version": "",
            "enable": true,
            "properties": {"command": "mvn package"}
        }]}
    }))
    .unwrap()
}

#[tokio::test]
async fn templates_are_created_queried_and_deleted() {
    let env = Env::new().await;
    let c = &env.client;
    let created = c.create_templates().body(template_body("maven-template")).call().await.unwrap();
    assert_eq!(created.status.as_deref(), Some("success"));
    let created = created.result.unwrap();
    let uuid = created.uuid.clone().unwrap();
    assert_eq!((created.name.as_deref(), created.scope.as_deref()), (Some("maven-template"), Some("custom")));
    assert_eq!(
        created.template.unwrap().steps.unwrap_or_default()[0].module_id.as_deref(),
        Some("devcloud2018.codeci_action_20057.action")
    );
    for name in ["npm-template", "gradle-template", "Maven-Release"] {
        c.create_templates().body(template_body(name)).call().await.unwrap();
    }
    let e = c.create_templates().body(template_body("maven-template")).call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");

    let found = c.list_templates().name("MAVEN").call().await.unwrap().result.unwrap();
    assert_eq!(found.total_size, Some(2), "a case-insensitive substring match");
    let names: Vec<_> = found.items.iter().map(|t| t.name.clone().unwrap()).collect();
    assert_eq!(names, vec!["maven-template", "Maven-Release"]);
    assert_eq!(found.items[0].uuid.as_deref(), Some(uuid.as_str()));
    let page2 = c.list_templates().page("2").page_size("3").call().await.unwrap().result.unwrap();
    assert_eq!((page2.total_size, page2.items.len()), (Some(4), 1));
    let e = c.list_templates().page_size("many").call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");

    let deleted = c.delete_templates().uuid(&uuid).call().await.unwrap();
    assert_eq!(deleted.status.as_deref(), Some("success"));
    assert_eq!(deleted.result[0].uuid.as_deref(), Some(uuid.as_str()));
    assert_eq!(c.list_templates().name("maven").call().await.unwrap().result.unwrap().total_size, Some(1));
    assert_service_error(&c.delete_templates().uuid(&uuid).call().await.failed(), 404, "CB.00060214");
    assert_service_error(&c.delete_templates().uuid("not-a-uuid").call().await.failed(), 400, "CB.00060200");
}

async fn channels(c: &Client, job: &str) -> Vec<types::QueryJobNoticeItems> {
    let listed = c.list_notice().job_id(job).call().await.unwrap();
    assert_eq!(listed.status.as_deref(), Some("success"));
    listed.result
}

#[tokio::test]
async fn notices_are_queried_updated_and_disabled() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "noisy", &["Build"]).await;
    let initial = channels(c, &job).await;
    let types: Vec<_> = initial.iter().map(|n| n.notice_type.clone().unwrap()).collect();
    assert_eq!(types, vec!["DING_TALK", "MAIL", "MESSAGE"]);
    let mail = &initial[1];
    assert_eq!(mail.enable_map.len(), 5);
    assert_eq!((mail.enable_map["buildJobFail"], mail.enable_map["buildJobSuccess"]), (true, false));

    let body = types::UpdateNoticeRequestBody::builder()
        .notice_type("email")
        .enabled_event_type_names(vec!["buildJobSuccess".to_string(), "deleteJob".to_string()])
        .param_config("ops@example.com".to_string());
    let updated = c.update_notice().job_id(&job).body(body).call().await.unwrap();
    assert_eq!(updated.status.as_deref(), Some("success"));
    let result: types::NoticeJobResult = types::NoticeJobResult::builder().job_id(job.clone()).try_into().unwrap();
    let expected: types::NoticeOperationResponseResult = result.into();
    assert_eq!(updated.result, Some(expected));
    let mail = channels(c, &job).await.remove(1);
    assert_eq!(
        (mail.enable_map["buildJobSuccess"], mail.enable_map["deleteJob"], mail.enable_map["buildJobFail"]),
        (true, true, false)
    );
    assert_eq!(mail.param_config.as_deref(), Some("ops@example.com"));

    let disabled = c.disable_notice().job_id(&job).notice_type("email").call().await.unwrap();
    assert_eq!(disabled.status.as_deref(), Some("success"));
    assert!(channels(c, &job).await[1].enable_map.values().all(|on| !on));

    let e = c.disable_notice().job_id(&job).notice_type("pigeon").call().await.failed();
    assert_service_error(&e, 400, "CB.00060200");
    let body = types::UpdateNoticeRequestBody::builder()
        .notice_type("message")
        .enabled_event_type_names(vec!["buildJobExploded".to_string()]);
    assert_service_error(&c.update_notice().job_id(&job).body(body).call().await.failed(), 400, "CB.00060200");
    let e = c.list_notice().job_id("0000000000000000000000000000000f").call().await.failed();
    assert_service_error(&e, 404, "CB.00060214");
}

#[tokio::test]
async fn the_keystore_downloads_as_bytes() {
    let env = Env::new().await;
    let c = &env.client;
    // The demo account's domain id, as IAM reports it.
    let domain_id = login_body(&env.emulator).await["token"]["user"]["domain"]["id"].as_str().unwrap().to_string();
    let mut stream =
        c.download_keystore().file_name(DEFAULT_KEYSTORE).domain_id(&domain_id).call().await.unwrap().into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(&bytes[..4], &[0xFE, 0xED, 0xFE, 0xED]);

    let e = c.download_keystore().file_name("nope.jks").domain_id(&domain_id).call().await.failed();
    assert_service_error(&e, 404, "CB.00060214");
    let e = c.download_keystore().file_name(DEFAULT_KEYSTORE).domain_id("60021bab32fd450aa2cb89226f425e06").call();
    assert_service_error(&e.await.failed(), 404, "CB.00060214");
    // An empty file name never leaves the SDK either (the spec documents 1 to 500 characters);
    // the emulator's own CB.00060203 answer to it is checked over raw HTTP in emulator_conformance.
    let e = c.download_keystore().file_name("").domain_id(&domain_id).call().await.failed();
    assert_refused_before_sending(&e, "DownloadKeystore", "file_name");
    // A malformed tenant ID never leaves the SDK (codearts::validate).
    let e = c.download_keystore().file_name(DEFAULT_KEYSTORE).domain_id("NOT-A-DOMAIN").call().await.failed();
    assert_refused_before_sending(&e, "DownloadKeystore", "domain_id");
}

// --- Validation, 404 and 405 ---------------------------------------------------------------------

#[tokio::test]
async fn malformed_input_is_400_and_unknown_resources_404() {
    let env = Env::new().await;
    let c = &env.client;
    let job = create_job(c, "strict", &["Build"]).await;
    run(c, &job, &[]).await;
    let unknown_job = "ffffffffffffffffffffffffffffffff";
    let unknown_record = "00000000-0000-0000-0000-000000000000";

    // Malformed IDs in paths and queries never leave the SDK (codearts::validate); the emulator's own
    // answer to them (CB.00060201, CB.00060200) is checked over raw HTTP in emulator_conformance.rs.
    let e = c.show_job_status().job_id("nope").call().await.failed();
    assert_refused_before_sending(&e, "ShowJobStatus", "job_id");
    let e = c.show_record_detail().job_id("x").build_no(1).call().await.failed();
    assert_refused_before_sending(&e, "ShowRecordDetail", "job_id");
    let e = c.delete_build_job().job_id("a/b").call().await.failed();
    assert_refused_before_sending(&e, "DeleteBuildJob", "job_id");
    let e =
        c.show_job_list_by_project_id().project_id("not-a-project").page_index(1).page_size(1).call().await.failed();
    assert_refused_before_sending(&e, "ShowJobListByProjectId", "project_id");
    let e = c.download_build_log().record_id("not-a-record").call().await.failed();
    assert_refused_before_sending(&e, "DownloadBuildLog", "record_id");
    // Malformed job ids in bodies: CB.00060201 whichever operation.
    let body = types::RunJobRequestBody::builder().job_id("short");
    assert_service_error(&c.run_job().body(body).call().await.failed(), 400, "CB.00060201");
    let mut update = update_body(&job, "strict", &["Build"]);
    update.job_id = "123".into();
    assert_service_error(&c.update_build_job().body(update).call().await.failed(), 400, "CB.00060201");

    // Other malformed parameters and fields: CB.00060200.
    let bad = [
        c.show_record_detail().job_id(&job).build_no(0).call().await.failed(),
        c.show_list_history().job_id(&job).offset(0).limit(0).interval(7).call().await.failed(),
        c.show_list_history().job_id(&job).offset(-1).limit(10).interval(7).call().await.failed(),
        c.show_list_history().job_id(&job).offset(0).limit(10).interval(31).call().await.failed(),
        c.show_list_period_history()
            .job_id(&job)
            .offset(0)
            .limit(10)
            .start_time("2024-01-01")
            .end_time("2024-03-01")
            .call()
            .await
            .failed(),
        c.show_job_success_ratio().job_id(&job).start_time("01/01/2024").end_time("2024-01-02").call().await.failed(),
        c.show_job_success_ratio().job_id(&job).start_time("2024-01-02").end_time("2024-01-01").call().await.failed(),
        c.show_last_history().project_id(PROJECT).repository_name("仓库").call().await.failed(),
        c.download_build_log().record_id(unknown_record).log_level("TRACE").call().await.failed(),
        c.create_build_job().body(job_body("bad-project", "x", &["Build"])).call().await.failed(),
        c.create_build_job().body(job_body(PROJECT, " ", &["Build"])).call().await.failed(),
        c.create_build_job().body(job_body(PROJECT, "no-module", &[""])).call().await.failed(),
    ];
    for e in &bad {
        assert_service_error(e, 400, "CB.00060200");
    }

    // Unknown resources: 404 CB.00060214.
    let missing = [
        c.show_job_status().job_id(unknown_job).call().await.failed(),
        c.show_record_detail().job_id(&job).build_no(2).call().await.failed(),
        c.show_record_info().job_id(&job).build_no(2).call().await.failed(),
        c.show_history_details().job_id(&job).build_number(2).call().await.failed(),
        c.show_output_info().job_id(&job).build_no(2).call().await.failed(),
        c.download_build_log().record_id(unknown_record).call().await.failed(),
        c.download_log_by_record_id().record_id(unknown_record).call().await.failed(),
        c.download_task_log().record_id(unknown_record).task_name("Build").call().await.failed(),
        c.show_flow_graph().build_flow_record_id(unknown_record).call().await.failed(),
        c.show_last_history().project_id(PROJECT).repository_name("no-such-repo").call().await.failed(),
        c.run_job().body(types::RunJobRequestBody::builder().job_id(unknown_job)).call().await.failed(),
        c.update_build_job().body(update_body(unknown_job, "x", &["Build"])).call().await.failed(),
    ];
    for e in &missing {
        assert_service_error(e, 404, "CB.00060214");
    }
    let record_id = record(c, &job, 1).await.build_record_id.unwrap();
    let e = c.download_task_log().record_id(&record_id).task_name("No such step").call().await.failed();
    assert_service_error(&e, 404, "CB.00060214");
}

/// A token from a raw password login.
async fn login_token(emulator: &RunningEmulator) -> String {
    let response = login(emulator).await;
    response.headers()["x-subject-token"].to_str().unwrap().to_string()
}

async fn login_body(emulator: &RunningEmulator) -> serde_json::Value {
    login(emulator).await.json().await.unwrap()
}

async fn login(emulator: &RunningEmulator) -> reqwest::Response {
    codearts::install_crypto_provider();
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "password": "demo-password", "domain": {"name": "demo"}}}},
        "scope": {"project": {"name": "eu-west-101"}}}});
    let response = reqwest::Client::new()
        .post(format!("{}/v3/auth/tokens", emulator.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response
}

#[tokio::test]
async fn raw_http_bad_bodies_undeclared_methods_and_unknown_urls() {
    let env = Env::new().await;
    let job = create_job(&env.client, "raw", &["Build"]).await;
    let token = login_token(&env.emulator).await;
    let http = reqwest::Client::new();
    let base = env.emulator.base_url();
    let send = |method: reqwest::Method, path: &str, body: &'static str| {
        http.request(method, format!("{base}{path}"))
            .header("x-auth-token", &token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let error = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
        let body: serde_json::Value = r.json().await.expect("a JSON error body");
        (status, body["error_code"].as_str().unwrap_or_default().to_string(), allow)
    };

    // Bodies that are not JSON, not objects, or lack mandatory fields.
    for (path, body, code) in [
        ("/v3/jobs/build", "{\"job_id\":", "CB.00060200"),
        ("/v3/jobs/build", "[1, 2]", "CB.00060200"),
        ("/v3/jobs/build", "", "CB.00060200"),
        ("/v3/jobs/build", "{}", "CB.00060201"),
        ("/v3/jobs/stop", "{\"build_no\": \"1\"}", "CB.00060201"),
        ("/v3/jobs/create", "{\"project_id\": \"6ecbc5bac7c8442fb3d2563d53c13582\"}", "CB.00060200"),
        ("/v3/jobs/create", "not json at all", "CB.00060200"),
        ("/v3/templates/create", "{\"name\": \"t\"}", "CB.00060200"),
        ("/v3/templates/create", "{\"name\": \"t\", \"template\": {\"steps\": []}}", "CB.00060200"),
    ] {
        let (status, got, _) = error(send(reqwest::Method::POST, path, body).await.unwrap()).await;
        assert_eq!((status, got.as_str()), (400, code), "POST {path} {body}");
    }
    let path = format!("/v3/jobs/notice/{job}/update");
    let (status, code, _) = error(send(reqwest::Method::POST, &path, "{\"notice_type\": 1}").await.unwrap()).await;
    assert_eq!((status, code.as_str()), (400, "CB.00060200"));

    // Methods the spec does not declare on known paths: 405 with Allow.
    for (method, path, allowed) in [
        (reqwest::Method::DELETE, format!("/v3/jobs/{job}/status"), "GET"),
        (reqwest::Method::POST, format!("/v3/jobs/{job}/query"), "GET"),
        (reqwest::Method::GET, "/v3/jobs/build".to_string(), "POST"),
        (reqwest::Method::GET, "/v3/templates/00000000000000000000000000000000/delete".to_string(), "DELETE"),
        (reqwest::Method::PUT, "/v3/jobs/create".to_string(), "POST"),
    ] {
        let (status, code, allow) = error(send(method.clone(), &path, "").await.unwrap()).await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(code, "CB.00060200");
        assert_eq!(allow.as_deref(), Some(allowed), "{method} {path}");
    }

    // URLs no service has: the API gateway's 404 APIGW.0101 (no service's code applies).
    for path in ["/v3/nothing/here/at/all", "/v5/jobs", "/"] {
        let (status, code, _) = error(send(reqwest::Method::GET, path, "").await.unwrap()).await;
        assert_eq!((status, code.as_str()), (404, "APIGW.0101"), "{path}");
    }

    // A signed request whose body was changed after signing fails; a stale X-Sdk-Date too.
    let signer = codearts::auth::Signer::new(codearts::auth::AkSk::new("EMULATORAK", "EMULATORSK"));
    let mut request =
        http.post(format!("{base}/v3/jobs/build")).body(format!("{{\"job_id\":\"{job}\"}}")).build().unwrap();
    signer.sign(&mut request, std::time::SystemTime::now()).unwrap();
    *request.body_mut() = Some(format!("{{\"job_id\":\"{job}\" }}").into());
    let (status, code, _) = error(http.execute(request).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    let mut request = http.get(format!("{base}/v3/jobs/{job}/status")).build().unwrap();
    signer.sign(&mut request, std::time::SystemTime::now() - Duration::from_secs(20 * 60)).unwrap();
    let (status, code, _) = error(http.execute(request).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    let mut request = http.get(format!("{base}/v3/jobs/{job}/status")).build().unwrap();
    signer.sign(&mut request, std::time::SystemTime::now()).unwrap();
    assert_eq!(http.execute(request).await.unwrap().status(), 200);

    // IAM: a malformed login is 400, a domain-scoped one too (CodeArts needs project scope).
    let login = |body: serde_json::Value| http.post(format!("{base}/v3/auth/tokens")).json(&body).send();
    assert_eq!(login(json!({"auth": {}})).await.unwrap().status(), 400);
    let domain_scoped = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "password": "demo-password", "domain": {"name": "demo"}}}},
        "scope": {"domain": {"name": "demo"}}}});
    assert_eq!(login(domain_scoped).await.unwrap().status(), 400);
    let projects = http.get(format!("{base}/v3/projects?name=eu-west-101")).header("x-auth-token", &token).send();
    let projects: serde_json::Value = projects.await.unwrap().json().await.unwrap();
    assert_eq!(projects["projects"][0]["id"], env.emulator.iam_project_id());
    let none = http.get(format!("{base}/v3/projects?name=cn-north-4")).header("x-auth-token", &token).send();
    assert_eq!(none.await.unwrap().json::<serde_json::Value>().await.unwrap()["projects"], json!([]));
}
