//! Pipeline templates of a tenant: CreatePipelineTemplate, UpdatePipelineTemplate,
//! DeletePipelineTemplate, ShowPipelineTemplateDetail, ListPipelineTemplates and
//! CreatePipelineByTemplateId; the old (v3) ListTemplates and ShowTemplateDetail (the same
//! templates, in the old shape) and CreatePipelineByTemplate with ShowInstanceStatus (a pipeline
//! made from an old-style template, at once: the task is `succeeded` as soon as it exists).

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::runs::definition_stages;
use super::{
    Doc, Kind, answer, body, body_value, create_doc, domain_of, fmt_time, invalid, ms, own_account, project,
    template_not_found, window,
};
use crate::dispatch::Call;
use crate::reply::{Reply, shorten};
use crate::state::EmulatorState;

fn template_json(state: &EmulatorState, d: &Doc) -> Value {
    let mut v = d.value.clone();
    let creator = state.settings().users.get(d.creator);
    super::merge(
        &mut v,
        json!({
            "id": d.id, "create_time": ms(d.created), "update_time": ms(d.updated),
            "creator_id": creator.map(|u| u.id.clone()), "creator_name": creator.map(|u| u.name.clone()),
            "updater_id": creator.map(|u| u.id.clone()), "region": state.settings().region(),
            "is_collect": false, "icon": "",
            "stages": definition_stages(d.value.get("definition").and_then(Value::as_str).unwrap_or_default())
                .unwrap_or_default().iter().enumerate()
                .map(|(i, s)| json!({"name": s.get("name"), "sequence": i})).collect::<Vec<_>>(),
        }),
    );
    v
}

fn checked_template(value: &Value) -> Result<String, crate::reply::ApiError> {
    let name = value.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    if name.trim().is_empty() || name.chars().count() > 128 {
        return Err(invalid("name must have 1 to 128 characters."));
    }
    if definition_stages(value.get("definition").and_then(Value::as_str).unwrap_or_default()).is_none() {
        return Err(invalid("definition must be a JSON string of an object with a stages array."));
    }
    Ok(name)
}

/// `POST /v5/{tenant_id}/api/pipeline-templates` (CreatePipelineTemplate).
pub(crate) fn create_pipeline_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let (_, value): (types::PipelineTemplateDto, Value) = body_value(call)?;
    let name = checked_template(&value)?;
    let now = state.now();
    let mut data = state.data();
    if data.pipeline.docs(Kind::Template, &tenant).any(|d| d.name == name) {
        return Err(invalid(format!("A template named {} already exists.", shorten(&name))));
    }
    let id = create_doc(&mut data, Kind::Template, &tenant, &name, value, call.caller.user, now);
    answer::<types::TemplateIdVo>(json!({ "templateId": id }))
}

/// `PUT /v5/{tenant_id}/api/pipeline-templates/{template_id}` (UpdatePipelineTemplate): replaces it.
pub(crate) fn update_pipeline_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let (_, value): (types::PipelineTemplateDto, Value) = body_value(call)?;
    let name = checked_template(&value)?;
    let id = call.path("template_id");
    let now = state.now();
    let mut data = state.data();
    let doc = data.pipeline.doc_mut(Kind::Template, &tenant, id).ok_or_else(|| template_not_found(id))?;
    doc.name = name;
    doc.value = value;
    doc.updated = now;
    let id = doc.id.clone();
    answer::<types::TemplateIdVo>(json!({ "templateId": id }))
}

/// `DELETE /v5/{tenant_id}/api/pipeline-templates/{template_id}` (DeletePipelineTemplate).
pub(crate) fn delete_pipeline_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let id = call.path("template_id");
    let mut data = state.data();
    if !data.pipeline.remove(Kind::Template, &tenant, id) {
        return Err(template_not_found(id));
    }
    answer::<types::TemplateIdVo>(json!({ "templateId": id }))
}

/// `GET /v5/{tenant_id}/api/pipeline-templates/{template_id}` (ShowPipelineTemplateDetail).
pub(crate) fn show_pipeline_template_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let id = call.path("template_id");
    let data = state.data();
    let doc = data.pipeline.doc(Kind::Template, &tenant, id).ok_or_else(|| template_not_found(id))?;
    answer::<types::PipelineTemplateVo>(template_json(state, doc))
}

/// `POST /v5/{tenant_id}/api/pipeline-templates/list` (ListPipelineTemplates): by name
/// (substring), `is_system` and `language`, newest first unless `sort_dir` is `asc`.
pub(crate) fn list_pipeline_templates(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let tenant = own_account(state, call)?;
    let q: types::ListPipelineTemplatesQuery =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(10);
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(invalid("offset must be 0 or more and limit between 1 and 100."));
    }
    let data = state.data();
    let mut docs: Vec<&Doc> = data
        .pipeline
        .docs(Kind::Template, &tenant)
        .filter(|d| q.name.as_deref().is_none_or(|n| d.name.to_lowercase().contains(&n.to_lowercase())))
        .filter(|d| q.is_system.is_none_or(|s| d.value.get("is_system").and_then(Value::as_bool) == Some(s)))
        .filter(|d| q.language.as_deref().is_none_or(|l| d.value.get("language").and_then(Value::as_str) == Some(l)))
        .collect();
    if q.sort_dir.as_ref().map(|d| d.as_str()) != Some("asc") {
        docs.reverse();
    }
    let total = docs.len();
    let items: Vec<Value> = window(docs, offset, limit).into_iter().map(|d| template_json(state, d)).collect();
    answer::<types::PipelineTemplatePageResult>(
        json!({"offset": offset, "limit": limit, "total": total, "templates": items}),
    )
}

/// `POST /v5/{project_id}/api/pipeline-templates/{template_id}/create-pipeline`
/// (CreatePipelineByTemplateId): a pipeline with the template's definition and variables (the
/// request's variables override their values).
pub(crate) fn create_pipeline_by_template_id(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (_, request): (types::PipelineByTemplateDto, Value) = body_value(call)?;
    let id = call.path("template_id");
    let domain = domain_of(state, call);
    let template = {
        let data = state.data();
        data.pipeline.doc(Kind::Template, &domain, id).ok_or_else(|| template_not_found(id))?.value.clone()
    };
    let mut variables = template.get("variables").cloned().unwrap_or(Value::Array(Vec::new()));
    for given in request.get("variables").and_then(Value::as_array).into_iter().flatten() {
        let Some(items) = variables.as_array_mut() else { break };
        match items.iter_mut().find(|v| v.get("name") == given.get("name")) {
            Some(slot) => super::merge(slot, given.clone()),
            None => items.push(given.clone()),
        }
    }
    let mut dto = request.clone();
    super::merge(
        &mut dto,
        json!({
            "definition": template.get("definition"), "variables": variables,
            "manifest_version": template.get("manifest_version"),
        }),
    );
    let pipeline = super::pipelines::create(state, call, &project(call), dto, 1)?;
    answer::<types::PipelineId>(json!({ "pipeline_id": pipeline }))
}

fn legacy_view(state: &EmulatorState, d: &Doc) -> Value {
    let creator = state.settings().users.get(d.creator);
    let is_system = d.value.get("is_system").and_then(Value::as_bool).unwrap_or(false);
    json!({
        "template_id": d.id, "template_name": d.name, "template_type": "pipeline",
        "description": d.value.get("description"), "is_build_in": is_system, "is_watch": false,
        "can_update": !is_system, "can_delete": !is_system, "need_hub": false,
        "user_id": creator.map(|u| u.id.clone()), "user_name": creator.map(|u| u.name.clone()),
        "domain_id": d.owner, "domain_name": creator.map(|u| u.domain_name.clone()),
        "create_time": fmt_time(d.created), "last_modify_time": fmt_time(d.updated),
        "region": state.settings().region(), "flow": {}, "states": {},
        "parameter": d.value.get("variables").and_then(Value::as_array).into_iter().flatten().map(|v| json!({
            "name": v.get("name"), "value": v.get("value"), "description": v.get("description"),
            "paramtype": "string", "display_type": "text", "display_name": v.get("name"),
            "required": "false", "visible": "true", "is_static": false, "is_default": false,
        })).collect::<Vec<_>>(),
        "template_url": format!("https://devcloud.example.com/cicd/templates/{}", d.id),
    })
}

/// `GET /v3/templates` (ListTemplates, the old API): the account's templates of type `pipeline`,
/// built in (`is_build_in=true`: the system templates) or custom; `offset` is a page index from 0.
pub(crate) fn list_templates(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let kind = call.query.required("template_type")?;
    let built_in = call.query.optional_choice("is_build_in", &["true", "false"])? == Some("true");
    let offset = call.query.optional_int("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = call.query.optional_int("limit", 1..=100, 10)?;
    let name = call.query.optional("name").unwrap_or_default().to_lowercase();
    let domain = domain_of(state, call);
    let data = state.data();
    let docs: Vec<&Doc> = data
        .pipeline
        .docs(Kind::Template, &domain)
        .filter(|_| kind == "pipeline")
        .filter(|d| d.value.get("is_system").and_then(Value::as_bool).unwrap_or(false) == built_in)
        .filter(|d| d.name.to_lowercase().contains(&name))
        .collect();
    let total = docs.len();
    let items: Vec<Value> =
        crate::reply::page(docs, offset as usize, limit as usize).into_iter().map(|d| legacy_view(state, d)).collect();
    answer::<types::PageView>(json!({"page_number": offset, "page_size": limit, "total": total, "content": items}))
}

/// `GET /v3/templates/{template_id}` (ShowTemplateDetail, the old API).
pub(crate) fn show_template_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let kind = call.query.required("template_type")?;
    let id = call.path("template_id");
    let domain = domain_of(state, call);
    let data = state.data();
    let doc = data
        .pipeline
        .doc(Kind::Template, &domain, id)
        .filter(|_| kind == "pipeline")
        .ok_or_else(|| template_not_found(id))?;
    answer::<types::TemplateDetail>(legacy_view(state, doc))
}

/// `POST /v3/templates/task` (CreatePipelineByTemplate, deprecated): a pipeline named by the
/// workflow, in its project, with one stage per entry of `states`; the task's ID.
pub(crate) fn create_pipeline_by_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (request, value): (types::TemplateCddl, Value) = body_value(call)?;
    let project = request.workflow.project_id.to_ascii_lowercase();
    if project.len() != 32 || !project.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid("workflow.project_id is a CodeArts project ID (32 letters and digits)."));
    }
    let stages: Vec<Value> = value
        .get("states")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(key, state)| {
            let name = state.get("display_name").and_then(Value::as_str).unwrap_or(key);
            json!({"name": name, "identifier": key, "pre": [{"task": "official_devcloud_autoTrigger"}],
                "jobs": [{"name": name, "identifier": format!("{key}-job"),
                    "steps": [{"name": name, "task": state.get("dsl_method").and_then(Value::as_str).unwrap_or("deployMan")}]}]})
        })
        .collect();
    let dto = json!({
        "name": request.workflow.name, "is_publish": false,
        "definition": json!({"stages": stages}).to_string(),
        "variables": value.pointer("/workflow/parameter").cloned().unwrap_or(Value::Array(Vec::new())),
    });
    let pipeline = super::pipelines::create(state, call, &project, dto, 1)?;
    let now = state.now();
    let mut data = state.data();
    let task = create_doc(
        &mut data,
        Kind::LegacyTemplateTask,
        &domain_of(state, call),
        &request.workflow.name,
        json!({ "pipeline_id": pipeline }),
        call.caller.user,
        now,
    );
    answer::<types::InstanceResponse>(json!({ "task_id": task }))
}

/// `GET /v3/templates/{task_id}/status` (ShowInstanceStatus).
pub(crate) fn show_instance_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("task_id");
    let domain = domain_of(state, call);
    let data = state.data();
    let task = data
        .pipeline
        .doc(Kind::LegacyTemplateTask, &domain, id)
        .ok_or_else(|| super::not_found(format!("Template task {} does not exist.", shorten(id))))?;
    let pipeline_id = task.value.get("pipeline_id").and_then(Value::as_str).unwrap_or_default();
    let pipeline = data.pipeline.pipelines.iter().find(|p| p.id == pipeline_id);
    answer::<types::InstanceStatus>(json!({
        "task_id": task.id, "task_status": "succeeded", "pipeline_id": pipeline_id,
        "pipeline_name": pipeline.map(|p| p.name.clone()).unwrap_or_else(|| task.name.clone()),
        "pipeline_url": pipeline.map(|p| super::runs::detail_url(p, None)),
    }))
}
