//! `codearts build …`: CodeArts Build through `codearts::build::Client` and the library's
//! waiting, log and paging helpers.

use std::path::Path;
use std::pin::pin;
use std::time::Duration;

use codearts::CallExt;
use codearts::build::{Client, types};
use codearts::logs::{FollowOptions, download_build_log, download_step_log, follow_build_log};
use codearts::wait::{BuildOutcome, StartedBuild, WaitOptions, start_build};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWrite;

use crate::args::{
    BuildCommand, CopyArgs, GlobalArgs, GroupsCommand, HistoryArgs, JobCommand, JobsCommand, KeystoresCommand,
    LogsArgs, RecycleBinCommand, RunArgs, StagesArgs, StatusArgs,
};
use crate::config;
use crate::error::{CliError, FAILED, STOPPED, TIMED_OUT, io};
use crate::output::{Output, cell, columns};

/// The default of `--max-wait`.
const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);
/// The longest pause between two polls while waiting.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// How far back `build logs JOB` looks for the latest build (ShowListHistory's longest interval).
const LATEST_BUILD_DAYS: i32 = 30;

pub async fn run(global: &GlobalArgs, out: &Output, command: BuildCommand) -> Result<(), CliError> {
    let config = config::load(global)?;
    let client = Client::from_config(&config)?;
    match command {
        BuildCommand::Jobs(JobsCommand::List { project, page_size }) => {
            jobs_list(&client, out, &project, page_size).await
        }
        BuildCommand::Job(JobCommand::Show { job, all_parameters }) => {
            job_show(&client, out, &job, all_parameters).await
        }
        BuildCommand::Run(args) => run_job(&client, out, args).await,
        BuildCommand::Status(args) => status(&client, out, args).await,
        BuildCommand::Logs(args) => logs(&client, out, args).await,
        BuildCommand::Stop(args) => stop(&client, out, &args.job, args.build_no).await,
        BuildCommand::History(args) => history(&client, out, args).await,
        BuildCommand::Copy(args) => copy(&client, out, args).await,
        BuildCommand::Stages(args) => stages(&client, out, args).await,
        BuildCommand::RecycleBin(command) => recycle_bin(&client, out, command).await,
        BuildCommand::Keystores(command) => keystores(&client, out, command).await,
        BuildCommand::Groups(GroupsCommand::List { project }) => groups(&client, out, &project).await,
    }
}

// --- jobs -----------------------------------------------------------------------------------------

async fn jobs_list(client: &Client, out: &Output, project: &str, page_size: u32) -> Result<(), CliError> {
    let spinner = out.spinner(format!("listing the build jobs of project {project}"));
    let listing = client.show_job_list_by_project_id().project_id(project);
    let mut items = pin!(listing.into_paginator().page_size(page_size).items());
    let mut jobs = Vec::new();
    while let Some(job) = items.next().await {
        jobs.push(job?);
    }
    drop(spinner);
    if out.is_json() {
        return out.json(&jobs);
    }
    if jobs.is_empty() {
        return out.text(&format!("no build jobs in project {project}"));
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let disabled = j.disabled == Some(true);
            vec![
                cell(j.id.as_deref()),
                cell(j.job_name.as_deref()),
                if disabled { "disabled".into() } else { cell(j.last_build_status.as_deref()) },
                cell(j.job_creator.as_deref()),
            ]
        })
        .collect();
    out.table(&["ID", "NAME", "LAST BUILD", "CREATOR"], &rows)
}

async fn job_show(client: &Client, out: &Output, job: &str, all_parameters: bool) -> Result<(), CliError> {
    let mut request = client.list_job_config().job_id(job);
    if all_parameters {
        request = request.get_all_params("true");
    }
    let response = request.call().await?;
    if out.is_json() {
        return out.json(&response);
    }
    let config = response.result.ok_or_else(|| {
        CliError::Unexpected(format!("ListJobConfig answered without the configuration of job {job}"))
    })?;
    let code: Vec<String> = config
        .scms
        .iter()
        .map(|s| match &s.branch {
            Some(branch) => format!("{} ({branch})", cell(s.url.as_deref())),
            None => cell(s.url.as_deref()),
        })
        .collect();
    let parameters: Vec<String> = config
        .parameters
        .iter()
        .map(|p| {
            let value =
                p.params.iter().flatten().find(|q| q.name.as_deref() == Some("value")).and_then(|q| q.value.as_deref());
            format!("{}={}", cell(p.name.as_deref()), value.unwrap_or(""))
        })
        .collect();
    let fields = vec![
        vec!["ID".to_string(), cell(config.job_id.as_deref().or(Some(job)))],
        vec!["NAME".into(), cell(config.job_name.as_deref())],
        vec!["PROJECT".into(), cell(config.project_id.as_deref())],
        vec!["ARCH".into(), cell(config.arch.as_ref().map(|a| a.as_str()))],
        vec!["FLAVOR".into(), cell(config.flavor.as_deref())],
        vec!["CONFIG".into(), cell(config.build_config_type.as_ref().map(|t| t.as_str()))],
        vec!["CODE".into(), if code.is_empty() { "-".into() } else { code.join(", ") }],
        vec!["PARAMETERS".into(), if parameters.is_empty() { "-".into() } else { parameters.join(", ") }],
    ];
    let steps: Vec<Vec<String>> = config
        .steps
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, s)| {
            let enabled = if s.enable == Some(false) { "no" } else { "yes" };
            vec![(i + 1).to_string(), cell(s.name.as_deref()), enabled.into(), cell(s.module_id.as_deref())]
        })
        .collect();
    out.text(&columns(None, &fields))?;
    out.text("")?;
    out.table(&["STEP", "NAME", "ENABLED", "MODULE"], &steps)
}

// --- builds -----------------------------------------------------------------------------------------

/// What `run` and `status --build-no` print in JSON: the build, how it ended (when waited for),
/// its record (ShowRecordDetail) and steps (ShowHistoryDetails).
#[derive(Debug, Serialize)]
struct BuildReport {
    job_id: String,
    build_no: i32,
    /// `succeeded`, `failed`, `stopped` or `timed_out`; absent when not waited for.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    /// The name of the step that failed, for a failed build.
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<types::BuildRecordDetail>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<types::HistoryBuildStep>,
}

async fn run_job(client: &Client, out: &Output, args: RunArgs) -> Result<(), CliError> {
    let parameter = args
        .params
        .into_iter()
        .map(|(name, value)| types::RunJobParameterItem::builder().name(name).value(value))
        .map(types::RunJobParameterItem::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Unexpected(e.to_string()))?;
    let body = types::RunJobRequestBody::builder().job_id(args.job.clone()).parameter(parameter);
    let body = types::RunJobRequestBody::try_from(body).map_err(|e| CliError::Unexpected(e.to_string()))?;
    let started = start_build(client, body).await?;
    let label = format!("build #{} of job {}", started.build_no, started.job_id);

    if !(args.wait || args.follow || args.max_wait.is_some()) {
        let report = BuildReport {
            job_id: started.job_id.clone(),
            build_no: started.build_no,
            outcome: None,
            failed_step: None,
            record: None,
            steps: Vec::new(),
        };
        return if out.is_json() { out.json(&report) } else { out.text(&format!("started {label}")) };
    }
    if !out.is_json() && args.follow {
        out.text(&format!("started {label}"))?;
    }

    let max_wait = args.max_wait.unwrap_or(DEFAULT_MAX_WAIT);
    let deadline = tokio::time::Instant::now() + max_wait;
    if args.follow {
        // An error here is the build's problem to report, not a reason to stop waiting for it.
        let followed = tokio::time::timeout_at(deadline, follow(client, out, &started, args.poll_interval)).await;
        if let Ok(Err(e)) = followed {
            if e.is_broken_pipe() {
                return Err(e);
            }
            eprintln!("warning: following the log of {label}: {}", e.one_line());
        }
    }
    let options = WaitOptions {
        max_wait: deadline.saturating_duration_since(tokio::time::Instant::now()),
        initial_interval: args.poll_interval,
        max_interval: MAX_POLL_INTERVAL.max(args.poll_interval),
    };
    let outcome = {
        let _spinner = if args.follow { None } else { out.spinner(format!("waiting for {label}")) };
        started.wait(client, options).await.map_err(|e| CliError::from(e).context(format!("waiting for {label}")))?
    };
    finish(client, out, &started, outcome, max_wait).await
}

/// Prints the build's log lines as they come (to stdout; to stderr in JSON mode, where stdout holds
/// the final JSON document) until the build has finished.
async fn follow(client: &Client, out: &Output, started: &StartedBuild, interval: Duration) -> Result<(), CliError> {
    let record_id = record_id(client, &started.job_id, started.build_no).await?;
    let options = FollowOptions { interval, ..FollowOptions::default() };
    let mut lines = pin!(follow_build_log(client, &started.job_id, started.build_no, record_id, options));
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) if out.is_json() => eprintln!("{line}"),
            Ok(line) => out.text(&line)?,
            // Transient: the follower retries from the same offset and ends after repeated failures.
            Err(e) => eprintln!("warning: {}", CliError::from(e).one_line()),
        }
    }
    Ok(())
}

/// Reports how a waited-for build ended and turns anything but success into its exit status.
async fn finish(
    client: &Client,
    out: &Output,
    started: &StartedBuild,
    outcome: BuildOutcome,
    max_wait: Duration,
) -> Result<(), CliError> {
    let label = format!("build #{} of job {}", started.build_no, started.job_id);
    let (name, record) = match outcome {
        BuildOutcome::Succeeded(r) => ("succeeded", Some(r)),
        BuildOutcome::Failed(r) => ("failed", Some(r)),
        BuildOutcome::Stopped(r) => ("stopped", Some(r)),
        BuildOutcome::TimedOut { last } => ("timed_out", last),
    };
    // The step statuses are only in ShowHistoryDetails. Without them a failure is still reported.
    let steps = match client.show_history_details().job_id(&started.job_id).build_number(started.build_no).call().await
    {
        Ok(details) => details.build_steps,
        Err(e) => {
            eprintln!("warning: cannot read the steps of {label}: {}", CliError::from(e).one_line());
            Vec::new()
        }
    };
    let failed_step = (name == "failed").then(|| failing_step(&steps)).flatten();
    let status = record.as_ref().and_then(|r| r.status.clone()).unwrap_or_else(|| "unknown".into());
    let report = BuildReport {
        job_id: started.job_id.clone(),
        build_no: started.build_no,
        outcome: Some(name),
        failed_step: failed_step.clone(),
        record,
        steps,
    };
    if out.is_json() {
        out.json(&report)?;
    } else {
        print_build(out, &report)?;
    }
    match name {
        "succeeded" => Ok(()),
        "failed" => {
            let at = match (&failed_step, report.record.as_ref().and_then(|r| r.err_msg.as_deref())) {
                (Some(step), _) => format!(" at step \"{step}\""),
                (None, Some(message)) => format!(": {message}"),
                (None, None) => " (the service names no failing step)".into(),
            };
            Err(CliError::Outcome { status: FAILED, message: format!("{label} failed{at}") })
        }
        "stopped" => Err(CliError::Outcome { status: STOPPED, message: format!("{label} was stopped") }),
        _ => Err(CliError::Outcome {
            status: TIMED_OUT,
            message: format!(
                "{label} is still {status} after {} (--max-wait); it goes on running",
                humantime::format_duration(max_wait)
            ),
        }),
    }
}

/// The first step whose status says it failed.
fn failing_step(steps: &[types::HistoryBuildStep]) -> Option<String> {
    steps
        .iter()
        .find(|s| {
            s.status
                .as_ref()
                .map(|s| s.as_str())
                .is_some_and(|st| ["error", "failed", "failure"].iter().any(|f| st.eq_ignore_ascii_case(f)))
        })
        .map(|s| s.name.clone().unwrap_or_else(|| "(unnamed)".into()))
}

/// A build's record and steps as a table.
fn print_build(out: &Output, report: &BuildReport) -> Result<(), CliError> {
    let record = report.record.as_ref();
    let mut fields = vec![
        vec!["BUILD".to_string(), format!("#{} of job {}", report.build_no, report.job_id)],
        vec!["STATUS".into(), cell(record.and_then(|r| r.status.as_deref()))],
    ];
    if let Some(step) = &report.failed_step {
        fields.push(vec!["FAILED STEP".into(), step.clone()]);
    }
    if let Some(message) = record.and_then(|r| r.err_msg.as_deref()) {
        fields.push(vec!["ERROR".into(), message.into()]);
    }
    fields.extend([
        vec!["RECORD".into(), cell(record.and_then(|r| r.build_record_id.as_deref()))],
        vec!["DAILY NUMBER".into(), cell(record.and_then(|r| r.daily_build_num.as_deref()))],
        vec!["BRANCH".into(), cell(record.and_then(|r| r.branch.as_deref()))],
        vec!["STARTED".into(), cell(record.and_then(|r| r.start_time.as_deref()))],
        vec!["FINISHED".into(), cell(record.and_then(|r| r.finish_time.as_deref()))],
    ]);
    out.text(&columns(None, &fields))?;
    if report.steps.is_empty() {
        return Ok(());
    }
    let steps: Vec<Vec<String>> = report
        .steps
        .iter()
        .map(|s| {
            let time = s
                .build_time
                .and_then(|ms| u64::try_from(ms).ok())
                .map(|ms| humantime::format_duration(Duration::from_millis(ms)).to_string());
            let status = s.status.as_ref().map(|s| s.as_str()).filter(|st| !st.is_empty());
            vec![cell(s.name.as_deref()), cell(status), cell(time)]
        })
        .collect();
    out.text("")?;
    out.table(&["STEP", "STATUS", "TIME"], &steps)
}

async fn status(client: &Client, out: &Output, args: StatusArgs) -> Result<(), CliError> {
    let Some(build_no) = args.build_no else {
        let status = client.show_job_status().job_id(&args.job).call().await?;
        if out.is_json() {
            return out.json(&status);
        }
        let running = match status.result {
            Some(true) => "running",
            Some(false) => "not running",
            None => "unknown (the service did not say)",
        };
        return out.text(&format!("job {}: {running}", args.job));
    };
    let record = record(client, &args.job, build_no).await?;
    let details = client.show_history_details().job_id(&args.job).build_number(build_no).call().await?;
    let report = BuildReport {
        job_id: args.job,
        build_no,
        outcome: None,
        failed_step: failing_step(&details.build_steps),
        record: Some(record),
        steps: details.build_steps,
    };
    if out.is_json() { out.json(&report) } else { print_build(out, &report) }
}

async fn stop(client: &Client, out: &Output, job: &str, build_no: i32) -> Result<(), CliError> {
    let response = client.stop_build_job().job_id(job).build_no(build_no).call().await?;
    let stopped = response.success == Some(true);
    if out.is_json() {
        out.json(&response)?;
    } else if stopped {
        out.text(&format!("stopped build #{build_no} of job {job}"))?;
    }
    if stopped {
        return Ok(());
    }
    let why = response.result.as_deref().filter(|r| !r.trim().is_empty()).unwrap_or("no reason given");
    Err(CliError::Unexpected(format!("StopBuildJob: build #{build_no} of job {job} was not stopped: {why}")))
}

async fn history(client: &Client, out: &Output, args: HistoryArgs) -> Result<(), CliError> {
    let page_size = args.limit.min(100);
    let records =
        client.show_list_history().job_id(&args.job).interval(args.days).into_paginator().page_size(page_size).items();
    let mut records = pin!(records.take(args.limit as usize));
    let mut all = Vec::new();
    while let Some(record) = records.next().await {
        all.push(record?);
    }
    if out.is_json() {
        return out.json(&all);
    }
    if all.is_empty() {
        return out.text(&format!("no builds of job {} in the last {} days", args.job, args.days));
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|r| {
            vec![
                cell(r.build_number),
                cell(r.result.as_deref()),
                cell(r.start_time.as_deref()),
                cell(r.end_time.as_deref()),
                cell(r.record_id.as_deref()),
            ]
        })
        .collect();
    out.table(&["BUILD", "RESULT", "STARTED", "FINISHED", "RECORD"], &rows)
}

// --- logs -------------------------------------------------------------------------------------------

/// What `logs -o FILE` prints in JSON.
#[derive(Debug, Serialize)]
struct LogReport<'a> {
    record_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<&'a str>,
    path: &'a Path,
    bytes: u64,
}

async fn logs(client: &Client, out: &Output, args: LogsArgs) -> Result<(), CliError> {
    // A record ID is a UUID (with dashes); a job ID is 32 characters without.
    let record_id = match (args.target.contains('-'), args.build_no) {
        (true, None) => args.target.clone(),
        (true, Some(_)) => {
            return Err(CliError::Usage(format!(
                "`{}` is a build record ID, which names the build already: give JOB BUILD_NO or RECORD_ID",
                args.target
            )));
        }
        (false, Some(build_no)) => record_id(client, &args.target, build_no).await?,
        (false, None) => {
            let build_no = latest_build(client, &args.target).await?;
            record_id(client, &args.target, build_no).await?
        }
    };
    let step = args.step.as_deref();
    let Some(path) = &args.file else {
        download(client, &record_id, step, tokio::io::stdout()).await?;
        return Ok(());
    };
    let file = tokio::fs::File::create(path).await.map_err(io(format!("creating {}", path.display())))?;
    let counter = out.byte_counter(format!("downloading to {}", path.display()));
    let result = match &counter {
        Some(bar) => download(client, &record_id, step, bar.wrap_async_write(file)).await,
        None => download(client, &record_id, step, file).await,
    };
    drop(counter);
    let bytes = result.map_err(|e| e.context(format!("{} is incomplete", path.display())))?;
    if out.is_json() {
        out.json(&LogReport { record_id: &record_id, step, path, bytes })
    } else {
        out.text(&format!("wrote {bytes} bytes of the log of record {record_id} to {}", path.display()))
    }
}

async fn download(
    client: &Client,
    record_id: &str,
    step: Option<&str>,
    writer: impl AsyncWrite + Unpin,
) -> Result<u64, CliError> {
    Ok(match step {
        Some(step) => download_step_log(client, record_id, step, writer).await?,
        None => download_build_log(client, record_id, writer).await?,
    })
}

// --- lookups ----------------------------------------------------------------------------------------

/// Build `build_no`'s record (ShowRecordDetail).
async fn record(client: &Client, job: &str, build_no: i32) -> Result<types::BuildRecordDetail, CliError> {
    let response = client.show_record_detail().job_id(job).build_no(build_no).call().await?;
    response.result.ok_or_else(|| {
        CliError::Unexpected(format!("ShowRecordDetail answered without the record of build #{build_no} of job {job}"))
    })
}

/// The record ID the log downloads take, from the job and build number.
async fn record_id(client: &Client, job: &str, build_no: i32) -> Result<String, CliError> {
    record(client, job, build_no).await?.build_record_id.ok_or_else(|| {
        CliError::Unexpected(format!(
            "ShowRecordDetail answered without the record ID of build #{build_no} of job {job}"
        ))
    })
}

/// The number of the job's latest build in the last 30 days (history is newest first).
async fn latest_build(client: &Client, job: &str) -> Result<i32, CliError> {
    let history = client.show_list_history().job_id(job).interval(LATEST_BUILD_DAYS);
    let mut records = pin!(history.into_paginator().page_size(1).items());
    match records.next().await {
        Some(record) => record?.build_number.ok_or_else(|| {
            CliError::Unexpected(format!(
                "ShowListHistory answered without the build number of job {job}'s latest build"
            ))
        }),
        None => Err(CliError::Usage(format!(
            "job {job} has no build in the last {LATEST_BUILD_DAYS} days: give the build number (JOB BUILD_NO)"
        ))),
    }
}

// --- copies, stages, the recycle bin, keystores, groups ----------------------------------------------

/// `build copy JOB [--name N]`: the source's configuration (ShowJobConfig) sent as a CopyJob body
/// under the new name.
async fn copy(client: &Client, out: &Output, args: CopyArgs) -> Result<(), CliError> {
    let name = match args.name {
        Some(name) => name,
        None => client.show_copy_name().job_id(&args.job).call().await?.result.ok_or_else(|| {
            CliError::Unexpected(format!("ShowCopyName answered without a name for job {}", args.job))
        })?,
    };
    let config = client.show_job_config().job_id(&args.job).call().await?.result.ok_or_else(|| {
        CliError::Unexpected(format!("ShowJobConfig answered without the configuration of job {}", args.job))
    })?;
    // The v1 configuration and the copy body have the same fields (the copy adds the source's ID).
    let mut body = serde_json::to_value(&config).map_err(|e| CliError::Unexpected(e.to_string()))?;
    body["job_name"] = serde_json::Value::String(name.clone());
    body["copy_job_id"] = serde_json::Value::String(args.job.clone());
    if let Some(fields) = body.as_object_mut() {
        // Not fields of the copy body: the copy takes the source's group and timeout.
        fields.remove("group_id");
        fields.remove("timeout");
        fields.remove("build_if_code_updated");
    }
    let body: types::CopyBuildJobRequestBody = serde_json::from_value(body).map_err(|e| {
        CliError::Unexpected(format!("the configuration of job {} does not fit a CopyJob body: {e}", args.job))
    })?;
    let response = client.copy_job().body(body).call().await?;
    if out.is_json() {
        return out.json(&response);
    }
    let id = response.result.and_then(|r| r.job_id).unwrap_or_default();
    out.text(&format!("copied job {} to {id} ({name})", args.job))
}

/// `build stages JOB BUILD_NO`: the build's record ID (ShowRecordDetail), then its stages.
async fn stages(client: &Client, out: &Output, args: StagesArgs) -> Result<(), CliError> {
    let record = client.show_record_detail().job_id(&args.job).build_no(args.build_no).call().await?;
    let record_id = record.result.and_then(|r| r.build_record_id).ok_or_else(|| {
        CliError::Unexpected(format!("ShowRecordDetail answered without the record of build #{}", args.build_no))
    })?;
    let response = client.show_build_record_full_stages().record_id(&record_id).call().await?;
    if out.is_json() {
        return out.json(&response);
    }
    let mut stages: Vec<_> = response.result.map(|r| r.build_stages.into_iter().collect()).unwrap_or_default();
    stages.sort_by_key(|(key, s): &(String, types::BuildStageRecord)| (s.sequence, key.clone()));
    let rows: Vec<Vec<String>> = stages
        .iter()
        .map(|(_, s)| {
            vec![
                cell(s.sequence),
                cell(s.display_name.as_deref()),
                cell(s.status.as_deref()),
                cell(s.start_time.as_deref()),
                s.duration.map_or_else(|| "-".into(), |ms| format!("{:.1}s", f64::from(ms) / 1000.0)),
            ]
        })
        .collect();
    out.table(&["#", "STAGE", "STATUS", "STARTED", "DURATION"], &rows)
}

async fn recycle_bin(client: &Client, out: &Output, command: RecycleBinCommand) -> Result<(), CliError> {
    match command {
        RecycleBinCommand::List { search } => {
            let mut jobs = Vec::new();
            let mut keep_time = None;
            for page in 1.. {
                let mut request = client.list_recycling_job().page_no(page).page_size(100);
                if let Some(search) = &search {
                    request = request.search(search);
                }
                let result = request.call().await?.result.unwrap_or_default();
                keep_time = keep_time.or(result.keep_time);
                let total = result.total.unwrap_or(0).max(0) as usize;
                let got = result.job_list.len();
                jobs.extend(result.job_list);
                if got == 0 || jobs.len() >= total {
                    break;
                }
            }
            if out.is_json() {
                return out.json(&serde_json::json!({"keep_time": keep_time, "jobs": jobs}));
            }
            if jobs.is_empty() {
                return out.text("the recycle bin is empty");
            }
            let rows: Vec<Vec<String>> = jobs
                .iter()
                .map(|j| {
                    vec![
                        cell(j.job_id.as_deref()),
                        cell(j.job_name.as_deref()),
                        cell(j.project_id.as_deref()),
                        cell(j.delete_time.as_deref()),
                        cell(j.creator_name.as_deref()),
                    ]
                })
                .collect();
            out.table(&["ID", "NAME", "PROJECT", "DELETED", "CREATOR"], &rows)?;
            match keep_time {
                Some(days) => out.text(&format!("deleted jobs are kept {days} days")),
                None => Ok(()),
            }
        }
        RecycleBinCommand::Restore { jobs } => {
            let body = types::JobsRequestBody::builder().job_ids(jobs.clone());
            let response = client.restore_recycling_jobs().body(body).call().await?;
            if out.is_json() {
                return out.json(&response);
            }
            out.text(&format!("restored {}", jobs.join(", ")))
        }
        RecycleBinCommand::Purge { all: true, .. } => {
            let response = client.clear_recycling_jobs().call().await?;
            if out.is_json() {
                return out.json(&response);
            }
            out.text("emptied the recycle bin")
        }
        RecycleBinCommand::Purge { jobs, .. } => {
            let body = types::JobsRequestBody::builder().job_ids(jobs.clone());
            let response = client.delete_recycling_jobs().body(body).call().await?;
            if out.is_json() {
                return out.json(&response);
            }
            out.text(&format!("purged {}", jobs.join(", ")))
        }
    }
}

/// Every keystore file of the account (ListKeystoreSearch, all pages), as JSON objects.
async fn keystore_list(client: &Client, search: Option<&str>) -> Result<Vec<serde_json::Value>, CliError> {
    let mut files = Vec::new();
    for page in 1.. {
        let mut request = client.list_keystore_search().page(page).page_size(100);
        if let Some(search) = search {
            request = request.search(search);
        }
        let result = request.call().await?.result.unwrap_or_default();
        let total = result.total.unwrap_or(0.0).max(0.0) as usize;
        let got = result.keystore_list.len();
        files.extend(result.keystore_list.iter().filter_map(|m| serde_json::to_value(m).ok()));
        if got == 0 || files.len() >= total {
            break;
        }
    }
    Ok(files)
}

async fn keystores(client: &Client, out: &Output, command: KeystoresCommand) -> Result<(), CliError> {
    match command {
        KeystoresCommand::List { search } => {
            let files = keystore_list(client, search.as_deref()).await?;
            if out.is_json() {
                return out.json(&files);
            }
            if files.is_empty() {
                return out.text("no keystore files");
            }
            let text = |v: &serde_json::Value, k: &str| match &v[k] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "-".into(),
                other => other.to_string(),
            };
            let rows: Vec<Vec<String>> = files
                .iter()
                .map(|f| {
                    vec![
                        text(f, "id"),
                        text(f, "keystore_name"),
                        text(f, "create_user_name"),
                        text(f, "update_time"),
                        text(f, "description"),
                    ]
                })
                .collect();
            out.table(&["ID", "NAME", "CREATOR", "UPDATED", "DESCRIPTION"], &rows)
        }
        KeystoresCommand::Upload { file, description, accept_privacy_statement } => {
            let bytes = tokio::fs::read(&file).await.map_err(io(format!("reading {}", file.display())))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| CliError::Usage(format!("{} is not a file name", file.display())))?;
            let mut form = codearts::multipart::Form::new()
                .file("file", name.clone(), bytes)
                .text("privacy", accept_privacy_statement.to_string());
            if let Some(description) = description {
                form = form.text("description", description);
            }
            let response = client.upload_keystore().form(form).call().await?;
            if out.is_json() {
                return out.json(&response);
            }
            let id = response.result.and_then(|r| r.keystore_id).unwrap_or_default();
            out.text(&format!("uploaded {name} as keystore file {id}"))
        }
        KeystoresCommand::Download { id, file } => {
            // DownloadKeystoreByName takes the file's name and account too: the listing has them.
            let files = keystore_list(client, None).await?;
            let entry = files.iter().find(|f| f["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&id)));
            let Some(entry) = entry else {
                return Err(CliError::Config(format!(
                    "the account has no keystore file {id} (see `codearts build keystores list`)"
                )));
            };
            let name = entry["keystore_name"].as_str().unwrap_or_default().to_string();
            let domain = entry["domain_id"].as_str().unwrap_or_default().to_string();
            let stream = client.download_keystore_by_name().name(&name).domain_id(&domain).id(&id).call().await?;
            let written = match &file {
                Some(path) => {
                    let f = tokio::fs::File::create(path).await.map_err(io(format!("creating {}", path.display())))?;
                    write_stream(stream, f).await?
                }
                None => write_stream(stream, tokio::io::stdout()).await?,
            };
            if let Some(path) = file {
                eprintln!("wrote {name} ({written} bytes) to {}", path.display());
            }
            Ok(())
        }
    }
}

/// Writes a download to `writer` chunk by chunk; returns the bytes written.
async fn write_stream(
    stream: codearts::build::ByteStream,
    mut writer: impl AsyncWrite + Unpin,
) -> Result<u64, CliError> {
    use tokio::io::AsyncWriteExt;
    let mut stream = stream.into_inner();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| CliError::Unexpected(format!("the download broke off: {e}")))?;
        writer.write_all(&chunk).await.map_err(io("writing the download"))?;
        written += chunk.len() as u64;
    }
    writer.flush().await.map_err(io("writing the download"))?;
    Ok(written)
}

async fn groups(client: &Client, out: &Output, project: &str) -> Result<(), CliError> {
    let response = client.list_group_tree().project_id(project).call().await?;
    if out.is_json() {
        return out.json(&response);
    }
    fn walk(groups: &[types::JobGroupTreeResponseBody], depth: usize, rows: &mut Vec<Vec<String>>) {
        for g in groups {
            rows.push(vec![
                cell(g.id.as_deref()),
                format!("{}{}", "  ".repeat(depth), cell(g.name.as_deref())),
                cell(g.path_id.as_deref()),
            ]);
            walk(g.children.as_deref().unwrap_or_default(), depth + 1, rows);
        }
    }
    let mut rows = Vec::new();
    walk(&response.result, 0, &mut rows);
    if rows.is_empty() {
        return out.text(&format!("no job groups in project {project}"));
    }
    out.table(&["ID", "NAME", "PATH"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, status: &str) -> types::HistoryBuildStep {
        types::HistoryBuildStep::builder()
            .name(name.to_string())
            .status(types::HistoryBuildStepStatus::from(status))
            .try_into()
            .unwrap()
    }

    #[test]
    fn the_failing_step_is_the_first_in_error() {
        let steps = [step("Code checkout", "success"), step("Test", "error"), step("Package", "")];
        assert_eq!(failing_step(&steps).as_deref(), Some("Test"));
        assert_eq!(failing_step(&[step("Build", "FAILED")]).as_deref(), Some("Build"));
        assert_eq!(failing_step(&[step("Build", "success"), step("Test", "running")]), None);
    }
}
