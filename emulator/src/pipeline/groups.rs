//! What organizes a project's pipelines: groups (CreatePipelineGroup, UpdatePipelineGroup,
//! DeletePipelineGroup, ShowPipelineGroupTree, BatchMovePipelineToGroup), tags
//! (CreatePipelineTag, DeletePipelineTag, ListPipelineTag), parameter groups (CreateVariableGroup,
//! DeleteVariableGroup, ListVariableGroups, ShowVariableGroupDetail), and a tenant's alert
//! policies (CreateAlertPolicy, ShowAlertPolicy, DeleteAlertPolicy).
//!
//! Groups nest (`parent_id`); a group with subgroups cannot be deleted, and deleting a group
//! ungroups its pipelines.

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::{Doc, Kind, answer, body, body_value, create_doc, invalid, ms, own_account, project, window};
use crate::dispatch::Call;
use crate::reply::{Reply, shorten};
use crate::state::{Data, EmulatorState};

fn success() -> Reply {
    answer::<types::SuccessResp>(json!({"success": true}))
}

fn name_ok(name: &str, max: usize) -> Result<(), crate::reply::ApiError> {
    if name.trim().is_empty() || name.chars().count() > max {
        return Err(invalid(format!("name must have 1 to {max} characters.")));
    }
    Ok(())
}

// ---------------------------------------------------------------- groups

fn parent_of(d: &Doc) -> Option<String> {
    d.value.get("parent_id").and_then(Value::as_str).filter(|p| !p.is_empty()).map(str::to_string)
}

fn group_tree(state: &EmulatorState, data: &Data, project: &str, parent: Option<&str>, path: &str) -> Vec<Value> {
    data.pipeline
        .docs(Kind::Group, project)
        .filter(|d| parent_of(d).as_deref() == parent)
        .enumerate()
        .map(|(i, d)| {
            let path_id = if path.is_empty() { d.id.clone() } else { format!("{path}.{}", d.id) };
            let creator = state.settings().users.get(d.creator).map(|u| u.id.clone());
            json!({
                "id": d.id, "name": d.name, "project_id": project, "parent_id": parent, "path_id": path_id,
                "domain_id": state.settings().users.get(d.creator).map(|u| u.domain_id.clone()),
                "ordinal": i, "creator": creator, "updater": creator,
                "create_time": ms(d.created), "update_time": ms(d.updated),
                "pipeline_count": data.pipeline.pipelines.iter().filter(|p| p.group_id.as_deref() == Some(d.id.as_str())).count(),
                "children": group_tree(state, data, project, Some(&d.id), &path_id),
            })
        })
        .collect()
}

/// `POST /v5/{project_id}/api/pipeline-group/create` (CreatePipelineGroup).
pub(crate) fn create_pipeline_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (request, value): (types::PipelineGroupCreateDto, Value) = body_value(call)?;
    let project = project(call);
    name_ok(&request.name, 32)?;
    if !request.project_id.eq_ignore_ascii_case(&project) {
        return Err(invalid("project_id in the body must be the project of the path."));
    }
    let now = state.now();
    let mut data = state.data();
    let parent = request.parent_id.clone().filter(|p| !p.is_empty());
    if let Some(p) = &parent
        && data.pipeline.doc(Kind::Group, &project, p).is_none()
    {
        // CreatePipelineGroup documents 200, 400 and 401: an unknown parent is a bad request.
        return Err(super::invalid(format!("Parent group {} does not exist.", shorten(p))));
    }
    if data.pipeline.docs(Kind::Group, &project).any(|d| d.name == request.name && parent_of(d) == parent) {
        return Err(invalid(format!("A group named {} already exists there.", shorten(&request.name))));
    }
    let id = create_doc(&mut data, Kind::Group, &project, &request.name, value, call.caller.user, now);
    let tree = group_tree(state, &data, &project, parent.as_deref(), "");
    let made = find_in(&tree, &id).unwrap_or_else(|| json!({"id": id, "name": request.name}));
    answer::<types::PipelineGroupVo>(made)
}

fn find_in(tree: &[Value], id: &str) -> Option<Value> {
    tree.iter().find_map(|g| {
        if g["id"] == id {
            Some(g.clone())
        } else {
            find_in(g["children"].as_array().map(Vec::as_slice).unwrap_or_default(), id)
        }
    })
}

/// `POST /v5/{project_id}/api/pipeline-group/update` (UpdatePipelineGroup): renames it.
pub(crate) fn update_pipeline_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::PipelineGroupUpdateDto = body(call)?;
    name_ok(&request.name, 32)?;
    let project = project(call);
    let now = state.now();
    let mut data = state.data();
    let doc = data
        .pipeline
        .doc_mut(Kind::Group, &project, &request.id)
        .ok_or_else(|| super::not_found(format!("Pipeline group {} does not exist.", shorten(&request.id))))?;
    doc.name = request.name.clone();
    doc.value["name"] = json!(request.name);
    doc.updated = now;
    success()
}

/// `DELETE /v5/{project_id}/api/pipeline-group/delete?id=` (DeletePipelineGroup).
pub(crate) fn delete_pipeline_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.query.required("id")?.to_string();
    let project = project(call);
    let mut data = state.data();
    if data.pipeline.doc(Kind::Group, &project, &id).is_none() {
        return Err(super::not_found(format!("Pipeline group {} does not exist.", shorten(&id))));
    }
    if data.pipeline.docs(Kind::Group, &project).any(|d| parent_of(d).is_some_and(|p| p.eq_ignore_ascii_case(&id))) {
        return Err(super::conflict(format!("Pipeline group {id} has subgroups; delete them first.")));
    }
    data.pipeline.remove(Kind::Group, &project, &id);
    for p in data
        .pipeline
        .pipelines
        .iter_mut()
        .filter(|p| p.group_id.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(&id)))
    {
        p.group_id = None;
    }
    success()
}

/// `GET /v5/{project_id}/api/pipeline-group/tree` (ShowPipelineGroupTree).
pub(crate) fn show_pipeline_group_tree(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = project(call);
    let data = state.data();
    let tree = group_tree(state, &data, &project, None, "");
    answer::<Vec<types::PipelineGroupVo>>(Value::Array(tree))
}

/// `POST /v5/{project_id}/api/pipeline-group/pipeline/move` (BatchMovePipelineToGroup): each
/// pipeline's own result (`failed` for one that is not in the project).
pub(crate) fn batch_move_pipeline_to_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::PipelineGroupBindDto = body(call)?;
    let project = project(call);
    let mut data = state.data();
    if data.pipeline.doc(Kind::Group, &project, &request.group_id).is_none() {
        return Err(super::not_found(format!("Pipeline group {} does not exist.", shorten(&request.group_id))));
    }
    let mut out = Vec::new();
    for item in &request.pipelines {
        let found = data
            .pipeline
            .pipelines
            .iter_mut()
            .find(|p| p.project_id == project && p.id.eq_ignore_ascii_case(&item.pipeline_id));
        let code = match found {
            Some(p) => {
                p.group_id = Some(request.group_id.to_ascii_lowercase());
                "success"
            }
            None => "failed",
        };
        out.push(json!({"pipeline_id": item.pipeline_id, "pipeline_name": item.pipeline_name, "code": code}));
    }
    answer::<Vec<types::PipelineMoveToGroupResponseVo>>(Value::Array(out))
}

// ---------------------------------------------------------------- tags

/// `POST /v5/{project_id}/api/pipeline-tag/create` (CreatePipelineTag).
pub(crate) fn create_pipeline_tag(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (request, value): (types::CreateTagReq, Value) = body_value(call)?;
    name_ok(&request.name, 32)?;
    let project = project(call);
    let now = state.now();
    let mut data = state.data();
    if data.pipeline.docs(Kind::Tag, &project).any(|d| d.name == request.name) {
        return Err(invalid(format!("A tag named {} already exists.", shorten(&request.name))));
    }
    create_doc(&mut data, Kind::Tag, &project, &request.name, value, call.caller.user, now);
    success()
}

/// `DELETE /v5/{project_id}/api/pipeline-tag/delete?tagId=` (DeletePipelineTag).
pub(crate) fn delete_pipeline_tag(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.query.required("tagId")?.to_string();
    let mut data = state.data();
    if !data.pipeline.remove(Kind::Tag, &project(call), &id) {
        return Err(super::not_found(format!("Tag {} does not exist.", shorten(&id))));
    }
    success()
}

/// `GET /v5/{project_id}/api/pipeline-tag/list` (ListPipelineTag).
pub(crate) fn list_pipeline_tag(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = project(call);
    let data = state.data();
    let tags: Vec<Value> = data
        .pipeline
        .docs(Kind::Tag, &project)
        .map(|d| {
            json!({"tag_id": d.id, "name": d.name, "color": d.value.get("color"), "project_id": project,
                "project_name": format!("project-{}", project.get(..8).unwrap_or_default())})
        })
        .collect();
    answer::<Vec<types::PipelineTagResp>>(Value::Array(tags))
}

// ---------------------------------------------------------------- parameter groups

fn variable_group_json(state: &EmulatorState, data: &Data, project: &str, d: &Doc) -> Value {
    let user = state.settings().users.get(d.creator);
    let related: Vec<Value> = data
        .pipeline
        .pipelines
        .iter()
        .filter(|p| {
            p.dto
                .get("variable_group_ids")
                .and_then(Value::as_array)
                .is_some_and(|ids| ids.iter().any(|i| i == &json!(d.id)))
        })
        .map(|p| json!({"id": p.id, "name": p.name}))
        .collect();
    let variables: Vec<Value> = d
        .value
        .get("variables")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let secret = v.get("is_secret").and_then(Value::as_bool).unwrap_or(false);
            let mut v = v.clone();
            if secret {
                v["value"] = json!("*****");
            }
            v
        })
        .collect();
    json!({
        "id": d.id, "name": d.name, "project_id": project, "description": d.value.get("description"),
        "domain_id": user.map(|u| u.domain_id.clone()),
        "creator_id": user.map(|u| u.id.clone()), "creator_name": user.map(|u| u.name.clone()),
        "updater_id": user.map(|u| u.id.clone()), "updater_name": user.map(|u| u.name.clone()),
        "create_time": ms(d.created), "update_time": ms(d.updated),
        "variables": variables, "related_pipelines": related,
    })
}

/// `POST /v5/{project_id}/api/pipeline/variable/group/create` (CreateVariableGroup).
pub(crate) fn create_variable_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (request, value): (types::CreateVariableGroupReq, Value) = body_value(call)?;
    name_ok(&request.name, 128)?;
    let project = project(call);
    let now = state.now();
    let mut data = state.data();
    if data.pipeline.docs(Kind::VariableGroup, &project).any(|d| d.name == request.name) {
        return Err(invalid(format!("A parameter group named {} already exists.", shorten(&request.name))));
    }
    let id = create_doc(&mut data, Kind::VariableGroup, &project, &request.name, value, call.caller.user, now);
    answer::<types::CreateVariableGroupResp>(json!({ "pipeline_variable_group_id": id }))
}

/// `DELETE /v5/{project_id}/api/pipeline/variable/group/delete?id=` (DeleteVariableGroup).
pub(crate) fn delete_variable_group(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.query.required("id")?.to_string();
    let mut data = state.data();
    if !data.pipeline.remove(Kind::VariableGroup, &project(call), &id) {
        return Err(super::not_found(format!("Parameter group {} does not exist.", shorten(&id))));
    }
    success()
}

/// `POST /v5/{project_id}/api/pipeline/variable/group/list` (ListVariableGroups): secret values
/// masked.
pub(crate) fn list_variable_groups(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let q: types::ListVariableGroupsReq = body(call)?;
    if q.offset < 0 || !(1..=100).contains(&q.limit) {
        return Err(invalid("offset must be 0 or more and limit between 1 and 100."));
    }
    let project = project(call);
    let data = state.data();
    let docs: Vec<&Doc> = data
        .pipeline
        .docs(Kind::VariableGroup, &project)
        .filter(|d| q.name.as_deref().is_none_or(|n| d.name.contains(n)))
        .collect();
    let total = docs.len();
    let items: Vec<Value> = window(docs, q.offset.into(), q.limit.into())
        .into_iter()
        .map(|d| variable_group_json(state, &data, &project, d))
        .collect();
    answer::<types::ListVariableGroupsResp>(
        json!({"offset": q.offset, "limit": q.limit, "total": total, "pipeline_variable_groups": items}),
    )
}

/// `GET /v5/{project_id}/api/pipeline/variable/group/{id}` (ShowVariableGroupDetail).
pub(crate) fn show_variable_group_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("id");
    let project = project(call);
    let data = state.data();
    let doc = data
        .pipeline
        .doc(Kind::VariableGroup, &project, id)
        .ok_or_else(|| super::not_found(format!("Parameter group {} does not exist.", shorten(id))))?;
    answer::<types::QueryVariableGroupDetailResp>(variable_group_json(state, &data, &project, doc))
}

// ---------------------------------------------------------------- alert policies

fn policy_json(d: &Doc) -> Value {
    let mut v = d.value.clone();
    super::merge(&mut v, json!({"policyId": d.id, "domainId": d.owner, "createTime": ms(d.created)}));
    v
}

/// `POST /v5/{tenant_id}/api/alert/policies` (CreateAlertPolicy): the policy as stored.
pub(crate) fn create_alert_policy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let (request, value): (types::AlertPolicyDto, Value) = body_value(call)?;
    let name = request.name.clone().unwrap_or_default();
    name_ok(&name, 128)?;
    let now = state.now();
    let mut data = state.data();
    let id = create_doc(&mut data, Kind::AlertPolicy, &tenant, &name, value, call.caller.user, now);
    let doc = data.pipeline.doc(Kind::AlertPolicy, &tenant, &id).map(policy_json).unwrap_or_default();
    answer::<types::AlertPolicyDto>(doc)
}

/// `GET /v5/{tenant_id}/api/alert/policies/{policy_id}` (ShowAlertPolicy).
pub(crate) fn show_alert_policy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let id = call.path("policy_id");
    let data = state.data();
    let doc = data
        .pipeline
        .doc(Kind::AlertPolicy, &tenant, id)
        .ok_or_else(|| super::not_found(format!("Alert policy {} does not exist.", shorten(id))))?;
    answer::<types::AlertPolicyDto>(policy_json(doc))
}

/// `DELETE /v5/{tenant_id}/api/alert/policies/{policy_id}` (DeleteAlertPolicy).
pub(crate) fn delete_alert_policy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let id = call.path("policy_id");
    let mut data = state.data();
    if !data.pipeline.remove(Kind::AlertPolicy, &tenant, id) {
        return Err(super::not_found(format!("Alert policy {} does not exist.", shorten(id))));
    }
    success()
}
