//! Job groups of a CodeArts project: CreateJobGroup, UpdateJobGroup, DeleteGroup, ListGroupTree,
//! MoveGroup (jobs into a group) and SwitchedPacket (two groups swap places).
//!
//! Groups form a tree per project; `path_id` is the IDs from the root down to the group, joined by
//! dots, and `ordinal` the position among its siblings (from 1). Names are unique among siblings.
//! Deleting a group deletes its subgroups; their jobs stay, ungrouped. A job's group is the v1/v3
//! `group_id` of its configuration, and ListProjectJobs filters by it (`by_group`, `group_path_id`).

use std::time::SystemTime;

use serde_json::{Value, json};

use super::{domain_of, fmt_offset, success, user};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, is_hex32, json_body, non_blank, shorten};
use crate::state::{Data, EmulatorState, Settings, hex32};
use codearts::build::types;

/// A job group.
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) project_id: String,
    pub(crate) domain_id: String,
    pub(crate) name: String,
    pub(crate) parent_id: Option<String>,
    pub(crate) ordinal: i32,
    pub(crate) created: SystemTime,
    pub(crate) creator: usize,
    pub(crate) updated: Option<(SystemTime, usize)>,
}

/// The dotted path of IDs from the root to group `id`.
pub(crate) fn path_of(data: &Data, id: &str) -> String {
    let mut path = vec![id.to_string()];
    let mut current = id.to_string();
    // A tree of at most as many levels as there are groups: the bound stops a cycle.
    for _ in 0..data.build.groups.len() {
        match data.build.groups.iter().find(|g| g.id == current).and_then(|g| g.parent_id.clone()) {
            Some(parent) => {
                path.insert(0, parent.clone());
                current = parent;
            }
            None => break,
        }
    }
    path.join(".")
}

fn group_json(data: &Data, g: &Group, settings: &Settings) -> Value {
    let mut v = json!({
        "id": g.id, "group_id": g.id, "name": g.name, "project_id": g.project_id, "domain_id": g.domain_id,
        "parent_id": g.parent_id.clone().unwrap_or_default(), "path_id": path_of(data, &g.id), "ordinal": g.ordinal,
        "create_time": fmt_offset(g.created), "create_user": user(settings, g.creator).1,
    });
    if let Some((at, by)) = g.updated {
        v["update_time"] = json!(fmt_offset(at));
        v["update_user"] = json!(user(settings, by).1);
    }
    v
}

/// The index of group `id` of `project`, or 404.
fn find(data: &Data, project: &str, id: &str) -> Result<usize, ApiError> {
    data.build
        .groups
        .iter()
        .position(|g| g.project_id == project && g.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| ApiError::not_found(format!("Project {project} has no job group {}.", shorten(id))))
}

/// `parent` as a parent ID of `project` (empty: the root), or 400/404.
fn parent(data: &Data, project: &str, parent: Option<&str>) -> Result<Option<String>, ApiError> {
    match parent.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) if !is_hex32(p) => Err(ApiError::invalid(format!("parent_id `{}` is not a group ID.", shorten(p)))),
        Some(p) => Ok(Some(data.build.groups[find(data, project, p)?].id.clone())),
    }
}

fn ensure_free_name(
    data: &Data,
    project: &str,
    parent: &Option<String>,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if data
        .build
        .groups
        .iter()
        .any(|g| g.project_id == project && g.parent_id == *parent && g.name == name && Some(g.id.as_str()) != except)
    {
        return Err(ApiError::invalid(format!("A job group named `{}` exists there already.", shorten(name))));
    }
    Ok(())
}

/// The body's project must be the path's, when it names one.
fn same_project(path: &str, body: Option<&str>) -> Result<(), ApiError> {
    match body.filter(|b| !b.is_empty()) {
        Some(b) if !b.eq_ignore_ascii_case(path) => {
            Err(ApiError::invalid(format!("project_id {} in the body is not the path's {path}.", shorten(b))))
        }
        _ => Ok(()),
    }
}

/// `POST /v1/job/{project_id}/group/create` (CreateJobGroup).
pub(crate) fn create_job_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let request: types::JobGroupRequestBody = json_body(&call.body, None)?;
    same_project(&project, request.project_id.as_deref())?;
    let name = request.name.unwrap_or_default();
    non_blank(&name, "name")?;
    let settings = state.settings();
    let now = state.now();
    let mut data = state.data();
    let parent = parent(&data, &project, request.parent_id.as_deref())?;
    ensure_free_name(&data, &project, &parent, &name, None)?;
    let ordinal =
        data.build.groups.iter().filter(|g| g.project_id == project && g.parent_id == parent).count() as i32 + 1;
    let seed = data.seed("group");
    let group = Group {
        id: hex32(&seed),
        project_id: project,
        domain_id: domain_of(settings, call.caller),
        name,
        parent_id: parent,
        ordinal,
        created: now,
        creator: call.caller.user,
        updated: None,
    };
    let answer = group_json(&data, &group, settings);
    data.build.groups.push(group);
    success::<types::JobGroupResponseBody>(json!([answer]))
}

/// `PUT /v1/job/{project_id}/group/update` (UpdateJobGroup): renames group `id` (or `group_id`),
/// and moves it under `parent_id` when given (never under itself or its subgroups).
pub(crate) fn update_job_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let request: types::JobGroupRequestBody = json_body(&call.body, None)?;
    same_project(&project, request.project_id.as_deref())?;
    let id = request.id.clone().or(request.group_id.clone()).unwrap_or_default();
    non_blank(&id, "id")?;
    let settings = state.settings();
    let now = state.now();
    let mut data = state.data();
    let index = find(&data, &project, &id)?;
    let id = data.build.groups[index].id.clone();
    let new_parent = match request.parent_id.as_deref() {
        Some(p) => parent(&data, &project, Some(p))?,
        None => data.build.groups[index].parent_id.clone(),
    };
    if let Some(p) = &new_parent
        && path_of(&data, p).split('.').any(|x| x == id)
    {
        return Err(ApiError::invalid("A job group cannot move under itself or one of its subgroups."));
    }
    let name = request.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| data.build.groups[index].name.clone());
    ensure_free_name(&data, &project, &new_parent, &name, Some(&id))?;
    let group = &mut data.build.groups[index];
    group.name = name;
    group.parent_id = new_parent;
    group.updated = Some((now, call.caller.user));
    let answer = group_json(&data, &data.build.groups[index], settings);
    success::<types::JobGroupResponseBody>(json!([answer]))
}

/// `DELETE /v1/job/{project_id}/group/delete?id=…` (DeleteGroup).
pub(crate) fn delete_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let id = call.query.required("id")?;
    let mut data = state.data();
    let index = find(&data, &project, id)?;
    let id = data.build.groups[index].id.clone();
    let doomed: Vec<String> = data
        .build
        .groups
        .iter()
        .filter(|g| g.project_id == project && path_of(&data, &g.id).split('.').any(|x| x == id))
        .map(|g| g.id.clone())
        .collect();
    data.build.groups.retain(|g| !doomed.contains(&g.id));
    for job in data.jobs.iter_mut() {
        if job.extras.group_id.as_ref().is_some_and(|g| doomed.iter().any(|d| d.eq_ignore_ascii_case(g))) {
            job.extras.group_id = None;
        }
    }
    success::<types::ResponseString>(json!(format!("Deleted {} job group(s).", doomed.len())))
}

fn tree(data: &Data, project: &str, parent: Option<&str>, settings: &Settings) -> Vec<Value> {
    let mut children: Vec<&Group> =
        data.build.groups.iter().filter(|g| g.project_id == project && g.parent_id.as_deref() == parent).collect();
    children.sort_by_key(|g| g.ordinal);
    children
        .into_iter()
        .map(|g| {
            let mut v = group_json(data, g, settings);
            v.as_object_mut().map(|o| o.remove("group_id"));
            if g.parent_id.is_none() {
                v["parent_id"] = Value::Null;
            }
            let sub = tree(data, project, Some(&g.id), settings);
            v["children"] = json!(sub);
            v
        })
        .collect()
}

/// `GET /v1/job/{project_id}/group/tree` (ListGroupTree): the project's groups as a tree, each
/// level by ordinal.
pub(crate) fn list_group_tree(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let data = state.data();
    success::<types::JobGroupTreeResultResponseBody>(json!(tree(&data, &project, None, state.settings())))
}

/// `POST /v1/job/{project_id}/group/move` (MoveGroup): the jobs named go into group `group_id`
/// (empty: out of every group); only jobs of the project, and the caller must be their creator.
pub(crate) fn move_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let request: types::MoveJobGroupRequestBody = json_body(&call.body, None)?;
    crate::reply::not_null(call, &["jobs", "group_id"])?;
    let mut data = state.data();
    let group = match request.group_id.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => Some(data.build.groups[find(&data, &project, g)?].id.clone()),
        None => None,
    };
    let path = group.as_deref().map(|g| path_of(&data, g)).unwrap_or_default();
    let mut ids = Vec::new();
    for entry in request.jobs.iter().flatten() {
        let id = entry.job_id.clone().unwrap_or_default();
        crate::reply::job_id(&id)?;
        let job = super::jobs::find_owned(&mut data, &id, call.caller, "move")?;
        if job.project_id != project {
            return Err(ApiError::invalid(format!("Build task {id} is not in project {project}.")));
        }
        ids.push(job.id.clone());
    }
    let mut result = Vec::new();
    for id in ids {
        if let Some(job) = data.job_mut(&id) {
            job.extras.group_id = group.clone();
        }
        result.push(json!({"job_id": id, "group_path_id": path}));
    }
    success::<types::MoveJobGroupResponseBody>(json!(result))
}

/// `POST /v1/job/{project_id}/group/swap?source_group_id=…&target_group_id=…` (SwitchedPacket): two
/// groups of the same parent swap their positions.
pub(crate) fn switched_packet(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.path("project_id").to_ascii_lowercase();
    let source = call.query.required("source_group_id")?;
    let target = call.query.required("target_group_id")?;
    let mut data = state.data();
    let (a, b) = (find(&data, &project, source)?, find(&data, &project, target)?);
    if data.build.groups[a].parent_id != data.build.groups[b].parent_id {
        return Err(ApiError::invalid("Only job groups of the same parent can swap places."));
    }
    let (oa, ob) = (data.build.groups[a].ordinal, data.build.groups[b].ordinal);
    data.build.groups[a].ordinal = ob;
    data.build.groups[b].ordinal = oa;
    success::<types::ResponseString>(json!("success"))
}
