//! `codearts pipeline …`: CodeArts Pipeline through `codearts::pipeline::Client` and the library's
//! waiting (`codearts::wait`), log (`codearts::logs`) and paging helpers.

use std::pin::pin;
use std::time::Duration;

use codearts::CallExt;
use codearts::logs::{FollowOptions, follow_pipeline_run_log, read_pipeline_step_log};
use codearts::pipeline::{Client, types};
use codearts::wait::{
    PipelineOutcome, RunPosition, StartedPipelineRun, WaitOptions, pending_review, run_steps, start_pipeline_run,
};
use futures_util::StreamExt;
use serde::Serialize;

use crate::args::{GlobalArgs, PipelineCommand, PipelineRunArgs, ReviewArgs};
use crate::config;
use crate::error::{CliError, FAILED, STOPPED, TIMED_OUT};
use crate::output::{Output, cell, columns};

const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);

pub async fn run(global: &GlobalArgs, out: &Output, command: PipelineCommand) -> Result<(), CliError> {
    let config = config::load(global)?;
    let client = Client::from_config(&config)?;
    match command {
        PipelineCommand::List { project, page_size } => list(&client, out, &project, page_size).await,
        PipelineCommand::Show { pipeline, project } => show(&client, out, &project, &pipeline).await,
        PipelineCommand::Run(args) => run_pipeline(&client, out, args).await,
        PipelineCommand::Status { pipeline, run, project } => {
            let detail = detail(&client, &project, &pipeline, run.as_deref()).await?;
            if out.is_json() { out.json(&detail) } else { out.text(&tree(&detail)) }
        }
        PipelineCommand::Stop { pipeline, run, project } => {
            let response = client
                .stop_pipeline_run()
                .project_id(&project)
                .pipeline_id(&pipeline)
                .pipeline_run_id(&run)
                .call()
                .await?;
            if out.is_json() {
                out.json(&response)
            } else {
                out.text(&format!("stopped run {run} of pipeline {pipeline}"))
            }
        }
        PipelineCommand::Retry { pipeline, run, project } => {
            let response = client
                .retry_pipeline_run()
                .project_id(&project)
                .pipeline_id(&pipeline)
                .pipeline_run_id(&run)
                .body(types::RetryPipelineRequest::default())
                .call()
                .await?;
            if out.is_json() {
                out.json(&response)
            } else {
                out.text(&format!("retrying the failed part of run {run} of pipeline {pipeline}"))
            }
        }
        PipelineCommand::Approve(args) => review(&client, out, args, true).await,
        PipelineCommand::Reject(args) => review(&client, out, args, false).await,
        PipelineCommand::Logs { pipeline, run, step, project } => {
            logs(&client, out, &project, &pipeline, run.as_deref(), step.as_deref()).await
        }
        PipelineCommand::Runs { pipeline, project, limit } => runs(&client, out, &project, &pipeline, limit).await,
    }
}

/// A status enum as the service spells it.
fn status<T: Serialize>(status: Option<&T>) -> String {
    status
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "-".into())
}

/// `start`–`end` (or `now` while running) as a short duration.
fn took(start: Option<i64>, end: Option<i64>, now: Option<i64>) -> String {
    match (start, end.or(now)) {
        (Some(s), Some(e)) if e >= s => {
            humantime::format_duration(Duration::from_millis((e - s) as u64 / 100 * 100)).to_string()
        }
        _ => String::new(),
    }
}

// --- pipelines --------------------------------------------------------------------------------------

async fn list(client: &Client, out: &Output, project: &str, page_size: u32) -> Result<(), CliError> {
    let spinner = out.spinner(format!("listing the pipelines of project {project}"));
    let listing = client.list_pipelines().project_id(project).body(types::ListPipelineQuery::default());
    let mut items = pin!(listing.into_paginator().page_size(page_size).items());
    let mut all = Vec::new();
    while let Some(p) = items.next().await {
        all.push(p?);
    }
    drop(spinner);
    if out.is_json() {
        return out.json(&all);
    }
    if all.is_empty() {
        return out.text(&format!("no pipelines in project {project}"));
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|p| {
            let latest = p.latest_run.as_ref();
            vec![
                cell(p.pipeline_id.as_deref()),
                cell(p.name.as_deref()),
                latest.map(|r| status(r.status.as_ref())).unwrap_or_else(|| "never run".into()),
                cell(latest.and_then(|r| r.run_number).map(|n| format!("#{n}"))),
            ]
        })
        .collect();
    out.table(&["ID", "NAME", "LATEST RUN", "RUN"], &rows)
}

async fn show(client: &Client, out: &Output, project: &str, pipeline: &str) -> Result<(), CliError> {
    let p = client.show_pipeline_detail().project_id(project).pipeline_id(pipeline).call().await?;
    if out.is_json() {
        return out.json(&p);
    }
    let definition: serde_json::Value =
        p.definition.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
    let stages: Vec<String> = definition["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let jobs: Vec<&str> =
                s["jobs"].as_array().into_iter().flatten().filter_map(|j| j["name"].as_str()).collect();
            format!("{} ({})", s["name"].as_str().unwrap_or("-"), jobs.join(", "))
        })
        .collect();
    let variables: Vec<String> = p
        .variables
        .iter()
        .map(|v| format!("{}={}", cell(v.name.as_deref()), v.value.as_deref().unwrap_or("")))
        .collect();
    let fields = vec![
        vec!["ID".to_string(), cell(p.id.as_deref().or(Some(pipeline)))],
        vec!["NAME".into(), cell(p.name.as_deref())],
        vec!["PROJECT".into(), cell(p.project_id.as_deref())],
        vec!["GROUP".into(), cell(p.group_name.as_deref())],
        vec!["CREATOR".into(), cell(p.creator_name.as_deref())],
        vec!["DESCRIPTION".into(), cell(p.description.as_deref().filter(|d| !d.is_empty()))],
        vec!["STAGES".into(), if stages.is_empty() { "-".into() } else { stages.join(" → ") }],
        vec!["VARIABLES".into(), if variables.is_empty() { "-".into() } else { variables.join(", ") }],
    ];
    out.text(&columns(None, &fields))
}

// --- runs -------------------------------------------------------------------------------------------

/// The run `run` (or the latest) of a pipeline.
async fn detail(
    client: &Client,
    project: &str,
    pipeline: &str,
    run: Option<&str>,
) -> Result<types::PipelineRun, CliError> {
    let mut request = client.show_pipeline_run_detail().project_id(project).pipeline_id(pipeline);
    if let Some(run) = run {
        request = request.pipeline_run_id(run);
    }
    Ok(request.call().await?)
}

/// The run as a tree of stages → jobs → steps with each one's status and duration (what `status`
/// prints, and what `run --wait` draws live on a terminal).
pub fn tree(run: &types::PipelineRun) -> String {
    let now = run.current_system_time;
    let mut text = format!(
        "run #{} of pipeline {}  {}  {}\n",
        cell(run.run_number),
        cell(run.name.as_deref().or(run.pipeline_id.as_deref())),
        status(run.status.as_ref()),
        took(run.start_time, run.end_time, now)
    );
    let line = |text: &mut String, prefix: &str, last: bool, name: &str, status: String, time: String| {
        // A unit without a status has not started.
        let status = if status == "-" { "not started".to_string() } else { status };
        let branch = if last { "└─ " } else { "├─ " };
        *text += &format!(
            "{prefix}{branch}{name}  {status}{}\n",
            if time.is_empty() { String::new() } else { format!("  {time}") }
        );
    };
    for (si, stage) in run.stages.iter().enumerate() {
        let last_stage = si + 1 == run.stages.len();
        line(
            &mut text,
            "",
            last_stage,
            &cell(stage.name.as_deref()),
            status(stage.status.as_ref()),
            took(stage.start_time, stage.end_time, now),
        );
        let prefix = if last_stage { "   " } else { "│  " };
        let checks: Vec<(&str, &types::StepRun)> =
            stage.pre.iter().map(|s| ("entry check", s)).chain(stage.post.iter().map(|s| ("exit check", s))).collect();
        let count = checks.len() + stage.jobs.len();
        let mut index = 0;
        for (kind, step) in checks.iter().take(stage.pre.len()) {
            index += 1;
            let name = format!("{kind}: {}", cell(step.name.as_deref().or(step.task.as_deref())));
            line(
                &mut text,
                prefix,
                index == count,
                &name,
                status(step.status.as_ref()),
                took(step.start_time, step.end_time, now),
            );
        }
        for job in &stage.jobs {
            index += 1;
            let last_job = index == count;
            line(
                &mut text,
                prefix,
                last_job,
                &cell(job.name.as_deref()),
                status(job.status.as_ref()),
                took(job.start_time, job.end_time, now),
            );
            let inner = format!("{prefix}{}", if last_job { "   " } else { "│  " });
            for (ti, step) in job.steps.iter().enumerate() {
                let mut name = cell(step.name.as_deref().or(step.task.as_deref()));
                if let Some(message) = step.message.as_deref().filter(|m| !m.is_empty()) {
                    name += &format!(" ({message})");
                }
                line(
                    &mut text,
                    &inner,
                    ti + 1 == job.steps.len(),
                    &name,
                    status(step.status.as_ref()),
                    took(step.start_time, step.end_time, now),
                );
            }
        }
        for (kind, step) in checks.iter().skip(stage.pre.len()) {
            index += 1;
            let name = format!("{kind}: {}", cell(step.name.as_deref().or(step.task.as_deref())));
            line(
                &mut text,
                prefix,
                index == count,
                &name,
                status(step.status.as_ref()),
                took(step.start_time, step.end_time, now),
            );
        }
    }
    text.trim_end().to_string()
}

/// Where in a run, for JSON.
#[derive(Debug, Serialize)]
struct Position {
    stage: String,
    job: String,
    job_run_id: String,
    step: String,
    step_run_id: String,
    checkpoint: bool,
}

impl From<RunPosition> for Position {
    fn from(p: RunPosition) -> Self {
        Position {
            stage: p.stage,
            job: p.job,
            job_run_id: p.job_run_id,
            step: p.step,
            step_run_id: p.step_run_id,
            checkpoint: p.checkpoint,
        }
    }
}

/// What `run` prints in JSON.
#[derive(Debug, Serialize)]
struct RunReport {
    pipeline_id: String,
    pipeline_run_id: String,
    /// `completed`, `failed`, `stopped`, `waiting_for_review` or `timed_out`; absent when not waited for.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    /// The failed step, or the review the run waits for.
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<Position>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<types::PipelineRun>,
}

async fn run_pipeline(client: &Client, out: &Output, args: PipelineRunArgs) -> Result<(), CliError> {
    let body = serde_json::json!({
        "description": args.description,
        "variables": args.params.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "choose_stages": args.stages,
        "choose_jobs": args.jobs,
    });
    let body: types::RunPipelineDto = serde_json::from_value(body).map_err(|e| CliError::Unexpected(e.to_string()))?;
    let started = start_pipeline_run(client, &args.project, &args.pipeline, body).await?;
    let label = format!("run {} of pipeline {}", started.run_id, started.pipeline_id);
    if !(args.wait || args.follow || args.max_wait.is_some()) {
        let report = RunReport {
            pipeline_id: started.pipeline_id,
            pipeline_run_id: started.run_id,
            outcome: None,
            at: None,
            run: None,
        };
        return if out.is_json() { out.json(&report) } else { out.text(&format!("started {label}")) };
    }
    if !out.is_json() && args.follow {
        out.text(&format!("started {label}"))?;
    }
    let max_wait = args.max_wait.unwrap_or(DEFAULT_MAX_WAIT);
    let options = WaitOptions {
        max_wait,
        initial_interval: args.poll_interval,
        max_interval: MAX_POLL_INTERVAL.max(args.poll_interval),
    };
    let follower = args.follow.then(|| {
        let lines = follow_pipeline_run_log(
            client,
            started.project_id.clone(),
            started.pipeline_id.clone(),
            started.run_id.clone(),
            FollowOptions { interval: args.poll_interval, ..FollowOptions::default() },
        );
        let json = out.is_json();
        tokio::spawn(async move {
            let mut lines = pin!(lines);
            while let Some(line) = lines.next().await {
                match line {
                    Ok(l) if json => eprintln!("[{} / {}] {}", l.position.stage, l.position.step, l.line),
                    Ok(l) => println!("[{} / {}] {}", l.position.stage, l.position.step, l.line),
                    Err(e) => eprintln!("warning: {}", CliError::from(e).one_line()),
                }
            }
        })
    });
    let outcome = {
        let spinner = if args.follow { None } else { out.spinner(format!("waiting for {label}")) };
        // On a terminal, the spinner carries the run's live tree (redrawn every poll interval).
        let live = spinner.clone().map(|bar| {
            let (client, started, label, interval) =
                (client.clone(), started.clone(), label.clone(), args.poll_interval);
            tokio::spawn(async move {
                loop {
                    if let Ok(run) =
                        detail(&client, &started.project_id, &started.pipeline_id, Some(&started.run_id)).await
                    {
                        bar.set_message(format!("waiting for {label}\n{}", tree(&run)));
                    }
                    tokio::time::sleep(interval).await;
                }
            })
        });
        let outcome = started.wait_or_review(client, options).await;
        if let Some(task) = live {
            task.abort();
        }
        drop(spinner);
        outcome.map_err(|e| CliError::from(e).context(format!("waiting for {label}")))?
    };
    if let Some(task) = follower {
        let finished = !matches!(outcome, PipelineOutcome::WaitingForReview { .. } | PipelineOutcome::TimedOut { .. });
        // A finished run's follower ends by itself (after reading the last lines); one stuck at a
        // review or a timeout is given one more poll to print what came before.
        let grace = if finished { Duration::from_secs(30) } else { args.poll_interval * 2 };
        // Past the grace the follower is dropped: the run goes on, only the printing stops.
        let _ = tokio::time::timeout(grace, task).await;
    }
    finish(out, &started, outcome, max_wait)
}

fn finish(
    out: &Output,
    started: &StartedPipelineRun,
    outcome: PipelineOutcome,
    max_wait: Duration,
) -> Result<(), CliError> {
    let label = format!("run {} of pipeline {}", started.run_id, started.pipeline_id);
    let (name, at, run) = match outcome {
        PipelineOutcome::Completed(run) => ("completed", None, Some(run)),
        PipelineOutcome::Failed { run, failed } => ("failed", failed, Some(run)),
        PipelineOutcome::Stopped(run) => ("stopped", None, Some(run)),
        PipelineOutcome::WaitingForReview { run, review } => ("waiting_for_review", Some(review), Some(run)),
        PipelineOutcome::TimedOut { last } => ("timed_out", None, last),
    };
    let message_at = at.clone();
    if out.is_json() {
        out.json(&RunReport {
            pipeline_id: started.pipeline_id.clone(),
            pipeline_run_id: started.run_id.clone(),
            outcome: Some(name),
            at: at.map(Position::from),
            run: run.clone(),
        })?;
    } else if let Some(run) = &run {
        out.text(&tree(run))?;
    }
    match name {
        "completed" => Ok(()),
        "failed" => {
            let at = match message_at {
                Some(p) => format!(" at stage \"{}\", job \"{}\", step \"{}\"", p.stage, p.job, p.step),
                None => " (the service names no failed step)".into(),
            };
            Err(CliError::Outcome { status: FAILED, message: format!("{label} failed{at}") })
        }
        "stopped" => Err(CliError::Outcome { status: STOPPED, message: format!("{label} was stopped") }),
        "waiting_for_review" => {
            let p = message_at.unwrap_or_default();
            Err(CliError::Outcome {
                status: TIMED_OUT,
                message: format!(
                    "{label} waits for the manual {} \"{}\" of stage \"{}\": codearts pipeline approve {} {} (or reject)",
                    if p.checkpoint { "checkpoint" } else { "review" },
                    p.step,
                    p.stage,
                    started.pipeline_id,
                    started.run_id
                ),
            })
        }
        _ => Err(CliError::Outcome {
            status: TIMED_OUT,
            message: format!(
                "{label} is still running after {} (--max-wait); it goes on",
                humantime::format_duration(max_wait)
            ),
        }),
    }
}

/// Approves or rejects the review (or checkpoint) the run waits for, or the step `--step` names.
async fn review(client: &Client, out: &Output, args: ReviewArgs, accept: bool) -> Result<(), CliError> {
    let detail = detail(client, &args.project, &args.pipeline, Some(&args.run)).await?;
    let position = match &args.step {
        Some(step) => run_steps(&detail)
            .into_iter()
            .map(|(p, _)| p)
            .find(|p| p.step_run_id == *step || p.step == *step)
            .ok_or_else(|| CliError::Usage(format!("run {} has no step {step}", args.run)))?,
        None => pending_review(&detail)
            .ok_or_else(|| CliError::Usage(format!("run {} does not wait for a review", args.run)))?,
    };
    let verb = if accept { "approved" } else { "rejected" };
    let response = match (position.checkpoint, accept) {
        (true, true) => {
            client
                .accept_checkpoint()
                .project_id(&args.project)
                .pipeline_id(&args.pipeline)
                .pipeline_run_id(&args.run)
                .step_run_id(&position.step_run_id)
                .call()
                .await?
        }
        (true, false) => {
            return Err(CliError::Usage(format!(
                "\"{}\" is a manual checkpoint, which can only be passed (approve) or the run stopped",
                position.step
            )));
        }
        (false, true) => {
            let mut request = client
                .accept_manual_review()
                .project_id(&args.project)
                .pipeline_id(&args.pipeline)
                .pipeline_run_id(&args.run)
                .job_run_id(&position.job_run_id)
                .step_run_id(&position.step_run_id);
            if let Some(comment) = &args.comment {
                request = request.approval_description(comment);
            }
            request.call().await?
        }
        (false, false) => {
            let mut request = client
                .reject_manual_review()
                .project_id(&args.project)
                .pipeline_id(&args.pipeline)
                .pipeline_run_id(&args.run)
                .job_run_id(&position.job_run_id)
                .step_run_id(&position.step_run_id);
            if let Some(comment) = &args.comment {
                request = request.approval_description(comment);
            }
            request.call().await?
        }
    };
    if out.is_json() {
        out.json(&response)
    } else {
        out.text(&format!("{verb} \"{}\" of stage \"{}\" in run {}", position.step, position.stage, args.run))
    }
}

/// Every step's log of a run (or one step's), as it is now.
async fn logs(
    client: &Client,
    out: &Output,
    project: &str,
    pipeline: &str,
    run: Option<&str>,
    step: Option<&str>,
) -> Result<(), CliError> {
    let detail = detail(client, project, pipeline, run).await?;
    let run_id = detail.id.clone().unwrap_or_default();
    let steps: Vec<RunPosition> = run_steps(&detail)
        .into_iter()
        .filter(|(_, s)| s.status.is_some())
        .map(|(p, _)| p)
        .filter(|p| step.is_none_or(|s| p.step == s || p.step_run_id == s))
        .collect();
    if let Some(s) = step
        && steps.is_empty()
    {
        return Err(CliError::Usage(format!("run {run_id} has no started step {s}")));
    }
    let mut all = Vec::new();
    for p in steps {
        let text = read_pipeline_step_log(client, project, pipeline, &run_id, &p.job_run_id, &p.step_run_id).await?;
        all.push((p, text));
    }
    if out.is_json() {
        let docs: Vec<serde_json::Value> = all
            .into_iter()
            .map(|(p, text)| serde_json::json!({"stage": p.stage, "job": p.job, "step": p.step, "step_run_id": p.step_run_id, "log": text}))
            .collect();
        return out.json(&docs);
    }
    let many = all.len() > 1;
    for (p, text) in all {
        if many {
            out.text(&format!("== {} / {} ==", p.stage, p.step))?;
        }
        out.text(text.trim_end_matches('\n'))?;
    }
    Ok(())
}

/// A pipeline's runs, newest first.
async fn runs(client: &Client, out: &Output, project: &str, pipeline: &str, limit: u32) -> Result<(), CliError> {
    let listing = client
        .list_pipeline_runs()
        .project_id(project)
        .pipeline_id(pipeline)
        .body(types::ListPipelineRunsQuery::default());
    let mut items = pin!(listing.into_paginator().page_size(limit.clamp(1, 100)).items().take(limit as usize));
    let mut all = Vec::new();
    while let Some(r) = items.next().await {
        all.push(r?);
    }
    if out.is_json() {
        return out.json(&all);
    }
    if all.is_empty() {
        return out.text(&format!("pipeline {pipeline} has not run"));
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|r| {
            vec![
                cell(r.run_number.map(|n| format!("#{n}"))),
                status(r.status.as_ref()),
                status(r.trigger_type.as_ref()),
                cell(r.executor_name.as_deref()),
                took(r.start_time, r.end_time, None),
                cell(r.pipeline_run_id.as_deref()),
            ]
        })
        .collect();
    out.table(&["RUN", "STATUS", "TRIGGER", "BY", "TOOK", "ID"], &rows)
}
