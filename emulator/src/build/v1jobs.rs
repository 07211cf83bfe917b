//! The v1 job API (the console's): CreateNewJob, UpdateNewJob, ShowJobConfig, ShowJobInfo,
//! CopyJob, ShowCopyName, DisableTheJob, ShowDisable, ListJob, ListProjectJobs, the name and count
//! checks, the running-status reads, ExecuteJob and StopTheJob, the change history and its diff,
//! favourites, and the parameter catalogues.
//!
//! Every v1 call is a view of the same job as the v3 API's: CreateNewJob's job is ListJobConfig's,
//! UpdateBuildJob's change is in ShowJobConfig, ExecuteJob is RunJob. A copy (CopyJob) is a new job
//! with the body's configuration, where the fields the body leaves out (parameters, code sources,
//! triggers, group, timeout) are the source job's, and with the source's notification settings.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::jobs::{create_job, find, find_owned, health, id_response, status_colour, system_parameters, update_job};
use super::{convert, epoch_ms, success, typed, user};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, build_number, json_body, page, shorten};
use crate::state::{Data, EmulatorState, Job, Outcome, Phase, Settings};
use codearts::build::types;

/// At most this many jobs per account (CheckJobCountIsTopLimit).
const MAX_JOBS: usize = 10_000;

/// The v1 view of a job's configuration (`CreateBuildJobResponseVo`).
pub(crate) fn config_json(job: &Job) -> Value {
    let mut config = json!({
        "arch": job.arch.as_str(),
        "job_name": job.name,
        "project_id": job.project_id,
        "parameters": job.parameters,
        "scms": job.scms,
        "steps": job.steps,
        "triggers": job.extras.triggers,
    });
    let fields = [
        ("auto_update_sub_module", json!(job.auto_update_sub_module)),
        ("build_config_type", json!(job.build_config_type.as_ref().map(|t| t.as_str()))),
        ("build_if_code_updated", json!(job.extras.build_if_code_updated)),
        ("flavor", json!(job.flavor)),
        ("group_id", json!(job.extras.group_id)),
        ("host_type", json!(job.host_type)),
        ("timeout", json!(job.extras.timeout)),
    ];
    for (name, value) in fields {
        if !value.is_null() {
            config[name] = value;
        }
    }
    config
}

/// The v1 create body as the v3 one (the same fields; v1 types `arch` and `build_config_type` as
/// plain strings).
fn v1_body(call: &Call<'_>) -> Result<types::CreateBuildJobRequestBody, ApiError> {
    let request: types::V1CreateBuildJobRequestBody = json_body(&call.body, None)?;
    convert(&request, "The request body")
}

/// `POST /v1/job/create` (CreateNewJob).
pub(crate) fn create_new_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request = v1_body(call)?;
    id_response(create_job(state, call.caller, request)?)
}

/// `POST /v1/job/update` (UpdateNewJob): as UpdateBuildJob.
pub(crate) fn update_new_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateBuildJobRequestBody = json_body(&call.body, Some("job_id"))?;
    let id = request.job_id.clone();
    let request: types::CreateBuildJobRequestBody = convert(&request, "The request body")?;
    id_response(update_job(state, call.caller, &id, request)?)
}

/// `GET /v1/job/{job_id}/config` (ShowJobConfig): `get_all_params=true` adds the system parameter
/// `codeBranch`, as ListJobConfig does.
pub(crate) fn show_job_config(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let all = call.query.optional_choice("get_all_params", &["true", "false"])? == Some("true");
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let mut config = config_json(job);
    if all && let Some(list) = config["parameters"].as_array_mut() {
        list.extend(system_parameters(job).iter().map(|p| json!(p)));
    }
    success::<types::QueryJobConfigResponseBody>(config)
}

/// The running status of a job's latest build, as v1 spells it.
pub(crate) fn running_status(job: &Job, now: SystemTime) -> &'static str {
    match job.builds.last().map(|b| b.view(now).phase) {
        None => "NotBuilt",
        Some(Phase::Queued) => "Queued",
        Some(Phase::Running) => "Running",
        Some(Phase::Finished(_)) => "Finished",
    }
}

/// `GET /v1/job/{job_id}/info` (ShowJobInfo).
pub(crate) fn show_job_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let owner = job.owned_by(call.caller.user);
    let latest = job.builds.last();
    let mut result = json!({
        "id": job.id,
        "job_name": job.name,
        "project_id": job.project_id,
        "create_time": job.extras.created.map(epoch_ms).unwrap_or(0),
        "disabled": job.disabled,
        "favorite": job.extras.favourites.contains(&call.caller.user),
        "health_score": health(job, now),
        "is_copy": true, "is_execute": true, "is_view": true,
        "is_delete": owner, "is_forbidden": owner, "is_modify": owner, "is_manager": owner,
        "last_build_status": status_colour(job, now),
        "new_build": job.builds.is_empty(),
        "project_permission_switch": job.extras.project_permission,
        "running_status": running_status(job, now),
        "source_code": job.scms.first().map(|s| s.scm_type.clone()).unwrap_or_else(|| "codeci".into()),
    });
    if let Some(b) = latest {
        result["last_build_time"] = json!(epoch_ms(b.created));
        result["build_time"] = json!(b.view(now).duration_ms().to_string());
    }
    success::<types::ShowJobInfo>(result)
}

/// The first free copy name of `name` in `project`: `<name>-copy`, then `<name>-copy-1`, ….
fn copy_name(data: &Data, project: &str, name: &str) -> String {
    let taken = |n: &str| data.jobs.iter().any(|j| j.project_id == project && j.name == n);
    let first = format!("{name}-copy");
    if !taken(&first) {
        return first;
    }
    (1..).map(|i| format!("{name}-copy-{i}")).find(|n| !taken(n)).unwrap_or(first)
}

/// `GET /v1/job/{job_id}/copy-name` (ShowCopyName): the name a copy would get.
pub(crate) fn show_copy_name(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    success::<types::ResponseString>(json!(copy_name(&data, &job.project_id, &job.name)))
}

/// `POST /v1/job/copy` (CopyJob).
pub(crate) fn copy_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::CopyBuildJobRequestBody = json_body(&call.body, Some("copy_job_id"))?;
    let mut body: types::CreateBuildJobRequestBody = convert(&request, "The request body")?;
    let notices = {
        let data = state.data();
        let source = find(&data, &request.copy_job_id)?;
        if body.parameters.as_ref().is_none_or(Vec::is_empty) {
            body.parameters = Some(source.parameters.clone());
        }
        if body.scms.as_ref().is_none_or(Vec::is_empty) {
            body.scms = Some(source.scms.clone());
        }
        if body.triggers.as_ref().is_none_or(Vec::is_empty) {
            body.triggers = Some(source.extras.triggers.clone());
        }
        body.group_id = body.group_id.or_else(|| source.extras.group_id.clone());
        body.timeout = body.timeout.or_else(|| source.extras.timeout.clone());
        body.build_if_code_updated = body.build_if_code_updated.or(source.extras.build_if_code_updated);
        source.notices.clone()
    };
    let id = create_job(state, call.caller, body)?;
    if let Some(job) = state.data().job_mut(&id) {
        job.notices = notices;
    }
    id_response(id)
}

/// `POST /v1/job/{job_id}/disable` (DisableTheJob): `disabled` true disables (with the reason),
/// false restores.
pub(crate) fn disable_the_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::DisableTheJobRequestBody = json_body(&call.body, None)?;
    let now = state.now();
    let mut data = state.data();
    let verb = if request.disabled { "disable" } else { "restore" };
    let job = find_owned(&mut data, call.path("job_id"), call.caller, verb)?;
    job.disabled = request.disabled;
    job.extras.disabled_by =
        request.disabled.then(|| (now, call.caller.user, request.reason.clone().unwrap_or_default()));
    typed::<types::BuildJobStatusChangeResponse>(json!({"status": "success"}))
}

/// `GET /v1/job/{job_id}/check/disable` (ShowDisable).
pub(crate) fn show_disable(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let mut result = json!({"disabled": i32::from(job.disabled), "job_id": job.id, "job_name": job.name});
    if let Some((at, by, reason)) = &job.extras.disabled_by {
        result["forbidden_time"] = json!(epoch_ms(*at));
        result["forbiddener"] = json!(user(state.settings(), *by).1);
        result["reson"] = json!(reason);
    }
    success::<types::IsDisable>(result)
}

/// A job as the v1 lists show it (the v3 list item, which has the v1 fields).
fn list_entry(job: &Job, caller: crate::auth::Caller, settings: &Settings, now: SystemTime) -> Value {
    json!(super::jobs::list_item(job, caller, settings, now))
}

/// The latest build's result for the `build_status` filter: `success`, `fail`, `aborted`,
/// `running`, `notbuilt`.
fn build_status(job: &Job, now: SystemTime) -> &'static str {
    match job.builds.last().map(|b| b.view(now).phase) {
        None => "notbuilt",
        Some(Phase::Queued | Phase::Running) => "running",
        Some(Phase::Finished(Outcome::Success)) => "success",
        Some(Phase::Finished(Outcome::Failure)) => "fail",
        Some(Phase::Finished(Outcome::Aborted)) => "aborted",
    }
}

/// The jobs a v1 list shows: `search` (a case-insensitive substring of the name), `creator_id`,
/// `build_status` (comma-separated), sorted by `sort_field` (`job_name`, `create_time` or
/// `last_build_time`) in `sort_order`.
fn filtered<'a>(
    call: &Call<'_>,
    jobs: Vec<&'a Job>,
    settings: &Settings,
    now: SystemTime,
) -> Result<Vec<&'a Job>, ApiError> {
    let search = call.query.optional("search").map(|s| s.trim().to_lowercase()).unwrap_or_default();
    let creator = call.query.optional("creator_id").filter(|c| !c.is_empty());
    let statuses: Vec<String> = call
        .query
        .optional("build_status")
        .map(|s| s.split(',').map(|x| x.trim().to_ascii_lowercase()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    let mut out: Vec<&Job> = jobs
        .into_iter()
        .filter(|j| j.name.to_lowercase().contains(&search))
        .filter(|j| creator.is_none_or(|c| settings.users.get(j.creator).is_some_and(|u| u.id == c)))
        .filter(|j| statuses.is_empty() || statuses.iter().any(|s| s == build_status(j, now)))
        .collect();
    let descending = call.query.optional_choice("sort_order", &["ASC", "DESC"])? == Some("DESC");
    match call.query.optional("sort_field").unwrap_or_default() {
        "" => {}
        "job_name" | "name" => out.sort_by(|a, b| a.name.cmp(&b.name)),
        "create_time" => out.sort_by_key(|j| j.extras.created),
        "last_build_time" => out.sort_by_key(|j| j.builds.last().map(|b| b.created)),
        other => {
            return Err(ApiError::invalid(format!(
                "sort_field must be job_name, create_time or last_build_time, not `{}`.",
                shorten(other)
            )));
        }
    }
    if descending {
        out.reverse();
    }
    Ok(out)
}

/// `GET /v1/job/list` (ListJob): the account's jobs across its projects; `page_index` from 1.
pub(crate) fn list_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let index = call.query.optional_int("page_index", 0..=i64::from(i32::MAX), 1)?;
    let size = call.query.optional_int("page_size", 1..=100, 10)?;
    let now = state.now();
    let settings = state.settings();
    let domain = super::domain_of(settings, call.caller);
    let data = state.data();
    let jobs = filtered(call, data.jobs.iter().filter(|j| j.domain_id == domain).collect(), settings, now)?;
    let total = jobs.len();
    let list: Vec<Value> = page(jobs, (index.max(1) - 1) as usize, size as usize)
        .into_iter()
        .map(|j| {
            let mut item = list_entry(j, call.caller, settings, now);
            item["project_id"] = json!(j.project_id);
            item["build_number"] = json!(j.builds.last().map(|b| b.number.to_string()).unwrap_or_default());
            item
        })
        .collect();
    typed::<types::ListJob>(json!({"status": "success", "result": {"job_list": list, "total": total}}))
}

/// `GET /v1/job/{project_id}/list` (ListProjectJobs): a project's jobs; `page_index` from 1;
/// `by_group=true` with `group_path_id` keeps the jobs of that group (the last ID of the path).
pub(crate) fn list_project_jobs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let index = call.query.required_int("page_index", 0..=i64::from(i32::MAX))?;
    let size = call.query.required_int("page_size", 1..=100)?;
    let by_group = call.query.optional_choice("by_group", &["true", "false"])? == Some("true");
    let group = call.query.optional("group_path_id").and_then(|p| p.rsplit('.').next()).filter(|g| !g.is_empty());
    let now = state.now();
    let settings = state.settings();
    let data = state.data();
    let in_project: Vec<&Job> = data
        .jobs
        .iter()
        .filter(|j| j.project_id == project)
        .filter(|j| {
            !by_group || group.is_none_or(|g| j.extras.group_id.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(g)))
        })
        .collect();
    let jobs = filtered(call, in_project, settings, now)?;
    let total = jobs.len();
    let list: Vec<Value> = page(jobs, (index.max(1) - 1) as usize, size as usize)
        .into_iter()
        .map(|j| list_entry(j, call.caller, settings, now))
        .collect();
    typed::<types::JobList>(json!({"jobs": list, "total": total}))
}

/// `GET /v1/job/check/exist` (CheckJobNameIsExists).
pub(crate) fn check_job_name_is_exists(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.query.required("project_id")?.to_ascii_lowercase();
    let name = call.query.required("job_name")?;
    let data = state.data();
    let exists = data.jobs.iter().any(|j| j.project_id == project && j.name == name);
    typed::<types::CheckJobNameIsExists>(json!({"status": "success", "result": exists}))
}

/// `GET /v1/job/check/count` (CheckJobCountIsTopLimit): whether the account has reached its job
/// limit.
pub(crate) fn check_job_count_is_top_limit(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = super::domain_of(state.settings(), call.caller);
    let count = state.data().jobs.iter().filter(|j| j.domain_id == domain).count();
    success::<types::BooleanResponse>(json!(count >= MAX_JOBS))
}

/// `GET /v1/job/{job_id}/running-status` (ShowRunningStatus).
pub(crate) fn show_running_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let latest = job.builds.last().map(|b| (b.number, b.view(now).phase));
    let mut result = json!({"is_running": latest.is_some_and(|(_, p)| !p.is_finished()), "last_job_id": job.id});
    if let Some((number, phase)) = latest {
        result["last_build_no"] = json!(number.to_string());
        result["last_build_status"] = json!(phase.as_str());
    }
    success::<types::ShowRunningStatus>(result)
}

/// `GET /v1/job/{job_id}/status` (ShowJobStepStatus): the status of build `build_no` (default the
/// latest); `label` is its number.
pub(crate) fn show_job_step_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let build = match call.query.optional("build_no") {
        Some(no) => {
            let no = build_number("build_no", no)?;
            Some(super::records::build_of(job, no)?)
        }
        None => job.builds.last(),
    };
    let result = match build {
        Some(b) => {
            let phase = b.view(now).phase;
            let aborted = if phase == Phase::Finished(Outcome::Aborted) { "ABORTED" } else { "" };
            json!({"status": phase.as_str(), "label": b.number.to_string(), "abort_status": aborted})
        }
        None => json!({"status": "NOTBUILT", "label": "", "abort_status": ""}),
    };
    success::<types::JobStatusResponseBody>(result)
}

/// `GET /v1/job/{job_id}/{build_no}/build-info` (ShowBuildDetails).
pub(crate) fn show_build_details(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.path("build_no"))?;
    let now = state.now();
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let phase = super::records::build_of(job, no)?.view(now).phase;
    success::<types::JobStatusResultResponseBody>(json!({
        "build_result": phase.as_str(),
        "building": !phase.is_finished(),
        "region": state.settings().region(),
    }))
}

/// `POST /v1/job/execute` (ExecuteJob): RunJob.
pub(crate) fn execute_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    super::builds::run_job(state, call)
}

/// `POST /v1/job/{job_id}/stop?build_no=…` (StopTheJob): stops the build (a finished build stays
/// as it ended).
pub(crate) fn stop_the_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.query.required("build_no")?)?;
    super::builds::stop_build(state, call.caller, call.path("job_id"), no)?;
    typed::<types::StopTheJobResponse>(json!({"status": "success"}))
}

/// `GET /v1/job/{job_id}/history` (ListUpdateJobHistory): the configuration changes, newest first;
/// `page_no` from 1.
pub(crate) fn list_update_job_history(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page_no", 1..=i64::from(i32::MAX), 1)?;
    let size = call.query.optional_int("page_size", 1..=100, 10)?;
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let settings = state.settings();
    let records: Vec<Value> = job
        .extras
        .revisions
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| {
            let (id, name) = user(settings, r.user);
            json!({
                "id": format!("{}", 100_000 + i),
                "update_number": i + 1,
                "update_type": r.kind,
                "update_at": epoch_ms(r.at),
                "user_id": id,
                "user_name": name,
                "nick_name": name,
            })
        })
        .collect();
    let total = records.len();
    let shown = page(records, (no - 1) as usize, size as usize);
    success::<types::JobUpdateRecordListVo>(json!({"job_update_records": shown, "total": total}))
}

/// `GET /v1/job/{job_id}/diff` (ShowJobConfigDiff): the configuration lines that differ between
/// change `original_no` and change `revisedl_no` (numbers from ListUpdateJobHistory), `-` for
/// the original's and `+` for the revision's; null when they are the same.
pub(crate) fn show_job_config_diff(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let number = |name: &str| -> Result<usize, ApiError> {
        Ok(crate::reply::parse_int(name, call.query.required(name)?, 1..=i64::from(i32::MAX))? as usize)
    };
    let (original, revised) = (number("original_no")?, number("revisedl_no")?);
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let revision = |n: usize| {
        job.extras
            .revisions
            .get(n - 1)
            .ok_or_else(|| ApiError::not_found(format!("Build task {} has no change #{n}.", job.id)))
    };
    let lines = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let (a, b) = (lines(&revision(original)?.config), lines(&revision(revised)?.config));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut diff = String::new();
    for line in a.iter().filter(|l| !b.contains(l)) {
        diff += &format!("-{line}\n");
    }
    for line in b.iter().filter(|l| !a.contains(l)) {
        diff += &format!("+{line}\n");
    }
    let result = if diff.is_empty() { Value::Null } else { json!(diff) };
    typed::<types::ShowJobConfigDiffResponseBody>(json!({"status": "success", "result": result}))
}

/// `GET /v1/job/{job_id}/pipeline-info` (ShowJobPipelineInfo): what a pipeline needs to run the
/// job: its name rules, parameters and code sources.
pub(crate) fn show_job_pipeline_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    call.query.optional_choice("all", &["true", "false"])?;
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let parameters: Vec<Value> = job
        .parameters
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "params": p.params.iter().flatten().map(|x| json!({"name": x.name, "value": x.value})).collect::<Vec<_>>(),
            })
        })
        .collect();
    success::<types::ShowJobPipelineInfoResponseBody>(json!({
        "job_name": job.name,
        "job_name_massage": "Enter a maximum of 128 characters.",
        "job_name_regex": "",
        "parameters": parameters,
        "scms": job.scms,
        "source_code": job.scms.first().map(|s| s.scm_type.clone()).unwrap_or_else(|| "codeci".into()),
    }))
}

fn set_favourite(state: &EmulatorState, call: &Call<'_>, on: bool) -> Reply {
    let mut data = state.data();
    let id = call.path("job_id");
    let job = data.job_mut(id).ok_or_else(|| ApiError::not_found(format!("Build task {id} does not exist.")))?;
    if on {
        job.extras.favourites.insert(call.caller.user);
    } else {
        job.extras.favourites.remove(&call.caller.user);
    }
    success::<types::FavouriteResponse>(json!({"favorite": on}))
}

/// `POST /v1/job/{job_id}/follow` (AddFavouriteTask): the caller's favourite (ShowJobInfo and the
/// lists report it as `favorite`).
pub(crate) fn add_favourite_task(state: &EmulatorState, call: &Call<'_>) -> Reply {
    set_favourite(state, call, true)
}

/// `POST /v1/job/{job_id}/unfollow` (RemoverFavouriteTask).
pub(crate) fn remover_favourite_task(state: &EmulatorState, call: &Call<'_>) -> Reply {
    set_favourite(state, call, false)
}

/// `GET /v1/job/{job_id}/{build_no}/history-parameters` (ListBuildParameter): the parameters the
/// build ran with (sensitive values masked).
pub(crate) fn list_build_parameter(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.path("build_no"))?;
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let build = super::records::build_of(job, no)?;
    let list: Vec<Value> = build
        .parameters
        .iter()
        .map(|(name, value, sensitive)| json!({"name": name, "value": if *sensitive { "*****" } else { value }}))
        .collect();
    success::<types::BuildParameters>(json!(list))
}

/// The parameter kinds a job can define: (definition name, title).
const PARAMETER_KINDS: &[(&str, &str)] = &[
    ("hudson.model.StringParameterDefinition", "String Parameters"),
    ("hudson.model.ChoiceParameterDefinition", "Enumeration Parameters"),
    ("hudson.model.BooleanParameterDefinition", "Boolean Parameters"),
    ("hudson.model.PasswordParameterDefinition", "Sensitive Parameters"),
];

/// `GET /v1/job/build-params` (ShowBuildParamsList): the parameter kinds and their fields.
pub(crate) fn show_build_params_list(_: &EmulatorState, _: &Call<'_>) -> Reply {
    let field = |name: &str, title: &str, required: bool| {
        json!({
            "name": name, "title": title, "type": "text", "required": required, "defaults": false, "deletion": false,
            "constraints": [{"type": "maxLen", "value": "128", "errormsg": "Enter a maximum of 128 characters."}],
        })
    };
    let kinds: Vec<Value> = PARAMETER_KINDS
        .iter()
        .map(|(name, title)| {
            json!({"name": name, "title": title, "params": [
                field("name", "Parameter", true), field("defaults", "Default value", false),
                field("description", "Description", false),
            ]})
        })
        .collect();
    success::<types::BuildParamsBody>(json!({"build_parameters": kinds}))
}

/// `GET /v1/job/default-parameters` (ShowDefaultBuildParameters): what a new job starts with.
pub(crate) fn show_default_build_parameters(_: &EmulatorState, _: &Call<'_>) -> Reply {
    let param = |n: &str, v: &str| json!({"name": n, "value": v});
    typed::<types::ShowDefaultBuildParameters>(json!({"status": "success", "result": [{
        "name": "hudson.model.StringParameterDefinition",
        "params": [param("name", "codeBranch"), param("type", "normalparam"), param("defaultValue", "master"),
            param("description", "Code branch, predefined parameters"), param("deletion", "false"),
            param("defaults", "true")],
    }]}))
}

/// The system parameters every build has: (ID, name, description).
const SYSTEM_PARAMETERS: &[(i32, &str, &str)] = &[
    (1, "WORKSPACE", "The build's working directory"),
    (2, "PROJECT_ID", "The CodeArts project ID"),
    (3, "JOB_ID", "The build task ID"),
    (4, "JOB_NAME", "The build task name"),
    (5, "BUILD_NUMBER", "The build number of the task"),
    (6, "BUILDNUMBER", "In the format of Date.Builds run on that day"),
    (7, "COMMIT_ID", "The commit built"),
    (8, "codeBranch", "The branch built"),
];

/// `GET /v1/job/system-parameters` (ShowJobSystemParameters).
pub(crate) fn show_job_system_parameters(_: &EmulatorState, _: &Call<'_>) -> Reply {
    let list: Vec<Value> = SYSTEM_PARAMETERS
        .iter()
        .map(|(id, name, description)| json!({"id": id, "parameter_name": name, "description": description}))
        .collect();
    success::<types::SystemParameters>(json!(list))
}

/// `GET /v1/job/{project_id}/nexus` (ListEndPoints): the project's Nexus repository endpoints. The
/// emulator's projects have none; the paging parameters are checked all the same.
pub(crate) fn list_end_points(_: &EmulatorState, call: &Call<'_>) -> Reply {
    call.query.required_int("limit", 0..=100)?;
    call.query.optional_int("offset", 0..=i64::from(i32::MAX), 0)?;
    success::<types::ListEndPointsResultResponseBody>(json!({"endpoints": [], "total": 0}))
}
