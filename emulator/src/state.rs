//! The emulator's state: its settings, its clock, and the in-memory data (tokens, build jobs with
//! their builds, templates), plus the pure functions that derive a build's progress from timestamps.
//!
//! Nothing runs in the background. A build stores when it was created, its planned steps, the step
//! duration, where (if anywhere) it is set to fail, and when it was stopped; every answer about it
//! ([`Build::view`]) is computed from those facts and the clock's current time. The same clock
//! reading always gives the same answer, which is what makes a [`ManualClock`] test exact.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use codearts::build::types;

/// A clock that only moves when told to, for tests that must see a build queued, then running, then
/// finished, without sleeping or racing. Clones share the same time.
///
/// ```
/// use codearts_emulator::ManualClock;
/// use std::time::Duration;
///
/// let clock = ManualClock::starting_now();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now().duration_since(before).unwrap(), Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock reading `start` until it is advanced or set.
    pub fn new(start: SystemTime) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    /// A clock reading the current system time until it is advanced or set. IAM tokens the emulator
    /// issues expire 24 hours after this clock's time, so a manual clock should start near the real
    /// time: the SDK compares token expiry with the system clock.
    pub fn starting_now() -> Self {
        Self::new(SystemTime::now())
    }

    /// The clock's current time.
    pub fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by` (saturating far in the future).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = add(*now, by);
    }

    /// Sets the clock to `to` (which may be earlier: builds then look as they did at that time).
    pub fn set(&self, to: SystemTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// Where the emulator reads the time.
#[derive(Clone, Debug)]
pub(crate) enum Clock {
    System,
    Manual(ManualClock),
}

impl Clock {
    pub(crate) fn now(&self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }
}

/// `t + d`, or a time far in the future instead of overflowing.
pub(crate) fn add(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d).unwrap_or_else(far_future)
}

fn far_future() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(253_402_300_799) // 9999-12-31T23:59:59Z
}

/// `d × n`, saturating.
pub(crate) fn times(d: Duration, n: usize) -> Duration {
    d.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Milliseconds from `from` to `to` (0 when `to` is earlier), as the i32 the spec's fields take.
pub(crate) fn millis_between(from: SystemTime, to: SystemTime) -> i32 {
    let ms = to.duration_since(from).map(|d| d.as_millis()).unwrap_or(0);
    i32::try_from(ms).unwrap_or(i32::MAX)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_millis(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as f64).unwrap_or(0.0)
}

const MILLIS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+00:00");
const SECONDS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
const MICROS_Z: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DAY: &[BorrowedFormatItem<'static>] = format_description!("[year][month][day]");
const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

fn utc(t: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(t)
}

fn format(t: SystemTime, items: &[BorrowedFormatItem<'_>]) -> String {
    utc(t).format(items).unwrap_or_default()
}

/// `2022-10-11T08:28:42.000+00:00`, the layout of the record examples (4.12, 5.3).
pub(crate) fn fmt_millis(t: SystemTime) -> String {
    format(t, MILLIS)
}

/// `2020-12-30T17:33:11+00:00`, the layout of the history examples (4.1, 4.2, 4.7).
pub(crate) fn fmt_seconds(t: SystemTime) -> String {
    format(t, SECONDS)
}

/// `2019-02-13T06:52:13.855000Z`, IAM's `expires_at` layout.
pub(crate) fn fmt_iam(t: SystemTime) -> String {
    format(t, MICROS_Z)
}

/// `20221011`, the day part of a daily build number.
pub(crate) fn fmt_day(t: SystemTime) -> String {
    format(t, DAY)
}

/// The UTC calendar date of `t`.
pub(crate) fn date_of(t: SystemTime) -> time::Date {
    utc(t).date()
}

/// A `yyyy-MM-dd` query parameter.
pub(crate) fn parse_date(text: &str) -> Option<time::Date> {
    time::Date::parse(text.trim(), DATE).ok()
}

/// The first 64 hex digits of SHA-256 of `seed`.
fn digest(seed: &str) -> String {
    hex::encode(Sha256::digest(seed.as_bytes()))
}

/// 32 lowercase hex digits derived from `seed`: the shape of job, project, domain and user IDs.
pub(crate) fn hex32(seed: &str) -> String {
    digest(seed)[..32].to_string()
}

/// A UUID-shaped (36-character) ID derived from `seed`: the shape of build record IDs.
pub(crate) fn uuid(seed: &str) -> String {
    let h = digest(seed);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// `len` hex digits derived from `seed` (at most 64).
pub(crate) fn hex(seed: &str, len: usize) -> String {
    digest(seed)[..len.min(64)].to_string()
}

/// An IAM user the emulator knows.
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) password: SecretString,
    pub(crate) domain_name: String,
    pub(crate) domain_id: String,
}

/// An access key pair; calls signed with it act as `user`.
pub(crate) struct AccessKey {
    pub(crate) ak: String,
    pub(crate) sk: SecretString,
    pub(crate) user: usize,
}

/// An IAM project (what a token is scoped to and `X-Project-Id` names).
pub(crate) struct IamProject {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// Everything fixed when the emulator starts.
pub(crate) struct Settings {
    pub(crate) step_duration: Duration,
    pub(crate) users: Vec<User>,
    pub(crate) keys: Vec<AccessKey>,
    pub(crate) projects: Vec<IamProject>,
    /// Keystore files of every domain: (file name, contents).
    pub(crate) keystores: Vec<(String, Vec<u8>)>,
}

impl Settings {
    /// The region the records report: the first IAM project's name.
    pub(crate) fn region(&self) -> &str {
        self.projects.first().map(|p| p.name.as_str()).unwrap_or("eu-west-101")
    }
}

/// A token the emulator issued.
pub(crate) struct IssuedToken {
    pub(crate) user: usize,
    pub(crate) project: usize,
    pub(crate) expires: SystemTime,
}

/// The channels of a job's notification settings, as ListNotice names them, with the names
/// UpdateNotice and DisableNotice accept for each (compared case-insensitively).
pub(crate) const NOTICE_CHANNELS: [(&str, &[&str]); 3] = [
    ("DING_TALK", &["DING_TALK", "DingTalk", "ding_talk", "dingding"]),
    ("MAIL", &["MAIL", "email", "e-mail"]),
    ("MESSAGE", &["MESSAGE", "message", "sms"]),
];

/// The build events a notification can be sent for (the keys of ListNotice's `enable_map`).
pub(crate) const NOTICE_EVENTS: [&str; 5] =
    ["buildJobFail", "updateConfigJob", "buildJobSuccess", "deleteJob", "forbiddenJob"];

/// The notice channel `name` stands for, if any.
pub(crate) fn notice_channel(name: &str) -> Option<&'static str> {
    NOTICE_CHANNELS
        .iter()
        .find(|(_, aliases)| aliases.iter().any(|a| a.eq_ignore_ascii_case(name.trim())))
        .map(|(channel, _)| *channel)
}

/// One notification channel of a job.
#[derive(Clone)]
pub(crate) struct Notice {
    pub(crate) channel: &'static str,
    pub(crate) enabled: BTreeMap<&'static str, bool>,
    pub(crate) param_config: Option<String>,
}

/// A new job's notification settings: those of the reference's example (4.23), where only mail on a
/// failed build is on.
pub(crate) fn default_notices() -> Vec<Notice> {
    NOTICE_CHANNELS
        .iter()
        .map(|(channel, _)| Notice {
            channel,
            enabled: NOTICE_EVENTS.iter().map(|e| (*e, *channel == "MAIL" && *e == "buildJobFail")).collect(),
            param_config: None,
        })
        .collect()
}

/// A build job.
pub(crate) struct Job {
    pub(crate) id: String,
    /// The CodeArts project (not the IAM project).
    pub(crate) project_id: String,
    pub(crate) name: String,
    pub(crate) arch: types::BuildArch,
    pub(crate) flavor: Option<String>,
    pub(crate) host_type: Option<String>,
    pub(crate) build_config_type: Option<types::BuildConfigType>,
    pub(crate) auto_update_sub_module: Option<String>,
    pub(crate) parameters: Vec<types::BuildJobParameter>,
    pub(crate) scms: Vec<types::BuildJobScm>,
    pub(crate) steps: Vec<types::BuildJobStep>,
    pub(crate) disabled: bool,
    /// Index of the user who created it: that user may modify, delete and disable it.
    pub(crate) creator: usize,
    pub(crate) domain_id: String,
    /// The build project ID of the records (one-to-one with the job).
    pub(crate) build_project_id: String,
    pub(crate) builds: Vec<Build>,
    pub(crate) notices: Vec<Notice>,
    /// What the v1 API and the newer v3 fields add (groups, favourites, revisions, …).
    pub(crate) extras: crate::build::JobExtras,
}

impl Job {
    /// Whether `user` may modify, delete, disable and restore the job (its creator).
    pub(crate) fn owned_by(&self, user: usize) -> bool {
        self.creator == user
    }

    /// The repository name of each code source: the last segment of its URL without `.git`.
    pub(crate) fn repository_names(&self) -> Vec<String> {
        self.scms.iter().filter_map(|s| repository_name(&s.url)).collect()
    }

    /// The job's parameter definitions as (name, default, sensitive).
    pub(crate) fn parameter_definitions(&self) -> Vec<(String, String, bool)> {
        self.parameters
            .iter()
            .filter_map(|definition| {
                let field = |key: &str| {
                    definition
                        .params
                        .iter()
                        .flatten()
                        .find(|p| p.name.as_deref() == Some(key))
                        .and_then(|p| p.value.clone())
                };
                let name = field("name").filter(|n| !n.trim().is_empty())?;
                let default = field("defaults").or_else(|| field("default")).or_else(|| field("value"));
                let kind = field("type").unwrap_or_default().to_ascii_lowercase();
                let sensitive = field("sensitive").is_some_and(|v| v.eq_ignore_ascii_case("true"))
                    || matches!(kind.as_str(), "encryptparam" | "password" | "secret")
                    || definition.name.as_deref().is_some_and(|n| n.contains("Password"));
                Some((name, default.unwrap_or_default(), sensitive))
            })
            .collect()
    }
}

/// `git@host:group/maven-demo.git` → `maven-demo`.
pub(crate) fn repository_name(url: &str) -> Option<String> {
    let last = url.trim().trim_end_matches('/').rsplit(['/', ':']).next()?;
    let name = last.strip_suffix(".git").unwrap_or(last);
    (!name.is_empty()).then(|| name.to_string())
}

/// A step of a build, fixed when the build starts.
pub(crate) struct PlannedStep {
    pub(crate) name: String,
    pub(crate) module_id: String,
    pub(crate) command: Option<String>,
}

/// A stop request on a build.
pub(crate) struct Stop {
    pub(crate) at: SystemTime,
    pub(crate) user: usize,
}

/// One build (run) of a job.
pub(crate) struct Build {
    pub(crate) number: i32,
    /// The build record ID (36 characters) that log downloads take.
    pub(crate) record_id: String,
    /// The record entry's own ID (`id` in the record answers).
    pub(crate) entry_id: String,
    /// `20221011.29`: the day and the job's build count that day.
    pub(crate) daily_number: String,
    /// `j_…`: the execution ID, also RunJob's `octopus_job_name`.
    pub(crate) execution_id: String,
    pub(crate) created: SystemTime,
    pub(crate) step_duration: Duration,
    pub(crate) steps: Vec<PlannedStep>,
    /// The step that fails, if one does.
    pub(crate) fail_at: Option<usize>,
    pub(crate) stop: Option<Stop>,
    /// Who started it.
    pub(crate) user: usize,
    /// Effective parameters: (name, value, sensitive).
    pub(crate) parameters: Vec<(String, String, bool)>,
    pub(crate) branch: String,
    pub(crate) commit: String,
    pub(crate) tag: Option<String>,
    /// `branch`, `tag` or `commit`.
    pub(crate) build_type: String,
    pub(crate) repo_name: Option<String>,
    pub(crate) repo_id: Option<String>,
}

/// How a finished build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Failure,
    Aborted,
}

/// Where a build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Running,
    Finished(Outcome),
}

impl Phase {
    /// The status/result string of records and history: `QUEUED`, `RUNNING`, `SUCCESS`, `FAILURE`,
    /// `ABORTED`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "QUEUED",
            Phase::Running => "RUNNING",
            Phase::Finished(Outcome::Success) => "SUCCESS",
            Phase::Finished(Outcome::Failure) => "FAILURE",
            Phase::Finished(Outcome::Aborted) => "ABORTED",
        }
    }

    pub(crate) fn is_finished(self) -> bool {
        matches!(self, Phase::Finished(_))
    }
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepState {
    /// Not started (and, if the build is over, never will be).
    Pending,
    Running,
    Success,
    /// Failed, or interrupted by a stop.
    Error,
}

impl StepState {
    /// The step status of section 4.8: `running`, `success`, `error` or an empty string.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "",
            StepState::Running => "running",
            StepState::Success => "success",
            StepState::Error => "error",
        }
    }
}

/// A step as of some time.
pub(crate) struct StepView {
    pub(crate) state: StepState,
    pub(crate) started: Option<SystemTime>,
    pub(crate) ended: Option<SystemTime>,
}

/// A build as of some time.
pub(crate) struct BuildView {
    pub(crate) phase: Phase,
    pub(crate) started: Option<SystemTime>,
    pub(crate) finished: Option<SystemTime>,
    pub(crate) steps: Vec<StepView>,
    pub(crate) now: SystemTime,
}

impl BuildView {
    /// Milliseconds the build has run (0 while queued).
    pub(crate) fn duration_ms(&self) -> i32 {
        match self.started {
            Some(start) => millis_between(start, self.finished.unwrap_or(self.now)),
            None => 0,
        }
    }

    /// Milliseconds step `i` has run.
    pub(crate) fn step_ms(&self, i: usize) -> i32 {
        match self.steps.get(i) {
            Some(StepView { started: Some(start), ended, .. }) => millis_between(*start, ended.unwrap_or(self.now)),
            _ => 0,
        }
    }
}

/// The timeline of a build: queued for one step duration after it is created, then each planned
/// step for one step duration, until the last step, the failing step, or a stop.
impl Build {
    /// When the build leaves the queue and starts running.
    pub(crate) fn queue_end(&self) -> SystemTime {
        add(self.created, self.step_duration)
    }

    /// When step `i` starts (if it runs).
    pub(crate) fn step_start(&self, i: usize) -> SystemTime {
        add(self.queue_end(), times(self.step_duration, i))
    }

    /// The last step that runs unless the build is stopped.
    pub(crate) fn last_step(&self) -> usize {
        self.fail_at.unwrap_or(self.steps.len().saturating_sub(1))
    }

    /// When the build ends unless it is stopped.
    pub(crate) fn natural_finish(&self) -> SystemTime {
        self.step_start(self.last_step() + 1)
    }

    /// The stop time, if the build was stopped before it would have ended by itself.
    pub(crate) fn effective_stop(&self) -> Option<SystemTime> {
        self.stop.as_ref().map(|s| s.at).filter(|at| *at < self.natural_finish())
    }

    /// Has the moment `t` been reached at `now` (before any stop)?
    pub(crate) fn reached(&self, t: SystemTime, now: SystemTime) -> bool {
        t <= now && self.effective_stop().is_none_or(|stop| t < stop)
    }

    /// The build as of `now`.
    pub(crate) fn view(&self, now: SystemTime) -> BuildView {
        let stop = self.effective_stop().filter(|at| *at <= now);
        let natural = self.natural_finish();
        let natural_outcome = if self.fail_at.is_some() { Outcome::Failure } else { Outcome::Success };
        let (phase, finished) = match stop {
            Some(at) => (Phase::Finished(Outcome::Aborted), Some(at)),
            None if natural <= now => (Phase::Finished(natural_outcome), Some(natural)),
            None if self.reached(self.queue_end(), now) => (Phase::Running, None),
            None => (Phase::Queued, None),
        };
        let started = self.reached(self.queue_end(), now).then(|| self.queue_end());
        let last = self.last_step();
        let steps = (0..self.steps.len())
            .map(|i| {
                let (start, end) = (self.step_start(i), self.step_start(i + 1));
                if i > last || !self.reached(start, now) {
                    StepView { state: StepState::Pending, started: None, ended: None }
                } else if end <= now && stop.is_none_or(|at| end <= at) {
                    let state = if self.fail_at == Some(i) { StepState::Error } else { StepState::Success };
                    StepView { state, started: Some(start), ended: Some(end) }
                } else if let Some(at) = stop {
                    StepView { state: StepState::Error, started: Some(start), ended: Some(at) }
                } else {
                    StepView { state: StepState::Running, started: Some(start), ended: None }
                }
            })
            .collect();
        BuildView { phase, started, finished, steps, now }
    }
}

/// A build template.
pub(crate) struct Template {
    /// 24 hex digits, the template's database identifier.
    pub(crate) id: String,
    /// 32 hex digits: what DeleteTemplates takes.
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) tool_type: Option<String>,
    pub(crate) parameters: Vec<types::BuildJobParameter>,
    pub(crate) steps: Vec<types::BuildJobStepInfo>,
    pub(crate) created: SystemTime,
    pub(crate) user: usize,
    pub(crate) domain_id: String,
}

/// The mutable data.
#[derive(Default)]
pub(crate) struct Data {
    /// Counts every ID handed out, so that IDs are deterministic and distinct.
    serial: u64,
    pub(crate) tokens: HashMap<String, IssuedToken>,
    /// In creation order.
    pub(crate) jobs: Vec<Job>,
    /// In creation order.
    pub(crate) templates: Vec<Template>,
    /// CodeArts Build beyond jobs, builds and templates (recycle bin, groups, keystores).
    pub(crate) build: crate::build::BuildData,
    /// CodeArts Check.
    pub(crate) check: crate::check::CheckData,
    /// CodeArts Pipeline.
    pub(crate) pipeline: crate::pipeline::PipelineData,
}

impl Data {
    /// A fresh seed for deriving an ID of `kind`.
    pub(crate) fn seed(&mut self, kind: &str) -> String {
        self.serial += 1;
        format!("codearts-emulator/{kind}/{}", self.serial)
    }

    pub(crate) fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn job_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id.eq_ignore_ascii_case(id))
    }

    /// The job and build of a build record ID.
    pub(crate) fn record(&self, record_id: &str) -> Option<(&Job, &Build)> {
        self.jobs.iter().find_map(|j| j.builds.iter().find(|b| b.record_id == record_id).map(|b| (j, b)))
    }
}

/// Everything the emulator shares between requests.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) clock: Clock,
    pub(crate) data: Mutex<Data>,
    /// Mixed into issued tokens so that two emulators never issue the same token.
    pub(crate) token_salt: u64,
}

/// The state of one emulator: its settings, its clock and its data. Cheap to clone; clones share
/// everything. Made by [`EmulatorBuilder::state`](super::EmulatorBuilder::state) and served by
/// [`router`](super::router).
#[derive(Clone)]
pub struct EmulatorState {
    pub(crate) shared: Arc<Shared>,
}

impl EmulatorState {
    /// The emulator clock's current time.
    pub fn now(&self) -> SystemTime {
        self.shared.clock.now()
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// The data, locked. Never held across an `.await`.
    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        self.shared.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The IAM project ID of the project named `name`, if the emulator has one.
    pub fn iam_project_id(&self, name: &str) -> Option<String> {
        self.settings().projects.iter().find(|p| p.name == name).map(|p| p.id.clone())
    }

    /// The number of build jobs that exist.
    pub fn job_count(&self) -> usize {
        self.data().jobs.len()
    }
}

impl fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = self.settings();
        f.debug_struct("EmulatorState")
            .field("step_duration", &settings.step_duration)
            .field("users", &settings.users.iter().map(|u| (&u.domain_name, &u.name)).collect::<Vec<_>>())
            .field("access_keys", &settings.keys.iter().map(|k| &k.ak).collect::<Vec<_>>())
            .field("iam_projects", &settings.projects.iter().map(|p| (&p.name, &p.id)).collect::<Vec<_>>())
            .field("clock", &self.shared.clock)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(steps: usize, fail_at: Option<usize>) -> Build {
        Build {
            number: 1,
            record_id: uuid("r"),
            entry_id: uuid("e"),
            daily_number: "20240101.1".into(),
            execution_id: "j_1".into(),
            created: UNIX_EPOCH + Duration::from_secs(1_000),
            step_duration: Duration::from_secs(10),
            steps: (0..steps)
                .map(|i| PlannedStep { name: format!("s{i}"), module_id: "m".into(), command: None })
                .collect(),
            fail_at,
            stop: None,
            user: 0,
            parameters: vec![],
            branch: "master".into(),
            commit: hex("c", 40),
            tag: None,
            build_type: "branch".into(),
            repo_name: None,
            repo_id: None,
        }
    }

    fn at(b: &Build, secs: u64) -> SystemTime {
        b.created + Duration::from_secs(secs)
    }

    fn states(v: &BuildView) -> Vec<&'static str> {
        v.steps.iter().map(|s| s.state.as_str()).collect()
    }

    #[test]
    fn a_build_is_queued_then_runs_each_step_then_succeeds() {
        let b = build(3, None);
        assert_eq!(b.view(at(&b, 0)).phase, Phase::Queued);
        assert_eq!(b.view(at(&b, 9)).phase, Phase::Queued);
        let v = b.view(at(&b, 15));
        assert_eq!((v.phase, states(&v)), (Phase::Running, vec!["running", "", ""]));
        assert_eq!(v.duration_ms(), 5_000);
        let v = b.view(at(&b, 25));
        assert_eq!(states(&v), vec!["success", "running", ""]);
        let v = b.view(at(&b, 40));
        assert_eq!((v.phase, states(&v)), (Phase::Finished(Outcome::Success), vec!["success"; 3]));
        assert_eq!((v.duration_ms(), v.step_ms(2)), (30_000, 10_000));
        assert_eq!(v.finished, Some(at(&b, 40)));
    }

    #[test]
    fn a_failing_step_ends_the_build() {
        let b = build(3, Some(1));
        let v = b.view(at(&b, 100));
        assert_eq!((v.phase, states(&v)), (Phase::Finished(Outcome::Failure), vec!["success", "error", ""]));
        assert_eq!(v.finished, Some(at(&b, 30)));
    }

    #[test]
    fn a_stop_aborts_the_running_step() {
        let mut b = build(3, None);
        b.stop = Some(Stop { at: at(&b, 25), user: 0 });
        let v = b.view(at(&b, 24));
        assert_eq!(v.phase, Phase::Running);
        let v = b.view(at(&b, 100));
        assert_eq!((v.phase, states(&v)), (Phase::Finished(Outcome::Aborted), vec!["success", "error", ""]));
        assert_eq!((v.finished, v.step_ms(1)), (Some(at(&b, 25)), 5_000));
        // Stopped in the queue: never started.
        b.stop = Some(Stop { at: at(&b, 5), user: 0 });
        let v = b.view(at(&b, 100));
        assert_eq!((v.phase, v.started, states(&v)), (Phase::Finished(Outcome::Aborted), None, vec![""; 3]));
        // A stop after the natural end changes nothing.
        b.stop = Some(Stop { at: at(&b, 45), user: 0 });
        assert_eq!(b.view(at(&b, 100)).phase, Phase::Finished(Outcome::Success));
    }

    #[test]
    fn minted_ids_have_the_formats_the_sdk_checks() {
        // Job, template and domain IDs are hex32, build records uuid: each must pass the spec's
        // documented format for every parameter that carries it, or the SDK would refuse to send it.
        let formats = codearts::build::operations::PARAMETERS;
        let check = |name: &str, id: &str| {
            let mut checked = 0;
            for p in formats.iter().filter(|p| p.name == name) {
                p.check(id).unwrap_or_else(|e| panic!("{} {name}: {e}", p.operation));
                checked += 1;
            }
            assert!(checked > 0, "no parameter {name}");
        };
        for seed in ["", "x", "job/1", "record/2/entry", "ümlaut"] {
            check("job_id", &hex32(seed));
            check("domain_id", &hex32(seed));
            check("uuid", &hex32(seed));
            check("record_id", &uuid(seed));
            check("build_flow_record_id", &uuid(seed));
        }
    }

    #[test]
    fn repository_names_and_ids() {
        assert_eq!(repository_name("git@example.com:demo/maven-demo.git").as_deref(), Some("maven-demo"));
        assert_eq!(repository_name("https://example.com/demo/web/").as_deref(), Some("web"));
        assert_eq!(repository_name("  ").as_deref(), None);
        assert_eq!(uuid("x").len(), 36);
        assert_eq!(hex32("x").len(), 32);
        assert_eq!(fmt_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(fmt_iam(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        assert_eq!(parse_date("2021-01-04").map(|d| d.to_string()).as_deref(), Some("2021-01-04"));
        assert!(parse_date("2021-13-04").is_none());
        assert_eq!(notice_channel("email"), Some("MAIL"));
        assert_eq!(notice_channel("DingTalk"), Some("DING_TALK"));
        assert_eq!(notice_channel("pigeon"), None);
    }
}
