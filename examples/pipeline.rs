//! The main job for CodeArts Pipeline: create a pipeline (build → manual review → deploy), run it
//! with a parameter, wait until it stops at the review, approve it, wait for the end, then print
//! the stage → job → step tree and every step's log.
//!
//! `cargo run --example pipeline` runs on the embedded emulator unless credentials are in the
//! environment and `CODEARTS_PROJECT_ID` is set; then it creates (and leaves) a pipeline named
//! `sdk-example-pipeline` in that project. Exits non-zero when the run does not complete.

use std::time::Duration;

use codearts::logs::{FollowOptions, follow_pipeline_run_log};
use codearts::pipeline::{Client, types};
use codearts::wait::{PipelineOutcome, WaitOptions, start_pipeline_run};
use codearts::{CallExt, Config};
use codearts_emulator::Emulator;
use futures::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 0. A client: the real region with credentials, else the emulator (kept alive in `_emulator`).
    let (client, project, _emulator) = match (std::env::var("CODEARTS_PROJECT_ID"), Config::from_env()) {
        (Ok(project), Ok(config)) => {
            println!("Credentials found: running against {:?}.\n", config.region());
            (Client::from_config(&config)?, project, None)
        }
        _ => {
            let emulator = Emulator::builder().step_duration(Duration::from_millis(200)).start().await?;
            println!(
                "No credentials in the environment: running against the embedded CodeArts Pipeline emulator at {}\n\
                 (a local stand-in, not the real service).\n",
                emulator.base_url()
            );
            let config = emulator.config_builder().credentials(emulator.password_credentials()).build()?;
            (Client::from_config(&config)?, "6ecbc5bac7c8442fb3d2563d53c13582".to_string(), Some(emulator))
        }
    };

    // 1. CreatePipelineNew: the definition is a JSON string of stages → jobs → steps.
    let definition = serde_json::json!({"stages": [
        {"name": "Build", "identifier": "build", "pre": [{"task": "official_devcloud_autoTrigger"}],
         "jobs": [{"name": "Build", "identifier": "build-job", "steps": [
             {"name": "Compile", "task": "official_devcloud_cloudBuild"}]}]},
        {"name": "Approval", "identifier": "approval",
         "jobs": [{"name": "Approve", "identifier": "approve-job", "steps": [
             {"name": "Manual review", "task": "official_devcloud_manualReview"}]}]},
        {"name": "Deploy", "identifier": "deploy",
         "jobs": [{"name": "Deploy", "identifier": "deploy-job", "steps": [
             {"name": "Deploy to test", "task": "official_devcloud_deploy"}]}]}
    ]});
    let body = types::PipelineDto::builder()
        .name("sdk-example-pipeline".to_string())
        .description("created by the codearts SDK's pipeline example".to_string())
        .is_publish(false)
        .definition(definition.to_string());
    let pipeline = client.create_pipeline_new().project_id(&project).body(body).call().await?;
    let pipeline = pipeline.pipeline_id.ok_or("CreatePipelineNew answered without a pipeline ID")?;
    println!("1. create_pipeline_new -> pipeline {pipeline}");

    // 2. RunPipeline, sent once (never resent: it starts something).
    let variables = vec![types::RunPipelineDtoVariables::new("releaseVersion", "1.0.2")];
    let run =
        start_pipeline_run(&client, &project, &pipeline, types::RunPipelineDto::builder().variables(variables)).await?;
    println!("2. run_pipeline -> run {}", run.run_id);

    // 3. Wait until it finishes or stops at the review; approve it; wait for the end.
    let options = WaitOptions {
        max_wait: Duration::from_secs(600),
        initial_interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(2),
    };
    let mut outcome = run.wait_or_review(&client, options.clone()).await?;
    if let PipelineOutcome::WaitingForReview { review, .. } = &outcome {
        println!("3. waiting for the review \"{}\" of stage \"{}\": accept_manual_review", review.step, review.stage);
        client
            .accept_manual_review()
            .project_id(&project)
            .pipeline_id(&pipeline)
            .pipeline_run_id(&run.run_id)
            .job_run_id(&review.job_run_id)
            .step_run_id(&review.step_run_id)
            .approval_description("approved by the SDK example")
            .call()
            .await?;
        outcome = run.wait(&client, options).await?;
    }
    let detail = match outcome {
        PipelineOutcome::Completed(detail) => detail,
        PipelineOutcome::Failed { failed, .. } => return Err(format!("the run failed at {failed:?}").into()),
        other => return Err(format!("the run did not complete: {other:?}").into()),
    };

    // 4. The tree, as ShowPipelineRunDetail reports it.
    println!("4. run #{} {:?}", detail.run_number.unwrap_or_default(), detail.status);
    for stage in &detail.stages {
        println!("   {} {:?}", stage.name.as_deref().unwrap_or("-"), stage.status);
        for job in &stage.jobs {
            for step in &job.steps {
                println!(
                    "     {} / {} {:?}",
                    job.name.as_deref().unwrap_or("-"),
                    step.name.as_deref().unwrap_or("-"),
                    step.status
                );
            }
        }
    }

    // 5. Every step's log, in order (the stream ends with the run, which is over).
    println!("5. the logs:");
    let lines = follow_pipeline_run_log(&client, &project, &pipeline, &run.run_id, FollowOptions::default());
    let mut lines = std::pin::pin!(lines);
    while let Some(line) = lines.next().await {
        let line = line?;
        println!("   [{} / {}] {}", line.position.stage, line.position.step, line.line);
    }
    println!("pipeline {pipeline}: run #{} completed", detail.run_number.unwrap_or_default());
    Ok(())
}
