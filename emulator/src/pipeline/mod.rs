//! CodeArts Pipeline: the handlers of its operations, by vendor name, and the service's state.
//!
//! Pipelines and their runs are modelled (see [`runs`] for a run's life on the emulator clock);
//! every other resource (templates, groups, tags, parameter groups, alert policies, rules,
//! policies, plug-ins, publishers) is a [`Doc`]: the request body as the SDK's type read it, with an
//! ID, an owner and timestamps, so that what was created is what is listed, shown, updated and
//! deleted. Answers are the SDK's generated response types ([`typed`]), so they have the spec's
//! shape by construction.

mod actions;
mod groups;
mod pipelines;
mod plugins;
mod rules;
pub(crate) mod runs;
mod templates;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use codearts::runtime::ServiceMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::dispatch::{Call, Handler};
use crate::reply::{ApiError, Reply, ok, shorten};
use crate::state::{Data, EmulatorState, hex32};

pub(crate) use pipelines::Pipeline;

/// Pipeline's resources (pipelines, runs, templates, groups, rules, strategies, plug-ins), kept in
/// the emulator's [`crate::state::Data`].
#[derive(Default)]
pub(crate) struct PipelineData {
    /// In creation order.
    pub(crate) pipelines: Vec<Pipeline>,
    /// Every other resource, in creation order.
    pub(crate) docs: Vec<Doc>,
}

impl std::fmt::Debug for PipelineData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineData")
            .field("pipelines", &self.pipelines.len())
            .field("docs", &self.docs.len())
            .finish()
    }
}

/// A stored resource other than a pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub(crate) kind: Kind,
    pub(crate) id: String,
    /// The project, tenant (domain) or plug-in the resource belongs to.
    pub(crate) owner: String,
    pub(crate) name: String,
    /// The request body that made it (later: updated it), as JSON.
    pub(crate) value: Value,
    pub(crate) created: SystemTime,
    pub(crate) updated: SystemTime,
    pub(crate) creator: usize,
}

/// The kinds of [`Doc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Template,
    LegacyTemplateTask,
    Group,
    Tag,
    VariableGroup,
    AlertPolicy,
    Rule,
    Strategy,
    OpenSourceStrategy,
    PluginVersion,
    Publisher,
    BasicPlugin,
    ActionsRun,
}

impl PipelineData {
    pub(crate) fn docs(&self, kind: Kind, owner: &str) -> impl Iterator<Item = &Doc> {
        self.docs.iter().filter(move |d| d.kind == kind && d.owner.eq_ignore_ascii_case(owner))
    }

    pub(crate) fn doc(&self, kind: Kind, owner: &str, id: &str) -> Option<&Doc> {
        self.docs(kind, owner).find(|d| d.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn doc_mut(&mut self, kind: Kind, owner: &str, id: &str) -> Option<&mut Doc> {
        self.docs
            .iter_mut()
            .find(|d| d.kind == kind && d.owner.eq_ignore_ascii_case(owner) && d.id.eq_ignore_ascii_case(id))
    }

    /// Removes a doc; whether there was one.
    pub(crate) fn remove(&mut self, kind: Kind, owner: &str, id: &str) -> bool {
        let before = self.docs.len();
        self.docs.retain(|d| !(d.kind == kind && d.owner.eq_ignore_ascii_case(owner) && d.id.eq_ignore_ascii_case(id)));
        self.docs.len() != before
    }
}

/// Stores a new doc; its ID (32 hex digits).
pub(crate) fn create_doc(
    data: &mut Data,
    kind: Kind,
    owner: &str,
    name: &str,
    value: Value,
    creator: usize,
    now: SystemTime,
) -> String {
    let id = hex32(&data.seed("pipeline-doc"));
    data.pipeline.docs.push(Doc {
        kind,
        id: id.clone(),
        owner: owner.to_ascii_lowercase(),
        name: name.to_string(),
        value,
        created: now,
        updated: now,
        creator,
    });
    id
}

/// CodeArts Pipeline's operation tables.
pub(crate) fn svc() -> &'static ServiceMeta {
    &codearts::pipeline::operations::SERVICE
}

/// An answer in the catalogue's code `code` (its status and message), with `detail`.
pub(crate) fn known(code: &'static str, detail: impl AsRef<str>) -> ApiError {
    match svc().error_codes.iter().find(|k| k.code == code) {
        Some(k) => ApiError::new(
            StatusCode::from_u16(k.status).unwrap_or(StatusCode::BAD_REQUEST),
            k.code,
            format!("{} {}", k.message, detail.as_ref()),
        ),
        None => ApiError::invalid_for(svc(), detail),
    }
}

/// 404 `DEVPIPE.00011401`.
pub(crate) fn pipeline_not_found(id: &str) -> ApiError {
    known("DEVPIPE.00011401", format!("Pipeline {} does not exist.", shorten(id)))
}

/// 400 `DEVPIPE.00011136`: the pipeline exists, in another project.
pub(crate) fn wrong_project(pipeline: &str, project: &str) -> ApiError {
    known("DEVPIPE.00011136", format!("Pipeline {pipeline} does not belong to project {project}."))
}

/// 404 `DEVPIPE.00011203`.
pub(crate) fn template_not_found(id: &str) -> ApiError {
    known("DEVPIPE.00011203", format!("Template {} does not exist.", shorten(id)))
}

/// 404 for any other unknown resource (a run, a step, a group, a rule…), in Pipeline's not-found
/// code without its pipeline message: the reference publishes no other not-found code.
pub(crate) fn not_found(detail: impl AsRef<str>) -> ApiError {
    let mut e = ApiError::not_found_for(svc(), "");
    e.message = detail.as_ref().to_string();
    e
}

/// 400: a malformed or missing field (the gateway's code: the reference publishes no DEVPIPE code
/// for it).
pub(crate) fn invalid(detail: impl AsRef<str>) -> ApiError {
    ApiError::invalid_for(svc(), detail)
}

/// 400: the resource's state forbids the request (a review on a step that is not waiting, a retry
/// of a run that did not fail). The reference documents 400 for these and publishes no code.
pub(crate) fn conflict(detail: impl AsRef<str>) -> ApiError {
    let mut e = ApiError::conflict_for(svc(), detail);
    e.status = StatusCode::BAD_REQUEST;
    e
}

/// The request body as `T` (the SDK's request type: required fields and field types checked).
pub(crate) fn body<T: DeserializeOwned>(call: &Call<'_>) -> Result<T, ApiError> {
    call.json()
}

/// The request body as `T`, and as JSON for storing.
pub(crate) fn body_value<T: DeserializeOwned + Serialize>(call: &Call<'_>) -> Result<(T, Value), ApiError> {
    let parsed: T = call.json()?;
    let value = serde_json::to_value(&parsed).map_err(|e| invalid(format!("The request body is invalid: {e}.")))?;
    Ok((parsed, value))
}

/// The account (domain) ID of the caller.
pub(crate) fn domain_of(state: &EmulatorState, call: &Call<'_>) -> String {
    state.settings().users.get(call.caller.user).map(|u| u.domain_id.clone()).unwrap_or_default()
}

/// The `{domain_id}` or `{tenant_id}` path parameter, which must be the caller's own account: 403
/// otherwise.
pub(crate) fn own_account(state: &EmulatorState, call: &Call<'_>) -> Result<String, ApiError> {
    let name = if call.op.path.contains("{tenant_id}") { "tenant_id" } else { "domain_id" };
    let given = call.path(name).to_ascii_lowercase();
    if given != domain_of(state, call) {
        return Err(ApiError::forbidden_for(
            svc(),
            format!("{name} {} is not the account of the caller.", shorten(&given)),
        ));
    }
    Ok(given)
}

/// The `{project_id}` path parameter, lowercased (CodeArts projects are not modelled: any
/// well-formed ID names one, and pipelines are kept per project).
pub(crate) fn project(call: &Call<'_>) -> String {
    call.path("project_id").to_ascii_lowercase()
}

/// Milliseconds since the epoch.
pub(crate) fn ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// `yyyy-MM-dd HH:mm:ss` (UTC), the v3 APIs' time format.
pub(crate) fn fmt_time(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `value` as the generated type `T`. Fields that do not fit `T` (a stored request field whose
/// response namesake has another type) are dropped rather than failing the answer.
pub(crate) fn typed<T: DeserializeOwned + Default>(value: Value) -> T {
    typed_opt(value).unwrap_or_default()
}

/// [`typed`] for a type without a default: `None` when not even an empty object fits.
pub(crate) fn typed_opt<T: DeserializeOwned>(mut value: Value) -> Option<T> {
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(t) => return Some(t),
            Err(e) => {
                let path = e.path().to_string();
                if !remove_path(&mut value, &path) {
                    break;
                }
            }
        }
    }
    serde_json::from_value(Value::Object(serde_json::Map::new())).ok()
}

/// 200 with `value` as `T`.
pub(crate) fn answer<T: DeserializeOwned + Default + Serialize>(value: Value) -> Reply {
    ok(&typed::<T>(value))
}

/// 200 with `value` as `T`, a type without a default (a free-form object, a map).
pub(crate) fn answer_map<T: DeserializeOwned + Serialize>(value: Value) -> Reply {
    match typed_opt::<T>(value) {
        Some(t) => ok(&t),
        None => ok(&serde_json::Map::new()),
    }
}

/// Removes the value at a serde_path_to_error path (`a.b[2].c`); whether something was removed.
fn remove_path(value: &mut Value, path: &str) -> bool {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            segments.push(key.to_string());
        }
        for index in rest.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                segments.push(index.to_string());
            }
        }
    }
    fn go(value: &mut Value, segments: &[String]) -> bool {
        match (segments, value) {
            ([], _) => false,
            ([last], Value::Object(map)) => map.remove(last).is_some(),
            ([last], Value::Array(items)) => match last.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items.remove(i);
                    true
                }
                _ => false,
            },
            ([first, rest @ ..], Value::Object(map)) => map.get_mut(first).is_some_and(|v| go(v, rest)),
            ([first, rest @ ..], Value::Array(items)) => {
                first.parse::<usize>().ok().and_then(|i| items.get_mut(i)).is_some_and(|v| go(v, rest))
            }
            _ => false,
        }
    }
    go(value, &segments)
}

/// Merges `patch`'s fields into `base` (objects field by field; anything else replaced).
pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    continue;
                }
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

/// `offset`/`limit` paging of `items` (offset counts items).
pub(crate) fn window<T>(items: Vec<T>, offset: i64, limit: i64) -> Vec<T> {
    items.into_iter().skip(offset.max(0) as usize).take(limit.max(0) as usize).collect()
}

/// An optional integer query parameter sent as a string (`offset`, `limit`), within `range`.
pub(crate) fn query_int(
    call: &Call<'_>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, ApiError> {
    call.query.optional_int(name, range, default)
}

/// The handler of Pipeline operation `id`.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    Some(match id {
        // Pipelines.
        "CreatePipelineNew" => pipelines::create_pipeline_new,
        "ShowPipelineDetail" => pipelines::show_pipeline_detail,
        "UpdatePipelineInfo" => pipelines::update_pipeline_info,
        "DeletePipeline" => pipelines::delete_pipeline,
        "ListPipelines" => pipelines::list_pipelines,
        "BatchShowPipelinesLatestStatus" => pipelines::batch_show_pipelines_latest_status,
        "ListPipelineSimpleInfo" => pipelines::list_pipeline_simple_info,
        "RemovePipeline" => pipelines::remove_pipeline,
        // Runs, reviews, logs.
        "RunPipeline" => runs::run_pipeline,
        "ShowPipelineRunDetail" => runs::show_pipeline_run_detail,
        "ListPipelineRuns" => runs::list_pipeline_runs,
        "StopPipelineRun" => runs::stop_pipeline_run,
        "RetryPipelineRun" => runs::retry_pipeline_run,
        "AcceptManualReview" => runs::accept_manual_review,
        "RejectManualReview" => runs::reject_manual_review,
        "AcceptCheckpoint" => runs::accept_checkpoint,
        "ShowPipelineLog" => runs::show_pipeline_log,
        "ShowStepOutputs" => runs::show_step_outputs,
        "ShowPipelineArtifacts" => runs::show_pipeline_artifacts,
        "StartNewPipeline" => runs::start_new_pipeline,
        "StopPipelineNew" => runs::stop_pipeline_new,
        "ShowPipleineStatus" => runs::show_pipleine_status,
        "ListPipleineBuildResult" => runs::list_pipleine_build_result,
        // Templates.
        "CreatePipelineTemplate" => templates::create_pipeline_template,
        "UpdatePipelineTemplate" => templates::update_pipeline_template,
        "DeletePipelineTemplate" => templates::delete_pipeline_template,
        "ShowPipelineTemplateDetail" => templates::show_pipeline_template_detail,
        "ListPipelineTemplates" => templates::list_pipeline_templates,
        "CreatePipelineByTemplateId" => templates::create_pipeline_by_template_id,
        "ListTemplates" => templates::list_templates,
        "ShowTemplateDetail" => templates::show_template_detail,
        "CreatePipelineByTemplate" => templates::create_pipeline_by_template,
        "ShowInstanceStatus" => templates::show_instance_status,
        // Groups, tags, parameter groups, alert policies.
        "CreatePipelineGroup" => groups::create_pipeline_group,
        "UpdatePipelineGroup" => groups::update_pipeline_group,
        "DeletePipelineGroup" => groups::delete_pipeline_group,
        "ShowPipelineGroupTree" => groups::show_pipeline_group_tree,
        "BatchMovePipelineToGroup" => groups::batch_move_pipeline_to_group,
        "CreatePipelineTag" => groups::create_pipeline_tag,
        "DeletePipelineTag" => groups::delete_pipeline_tag,
        "ListPipelineTag" => groups::list_pipeline_tag,
        "CreateVariableGroup" => groups::create_variable_group,
        "DeleteVariableGroup" => groups::delete_variable_group,
        "ListVariableGroups" => groups::list_variable_groups,
        "ShowVariableGroupDetail" => groups::show_variable_group_detail,
        "CreateAlertPolicy" => groups::create_alert_policy,
        "ShowAlertPolicy" => groups::show_alert_policy,
        "DeleteAlertPolicy" => groups::delete_alert_policy,
        // Rules and policies.
        "CreateRule" => rules::create_rule,
        "UpdateRule" => rules::update_rule,
        "DeleteRule" => rules::delete_rule,
        "ShowRule" => rules::show_rule,
        "ListRule" => rules::list_rule,
        "CreateStrategy" => rules::create_strategy,
        "UpdateStrategy" => rules::update_strategy,
        "DeleteStrategy" => rules::delete_strategy,
        "ShowStrategy" => rules::show_strategy,
        "SwitchStrategy" => rules::switch_strategy,
        "ListStrategy" => rules::list_strategy,
        "ListProjectStrategy" => rules::list_project_strategy,
        "ShowProjectStrategy" => rules::show_project_strategy,
        "CreateOpenSourceStrategy" => rules::create_open_source_strategy,
        "UpdateOpenSourceStrategy" => rules::update_open_source_strategy,
        "ShowOpenSourceStrategy" => rules::show_open_source_strategy,
        "ListOpenSourceStrategy" => rules::list_open_source_strategy,
        "DeleteOpenSourceStrategy" => rules::delete_open_source_strategy,
        "SwitchOpenSourceStrategy" => rules::switch_open_source_strategy,
        "ListProjectOpenSourceStrategy" => rules::list_project_open_source_strategy,
        "ShowProjectOpenSourceStrategy" => rules::show_project_open_source_strategy,
        // Plug-ins, publishers, endpoints, modules.
        "CreatePluginDraft" => plugins::create_plugin_draft,
        "CreatePluginVersion" => plugins::create_plugin_version,
        "UpdatePluginDraft" => plugins::update_plugin_draft,
        "PublishPluginDraft" => plugins::publish_plugin_draft,
        "DeletePluginDraft" => plugins::delete_plugin_draft,
        "UpdatePluginBaseInfo" => plugins::update_plugin_base_info,
        "PublishPlugin" => plugins::publish_plugin,
        "PublishPluginBind" => plugins::publish_plugin_bind,
        "UploadPluginIcon" => plugins::upload_plugin_icon,
        "ListPlugins" => plugins::list_plugins,
        "ListPLuginVersion" => plugins::list_plugin_version,
        "ListPluginVersionNumber" => plugins::list_plugin_version_number,
        "ShowPluginVersion" => plugins::show_plugin_version,
        "ShowPluginInputs" => plugins::show_plugin_inputs,
        "ShowPluginOutputs" => plugins::show_plugin_outputs,
        "ShowPluginMetrics" => plugins::show_plugin_metrics,
        "ListStagePlugins" => plugins::list_stage_plugins,
        "ListBasePlugins" => plugins::list_base_plugins,
        "ListBasePluginsNewPost" => plugins::list_base_plugins_new_post,
        "CreatePublisher" => plugins::create_publisher,
        "DeletePublisher" => plugins::delete_publisher,
        "ShowPublisher" => plugins::show_publisher,
        "ListPublisher" => plugins::list_publisher,
        "ListAvailablePublisher" => plugins::list_available_publisher,
        "UploadPublisherIcon" => plugins::upload_publisher_icon,
        "CreateBasicPlugin" => plugins::create_basic_plugin,
        "UpdateBasicPlugin" => plugins::update_basic_plugin,
        "DeleteBasicPlugin" => plugins::delete_basic_plugin,
        "UploadBasicPlugin" => plugins::upload_basic_plugin,
        "ShowBasicPlugin" => plugins::show_basic_plugin,
        "InvokeEndpointProxy" => plugins::invoke_endpoint_proxy,
        "ListEndpointsDetails" => plugins::list_endpoints_details,
        "ListModulesDetail" => plugins::list_modules_detail,
        // Pipelines as code (GitCode Actions).
        "RunActionsPipeline" => actions::run_actions_pipeline,
        "RetryRunActionsPipeline" => actions::retry_run_actions_pipeline,
        "ListActionsPipelineRuns" => actions::list_actions_pipeline_runs,
        "ListActionsPipelineRunsByRunIds" => actions::list_actions_pipeline_runs_by_run_ids,
        "ShowActionsRunsDetail" => actions::show_actions_runs_detail,
        "DeleteActionsRunPipeline" => actions::delete_actions_run_pipeline,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_drops_fields_that_do_not_fit() {
        let t: codearts::pipeline::types::SuccessResp = typed(json!({"success": "yes"}));
        assert_eq!(t.success, None);
        let t: codearts::pipeline::types::SuccessResp = typed(json!({"success": true, "other": 1}));
        assert_eq!(t.success, Some(true));
        let t: codearts::pipeline::types::ListPipelineRunsPage =
            typed(json!({"total": 2, "pipeline_runs": [{"run_number": "x"}, {"run_number": 3}]}));
        assert_eq!(t.total, Some(2));
        assert_eq!(t.pipeline_runs.len(), 2);
        assert_eq!(t.pipeline_runs[1].run_number, Some(3));
    }

    #[test]
    fn merge_replaces_field_by_field() {
        let mut base = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut base, json!({"b": {"c": 5}, "e": [1], "a": null}));
        assert_eq!(base, json!({"a": 1, "b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
