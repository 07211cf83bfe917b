//! Pipelines: CreatePipelineNew, ShowPipelineDetail, UpdatePipelineInfo, DeletePipeline,
//! ListPipelines, BatchShowPipelinesLatestStatus, and the v3 ListPipelineSimpleInfo and
//! RemovePipeline.
//!
//! A pipeline is its PipelineDTO as created (or last updated: an update replaces it whole), in a
//! CodeArts project; names are unique within a project. Its runs go when it goes.

use std::time::SystemTime;

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::runs::{Run, definition_stages, detail_url, find_pipeline, find_pipeline_mut, run_summary};
use super::{Kind, answer, body, body_value, domain_of, fmt_time, invalid, ms, project, window};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, shorten};
use crate::state::{Data, EmulatorState, hex32};

/// The longest pipeline name.
const MAX_NAME_CHARS: usize = 128;

/// A pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    pub(crate) id: String,
    pub(crate) project_id: String,
    pub(crate) domain_id: String,
    pub(crate) name: String,
    pub(crate) creator: usize,
    pub(crate) updater: usize,
    pub(crate) created: SystemTime,
    pub(crate) updated: SystemTime,
    /// The PipelineDTO it was created or last updated with.
    pub(crate) dto: Value,
    pub(crate) group_id: Option<String>,
    pub(crate) banned: bool,
    pub(crate) runs: Vec<Run>,
    /// 0 created directly, 1 from a template.
    pub(crate) from_source: i64,
}

impl Pipeline {
    pub(crate) fn definition(&self) -> String {
        self.dto.get("definition").and_then(Value::as_str).unwrap_or("{\"stages\":[]}").to_string()
    }

    pub(crate) fn is_publish(&self) -> bool {
        self.dto.get("is_publish").and_then(Value::as_bool).unwrap_or(false)
    }

    /// The custom variables' (name, default value).
    pub(crate) fn variables(&self) -> Vec<(String, String)> {
        self.dto
            .get("variables")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| {
                let name = v.get("name")?.as_str()?.to_string();
                let value = v.get("value").and_then(Value::as_str).unwrap_or_default().to_string();
                Some((name, value))
            })
            .collect()
    }

    pub(crate) fn default_branch(&self) -> String {
        self.dto.pointer("/sources/0/params/default_branch").and_then(Value::as_str).unwrap_or("master").to_string()
    }

    /// A copy without its runs, for planning a run while the data is borrowed.
    pub(crate) fn clone_for_plan(&self) -> Pipeline {
        Pipeline { runs: Vec::new(), ..self.clone() }
    }
}

/// Checks a PipelineDTO's name and definition.
pub(crate) fn validate(name: &str, definition: &str) -> Result<(), ApiError> {
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME_CHARS {
        return Err(invalid(format!("name must have 1 to {MAX_NAME_CHARS} characters.")));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ' || c == '.') {
        return Err(invalid(format!(
            "name may contain letters, digits, Chinese characters, - and _ only: {}.",
            shorten(name)
        )));
    }
    if definition_stages(definition).is_none() {
        return Err(invalid("definition must be a JSON string of an object with a stages array."));
    }
    Ok(())
}

fn ensure_unique(data: &Data, project: &str, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if data
        .pipeline
        .pipelines
        .iter()
        .any(|p| p.project_id == project && p.name == name && Some(p.id.as_str()) != except)
    {
        return Err(invalid(format!("A pipeline named {} already exists in project {project}.", shorten(name))));
    }
    Ok(())
}

/// Creates a pipeline from a PipelineDTO (as JSON); its ID.
pub(crate) fn create(
    state: &EmulatorState,
    call: &Call<'_>,
    project: &str,
    dto: Value,
    from_source: i64,
) -> Result<String, ApiError> {
    let name = dto.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let definition = dto.get("definition").and_then(Value::as_str).unwrap_or_default().to_string();
    validate(&name, &definition)?;
    let now = state.now();
    let domain_id = domain_of(state, call);
    let mut data = state.data();
    ensure_unique(&data, project, &name, None)?;
    let group_id = dto.get("group_id").and_then(Value::as_str).filter(|g| !g.is_empty()).map(str::to_string);
    if let Some(group) = &group_id
        && data.pipeline.doc(Kind::Group, project, group).is_none()
    {
        return Err(super::not_found(format!("Pipeline group {} does not exist.", shorten(group))));
    }
    let id = hex32(&data.seed("pipeline"));
    data.pipeline.pipelines.push(Pipeline {
        id: id.clone(),
        project_id: project.to_string(),
        domain_id,
        name,
        creator: call.caller.user,
        updater: call.caller.user,
        created: now,
        updated: now,
        dto,
        group_id,
        banned: false,
        runs: Vec::new(),
        from_source,
    });
    Ok(id)
}

/// `POST /v5/{project_id}/api/pipelines` (CreatePipelineNew).
pub(crate) fn create_pipeline_new(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (_, dto): (types::PipelineDto, Value) = body_value(call)?;
    let id = create(state, call, &project(call), dto, 0)?;
    answer::<types::PipelineId>(json!({ "pipeline_id": id }))
}

fn user(state: &EmulatorState, index: usize) -> (String, String) {
    state.settings().users.get(index).map(|u| (u.id.clone(), u.name.clone())).unwrap_or_default()
}

fn group_name(data: &Data, p: &Pipeline) -> Option<String> {
    p.group_id.as_ref().and_then(|g| data.pipeline.doc(Kind::Group, &p.project_id, g)).map(|d| d.name.clone())
}

/// `GET /v5/{project_id}/api/pipelines/{pipeline_id}` (ShowPipelineDetail).
pub(crate) fn show_pipeline_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let p = find_pipeline(&data, &project(call), call.path("pipeline_id"))?;
    let (creator_id, creator_name) = user(state, p.creator);
    let mut value = p.dto.clone();
    // The DTO's sources and variables have the VO's shapes field by field; `typed` drops the rest.
    super::merge(
        &mut value,
        json!({
            "id": p.id, "subject_id": p.id, "name": p.name, "project_id": p.project_id, "domain_id": p.domain_id,
            "creator_id": creator_id, "creator_name": creator_name, "updater_id": user(state, p.updater).0,
            "create_time": ms(p.created), "update_time": ms(p.updated), "banned": p.banned, "deleted": false,
            "is_collect": false, "from_source": p.from_source, "region": state.settings().region(),
            "manifest_version": p.dto.get("manifest_version").and_then(Value::as_str).unwrap_or("3.0"),
            "group_id": p.group_id, "group_name": group_name(&data, p),
            "detail_url": detail_url(p, None), "modify_url": format!("{}/edit", detail_url(p, None)),
            "permissions": {"operation_query": true, "operation_execute": true, "operation_update": true,
                "operation_delete": p.creator == call.caller.user, "operation_authorize": p.creator == call.caller.user},
        }),
    );
    answer::<types::PipelineVo>(value)
}

/// `PUT /v5/{project_id}/api/pipelines/{pipeline_id}` (UpdatePipelineInfo): replaces the
/// PipelineDTO; the runs stay.
pub(crate) fn update_pipeline_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (_, dto): (types::PipelineDto, Value) = body_value(call)?;
    let project = project(call);
    let name = dto.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    validate(&name, dto.get("definition").and_then(Value::as_str).unwrap_or_default())?;
    let now = state.now();
    let mut data = state.data();
    let id = find_pipeline(&data, &project, call.path("pipeline_id"))?.id.clone();
    ensure_unique(&data, &project, &name, Some(&id))?;
    let p = find_pipeline_mut(&mut data, &project, &id)?;
    p.name = name;
    if let Some(group) = dto.get("group_id").and_then(Value::as_str).filter(|g| !g.is_empty()) {
        p.group_id = Some(group.to_string());
    }
    p.dto = dto;
    p.updated = now;
    p.updater = call.caller.user;
    answer::<types::PipelineId>(json!({ "pipeline_id": id }))
}

/// `DELETE /v5/{project_id}/api/pipelines/{pipeline_id}` (DeletePipeline): the pipeline and its runs.
pub(crate) fn delete_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let mut data = state.data();
    let id = find_pipeline(&data, &project(call), call.path("pipeline_id"))?.id.clone();
    data.pipeline.pipelines.retain(|p| p.id != id);
    answer::<types::PipelineId>(json!({ "pipeline_id": id }))
}

/// `DELETE /v3/pipelines/{pipeline_id}` (RemovePipeline, the old API).
pub(crate) fn remove_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let mut data = state.data();
    let p = find_pipeline(&data, "", call.path("pipeline_id"))?;
    let (id, name) = (p.id.clone(), p.name.clone());
    data.pipeline.pipelines.retain(|p| p.id != id);
    answer::<types::PipelineInfoResponse>(json!({ "pipeline_id": id, "pipeline_name": name }))
}

/// The latest run's status of `p` (none before a first run).
fn latest_status(p: &Pipeline, now: SystemTime) -> Option<&'static str> {
    p.runs.last().map(|r| r.view(now).state.as_str())
}

/// `POST /v5/{project_id}/api/pipelines/list` (ListPipelines): the project's pipelines, by name
/// (substring), latest run status, creator, group, banned flag; sorted by `sort_key`
/// (`create_time` by default, newest first).
pub(crate) fn list_pipelines(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let q: types::ListPipelineQuery =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    crate::reply::not_null(call, &["offset", "limit"])?;
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(10);
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(invalid("offset must be 0 or more and limit between 1 and 100."));
    }
    let project = project(call);
    let now = state.now();
    let data = state.data();
    let users = &state.settings().users;
    let statuses: Vec<String> = q.status.iter().flatten().map(|s| s.as_str().to_string()).collect();
    let mut pipelines: Vec<&Pipeline> = data
        .pipeline
        .pipelines
        .iter()
        .filter(|p| p.project_id == project)
        .filter(|p| q.name.as_deref().is_none_or(|n| p.name.to_lowercase().contains(&n.to_lowercase())))
        .filter(|p| statuses.is_empty() || latest_status(p, now).is_some_and(|s| statuses.iter().any(|x| x == s)))
        .filter(|p| {
            let creator = users.get(p.creator).map(|u| u.id.as_str()).unwrap_or_default();
            q.creator_ids.as_ref().is_none_or(|ids| ids.is_empty() || ids.iter().any(|c| c == creator))
                && q.creator_id.as_deref().is_none_or(|c| c == creator)
        })
        .filter(|p| q.group_path_id.as_deref().is_none_or(|g| p.group_id.as_deref() == Some(g)))
        .filter(|p| q.is_banned.is_none_or(|b| b || !p.banned))
        .filter(|p| q.is_publish.is_none_or(|b| p.is_publish() == b))
        .collect();
    let key = q.sort_key.as_ref().map(|k| k.as_str().to_string()).unwrap_or_else(|| "create_time".into());
    match key.as_str() {
        "name" => pipelines.sort_by(|a, b| a.name.cmp(&b.name)),
        "update_time" => pipelines.sort_by_key(|p| p.updated),
        _ => pipelines.sort_by_key(|p| p.created),
    }
    let ascending = q.sort_dir.as_ref().map(|d| d.as_str()) == Some("asc") || (key == "name" && q.sort_dir.is_none());
    if !ascending {
        pipelines.reverse();
    }
    let total = pipelines.len();
    let items: Vec<Value> = window(pipelines, offset, limit)
        .into_iter()
        .map(|p| {
            json!({
                "pipeline_id": p.id, "name": p.name, "project_id": p.project_id,
                "description": p.dto.get("description"), "is_publish": p.is_publish(), "banned": p.banned,
                "is_collect": false, "create_time": ms(p.created), "manifest_version": "3.0", "convert_sign": 0,
                "latest_run": p.runs.last().map(|r| run_summary(state, p, r, now)),
                "tag_list": [],
            })
        })
        .collect();
    answer::<types::ListPipelinesPage>(json!({
        "offset": offset, "limit": limit, "total": total, "pipelines": items,
        "current_system_time": ms(now), "number_of_hidden_data": 0,
    }))
}

/// `POST /v5/{project_id}/api/pipelines/status` (BatchShowPipelinesLatestStatus): the latest run
/// of each named pipeline that has one.
pub(crate) fn batch_show_pipelines_latest_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let ids: Vec<String> = body(call)?;
    if ids.is_empty() || ids.len() > 100 {
        return Err(invalid("The body lists 1 to 100 pipeline IDs."));
    }
    let project = project(call);
    let now = state.now();
    let data = state.data();
    let mut out = Vec::new();
    for id in &ids {
        let p = find_pipeline(&data, &project, id)?;
        if let Some(r) = p.runs.last() {
            out.push(run_summary(state, p, r, now));
        }
    }
    answer::<Vec<types::PipelineLatestRun>>(Value::Array(out))
}

/// `POST /v3/pipelines/list` (ListPipelineSimpleInfo, the old API): every pipeline of the caller's
/// account, of the listed projects (comma-separated) when given.
pub(crate) fn list_pipeline_simple_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let q: types::ListPipelineSimpleInfoRequestBody =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    crate::reply::not_null(call, &["offset", "limit"])?;
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(10);
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(invalid("offset must be 0 or more and limit between 1 and 100."));
    }
    let domain = domain_of(state, call);
    let projects: Vec<String> = q
        .project_ids
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let data = state.data();
    let mut pipelines: Vec<&Pipeline> = data
        .pipeline
        .pipelines
        .iter()
        .filter(|p| p.domain_id == domain)
        .filter(|p| projects.is_empty() || projects.contains(&p.project_id))
        .filter(|p| q.pipeline_name.as_deref().is_none_or(|n| p.name.contains(n)))
        .collect();
    if q.sort_dir.as_ref().map(|d| d.as_str()) != Some("asc") {
        pipelines.reverse();
    }
    let total = pipelines.len();
    let rows: Vec<Value> = window(pipelines, offset, limit)
        .into_iter()
        .map(|p| {
            let (creator_id, creator_name) = user(state, p.creator);
            let last = p.runs.last();
            let (executor_id, executor_name) = last.map(|r| user(state, r.executor)).unwrap_or_default();
            json!({
                "pipeline_id": p.id, "pipeline_name": p.name, "project_id": p.project_id,
                "project_name": format!("project-{}", p.project_id.get(..8).unwrap_or_default()),
                "creator_id": creator_id, "creator_name": creator_name, "create_time": fmt_time(p.created),
                "executor_id": executor_id, "executor_name": executor_name,
                "start_time": last.map(|r| fmt_time(r.created)), "watched": "false",
            })
        })
        .collect();
    answer::<types::PipelinePageResult>(json!({"offset": offset, "limit": limit, "total": total, "result": rows}))
}
