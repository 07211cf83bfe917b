//! Rules and policies (rule sets) of a tenant: CreateRule, UpdateRule, DeleteRule, ShowRule,
//! ListRule; CreateStrategy, UpdateStrategy, DeleteStrategy, ShowStrategy, SwitchStrategy,
//! ListStrategy; the project views ListProjectStrategy and ShowProjectStrategy; and the deprecated
//! open-source governance policies, the same way.
//!
//! A policy's rules must exist (a rule in use by a policy cannot be deleted). The emulator has no
//! project-level policies of its own: a project sees its tenant's policies (`level` `tenant`), which
//! ListProjectStrategy lists when `include_tenant_rule_set` is true.

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::{Doc, Kind, answer, body, body_value, create_doc, domain_of, fmt_time, invalid, own_account, window};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, shorten};
use crate::state::{Data, EmulatorState};

fn name_ok(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > 128 {
        return Err(invalid("name must have 1 to 128 characters."));
    }
    Ok(())
}

fn user_name(state: &EmulatorState, d: &Doc) -> Option<String> {
    state.settings().users.get(d.creator).map(|u| u.name.clone())
}

fn version(d: &Doc) -> String {
    format!("{}.0.0", d.value.get("revision").and_then(Value::as_i64).unwrap_or(1))
}

/// Paging of the v2 lists: `offset` (items) and `limit` (1–100).
fn paging(call: &Call<'_>, required: bool) -> Result<(i64, i64), ApiError> {
    if required {
        Ok((call.query.required_int("offset", 0..=i64::from(i32::MAX))?, call.query.required_int("limit", 1..=100)?))
    } else {
        Ok((
            call.query.optional_int("offset", 0..=i64::from(i32::MAX), 0)?,
            call.query.optional_int("limit", 1..=100, 10)?,
        ))
    }
}

fn bump(d: &mut Doc, value: Value, now: std::time::SystemTime) {
    let revision = d.value.get("revision").and_then(Value::as_i64).unwrap_or(1) + 1;
    d.value = value;
    d.value["revision"] = json!(revision);
    d.updated = now;
}

// ---------------------------------------------------------------- rules

fn rule_not_found(id: &str) -> ApiError {
    super::not_found(format!("Rule {} does not exist.", shorten(id)))
}

/// `POST /v2/{domain_id}/rules/create` (CreateRule).
pub(crate) fn create_rule(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::CreateRuleReq, Value) = body_value(call)?;
    name_ok(&request.name)?;
    let now = state.now();
    let mut data = state.data();
    let id = create_doc(&mut data, Kind::Rule, &domain, &request.name, value, call.caller.user, now);
    answer::<types::CreateRuleResp>(json!({"rule_id": id, "status": true}))
}

/// `PUT /v2/{domain_id}/rules/{rule_id}/update` (UpdateRule): replaces it (a new version).
pub(crate) fn update_rule(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::UpdateRuleReq, Value) = body_value(call)?;
    name_ok(&request.name)?;
    let id = call.path("rule_id");
    let now = state.now();
    let mut data = state.data();
    let doc = data.pipeline.doc_mut(Kind::Rule, &domain, id).ok_or_else(|| rule_not_found(id))?;
    doc.name = request.name;
    bump(doc, value, now);
    answer::<types::UpdateRuleResp>(json!({"rule_id": doc.id, "status": true}))
}

fn policies_using(data: &Data, domain: &str, rule: &str) -> usize {
    data.pipeline
        .docs(Kind::Strategy, domain)
        .filter(|s| {
            s.value.get("rules").and_then(Value::as_array).is_some_and(|rules| {
                rules.iter().any(|r| r.get("id").and_then(Value::as_str).is_some_and(|i| i.eq_ignore_ascii_case(rule)))
            })
        })
        .count()
}

/// `DELETE /v2/{domain_id}/rules/{rule_id}/delete` (DeleteRule).
pub(crate) fn delete_rule(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let id = call.path("rule_id");
    let mut data = state.data();
    if data.pipeline.doc(Kind::Rule, &domain, id).is_none() {
        return Err(rule_not_found(id));
    }
    if policies_using(&data, &domain, id) > 0 {
        return Err(super::conflict(format!("Rule {id} is used by a policy; remove it from the policy first.")));
    }
    data.pipeline.remove(Kind::Rule, &domain, id);
    answer::<types::DeleteResp>(json!({"status": true}))
}

fn rule_json(state: &EmulatorState, d: &Doc) -> Value {
    let mut v = d.value.clone();
    super::merge(
        &mut v,
        json!({
            "id": d.id, "name": d.name, "version": version(d), "is_valid": true,
            "creator": user_name(state, d), "updater": user_name(state, d), "operator": user_name(state, d),
            "create_time": fmt_time(d.created), "update_time": fmt_time(d.updated),
            "operate_time": super::ms(d.updated),
        }),
    );
    v
}

/// `GET /v2/{domain_id}/rules/{rule_id}/detail` (ShowRule).
pub(crate) fn show_rule(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let id = call.path("rule_id");
    let data = state.data();
    let doc = data.pipeline.doc(Kind::Rule, &domain, id).ok_or_else(|| rule_not_found(id))?;
    answer::<types::RuleDetail>(rule_json(state, doc))
}

/// `GET /v2/{domain_id}/rules/query` (ListRule): by `type` and name (substring).
pub(crate) fn list_rule(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (offset, limit) = paging(call, true)?;
    let kind = call.query.optional("type").filter(|t| !t.is_empty());
    let name = call.query.optional("name").unwrap_or_default().to_lowercase();
    let data = state.data();
    let docs: Vec<&Doc> = data
        .pipeline
        .docs(Kind::Rule, &domain)
        .filter(|d| kind.is_none_or(|k| d.value.get("type").and_then(Value::as_str) == Some(k)))
        .filter(|d| d.name.to_lowercase().contains(&name))
        .collect();
    let total = docs.len();
    let items: Vec<Value> = window(docs, offset, limit).into_iter().map(|d| rule_json(state, d)).collect();
    answer::<types::RulePageResp>(json!({"total": total, "data": items}))
}

// ---------------------------------------------------------------- policies

fn strategy_not_found(id: &str) -> ApiError {
    super::not_found(format!("Policy {} does not exist.", shorten(id)))
}

/// Checks that every rule a policy names exists.
fn rules_exist(data: &Data, domain: &str, value: &Value) -> Result<(), ApiError> {
    for (i, rule) in value.get("rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let id = rule.get("id").and_then(Value::as_str).unwrap_or_default();
        if data.pipeline.doc(Kind::Rule, domain, id).is_none() {
            return Err(invalid(format!("rules[{i}].id: rule {} does not exist.", shorten(id))));
        }
    }
    Ok(())
}

fn strategy_json(state: &EmulatorState, data: &Data, domain: &str, d: &Doc) -> Value {
    let instances: Vec<Value> = d
        .value
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r.get("id")?.as_str()?;
            let rule = data.pipeline.doc(Kind::Rule, domain, id)?;
            Some(json!({
                "id": rule.id, "name": rule.name, "type": rule.value.get("type"), "version": version(rule),
                "is_valid": r.get("is_valid").and_then(Value::as_bool).unwrap_or(true), "editable": true,
                "plugin_id": rule.value.get("plugin_id"), "plugin_name": rule.value.get("plugin_name"),
                "plugin_version": rule.value.get("plugin_version"),
                "content": rule.value.get("content").and_then(Value::as_array).into_iter().flatten().map(|c| json!({
                    "group_name": c.get("group_name"), "can_modify_when_inherit": c.get("can_modify_when_inherit"),
                    "properties": c.get("properties"),
                })).collect::<Vec<_>>(),
            }))
        })
        .collect();
    json!({
        "id": d.id, "name": d.name, "type": "Build", "level": "tenant", "version": version(d),
        "is_valid": d.value.get("is_valid").and_then(Value::as_bool).unwrap_or(true), "is_public": false,
        "is_legacy": false, "creator": user_name(state, d), "updater": user_name(state, d),
        "operator": user_name(state, d), "operate_time": super::ms(d.updated),
        "create_time": fmt_time(d.created), "update_time": fmt_time(d.updated), "rule_instances": instances,
        "content": d.value.get("content"), "parent_id": d.value.get("parent_id"),
    })
}

/// `POST /v2/{domain_id}/tenant/rule-sets/create` (CreateStrategy).
pub(crate) fn create_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::CreateRuleSetReq, Value) = body_value(call)?;
    name_ok(&request.name)?;
    let now = state.now();
    let mut data = state.data();
    rules_exist(&data, &domain, &value)?;
    let id = create_doc(&mut data, Kind::Strategy, &domain, &request.name, value, call.caller.user, now);
    answer::<types::CreateRuleSetResp>(json!({"rule_set_id": id, "status": true}))
}

/// `PUT /v2/{domain_id}/tenant/rule-sets/{rule_set_id}/update` (UpdateStrategy).
pub(crate) fn update_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::UpdateRuleSetReq, Value) = body_value(call)?;
    name_ok(&request.name)?;
    let id = call.path("rule_set_id");
    let now = state.now();
    let mut data = state.data();
    rules_exist(&data, &domain, &value)?;
    let doc = data.pipeline.doc_mut(Kind::Strategy, &domain, id).ok_or_else(|| strategy_not_found(id))?;
    let valid = doc.value.get("is_valid").cloned();
    doc.name = request.name;
    bump(doc, value, now);
    if let Some(valid) = valid {
        doc.value["is_valid"] = valid;
    }
    answer::<types::UpdateRuleSetResp>(json!({"rule_set_id": doc.id, "status": true}))
}

fn delete_kind(state: &EmulatorState, call: &Call<'_>, kind: Kind) -> Reply {
    let domain = own_account(state, call)?;
    let id = call.path("rule_set_id");
    let mut data = state.data();
    if !data.pipeline.remove(kind, &domain, id) {
        return Err(strategy_not_found(id));
    }
    answer::<types::DeleteResp>(json!({"status": true}))
}

/// `DELETE /v2/{domain_id}/tenant/rule-sets/{rule_set_id}/delete` (DeleteStrategy).
pub(crate) fn delete_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    delete_kind(state, call, Kind::Strategy)
}

fn show_kind(state: &EmulatorState, call: &Call<'_>, kind: Kind, domain: &str) -> Result<Value, ApiError> {
    let id = call.path("rule_set_id");
    let data = state.data();
    let doc = data.pipeline.doc(kind, domain, id).ok_or_else(|| strategy_not_found(id))?;
    Ok(strategy_json(state, &data, domain, doc))
}

/// `GET /v2/{domain_id}/tenant/rule-sets/{rule_set_id}/detail` (ShowStrategy).
pub(crate) fn show_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    answer::<types::RuleSetDetail>(show_kind(state, call, Kind::Strategy, &domain)?)
}

/// `GET /v2/{project_id}/rule-sets/{rule_set_id}/gray/detail` (ShowProjectStrategy): a tenant
/// policy seen from a project.
pub(crate) fn show_project_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = domain_of(state, call);
    answer::<types::RuleSetDetail>(show_kind(state, call, Kind::Strategy, &domain)?)
}

fn switch_kind(state: &EmulatorState, call: &Call<'_>, kind: Kind) -> Reply {
    let domain = own_account(state, call)?;
    let request: types::UpdateRuleSetStatusReq = body(call)?;
    let id = call.path("rule_set_id");
    let now = state.now();
    let mut data = state.data();
    let doc = data.pipeline.doc_mut(kind, &domain, id).ok_or_else(|| strategy_not_found(id))?;
    doc.value["is_valid"] = json!(request.is_valid);
    doc.updated = now;
    answer::<types::UpdateRuleSetStatusResp>(json!({"rule_set_id": doc.id, "status": true}))
}

/// `PUT /v2/{domain_id}/tenant/rule-sets/{rule_set_id}/switch` (SwitchStrategy): turns it on or off.
pub(crate) fn switch_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    switch_kind(state, call, Kind::Strategy)
}

fn list_kind(
    state: &EmulatorState,
    call: &Call<'_>,
    kind: Kind,
    domain: &str,
    required: bool,
) -> Result<Value, ApiError> {
    let (offset, limit) = paging(call, required)?;
    let name = call.query.optional("name").unwrap_or_default().to_lowercase();
    let valid = call.query.optional_choice("is_valid", &["true", "false"])?.map(|v| v == "true");
    let creator = call.query.optional("creator_name").filter(|c| !c.is_empty());
    let data = state.data();
    let docs: Vec<&Doc> = data
        .pipeline
        .docs(kind, domain)
        .filter(|d| d.name.to_lowercase().contains(&name))
        .filter(|d| valid.is_none_or(|v| d.value.get("is_valid").and_then(Value::as_bool).unwrap_or(true) == v))
        .filter(|d| creator.is_none_or(|c| user_name(state, d).as_deref() == Some(c)))
        .collect();
    let total = docs.len();
    let items: Vec<Value> =
        window(docs, offset, limit).into_iter().map(|d| strategy_json(state, &data, domain, d)).collect();
    Ok(json!({"total": total, "data": items}))
}

/// `GET /v2/{domain_id}/tenant/rule-sets/query` (ListStrategy).
pub(crate) fn list_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    call.query.optional_choice("include_tenant_rule_set", &["true", "false"])?;
    answer::<types::RuleSetPageResp>(list_kind(state, call, Kind::Strategy, &domain, true)?)
}

/// `GET /v2/{project_id}/rule-sets/query` (ListProjectStrategy): the tenant's policies when
/// `include_tenant_rule_set` is true, else none (the project has none of its own).
pub(crate) fn list_project_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let include = call.query.optional_choice("include_tenant_rule_set", &["true", "false"])? == Some("true");
    let domain = domain_of(state, call);
    let mut page = list_kind(state, call, Kind::Strategy, &domain, true)?;
    if !include {
        page = json!({"total": 0, "data": []});
    }
    answer::<types::RuleSetPageResp>(page)
}

// ---------------------------------------------------------------- open-source governance policies

/// `POST /v2/{domain_id}/tenant/open-source/rule-sets/create` (CreateOpenSourceStrategy).
pub(crate) fn create_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::CreateOpenSourceRuleSetReq, Value) = body_value(call)?;
    name_ok(&request.name)?;
    let now = state.now();
    let mut data = state.data();
    let id = create_doc(&mut data, Kind::OpenSourceStrategy, &domain, &request.name, value, call.caller.user, now);
    let doc = data.pipeline.doc(Kind::OpenSourceStrategy, &domain, &id).cloned();
    let v = doc.map(|d| strategy_json(state, &data, &domain, &d)).unwrap_or_default();
    super::answer_map::<types::OpenSourceStrategyResult>(v)
}

/// `PUT /v2/{domain_id}/tenant/open-source/rule-sets/{rule_set_id}/update` (UpdateOpenSourceStrategy).
pub(crate) fn update_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let (request, value): (types::UpdateOpenSourceRuleSetReq, Value) = body_value(call)?;
    name_ok(&request.name)?;
    let id = call.path("rule_set_id");
    let now = state.now();
    let mut data = state.data();
    let doc = data.pipeline.doc_mut(Kind::OpenSourceStrategy, &domain, id).ok_or_else(|| strategy_not_found(id))?;
    doc.name = request.name;
    bump(doc, value, now);
    let doc = doc.clone();
    super::answer_map::<types::OpenSourceStrategyResult>(strategy_json(state, &data, &domain, &doc))
}

/// `GET /v2/{domain_id}/tenant/open-source/rule-sets/{rule_set_id}/detail` (ShowOpenSourceStrategy).
pub(crate) fn show_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    answer::<types::OpenSourceRuleSetDetail>(show_kind(state, call, Kind::OpenSourceStrategy, &domain)?)
}

/// `GET /v2/{project_id}/open-source/rule-sets/{rule_set_id}/detail` (ShowProjectOpenSourceStrategy).
pub(crate) fn show_project_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = domain_of(state, call);
    answer::<types::OpenSourceRuleSetDetail>(show_kind(state, call, Kind::OpenSourceStrategy, &domain)?)
}

/// `GET /v2/{domain_id}/tenant/open-source/rule-sets/query` (ListOpenSourceStrategy).
pub(crate) fn list_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    answer::<types::OpenSourceRuleSetPageResp>(list_kind(state, call, Kind::OpenSourceStrategy, &domain, false)?)
}

/// `GET /v2/{project_id}/open-source/rule-sets/query` (ListProjectOpenSourceStrategy).
pub(crate) fn list_project_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let include = call.query.optional_choice("include_tenant_rule_set", &["true", "false"])? == Some("true");
    let domain = domain_of(state, call);
    let mut page = list_kind(state, call, Kind::OpenSourceStrategy, &domain, false)?;
    if !include {
        page = json!({"total": 0, "data": []});
    }
    answer::<types::OpenSourceRuleSetPageResp>(page)
}

/// `DELETE /v2/{domain_id}/tenant/open-source/rule-sets/{rule_set_id}/delete` (DeleteOpenSourceStrategy).
pub(crate) fn delete_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    delete_kind(state, call, Kind::OpenSourceStrategy)
}

/// `PUT /v2/{domain_id}/tenant/open-source/rule-sets/{rule_set_id}/switch` (SwitchOpenSourceStrategy).
pub(crate) fn switch_open_source_strategy(state: &EmulatorState, call: &Call<'_>) -> Reply {
    switch_kind(state, call, Kind::OpenSourceStrategy)
}
