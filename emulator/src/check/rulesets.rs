//! Rules, rule sets and a task's rule sets and check parameters: ListRules, ListRulesets,
//! CreateRuleset, DeleteRuleset, ListTemplateRules, SetDefaulTemplate, ListTaskRuleset,
//! ShowTasksRulesets, UpdateTaskRuleset, CheckParameters, CheckRulesetParameters and
//! ListTaskParameter.
//!
//! Every language has a system rule set with all its rules; a user-defined rule set (a CodeArts
//! project's) enables the rules `rule_ids` names (added to those of `template_id` when
//! `is_default` is `1`) minus `uncheck_ids`, with the severities its `custom_attributes` set. A
//! project's default rule set of a language (SetDefaulTemplate; the system one until then) is what
//! new tasks of that language use. A rule set in use by a task, or a system one, cannot be deleted.

use codearts::check::types;

use super::catalogue::{self, PARAMETERS};
use super::{RuleSet, Task, body, done, fmt_local, invalid, language, slice, value_list, window};
use crate::dispatch::Call;
use crate::reply::{Reply, make, ok, shorten};
use crate::state::{Data, EmulatorState};

fn flag<T: From<&'static str>>(on: bool) -> Option<T> {
    Some(T::from(if on { "1" } else { "0" }))
}

/// `GET /v2/rules` (ListRules).
pub(crate) fn list_rules(_state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 1000, 100)?;
    let lang = call.query.optional("rule_languages").filter(|l| !l.trim().is_empty()).map(language).transpose()?;
    let severities =
        value_list("rule_severity", call.query.optional("rule_severity").unwrap_or(""), &["0", "1", "2", "3"])?;
    let rules: Vec<types::RuleListItem> = catalogue::rules()
        .filter(|r| lang.is_none_or(|l| l.name == r.language))
        .filter(|r| severities.is_empty() || severities.contains(&r.severity.to_string().as_str()))
        .map(|r| {
            make!(types::RuleListItem {
                rule_id: Some(r.id.to_string()),
                rule_name: Some(r.name.to_string()),
                rule_language: Some(types::Language::from(r.language.to_string())),
                rule_severity: Some(types::DefectSeverity::from(r.severity.to_string())),
                rule_set: Some(format!("{} recommended rule set", r.language)),
                rule_tages: Some(r.tag.to_string()),
                rule_desc: Some(r.description.to_string()),
                right_example: Some(String::new()),
                error_example: Some(String::new()),
                revise_opinion: Some(format!("Follow the rule: {}.", r.name.to_lowercase()))
            })
        })
        .collect();
    let total = rules.len();
    ok(&make!(types::RuleListResponse { info: slice(rules, offset, limit), total: Some(total as i32) }))
}

fn in_use(data: &Data, id: &str) -> bool {
    data.check.tasks.iter().any(|t| t.rulesets.iter().any(|(_, r)| r == id))
}

/// Every rule set visible in `project`: the system ones, then the project's user-defined ones.
fn visible(data: &Data, project: &str) -> Vec<RuleSet> {
    catalogue::LANGUAGES
        .iter()
        .map(catalogue::system_ruleset)
        .chain(data.check.rulesets.iter().filter(|r| r.owner.as_ref().is_some_and(|(p, _)| p == project)).cloned())
        .collect()
}

/// `GET /v2/{project_id}/rulesets` (ListRulesets).
pub(crate) fn list_rulesets(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 1000, 100)?;
    let categories = value_list("category", call.query.optional("category").unwrap_or(""), &["0", "1", "2"])?;
    let project = call.path("project_id");
    let data = state.data();
    let users = &state.settings().users;
    let items: Vec<types::RulesetItem> = visible(&data, project)
        .into_iter()
        .filter(|r| {
            let category = match &r.owner {
                None => "0",
                Some((_, user)) if *user == call.caller.user => "1",
                Some(_) => "2",
            };
            categories.is_empty() || categories.contains(&category)
        })
        .map(|r| {
            let owner = r.owner.as_ref().and_then(|(_, u)| users.get(*u));
            let default = data.check.default_ruleset(project, r.language) == r.id;
            make!(types::RulesetItem {
                template_id: Some(r.id.clone()),
                template_name: Some(r.name.clone()),
                language: Some(types::Language::from(r.language.to_string())),
                creator_id: owner.map(|u| u.id.clone()),
                creator_name: owner.map(|u| u.name.clone()),
                template_create_time: r.created.map(fmt_local),
                is_used: flag(in_use(&data, &r.id)),
                rule_ids: Some(r.rules.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
                is_default: flag(r.owner.is_none()),
                is_devcloud_project_default: flag(default),
                is_default_template: flag(r.owner.is_none())
            })
        })
        .collect();
    let total = items.len();
    ok(&make!(types::ListRulesetsRes { info: slice(items, offset, limit), total: Some(total as i32) }))
}

/// Rule IDs of `language` from a comma-separated list, or 400.
fn rule_ids(field: &str, text: &str, lang: &'static str) -> Result<Vec<u32>, crate::reply::ApiError> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u32>()
                .ok()
                .and_then(catalogue::rule)
                .filter(|r| r.language == lang)
                .map(|r| r.id)
                .ok_or_else(|| invalid(format!("{field}: {} is not a {lang} rule (see ListRules).", shorten(v))))
        })
        .collect()
}

/// `POST /v2/ruleset` (CreateRuleset).
pub(crate) fn create_ruleset(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::Ruleset = body(call)?;
    let project_format = call.service.parameters.iter().find(|p| p.name == "project_id" && p.is_constrained());
    if let Some(Err(e)) = project_format.map(|p| p.check(&request.project_id)) {
        return Err(invalid(e.message().unwrap_or_default()));
    }
    let name = request.template_name.trim();
    if name.is_empty() || name.chars().count() > 500 {
        return Err(invalid("template_name must have 1 to 500 characters."));
    }
    let lang = language(&request.language)?.name;
    let mut data = state.data();
    let mut rules: std::collections::BTreeSet<u32> = Default::default();
    if request.is_default.as_str() == "1" {
        let base = request.template_id.as_deref().unwrap_or_default();
        match data.check.ruleset(base) {
            Some(r) if r.language == lang => rules.extend(r.rules),
            Some(_) => return Err(invalid(format!("Rule set {} is not a {lang} rule set.", shorten(base)))),
            None => {
                return Err(invalid(format!(
                    "is_default 1 needs the template_id of a rule set; no rule set {}.",
                    shorten(base)
                )));
            }
        }
    } else if request.is_default.as_str() != "0" {
        return Err(invalid("is_default must be 0 or 1."));
    }
    rules.extend(rule_ids("rule_ids", &request.rule_ids, lang)?);
    for id in rule_ids("uncheck_ids", request.uncheck_ids.as_deref().unwrap_or_default(), lang)? {
        rules.remove(&id);
    }
    let mut severities = std::collections::BTreeMap::new();
    for attribute in request.custom_attributes.iter().flatten() {
        for rule in attribute.rules.iter().flatten() {
            let id = rule_ids("custom_attributes.rules.rule_id", rule.rule_id.as_deref().unwrap_or_default(), lang)?;
            let severity = match rule.value.as_ref().map(|v| v.as_str()) {
                Some(v @ ("0" | "1" | "2" | "3")) => v.parse::<u8>().unwrap_or(3),
                None => continue,
                Some(_) => return Err(invalid("custom_attributes.rules.value must be a severity 0 to 3.")),
            };
            for id in id {
                severities.insert(id, severity);
            }
        }
    }
    if data
        .check
        .rulesets
        .iter()
        .any(|r| r.owner.as_ref().is_some_and(|(p, _)| *p == request.project_id) && r.name == name)
    {
        return Err(invalid(format!("A rule set named `{}` exists already.", shorten(name))));
    }
    let seed = data.seed("check-ruleset");
    let id = super::hex32(&seed);
    data.check.rulesets.push(RuleSet {
        id: id.clone(),
        name: name.to_string(),
        language: lang,
        rules,
        severities,
        owner: Some((request.project_id, call.caller.user)),
        created: Some(state.now()),
    });
    ok(&make!(types::RulesetRes { template_id: Some(id) }))
}

/// `DELETE /v2/{project_id}/ruleset/{ruleset_id}` (DeleteRuleset).
pub(crate) fn delete_ruleset(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("ruleset_id");
    let project = call.path("project_id");
    let mut data = state.data();
    let Some(set) = data.check.ruleset(id) else {
        return Err(invalid(format!("No rule set {}.", shorten(id))));
    };
    match &set.owner {
        None => return Err(invalid("A system rule set cannot be deleted.")),
        Some((p, _)) if p != project => {
            return Err(invalid(format!("Rule set {} is not in project {}.", set.id, shorten(project))));
        }
        Some(_) => {}
    }
    if in_use(&data, &set.id) {
        return Err(invalid(format!("Rule set {} is used by a task; change the task's rule set first.", set.id)));
    }
    data.check.rulesets.retain(|r| r.id != set.id);
    data.check.defaults.retain(|_, r| *r != set.id);
    done()
}

fn rule_item(rule: catalogue::Rule, set: &RuleSet) -> types::RuleItem {
    let severity = set.severities.get(&rule.id).copied().unwrap_or(rule.severity);
    make!(types::RuleItem {
        rule_id: Some(rule.id.to_string()),
        rule_name: Some(rule.name.to_string()),
        rule_language: Some(types::Language::from(rule.language.to_string())),
        rule_severity: Some(types::DefectSeverity::from(severity.to_string())),
        rule_tages: Some(rule.tag.to_string()),
        checked: flag(set.rules.contains(&rule.id)),
        rule_config_list: Vec::new()
    })
}

/// `GET /v2/{project_id}/ruleset/{ruleset_id}/rules` (ListTemplateRules): `types` 1 all, 2 enabled,
/// 3 not enabled.
pub(crate) fn list_template_rules(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 1000, 100)?;
    let which = call.query.optional_choice("types", &["1", "2", "3"])?.unwrap_or("1");
    let lang = call.query.optional("languages").filter(|l| !l.trim().is_empty()).map(language).transpose()?;
    let tag = call.query.optional("tags").map(str::trim).filter(|t| !t.is_empty());
    let id = call.path("ruleset_id");
    let data = state.data();
    let set = data.check.ruleset(id).ok_or_else(|| invalid(format!("No rule set {}.", shorten(id))))?;
    let rules: Vec<types::RuleItem> = catalogue::rules_of(set.language)
        .filter(|r| match which {
            "2" => set.rules.contains(&r.id),
            "3" => !set.rules.contains(&r.id),
            _ => true,
        })
        .filter(|r| lang.is_none_or(|l| l.name == r.language) && tag.is_none_or(|t| r.tag.eq_ignore_ascii_case(t)))
        .map(|r| rule_item(r, &set))
        .collect();
    let total = rules.len();
    ok(&make!(types::ListTemplateRulesRes { info: slice(rules, offset, limit), total: Some(total as i32) }))
}

/// `POST /v2/{project_id}/ruleset/{ruleset_id}/{language}/default` (SetDefaulTemplate).
pub(crate) fn set_default_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let lang = language(call.path("language"))?.name;
    let id = call.path("ruleset_id");
    let project = call.path("project_id").to_string();
    let mut data = state.data();
    match data.check.ruleset(id) {
        None => Err(invalid(format!("No rule set {}.", shorten(id)))),
        Some(set) if set.language != lang => {
            Err(invalid(format!("Rule set {} is a {} rule set, not {lang}.", set.id, set.language)))
        }
        Some(set) => {
            data.check.defaults.insert((project, lang), set.id);
            done()
        }
    }
}

/// A task's rule sets: for each of its languages the selected one, then the other rule sets of
/// that language the project offers.
fn task_rulesets(data: &Data, task: &Task) -> Vec<types::TaskRulesetInfo> {
    let all = visible(data, &task.project_id);
    let mut out = Vec::new();
    for (lang, selected) in &task.rulesets {
        let of_lang = all.iter().filter(|r| r.language == *lang);
        let (chosen, others): (Vec<&RuleSet>, Vec<&RuleSet>) = of_lang.partition(|r| r.id == *selected);
        for (set, is_selected) in chosen.into_iter().map(|r| (r, true)).chain(others.into_iter().map(|r| (r, false))) {
            out.push(make!(types::TaskRulesetInfo {
                template_id: Some(set.id.clone()),
                template_name: Some(set.name.clone()),
                language: Some(types::Language::from(set.language.to_string())),
                type_: Some(types::TaskRulesetInfoType::from(if is_selected { "selected" } else { "optional" })),
                status: flag(is_selected)
            }));
        }
    }
    out
}

/// `GET /v2/{project_id}/tasks/{task_id}/rulesets` (ListTaskRuleset): a bare array.
pub(crate) fn list_task_ruleset(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    ok(&task_rulesets(&data, task))
}

/// `GET /v3/{project_id}/tasks/{task_id}/rulesets` (ShowTasksRulesets): `offset` is a page number
/// from 0.
pub(crate) fn show_tasks_rulesets(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let page = call.query.optional_int("offset", 0..=999_999, 0)? as usize;
    let limit = call.query.optional_int("limit", 1..=1000, 10)? as usize;
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let all = task_rulesets(&data, task);
    let total = all.len();
    ok(&make!(types::TaskRulesetResponse {
        data: slice(all, page.saturating_mul(limit), limit),
        total: Some(total as i32)
    }))
}

/// `PUT /v2/tasks/{task_id}/ruleset` (UpdateTaskRuleset): `if_use` 1 selects the rule set for its
/// language (adding the language to the task), 0 puts the project's default back in its place.
pub(crate) fn update_task_ruleset(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let items: Vec<types::UpdateTaskRulesetItem> = body(call)?;
    let mut data = state.data();
    let project = data.check_task(call.path("task_id"))?.project_id.clone();
    let mut changes = Vec::new();
    for item in &items {
        let lang = language(&item.language)?.name;
        let set = data
            .check
            .ruleset(&item.rule_set_id)
            .ok_or_else(|| invalid(format!("No rule set {}.", shorten(&item.rule_set_id))))?;
        if set.language != lang {
            return Err(invalid(format!("Rule set {} is a {} rule set, not {lang}.", set.id, set.language)));
        }
        match item.if_use.as_str() {
            "1" => changes.push((lang, set.id)),
            "0" => changes.push((lang, data.check.default_ruleset(&project, lang))),
            _ => return Err(invalid("if_use must be 0 or 1.")),
        }
    }
    let task = data.check_task_mut(call.path("task_id"))?;
    for (lang, id) in changes {
        match task.rulesets.iter_mut().find(|(l, _)| *l == lang) {
            Some(entry) => entry.1 = id,
            None => task.rulesets.push((lang, id)),
        }
    }
    done()
}

/// The check parameters of `task` for `lang`, as one group (its check tool).
fn parameters(task: &Task, lang: &catalogue::Lang) -> types::TaskCheckParameters {
    let (on, values) = task.parameters.get(lang.name).cloned().unwrap_or((true, Default::default()));
    let configs = PARAMETERS
        .iter()
        .map(|(key, name, options, required, default)| {
            make!(types::CheckConfigInfo {
                name: Some(name.to_string()),
                cfg_key: Some(key.to_string()),
                default_value: Some(default.to_string()),
                option_value: Some(options.to_string()),
                is_required: types::CheckConfigInfoIsRequired::try_from(i32::from(*required)).ok(),
                description: Some(format!("{name} of the {} check.", lang.tool)),
                type_: types::CheckConfigInfoType::try_from(if options.is_empty() { 0 } else { 2 }).ok(),
                status: Some(types::CheckConfigInfoStatus::from(if on { "on" } else { "off" })),
                value: Some(values.get(*key).cloned().unwrap_or_else(|| default.to_string()))
            })
        })
        .collect::<Vec<_>>();
    make!(types::TaskCheckParameters {
        check_id: Some(catalogue::LANGUAGES.iter().position(|l| l.name == lang.name).unwrap_or(0) as i32 + 1),
        name: Some(lang.tool.to_string()),
        checker_configs: configs
    })
}

/// The task and language of a check-parameters call: the rule set must exist and be of the
/// query's language.
fn parameters_of(state: &EmulatorState, call: &Call<'_>) -> Result<types::TaskCheckParameters, crate::reply::ApiError> {
    let lang = language(call.query.required("language")?)?;
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let id = call.path("ruleset_id");
    match data.check.ruleset(id) {
        None => Err(invalid(format!("No rule set {}.", shorten(id)))),
        Some(set) if set.language != lang.name => {
            Err(invalid(format!("Rule set {} is a {} rule set, not {}.", set.id, set.language, lang.name)))
        }
        Some(_) => Ok(parameters(task, lang)),
    }
}

/// `GET /v2/{project_id}/tasks/{task_id}/ruleset/{ruleset_id}/check-parameters` (CheckParameters).
pub(crate) fn check_parameters(state: &EmulatorState, call: &Call<'_>) -> Reply {
    ok(&vec![parameters_of(state, call)?])
}

/// `GET /v3/…/check-parameters` (CheckRulesetParameters): the same, paged by item offset.
pub(crate) fn check_ruleset_parameters(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 1000, 10)?;
    let all = vec![parameters_of(state, call)?];
    ok(&make!(types::TaskCheckResponse { data: slice(all, offset, limit), total: Some(1) }))
}

/// `POST /v2/{project_id}/tasks/{task_id}/config-parameters` (ListTaskParameter, which configures
/// them): `compileTool` and `buildToolVersion` need a value.
pub(crate) fn config_task_parameters(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::ConfigTaskParameterBody = body(call)?;
    let lang = language(&request.language)?.name;
    let mut values = std::collections::BTreeMap::new();
    for (i, setting) in request.task_check_settings.iter().enumerate() {
        let key = setting.cfg_key.trim();
        if key.is_empty() {
            return Err(invalid(format!("task_check_settings[{i}].cfg_key must not be empty.")));
        }
        let value = setting.cfg_value.clone().unwrap_or_default();
        if matches!(key, "compileTool" | "buildToolVersion") && value.trim().is_empty() {
            return Err(invalid(format!("task_check_settings[{i}]: {key} needs a cfg_value.")));
        }
        values.insert(key.to_string(), value);
    }
    let mut data = state.data();
    let task = data.check_task_mut(call.path("task_id"))?;
    let entry = task.parameters.entry(lang).or_insert((true, Default::default()));
    entry.0 = request.status.as_str() == "on";
    entry.1.extend(values);
    done()
}
