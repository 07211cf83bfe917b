//! Runs: RunTask, StopTaskById, ShowProgressDetail, ShowTasklog and CheckRecord.
//!
//! RunTask starts a run that goes through [`PHASES`](super::PHASES), one step duration each; a task
//! that is checking already answers 400 `CC.00050015` (task is running), as the service does.
//! The optional body's `git_branch` checks another branch for this run only. StopTaskById stops
//! the run in progress (stopping a task that is not checking changes nothing and succeeds).

use codearts::check::types;

use super::catalogue;
use super::{PHASES, Run, RunState, done, fmt_local, fmt_zulu, invalid, parse_zulu};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, make, ok, shorten};
use crate::state::EmulatorState;

/// `POST /v2/tasks/{task_id}/run` (RunTask). The body is optional.
pub(crate) fn run_task(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::RunRequestV2 =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { super::body(call)? };
    let now = state.now();
    let step = state.settings().step_duration;
    let mut data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    if let Some(running) = task.running(now) {
        return Err(ApiError::conflict_for(
            &codearts::check::operations::SERVICE,
            format!("Task {} is checking (execution {}); try again when it ends.", task.id, running.id),
        ));
    }
    let branch = request.git_branch.filter(|b| !b.trim().is_empty()).unwrap_or_else(|| task.git_branch.clone());
    let rulesets: Vec<super::RuleSet> = task.rulesets.iter().filter_map(|(_, id)| data.check.ruleset(id)).collect();
    let run_findings = catalogue::findings(task, &rulesets);
    let languages = task.languages();
    let ignored = task.ignored.iter().cloned().collect();
    let seed = data.seed("check-run");
    let id = super::hex32(&seed);
    let task = data.check_task_mut(call.path("task_id"))?;
    task.runs.push(Run {
        id: id.clone(),
        started: now,
        step,
        fails: branch.to_ascii_lowercase().contains("fail"),
        branch,
        stopped: None,
        findings: run_findings,
        ruleset_names: rulesets.iter().map(|r| r.name.clone()).collect(),
        languages,
        ignored,
    });
    ok(&make!(types::RunTaskInfoV2 { exec_id: Some(id) }))
}

/// `POST /v2/tasks/{task_id}/stop` (StopTaskById).
pub(crate) fn stop_task(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let mut data = state.data();
    let task = data.check_task_mut(call.path("task_id"))?;
    if let Some(run) = task.runs.last_mut().filter(|r| matches!(r.state(now), RunState::Checking { .. })) {
        run.stopped = Some(now);
    }
    done()
}

/// `GET /v2/tasks/{task_id}/progress` (ShowProgressDetail): `task_status` of the latest run (none
/// before the first); a progress ratio while checking and after a success.
pub(crate) fn show_progress_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let run = match call.query.optional("job_id").filter(|j| !j.trim().is_empty()) {
        Some(id) => Some(execution(&task.runs, id)?),
        None => task.runs.last(),
    };
    let Some(run) = run else {
        return ok(&types::ProgressInfoV2::default());
    };
    let run_state = run.state(now);
    let progress = match run_state {
        RunState::Checking { percent, .. } => Some(make!(types::ProgressDetailV2 {
            ratio: Some(format!("{percent}%")),
            info: Some("running".to_string())
        })),
        RunState::Succeeded => {
            Some(make!(types::ProgressDetailV2 { ratio: Some("100%".to_string()), info: Some("success".to_string()) }))
        }
        RunState::Failed | RunState::Stopped => None,
    };
    ok(&make!(types::ProgressInfoV2 {
        task_status: types::ProgressInfoV2TaskStatus::try_from(run_state.code()).ok(),
        progress: progress
    }))
}

/// The run `id` of a task, or 400.
fn execution<'a>(runs: &'a [Run], id: &str) -> Result<&'a Run, ApiError> {
    runs.iter()
        .find(|r| r.id.eq_ignore_ascii_case(id.trim()))
        .ok_or_else(|| invalid(format!("No execution {}.", shorten(id))))
}

/// `GET /v2/{project_id}/tasks/{task_id}/log-detail` (ShowTasklog): one entry per phase the run
/// has reached; a failed run's last entry is the error with its analysis.
pub(crate) fn show_task_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let run = match call.query.optional("execute_id").filter(|j| !j.trim().is_empty()) {
        Some(id) => execution(&task.runs, id)?,
        None => task.runs.last().ok_or_else(|| invalid(format!("Task {} has not been checked yet.", task.id)))?,
    };
    let run_state = run.state(now);
    let reached = match run_state {
        RunState::Checking { phase, .. } => phase + 1,
        RunState::Stopped => {
            let elapsed = run.ended(now).and_then(|e| e.duration_since(run.started).ok()).unwrap_or_default();
            ((elapsed.as_millis() / run.step.as_millis().max(1)) as usize + 1).min(PHASES.len())
        }
        _ => PHASES.len(),
    };
    let entry = |name: &str, log: String, level: &str, analysis: Option<String>| {
        make!(types::LogInfo {
            display_name: Some(name.to_string()),
            log: Some(log),
            level: Some(level.to_string()),
            analysis: analysis,
            faq: None
        })
    };
    let mut log: Vec<types::LogInfo> = PHASES[..reached]
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let text = match i {
                0 => format!("Check {} of task {} started at {}.", run.id, task.name, fmt_local(run.started)),
                1 => format!("Fetched branch {} of {}.", run.branch, task.git_url),
                2 => format!("Checked {} with {}.", run.languages.join(", "), run.ruleset_names.join(", ")),
                _ => format!("Found {} issues.", run.findings.len()),
            };
            entry(phase, text, "info", None)
        })
        .collect();
    match run_state {
        RunState::Failed => log.push(entry(
            "Check failed",
            format!("The check of branch {} failed.", run.branch),
            "error",
            Some(format!("Branch {} cannot be checked (the emulator fails every branch named *fail*).", run.branch)),
        )),
        RunState::Stopped => log.push(entry("Check stopped", "The check was stopped.".to_string(), "warning", None)),
        _ => {}
    }
    let info = make!(types::ParamInfo {
        url: Some(task.git_url.clone()),
        branch: Some(run.branch.clone()),
        language: Some(run.languages.join(",")),
        exclude_dir: Some(run.ignored.join(",")),
        encode: Some(task.setting("fileEncoding").to_string()),
        compile_config: Some(String::new()),
        rule_template: Some(run.ruleset_names.join(","))
    });
    ok(&make!(types::TaskLogRes { param_info: Some(info), log_info: log }))
}

/// `GET /v2/{project_id}/tasks/{task_id}/checkrecord` (CheckRecord): the ended runs, newest
/// first, with the issue counts of the successful ones; `offset` is a page number from 0.
pub(crate) fn check_record(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let page = call.query.optional_int("offset", 0..=999_999, 0)? as usize;
    let limit = call.query.optional_int("limit", 1..=1000, 10)? as usize;
    let from = call.query.optional("start_time").map(|t| parse_zulu("start_time", t)).transpose()?;
    let to = call.query.optional("end_time").map(|t| parse_zulu("end_time", t)).transpose()?;
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let ended: Vec<&Run> = task
        .runs
        .iter()
        .rev()
        .filter(|r| r.ended(now).is_some())
        .filter(|r| from.is_none_or(|f| r.started >= f) && to.is_none_or(|t| r.started <= t))
        .collect();
    let total = ended.len();
    let items: Vec<types::CheckRecordDataInfo> = ended
        .into_iter()
        .skip(page.saturating_mul(limit))
        .take(limit)
        .map(|r| {
            let counts = if r.state(now) == RunState::Succeeded { r.counts() } else { [0; 4] };
            make!(types::CheckRecordDataInfo {
                check_time: Some(fmt_zulu(r.started)),
                check_end_time: r.ended(now).map(fmt_zulu),
                issue_counts: Some(make!(types::CheckRecordIssueCountsInfo {
                    critical: Some(counts[0]),
                    serious: Some(counts[1]),
                    normal: Some(counts[2]),
                    prompt: Some(counts[3])
                }))
            })
        })
        .collect();
    ok(&make!(types::CheckRecordResult { data: items, total: Some(total as i32) }))
}
