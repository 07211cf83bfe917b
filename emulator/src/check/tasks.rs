//! Check tasks: CreateTask, DeleteTask, ShowTaskListByProjectId, ShowTaskDetail (the defect
//! summary) and ShowTaskCmetrics.
//!
//! A task checks one branch of one repository. Its languages come from `language` (each with the
//! project's default rule set) or `rule_sets` (a named rule set, or the default); a language the
//! emulator does not know, a rule set of another language and a second task for the same
//! repository, branch and type are 400. Tasks are listed in creation order.

use std::collections::BTreeMap;

use codearts::check::types;

use axum::http::StatusCode;

use super::catalogue;
use super::{RunState, Task, body, done, fmt_duration, fmt_local, invalid, language};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, make, ok, shorten};
use crate::state::EmulatorState;

/// 400 `CC.00050016` (create task failed): the service's answer to a task it cannot create.
fn create_failed(detail: String) -> ApiError {
    match codearts::check::operations::SERVICE.error_code("CC.00050016") {
        Some(known) => ApiError::new(StatusCode::BAD_REQUEST, known.code, format!("{} {detail}", known.message)),
        None => invalid(detail),
    }
}

/// `POST /v2/{project_id}/task` (CreateTask).
pub(crate) fn create_task(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::CreateTaskRequestV2 = body(call)?;
    let project = call.path("project_id").to_string();
    if request.git_url.trim().is_empty() || request.git_branch.trim().is_empty() {
        return Err(invalid("git_url and git_branch must not be empty."));
    }
    let inc = request.task_type.as_ref().is_some_and(|t| t.as_str() == "inc");
    let mut data = state.data();
    let mut chosen: Vec<(&'static str, String)> = Vec::new();
    for lang in request.language.iter().flatten() {
        let lang = language(lang)?.name;
        if !chosen.iter().any(|(l, _)| *l == lang) {
            chosen.push((lang, data.check.default_ruleset(&project, lang)));
        }
    }
    for set in request.rule_sets.iter().flatten() {
        let lang = language(&set.language)?.name;
        let id = match set.ruleset_id.as_deref().filter(|id| !id.trim().is_empty()) {
            None => data.check.default_ruleset(&project, lang),
            Some(id) => match data.check.ruleset(id) {
                Some(r) if r.language == lang => r.id,
                Some(r) => return Err(invalid(format!("Rule set {} is a {} rule set, not {lang}.", r.id, r.language))),
                None => return Err(invalid(format!("No rule set {}.", shorten(id)))),
            },
        };
        chosen.retain(|(l, _)| *l != lang);
        chosen.push((lang, id));
    }
    if chosen.is_empty() {
        return Err(invalid("Give the languages to check (language or rule_sets)."));
    }
    let repo = crate::state::repository_name(&request.git_url).unwrap_or_else(|| "repository".into());
    let name =
        if inc { format!("{repo}_{}_inc", request.git_branch) } else { format!("{repo}_{}", request.git_branch) };
    if data.check.tasks.iter().any(|t| t.project_id == project && t.name == name && t.git_url == request.git_url) {
        return Err(create_failed(format!(
            "A task of {} for branch {} exists already.",
            shorten(&request.git_url),
            shorten(&request.git_branch)
        )));
    }
    let seed = data.seed("check-task");
    let id = if inc { format!("MR_{}", super::hex32(&seed)) } else { super::hex32(&seed) };
    data.check.tasks.push(Task {
        id: id.clone(),
        project_id: project,
        name,
        git_url: request.git_url,
        git_branch: request.git_branch,
        creator: call.caller.user,
        created: state.now(),
        rulesets: chosen,
        ignored: Default::default(),
        settings: BTreeMap::new(),
        parameters: BTreeMap::new(),
        runs: Vec::new(),
        statuses: Default::default(),
    });
    ok(&make!(types::TaskIdV2 { task_id: Some(id) }))
}

/// `DELETE /v2/tasks/{task_id}` (DeleteTask): a running task can be deleted too.
pub(crate) fn delete_task(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("task_id");
    let mut data = state.data();
    data.check_task(id)?;
    data.check.tasks.retain(|t| t.id != id);
    done()
}

fn user_id(state: &EmulatorState, user: usize) -> Option<String> {
    state.settings().users.get(user).map(|u| u.id.clone())
}

/// `GET /v2/{project_id}/tasks` (ShowTaskListByProjectId): `offset` is a page number from 0.
pub(crate) fn list_tasks(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let page = call.query.optional_int("offset", 0..=999_999, 0)? as usize;
    let limit = call.query.optional_int("limit", 1..=100, 10)? as usize;
    let project = call.path("project_id");
    let now = state.now();
    let data = state.data();
    let tasks: Vec<&Task> = data.check.tasks.iter().filter(|t| t.project_id == project).collect();
    let total = tasks.len();
    let items: Vec<types::SimpleTaskInfoV2> = tasks
        .into_iter()
        .skip(page.saturating_mul(limit))
        .take(limit)
        .map(|t| {
            make!(types::SimpleTaskInfoV2 {
                task_id: Some(t.id.clone()),
                task_name: Some(t.name.clone()),
                creator_id: user_id(state, t.creator),
                git_url: Some(t.git_url.clone()),
                git_branch: Some(t.git_branch.clone()),
                created_at: Some(fmt_local(t.created)),
                last_check_time: t.runs.last().filter(|r| r.started <= now).map(|r| fmt_local(r.started))
            })
        })
        .collect();
    ok(&make!(types::ShowTasksResponseV2 { tasks: items, total: Some(total as i32) }))
}

/// Lines of code of one emulated file.
const LINES_PER_FILE: i64 = 60;
/// Comment lines of one emulated file.
const COMMENTS_PER_FILE: i64 = 12;

/// The checked files of a task (its languages' files that are not excluded).
fn checked_files(task: &Task) -> usize {
    task.languages()
        .iter()
        .filter_map(|l| catalogue::language(l))
        .flat_map(|l| l.files.iter())
        .filter(|f| catalogue::is_checked(task, f))
        .count()
}

/// `GET /v2/tasks/{task_id}/defects-summary` (ShowTaskDetail): counts of the latest successful
/// run's issues; the per-severity counts are of the unresolved ones.
pub(crate) fn show_task_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let defects = task.defects(now);
    let mut open = [0usize; 4];
    let (mut solved, mut dismissed) = (0, 0);
    for (f, status) in &defects {
        match *status {
            "1" => solved += 1,
            "2" => dismissed += 1,
            _ => open[usize::from(f.severity.min(3))] += 1,
        }
    }
    // Issues the latest successful run found that the one before it had not (all, for the first).
    let previous: Vec<&str> = task
        .runs
        .iter()
        .rev()
        .filter(|r| r.state(now) == RunState::Succeeded)
        .nth(1)
        .map(|r| r.findings.iter().map(|f| f.id.as_str()).collect())
        .unwrap_or_default();
    let new: Vec<&catalogue::Finding> =
        defects.iter().map(|(f, _)| *f).filter(|f| !previous.contains(&f.id.as_str())).collect();
    let new_of = |s: u8| Some(new.iter().filter(|f| f.severity == s).count().to_string());
    let files = checked_files(task) as i64;
    let lines = files * LINES_PER_FILE;
    let comments = files * COMMENTS_PER_FILE;
    let last_run = task.runs.last();
    ok(&make!(types::TaskInfoV2 {
        task_id: Some(task.id.clone()),
        task_name: Some(task.name.clone()),
        creator_id: user_id(state, task.creator),
        git_url: Some(task.git_url.clone()),
        git_branch: Some(task.git_branch.clone()),
        created_at: Some(fmt_local(task.created)),
        last_check_time: last_run.map(|r| fmt_local(r.started)),
        last_exec_time: last_run
            .and_then(|r| r.ended(now).map(|end| end.duration_since(r.started).unwrap_or_default()))
            .map(fmt_duration),
        check_type: Some("source".to_string()),
        trigger_type: Some(types::TaskInfoV2TriggerType::from("0")),
        is_access: Some(types::TaskInfoV2IsAccess::from(if open[0] == 0 { "1" } else { "0" })),
        issue_count: Some(defects.len() as i32),
        new_count: Some(new.len() as i32),
        solve_count: Some(solved),
        dismissed_count: Some(dismissed),
        critical_count: Some(open[0].to_string()),
        major_count: Some(open[1].to_string()),
        minor_count: Some(open[2].to_string()),
        suggestion_count: Some(open[3].to_string()),
        new_critical_count: new_of(0),
        new_major_count: new_of(1),
        new_minor_count: new_of(2),
        new_suggestion_count: new_of(3),
        code_line: Some(lines),
        code_line_total: Some(lines + comments),
        comment_lines: Some(comments),
        comment_ratio: Some(format!(
            "{:.1}%",
            if lines > 0 { 100.0 * comments as f64 / (lines + comments) as f64 } else { 0.0 }
        )),
        code_quality: Some(100.0 - (open[0] * 10 + open[1] * 3 + open[2]).min(100) as f64),
        risk_coefficient: Some((open[0] * 10 + open[1] * 3 + open[2]) as f64),
        complexity_count: Some(files * 4),
        duplicated_blocks: Some(0),
        duplicated_files: Some(0),
        duplicated_lines: Some(0),
        duplication_ratio: Some("0.0%".to_string()),
        file_duplication_ratio: Some("0.0%".to_string()),
        cyclomatic_complexity_per_file: Some("4.0".to_string()),
        cyclomatic_complexity_per_method: Some("2.0".to_string())
    }))
}

/// `GET /v2/{project_id}/tasks/{task_id}/metrics-summary` (ShowTaskCmetrics): sizes from the
/// checked files.
pub(crate) fn show_task_cmetrics(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    if task.project_id != call.path("project_id") {
        return Err(invalid(format!("Task {} is not in project {}.", task.id, shorten(call.path("project_id")))));
    }
    let last = task.last_success(now);
    let files = if last.is_some() { checked_files(task) as i64 } else { 0 };
    let folders = catalogue::folders(&catalogue::files(&task.languages())).len() as i64;
    let n = |v: i64| Some(v.to_string());
    let metrics = make!(types::MetricInfo {
        files_total: n(files),
        folders_total: n(if last.is_some() { folders } else { 0 }),
        code_size: n(files * LINES_PER_FILE),
        raw_lines: n(files * (LINES_PER_FILE + COMMENTS_PER_FILE)),
        methods_total: n(files * 4),
        lines_per_file: n(if files > 0 { LINES_PER_FILE } else { 0 }),
        lines_per_method: n(if files > 0 { LINES_PER_FILE / 4 } else { 0 }),
        method_lines: n(files * LINES_PER_FILE),
        cyclomatic_complexity_total: n(files * 8),
        cyclomatic_complexity_per_method: Some("2.0".to_string()),
        maximum_cyclomatic_complexity: n(if files > 0 { 3 } else { 0 }),
        code_duplication_ratio: Some("0.0%".to_string()),
        code_duplication_total: n(0),
        file_duplication_ratio: Some("0.0%".to_string()),
        file_duplication_total: n(0),
        huge_method_total: n(0),
        huge_method_ratio: Some("0.0%".to_string()),
        maximum_depth: n(if files > 0 { 3 } else { 0 })
    });
    ok(&make!(types::TaskMetricInfo {
        task_id: Some(task.id.clone()),
        task_name: Some(task.name.clone()),
        creator_id: user_id(state, task.creator),
        git_url: Some(task.git_url.clone()),
        git_branch: Some(task.git_branch.clone()),
        created_at: Some(fmt_local(task.created)),
        check_type: Some("source".to_string()),
        last_check_time: last.map(|r| fmt_local(r.started)),
        last_check_finish_time: last.and_then(|r| r.ended(now)).map(fmt_local),
        last_exec_time: last
            .and_then(|r| r.ended(now).map(|end| end.duration_since(r.started).unwrap_or_default()))
            .map(fmt_duration),
        metric_info: Some(metrics)
    }))
}
