//! CodeArts Check: the handlers of its operations, by vendor name, and the service's state.
//!
//! Tasks check one branch of one repository in some languages, each with one rule set. A run
//! goes through four phases of one step duration each on the emulator's clock (like a build's
//! steps) and then succeeds, or fails when the checked branch's name contains `fail`; StopTaskById
//! stops it. A successful run's issues ([`catalogue::findings`]) become the task's defects; their
//! statuses (UpdateDefectStatus) stay with their IDs from one run to the next. Docs: `docs/check.md`.

mod catalogue;
mod defects;
mod rulesets;
mod runs;
mod settings;
mod tasks;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use codearts::runtime::ServiceMeta;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::dispatch::{Call, Handler};
use crate::reply::{ApiError, Reply, shorten};
use crate::state::Data;
pub(crate) use crate::state::hex32;

/// The handler of Check operation `id`.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    Some(match id {
        "CreateTask" => tasks::create_task,
        "DeleteTask" => tasks::delete_task,
        "ShowTaskListByProjectId" => tasks::list_tasks,
        "ShowTaskDetail" => tasks::show_task_detail,
        "ShowTaskCmetrics" => tasks::show_task_cmetrics,
        "RunTask" => runs::run_task,
        "StopTaskById" => runs::stop_task,
        "ShowProgressDetail" => runs::show_progress_detail,
        "ShowTasklog" => runs::show_task_log,
        "CheckRecord" => runs::check_record,
        "ShowTaskDefects" => defects::show_task_defects,
        "ShowTaskDefectsStatistic" => defects::show_task_defects_statistic,
        "UpdateDefectStatus" => defects::update_defect_status,
        "ListRules" => rulesets::list_rules,
        "ListRulesets" => rulesets::list_rulesets,
        "CreateRuleset" => rulesets::create_ruleset,
        "DeleteRuleset" => rulesets::delete_ruleset,
        "ListTemplateRules" => rulesets::list_template_rules,
        "SetDefaulTemplate" => rulesets::set_default_template,
        "ListTaskRuleset" => rulesets::list_task_ruleset,
        "ShowTasksRulesets" => rulesets::show_tasks_rulesets,
        "UpdateTaskRuleset" => rulesets::update_task_ruleset,
        "CheckParameters" => rulesets::check_parameters,
        "CheckRulesetParameters" => rulesets::check_ruleset_parameters,
        "ListTaskParameter" => rulesets::config_task_parameters,
        "ShowTaskSettings" => settings::show_task_settings,
        "UpdateTaskSettings" => settings::update_task_settings,
        "ShowTaskPathTree" => settings::show_task_path_tree,
        "UpdateIgnorePath" => settings::update_ignore_path,
        _ => return None,
    })
}

/// Check's resources, kept in the emulator's [`crate::state::Data`].
#[derive(Debug, Default)]
pub(crate) struct CheckData {
    /// In creation order.
    pub(crate) tasks: Vec<Task>,
    /// The user-defined rule sets, in creation order (the system ones are [`catalogue::system_ruleset`]).
    pub(crate) rulesets: Vec<RuleSet>,
    /// The default rule set of each (CodeArts project, language) that SetDefaulTemplate chose.
    pub(crate) defaults: BTreeMap<(String, &'static str), String>,
}

/// A rule set: the system one of a language, or a user-defined one.
#[derive(Debug, Clone)]
pub(crate) struct RuleSet {
    /// 32 hex digits.
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) language: &'static str,
    /// The enabled rules' IDs, ascending.
    pub(crate) rules: BTreeSet<u32>,
    /// Severities changed by the rule set (rule ID → severity).
    pub(crate) severities: BTreeMap<u32, u8>,
    /// For a user-defined rule set: (CodeArts project, creator).
    pub(crate) owner: Option<(String, usize)>,
    pub(crate) created: Option<SystemTime>,
}

/// A check task.
#[derive(Debug)]
pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) project_id: String,
    pub(crate) name: String,
    pub(crate) git_url: String,
    pub(crate) git_branch: String,
    pub(crate) creator: usize,
    pub(crate) created: SystemTime,
    /// The checked languages with their rule sets: (language, rule set ID), in the order given.
    pub(crate) rulesets: Vec<(&'static str, String)>,
    /// Excluded directories and files.
    pub(crate) ignored: BTreeSet<String>,
    /// Advanced settings the user changed (key → value).
    pub(crate) settings: BTreeMap<String, String>,
    /// Compilation parameters per language: (master switch on, key → value).
    pub(crate) parameters: BTreeMap<&'static str, (bool, BTreeMap<String, String>)>,
    /// In start order.
    pub(crate) runs: Vec<Run>,
    /// Defect statuses set by UpdateDefectStatus (defect ID → `0`, `1` or `2`).
    pub(crate) statuses: HashMap<String, String>,
}

impl Task {
    /// The advanced setting `key`: the user's value or the default.
    pub(crate) fn setting(&self, key: &str) -> &str {
        self.settings.get(key).map(String::as_str).unwrap_or_else(|| {
            catalogue::SETTINGS.iter().find(|(k, ..)| *k == key).map(|(_, default, ..)| *default).unwrap_or_default()
        })
    }

    pub(crate) fn languages(&self) -> Vec<&'static str> {
        self.rulesets.iter().map(|(l, _)| *l).collect()
    }

    /// The run checking now, if any.
    pub(crate) fn running(&self, now: SystemTime) -> Option<&Run> {
        self.runs.last().filter(|r| matches!(r.state(now), RunState::Checking { .. }))
    }

    /// The latest run that succeeded by `now`: the one whose issues are the task's defects.
    pub(crate) fn last_success(&self, now: SystemTime) -> Option<&Run> {
        self.runs.iter().rev().find(|r| r.state(now) == RunState::Succeeded)
    }

    /// The task's defects as of `now`, with their current statuses.
    pub(crate) fn defects(&self, now: SystemTime) -> Vec<(&catalogue::Finding, &str)> {
        self.last_success(now)
            .map(|run| {
                run.findings.iter().map(|f| (f, self.statuses.get(&f.id).map(String::as_str).unwrap_or("0"))).collect()
            })
            .unwrap_or_default()
    }
}

/// The phases of a run, one step duration each.
pub(crate) const PHASES: [&str; 4] =
    ["Preparing the check", "Fetching the code", "Checking the code", "Reporting the issues"];

/// One run (execution) of a task.
#[derive(Debug)]
pub(crate) struct Run {
    /// 32 hex digits (RunTask's `exec_id`).
    pub(crate) id: String,
    pub(crate) started: SystemTime,
    pub(crate) step: Duration,
    pub(crate) branch: String,
    /// Whether it fails at its end (the checked branch's name contains `fail`).
    pub(crate) fails: bool,
    pub(crate) stopped: Option<SystemTime>,
    /// What it finds, fixed when it starts (reported only if it succeeds).
    pub(crate) findings: Vec<catalogue::Finding>,
    /// For its log: the rule sets' names and the excluded paths when it started.
    pub(crate) ruleset_names: Vec<String>,
    pub(crate) languages: Vec<&'static str>,
    pub(crate) ignored: Vec<String>,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// In phase `phase` (0–3), `percent` done.
    Checking {
        phase: usize,
        percent: u32,
    },
    Failed,
    Succeeded,
    Stopped,
}

impl RunState {
    /// ShowProgressDetail's `task_status`: 0 checking, 1 failed, 2 succeeded, 3 stopped.
    pub(crate) fn code(self) -> i32 {
        match self {
            RunState::Checking { .. } => 0,
            RunState::Failed => 1,
            RunState::Succeeded => 2,
            RunState::Stopped => 3,
        }
    }
}

impl Run {
    fn total(&self) -> Duration {
        crate::state::times(self.step, PHASES.len())
    }

    /// When the run ends (or ended) if nothing stops it.
    fn natural_end(&self) -> SystemTime {
        crate::state::add(self.started, self.total())
    }

    /// When it ended, if it has by `now`.
    pub(crate) fn ended(&self, now: SystemTime) -> Option<SystemTime> {
        let end = match self.stopped {
            Some(stop) if stop < self.natural_end() => stop,
            _ => self.natural_end(),
        };
        (now >= end).then_some(end)
    }

    pub(crate) fn state(&self, now: SystemTime) -> RunState {
        match self.ended(now) {
            Some(end) if end < self.natural_end() => RunState::Stopped,
            Some(_) if self.fails => RunState::Failed,
            Some(_) => RunState::Succeeded,
            None => {
                let elapsed = now.duration_since(self.started).unwrap_or_default();
                let total = self.total().as_millis().max(1);
                let step = self.step.as_millis().max(1);
                RunState::Checking {
                    phase: ((elapsed.as_millis() / step) as usize).min(PHASES.len() - 1),
                    percent: (elapsed.as_millis() * 100 / total).min(99) as u32,
                }
            }
        }
    }

    /// Its issue counts by severity (critical, major, minor, suggestion).
    pub(crate) fn counts(&self) -> [i32; 4] {
        let mut counts = [0; 4];
        for f in &self.findings {
            counts[usize::from(f.severity.min(3))] += 1;
        }
        counts
    }
}

impl Data {
    /// The check task `id`, or 400 `CC.00050000` (the reference documents no not-found code).
    pub(crate) fn check_task(&self, id: &str) -> Result<&Task, ApiError> {
        self.check.tasks.iter().find(|t| t.id == id).ok_or_else(|| no_task(id))
    }

    pub(crate) fn check_task_mut(&mut self, id: &str) -> Result<&mut Task, ApiError> {
        self.check.tasks.iter_mut().find(|t| t.id == id).ok_or_else(|| no_task(id))
    }
}

impl CheckData {
    /// The rule set `id`: a system one or a user-defined one.
    pub(crate) fn ruleset(&self, id: &str) -> Option<RuleSet> {
        catalogue::LANGUAGES
            .iter()
            .map(catalogue::system_ruleset)
            .find(|r| r.id.eq_ignore_ascii_case(id))
            .or_else(|| self.rulesets.iter().find(|r| r.id.eq_ignore_ascii_case(id)).cloned())
    }

    /// The rule set a new task of `project` uses for `language`: the project's default, or the
    /// system one.
    pub(crate) fn default_ruleset(&self, project: &str, language: &'static str) -> String {
        self.defaults.get(&(project.to_string(), language)).cloned().unwrap_or_else(|| {
            catalogue::language(language).map(|l| catalogue::system_ruleset(l).id).unwrap_or_default()
        })
    }
}

fn service() -> &'static ServiceMeta {
    &codearts::check::operations::SERVICE
}

/// 400 `CC.00050000` (parameters not valid).
pub(crate) fn invalid(detail: impl AsRef<str>) -> ApiError {
    ApiError::invalid_for(service(), detail)
}

fn no_task(id: &str) -> ApiError {
    invalid(format!("No check task {}.", shorten(id)))
}

/// The language `name`, or 400.
pub(crate) fn language(name: &str) -> Result<&'static catalogue::Lang, ApiError> {
    catalogue::language(name).ok_or_else(|| {
        let known: Vec<&str> = catalogue::LANGUAGES.iter().map(|l| l.name).collect();
        invalid(format!("Language `{}` is not supported (supported: {}).", shorten(name), known.join(", ")))
    })
}

/// The JSON body of a call to Check, or 400 `CC.00050000`.
pub(crate) fn body<T: serde::de::DeserializeOwned>(call: &Call<'_>) -> Result<T, ApiError> {
    call.json()
}

/// An empty 200 (the operations whose 200 has no body).
pub(crate) fn done() -> Reply {
    Ok(axum::response::IntoResponse::into_response(axum::http::StatusCode::OK))
}

/// An item offset and page size from `offset` and `limit` (`max` the largest page, `default` the
/// page size when none is given).
pub(crate) fn window(call: &Call<'_>, max: i64, default: i64) -> Result<(usize, usize), ApiError> {
    let offset = call.query.optional_int("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = call.query.optional_int("limit", 1..=max, default)?;
    Ok((offset as usize, limit as usize))
}

/// `items[offset..offset + limit]`.
pub(crate) fn slice<T>(items: Vec<T>, offset: usize, limit: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(limit).collect()
}

/// A comma-separated list of values from `allowed` (blank entries skipped), or 400.
pub(crate) fn value_list<'a>(name: &str, text: &'a str, allowed: &[&str]) -> Result<Vec<&'a str>, ApiError> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if allowed.contains(&v) {
                Ok(v)
            } else {
                Err(invalid(format!("{name} takes values of {}, comma-separated.", allowed.join(", "))))
            }
        })
        .collect()
}

const LOCAL: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const ZULU: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `2020-02-20 11:21:11`, the layout of the task examples (UTC).
pub(crate) fn fmt_local(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(LOCAL).unwrap_or_default()
}

/// `2020-09-25T12:05:00Z`, the layout of the defect and check-record fields.
pub(crate) fn fmt_zulu(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(ZULU).unwrap_or_default()
}

/// A `yyyy-MM-ddTHH:mm:ssZ` query parameter, or 400.
pub(crate) fn parse_zulu(name: &str, text: &str) -> Result<SystemTime, ApiError> {
    time::PrimitiveDateTime::parse(text.trim(), ZULU)
        .map(|t| SystemTime::from(t.assume_utc()))
        .map_err(|_| invalid(format!("{name} must be formatted yyyy-MM-ddTHH:mm:ssZ.")))
}

/// `2 min 28 s`: how long a run took.
pub(crate) fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{}.{:03} s", secs, d.subsec_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(fails: bool, stopped: Option<u64>) -> Run {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        Run {
            id: hex32("r"),
            started,
            step: Duration::from_secs(10),
            branch: "master".into(),
            fails,
            stopped: stopped.map(|s| started + Duration::from_secs(s)),
            findings: Vec::new(),
            ruleset_names: Vec::new(),
            languages: Vec::new(),
            ignored: Vec::new(),
        }
    }

    fn at(r: &Run, secs: u64) -> SystemTime {
        r.started + Duration::from_secs(secs)
    }

    #[test]
    fn a_run_goes_through_its_phases() {
        let r = run(false, None);
        assert_eq!(r.state(at(&r, 0)), RunState::Checking { phase: 0, percent: 0 });
        assert_eq!(r.state(at(&r, 25)), RunState::Checking { phase: 2, percent: 62 });
        assert_eq!(r.state(at(&r, 40)), RunState::Succeeded);
        assert_eq!(run(true, None).state(at(&r, 40)), RunState::Failed);
        let stopped = run(false, Some(15));
        assert_eq!(stopped.state(at(&r, 14)), RunState::Checking { phase: 1, percent: 35 });
        assert_eq!(stopped.state(at(&r, 15)), RunState::Stopped);
        assert_eq!(stopped.ended(at(&r, 99)), Some(at(&r, 15)));
        // A stop after the natural end changes nothing.
        assert_eq!(run(false, Some(50)).state(at(&r, 60)), RunState::Succeeded);
    }

    #[test]
    fn times_and_lists() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        assert_eq!(fmt_zulu(t), "2020-09-13T12:26:40Z");
        assert_eq!(fmt_local(t), "2020-09-13 12:26:40");
        assert_eq!(parse_zulu("t", "2020-09-13T12:26:40Z").unwrap(), t);
        assert!(parse_zulu("t", "2020-09-13").is_err());
        assert_eq!(value_list("s", "0, 2,", &["0", "1", "2"]).unwrap(), ["0", "2"]);
        assert_eq!(value_list("s", "7", &["0"]).unwrap_err().code, "CC.00050000");
        assert_eq!(fmt_duration(Duration::from_secs(148)), "2 min 28 s");
    }
}
