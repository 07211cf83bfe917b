//! Code checks: running a CodeArts Check task and waiting for it, its defect summary by severity,
//! and a quality gate over that summary.
//!
//! [`wait_for_check`] polls ShowProgressDetail (`GET /v2/tasks/{task_id}/progress`) until the
//! task's `task_status` is terminal (1 failed, 2 succeeded, 3 stopped; 0 and no status mean "not
//! finished yet"); after a success it reads ShowTaskDefectsStatistic once for the
//! [`DefectSummary`]. [`run_check_and_wait`] starts the check with RunTask (sent once, never
//! resent) and then waits. [`Gate`] holds thresholds per severity (`"critical=0,major=10"`) and
//! [`Gate::evaluate`] says which ones a summary exceeds.
//!
//! ```no_run
//! # async fn demo(client: &codearts::check::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use codearts::wait::{CheckOutcome, Gate, WaitOptions, run_check_and_wait};
//!
//! let gate: Gate = "critical=0,major=10".parse()?;
//! let run = run_check_and_wait(client, "2b31ed520xxxxxxebedb6e57xxxxxxxx", WaitOptions::default()).await?;
//! match run.outcome? {
//!     CheckOutcome::Finished { summary, .. } => {
//!         let verdict = gate.evaluate(&summary);
//!         println!("{summary}: {verdict}");
//!     }
//!     other => eprintln!("the check did not finish: {other:?}"),
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;

use super::{Polled, WaitOptions, poll_until};
use crate::check::{Client, types};
use crate::error::Error;
use crate::runtime::CallExt;

/// A defect severity, most severe first (the reference numbers them `0` to `3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// `0`.
    Critical,
    /// `1`.
    Major,
    /// `2`.
    Minor,
    /// `3`.
    Suggestion,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::Major, Severity::Minor, Severity::Suggestion];

    /// `critical`, `major`, `minor` or `suggestion`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Suggestion => "suggestion",
        }
    }

    /// The service's code: `0` critical … `3` suggestion.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Critical => "0",
            Severity::Major => "1",
            Severity::Minor => "2",
            Severity::Suggestion => "3",
        }
    }

    /// The severity of a service value (`types::DefectSeverity`), if it is one of the four.
    pub fn of(level: &types::DefectSeverity) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.code() == level.as_str())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = GateParseError;

    /// A name (`critical`, `major`, `minor`, `suggestion`, any case) or a code (`0`–`3`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Severity::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text) || s.code() == text)
            .ok_or_else(|| GateParseError(format!("unknown severity `{text}` (critical, major, minor, suggestion)")))
    }
}

/// A task's unresolved defects by severity (ShowTaskDefectsStatistic's `severity`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefectSummary {
    /// Critical defects.
    pub critical: u64,
    /// Major defects.
    pub major: u64,
    /// Minor defects.
    pub minor: u64,
    /// Suggestions.
    pub suggestion: u64,
}

impl DefectSummary {
    /// The summary of a ShowTaskDefectsStatistic answer (missing counts are 0; negative ones too).
    pub fn from_statistic(statistic: &types::ShowDefectsStatisticResponseV2) -> Self {
        let s = statistic.severity.clone().unwrap_or_default();
        let n = |v: Option<i32>| v.map_or(0, |v| u64::try_from(v).unwrap_or(0));
        DefectSummary { critical: n(s.critical), major: n(s.major), minor: n(s.minor), suggestion: n(s.suggestion) }
    }

    /// The defects of `severity`.
    pub fn count(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::Major => self.major,
            Severity::Minor => self.minor,
            Severity::Suggestion => self.suggestion,
        }
    }

    /// The defects of `severity` or a more severe one.
    pub fn at_or_above(&self, severity: Severity) -> u64 {
        Severity::ALL.into_iter().filter(|s| *s <= severity).map(|s| self.count(s)).sum()
    }

    /// All defects.
    pub fn total(&self) -> u64 {
        self.at_or_above(Severity::Suggestion)
    }
}

impl fmt::Display for DefectSummary {
    /// `critical 1, major 2, minor 2, suggestion 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Severity::ALL.into_iter().map(|s| format!("{s} {}", self.count(s))).collect();
        f.write_str(&parts.join(", "))
    }
}

/// A quality gate: for some severities, how many defects of that severity *or a more severe one*
/// are allowed. `"critical=0,major=10"` allows no critical defect and at most ten critical and
/// major ones together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    thresholds: Vec<(Severity, u64)>,
}

/// Why a gate's text does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateParseError(String);

impl fmt::Display for GateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid quality gate: {}", self.0)
    }
}

impl std::error::Error for GateParseError {}

impl Gate {
    /// A gate that allows everything (until thresholds are added).
    pub fn new() -> Self {
        Gate::default()
    }

    /// Allows at most `max` defects of `severity` or a more severe one (replacing an earlier
    /// threshold for `severity`).
    pub fn max(mut self, severity: Severity, max: u64) -> Self {
        self.thresholds.retain(|(s, _)| *s != severity);
        self.thresholds.push((severity, max));
        self.thresholds.sort();
        self
    }

    /// The thresholds, most severe first.
    pub fn thresholds(&self) -> &[(Severity, u64)] {
        &self.thresholds
    }

    /// Which thresholds `summary` exceeds.
    pub fn evaluate(&self, summary: &DefectSummary) -> GateVerdict {
        let violations = self
            .thresholds
            .iter()
            .map(|(severity, allowed)| Violation {
                severity: *severity,
                found: summary.at_or_above(*severity),
                allowed: *allowed,
            })
            .filter(|v| v.found > v.allowed)
            .collect();
        GateVerdict { violations }
    }
}

impl FromStr for Gate {
    type Err = GateParseError;

    /// `severity=max` pairs separated by commas (`critical=0,major=10`); severities by name or code.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut gate = Gate::new();
        let mut seen = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (severity, max) = part
                .split_once('=')
                .ok_or_else(|| GateParseError(format!("`{part}` is not severity=max (e.g. critical=0)")))?;
            let severity: Severity = severity.parse()?;
            let max: u64 = max
                .trim()
                .parse()
                .map_err(|_| GateParseError(format!("`{}` is not a number of defects", max.trim())))?;
            if seen.contains(&severity) {
                return Err(GateParseError(format!("{severity} is given twice")));
            }
            seen.push(severity);
            gate = gate.max(severity, max);
        }
        if gate.thresholds.is_empty() {
            return Err(GateParseError("no threshold given (e.g. critical=0,major=10)".into()));
        }
        Ok(gate)
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.thresholds.iter().map(|(s, n)| format!("{s}={n}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// A threshold a summary exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// The threshold's severity.
    pub severity: Severity,
    /// Defects of that severity or a more severe one.
    pub found: u64,
    /// How many the gate allows.
    pub allowed: u64,
}

/// What [`Gate::evaluate`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateVerdict {
    /// The exceeded thresholds, most severe first (none: the gate passes).
    pub violations: Vec<Violation>,
}

impl GateVerdict {
    /// No threshold is exceeded.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for GateVerdict {
    /// `passed`, or `failed: 1 critical or worse (at most 0 allowed)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed() {
            return f.write_str("passed");
        }
        let parts: Vec<String> = self
            .violations
            .iter()
            .map(|v| {
                let worse = if v.severity == Severity::Critical { "" } else { " or worse" };
                format!("{} {}{worse} (at most {} allowed)", v.found, v.severity, v.allowed)
            })
            .collect();
        write!(f, "failed: {}", parts.join("; "))
    }
}

/// How waiting for a check ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckOutcome {
    /// The check succeeded: its final progress and the task's unresolved defects by severity.
    Finished {
        /// The last progress answer.
        progress: types::ProgressInfoV2,
        /// The defect summary read after the check ended.
        summary: DefectSummary,
    },
    /// The check failed (ShowTasklog has the reason).
    Failed(types::ProgressInfoV2),
    /// The check was stopped.
    Stopped(types::ProgressInfoV2),
    /// `max_wait` ran out first; the last progress answer.
    TimedOut {
        /// The last progress answer polled.
        last: Option<types::ProgressInfoV2>,
    },
}

/// `task_status`, classified: `None` while checking or before the first check.
fn check_state(progress: &types::ProgressInfoV2) -> Option<i32> {
    progress.task_status.as_ref().map(|s| **s).filter(|s| matches!(s, 1..=3))
}

/// Polls task `task_id`'s progress until its check has ended or `options.max_wait` has passed, then
/// (after a success) reads its defect summary. Errors end the wait (each poll is an idempotent GET
/// the client already retries); dropping the future stops polling and leaves the check running.
pub async fn wait_for_check(client: &Client, task_id: &str, options: WaitOptions) -> Result<CheckOutcome, Error> {
    let what = format!("check of task {task_id}");
    let polled = poll_until(&options, &what, || async {
        let progress = client.show_progress_detail().task_id(task_id).call().await?;
        let status = match progress.task_status.as_ref().map(|s| **s) {
            None => "not checked".to_string(),
            Some(s) => {
                let ratio = progress.progress.as_ref().and_then(|p| p.ratio.clone()).unwrap_or_default();
                format!("{s} {ratio}").trim().to_string()
            }
        };
        let finished = check_state(&progress).is_some();
        Ok((progress, status, finished))
    })
    .await?;
    Ok(match polled {
        Polled::TimedOut(progress) => CheckOutcome::TimedOut { last: Some(progress) },
        Polled::Finished(progress) => match check_state(&progress) {
            Some(2) => {
                let statistic = client.show_task_defects_statistic().task_id(task_id).call().await?;
                CheckOutcome::Finished { progress, summary: DefectSummary::from_statistic(&statistic) }
            }
            Some(1) => CheckOutcome::Failed(progress),
            _ => CheckOutcome::Stopped(progress),
        },
    })
}

/// A check that RunTask started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedCheck {
    /// The task's ID.
    pub task_id: String,
    /// The execution's ID (RunTask's `exec_id`), when the service gave one.
    pub exec_id: Option<String>,
}

impl StartedCheck {
    /// Waits for this check to end: [`wait_for_check`] on its task.
    pub async fn wait(&self, client: &Client, options: WaitOptions) -> Result<CheckOutcome, Error> {
        wait_for_check(client, &self.task_id, options).await
    }
}

/// Starts a check of task `task_id` with RunTask (sent once, never resent: see [`crate::retry`]).
/// A task that is checking already is an error from the service (`CC.00050015`, task is running).
pub async fn start_check(client: &Client, task_id: &str) -> Result<StartedCheck, Error> {
    let response = client.run_task().task_id(task_id).body(types::RunRequestV2::default()).call().await?;
    Ok(StartedCheck { task_id: task_id.to_string(), exec_id: response.exec_id.filter(|id| !id.trim().is_empty()) })
}

/// How [`run_check_and_wait`] ended once the check had started.
#[derive(Debug)]
pub struct CheckRun {
    /// The check RunTask started.
    pub check: StartedCheck,
    /// How waiting for it ended: an outcome, or the error that stopped the polling (the check may
    /// still be running; [`StartedCheck::wait`] resumes).
    pub outcome: Result<CheckOutcome, Error>,
}

/// Starts a check ([`start_check`]) and waits for it ([`wait_for_check`]). `Err` means the check
/// was not started (or RunTask's answer was lost after it may have reached the server: it is not
/// resent); once it started the result is `Ok`, even when waiting failed.
pub async fn run_check_and_wait(client: &Client, task_id: &str, options: WaitOptions) -> Result<CheckRun, Error> {
    let check = start_check(client, task_id).await?;
    if check.exec_id.is_none() {
        tracing::debug!(target: "codearts::wait", task_id, "RunTask answered without an exec_id");
    }
    let outcome = check.wait(client, options).await;
    Ok(CheckRun { check, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(critical: u64, major: u64, minor: u64, suggestion: u64) -> DefectSummary {
        DefectSummary { critical, major, minor, suggestion }
    }

    #[test]
    fn gates_parse() {
        let gate: Gate = "critical=0, MAJOR=10".parse().unwrap();
        assert_eq!(gate.thresholds(), [(Severity::Critical, 0), (Severity::Major, 10)]);
        assert_eq!(gate.to_string(), "critical=0,major=10");
        assert_eq!("1=3".parse::<Gate>().unwrap().thresholds(), [(Severity::Major, 3)]);
        for bad in ["", "critical", "critical=x", "blocker=1", "critical=-1", "major=1,major=2"] {
            assert!(bad.parse::<Gate>().is_err(), "{bad}");
        }
        assert!("blocker=1".parse::<Gate>().unwrap_err().to_string().contains("unknown severity `blocker`"));
    }

    #[test]
    fn gates_count_at_or_above() {
        let gate: Gate = "critical=0,major=10".parse().unwrap();
        let verdict = gate.evaluate(&summary(0, 10, 50, 50));
        assert!(verdict.passed(), "{verdict}");
        // 1 critical + 10 major = 11 at or above major.
        let verdict = gate.evaluate(&summary(1, 10, 0, 0));
        assert_eq!(
            verdict.violations,
            [
                Violation { severity: Severity::Critical, found: 1, allowed: 0 },
                Violation { severity: Severity::Major, found: 11, allowed: 10 }
            ]
        );
        assert_eq!(
            verdict.to_string(),
            "failed: 1 critical (at most 0 allowed); 11 major or worse (at most 10 allowed)"
        );
        assert!(Gate::new().evaluate(&summary(9, 9, 9, 9)).passed());
    }

    #[test]
    fn summaries() {
        let statistic: types::ShowDefectsStatisticResponseV2 =
            serde_json::from_value(serde_json::json!({"severity": {"critical": 1, "major": 2, "minor": -3}})).unwrap();
        let s = DefectSummary::from_statistic(&statistic);
        assert_eq!(s, summary(1, 2, 0, 0));
        assert_eq!((s.at_or_above(Severity::Major), s.total()), (3, 3));
        assert_eq!(s.to_string(), "critical 1, major 2, minor 0, suggestion 0");
        assert_eq!(Severity::of(&types::DefectSeverity::from("2")), Some(Severity::Minor));
        assert_eq!(Severity::of(&types::DefectSeverity::from("9")), None);
    }
}
