//! Build jobs: CreateBuildJob, UpdateBuildJob, ListJobConfig, ShowJobListByProjectId, DeleteBuildJob,
//! DisableBuildJob, EnableBuildJob and ShowJobStatus.
//!
//! Job names are unique within a CodeArts project. Every user sees every job; only the user who
//! created a job may update, delete, disable or restore it (and change its notifications), which is
//! what the permission flags of ShowJobListByProjectId report.

use std::time::SystemTime;

use crate::auth::Caller;
use crate::dispatch::Call;
use crate::reply::make;
use crate::reply::{ApiError, Reply, checked, json_body, non_blank, ok, page, shorten};
use crate::state::{Data, EmulatorState, Job, Outcome, Phase, Settings, default_notices, epoch_millis, hex32, uuid};
use codearts::build::types;

/// The longest job name the emulator accepts.
const MAX_NAME_CHARS: usize = 128;

/// A request-side step as the service returns it.
pub(crate) fn step_info(step: &types::BuildJobStep) -> types::BuildJobStepInfo {
    make!(types::BuildJobStepInfo {
        enable: step.enable,
        module_id: Some(step.module_id.clone()),
        name: Some(step.name.clone()),
        properties: step.properties.clone().unwrap_or_default(),
        version: step.version.clone()
    })
}

fn config_scm(scm: &types::BuildJobScm) -> types::JobConfigScm {
    make!(types::JobConfigScm {
        branch: scm.branch.clone(),
        build_type: scm.build_type.clone(),
        depth: scm.depth.clone(),
        end_point_id: scm.end_point_id.clone(),
        is_auto_build: scm.is_auto_build,
        repo_id: scm.repo_id.clone(),
        scm_type: Some(scm.scm_type.clone()),
        source: scm.source.clone(),
        url: Some(scm.url.clone()),
        web_url: scm.web_url.clone()
    })
}

/// How the service files a job's configuration type: `YAML` (any case), or the form's `ACTION`.
fn config_type(given: types::BuildConfigType) -> types::BuildConfigType {
    if given.as_str().eq_ignore_ascii_case("yaml") {
        types::BuildConfigType::Yaml
    } else {
        types::BuildConfigType::Action
    }
}

/// The fields of a create or update body the emulator checks.
fn validate(
    name: &str,
    arch: &str,
    steps: &[types::BuildJobStep],
    scms: &[types::BuildJobScm],
) -> Result<(), ApiError> {
    non_blank(name, "job_name")?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!("job_name may have at most {MAX_NAME_CHARS} characters.")));
    }
    non_blank(arch, "arch")?;
    for (i, step) in steps.iter().enumerate() {
        non_blank(&step.module_id, &format!("steps[{i}].module_id"))?;
        non_blank(&step.name, &format!("steps[{i}].name"))?;
    }
    for (i, scm) in scms.iter().enumerate() {
        non_blank(&scm.url, &format!("scms[{i}].url"))?;
        non_blank(&scm.scm_type, &format!("scms[{i}].scm_type"))?;
    }
    Ok(())
}

fn ensure_unique_name(data: &Data, project: &str, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    let taken = data.jobs.iter().any(|j| j.project_id == project && j.name == name && Some(j.id.as_str()) != except);
    if taken {
        return Err(ApiError::invalid(format!(
            "A build task named `{}` already exists in project {project}.",
            shorten(name)
        )));
    }
    Ok(())
}

/// The job `id`, or 404.
pub(crate) fn find<'a>(data: &'a Data, id: &str) -> Result<&'a Job, ApiError> {
    data.job(id).ok_or_else(|| ApiError::not_found(format!("Build task {id} does not exist.")))
}

/// The job `id` for a change by `call.caller`: 404 when missing, 403 when `call.caller` did not create it.
pub(crate) fn find_owned<'a>(
    data: &'a mut Data,
    id: &str,
    caller: Caller,
    what: &str,
) -> Result<&'a mut Job, ApiError> {
    let job = data.job_mut(id).ok_or_else(|| ApiError::not_found(format!("Build task {id} does not exist.")))?;
    if !job.owned_by(caller.user) {
        return Err(ApiError::forbidden(format!("Only the creator of build task {id} may {what} it.")));
    }
    Ok(job)
}

pub(crate) fn id_response(job_id: String) -> Reply {
    ok(&make!(types::BuildJobIdResponse {
        result: Some(make!(types::BuildJobIdResult { job_id: Some(job_id) })),
        status: Some("success".into()),
        error: None
    }))
}

/// A job's configuration as a create or full update carries it (v3 and v1 alike: the v1 bodies are
/// read as the v3 one, which has every field of theirs).
pub(crate) fn check_config(request: &types::CreateBuildJobRequestBody) -> Result<String, ApiError> {
    let project = checked("project_id", &request.project_id)?.to_ascii_lowercase();
    validate(&request.job_name, request.arch.as_str(), &request.steps, request.scms.as_deref().unwrap_or_default())?;
    if let Some(group) = request.group_id.as_deref().filter(|g| !g.is_empty())
        && !crate::reply::is_hex32(group)
    {
        return Err(ApiError::invalid(format!("group_id `{}` is not a group ID.", shorten(group))));
    }
    Ok(project)
}

/// Creates a job from `request` for `caller`: 400 for a name taken in the project or an unknown
/// group. Returns the new job's ID.
pub(crate) fn create_job(
    state: &EmulatorState,
    caller: Caller,
    request: types::CreateBuildJobRequestBody,
) -> Result<String, ApiError> {
    let project = check_config(&request)?;
    let domain_id = state.settings().users[caller.user].domain_id.clone();
    let now = state.now();
    let mut data = state.data();
    ensure_unique_name(&data, &project, &request.job_name, None)?;
    ensure_group(&data, &project, request.group_id.as_deref())?;
    let seed = data.seed("job");
    let id = hex32(&seed);
    let mut job = Job {
        id: id.clone(),
        project_id: project,
        name: String::new(),
        arch: request.arch.clone(),
        flavor: None,
        host_type: None,
        build_config_type: None,
        auto_update_sub_module: None,
        parameters: Vec::new(),
        scms: Vec::new(),
        steps: Vec::new(),
        disabled: false,
        creator: caller.user,
        domain_id,
        build_project_id: uuid(&format!("{seed}/build-project")),
        builds: Vec::new(),
        notices: default_notices(),
        extras: Default::default(),
    };
    job.extras.created = Some(now);
    apply(&mut job, request);
    record_revision(&mut job, now, caller.user, "CREATE");
    data.jobs.push(job);
    Ok(id)
}

/// 400 unless `group` (when given) is a group of `project`.
fn ensure_group(data: &Data, project: &str, group: Option<&str>) -> Result<(), ApiError> {
    match group.filter(|g| !g.is_empty()) {
        Some(g) if !data.build.groups.iter().any(|x| x.project_id == project && x.id.eq_ignore_ascii_case(g)) => {
            Err(ApiError::invalid(format!("Project {project} has no job group {}.", shorten(g))))
        }
        _ => Ok(()),
    }
}

/// Sets the job's configuration to `request`'s (a full replacement: an absent list is empty).
fn apply(job: &mut Job, request: types::CreateBuildJobRequestBody) {
    job.name = request.job_name;
    job.arch = request.arch;
    job.flavor = request.flavor;
    job.host_type = request.host_type;
    job.build_config_type = request.build_config_type.map(config_type);
    job.auto_update_sub_module = request.auto_update_sub_module;
    job.parameters = request.parameters.unwrap_or_default();
    job.scms = request.scms.unwrap_or_default();
    job.steps = request.steps;
    job.extras.group_id = request.group_id.filter(|g| !g.is_empty());
    job.extras.build_if_code_updated = request.build_if_code_updated;
    job.extras.timeout = request.timeout;
    job.extras.triggers = request.triggers.unwrap_or_default();
}

/// Records the configuration after a change, for ListUpdateJobHistory and ShowJobConfigDiff.
pub(crate) fn record_revision(job: &mut Job, at: SystemTime, user: usize, kind: &'static str) {
    let config = super::v1jobs::config_json(job);
    job.extras.revisions.push(super::Revision { at, user, kind, config });
}

/// Replaces the configuration of job `id` (only its creator may): its builds, state and
/// notifications stay.
pub(crate) fn update_job(
    state: &EmulatorState,
    caller: Caller,
    id: &str,
    request: types::CreateBuildJobRequestBody,
) -> Result<String, ApiError> {
    let project = check_config(&request)?;
    let now = state.now();
    let mut data = state.data();
    let id = find_owned(&mut data, id, caller, "update")?.id.clone();
    ensure_unique_name(&data, &project, &request.job_name, Some(&id))?;
    ensure_group(&data, &project, request.group_id.as_deref())?;
    let job = find_owned(&mut data, &id, caller, "update")?;
    if job.project_id != project {
        return Err(ApiError::invalid(format!(
            "Build task {id} belongs to project {}, not {project}; a task cannot move between projects.",
            job.project_id
        )));
    }
    apply(job, request);
    record_revision(job, now, caller.user, "UPDATE");
    Ok(id)
}

/// `POST /v3/jobs/create` (CreateBuildJob).
pub(crate) fn create_build_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::CreateBuildJobRequestBody = json_body(&call.body, None)?;
    id_response(create_job(state, call.caller, request)?)
}

/// `POST /v3/jobs/update` (UpdateBuildJob): replaces the job's configuration; its builds, state and
/// notifications stay.
pub(crate) fn update_build_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateBuildJobRequestBody = json_body(&call.body, Some("job_id"))?;
    let id = request.job_id.clone();
    let request: types::CreateBuildJobRequestBody = super::convert(&request, "The request body")?;
    id_response(update_job(state, call.caller, &id, request)?)
}

/// The system parameter `get_all_parameters=true` adds: the branch to build.
pub(crate) fn system_parameters(job: &Job) -> Vec<types::BuildJobParameter> {
    if job.parameter_definitions().iter().any(|(name, _, _)| name == "codeBranch") {
        return Vec::new();
    }
    let branch = job.scms.iter().find_map(|s| s.branch.clone()).unwrap_or_else(|| "master".into());
    let param = |name: &str, value: &str| {
        make!(types::BuildJobParameterParam { name: Some(name.into()), value: Some(value.into()) })
    };
    vec![make!(types::BuildJobParameter {
        name: Some("hudson.model.StringParameterDefinition".into()),
        params: vec![
            param("name", "codeBranch"),
            param("type", "normalparam"),
            param("defaults", &branch),
            param("description", "Branch to build (system parameter)"),
        ]
    })]
}

/// `GET /v3/jobs/{job_id}/query` (ListJobConfig).
pub(crate) fn list_job_config(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let all = call.query.optional_choice("get_all_params", &["true", "false"])? == Some("true");
    let data = state.data();
    let job = find(&data, id)?;
    let mut parameters = job.parameters.clone();
    if all {
        parameters.extend(system_parameters(job));
    }
    ok(&make!(types::ListJobConfigResponse {
        result: Some(make!(types::JobConfig {
            arch: Some(job.arch.clone()),
            auto_update_sub_module: job.auto_update_sub_module.clone(),
            build_config_type: job.build_config_type.clone(),
            flavor: job.flavor.clone(),
            host_type: job.host_type.clone(),
            job_id: Some(job.id.clone()),
            job_name: Some(job.name.clone()),
            parameters: parameters,
            project_id: Some(job.project_id.clone()),
            scms: job.scms.iter().map(config_scm).collect::<Vec<_>>(),
            steps: job.steps.iter().map(step_info).collect::<Vec<_>>(),
            group_id: job.extras.group_id.clone(),
            build_if_code_updated: job.extras.build_if_code_updated,
            timeout: job.extras.timeout.clone(),
            triggers: job.extras.triggers.clone()
        })),
        error: None,
        status: Some("success".into())
    }))
}

/// Jenkins' colour of a job's latest build: `blue` (success), `red` (failure), `aborted`,
/// `notbuilt`; with `_anime` appended while a build is queued or running.
pub(crate) fn status_colour(job: &Job, now: SystemTime) -> String {
    let colour = |phase: Phase| match phase {
        Phase::Finished(Outcome::Success) => "blue",
        Phase::Finished(Outcome::Failure) => "red",
        Phase::Finished(Outcome::Aborted) => "aborted",
        _ => "notbuilt",
    };
    let phases: Vec<Phase> = job.builds.iter().map(|b| b.view(now).phase).collect();
    let last_finished = phases.iter().rev().find(|p| p.is_finished()).copied().map_or("notbuilt", colour);
    match phases.last() {
        Some(p) if !p.is_finished() => format!("{last_finished}_anime"),
        _ => last_finished.to_string(),
    }
}

/// Health score: the share of the last five finished builds that succeeded, in percent (100 before
/// any build has finished).
pub(crate) fn health(job: &Job, now: SystemTime) -> i32 {
    let finished: Vec<Phase> =
        job.builds.iter().rev().map(|b| b.view(now).phase).filter(|p| p.is_finished()).take(5).collect();
    if finished.is_empty() {
        return 100;
    }
    let good = finished.iter().filter(|p| **p == Phase::Finished(Outcome::Success)).count();
    (good * 100 / finished.len()) as i32
}

pub(crate) fn list_item(job: &Job, caller: Caller, settings: &Settings, now: SystemTime) -> types::BuildJobListItem {
    let owner = job.owned_by(caller.user);
    let creator = settings.users.get(job.creator);
    let latest = job.builds.last();
    let mut item = make!(types::BuildJobListItem {
        id: Some(job.id.clone()),
        job_name: Some(job.name.clone()),
        job_creator: creator.map(|u| u.id.clone()),
        user_name: creator.map(|u| u.name.clone()),
        last_build_time: latest.map(|b| epoch_millis(b.created)),
        health_score: Some(health(job, now)),
        source_code: job.scms.first().map(|s| s.scm_type.clone()),
        last_build_status: Some(status_colour(job, now)),
        is_finished: Some(latest.is_none_or(|b| b.view(now).phase.is_finished())),
        disabled: Some(job.disabled),
        favorite: Some(job.extras.favourites.contains(&caller.user)),
        is_modify: Some(owner),
        is_delete: Some(owner),
        is_execute: Some(true),
        is_copy: Some(true),
        is_forbidden: Some(owner),
        is_view: Some(true)
    });
    // The fields the newer list adds.
    item.build_project_id = Some(job.build_project_id.clone());
    item.last_job_running_status = Some(super::v1jobs::running_status(job, now).into());
    if let Some(b) = latest {
        let last_user = settings.users.get(b.user);
        item.last_build_user = last_user.map(|u| u.name.clone());
        item.last_build_user_id = last_user.map(|u| u.id.clone());
        item.build_time = Some(i64::from(b.view(now).duration_ms()));
        item.trigger_type = Some("MANUAL".into());
    }
    if let Some(scm) = job.scms.first() {
        item.scm_type = Some(scm.scm_type.clone());
        item.repo_id = scm.repo_id.clone();
        item.scm_web_url = scm.web_url.clone();
    }
    item
}

/// `GET /v3/{project_id}/jobs` (ShowJobListByProjectId): the project's jobs in creation order.
/// `page_index` counts pages from 1; 0 is taken as the first page too.
pub(crate) fn list_jobs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let index = call.query.required_int("page_index", 0..=i64::from(i32::MAX))?;
    let size = call.query.required_int("page_size", 1..=100)?;
    let now = state.now();
    let data = state.data();
    let jobs: Vec<&Job> = data.jobs.iter().filter(|j| j.project_id == project).collect();
    let total = jobs.len();
    let shown = page(jobs, (index.max(1) - 1) as usize, size as usize);
    ok(&make!(types::ShowJobListByProjectIdResponse {
        jobs: shown.into_iter().map(|j| list_item(j, call.caller, state.settings(), now)).collect::<Vec<_>>(),
        total: Some(i32::try_from(total).unwrap_or(i32::MAX))
    }))
}

/// `POST /v3/jobs/{job_id}/delete` (DeleteBuildJob): the job and its builds go to the recycle bin
/// (every later call about them is 404 until it is restored).
pub(crate) fn delete_build_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (id, project) = super::recycle::recycle(state, call.caller, call.path("job_id"))?;
    ok(&make!(types::DeleteBuildJobResponse {
        result: Some(make!(types::DeleteBuildJobResult { job_id: Some(id), project_id: Some(project) })),
        status: Some("success".into())
    }))
}

pub(crate) fn set_disabled(state: &EmulatorState, call: &Call<'_>, disabled: bool) -> Reply {
    let id = call.path("job_id");
    let mut data = state.data();
    let job = find_owned(&mut data, id, call.caller, if disabled { "disable" } else { "restore" })?;
    job.disabled = disabled;
    job.extras.disabled_by = disabled.then(|| (state.now(), call.caller.user, String::new()));
    ok(&make!(types::BuildJobStatusChangeResponse { status: Some("success".into()) }))
}

/// `POST /v3/jobs/{job_id}/disable` (DisableBuildJob): the job cannot run until restored.
pub(crate) fn disable_build_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    set_disabled(state, call, true)
}

/// `POST /v3/jobs/{job_id}/recover` (EnableBuildJob).
pub(crate) fn enable_build_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    set_disabled(state, call, false)
}

/// `GET /v3/jobs/{job_id}/status` (ShowJobStatus): whether the job's latest build is queued or
/// running.
pub(crate) fn show_job_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let now = state.now();
    let data = state.data();
    let job = find(&data, id)?;
    let running = job.builds.last().is_some_and(|b| !b.view(now).phase.is_finished());
    ok(&make!(types::ShowJobStatusResponse { result: Some(running) }))
}
