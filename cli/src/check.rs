//! `codearts check …`: CodeArts Check through `codearts::check::Client` and the library's
//! waiter and quality gate (`codearts::wait`).

use std::pin::pin;
use std::time::Duration;

use codearts::CallExt;
use codearts::check::{Client, types};
use codearts::wait::{CheckOutcome, DefectSummary, Gate, GateVerdict, Severity, StartedCheck, WaitOptions};
use futures_util::StreamExt;
use serde::Serialize;

use crate::args::{CheckCommand, CheckRunArgs, DefectsArgs, GlobalArgs};
use crate::config;
use crate::error::{CliError, FAILED, GATE_FAILED, STOPPED, TIMED_OUT};
use crate::output::{Output, cell};

/// The repository token of `check run --git-url`: an environment variable, so that it never
/// appears in the process list or the shell's history.
const ACCESS_TOKEN_VAR: &str = "CODEARTS_CHECK_ACCESS_TOKEN";
/// The default of `--max-wait`.
const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);
/// The longest pause between two polls while waiting.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Defects requested per page (ShowTaskDefects allows 100).
const DEFECTS_PAGE: u32 = 100;

pub async fn run(global: &GlobalArgs, out: &Output, command: CheckCommand) -> Result<(), CliError> {
    let config = config::load(global)?;
    let client = Client::from_config(&config)?;
    match command {
        CheckCommand::Run(args) => run_task(&client, out, args).await,
        CheckCommand::Status { task } => status(&client, out, &task).await,
        CheckCommand::Stop { task } => {
            client.stop_task_by_id().task_id(&task).call().await?;
            if out.is_json() {
                return out.json(&serde_json::json!({"task_id": task, "stopped": true}));
            }
            out.text(&format!("asked check task {task} to stop"))
        }
        CheckCommand::Defects(args) => defects(&client, out, args).await,
    }
}

/// The summary as JSON.
#[derive(Debug, Serialize)]
struct Summary {
    critical: u64,
    major: u64,
    minor: u64,
    suggestion: u64,
}

impl From<&DefectSummary> for Summary {
    fn from(s: &DefectSummary) -> Self {
        Summary { critical: s.critical, major: s.major, minor: s.minor, suggestion: s.suggestion }
    }
}

/// The gate's verdict as JSON.
#[derive(Debug, Serialize)]
struct GateReport {
    gate: String,
    passed: bool,
    violations: Vec<ViolationReport>,
}

#[derive(Debug, Serialize)]
struct ViolationReport {
    severity: &'static str,
    found: u64,
    allowed: u64,
}

/// What `check run` prints in JSON.
#[derive(Debug, Serialize)]
struct RunReport {
    task_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    exec_id: Option<String>,
    /// `finished`, `failed`, `stopped` or `timed_out`.
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<types::ProgressInfoV2>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<GateReport>,
}

async fn run_task(client: &Client, out: &Output, args: CheckRunArgs) -> Result<(), CliError> {
    let access_token = std::env::var(ACCESS_TOKEN_VAR).ok().filter(|t| !t.is_empty());
    let body = types::RunRequestV2::builder()
        .access_token(access_token)
        .git_branch(args.git_branch)
        .git_url(args.git_url)
        .username(args.username);
    // RunTask starts something: sent once, never resent (the SDK's retry rules).
    let response = client.run_task().task_id(&args.task).body(body).call().await?;
    let exec_id = response.exec_id.clone().filter(|e| !e.is_empty());
    let started = StartedCheck { task_id: args.task.clone(), exec_id };
    let label = format!("the check of task {}", started.task_id);
    let wait = args.wait || args.fail_on.is_some() || args.max_wait.is_some();
    if !wait {
        // Not waited for: the service's answer as it is.
        if out.is_json() {
            return out.json(&response);
        }
        return match &started.exec_id {
            Some(id) => out.text(&format!("started {label}: execution {id}")),
            None => out.text(&format!("started {label} (the service returned no execution ID)")),
        };
    }
    let max_wait = args.max_wait.unwrap_or(DEFAULT_MAX_WAIT);
    let options = WaitOptions {
        max_wait,
        initial_interval: args.poll_interval,
        max_interval: MAX_POLL_INTERVAL.max(args.poll_interval),
    };
    let outcome = {
        let _spinner = out.spinner(format!("waiting for {label}"));
        started.wait(client, options).await.map_err(|e| CliError::from(e).context(format!("waiting for {label}")))?
    };
    finish(out, &started, outcome, args.fail_on.as_ref(), max_wait)
}

/// Reports how a waited-for check ended, applies the gate, and turns anything but a success that
/// passes the gate into its exit status.
fn finish(
    out: &Output,
    started: &StartedCheck,
    outcome: CheckOutcome,
    gate: Option<&Gate>,
    max_wait: Duration,
) -> Result<(), CliError> {
    let label = format!("the check of task {}", started.task_id);
    let (name, progress, summary) = match outcome {
        CheckOutcome::Finished { progress, summary } => ("finished", Some(progress), Some(summary)),
        CheckOutcome::Failed(progress) => ("failed", Some(progress), None),
        CheckOutcome::Stopped(progress) => ("stopped", Some(progress), None),
        CheckOutcome::TimedOut { last } => ("timed_out", last, None),
    };
    let verdict: Option<(&Gate, GateVerdict)> = gate.zip(summary.as_ref()).map(|(g, s)| (g, g.evaluate(s)));
    if out.is_json() {
        out.json(&RunReport {
            task_id: started.task_id.clone(),
            exec_id: started.exec_id.clone(),
            outcome: name,
            progress: progress.clone(),
            summary: summary.as_ref().map(Summary::from),
            gate: verdict.as_ref().map(|(g, v)| GateReport {
                gate: g.to_string(),
                passed: v.passed(),
                violations: v
                    .violations
                    .iter()
                    .map(|x| ViolationReport { severity: x.severity.name(), found: x.found, allowed: x.allowed })
                    .collect(),
            }),
        })?;
    } else if let Some(summary) = &summary {
        out.text(&format!("{label} finished: {} unresolved defects", summary.total()))?;
        let rows: Vec<Vec<String>> =
            Severity::ALL.iter().map(|s| vec![s.name().to_string(), summary.count(*s).to_string()]).collect();
        out.table(&["SEVERITY", "DEFECTS"], &rows)?;
        if let Some((gate, verdict)) = &verdict {
            out.text(&format!("quality gate {gate}: {verdict}"))?;
        }
    }
    match name {
        "finished" => match verdict {
            Some((gate, verdict)) if !verdict.passed() => {
                Err(CliError::Outcome { status: GATE_FAILED, message: format!("quality gate {gate} {verdict}") })
            }
            _ => Ok(()),
        },
        "failed" => Err(CliError::Outcome {
            status: FAILED,
            message: format!("{label} failed (codearts check show-tasklog has the reason)"),
        }),
        "stopped" => Err(CliError::Outcome { status: STOPPED, message: format!("{label} was stopped") }),
        _ => {
            let ratio = progress.and_then(|p| p.progress).and_then(|p| p.ratio).unwrap_or_else(|| "?".into());
            Err(CliError::Outcome {
                status: TIMED_OUT,
                message: format!(
                    "{label} is still checking ({ratio}) after {} (--max-wait); it goes on",
                    humantime::format_duration(max_wait)
                ),
            })
        }
    }
}

/// `task_status` in words.
fn state_name(status: Option<i32>) -> &'static str {
    match status {
        None => "never checked",
        Some(0) => "checking",
        Some(1) => "failed",
        Some(2) => "succeeded",
        Some(3) => "stopped",
        Some(_) => "unknown",
    }
}

async fn status(client: &Client, out: &Output, task: &str) -> Result<(), CliError> {
    let progress = client.show_progress_detail().task_id(task).call().await?;
    if out.is_json() {
        return out.json(&progress);
    }
    let status = progress.task_status.as_ref().map(|s| **s);
    let ratio = progress.progress.as_ref().and_then(|p| p.ratio.as_deref());
    match (status, ratio) {
        (Some(0), Some(ratio)) => out.text(&format!("check task {task}: checking, {ratio} done")),
        _ => out.text(&format!("check task {task}: {}", state_name(status))),
    }
}

/// A comma-separated list of names or codes, as the service's codes (`critical,1` → `0,1`).
fn codes(flag: &str, text: &str, names: &[&str]) -> Result<Option<String>, CliError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.eq_ignore_ascii_case("all") {
            return Ok(Some((0..names.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(",")));
        }
        let code = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(part))
            .map(|i| i.to_string())
            .or_else(|| part.parse::<usize>().ok().filter(|i| *i < names.len()).map(|i| i.to_string()))
            .ok_or_else(|| CliError::Usage(format!("--{flag}: `{part}` is not one of {}", names.join(", "))))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok((!out.is_empty()).then(|| out.join(",")))
}

const STATUS_NAMES: [&str; 3] = ["pending", "resolved", "ignored"];

async fn defects(client: &Client, out: &Output, args: DefectsArgs) -> Result<(), CliError> {
    let severity_names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
    let severity = args.severity.as_deref().map(|s| codes("severity", s, &severity_names)).transpose()?.flatten();
    let status = args.status.as_deref().map(|s| codes("status", s, &STATUS_NAMES)).transpose()?.flatten();
    let mut request = client.show_task_defects().task_id(&args.task);
    if let Some(severity) = severity {
        request = request.severity(severity);
    }
    if let Some(status) = status {
        request = request.status_ids(status);
    }
    let spinner = out.spinner(format!("listing the defects of check task {}", args.task));
    let mut items = pin!(request.into_paginator().page_size(DEFECTS_PAGE).items());
    let mut defects = Vec::new();
    while let Some(defect) = items.next().await {
        defects.push(defect?);
        if args.limit.is_some_and(|l| defects.len() >= l as usize) {
            break;
        }
    }
    drop(spinner);
    if out.is_json() {
        return out.json(&defects);
    }
    if defects.is_empty() {
        return out.text(&format!("no matching defects in check task {}", args.task));
    }
    let rows: Vec<Vec<String>> = defects
        .iter()
        .map(|d| {
            let severity = d.defect_level.as_ref().map(|l| Severity::of(l).map_or(l.as_str(), |s| s.name()));
            let status = d.defect_status.as_ref().map(|s| {
                s.as_str().parse::<usize>().ok().and_then(|i| STATUS_NAMES.get(i).copied()).unwrap_or(s.as_str())
            });
            let at = match (&d.file_path, &d.line_number) {
                (Some(f), Some(l)) => format!("{f}:{l}"),
                (Some(f), None) => f.clone(),
                _ => "-".into(),
            };
            vec![cell(d.defect_id.as_deref()), cell(severity), cell(status), cell(d.rule_name.as_deref()), at]
        })
        .collect();
    out.table(&["ID", "SEVERITY", "STATUS", "RULE", "WHERE"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_codes() {
        let sev = ["critical", "major", "minor", "suggestion"];
        assert_eq!(codes("severity", "critical, MAJOR", &sev).unwrap().as_deref(), Some("0,1"));
        assert_eq!(codes("severity", "3,critical,3", &sev).unwrap().as_deref(), Some("3,0"));
        assert_eq!(codes("status", "all", &STATUS_NAMES).unwrap().as_deref(), Some("0,1,2"));
        assert_eq!(codes("status", "", &STATUS_NAMES).unwrap(), None);
        assert!(matches!(codes("severity", "blocker", &sev), Err(CliError::Usage(_))));
        assert!(matches!(codes("status", "3", &STATUS_NAMES), Err(CliError::Usage(_))));
    }
}
