//! The Pipeline helpers against the emulator: running a pipeline and waiting for the run
//! (`codearts::wait`: completed, failed with the failing stage/job/step, stopped, waiting for a
//! review, timed out, retried), following a run's step logs (`codearts::logs`) and paging through
//! the pipelines (`codearts::paginate`). Steps take 25 ms on the system clock.

#![cfg(feature = "pipeline")]

use std::time::Duration;

use codearts::logs::{FollowOptions, follow_pipeline_run_log, follow_pipeline_step_log, read_pipeline_step_log};
use codearts::pipeline::{Client, types};
use codearts::wait::{
    PipelineOutcome, StartedPipelineRun, WaitOptions, run_pipeline_and_wait, start_pipeline_run, wait_for_pipeline_run,
    wait_for_pipeline_run_or_review,
};
use codearts::{CallExt, paginate};
use codearts_emulator::{Emulator, RunningEmulator};
use futures::StreamExt;
use serde_json::json;

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const STEP: Duration = Duration::from_millis(25);

fn quick() -> WaitOptions {
    WaitOptions {
        max_wait: Duration::from_secs(20),
        initial_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(40),
    }
}

fn follow() -> FollowOptions {
    FollowOptions { interval: Duration::from_millis(10), max_consecutive_errors: 3 }
}

async fn start() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().step_duration(STEP).start().await.expect("the emulator starts");
    let config = emulator.config_builder().credentials(emulator.password_credentials()).build().unwrap();
    let client = Client::from_config(&config).unwrap();
    (emulator, client)
}

/// A stage per entry of `stages`: (stage name, steps of its one job).
fn definition(stages: &[(&str, &[&str])]) -> String {
    let stages: Vec<_> = stages
        .iter()
        .map(|(name, steps)| {
            json!({"name": name, "identifier": format!("stage-{name}"),
                "pre": [{"task": "official_devcloud_autoTrigger"}],
                "jobs": [{"name": format!("{name} job"), "identifier": format!("job-{name}"),
                    "steps": steps.iter().map(|s| {
                        let task = if s.contains("review") { "official_devcloud_manualReview" } else { "official_devcloud_cloudBuild" };
                        json!({"name": s, "task": task})
                    }).collect::<Vec<_>>()}]})
        })
        .collect();
    json!({ "stages": stages }).to_string()
}

async fn create(client: &Client, name: &str, stages: &[(&str, &[&str])]) -> String {
    let body: types::PipelineDto =
        serde_json::from_value(json!({"name": name, "is_publish": false, "definition": definition(stages)})).unwrap();
    let created = client.create_pipeline_new().project_id(PROJECT).body(body).call().await.unwrap();
    created.pipeline_id.unwrap()
}

fn no_variables() -> types::RunPipelineDto {
    types::RunPipelineDto::default()
}

fn with_variable(name: &str, value: &str) -> types::RunPipelineDto {
    serde_json::from_value(json!({"variables": [{"name": name, "value": value}]})).unwrap()
}

fn stage_statuses(run: &types::PipelineRun) -> Vec<String> {
    run.stages
        .iter()
        .map(|s| serde_json::to_value(&s.status).unwrap().as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_run_completes_with_its_stage_job_step_tree() {
    let (_emulator, client) = start().await;
    let pipeline = create(&client, "build-test", &[("Build", &["Compile", "Unit tests"]), ("Package", &["Zip"])]).await;
    let run = run_pipeline_and_wait(&client, PROJECT, &pipeline, no_variables(), quick()).await.unwrap();
    let PipelineOutcome::Completed(detail) = run.outcome.unwrap() else { panic!("not completed") };
    assert_eq!(detail.id.as_deref(), Some(run.run.run_id.as_str()));
    assert_eq!(stage_statuses(&detail), ["COMPLETED", "COMPLETED"]);
    let steps: Vec<_> = detail.stages[0].jobs[0].steps.iter().map(|s| s.name.clone().unwrap()).collect();
    assert_eq!(steps, ["Compile", "Unit tests"]);
    assert!(detail.end_time.unwrap() >= detail.start_time.unwrap() + 75, "three steps of 25 ms");
}

#[tokio::test]
async fn a_failed_run_names_its_stage_job_and_step_and_a_retry_completes_it() {
    let (_emulator, client) = start().await;
    let pipeline = create(&client, "flaky", &[("Build", &["Compile"]), ("Test", &["Integration", "Smoke"])]).await;
    let run = run_pipeline_and_wait(&client, PROJECT, &pipeline, with_variable("fail", "Integration"), quick())
        .await
        .unwrap();
    let PipelineOutcome::Failed { run: detail, failed } = run.outcome.unwrap() else { panic!("not failed") };
    let failed = failed.expect("a failed step");
    assert_eq!((failed.stage.as_str(), failed.job.as_str(), failed.step.as_str()), ("Test", "Test job", "Integration"));
    assert_eq!(stage_statuses(&detail), ["COMPLETED", "FAILED"]);

    // RetryPipelineRun reruns the failed part: the variable's failure happens once.
    client
        .retry_pipeline_run()
        .project_id(PROJECT)
        .pipeline_id(&pipeline)
        .pipeline_run_id(&run.run.run_id)
        .body(types::RetryPipelineRequest::default())
        .call()
        .await
        .unwrap();
    let outcome = run.run.wait(&client, quick()).await.unwrap();
    assert!(matches!(outcome, PipelineOutcome::Completed(_)), "{outcome:?}");

    // A step named for failure fails every time.
    let always = create(&client, "always-fails", &[("Build", &["Tests that fail"])]).await;
    let run = run_pipeline_and_wait(&client, PROJECT, &always, no_variables(), quick()).await.unwrap();
    let PipelineOutcome::Failed { failed, .. } = run.outcome.unwrap() else { panic!("not failed") };
    assert_eq!(failed.unwrap().step, "Tests that fail");
}

#[tokio::test]
async fn a_review_pauses_the_run_until_approved_or_rejected() {
    let (_emulator, client) = start().await;
    let pipeline =
        create(&client, "reviewed", &[("Build", &["Compile"]), ("Release", &["Manual review", "Deploy"])]).await;
    let run = start_pipeline_run(&client, PROJECT, &pipeline, no_variables()).await.unwrap();
    let PipelineOutcome::WaitingForReview { review, .. } = run.wait_or_review(&client, quick()).await.unwrap() else {
        panic!("not waiting")
    };
    assert_eq!((review.stage.as_str(), review.step.as_str(), review.checkpoint), ("Release", "Manual review", false));
    // Without the review, the plain waiter waits it out.
    let short = WaitOptions { max_wait: Duration::from_millis(150), ..quick() };
    let outcome = wait_for_pipeline_run(&client, PROJECT, &pipeline, &run.run_id, short).await.unwrap();
    assert!(matches!(outcome, PipelineOutcome::TimedOut { last: Some(_) }), "{outcome:?}");
    client
        .accept_manual_review()
        .project_id(PROJECT)
        .pipeline_id(&pipeline)
        .pipeline_run_id(&run.run_id)
        .job_run_id(&review.job_run_id)
        .step_run_id(&review.step_run_id)
        .call()
        .await
        .unwrap();
    assert!(matches!(run.wait(&client, quick()).await.unwrap(), PipelineOutcome::Completed(_)));

    // Rejected: the run fails at the review.
    let run = start_pipeline_run(&client, PROJECT, &pipeline, no_variables()).await.unwrap();
    let outcome = wait_for_pipeline_run_or_review(&client, PROJECT, &pipeline, &run.run_id, quick()).await.unwrap();
    let PipelineOutcome::WaitingForReview { review, .. } = outcome else { panic!("not waiting") };
    client
        .reject_manual_review()
        .project_id(PROJECT)
        .pipeline_id(&pipeline)
        .pipeline_run_id(&run.run_id)
        .job_run_id(&review.job_run_id)
        .step_run_id(&review.step_run_id)
        .call()
        .await
        .unwrap();
    let PipelineOutcome::Failed { failed, .. } = run.wait(&client, quick()).await.unwrap() else {
        panic!("not failed")
    };
    assert_eq!(failed.unwrap().step, "Manual review");
}

#[tokio::test]
async fn a_stopped_run_is_stopped() {
    let (_emulator, client) = start().await;
    let pipeline = create(&client, "long", &[("Build", &["One", "Two", "Three", "Four", "Five", "Six"])]).await;
    let run = start_pipeline_run(&client, PROJECT, &pipeline, no_variables()).await.unwrap();
    tokio::time::sleep(STEP).await;
    client
        .stop_pipeline_run()
        .project_id(PROJECT)
        .pipeline_id(&pipeline)
        .pipeline_run_id(&run.run_id)
        .call()
        .await
        .unwrap();
    let PipelineOutcome::Stopped(detail) = run.wait(&client, quick()).await.unwrap() else { panic!("not stopped") };
    assert_eq!(stage_statuses(&detail), ["CANCELED"]);
}

#[tokio::test]
async fn an_unknown_pipeline_is_an_error_not_a_run() {
    let (_emulator, client) = start().await;
    let error =
        start_pipeline_run(&client, PROJECT, "ffffffffffffffffffffffffffffffff", no_variables()).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert!(error.to_string().contains("DEVPIPE.00011401"), "{error}");
    let run = StartedPipelineRun {
        project_id: PROJECT.into(),
        pipeline_id: "ffffffffffffffffffffffffffffffff".into(),
        run_id: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee".into(),
    };
    assert!(run.wait(&client, quick()).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn following_a_run_yields_every_line_of_every_step_once_and_ends_with_the_run() {
    let (_emulator, client) = start().await;
    let pipeline = create(&client, "logged", &[("Build", &["Compile", "Unit tests"]), ("Package", &["Zip"])]).await;
    let run = start_pipeline_run(&client, PROJECT, &pipeline, no_variables()).await.unwrap();
    let lines: Vec<_> = follow_pipeline_run_log(&client, PROJECT, &pipeline, &run.run_id, follow())
        .map(|l| l.expect("no poll fails"))
        .collect()
        .await;
    let detail = client
        .show_pipeline_run_detail()
        .project_id(PROJECT)
        .pipeline_id(&pipeline)
        .pipeline_run_id(&run.run_id)
        .call()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&detail.status).unwrap(), "COMPLETED", "the stream ended with the run");
    // Per step, the followed lines are the step's whole log, in order, each once.
    let steps = codearts::wait::run_steps(&detail);
    assert_eq!(steps.len(), 5, "two entry triggers and three steps");
    let mut followed_steps = Vec::new();
    for (position, _) in &steps {
        let whole = read_pipeline_step_log(
            &client,
            PROJECT,
            &pipeline,
            &run.run_id,
            &position.job_run_id,
            &position.step_run_id,
        )
        .await
        .unwrap();
        let mine: Vec<&str> =
            lines.iter().filter(|l| l.position.step_run_id == position.step_run_id).map(|l| l.line.as_str()).collect();
        assert_eq!(mine, whole.lines().collect::<Vec<_>>(), "step {}", position.step);
        assert!(whole.lines().last().unwrap().ends_with("Finished: COMPLETED"), "{whole}");
        followed_steps.push(position.step.clone());
    }
    // In execution order.
    let order: Vec<&str> = lines.iter().map(|l| l.position.step.as_str()).fold(Vec::new(), |mut v, s| {
        if v.last() != Some(&s) {
            v.push(s);
        }
        v
    });
    assert_eq!(order, followed_steps.iter().map(String::as_str).collect::<Vec<_>>());

    // One step alone.
    let (position, _) = &steps[1];
    let one: Vec<String> = follow_pipeline_step_log(
        &client,
        PROJECT,
        &pipeline,
        &run.run_id,
        &position.job_run_id,
        &position.step_run_id,
        follow(),
    )
    .map(|l| l.unwrap())
    .collect()
    .await;
    assert!(one.first().unwrap().contains("Start step Compile"), "{one:?}");
    assert_eq!(one.len(), 7, "{one:?}");
}

#[tokio::test]
async fn pipelines_page_through_the_paginator() {
    let (_emulator, client) = start().await;
    for i in 0..5 {
        create(&client, &format!("paged-{i}"), &[("Build", &["Compile"])]).await;
    }
    let body: types::ListPipelineQuery =
        serde_json::from_value(json!({"sort_key": "name", "sort_dir": "asc"})).unwrap();
    let pages: Vec<_> = client
        .list_pipelines()
        .project_id(PROJECT)
        .body(body.clone())
        .into_paginator()
        .page_size(2)
        .pages()
        .collect()
        .await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.as_ref().unwrap().items.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let names: Vec<String> =
        paginate::items(client.list_pipelines().project_id(PROJECT).body(body).into_paginator().page_size(2).pages())
            .map(|p| p.unwrap().name.unwrap())
            .collect()
            .await;
    assert_eq!(names, (0..5).map(|i| format!("paged-{i}")).collect::<Vec<_>>());
}

/// `examples/pipeline.rs` (built by `cargo test` beside this binary) runs the whole flow on the
/// emulator: create, run, review, approve, wait, tree, logs.
#[test]
fn the_pipeline_example_runs_on_the_emulator() {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let exe = deps.parent().unwrap().join("examples").join(format!("pipeline{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "{} was not built (cargo test builds examples)", exe.display());
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(&exe);
    cmd.env("HOME", home.path()).env_remove("CODEARTS_PROJECT_ID");
    for (key, _) in std::env::vars() {
        if key.starts_with("HUAWEICLOUD_SDK_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for expected in [
        "embedded CodeArts Pipeline emulator",
        "1. create_pipeline_new -> pipeline ",
        "3. waiting for the review \"Manual review\" of stage \"Approval\"",
        "[Deploy / Deploy to test]",
        "Finished: COMPLETED",
        "run #1 completed",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?}:\n{stdout}");
    }
}
