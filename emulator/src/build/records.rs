//! Build records and stages, v1 and v3: ListBuildInfoRecord (and its v1 twin
//! ListBuildInfoRecordByJobId), ShowBuildInfoRecord, ListBriefRecord, ListRecords, ShowBuildRecord,
//! ShowBuildRecordBuildScript, ShowBuildRecordFlowGraph, ShowBuildRecordFullStages,
//! ShowJobBuildRecordDetail and ShowJobTotal.
//!
//! They are views of the builds the emulator runs (see `builds`): the same numbers, record IDs,
//! statuses and times as ShowRecordDetail and the history. A build's stages are its steps, the
//! implicit `Code checkout` first, each with the state and times of the step. `build_project_id`
//! is the job's build project (ShowRecordDetail's `build_project_id`), one per job.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::builds::{find_build, find_record, record};
use super::jobs::{find, health};
use super::{epoch_ms, fmt_plain, success, typed, user};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, build_number, json_body_for, page, shorten};
use crate::state::{Build, BuildView, Data, EmulatorState, Job, Phase, Settings, StepState, fmt_millis};
use codearts::build::types;

/// Build `number` of `job`, or 404.
pub(crate) fn build_of(job: &Job, number: i32) -> Result<&Build, ApiError> {
    job.builds
        .iter()
        .find(|b| b.number == number)
        .ok_or_else(|| ApiError::not_found(format!("Build task {} has no build #{number}.", job.id)))
}

/// The job whose build project is `id`, or 404.
fn by_build_project<'a>(data: &'a Data, id: &str) -> Result<&'a Job, ApiError> {
    data.jobs
        .iter()
        .find(|j| j.build_project_id.eq_ignore_ascii_case(id))
        .ok_or_else(|| ApiError::not_found(format!("Build project {} does not exist.", shorten(id))))
}

/// `Finished`, `Running` or `Queued`, as the v1 records spell the running status.
fn running(view: &BuildView) -> &'static str {
    match view.phase {
        Phase::Queued => "Queued",
        Phase::Running => "Running",
        Phase::Finished(_) => "Finished",
    }
}

/// The status code of a v1 record: 0 queued, 1 running, 2 success, 3 failure, 8 aborted (the
/// example's ABORTED is 8).
fn status_code(phase: Phase) -> i32 {
    match phase.as_str() {
        "QUEUED" => 0,
        "RUNNING" => 1,
        "SUCCESS" => 2,
        "FAILURE" => 3,
        _ => 8,
    }
}

/// A build as `BuildInfoRecord`.
fn info_record(job: &Job, build: &Build, settings: &Settings, now: SystemTime) -> Value {
    let view = build.view(now);
    let (user_id, name) = user(settings, build.user);
    let scm = job.scms.first();
    let web = scm.and_then(|s| s.web_url.clone()).unwrap_or_default();
    json!({
        "number": build.number,
        "daily_build_number": build.daily_number,
        "state": view.phase.as_str(),
        "job_running_status": running(&view),
        "trigger_type": "MANUAL",
        "build_type": build.build_type,
        "code_branch": build.branch,
        "commit_id": build.commit,
        "commit_detail_url": if web.is_empty() { String::new() } else { format!("{web}/commit/{}", build.commit) },
        "commit_info": {"commit_id": build.commit, "created_at": fmt_millis(build.created)},
        "scm_type": scm.map(|s| s.scm_type.clone()).unwrap_or_default(),
        "scm_web_url": web,
        "start_time": epoch_ms(view.started.unwrap_or(build.created)),
        "build_time": view.duration_ms(),
        "cost_time": view.duration_ms(),
        "executor": name,
        "nickname": name,
        "user_id": user_id,
    })
}

/// `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-dd`), UTC.
fn parse_instant(name: &str, text: &str) -> Result<SystemTime, ApiError> {
    let text = text.trim();
    let bad = || ApiError::invalid(format!("{name} must be formatted yyyy-MM-dd HH:mm:ss, not `{}`.", shorten(text)));
    let (date, time) = text.split_once(' ').unwrap_or((text, "00:00:00"));
    let date = crate::state::parse_date(date).ok_or_else(bad)?;
    let time = time::Time::parse(time.trim(), time::macros::format_description!("[hour]:[minute]:[second]"))
        .map_err(|_| bad())?;
    Ok(date.with_time(time).assume_utc().into())
}

/// `GET /v3/jobs/{job_id}/build-info-records` (ListBuildInfoRecord) and `GET
/// /v1/record/{job_id}/list` (ListBuildInfoRecordByJobId): the builds created between
/// `start_time` and `end_time`, newest first; `page_index` from 0 (as the example's answer counts),
/// `page_size` 1 to 100 (default 10).
pub(crate) fn list_build_info_record(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let from = parse_instant("start_time", call.query.required("start_time")?)?;
    let to = parse_instant("end_time", call.query.required("end_time")?)?;
    if to < from {
        return Err(ApiError::invalid("end_time must not be earlier than start_time."));
    }
    let index = call.query.optional_int("page_index", 0..=i64::from(i32::MAX), 0)? as usize;
    let size = call.query.optional_int("page_size", 1..=100, 10)? as usize;
    let now = state.now();
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let builds: Vec<&Build> = job.builds.iter().rev().filter(|b| b.created >= from && b.created <= to).collect();
    let total = builds.len();
    let states: Vec<Value> =
        page(builds, index, size).into_iter().map(|b| info_record(job, b, state.settings(), now)).collect();
    success::<types::ListBuildInfoRecordBody>(json!({
        "health_score": health(job, now).to_string(),
        "job_build_states": states,
        "page_index": index.to_string(),
        "total_page": total.div_ceil(size).to_string(),
        "total_record": total.to_string(),
    }))
}

/// `GET /v1/record/{job_id}/{build_no}/build-info-record` (ShowBuildInfoRecord).
pub(crate) fn show_build_info_record(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.path("build_no"))?;
    let data = state.data();
    let (job, build) = find_build(&data, call.path("job_id"), no)?;
    success::<types::BuildInfoRecordBody>(info_record(job, build, state.settings(), state.now()))
}

/// The time layout of the v1 brief records (`2024-08-12T02:31:01+0800`, here in UTC).
fn offset(t: Option<SystemTime>) -> Value {
    t.map_or(Value::Null, |t| json!(super::fmt_offset(t)))
}

/// `POST /v1/record/brief?limit=N` (ListBriefRecord): for each build project ID in the body, its
/// `limit` latest builds in brief. An unknown ID gets an empty list.
pub(crate) fn list_brief_record(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let ids: Vec<String> = json_body_for(call.service, &call.body)?;
    let limit = call.query.required_int("limit", 0..=100)? as usize;
    for id in &ids {
        crate::reply::checked("build_project_id", id)?;
    }
    let now = state.now();
    let data = state.data();
    let result: Vec<Value> = ids
        .iter()
        .map(|id| {
            let job = data.jobs.iter().find(|j| j.build_project_id.eq_ignore_ascii_case(id));
            let records: Vec<Value> = job
                .map(|job| {
                    job.builds
                        .iter()
                        .rev()
                        .take(limit)
                        .map(|b| {
                            let view = b.view(now);
                            json!({
                                "id": b.record_id, "build_no": b.number, "daily_build_number": b.daily_number,
                                "branch": b.branch, "revision": b.commit, "project_id": job.project_id,
                                "status": view.phase.as_str(), "trigger_name": user(state.settings(), b.user).1,
                                "create_time": fmt_plain(b.created), "queued_time": offset(Some(b.created)),
                                "schedule_time": offset(Some(b.created)), "start_time": offset(view.started),
                                "finish_time": offset(view.finished),
                                "build_duration": view.duration_ms(), "duration": view.duration_ms(),
                                "pending_duration": crate::state::millis_between(b.created, view.started.unwrap_or(now)),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({"project_id": id, "brief_build_record_dtos": records})
        })
        .collect();
    success::<types::ListBriefRecordResponseBody>(json!(result))
}

/// A build as the v1 `BuildRecord`.
fn build_record(job: &Job, build: &Build, settings: &Settings, now: SystemTime) -> Value {
    let view = build.view(now);
    let scm = job.scms.first();
    let millis = |t: Option<SystemTime>| t.map_or(Value::Null, |t| json!(fmt_millis(t)));
    json!({
        "id": build.record_id,
        "build_no": build.number.to_string(),
        "daily_build_no": build.daily_number,
        "daily_build_number": build.daily_number,
        "display_name": job.name,
        "execution_id": build.execution_id,
        "project_id": job.build_project_id,
        "branch": build.branch,
        "revision": build.commit,
        "repository": scm.map(|s| s.url.clone()).unwrap_or_default(),
        "scm_type": scm.map(|s| s.scm_type.clone()).unwrap_or_default(),
        "scm_web_url": scm.and_then(|s| s.web_url.clone()).unwrap_or_default(),
        "group_name": scm.and_then(|s| s.group_name.clone()).unwrap_or_default(),
        "dev_cloud_build_type": build.build_type,
        "build_yml_path": ".cloudbuild/build.yml",
        "build_record_type": {"record_type": "JOB", "trigger_type": "MANUAL", "rerun": false, "is_rerun": false},
        "trigger_type": "MANUAL",
        "trigger_name": user(settings, build.user).1,
        "user_id": user(settings, build.user).0,
        "status": view.phase.as_str(),
        "status_code": status_code(view.phase),
        "create_time": fmt_millis(build.created),
        "queued_time": fmt_millis(build.created),
        "schedule_time": fmt_millis(build.created),
        "start_time": millis(view.started),
        "finish_time": millis(view.finished),
        "duration": view.duration_ms(),
        "build_duration": view.duration_ms(),
        "pending_duration": crate::state::millis_between(build.created, view.started.unwrap_or(now)),
        "parameters": build.parameters.iter().map(|(name, value, secret)| json!({
            "name": name, "value": if *secret { "*****" } else { value }, "secret": secret, "type": "string",
        })).collect::<Vec<_>>(),
    })
}

/// `GET /v1/record/{build_project_id}/records` (ListRecords): the job's builds, newest first,
/// filtered by `triggers` (`MANUAL` is the only trigger the emulator's builds have), `branches`
/// and `tags` (comma-separated lists) and `from_date`/`to_date` (`yyyy-MM-dd`, UTC days, both
/// included); `page` from 1, `limit` 1 to 100 (default 10).
pub(crate) fn list_records(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page", 0..=i64::from(i32::MAX), 1)?.max(1) as usize;
    let limit = call.query.optional_int("limit", 1..=100, 10)? as usize;
    let list = |name: &str| -> Vec<String> {
        call.query
            .optional(name)
            .map(|v| v.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default()
    };
    let (triggers, branches, tags) = (list("triggers"), list("branches"), list("tags"));
    let date = |name: &str| -> Result<Option<time::Date>, ApiError> {
        match call.query.optional(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(v) => crate::state::parse_date(v)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{name} must be a date formatted yyyy-MM-dd."))),
        }
    };
    let (from, to) = (date("from_date")?, date("to_date")?);
    let now = state.now();
    let data = state.data();
    let job = by_build_project(&data, call.path("build_project_id"))?;
    let builds: Vec<&Build> = job
        .builds
        .iter()
        .rev()
        .filter(|_| triggers.is_empty() || triggers.iter().any(|t| t.eq_ignore_ascii_case("MANUAL")))
        .filter(|b| branches.is_empty() || branches.contains(&b.branch))
        .filter(|b| tags.is_empty() || b.tag.as_ref().is_some_and(|t| tags.contains(t)))
        .filter(|b| {
            let day = crate::state::date_of(b.created);
            from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
        })
        .collect();
    let total = builds.len();
    let data_page: Vec<Value> =
        page(builds, no - 1, limit).into_iter().map(|b| build_record(job, b, state.settings(), now)).collect();
    success::<types::ListRecords>(json!({
        "data": data_page,
        "pagination": {"page": no, "limit": limit, "total": total},
    }))
}

/// `GET /v1/record/{record_id}/info` (ShowBuildRecord).
pub(crate) fn show_build_record(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let (job, build) = find_record(&data, call.path("record_id"))?;
    success::<types::ShowBuildRecord>(build_record(job, build, state.settings(), state.now()))
}

/// `GET /v1/record/{record_id}/build-script` (ShowBuildRecordBuildScript): the build's steps as the
/// YAML script the build ran.
pub(crate) fn show_build_record_build_script(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let (job, build) = find_record(&data, call.path("record_id"))?;
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut script = format!(
        "---\nversion: \"2.0\"\ndevcloud_metadata:\n  jobName: {}\n  jobId: \"{}\"\n  projectId: \"{}\"\nstages:\n",
        quote(&job.name),
        job.id,
        job.project_id
    );
    for (i, step) in build.steps.iter().enumerate() {
        script += &format!(
            "  stage{}:\n    meta:\n      displayName: {}\n      module: {}\n",
            i + 1,
            quote(&step.name),
            quote(&step.module_id)
        );
        if let Some(command) = &step.command {
            script += &format!("    command: {}\n", quote(command));
        }
    }
    success::<types::ShowBuildRecordBuildScript>(json!(script))
}

/// `GET /v1/record/{build_flow_record_id}/flow-graph` (ShowBuildRecordFlowGraph): as ShowFlowGraph,
/// the build itself, without edges (the emulator's builds start no sub-builds).
pub(crate) fn show_build_record_flow_graph(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let (job, build) = find_record(&data, call.path("build_flow_record_id"))?;
    let view = build.view(now);
    let seconds = |t: Option<SystemTime>| t.map(crate::state::fmt_seconds);
    success::<types::FlowGraph2>(json!({
        "edges": [],
        "vertices": [{
            "id": build.record_id, "status": view.phase.as_str(), "display_name": job.name,
            "build_duration": view.duration_ms(), "start_time": seconds(view.started),
            "finish_time": seconds(view.finished), "build_no": build.number.to_string(),
        }],
    }))
}

/// The state of a step as a stage status.
fn stage_status(state: StepState, phase: Phase) -> &'static str {
    match state {
        StepState::Pending if phase.is_finished() => "SKIPPED",
        StepState::Pending => "PENDING",
        StepState::Running => "RUNNING",
        StepState::Success => "SUCCESS",
        StepState::Error if phase.as_str() == "ABORTED" => "ABORTED",
        StepState::Error => "FAILURE",
    }
}

/// `GET /v1/record/{record_id}/full-stages` (ShowBuildRecordFullStages): each step of the build as
/// a stage, keyed `stage1`, `stage2`, … in order.
pub(crate) fn show_build_record_full_stages(state: &EmulatorState, call: &Call<'_>) -> Reply {
    call.query.optional_choice("cascade", &["true", "false"])?;
    let now = state.now();
    let data = state.data();
    let (_, build) = find_record(&data, call.path("record_id"))?;
    let view = build.view(now);
    let mut stages = serde_json::Map::new();
    for (i, step) in build.steps.iter().enumerate() {
        let s = &view.steps[i];
        let status = stage_status(s.state, view.phase);
        let millis = |t: Option<SystemTime>| t.map_or(Value::Null, |t| json!(fmt_millis(t)));
        stages.insert(
            format!("stage{}", i + 1),
            json!({
                "id": crate::state::uuid(&format!("{}/stage/{i}", build.record_id)),
                "build_record_id": build.record_id,
                "execution_id": build.execution_id,
                "execution_stage_name": format!("stage{}", i + 1),
                "display_name": step.name,
                "sequence": i + 1,
                "node_id": i + 1,
                "status": status,
                "status_code": match status { "SUCCESS" => 2, "RUNNING" => 1, "FAILURE" => 3, "ABORTED" => 8, _ => 0 },
                "log_status": if s.started.is_some() { "AVAILABLE" } else { "NONE" },
                "create_time": fmt_millis(build.created),
                "queued_time": fmt_millis(build.created),
                "schedule_time": millis(s.started),
                "start_time": millis(s.started),
                "finish_time": millis(s.ended),
                "duration": view.step_ms(i),
                "build_duration": view.step_ms(i),
                "pending_duration": 0,
            }),
        );
    }
    success::<types::FullStages>(json!({"build_stages": stages}))
}

/// `GET /v1/record/{job_id}/{build_no}/record-info` (ShowJobBuildRecordDetail): ShowRecordDetail.
pub(crate) fn show_job_build_record_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.path("build_no"))?;
    let data = state.data();
    let (job, build) = find_build(&data, call.path("job_id"), no)?;
    let detail = record(job, build, state.settings(), state.now());
    typed::<types::ShowRecordDetailResponse>(json!({"status": "success", "result": detail}))
}

/// `GET /v1/record/{build_project_id}/statistics` (ShowJobTotal): how many builds the job has
/// (created between `from_date` and `to_date`, `yyyy-MM-dd`, when given).
pub(crate) fn show_job_total(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let date = |name: &str| -> Result<Option<time::Date>, ApiError> {
        match call.query.optional(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(v) => crate::state::parse_date(v)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{name} must be a date formatted yyyy-MM-dd."))),
        }
    };
    let (from, to) = (date("from_date")?, date("to_date")?);
    let data = state.data();
    let job = by_build_project(&data, call.path("build_project_id"))?;
    let total = job
        .builds
        .iter()
        .filter(|b| {
            let day = crate::state::date_of(b.created);
            from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
        })
        .count();
    success::<types::TotalResponseBody>(json!({"total": total}))
}
