//! Builds: RunJob, StopBuildJob and StopJob, the records (ShowRecordDetail, ShowRecordInfo,
//! ShowHistoryDetails, ShowOutputInfo, ShowFlowGraph), the history (ShowListHistory,
//! ShowListPeriodHistory, ShowJobSuccessRatio, ShowLastHistory) and the logs (DownloadBuildLog,
//! DownloadTaskLog, DownloadLogByRecordId), and DownloadKeystore.
//!
//! # A build's life
//!
//! RunJob plans the build: an implicit first step `Code checkout`, then the job's enabled steps in
//! order. The build is `QUEUED` for one step duration, then `RUNNING` each step for one step duration,
//! then `SUCCESS` — or `FAILURE` at the first step that fails, or `ABORTED` when stopped. A step fails
//! when its name contains `fail` (any case), or when the run's parameters say so: `fail=true` fails
//! the last step, `fail=<step name>` that step. History and record answers use the result strings
//! `QUEUED`, `RUNNING`, `SUCCESS`, `FAILURE` and `ABORTED`.
//!
//! History `record_id`s are the build record IDs the log downloads take (the reference's examples
//! print daily build numbers there). History pages are counted from 0 (`offset` is a page index);
//! newest builds come first. Date ranges are UTC calendar days, both ends included.

use super::jobs::find;
use super::logs::{full_log, task_log};
use crate::auth::Caller;
use crate::dispatch::Call;
use crate::reply::make;
use crate::reply::{ApiError, INVALID_FILE_NAME, Query, Reply, build_number, file, json_body, ok, page, shorten};
use crate::state::{
    Build, BuildView, Data, EmulatorState, Job, Outcome, Phase, PlannedStep, Settings, Stop, date_of, fmt_day,
    fmt_millis, fmt_seconds, hex, parse_date, uuid,
};
use axum::http::StatusCode;
use codearts::build::types;
use std::time::{Duration, SystemTime};

/// The implicit first step of every build.
pub(crate) const CHECKOUT_STEP: &str = "Code checkout";

/// The job and build `number`, or 404.
pub(crate) fn find_build<'a>(data: &'a Data, id: &str, number: i32) -> Result<(&'a Job, &'a Build), ApiError> {
    let job = find(data, id)?;
    let build = job
        .builds
        .iter()
        .find(|b| b.number == number)
        .ok_or_else(|| ApiError::not_found(format!("Build task {id} has no build #{number}.")))?;
    Ok((job, build))
}

/// The job and build of a record ID, or 404.
pub(crate) fn find_record<'a>(data: &'a Data, id: &str) -> Result<(&'a Job, &'a Build), ApiError> {
    data.record(id).ok_or_else(|| ApiError::not_found(format!("Build record {id} does not exist.")))
}

/// The steps a run of `job` goes through.
fn plan(job: &Job) -> Vec<PlannedStep> {
    let checkout_command = match job.scms.first() {
        Some(scm) => format!("git clone {} --branch {}", scm.url, scm.branch.as_deref().unwrap_or("master")),
        None => "no code source configured; nothing to check out".into(),
    };
    let mut steps = vec![PlannedStep {
        name: CHECKOUT_STEP.into(),
        module_id: "devcloud2018.codeci_action_20001.action".into(),
        command: Some(checkout_command),
    }];
    steps.extend(job.steps.iter().filter(|s| s.enable != Some(false)).map(|s| PlannedStep {
        name: s.name.clone(),
        module_id: s.module_id.clone(),
        command: s.properties.as_ref().and_then(|p| p.get("command")).and_then(|c| c.as_str()).map(str::to_string),
    }));
    steps
}

/// The step that fails: the first whose name contains `fail`, or the one the `fail` parameter names
/// (`true`: the last), whichever comes first.
fn failing_step(steps: &[PlannedStep], parameters: &[(String, String, bool)]) -> Option<usize> {
    let by_name = steps.iter().position(|s| s.name.to_ascii_lowercase().contains("fail"));
    let by_parameter = parameters.iter().find(|(n, _, _)| n.eq_ignore_ascii_case("fail")).and_then(|(_, v, _)| {
        if v.eq_ignore_ascii_case("true") {
            steps.len().checked_sub(1)
        } else {
            steps.iter().position(|s| s.name == *v)
        }
    });
    match (by_name, by_parameter) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `POST /v3/jobs/build` (RunJob): plans and queues a build.
pub(crate) fn run_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::RunJobRequestBody = json_body(&call.body, Some("job_id"))?;
    for (i, p) in request.parameter.iter().flatten().enumerate() {
        if p.name.trim().is_empty() {
            return Err(ApiError::invalid(format!("parameter[{i}].name must not be empty.")));
        }
    }
    let now = state.now();
    let step_duration = state.settings().step_duration;
    let mut data = state.data();
    let seed = data.seed("build");
    let job = data
        .job_mut(&request.job_id)
        .ok_or_else(|| ApiError::not_found(format!("Build task {} does not exist.", request.job_id)))?;
    if job.disabled {
        return Err(ApiError::invalid(format!(
            "Build task {} is disabled; restore it (EnableBuildJob) before running it.",
            job.id
        )));
    }
    let mut parameters = job.parameter_definitions();
    for given in request.parameter.iter().flatten() {
        match parameters.iter_mut().find(|(name, _, _)| *name == given.name) {
            Some(known) => known.1 = given.value.clone(),
            None => parameters.push((given.name.clone(), given.value.clone(), false)),
        }
    }
    let steps = plan(job);
    let fail_at = failing_step(&steps, &parameters);
    let scm = request.scm.unwrap_or_default();
    let tag = scm.build_tag.filter(|t| !t.trim().is_empty());
    let given_commit = scm.build_commit_id.filter(|c| !c.trim().is_empty());
    let build_type = match (&given_commit, &tag) {
        (Some(_), _) => "commit",
        (None, Some(_)) => "tag",
        (None, None) => "branch",
    };
    let first_scm = job.scms.first();
    let branch = parameters
        .iter()
        .find(|(n, _, _)| n == "codeBranch")
        .map(|(_, v, _)| v.clone())
        .or_else(|| first_scm.and_then(|s| s.branch.clone()))
        .unwrap_or_else(|| "master".into());
    let number = job.builds.last().map_or(1, |b| b.number.saturating_add(1));
    let day = fmt_day(now);
    let today = job.builds.iter().filter(|b| fmt_day(b.created) == day).count() + 1;
    let build = Build {
        number,
        record_id: uuid(&format!("{seed}/record")),
        entry_id: uuid(&format!("{seed}/entry")),
        daily_number: format!("{day}.{today}"),
        execution_id: format!("j_{}", hex(&format!("{seed}/execution"), 8)),
        created: now,
        step_duration,
        steps,
        fail_at,
        stop: None,
        user: call.caller.user,
        parameters,
        branch,
        commit: given_commit.unwrap_or_else(|| hex(&format!("{seed}/commit"), 40)),
        tag,
        build_type: build_type.into(),
        repo_name: first_scm.and_then(|s| crate::state::repository_name(&s.url)),
        repo_id: first_scm.and_then(|s| s.repo_id.clone()),
    };
    let answer = make!(types::RunJobResponse {
        octopus_job_name: Some(build.execution_id.clone()),
        actual_build_number: Some(number.to_string()),
        daily_build_number: Some(build.daily_number.clone())
    });
    job.builds.push(build);
    let keep = state.settings().retain;
    crate::state::retain_finished(&mut job.builds, keep, |b| b.view(now).finished.is_some());
    ok(&answer)
}

/// What a stop request did.
enum Stopped {
    Now,
    Already,
    Finished(Phase),
}

fn stop(state: &EmulatorState, caller: Caller, id: &str, number: i32) -> Result<Stopped, ApiError> {
    let now = state.now();
    let mut data = state.data();
    let job = data.job_mut(id).ok_or_else(|| ApiError::not_found(format!("Build task {id} does not exist.")))?;
    let build = job
        .builds
        .iter_mut()
        .find(|b| b.number == number)
        .ok_or_else(|| ApiError::not_found(format!("Build task {id} has no build #{number}.")))?;
    Ok(match build.view(now).phase {
        Phase::Finished(Outcome::Aborted) => Stopped::Already,
        phase @ Phase::Finished(_) => Stopped::Finished(phase),
        Phase::Queued | Phase::Running => {
            build.stop = Some(Stop { at: now, user: caller.user });
            Stopped::Now
        }
    })
}

/// Stops build `number` of job `id` if it is queued or running (a finished build stays as it ended).
pub(crate) fn stop_build(state: &EmulatorState, caller: Caller, id: &str, number: i32) -> Result<(), ApiError> {
    stop(state, caller, id, number).map(|_| ())
}

/// `POST /v3/jobs/{job_id}/{build_no}/stop` (StopBuildJob): `success` is false when the build had
/// already ended on its own; stopping a stopped build again succeeds.
pub(crate) fn stop_build_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let number = build_number("build_no", call.path("build_no"))?;
    let (success, result) = match stop(state, call.caller, id, number)? {
        Stopped::Now => (true, String::new()),
        Stopped::Already => (true, format!("Build #{number} was already stopped.")),
        Stopped::Finished(phase) => (false, format!("Build #{number} has already finished ({}).", phase.as_str())),
    };
    ok(&make!(types::StopBuildJobResponse { success: Some(success), result: Some(result) }))
}

/// `POST /v3/jobs/stop` (StopJob, deprecated): the same, with the build in the body.
pub(crate) fn stop_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::StopJobRequestBody = json_body(&call.body, Some("job_id"))?;
    let number = build_number("build_no", &request.build_no)?;
    let stopped = stop(state, call.caller, &request.job_id, number)?;
    ok(&make!(types::StopJobResponse { result: Some(!matches!(stopped, Stopped::Finished(_))) }))
}

/// How the record answers spell a build configuration type.
fn config_type(job: &Job) -> types::BuildConfigType {
    match &job.build_config_type {
        Some(t) if t.as_str().eq_ignore_ascii_case("yaml") => types::BuildConfigType::Yaml,
        _ => types::BuildConfigType::Action,
    }
}

fn error_message(build: &Build, view: &BuildView, settings: &Settings) -> Option<String> {
    match view.phase {
        Phase::Finished(Outcome::Failure) => {
            let step = build.fail_at.and_then(|i| build.steps.get(i)).map_or("?", |s| s.name.as_str());
            Some(format!("Step {step} failed: the command exited with code 1."))
        }
        Phase::Finished(Outcome::Aborted) => {
            let user = build.stop.as_ref().and_then(|s| settings.users.get(s.user)).map_or("unknown", |u| &u.name);
            Some(format!("Stopped by user {user}."))
        }
        _ => None,
    }
}

/// The v4 record of a build (the v3 one has the same fields).
pub(crate) fn record(job: &Job, build: &Build, settings: &Settings, now: SystemTime) -> types::BuildRecordDetail {
    let view = build.view(now);
    let created = Some(fmt_millis(build.created));
    make!(types::BuildRecordDetail {
        id: Some(build.entry_id.clone()),
        build_project_id: Some(job.build_project_id.clone()),
        build_record_id: Some(build.record_id.clone()),
        devcloud_project_id: Some(job.project_id.clone()),
        codeci_job_id: Some(job.id.clone()),
        user_id: settings.users.get(build.user).map(|u| u.id.clone()),
        build_no: Some(build.number),
        daily_build_num: Some(build.daily_number.clone()),
        execution_id: Some(build.execution_id.clone()),
        repo_name: build.repo_name.clone(),
        repo_id: build.repo_id.clone(),
        branch: Some(build.branch.clone()),
        tag: build.tag.clone(),
        commit: Some(build.commit.clone()),
        commit_message: Some(format!("Commit built by build #{}", build.number)),
        commit_create_time: created.clone(),
        trigger_type: Some("MANUAL".into()),
        build_type: Some(build.build_type.clone()),
        status: Some(view.phase.as_str().into()),
        domain_id: Some(job.domain_id.clone()),
        create_time: created.clone(),
        schedule_time: created.clone(),
        queued_time: created,
        start_time: view.started.map(fmt_millis),
        runnable_time: view.started.map(fmt_millis),
        finish_time: view.finished.map(fmt_millis),
        duration: Some(view.duration_ms()),
        record_status: None,
        use_private_slave: Some(0),
        region: Some(settings.region().to_string()),
        err_msg: error_message(build, &view, settings),
        build_config_type: Some(config_type(job))
    })
}

/// `GET /v4/jobs/{job_id}/{build_no}/record-info` (ShowRecordDetail).
pub(crate) fn show_record_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let number = build_number("build_no", call.path("build_no"))?;
    let data = state.data();
    let (job, build) = find_build(&data, id, number)?;
    let detail = record(job, build, state.settings(), state.now());
    ok(&make!(types::ShowRecordDetailResponse { status: Some("success".into()), result: Some(detail) }))
}

/// `GET /v3/jobs/{job_id}/{build_no}/record-info` (ShowRecordInfo, deprecated).
pub(crate) fn show_record_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let number = build_number("build_no", call.path("build_no"))?;
    let data = state.data();
    let (job, build) = find_build(&data, id, number)?;
    let d = record(job, build, state.settings(), state.now());
    ok(&make!(types::ShowRecordInfoResponse {
        success: Some(true),
        result: Some(make!(types::BuildRecordInfo {
            branch: d.branch,
            build_config_type: d.build_config_type,
            build_no: d.build_no,
            build_project_id: d.build_project_id,
            build_record_id: d.build_record_id,
            build_type: d.build_type,
            codeci_job_id: d.codeci_job_id,
            commit: d.commit,
            commit_create_time: d.commit_create_time,
            commit_message: d.commit_message,
            create_time: d.create_time,
            daily_build_num: d.daily_build_num,
            devcloud_project_id: d.devcloud_project_id,
            domain_id: d.domain_id,
            duration: d.duration.map(f64::from),
            err_msg: d.err_msg,
            execution_id: d.execution_id,
            finish_time: d.finish_time,
            id: d.id,
            parent_record_id: d.parent_record_id,
            queued_time: d.queued_time,
            record_status: d.record_status,
            region: d.region,
            repo_id: d.repo_id,
            repo_name: d.repo_name,
            runnable_time: d.runnable_time,
            schedule_time: d.schedule_time,
            start_time: d.start_time,
            status: d.status,
            tag: d.tag,
            trigger_type: d.trigger_type,
            use_private_slave: d.use_private_slave,
            user_id: d.user_id
        }))
    }))
}

/// `GET /v3/jobs/{job_id}/{build_number}/history-details` (ShowHistoryDetails): parameters (sensitive
/// values masked) and every planned step with its status and time.
pub(crate) fn show_history_details(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let number = build_number("build_number", call.path("build_number"))?;
    let now = state.now();
    let data = state.data();
    let (job, build) = find_build(&data, id, number)?;
    let view = build.view(now);
    let parameters: std::collections::HashMap<String, String> = build
        .parameters
        .iter()
        .map(|(name, value, sensitive)| (name.clone(), if *sensitive { "*****".into() } else { value.clone() }))
        .collect();
    let steps = build
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            make!(types::HistoryBuildStep {
                name: Some(step.name.clone()),
                status: Some(view.steps[i].state.as_str().into()),
                build_time: Some(view.step_ms(i))
            })
        })
        .collect::<Vec<_>>();
    let project_name = format!("project-{}", job.project_id.get(..8).unwrap_or(&job.project_id));
    ok(&make!(types::ShowHistoryDetailsResponse {
        job_name: Some(job.name.clone()),
        build_number: Some(build.number),
        project_id: Some(job.project_id.clone()),
        project_name: Some(project_name),
        parameters: parameters,
        build_steps: steps,
    }))
}

/// `GET /v3/jobs/{job_id}/{build_no}/output-info` (ShowOutputInfo): a successful build produced a
/// package (and an image when a step's name or module mentions docker or image); other builds
/// produced nothing.
pub(crate) fn show_output_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let number = build_number("build_no", call.path("build_no"))?;
    let now = state.now();
    let data = state.data();
    let (job, build) = find_build(&data, id, number)?;
    let mut result = types::BuildOutputInfo::default();
    if build.view(now).phase == Phase::Finished(Outcome::Success) {
        let package = make!(types::BuildOutputResult {
            project_id: Some(job.project_id.clone()),
            name: Some(format!("{}.zip", job.name)),
            version: Some(build.daily_number.clone()),
            package_type: Some("generic".into()),
            uri: Some(format!("/{}/{}/{}/{}.zip", job.project_id, job.name, build.daily_number, job.name)),
            type_: Some("package".into()),
            daily_build_number: Some(build.daily_number.clone())
        });
        result.package_infos.insert(format!("{}.zip", job.name), package.clone());
        result.package_info = Some(package);
        let builds_image = build.steps.iter().any(|s| {
            let text = format!("{} {}", s.name, s.module_id).to_ascii_lowercase();
            text.contains("docker") || text.contains("image")
        });
        if builds_image {
            let image = make!(types::BuildOutputResult {
                project_id: Some(job.project_id.clone()),
                name: Some(job.name.to_ascii_lowercase()),
                version: Some(build.daily_number.clone()),
                package_type: Some("docker".into()),
                uri: Some(format!(
                    "swr.{}.myhuaweicloud.com/{}/{}:{}",
                    state.settings().region(),
                    job.domain_id,
                    job.name.to_ascii_lowercase(),
                    build.daily_number
                )),
                type_: Some("image".into()),
                daily_build_number: Some(build.daily_number.clone())
            });
            result.image_infos = Some([(job.name.to_ascii_lowercase(), image)].into_iter().collect());
        }
    }
    ok(&make!(types::ShowOutputInfoResponse { status: Some("success".into()), result: Some(result) }))
}

/// `GET /v3/{build_flow_record_id}/flow-graph` (ShowFlowGraph, deprecated): the emulator's builds
/// start no sub-jobs, so the graph is the build itself, without edges.
pub(crate) fn show_flow_graph(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("build_flow_record_id");
    let now = state.now();
    let data = state.data();
    let (job, build) = find_record(&data, id)?;
    let view = build.view(now);
    ok(&make!(types::ShowFlowGraphResponse {
        success: Some(true),
        result: Some(make!(types::BuildFlowGraph {
            vertices: vec![make!(types::BuildFlowGraphVertex {
                id: Some(build.record_id.clone()),
                status: Some(view.phase.as_str().into()),
                display_name: Some(job.name.clone()),
                build_duration: Some(view.duration_ms()),
                start_time: view.started.map(fmt_seconds),
                finish_time: view.finished.map(fmt_seconds),
                build_no: Some(build.number.to_string())
            })]
        }))
    }))
}

/// The builds of `job` created within `[from, to]` (UTC days), newest first.
fn builds_between(job: &Job, from: time::Date, to: time::Date) -> Vec<&Build> {
    job.builds.iter().rev().filter(|b| (from..=to).contains(&date_of(b.created))).collect()
}

/// `start_time`/`end_time` as dates, in order and at most `max_days` apart.
fn date_range(query: &Query, max_days: Option<i64>) -> Result<(time::Date, time::Date), ApiError> {
    let date = |name: &str| {
        let text = query.required(name)?;
        parse_date(text).ok_or_else(|| ApiError::invalid(format!("{name} must be a date formatted yyyy-MM-dd.")))
    };
    let (from, to) = (date("start_time")?, date("end_time")?);
    if to < from {
        return Err(ApiError::invalid("end_time must not be earlier than start_time."));
    }
    if let Some(max) = max_days
        && (to - from).whole_days() > max
    {
        return Err(ApiError::invalid(format!("start_time and end_time may be at most {max} days apart.")));
    }
    Ok((from, to))
}

fn count(n: usize) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

/// `offset` (a page index from 0) and `limit` (1 to 100).
fn paging(query: &Query) -> Result<(usize, usize), ApiError> {
    let offset = query.required_int("offset", 0..=i64::from(i32::MAX))?;
    let limit = query.required_int("limit", 1..=100)?;
    Ok((offset as usize, limit as usize))
}

/// `GET /v3/jobs/{job_id}/history` (ShowListHistory): builds created in the last `interval` days.
pub(crate) fn show_list_history(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let (offset, limit) = paging(&call.query)?;
    let interval = call.query.required_int("interval", 1..=30)?;
    let now = state.now();
    let since = now.checked_sub(Duration::from_secs(interval as u64 * 86_400)).unwrap_or(SystemTime::UNIX_EPOCH);
    let data = state.data();
    let job = find(&data, id)?;
    let builds: Vec<&Build> = job.builds.iter().rev().filter(|b| b.created >= since).collect();
    let total = builds.len();
    ok(&make!(types::ShowListHistoryResponse {
        total: count(total),
        history_records: page(builds, offset, limit)
            .into_iter()
            .map(|b| {
                let view = b.view(now);
                make!(types::JobHistoryRecord {
                    record_id: Some(b.record_id.clone()),
                    job_id: Some(job.id.clone()),
                    build_number: Some(b.number),
                    start_time: view.started.map(fmt_seconds),
                    end_time: view.finished.map(fmt_seconds),
                    result: Some(view.phase.as_str().into())
                })
            })
            .collect::<Vec<_>>()
    }))
}

/// `GET /v3/jobs/{job_id}/period-history` (ShowListPeriodHistory): builds created between two dates
/// at most 30 days apart.
pub(crate) fn show_list_period_history(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let (offset, limit) = paging(&call.query)?;
    let (from, to) = date_range(&call.query, Some(30))?;
    let now = state.now();
    let settings = state.settings();
    let data = state.data();
    let job = find(&data, id)?;
    let builds = builds_between(job, from, to);
    let total = builds.len();
    ok(&make!(types::ShowListPeriodHistoryResponse {
        total: count(total),
        history_records: page(builds, offset, limit)
            .into_iter()
            .map(|b| {
                let view = b.view(now);
                make!(types::JobPeriodHistoryRecord {
                    record_id: Some(b.record_id.clone()),
                    job_id: Some(job.id.clone()),
                    build_number: Some(b.number),
                    start_time: view.started.map(fmt_seconds),
                    end_time: view.finished.map(fmt_seconds),
                    result: Some(view.phase.as_str().into()),
                    branch: Some(b.branch.clone()),
                    commit_id: Some(b.commit.clone()),
                    commit_message: Some(format!("Commit built by build #{}", b.number)),
                    executor: settings.users.get(b.user).map(|u| u.name.clone()),
                    trigger_type: Some("manual triggering".into())
                })
            })
            .collect::<Vec<_>>()
    }))
}

/// `GET /v3/jobs/{job_id}/success-ratio` (ShowJobSuccessRatio): among the builds created between the
/// two dates that have finished, how many succeeded (ratio rounded to two decimals; 0 without any).
pub(crate) fn show_job_success_ratio(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let (from, to) = date_range(&call.query, None)?;
    let now = state.now();
    let data = state.data();
    let job = find(&data, id)?;
    let phases: Vec<Phase> =
        builds_between(job, from, to).iter().map(|b| b.view(now).phase).filter(|p| p.is_finished()).collect();
    let total = phases.len();
    let success = phases.iter().filter(|p| **p == Phase::Finished(Outcome::Success)).count();
    let ratio = if total == 0 { 0.0 } else { (success as f64 / total as f64 * 100.0).round() / 100.0 };
    ok(&make!(types::ShowJobSuccessRatioResponse {
        success_count: count(success),
        total_count: count(total),
        success_ratio: Some(ratio)
    }))
}

/// Whether `text` has CJK characters (which ShowLastHistory's `repository_name` may not contain).
fn has_cjk(text: &str) -> bool {
    text.chars().any(
        |c| matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF),
    )
}

/// `GET /v3/jobs/{project_id}/last-history` (ShowLastHistory): the latest successful build, in the
/// project, of the jobs whose code source is the named repository; 404 when there is none.
pub(crate) fn show_last_history(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let repository = call.query.required("repository_name")?;
    if has_cjk(repository) {
        return Err(ApiError::invalid("repository_name may not contain Chinese characters."));
    }
    let now = state.now();
    let data = state.data();
    let latest = data
        .jobs
        .iter()
        .filter(|j| j.project_id == project && j.repository_names().iter().any(|r| r == repository))
        .flat_map(|j| j.builds.iter().map(move |b| (j, b, b.view(now))))
        .filter(|(_, _, v)| v.phase == Phase::Finished(Outcome::Success))
        .max_by_key(|(_, b, v)| (v.finished, b.created));
    let Some((job, build, view)) = latest else {
        return Err(ApiError::not_found(format!(
            "No build of repository {} in project {project} has succeeded.",
            shorten(repository)
        )));
    };
    ok(&make!(types::ShowLastHistoryResponse {
        record_id: Some(build.record_id.clone()),
        job_id: Some(job.id.clone()),
        job_name: Some(job.name.clone()),
        build_number: Some(build.number),
        start_time: view.started.map(fmt_seconds),
        end_time: view.finished.map(fmt_seconds),
        result: Some(view.phase.as_str().into()),
        commit_id: Some(build.commit.clone())
    }))
}

fn debug_level(query: &Query) -> Result<bool, ApiError> {
    Ok(query.optional_choice("log_level", &["INFO", "DEBUG"])? == Some("DEBUG"))
}

/// `GET /v4/{record_id}/download-log` (DownloadBuildLog): the log so far.
pub(crate) fn download_build_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("record_id");
    let debug = debug_level(&call.query)?;
    let now = state.now();
    let data = state.data();
    let (job, build) = find_record(&data, id)?;
    file(&format!("{id}.log"), full_log(job, build, state.settings(), now, debug))
}

/// `GET /v3/{record_id}/download-log` (DownloadLogByRecordId, deprecated): the INFO log so far.
pub(crate) fn download_log_by_record_id(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("record_id");
    let now = state.now();
    let data = state.data();
    let (job, build) = find_record(&data, id)?;
    file(&format!("{id}.log"), full_log(job, build, state.settings(), now, false))
}

/// `GET /v4/{record_id}/task-log` (DownloadTaskLog): the log so far of the step `task_name` (empty
/// until it starts; 404 when the build has no such step).
pub(crate) fn download_task_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("record_id");
    let task = call.query.required("task_name")?;
    let debug = debug_level(&call.query)?;
    let now = state.now();
    let data = state.data();
    let (job, build) = find_record(&data, id)?;
    match task_log(job, build, state.settings(), now, task, debug) {
        Some(log) => file(&format!("{id}-{}.log", shorten(task)), log),
        None => Err(ApiError::not_found(format!("Build record {id} has no step named {}.", shorten(task)))),
    }
}

/// `GET /v3/keystore` (DownloadKeystore): a keystore file of the call.caller's own account.
pub(crate) fn download_keystore(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let name = match call.query.optional("file_name") {
        Some(n) if !n.trim().is_empty() && n.chars().count() <= 500 => n,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                INVALID_FILE_NAME,
                "Invalid file name. file_name is required, not empty, and at most 500 characters.",
            ));
        }
    };
    let domain = call.query.required("domain_id")?;
    if domain.len() != 32 || !domain.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()) {
        return Err(ApiError::invalid("domain_id is 32 characters of digits and lowercase letters."));
    }
    let settings = state.settings();
    if settings.users[call.caller.user].domain_id != domain {
        return Err(ApiError::not_found(format!("Account {domain} has no keystore visible to this user.")));
    }
    // The configured files and the uploaded ones (UploadKeystore) alike.
    match super::keystores::bytes_by_name(state, call.caller, name) {
        Some(bytes) => file(name, bytes),
        None => Err(ApiError::not_found(format!("There is no keystore file named {}.", shorten(name)))),
    }
}
