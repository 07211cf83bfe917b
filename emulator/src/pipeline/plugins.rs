//! Extension plug-ins, publishers, basic plug-ins, service endpoints and extension modules.
//!
//! A plug-in is a set of versions of one `plugin_name` in an account: CreatePluginDraft makes a
//! new plug-in with its first draft, CreatePluginVersion a new draft of an existing one,
//! UpdatePluginDraft replaces a draft, PublishPluginDraft makes a draft formal, DeletePluginDraft
//! removes a draft; UpdatePluginBaseInfo changes what all versions share; PublishPlugin and
//! PublishPluginBind release a formal version under a publisher of the account. Basic plug-ins
//! (CreateBasicPlugin, UpdateBasicPlugin, UploadBasicPlugin, ShowBasicPlugin, DeleteBasicPlugin)
//! are single-step ones kept apart. The lists show the account's formal plug-ins beside the
//! official ones every account has ([`OFFICIAL`], the tasks the emulator's runs know).
//!
//! Service endpoints are not created through this API: every project has the emulator's own
//! endpoint [`ECHO_ENDPOINT`], and InvokeEndpointProxy through it answers with what it was sent
//! (the emulator reaches no outside service).

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::{Doc, Kind, answer, body, body_value, create_doc, domain_of, fmt_time, invalid, own_account, window};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, ok, shorten};
use crate::state::{EmulatorState, hex32};

/// The official plug-ins: (plugin_name, display name, business type).
pub(crate) const OFFICIAL: &[(&str, &str, &str)] = &[
    ("official_devcloud_autoTrigger", "Automatic trigger", "Normal"),
    ("official_devcloud_cloudBuild", "Build", "Build"),
    ("official_devcloud_codeCheck", "Code check", "Gate"),
    ("official_devcloud_apiTest", "API test", "Test"),
    ("official_devcloud_deploy", "Deploy", "Deploy"),
    ("official_devcloud_manualReview", "Manual review", "Normal"),
    ("official_devcloud_delay", "Delayed execution", "Normal"),
];

/// The UUID of the endpoint every project has.
pub(crate) const ECHO_ENDPOINT: &str = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0";

fn yes() -> Reply {
    ok(&true)
}

fn plugin_name(value: &Value) -> String {
    value.get("plugin_name").and_then(Value::as_str).unwrap_or_default().to_string()
}

fn version_of(d: &Doc) -> &str {
    d.value.get("version").and_then(Value::as_str).unwrap_or_default()
}

fn state_of(d: &Doc) -> &str {
    d.value.get("version_attribution").and_then(Value::as_str).unwrap_or("draft")
}

fn versions<'a>(data: &'a crate::state::Data, domain: &'a str, name: &'a str) -> impl Iterator<Item = &'a Doc> + 'a {
    data.pipeline.docs(Kind::PluginVersion, domain).filter(move |d| d.name == name)
}

fn plugin_not_found(name: &str, version: Option<&str>) -> ApiError {
    match version {
        Some(v) => super::not_found(format!("Plug-in {} has no version {}.", shorten(name), shorten(v))),
        None => super::not_found(format!("Plug-in {} does not exist.", shorten(name))),
    }
}

fn check_names(value: &Value) -> Result<(String, String), ApiError> {
    let name = plugin_name(value);
    if name.is_empty() || name.len() > 50 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(invalid("plugin_name has 1 to 50 letters, digits, _ and -."));
    }
    let version = value.get("version").and_then(Value::as_str).unwrap_or_default().to_string();
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(invalid("version is major.minor.patch, such as 0.0.1."));
    }
    Ok((name, version))
}

fn add_version(state: &EmulatorState, call: &Call<'_>, new_plugin: bool) -> Reply {
    let domain = own_account(state, call)?;
    let (_, mut value): (types::PluginDto, Value) = body_value(call)?;
    let (name, version) = check_names(&value)?;
    value["version_attribution"] = json!("draft");
    let now = state.now();
    let mut data = state.data();
    let exists = versions(&data, &domain, &name).next().is_some();
    if new_plugin && exists {
        return Err(invalid(format!("A plug-in named {name} already exists; add a version with CreatePluginVersion.")));
    }
    if !new_plugin && !exists {
        return Err(plugin_not_found(&name, None));
    }
    if versions(&data, &domain, &name).any(|d| version_of(d) == version) {
        return Err(invalid(format!("Plug-in {name} already has version {version}.")));
    }
    create_doc(&mut data, Kind::PluginVersion, &domain, &name, value, call.caller.user, now);
    yes()
}

/// `POST /v1/{domain_id}/agent-plugin/create-draft` (CreatePluginDraft).
pub(crate) fn create_plugin_draft(state: &EmulatorState, call: &Call<'_>) -> Reply {
    add_version(state, call, true)
}

/// `POST /v1/{domain_id}/agent-plugin/create` (CreatePluginVersion).
pub(crate) fn create_plugin_version(state: &EmulatorState, call: &Call<'_>) -> Reply {
    add_version(state, call, false)
}

/// The version `version` of plug-in `name` (the newest formal one, else the newest, without a
/// version).
fn find_version<'a>(
    data: &'a crate::state::Data,
    domain: &str,
    name: &str,
    version: Option<&str>,
) -> Result<&'a Doc, ApiError> {
    let all: Vec<&Doc> = data.pipeline.docs(Kind::PluginVersion, domain).filter(|d| d.name == name).collect();
    if all.is_empty() {
        return Err(plugin_not_found(name, None));
    }
    match version.filter(|v| !v.is_empty()) {
        Some(v) => all.into_iter().find(|d| version_of(d) == v).ok_or_else(|| plugin_not_found(name, Some(v))),
        None => Ok(all.iter().rev().find(|d| state_of(d) == "formal").copied().unwrap_or(all[all.len() - 1])),
    }
}

fn version_id(data: &crate::state::Data, domain: &str, name: &str, version: &str) -> Result<String, ApiError> {
    Ok(find_version(data, domain, name, Some(version))?.id.clone())
}

/// `POST /v1/{domain_id}/agent-plugin/edit-draft` (UpdatePluginDraft).
pub(crate) fn update_plugin_draft(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (_, mut value): (types::PluginDto, Value) = body_value(call)?;
    let (name, version) = check_names(&value)?;
    let now = state.now();
    let mut data = state.data();
    let id = version_id(&data, &domain, &name, &version)?;
    let doc = data.pipeline.doc_mut(Kind::PluginVersion, &domain, &id).ok_or_else(|| plugin_not_found(&name, None))?;
    if state_of(doc) != "draft" {
        return Err(super::conflict(format!("Version {version} of {name} is published; only drafts are edited.")));
    }
    value["version_attribution"] = json!("draft");
    doc.value = value;
    doc.updated = now;
    yes()
}

/// `POST /v1/{domain_id}/agent-plugin/publish-draft` (PublishPluginDraft): the draft becomes formal.
pub(crate) fn publish_plugin_draft(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let q: types::PluginPartQueryDto = body(call)?;
    let name = q.plugin_name.clone().unwrap_or_default();
    let version = q.version.clone().unwrap_or_default();
    let now = state.now();
    let mut data = state.data();
    let id = version_id(&data, &domain, &name, &version)?;
    let doc = data.pipeline.doc_mut(Kind::PluginVersion, &domain, &id).ok_or_else(|| plugin_not_found(&name, None))?;
    if state_of(doc) != "draft" {
        return Err(super::conflict(format!("Version {version} of {name} is not a draft.")));
    }
    doc.value["version_attribution"] = json!("formal");
    doc.updated = now;
    yes()
}

/// `DELETE /v1/{domain_id}/agent-plugin/delete-draft` (DeletePluginDraft).
pub(crate) fn delete_plugin_draft(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    let version = call.query.required("version")?.to_string();
    let mut data = state.data();
    let doc = find_version(&data, &domain, &name, Some(&version))?;
    if state_of(doc) != "draft" {
        return Err(super::conflict(format!("Version {version} of {name} is not a draft.")));
    }
    let id = doc.id.clone();
    data.pipeline.remove(Kind::PluginVersion, &domain, &id);
    yes()
}

/// `POST /v1/{domain_id}/agent-plugin/update-info` (UpdatePluginBaseInfo): the shared fields of
/// every version.
pub(crate) fn update_plugin_base_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::PluginBasicDto, Value) = body_value(call)?;
    let now = state.now();
    let mut data = state.data();
    let ids: Vec<String> = versions(&data, &domain, &request.plugin_name).map(|d| d.id.clone()).collect();
    if ids.is_empty() {
        return Err(plugin_not_found(&request.plugin_name, None));
    }
    for id in ids {
        if let Some(doc) = data.pipeline.doc_mut(Kind::PluginVersion, &domain, &id) {
            let mut patch = value.clone();
            if let Some(map) = patch.as_object_mut() {
                map.remove("plugin_name");
            }
            super::merge(&mut doc.value, patch);
            doc.updated = now;
        }
    }
    yes()
}

fn publish(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let request: types::PublishPluginDto = body(call)?;
    let now = state.now();
    let mut data = state.data();
    if !data.pipeline.docs(Kind::Publisher, &domain).any(|p| p.id.eq_ignore_ascii_case(&request.publisher_unique_id)) {
        return Err(super::not_found(format!("Publisher {} does not exist.", shorten(&request.publisher_unique_id))));
    }
    let id = version_id(&data, &domain, &request.plugin_name, &request.version)?;
    let doc = data
        .pipeline
        .doc_mut(Kind::PluginVersion, &domain, &id)
        .ok_or_else(|| plugin_not_found(&request.plugin_name, None))?;
    if state_of(doc) != "formal" {
        return Err(super::conflict("Only a formal version is released; publish the draft first."));
    }
    doc.value["plugin_attribution"] = json!("published");
    doc.value["publisher_unique_id"] = json!(request.publisher_unique_id);
    doc.updated = now;
    yes()
}

/// `POST /v1/{domain_id}/agent-plugin/publish-plugin` (PublishPlugin).
pub(crate) fn publish_plugin(state: &EmulatorState, call: &Call<'_>) -> Reply {
    publish(state, call)
}

/// `POST /v1/{domain_id}/agent-plugin/publish-plugin-bind` (PublishPluginBind).
pub(crate) fn publish_plugin_bind(state: &EmulatorState, call: &Call<'_>) -> Reply {
    publish(state, call)
}

/// The file part of a `multipart/form-data` upload named `upload_file`: its size, or 400.
fn uploaded_file(call: &Call<'_>) -> Result<usize, ApiError> {
    let content_type =
        call.headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .filter(|_| content_type.starts_with("multipart/form-data"))
        .ok_or_else(|| invalid("The body must be multipart/form-data with a boundary."))?;
    let body = String::from_utf8_lossy(&call.body);
    let delimiter = format!("--{boundary}");
    for part in body.split(&delimiter) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else { continue };
        if head.contains("name=\"upload_file\"") {
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            if content.is_empty() {
                return Err(invalid("upload_file is empty."));
            }
            return Ok(content.len());
        }
    }
    Err(invalid("The form has no upload_file part."))
}

fn icon_url(state: &EmulatorState, what: &str, name: &str) -> String {
    format!("https://devcloud-{}.obs.example.com/icons/{what}/{}.png", state.settings().region(), hex32(name))
}

/// `POST /v1/{domain_id}/common/upload-plugin-icon` (UploadPluginIcon): the icon's URL.
pub(crate) fn upload_plugin_icon(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    uploaded_file(call)?;
    let url = icon_url(state, "plugin", &format!("{domain}/{name}"));
    let mut data = state.data();
    let ids: Vec<String> = versions(&data, &domain, &name).map(|d| d.id.clone()).collect();
    for id in ids {
        if let Some(doc) = data.pipeline.doc_mut(Kind::PluginVersion, &domain, &id) {
            doc.value["icon_url"] = json!(url);
        }
    }
    ok(&url)
}

fn basic_vo(state: &EmulatorState, d: &Doc) -> Value {
    let user = state.settings().users.get(d.creator).map(|u| u.name.clone());
    let mut v = d.value.clone();
    super::merge(
        &mut v,
        json!({
            "unique_id": d.id, "plugin_name": d.name, "creator": user, "op_user": user,
            "create_time": fmt_time(d.created), "op_time": fmt_time(d.updated),
            "plugin_attribution": d.value.get("plugin_attribution").and_then(Value::as_str).unwrap_or("custom"),
            "version_attribution": state_of(d), "version_state": state_of(d), "active": 1,
            "refer_count": 0, "usage_count": 0, "workspace_id": d.owner,
        }),
    );
    v
}

/// The newest version of each of the account's plug-ins.
fn latest_per_plugin<'a>(data: &'a crate::state::Data, domain: &str) -> Vec<&'a Doc> {
    let mut out: Vec<&Doc> = Vec::new();
    for d in data.pipeline.docs(Kind::PluginVersion, domain) {
        match out.iter_mut().find(|o| o.name == d.name) {
            Some(slot) => *slot = d,
            None => out.push(d),
        }
    }
    out
}

/// `offset` and `limit` sent as strings.
fn string_paging(call: &Call<'_>) -> Result<(i64, i64), ApiError> {
    Ok((super::query_int(call, "offset", 0..=i64::from(i32::MAX), 0)?, super::query_int(call, "limit", 1..=100, 10)?))
}

/// `POST /v1/{domain_id}/agent-plugin/query-all` (ListPlugins): the account's plug-ins (custom)
/// and the official ones, by name and business type.
pub(crate) fn list_plugins(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (offset, limit) = string_paging(call)?;
    let q: types::AgentPluginInfoQueryDto =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let name = q.regex_name.clone().or(q.plugin_name.clone()).unwrap_or_default().to_lowercase();
    let types_wanted: Vec<String> = q.business_type.iter().flatten().map(|t| t.as_str().to_string()).collect();
    let attribution = q.plugin_attribution.as_ref().map(|a| a.as_str().to_string());
    let data = state.data();
    let mut items: Vec<Value> = Vec::new();
    if attribution.as_deref() != Some("official") {
        items.extend(latest_per_plugin(&data, &domain).into_iter().map(|d| basic_vo(state, d)));
    }
    if attribution.as_deref() != Some("custom") {
        items.extend(OFFICIAL.iter().map(|(n, display, kind)| {
            json!({"plugin_name": n, "display_name": display, "business_type": kind, "unique_id": hex32(n),
                "plugin_attribution": "official", "version": "1.0.0", "version_attribution": "formal",
                "plugin_composition_type": "single", "runtime_attribution": "agent", "active": 1})
        }));
    }
    items.retain(|v| {
        let n = v["plugin_name"].as_str().unwrap_or_default().to_lowercase();
        let display = v["display_name"].as_str().unwrap_or_default().to_lowercase();
        (n.contains(&name) || display.contains(&name))
            && (types_wanted.is_empty() || types_wanted.iter().any(|t| v["business_type"] == json!(t)))
    });
    let total = items.len();
    let page = window(items, offset, limit);
    answer::<types::PageInfoResponseListPluginBasicVo>(
        json!({"offset": offset, "limit": limit, "total": total, "data": page}),
    )
}

/// `GET /v1/{domain_id}/agent-plugin/query` (ListPLuginVersion): every version of a plug-in.
pub(crate) fn list_plugin_version(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    let (offset, limit) = string_paging(call)?;
    let data = state.data();
    let all: Vec<&Doc> = versions(&data, &domain, &name).collect();
    if all.is_empty() {
        return Err(plugin_not_found(&name, None));
    }
    let total = all.len();
    let page: Vec<Value> = window(all, offset, limit).into_iter().map(|d| basic_vo(state, d)).collect();
    answer::<types::PageInfoResponseListPluginBasicVo>(
        json!({"offset": offset, "limit": limit, "total": total, "data": page}),
    )
}

/// `GET /v1/{domain_id}/agent-plugin/all-version` (ListPluginVersionNumber).
pub(crate) fn list_plugin_version_number(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    let (offset, limit) = string_paging(call)?;
    let data = state.data();
    let all: Vec<String> = versions(&data, &domain, &name).map(|d| version_of(d).to_string()).collect();
    if all.is_empty() {
        return Err(plugin_not_found(&name, None));
    }
    let total = all.len();
    answer::<types::PageInfoResponseListString>(
        json!({"offset": offset, "limit": limit, "total": total, "data": window(all, offset, limit)}),
    )
}

/// `GET /v1/{domain_id}/agent-plugin/detail` (ShowPluginVersion).
pub(crate) fn show_plugin_version(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    let data = state.data();
    let doc = find_version(&data, &domain, &name, call.query.optional("version"))?;
    let mut v = basic_vo(state, doc);
    v["input_info"] = json!(
        doc.value
            .get("input_info")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| {
                let mut i = i.clone();
                i["plugin_name"] = json!(name);
                i["version"] = json!(version_of(doc));
                i["validation"] = Value::Null;
                i
            })
            .collect::<Vec<_>>()
    );
    v["plugin_execution"] = json!({"type": "Shell", "target": doc.value.pointer("/execution_info/inner_execution_info/execution_type"), "file_path": null});
    answer::<types::PluginInstanceVo>(v)
}

fn parts(state: &EmulatorState, call: &Call<'_>, field: &str) -> Result<Vec<Value>, ApiError> {
    let domain = own_account(state, call)?;
    let queries: Vec<types::PluginPartQueryDto> = body(call)?;
    let data = state.data();
    let mut out = Vec::new();
    for q in queries {
        let name = q.plugin_name.clone().unwrap_or_default();
        let doc = find_version(&data, &domain, &name, q.version.as_deref())?;
        let items: Vec<Value> = doc
            .value
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| {
                let mut i = i.clone();
                if field == "output_info" {
                    i = json!({"output_key": i.get("name"), "output_value": i.get("source")});
                } else {
                    i["validation"] = Value::Null;
                    i["label"] = i.get("name").cloned().unwrap_or_default();
                }
                i["plugin_name"] = json!(name);
                i["version"] = json!(version_of(doc));
                i["unique_id"] = json!(doc.id);
                i["workspace_id"] = json!(domain);
                i
            })
            .collect();
        out.push(json!({"plugin_name": name, "display_name": doc.value.get("display_name"), "data": items}));
    }
    Ok(out)
}

/// `POST /v1/{domain_id}/agent-plugin/plugin-input` (ShowPluginInputs).
pub(crate) fn show_plugin_inputs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    answer::<Vec<types::PluginPartQueryVoListAgentPluginInputVo>>(Value::Array(parts(state, call, "input_info")?))
}

/// `POST /v1/{domain_id}/agent-plugin/plugin-output` (ShowPluginOutputs).
pub(crate) fn show_plugin_outputs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    answer::<Vec<types::PluginPartQueryVoListAgentPluginOutputVo>>(Value::Array(parts(state, call, "output_info")?))
}

/// `POST /v1/{domain_id}/agent-plugin/plugin-metrics` (ShowPluginMetrics): the outputs usable as
/// metrics (those a rule can put thresholds on).
pub(crate) fn show_plugin_metrics(state: &EmulatorState, call: &Call<'_>) -> Reply {
    answer::<Vec<types::PluginPartQueryVoListAgentPluginOutputVo>>(Value::Array(parts(state, call, "output_info")?))
}

/// Every plug-in a pipeline may use, grouped by business type: the official ones and the
/// account's formal versions.
fn by_business_type(state: &EmulatorState, domain: &str, wanted: Option<&str>, name: &str) -> Vec<Value> {
    let data = state.data();
    let mut plugins: Vec<(String, Value)> = OFFICIAL
        .iter()
        .map(|(n, display, kind)| {
            (
                kind.to_string(),
                json!({"plugin_name": n, "display_name": display, "unique_id": hex32(n),
                "plugin_attribution": "official", "version_attribution": "formal", "plugin_composition_type": "single",
                "runtime_attribution": "agent", "standard": true, "disabled": false, "multi_step_editable": 0,
                "manifest_version": "3.0", "all_steps": []}),
            )
        })
        .collect();
    for d in latest_per_plugin(&data, domain).into_iter().filter(|d| state_of(d) == "formal") {
        let kind = d.value.get("business_type").and_then(Value::as_str).unwrap_or("Normal").to_string();
        plugins.push((
            kind,
            json!({"plugin_name": d.name, "display_name": d.value.get("display_name"), "unique_id": d.id,
            "plugin_attribution": d.value.get("plugin_attribution").and_then(Value::as_str).unwrap_or("custom"),
            "version_attribution": "formal", "plugin_composition_type": "single", "standard": false, "disabled": false,
            "multi_step_editable": 0, "all_steps": []}),
        ));
    }
    let mut groups: Vec<Value> = Vec::new();
    for kind in ["Build", "Gate", "Deploy", "Test", "Normal"] {
        if wanted.is_some_and(|w| !w.is_empty() && w != kind) {
            continue;
        }
        let list: Vec<Value> = plugins
            .iter()
            .filter(|(k, v)| {
                k == kind
                    && (v["plugin_name"].as_str().unwrap_or_default().to_lowercase().contains(name)
                        || v["display_name"].as_str().unwrap_or_default().to_lowercase().contains(name))
            })
            .map(|(_, v)| v.clone())
            .collect();
        if !list.is_empty() {
            groups.push(json!({"business_type": kind, "display_name": kind, "unique_id": hex32(kind),
                "editable": true, "removable": true, "cloneable": true, "disabled": false, "conditions": [],
                "addables": [], "plugins_list": list}));
        }
    }
    groups
}

/// `POST /v1/{domain_id}/relation/stage-plugins` (ListStagePlugins).
pub(crate) fn list_stage_plugins(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let _: types::StagePluginsQueryDto =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let groups = by_business_type(state, &domain, None, "");
    answer::<types::FullStagePluginsRelationVo>(json!({ "full_stage_plugins_item_list": groups }))
}

/// `POST /v1/{domain_id}/relation/plugins` (ListBasePluginsNewPost).
pub(crate) fn list_base_plugins_new_post(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let offset = call.query.required_int("offset", 0..=i64::from(i32::MAX))?;
    let limit = call.query.required_int("limit", 1..=100)?;
    let q: types::BusinessTypePluginsQueryDto =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let name = q.regex_name.clone().unwrap_or_default().to_lowercase();
    let groups = by_business_type(state, &domain, q.business_type.as_deref(), &name);
    let total = groups.len();
    answer::<types::PageInfoBusinessTypeDefinitionVo>(
        json!({"offset": offset, "limit": limit, "total": total, "data": window(groups, offset, limit)}),
    )
}

/// `GET /v1/{domain_id}/relation/plugin/single` (ListBasePlugins): single-step plug-ins of an
/// attribution (`official` or `custom`).
pub(crate) fn list_base_plugins(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let attribution = call.query.required("attribution")?.to_ascii_lowercase();
    let (offset, limit) = string_paging(call)?;
    let data = state.data();
    let mut items: Vec<Value> = Vec::new();
    if attribution == "official" {
        items.extend(OFFICIAL.iter().map(|(n, display, _)| {
            json!({"name": n, "display_name": display, "plugin_attribution": "official", "manifest_version": "3.0"})
        }));
    } else {
        items.extend(data.pipeline.docs(Kind::BasicPlugin, &domain).map(|d| {
            json!({"name": d.name, "display_name": d.value.get("display_name"), "description": d.value.get("description"),
                "icon_url": d.value.get("icon_url"), "plugin_attribution": "custom", "manifest_version": "3.0"})
        }));
    }
    let total = items.len();
    answer::<types::PageInfoOptionalSinglePluginVo>(
        json!({"offset": offset, "limit": limit, "total": total, "data": window(items, offset, limit)}),
    )
}

// ---------------------------------------------------------------- publishers

fn publisher_vo(state: &EmulatorState, d: &Doc) -> Value {
    let user = state.settings().users.get(d.creator);
    let mut v = d.value.clone();
    super::merge(
        &mut v,
        json!({"publisher_unique_id": d.id, "tenant_id": d.owner, "user_id": user.map(|u| u.id.clone()),
            "last_update_user_id": user.map(|u| u.id.clone()), "last_update_user_name": user.map(|u| u.name.clone()),
            "last_update_time": fmt_time(d.updated), "auth_status": "authorized", "is_delete": 0}),
    );
    v
}

/// `POST /v1/{domain_id}/publisher/create` (CreatePublisher): English names are unique.
pub(crate) fn create_publisher(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::PublisherRequest, Value) = body_value(call)?;
    if request.name.trim().is_empty() || request.en_name.trim().is_empty() {
        return Err(invalid("name and en_name must not be empty."));
    }
    let now = state.now();
    let mut data = state.data();
    if data.pipeline.docs(Kind::Publisher, &domain).any(|d| d.value.get("en_name") == Some(&json!(request.en_name))) {
        return Err(invalid(format!("A publisher named {} already exists.", shorten(&request.en_name))));
    }
    create_doc(&mut data, Kind::Publisher, &domain, &request.name, value, call.caller.user, now);
    yes()
}

/// `DELETE /v1/{domain_id}/publisher/delete` (DeletePublisher).
pub(crate) fn delete_publisher(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let id = call.query.required("publisher_unique_id")?.to_string();
    let mut data = state.data();
    if !data.pipeline.remove(Kind::Publisher, &domain, &id) {
        return Err(super::not_found(format!("Publisher {} does not exist.", shorten(&id))));
    }
    yes()
}

/// `POST /v1/{domain_id}/publisher/detail` (ShowPublisher): the named publishers by unique ID.
pub(crate) fn show_publisher(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let ids: Vec<String> = body(call)?;
    let data = state.data();
    let mut map = serde_json::Map::new();
    for id in &ids {
        let d = data
            .pipeline
            .doc(Kind::Publisher, &domain, id)
            .ok_or_else(|| super::not_found(format!("Publisher {} does not exist.", shorten(id))))?;
        map.insert(d.id.clone(), publisher_vo(state, d));
    }
    super::answer_map::<types::PublisherDetail>(json!({ "publisher_detail_map": map }))
}

/// `GET /v1/{domain_id}/publisher/query-all` (ListPublisher).
pub(crate) fn list_publisher(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (offset, limit) = string_paging(call)?;
    let name = call.query.optional("name").unwrap_or_default().to_lowercase();
    let data = state.data();
    let items: Vec<Value> = data
        .pipeline
        .docs(Kind::Publisher, &domain)
        .filter(|d| d.name.to_lowercase().contains(&name))
        .map(|d| publisher_vo(state, d))
        .collect();
    let total = items.len();
    answer::<types::PageInfoPublisherVo>(
        json!({"offset": offset, "limit": limit, "total": total, "data": window(items, offset, limit)}),
    )
}

/// `GET /v1/{domain_id}/publisher/optional-publisher` (ListAvailablePublisher).
pub(crate) fn list_available_publisher(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let data = state.data();
    let items: Vec<Value> = data.pipeline.docs(Kind::Publisher, &domain).map(|d| publisher_vo(state, d)).collect();
    answer::<Vec<types::PublisherVo>>(Value::Array(items))
}

/// `POST /v1/{domain_id}/common/upload-publisher-icon` (UploadPublisherIcon): the icon's URL.
pub(crate) fn upload_publisher_icon(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    uploaded_file(call)?;
    let name = call.query.optional("publisher_en_name").unwrap_or("publisher").to_string();
    let url = icon_url(state, "publisher", &format!("{domain}/{name}"));
    let mut data = state.data();
    let ids: Vec<String> = data
        .pipeline
        .docs(Kind::Publisher, &domain)
        .filter(|d| d.value.get("en_name") == Some(&json!(name)))
        .map(|d| d.id.clone())
        .collect();
    for id in ids {
        if let Some(doc) = data.pipeline.doc_mut(Kind::Publisher, &domain, &id) {
            doc.value["logo_url"] = json!(url);
        }
    }
    ok(&url)
}

// ---------------------------------------------------------------- basic plug-ins

/// `POST /v3/{domain_id}/extension/info/add` (CreateBasicPlugin).
pub(crate) fn create_basic_plugin(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, mut value): (types::PluginBasicDto, Value) = body_value(call)?;
    if request.plugin_name.trim().is_empty() {
        return Err(invalid("plugin_name must not be empty."));
    }
    let now = state.now();
    let mut data = state.data();
    if data.pipeline.docs(Kind::BasicPlugin, &domain).any(|d| d.name == request.plugin_name) {
        return Err(invalid(format!("A basic plug-in named {} already exists.", shorten(&request.plugin_name))));
    }
    value["versions"] = json!([]);
    create_doc(&mut data, Kind::BasicPlugin, &domain, &request.plugin_name, value, call.caller.user, now);
    yes()
}

fn basic_id(data: &crate::state::Data, domain: &str, name: &str) -> Result<String, ApiError> {
    data.pipeline
        .docs(Kind::BasicPlugin, domain)
        .find(|d| d.name == name)
        .map(|d| d.id.clone())
        .ok_or_else(|| plugin_not_found(name, None))
}

/// `POST /v3/{domain_id}/extension/info/update` (UpdateBasicPlugin).
pub(crate) fn update_basic_plugin(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::PluginBasicDto, Value) = body_value(call)?;
    let now = state.now();
    let mut data = state.data();
    let id = basic_id(&data, &domain, &request.plugin_name)?;
    if let Some(doc) = data.pipeline.doc_mut(Kind::BasicPlugin, &domain, &id) {
        super::merge(&mut doc.value, value);
        doc.updated = now;
    }
    yes()
}

/// `DELETE /v3/{domain_id}/extension/info/delete` (DeleteBasicPlugin): one version, or the
/// plug-in without `version`.
pub(crate) fn delete_basic_plugin(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    call.query.required("type")?;
    let mut data = state.data();
    let id = basic_id(&data, &domain, &name)?;
    match call.query.optional("version").filter(|v| !v.is_empty()) {
        None => {
            data.pipeline.remove(Kind::BasicPlugin, &domain, &id);
        }
        Some(version) => {
            let doc =
                data.pipeline.doc_mut(Kind::BasicPlugin, &domain, &id).ok_or_else(|| plugin_not_found(&name, None))?;
            let versions = doc.value["versions"].as_array_mut();
            let Some(versions) = versions else { return Err(plugin_not_found(&name, Some(version))) };
            let before = versions.len();
            versions.retain(|v| v.get("version") != Some(&json!(version)));
            if versions.len() == before {
                return Err(plugin_not_found(&name, Some(version)));
            }
        }
    }
    yes()
}

/// `POST /v3/{domain_id}/extension/upload` (UploadBasicPlugin): a new version of a basic plug-in
/// (created if need be) from an uploaded package; its version is one more than the last.
pub(crate) fn upload_basic_plugin(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    let business_type = call.query.required("business_type")?.to_string();
    let size = uploaded_file(call)?;
    let now = state.now();
    let mut data = state.data();
    let id = match basic_id(&data, &domain, &name) {
        Ok(id) => id,
        Err(_) => create_doc(
            &mut data,
            Kind::BasicPlugin,
            &domain,
            &name,
            json!({"plugin_name": name, "display_name": name, "business_type": business_type, "versions": []}),
            call.caller.user,
            now,
        ),
    };
    let doc = data.pipeline.doc_mut(Kind::BasicPlugin, &domain, &id).ok_or_else(|| plugin_not_found(&name, None))?;
    let count = doc.value["versions"].as_array().map_or(0, Vec::len);
    let version = format!("0.0.{}", count + 1);
    if let Some(versions) = doc.value["versions"].as_array_mut() {
        versions.push(
            json!({"version": version, "size": size, "sha256": hex32(&format!("{id}/{version}")) + &hex32(&version)}),
        );
    }
    doc.updated = now;
    yes()
}

/// `GET /v3/{domain_id}/extension/detail` (ShowBasicPlugin).
pub(crate) fn show_basic_plugin(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let name = call.query.required("plugin_name")?.to_string();
    let version = call.query.required("version")?.to_string();
    let data = state.data();
    let id = basic_id(&data, &domain, &name)?;
    let doc = data.pipeline.doc(Kind::BasicPlugin, &domain, &id).ok_or_else(|| plugin_not_found(&name, None))?;
    let found = doc.value["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v.get("version") == Some(&json!(version)))
        .cloned()
        .ok_or_else(|| plugin_not_found(&name, Some(&version)))?;
    answer::<types::NewExtension>(json!({
        "name": name, "friendly_name": doc.value.get("display_name"), "description": doc.value.get("description"),
        "category": doc.value.get("business_type"), "type": "single", "version": version,
        "version_description": null, "inputs": [], "outputs": [], "data_source_bindings": [],
        "execution": {"sha256": found.get("sha256"), "type": "package"},
    }))
}

// ---------------------------------------------------------------- endpoints and modules

fn echo_endpoint(state: &EmulatorState, project: &str, region: &str) -> Value {
    let user = state.settings().users.first();
    json!({
        "uuid": ECHO_ENDPOINT, "name": "emulator-echo", "module_id": "devcloud.emulator.echo",
        "project_uuid": project, "region_name": region, "url": "https://echo.emulator.invalid",
        "created_by": {"user_id": user.map(|u| u.id.clone()), "username": user.map(|u| u.name.clone())},
        "data": {"description": "The emulator's endpoint: a proxied call through it answers with what it was sent."},
    })
}

/// `GET /v1/serviceconnection/endpoints` (ListEndpointsDetails): the endpoint every project has.
pub(crate) fn list_endpoints_details(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.query.required("project_uuid")?.to_string();
    let region = call.query.required("region_name")?.to_string();
    let module = call.query.optional("module_id").filter(|m| !m.is_empty());
    let offset = call.query.optional_int("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = call.query.optional_int("limit", 1..=100, 10)?;
    let all: Vec<Value> = vec![echo_endpoint(state, &project, &region)]
        .into_iter()
        .filter(|e| module.is_none_or(|m| e["module_id"] == m))
        .collect();
    let total = all.len();
    answer::<types::ResponseEndpointList>(
        json!({"status": "success", "result": {"total": total, "endpoints": window(all, offset, limit)}}),
    )
}

/// `POST /v1/serviceconnection/endpointproxy` (InvokeEndpointProxy): through the echo endpoint,
/// the call's data back.
pub(crate) fn invoke_endpoint_proxy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (request, _): (types::EndpointProxyParam, Value) = body_value(call)?;
    let endpoint = request.endpoint_uuid.clone().unwrap_or_default();
    if !endpoint.eq_ignore_ascii_case(ECHO_ENDPOINT) {
        return Err(super::not_found(format!("Endpoint {} does not exist.", shorten(&endpoint))));
    }
    let _ = domain_of(state, call);
    answer::<types::ResponseObject>(json!({
        "status": "success",
        "result": {"url": request.url, "datasource_name": request.datasource_name, "data": request.data},
    }))
}

/// `GET /v2/extensions/modules` (ListModulesDetail): the official plug-ins and the account's basic
/// plug-ins as extension modules, keyed by extension point (`locations`).
pub(crate) fn list_modules_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let locations: Vec<String> = call
        .query
        .required("locations")?
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    let name = call.query.optional("name").unwrap_or_default().to_lowercase();
    let domain = domain_of(state, call);
    let data = state.data();
    let mut modules: Vec<Value> = OFFICIAL
        .iter()
        .enumerate()
        .map(|(i, (n, display, kind))| {
            json!({"id": i + 1, "module_id": n, "name": display, "type": kind, "publisher": "official",
                "version": "1.0.0", "manifest_version": "3.0", "categories": [kind], "tags": [], "properties_list": []})
        })
        .collect();
    let first_custom = modules.len();
    modules.extend(data.pipeline.docs(Kind::BasicPlugin, &domain).enumerate().map(|(i, d)| {
        json!({"id": first_custom + i + 1, "module_id": d.name, "name": d.value.get("display_name"),
            "type": d.value.get("business_type"), "publisher": "custom", "version": "0.0.1",
            "categories": [d.value.get("business_type")], "tags": [], "properties_list": []})
    }));
    modules.retain(|m| {
        m["module_id"].as_str().unwrap_or_default().to_lowercase().contains(&name)
            || m["name"].as_str().unwrap_or_default().to_lowercase().contains(&name)
    });
    let mut result = serde_json::Map::new();
    for location in locations {
        let list: Vec<Value> = modules
            .iter()
            .map(|m| {
                let mut m = m.clone();
                m["location"] = json!(location);
                m
            })
            .collect();
        result.insert(location, json!({"total": list.len(), "data": list}));
    }
    answer::<types::ResponseExtensionModuleList>(json!({"status": "success", "result": result}))
}
