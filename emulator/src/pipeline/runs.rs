//! Pipeline runs: RunPipeline (and the v3 StartNewPipeline), ShowPipelineRunDetail,
//! ListPipelineRuns, StopPipelineRun (and StopPipelineNew), RetryPipelineRun, the manual reviews
//! and checkpoints (AcceptManualReview, RejectManualReview, AcceptCheckpoint), ShowPipelineLog,
//! ShowStepOutputs, ShowPipelineArtifacts, and the v3 ShowPipleineStatus and
//! ListPipleineBuildResult.
//!
//! # A run's life
//!
//! RunPipeline plans the run from the pipeline's definition: its stages in order, each stage's
//! entry checks (`pre`), its jobs in order, each job's steps in order, then its exit checks
//! (`post`). Jobs left out by `choose_stages`/`choose_jobs` are `UNSELECTED`. The run then executes
//! one unit at a time on the emulator clock: a step takes one step duration; a step whose task or
//! name mentions a manual review (`manual`, `review`, `approv`) waits — its job `PAUSED` — until
//! AcceptManualReview or RejectManualReview; a `pre`/`post` check whose task mentions `manual` is a
//! checkpoint that waits for AcceptCheckpoint (the stage `PAUSED`); any other check is instant. A
//! step fails when its name contains `fail` (any case), or when the run variable `fail` names it
//! (or is `true`: the last step); a failure or a rejection ends the run `FAILED`; StopPipelineRun
//! ends it `CANCELED`, the running unit `CANCELED`. RetryPipelineRun reruns a failed run from its
//! failed unit on (the same run ID; the completed units stay): a failure the `fail` variable asked
//! for happens once, a step named for failure fails again.
//!
//! Nothing runs in the background: every answer is computed from the run's attempts, decisions
//! and the clock, as for Build's builds.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::{
    Pipeline, answer, body, conflict, fmt_time, invalid, ms, pipeline_not_found, project, svc, typed, window,
    wrong_project,
};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, ok, shorten};
use crate::state::{Data, EmulatorState, add, hex32};

/// Lines each step's log has.
const LOG_LINES: usize = 6;

/// What a planned unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    /// A job's step: runs for one step duration.
    Step,
    /// A job's manual review step: waits for a decision.
    Review,
    /// A stage's manual checkpoint (entry or exit): waits for AcceptCheckpoint.
    Checkpoint,
    /// A stage's automatic check: done at once.
    Instant,
}

/// Where a unit sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Pre,
    Job(usize),
    Post,
}

/// One unit of work of a plan.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub(crate) id: String,
    pub(crate) identifier: String,
    pub(crate) name: String,
    pub(crate) task: String,
    pub(crate) kind: UnitKind,
    pub(crate) stage: usize,
    pub(crate) place: Place,
    pub(crate) fails_always: bool,
    pub(crate) selected: bool,
    pub(crate) inputs: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedJob {
    pub(crate) id: String,
    pub(crate) identifier: String,
    pub(crate) name: String,
    pub(crate) selected: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedStage {
    pub(crate) id: String,
    pub(crate) identifier: String,
    pub(crate) name: String,
    pub(crate) jobs: Vec<PlannedJob>,
}

/// One execution of the run's units from `from` on: the first, and each retry.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub(crate) from: usize,
    pub(crate) at: SystemTime,
    /// The unit the `fail` variable fails (first attempt only).
    pub(crate) fail_at: Option<usize>,
    pub(crate) stop: Option<SystemTime>,
    /// Review and checkpoint decisions: unit → (time, accepted).
    pub(crate) decisions: BTreeMap<usize, (SystemTime, bool)>,
}

/// A pipeline run.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) id: String,
    pub(crate) number: i64,
    pub(crate) created: SystemTime,
    pub(crate) executor: usize,
    pub(crate) description: String,
    pub(crate) trigger: &'static str,
    pub(crate) step_duration: Duration,
    pub(crate) stages: Vec<PlannedStage>,
    pub(crate) units: Vec<Unit>,
    pub(crate) variables: Vec<(String, String)>,
    pub(crate) sources: Value,
    pub(crate) attempts: Vec<Attempt>,
}

/// A unit's state as of some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitState {
    Pending,
    Running,
    /// A review or checkpoint waiting for a decision.
    Waiting,
    Completed,
    Failed,
    Canceled,
    Unselected,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct UnitView {
    pub(crate) state: UnitState,
    pub(crate) start: Option<SystemTime>,
    pub(crate) end: Option<SystemTime>,
}

/// How a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    Running,
    Completed,
    Failed,
    Canceled,
}

impl RunState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "RUNNING",
            RunState::Completed => "COMPLETED",
            RunState::Failed => "FAILED",
            RunState::Canceled => "CANCELED",
        }
    }

    /// The v3 APIs' (status, outcome).
    fn legacy(self) -> (&'static str, Option<&'static str>) {
        match self {
            RunState::Running => ("running", None),
            RunState::Completed => ("completed", Some("success")),
            RunState::Failed => ("completed", Some("error")),
            RunState::Canceled => ("completed", Some("aborted")),
        }
    }
}

pub(crate) struct RunView {
    pub(crate) state: RunState,
    pub(crate) units: Vec<UnitView>,
    pub(crate) start: SystemTime,
    pub(crate) end: Option<SystemTime>,
}

impl Run {
    /// The run as of `now`.
    pub(crate) fn view(&self, now: SystemTime) -> RunView {
        let pending = UnitView { state: UnitState::Pending, start: None, end: None };
        let mut units: Vec<UnitView> = self
            .units
            .iter()
            .map(|u| if u.selected { pending } else { UnitView { state: UnitState::Unselected, ..pending } })
            .collect();
        let mut state = RunState::Running;
        let mut end = None;
        for attempt in &self.attempts {
            if attempt.at > now {
                break;
            }
            let (s, e) = self.play(attempt, now, &mut units);
            state = s;
            end = e;
        }
        RunView { state, units, start: self.created, end }
    }

    /// Plays one attempt into `units`: its outcome and end.
    fn play(&self, attempt: &Attempt, now: SystemTime, units: &mut [UnitView]) -> (RunState, Option<SystemTime>) {
        let mut t = attempt.at;
        let stop = attempt.stop.filter(|s| *s <= now);
        for i in attempt.from..self.units.len() {
            let unit = &self.units[i];
            if !unit.selected {
                continue;
            }
            units[i] = UnitView { state: UnitState::Pending, start: None, end: None };
            if let Some(s) = stop
                && s <= t
            {
                return (RunState::Canceled, Some(s));
            }
            if t > now {
                return (RunState::Running, None);
            }
            let (finish, failed) = match unit.kind {
                UnitKind::Instant => (Some(t), false),
                UnitKind::Step => (Some(add(t, self.step_duration)), unit.fails_always || attempt.fail_at == Some(i)),
                UnitKind::Review | UnitKind::Checkpoint => match attempt.decisions.get(&i) {
                    Some((at, accepted)) => (Some(*at), !accepted),
                    None => (None, false),
                },
            };
            let waiting = matches!(unit.kind, UnitKind::Review | UnitKind::Checkpoint);
            // Stopped while this unit ran.
            if let Some(s) = stop
                && finish.is_none_or(|f| s < f)
            {
                units[i] = UnitView { state: UnitState::Canceled, start: Some(t), end: Some(s) };
                return (RunState::Canceled, Some(s));
            }
            match finish {
                Some(f) if f <= now => {
                    let state = if failed { UnitState::Failed } else { UnitState::Completed };
                    units[i] = UnitView { state, start: Some(t), end: Some(f) };
                    if failed {
                        return (RunState::Failed, Some(f));
                    }
                    t = f;
                }
                _ => {
                    let state = if waiting { UnitState::Waiting } else { UnitState::Running };
                    units[i] = UnitView { state, start: Some(t), end: None };
                    return (RunState::Running, None);
                }
            }
        }
        (RunState::Completed, Some(t))
    }

    /// The unit with run ID `id`.
    pub(crate) fn unit(&self, id: &str) -> Option<usize> {
        self.units.iter().position(|u| u.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn current(&mut self) -> &mut Attempt {
        let last = self.attempts.len() - 1;
        &mut self.attempts[last]
    }

    /// The units of job `job` of stage `stage`.
    fn job_units(&self, stage: usize, job: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.units.len()).filter(move |i| self.units[*i].stage == stage && self.units[*i].place == Place::Job(job))
    }
}

/// A group of units' status, in the job and stage statuses of the reference.
fn aggregate(states: &[UnitState], selected: bool) -> &'static str {
    if !selected {
        return "UNSELECTED";
    }
    let any = |s: UnitState| states.contains(&s);
    if any(UnitState::Waiting) {
        "PAUSED"
    } else if any(UnitState::Running) {
        "RUNNING"
    } else if any(UnitState::Failed) {
        "FAILED"
    } else if any(UnitState::Canceled) {
        "CANCELED"
    } else if states.iter().all(|s| matches!(s, UnitState::Completed | UnitState::Unselected)) {
        "COMPLETED"
    } else if states.contains(&UnitState::Completed) {
        "RUNNING"
    } else {
        "INIT"
    }
}

fn unit_status(state: UnitState) -> Option<&'static str> {
    match state {
        UnitState::Running | UnitState::Waiting => Some("RUNNING"),
        UnitState::Completed => Some("COMPLETED"),
        UnitState::Failed => Some("FAILED"),
        UnitState::Canceled => Some("CANCELED"),
        UnitState::Pending | UnitState::Unselected => None,
    }
}

fn min_start(views: &[&UnitView]) -> Option<i64> {
    views.iter().filter_map(|v| v.start).min().map(ms)
}

fn max_end(views: &[&UnitView], finished: bool) -> Option<i64> {
    if !finished {
        return None;
    }
    views.iter().filter_map(|v| v.end).max().map(ms)
}

// ---------------------------------------------------------------- planning

/// Whether a task or name asks for a manual review.
fn is_review(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("manual") || t.contains("review") || t.contains("approv")
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The stages of a definition (the JSON string of PipelineDTO.definition): `None` when it is not
/// JSON with a `stages` array.
pub(crate) fn definition_stages(definition: &str) -> Option<Vec<Value>> {
    let value: Value = serde_json::from_str(definition).ok()?;
    value.get("stages")?.as_array().cloned()
}

/// Plans a run of `pipeline`.
fn plan(
    data: &mut Data,
    pipeline: &Pipeline,
    choose_stages: &[String],
    choose_jobs: &[String],
) -> (Vec<PlannedStage>, Vec<Unit>) {
    let stages_json = definition_stages(&pipeline.definition()).unwrap_or_default();
    let mut stages = Vec::new();
    let mut units = Vec::new();
    let chosen = |list: &[String], identifier: &str, name: &str| {
        list.is_empty() || list.iter().any(|c| c == identifier || c == name)
    };
    for (si, stage) in stages_json.iter().enumerate() {
        let identifier = match text(stage, "identifier") {
            s if s.is_empty() => format!("stage-{si}"),
            s => s,
        };
        let name = match text(stage, "name") {
            s if s.is_empty() => format!("Stage {}", si + 1),
            s => s,
        };
        let stage_selected = chosen(choose_stages, &identifier, &name);
        let mut jobs = Vec::new();
        let push_unit = |data: &mut Data, units: &mut Vec<Unit>, v: &Value, place: Place, selected: bool| {
            let task = text(v, "task");
            let name = match text(v, "name") {
                n if n.is_empty() => task.clone(),
                n => n,
            };
            let kind = match place {
                Place::Job(_) if is_review(&task) || is_review(&name) => UnitKind::Review,
                Place::Job(_) => UnitKind::Step,
                _ if task.to_ascii_lowercase().contains("manual") => UnitKind::Checkpoint,
                _ => UnitKind::Instant,
            };
            let identifier = match text(v, "identifier") {
                s if s.is_empty() => format!("{}-{}", task, units.len()),
                s => s,
            };
            units.push(Unit {
                id: hex32(&data.seed("pipeline-step-run")),
                identifier,
                fails_always: kind == UnitKind::Step && name.to_ascii_lowercase().contains("fail"),
                name,
                task,
                kind,
                stage: si,
                place,
                selected,
                inputs: v.get("inputs").cloned().unwrap_or(Value::Array(Vec::new())),
            });
        };
        for pre in stage.get("pre").and_then(Value::as_array).into_iter().flatten() {
            push_unit(data, &mut units, pre, Place::Pre, stage_selected);
        }
        for (ji, job) in stage.get("jobs").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let identifier = match text(job, "identifier") {
                s if s.is_empty() => format!("job-{si}-{ji}"),
                s => s,
            };
            let name = match text(job, "name") {
                s if s.is_empty() => format!("Job {}", ji + 1),
                s => s,
            };
            // Stages take precedence over jobs: a chosen stage runs its chosen jobs (all of them
            // when no job of it is named).
            let names_a_job_here = choose_jobs.iter().any(|c| {
                stage
                    .get("jobs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|j| *c == text(j, "identifier") || *c == text(j, "name"))
            });
            let selected = stage_selected && (!names_a_job_here || chosen(choose_jobs, &identifier, &name));
            for step in job.get("steps").and_then(Value::as_array).into_iter().flatten() {
                push_unit(data, &mut units, step, Place::Job(ji), selected);
            }
            jobs.push(PlannedJob { id: hex32(&data.seed("pipeline-job-run")), identifier, name, selected });
        }
        for post in stage.get("post").and_then(Value::as_array).into_iter().flatten() {
            push_unit(data, &mut units, post, Place::Post, stage_selected);
        }
        stages.push(PlannedStage { id: hex32(&data.seed("pipeline-stage-run")), identifier, name, jobs });
    }
    (stages, units)
}

// ---------------------------------------------------------------- lookups

/// The pipeline `id` of the call's project: 404, or 400 when it is another project's.
pub(crate) fn find_pipeline<'a>(data: &'a Data, project: &str, id: &str) -> Result<&'a Pipeline, ApiError> {
    let pipeline =
        data.pipeline.pipelines.iter().find(|p| p.id.eq_ignore_ascii_case(id)).ok_or_else(|| pipeline_not_found(id))?;
    if !project.is_empty() && pipeline.project_id != project {
        return Err(wrong_project(&pipeline.id, project));
    }
    Ok(pipeline)
}

pub(crate) fn find_pipeline_mut<'a>(data: &'a mut Data, project: &str, id: &str) -> Result<&'a mut Pipeline, ApiError> {
    find_pipeline(data, project, id)?;
    data.pipeline.pipelines.iter_mut().find(|p| p.id.eq_ignore_ascii_case(id)).ok_or_else(|| pipeline_not_found(id))
}

fn run_not_found(id: &str) -> ApiError {
    super::not_found(format!("Pipeline run {} does not exist.", shorten(id)))
}

fn find_run<'a>(pipeline: &'a Pipeline, id: &str) -> Result<&'a Run, ApiError> {
    pipeline.runs.iter().find(|r| r.id.eq_ignore_ascii_case(id)).ok_or_else(|| run_not_found(id))
}

fn find_run_mut<'a>(pipeline: &'a mut Pipeline, id: &str) -> Result<&'a mut Run, ApiError> {
    pipeline.runs.iter_mut().find(|r| r.id.eq_ignore_ascii_case(id)).ok_or_else(|| run_not_found(id))
}

// ---------------------------------------------------------------- answers

fn executor_name(state: &EmulatorState, run: &Run) -> (String, String) {
    state.settings().users.get(run.executor).map(|u| (u.id.clone(), u.name.clone())).unwrap_or_default()
}

/// The run as the reference's PipelineRun.
pub(crate) fn run_json(state: &EmulatorState, pipeline: &Pipeline, run: &Run, now: SystemTime) -> Value {
    let view = run.view(now);
    let step_json = |i: usize| {
        let (u, v) = (&run.units[i], &view.units[i]);
        json!({
            "id": u.id, "identifier": u.identifier, "name": u.name, "task": u.task,
            "business_type": if u.kind == UnitKind::Review { "Normal" } else { "Build" },
            "sequence": i, "status": unit_status(v.state),
            "start_time": v.start.map(ms), "end_time": v.end.map(ms),
            "inputs": u.inputs.as_array().map(|items| items.iter().map(|i| json!({"key": i.get("key"), "value": i.get("value")})).collect::<Vec<_>>()),
            "message": (v.state == UnitState::Failed).then(|| format!("Step {} failed.", u.name)),
            "official_task_version": "0.0.1", "multi_step_editable": 0,
        })
    };
    let stages: Vec<Value> = run
        .stages
        .iter()
        .enumerate()
        .map(|(si, stage)| {
            let in_stage: Vec<usize> = (0..run.units.len()).filter(|i| run.units[*i].stage == si).collect();
            let views: Vec<&UnitView> = in_stage.iter().map(|i| &view.units[*i]).collect();
            let states: Vec<UnitState> = views.iter().map(|v| v.state).collect();
            let selected = run.units.iter().filter(|u| u.stage == si).any(|u| u.selected)
                || (in_stage.is_empty() && stage.jobs.iter().any(|j| j.selected))
                || in_stage.is_empty() && stage.jobs.is_empty();
            let checkpoint_waiting = in_stage
                .iter()
                .any(|i| run.units[*i].kind == UnitKind::Checkpoint && view.units[*i].state == UnitState::Waiting);
            // A stage without units completes as soon as the run reaches it.
            let reached = in_stage.is_empty() && {
                let before = (0..run.units.len()).filter(|i| run.units[*i].stage < si).collect::<Vec<_>>();
                before.iter().all(|i| matches!(view.units[*i].state, UnitState::Completed | UnitState::Unselected))
                    && view.state != RunState::Canceled
            };
            let status = if in_stage.is_empty() {
                if reached { "COMPLETED" } else { "INIT" }
            } else if checkpoint_waiting {
                "PAUSED"
            } else {
                aggregate(&states, selected)
            };
            let side = |place: Place| {
                in_stage.iter().filter(|i| run.units[**i].place == place).map(|i| step_json(*i)).collect::<Vec<_>>()
            };
            let jobs: Vec<Value> = stage
                .jobs
                .iter()
                .enumerate()
                .map(|(ji, job)| {
                    let ids: Vec<usize> = run.job_units(si, ji).collect();
                    let jviews: Vec<&UnitView> = ids.iter().map(|i| &view.units[*i]).collect();
                    let jstates: Vec<UnitState> = jviews.iter().map(|v| v.state).collect();
                    let status = if ids.is_empty() && job.selected {
                        status_of_empty(status)
                    } else {
                        aggregate(&jstates, job.selected)
                    };
                    let failed = jstates.contains(&UnitState::Failed);
                    json!({
                        "id": job.id, "identifier": job.identifier, "name": job.name, "sequence": ji,
                        "category": "Build", "async": "false", "is_select": job.selected,
                        "exec_id": hex32(&format!("{}/{}", run.id, job.id)),
                        "status": status, "start_time": min_start(&jviews),
                        "end_time": max_end(&jviews, !matches!(status, "RUNNING" | "PAUSED" | "INIT")),
                        "message": failed.then(|| "A step of the job failed.".to_string()),
                        "depends_on": [], "timeout": "", "resource": "{\"type\":\"system\",\"arch\":\"x86\"}",
                        "steps": ids.iter().map(|i| step_json(*i)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "id": stage.id, "identifier": stage.identifier, "name": stage.name, "sequence": si,
                "category": null, "parallel": "false", "run_always": false, "is_select": selected,
                "status": status, "start_time": min_start(&views),
                "end_time": max_end(&views, !matches!(status, "RUNNING" | "PAUSED" | "INIT")),
                "pre": side(Place::Pre), "post": side(Place::Post), "jobs": jobs, "depends_on": [],
            })
        })
        .collect();
    let (executor_id, executor_name) = executor_name(state, run);
    json!({
        "id": run.id, "subject_id": run.id, "pipeline_id": pipeline.id, "name": pipeline.name,
        "project_id": pipeline.project_id, "domain_id": pipeline.domain_id,
        "description": run.description, "executor_id": executor_id, "executor_name": executor_name,
        "run_number": run.number, "status": view.state.as_str(), "trigger_type": run.trigger,
        "start_time": ms(view.start), "end_time": view.end.map(ms), "current_system_time": ms(now),
        "is_publish": pipeline.is_publish(), "manifest_version": "3.0", "language": "en-us",
        "region": state.settings().region(), "group_id": pipeline.group_id, "pause_time": 0,
        "detail_url": detail_url(pipeline, Some(run)),
        "sources": run.sources, "stages": stages,
        "artifacts": artifacts(pipeline, run, &view).iter().map(|a| json!({
            "name": a["name"], "packageType": a["artifact_package_type"], "version": a["artifact_version"],
            "downloadUrl": a["artifact_download_url_with_id"],
        })).collect::<Vec<_>>(),
    })
}

/// A job without steps follows its stage.
fn status_of_empty(stage_status: &str) -> &'static str {
    match stage_status {
        "COMPLETED" => "COMPLETED",
        "FAILED" => "FAILED",
        "CANCELED" => "CANCELED",
        "RUNNING" | "PAUSED" => "RUNNING",
        _ => "INIT",
    }
}

pub(crate) fn detail_url(pipeline: &Pipeline, run: Option<&Run>) -> String {
    let mut url =
        format!("https://devcloud.example.com/cicd/project/{}/pipeline/detail/{}", pipeline.project_id, pipeline.id);
    if let Some(run) = run {
        url += &format!("/{}", run.id);
    }
    url
}

/// The run as the reference's PipelineRunSummary (the lists' shape).
pub(crate) fn run_summary(state: &EmulatorState, pipeline: &Pipeline, run: &Run, now: SystemTime) -> Value {
    let detail = run_json(state, pipeline, run, now);
    let stages: Vec<Value> = detail["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            json!({
                "id": s["id"], "name": s["name"], "sequence": s["sequence"], "status": s["status"],
                "start_time": s["start_time"].as_i64().map(|t| t.to_string()),
                "end_time": s["end_time"].as_i64().map(|t| t.to_string()),
            })
        })
        .collect();
    json!({
        "pipeline_id": pipeline.id, "pipeline_run_id": run.id, "executor_id": detail["executor_id"],
        "executor_name": detail["executor_name"], "run_number": run.number, "status": detail["status"],
        "trigger_type": run.trigger, "start_time": detail["start_time"], "end_time": detail["end_time"],
        "detail_url": detail["detail_url"], "modify_url": format!("{}/edit", detail_url(pipeline, None)),
        "stage_status_list": stages,
        "build_params": {"event_type": run.trigger, "build_type": "branch",
            "target_branch": pipeline.default_branch(), "codehub_id": null, "source_branch": null},
        "artifact_params": {},
    })
}

/// What a successful build step of the run produced (one package per completed step whose task
/// mentions a build).
fn artifacts(pipeline: &Pipeline, run: &Run, view: &RunView) -> Vec<Value> {
    run.units
        .iter()
        .zip(&view.units)
        .filter(|(u, v)| {
            u.kind == UnitKind::Step && v.state == UnitState::Completed && u.task.to_ascii_lowercase().contains("build")
        })
        .map(|(u, _)| {
            let name = format!("{}-{}.zip", pipeline.name, run.number);
            json!({
                "name": name, "project_id": pipeline.project_id, "job_id": u.id, "build_no": run.number.to_string(),
                "daily_build_number": format!("{}.{}", fmt_time(run.created).get(..10).unwrap_or_default().replace('-', ""), run.number),
                "artifact_type": "package", "artifact_package_type": "generic", "artifact_version": run.number.to_string(),
                "artifact_uri": format!("/{}/{}/{}/{name}", pipeline.project_id, pipeline.name, run.number),
                "artifact_download_url_with_id": format!("https://devrepo.example.com/{}/{name}", u.id),
                "upload_target": "release_repository", "file_size": "1024",
                "hash_code": [{"hash_type": "sha256", "hash_value": hex32(&format!("{}/{}", run.id, u.id)) + &hex32(&u.id)}],
            })
        })
        .collect()
}

// ---------------------------------------------------------------- starting

/// Starts a run of pipeline `id`: its run ID.
fn start(
    state: &EmulatorState,
    call: &Call<'_>,
    project: &str,
    id: &str,
    request: &types::RunPipelineDto,
) -> Result<String, ApiError> {
    if request.description.as_deref().is_some_and(|d| d.chars().count() > 1024) {
        return Err(invalid("description may have at most 1024 characters."));
    }
    let now = state.now();
    let step_duration = state.settings().step_duration;
    let mut data = state.data();
    let pipeline = find_pipeline(&data, project, id)?.clone_for_plan();
    if pipeline.banned {
        return Err(conflict(format!("Pipeline {} is disabled.", pipeline.id)));
    }
    let (stages, units) = plan(
        &mut data,
        &pipeline,
        request.choose_stages.as_deref().unwrap_or_default(),
        request.choose_jobs.as_deref().unwrap_or_default(),
    );
    for (i, chosen) in request.choose_stages.iter().flatten().enumerate() {
        if !stages.iter().any(|s| s.identifier == *chosen || s.name == *chosen) {
            return Err(invalid(format!("choose_stages[{i}]: the pipeline has no stage {}.", shorten(chosen))));
        }
    }
    // Run variables: the pipeline's defaults, overridden by the request's.
    let mut variables: Vec<(String, String)> = pipeline.variables();
    for v in request.variables.iter().flatten() {
        match variables.iter_mut().find(|(n, _)| *n == v.name) {
            Some(slot) => slot.1 = v.value.clone(),
            None => variables.push((v.name.clone(), v.value.clone())),
        }
    }
    let fail_at = variables.iter().find(|(n, _)| n == "fail").and_then(|(_, v)| {
        let steps: Vec<usize> =
            (0..units.len()).filter(|i| units[*i].selected && units[*i].kind == UnitKind::Step).collect();
        if v.eq_ignore_ascii_case("true") {
            steps.last().copied()
        } else {
            steps.into_iter().find(|i| units[*i].name == *v)
        }
    });
    let run_id = hex32(&data.seed("pipeline-run"));
    let sources = serde_json::to_value(&request.sources).unwrap_or(Value::Array(Vec::new()));
    let pipeline = find_pipeline_mut(&mut data, project, id)?;
    let number = pipeline.runs.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    pipeline.runs.push(Run {
        id: run_id.clone(),
        number,
        created: now,
        executor: call.caller.user,
        description: request.description.clone().unwrap_or_default(),
        trigger: "Manual",
        step_duration,
        stages,
        units,
        variables,
        sources,
        attempts: vec![Attempt { from: 0, at: now, fail_at, stop: None, decisions: BTreeMap::new() }],
    });
    Ok(run_id)
}

/// `POST /v5/{project_id}/api/pipelines/{pipeline_id}/run` (RunPipeline).
pub(crate) fn run_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::RunPipelineDto =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let run_id = start(state, call, &project(call), call.path("pipeline_id"), &request)?;
    answer::<types::PipelineRunId>(json!({ "pipeline_run_id": run_id }))
}

/// `POST /v3/pipelines/{pipeline_id}/start` (StartNewPipeline, the old API): its build params
/// become run variables.
pub(crate) fn start_new_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::StartPipelineParameters =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let params = serde_json::to_value(&request.build_params).unwrap_or_default();
    let variables: Vec<Value> = params
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some(json!({"name": p.get("key").or(p.get("name"))?, "value": p.get("value")?})))
        .collect();
    let dto: types::RunPipelineDto = typed(json!({ "variables": variables }));
    let run_id = start(state, call, "", call.path("pipeline_id"), &dto)?;
    // The old API names runs by number.
    let data = state.data();
    let pipeline = find_pipeline(&data, "", call.path("pipeline_id"))?;
    let number = find_run(pipeline, &run_id)?.number;
    answer::<types::PipelineActionResult>(json!({"pipeline_id": pipeline.id, "build_id": number.to_string()}))
}

// ---------------------------------------------------------------- reading

/// `GET /v5/{project_id}/api/pipelines/{pipeline_id}/pipeline-runs/detail` (ShowPipelineRunDetail):
/// by `pipeline_run_id`, by `pipeline_run_number`, or the latest run.
pub(crate) fn show_pipeline_run_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let pipeline = find_pipeline(&data, &project(call), call.path("pipeline_id"))?;
    let run = match (call.query.optional("pipeline_run_id"), call.query.optional("pipeline_run_number")) {
        (Some(id), _) if !id.is_empty() => find_run(pipeline, id)?,
        (_, Some(n)) if !n.is_empty() => {
            let n = crate::reply::parse_int_for(svc(), "pipeline_run_number", n, 1..=i64::from(i32::MAX))?;
            pipeline.runs.iter().find(|r| r.number == n).ok_or_else(|| run_not_found(&format!("#{n}")))?
        }
        _ => pipeline.runs.last().ok_or_else(|| run_not_found("(latest)"))?,
    };
    answer::<types::PipelineRun>(run_json(state, pipeline, run, now))
}

/// `POST …/pipeline-runs/list` (ListPipelineRuns): newest first unless `sort_dir` is `asc`.
pub(crate) fn list_pipeline_runs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let q: types::ListPipelineRunsQuery =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(10);
    if offset < 0 || !(0..=100).contains(&limit) {
        return Err(invalid("offset must be 0 or more and limit between 0 and 100."));
    }
    let now = state.now();
    let data = state.data();
    let pipeline = find_pipeline(&data, &project(call), call.path("pipeline_id"))?;
    let statuses: Vec<String> = q.status.iter().flatten().map(|s| s.as_str().to_string()).collect();
    let triggers: Vec<String> = q.trigger_type.iter().flatten().map(|s| s.as_str().to_string()).collect();
    let mut runs: Vec<&Run> = pipeline
        .runs
        .iter()
        .filter(|r| statuses.is_empty() || statuses.iter().any(|s| s == r.view(now).state.as_str()))
        .filter(|r| triggers.is_empty() || triggers.iter().any(|t| t == r.trigger))
        .filter(|r| {
            q.executor_ids.as_ref().is_none_or(Vec::is_empty)
                || state
                    .settings()
                    .users
                    .get(r.executor)
                    .is_some_and(|u| q.executor_ids.iter().flatten().any(|i| *i == u.id))
        })
        .collect();
    if q.sort_dir.as_ref().map(|d| d.as_str()) != Some("asc") {
        runs.reverse();
    }
    let total = runs.len();
    let items: Vec<Value> =
        window(runs, offset, limit).into_iter().map(|r| run_summary(state, pipeline, r, now)).collect();
    answer::<types::ListPipelineRunsPage>(
        json!({"offset": offset, "limit": limit, "total": total, "pipeline_runs": items}),
    )
}

// ---------------------------------------------------------------- stopping, retrying, reviews

fn success() -> Reply {
    ok(&typed::<types::SuccessResp>(json!({"success": true})))
}

/// The run numbered `text` (the old APIs' `build_id`).
fn run_by_number<'a>(pipeline: &'a Pipeline, text: &str) -> Result<&'a Run, ApiError> {
    let n = crate::reply::parse_int_for(svc(), "build_id", text, 1..=i64::from(i32::MAX))?;
    pipeline.runs.iter().find(|r| r.number == n).ok_or_else(|| run_not_found(&format!("#{n}")))
}

fn stop_run(state: &EmulatorState, project: &str, pipeline_id: &str, run_id: Option<&str>) -> Result<String, ApiError> {
    let now = state.now();
    let mut data = state.data();
    let pipeline = find_pipeline_mut(&mut data, project, pipeline_id)?;
    let run = match run_id {
        Some(id) => find_run_mut(pipeline, id)?,
        None => pipeline.runs.last_mut().ok_or_else(|| run_not_found("(latest)"))?,
    };
    match run.view(now).state {
        RunState::Running => {
            run.current().stop = Some(now);
            Ok(run.id.clone())
        }
        // Stopping a stopped run again succeeds.
        RunState::Canceled => Ok(run.id.clone()),
        other => {
            Err(conflict(format!("Pipeline run {} is already {}; only a running run stops.", run.id, other.as_str())))
        }
    }
}

/// `POST …/pipeline-runs/{pipeline_run_id}/stop` (StopPipelineRun).
pub(crate) fn stop_pipeline_run(state: &EmulatorState, call: &Call<'_>) -> Reply {
    stop_run(state, &project(call), call.path("pipeline_id"), Some(call.path("pipeline_run_id")))?;
    success()
}

/// `POST /v3/pipelines/{pipeline_id}/stop?build_id=` (StopPipelineNew, the old API).
pub(crate) fn stop_pipeline_new(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let build = call.query.required("build_id")?;
    let run_id = {
        let data = state.data();
        run_by_number(find_pipeline(&data, "", call.path("pipeline_id"))?, build)?.id.clone()
    };
    stop_run(state, "", call.path("pipeline_id"), Some(&run_id))?;
    let data = state.data();
    let pipeline = find_pipeline(&data, "", call.path("pipeline_id"))?;
    answer::<types::PipelineInfoResponse>(json!({"pipeline_id": pipeline.id, "pipeline_name": pipeline.name}))
}

/// `PUT …/pipeline-runs/{pipeline_run_id}/retry` (RetryPipelineRun): reruns a failed run from its
/// failed unit (or from the first unit of the named failed jobs).
pub(crate) fn retry_pipeline_run(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::RetryPipelineRequest =
        if call.body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body(call)? };
    let now = state.now();
    let mut data = state.data();
    let pipeline = find_pipeline_mut(&mut data, &project(call), call.path("pipeline_id"))?;
    let run = find_run_mut(pipeline, call.path("pipeline_run_id"))?;
    let view = run.view(now);
    if view.state != RunState::Failed {
        return Err(conflict(format!(
            "Pipeline run {} is {}; only a failed run can be retried.",
            run.id,
            view.state.as_str()
        )));
    }
    let failed = view.units.iter().position(|u| u.state == UnitState::Failed).unwrap_or(0);
    for id in request.job_run_ids.iter().flatten() {
        if !run.stages.iter().any(|s| s.jobs.iter().any(|j| j.id.eq_ignore_ascii_case(id))) {
            return Err(invalid(format!("job_run_ids: the run has no job {}.", shorten(id))));
        }
    }
    run.attempts.push(Attempt { from: failed, at: now, fail_at: None, stop: None, decisions: BTreeMap::new() });
    success()
}

/// Decides the waiting review or checkpoint `unit` of a run.
fn decide(state: &EmulatorState, call: &Call<'_>, accept: bool, checkpoint: bool) -> Reply {
    let now = state.now();
    let mut data = state.data();
    let pipeline = find_pipeline_mut(&mut data, &project(call), call.path("pipeline_id"))?;
    let run = find_run_mut(pipeline, call.path("pipeline_run_id"))?;
    let step = call.path("step_run_id");
    let Some(i) = run.unit(step) else {
        return Err(super::not_found(format!("Pipeline run {} has no step {}.", run.id, shorten(step))));
    };
    if !checkpoint {
        let job = call.path("job_run_id");
        let in_job = match run.units[i].place {
            Place::Job(ji) => run.stages[run.units[i].stage].jobs[ji].id.eq_ignore_ascii_case(job),
            _ => false,
        };
        if !in_job {
            return Err(super::not_found(format!(
                "Job {} of run {} has no step {}.",
                shorten(job),
                run.id,
                shorten(step)
            )));
        }
    }
    let wanted = if checkpoint { UnitKind::Checkpoint } else { UnitKind::Review };
    let waiting = run.units[i].kind == wanted && run.view(now).units[i].state == UnitState::Waiting;
    if !waiting {
        let what = if checkpoint { "manual checkpoint" } else { "manual review" };
        return Err(conflict(format!("Step {} is not a {what} waiting for a decision.", run.units[i].id)));
    }
    run.current().decisions.insert(i, (now, accept));
    success()
}

/// `POST …/jobs/{job_run_id}/steps/{step_run_id}/pass` (AcceptManualReview).
pub(crate) fn accept_manual_review(state: &EmulatorState, call: &Call<'_>) -> Reply {
    decide(state, call, true, false)
}

/// `POST …/jobs/{job_run_id}/steps/{step_run_id}/refuse` (RejectManualReview): the run fails.
pub(crate) fn reject_manual_review(state: &EmulatorState, call: &Call<'_>) -> Reply {
    decide(state, call, false, false)
}

/// `POST …/steps/{step_run_id}/manual/pass` (AcceptCheckpoint).
pub(crate) fn accept_checkpoint(state: &EmulatorState, call: &Call<'_>) -> Reply {
    decide(state, call, true, true)
}

// ---------------------------------------------------------------- logs, outputs, artifacts

/// The lines of unit `i`'s log whose time has come.
pub(crate) fn log_lines(pipeline: &Pipeline, run: &Run, i: usize, now: SystemTime) -> Vec<String> {
    let view = run.view(now);
    let (unit, v) = (&run.units[i], &view.units[i]);
    let Some(start) = v.start else { return Vec::new() };
    let stamp = |t: SystemTime| fmt_time(t);
    let mut lines = vec![format!(
        "[{}] [INFO] Start step {} ({}) of pipeline {} run #{}",
        stamp(start),
        unit.name,
        unit.task,
        pipeline.name,
        run.number
    )];
    match unit.kind {
        UnitKind::Review | UnitKind::Checkpoint => {
            lines.push(format!("[{}] [INFO] Waiting for a manual decision", stamp(start)));
            if let Some(end) = v.end {
                let verdict = match v.state {
                    UnitState::Completed => "approved",
                    UnitState::Failed => "rejected",
                    _ => "stopped",
                };
                lines.push(format!("[{}] [INFO] Review {verdict}", stamp(end)));
            }
        }
        UnitKind::Instant => {}
        UnitKind::Step => {
            let slice = run.step_duration / LOG_LINES as u32;
            let until = v.end.unwrap_or(now).min(now);
            for n in 1..LOG_LINES {
                let at = add(start, slice * n as u32);
                if at > until {
                    break;
                }
                let detail = match n {
                    1 => "Preparing the execution environment".to_string(),
                    2 => format!("Resolving inputs of {}", unit.task),
                    3 => format!("Executing {}", unit.name),
                    4 => "Collecting results".to_string(),
                    _ => "Cleaning up".to_string(),
                };
                lines.push(format!("[{}] [INFO] {detail}", stamp(at)));
            }
        }
    }
    if let Some(end) = v.end {
        let result = match v.state {
            UnitState::Completed => "COMPLETED",
            UnitState::Failed => "FAILED",
            _ => "CANCELED",
        };
        lines.push(format!("[{}] [INFO] Finished: {result}", stamp(end)));
    }
    lines
}

/// `POST …/jobs/{job_run_id}/steps/{step_run_id}/logs` (ShowPipelineLog): the step's log so far,
/// paged by byte offset: lines from `max(start_offset, end_offset)`, at most `limit` of them; the
/// answer's `start_offset` and `end_offset` are both where the next page starts, and `has_more`
/// says that more lines are there already or the step is still running.
pub(crate) fn show_pipeline_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let q: types::LogQuery = body(call)?;
    if !(1..=10_000).contains(&q.limit) {
        return Err(invalid("limit must be between 1 and 10000."));
    }
    let from = q.start_offset.unwrap_or(0).max(q.end_offset.unwrap_or(0));
    if from < 0 {
        return Err(invalid("start_offset and end_offset must be 0 or more."));
    }
    let now = state.now();
    let data = state.data();
    let pipeline = find_pipeline(&data, &project(call), call.path("pipeline_id"))?;
    let run = find_run(pipeline, call.path("pipeline_run_id"))?;
    let step = call.path("step_run_id");
    let i = run
        .unit(step)
        .ok_or_else(|| super::not_found(format!("Pipeline run {} has no step {}.", run.id, shorten(step))))?;
    let job = call.path("job_run_id");
    let job_ok = match run.units[i].place {
        Place::Job(ji) => run.stages[run.units[i].stage].jobs[ji].id.eq_ignore_ascii_case(job),
        // Checks belong to the stage: any job ID of that stage reaches them.
        _ => run.stages[run.units[i].stage].jobs.iter().any(|j| j.id.eq_ignore_ascii_case(job)) || job == step,
    };
    if !job_ok {
        return Err(super::not_found(format!("Job {} of run {} has no step {step}.", shorten(job), run.id)));
    }
    let text: String = log_lines(pipeline, run, i, now).into_iter().map(|l| l + "\n").collect();
    let from = (from as usize).min(text.len());
    let rest = &text[from..];
    let taken: String = rest.split_inclusive('\n').take(q.limit as usize).collect();
    let next = from + taken.len();
    let running = run.view(now).units[i].end.is_none() && run.view(now).units[i].start.is_some();
    let has_more = next < text.len() || running;
    answer::<types::LogResult>(json!({
        "log": taken, "start_offset": next.to_string(), "end_offset": next.to_string(),
        "has_more": has_more, "step_run_id": run.units[i].id,
        "location": format!("obs://pipeline-logs/{}/{}/{}.log", pipeline.id, run.id, run.units[i].id),
    }))
}

/// `GET …/steps/outputs?step_run_ids=` (ShowStepOutputs): each finished step's outputs (its
/// result, duration and the run variables it saw).
pub(crate) fn show_step_outputs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let ids = call.query.required("step_run_ids")?;
    let now = state.now();
    let data = state.data();
    let pipeline = find_pipeline(&data, &project(call), call.path("pipeline_id"))?;
    let run = find_run(pipeline, call.path("pipeline_run_id"))?;
    let view = run.view(now);
    let mut outputs = Vec::new();
    for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let i = run
            .unit(id)
            .ok_or_else(|| super::not_found(format!("Pipeline run {} has no step {}.", run.id, shorten(id))))?;
        let v = &view.units[i];
        let mut result = Vec::new();
        if let (Some(start), Some(end)) = (v.start, v.end) {
            result.push(json!({"key": "status", "value": unit_status(v.state)}));
            result.push(json!({"key": "duration_ms", "value": ms(end) - ms(start)}));
            for (name, value) in &run.variables {
                result.push(json!({"key": format!("variables.{name}"), "value": value}));
            }
        }
        outputs.push(json!({"step_run_id": run.units[i].id, "output_result": result}));
    }
    answer::<types::OutputResp>(json!({"current_system_time": ms(now), "step_outputs": outputs}))
}

/// `GET …/pipeline-runs/{pipeline_run_id}/artifacts` (ShowPipelineArtifacts).
pub(crate) fn show_pipeline_artifacts(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let pipeline = find_pipeline(&data, &project(call), call.path("pipeline_id"))?;
    let run = find_run(pipeline, call.path("pipeline_run_id"))?;
    answer::<types::PipelineArtifact>(json!({"artifacts": artifacts(pipeline, run, &run.view(now))}))
}

// ---------------------------------------------------------------- the old (v3) APIs

/// `GET /v3/pipelines/{pipeline_id}/status` (ShowPipleineStatus): the run `build_id`, or the
/// latest.
pub(crate) fn show_pipleine_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let pipeline = find_pipeline(&data, "", call.path("pipeline_id"))?;
    let run = match call.query.optional("build_id").filter(|b| !b.is_empty()) {
        Some(number) => run_by_number(pipeline, number)?,
        None => pipeline.runs.last().ok_or_else(|| run_not_found("(latest)"))?,
    };
    let detail = run_json(state, pipeline, run, now);
    let legacy = |status: &str| match status {
        "COMPLETED" => ("completed", Some("success")),
        "FAILED" => ("completed", Some("error")),
        "CANCELED" => ("completed", Some("aborted")),
        "PAUSED" => ("suspending", None),
        "RUNNING" => ("running", None),
        _ => ("waiting", None),
    };
    let time = |v: &Value| v.as_i64().map(|t| fmt_time(std::time::UNIX_EPOCH + Duration::from_millis(t as u64)));
    let states: Vec<Value> = detail["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let (status, outcome) = legacy(s["status"].as_str().unwrap_or_default());
            let children: Vec<Value> = s["jobs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|j| {
                    let (status, outcome) = legacy(j["status"].as_str().unwrap_or_default());
                    json!({"id": j["id"], "name": j["name"], "type": "job", "status": status, "outcome": outcome,
                        "start_time": time(&j["start_time"]), "end_time": time(&j["end_time"])})
                })
                .collect();
            json!({"id": s["id"], "name": s["name"], "type": "stage", "status": status, "outcome": outcome,
                "start_time": time(&s["start_time"]), "end_time": time(&s["end_time"]), "children": children})
        })
        .collect();
    let view = run.view(now);
    let (status, outcome) = view.state.legacy();
    let elapsed = ms(view.end.unwrap_or(now)) - ms(view.start);
    answer::<types::PipelineStatusDetail>(json!({
        "pipeline_id": pipeline.id, "pipeline_name": pipeline.name, "build_id": run.number.to_string(),
        "status": status, "outcome": outcome, "executor": detail["executor_name"],
        "start_time": fmt_time(view.start), "end_time": view.end.map(fmt_time),
        "elapsed_time": format!("{}s", elapsed / 1000), "detail_url": detail["detail_url"],
        "parameters": run.variables.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "states": states,
    }))
}

/// `GET /v3/pipelines/build-result` (ListPipleineBuildResult, deprecated): the project's runs
/// started between two `yyyy-MM-dd` dates (UTC, both included), newest first.
pub(crate) fn list_pipleine_build_result(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.query.required("project_id")?.to_ascii_lowercase();
    let date = |name: &str| -> Result<time::Date, ApiError> {
        crate::state::parse_date(call.query.required(name)?)
            .ok_or_else(|| invalid(format!("{name} must be a date formatted yyyy-MM-dd.")))
    };
    let (from, to) = (date("start_date")?, date("end_date")?);
    if to < from {
        return Err(invalid("end_date must not be earlier than start_date."));
    }
    let offset = call.query.required_int("offset", 0..=i64::from(i32::MAX))?;
    let limit = call.query.required_int("limit", 1..=100)?;
    let now = state.now();
    let data = state.data();
    let mut rows: Vec<(SystemTime, Value)> = Vec::new();
    for p in data.pipeline.pipelines.iter().filter(|p| p.project_id == project) {
        for r in p.runs.iter().filter(|r| (from..=to).contains(&crate::state::date_of(r.created))) {
            let v = r.view(now);
            let (status, outcome) = v.state.legacy();
            rows.push((r.created, json!({
                "pipeline_id": p.id, "pipeline_name": p.name, "build_id": r.number.to_string(), "status": status, "outcome": outcome,
                "start_time": fmt_time(v.start), "end_time": v.end.map(fmt_time),
                "elapse_time": format!("{}s", (ms(v.end.unwrap_or(now)) - ms(v.start)) / 1000),
            })));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let total = rows.len();
    let page: Vec<Value> = window(rows, offset, limit).into_iter().map(|(_, v)| v).collect();
    answer::<types::PipelineBuildPageResult>(
        json!({"offset": offset, "limit": limit, "total": total, "build_results": page}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn unit(name: &str, kind: UnitKind, stage: usize, place: Place) -> Unit {
        Unit {
            id: hex32(name),
            identifier: name.into(),
            name: name.into(),
            task: "t".into(),
            kind,
            stage,
            place,
            fails_always: name.contains("fail"),
            selected: true,
            inputs: Value::Null,
        }
    }

    fn run(units: Vec<Unit>) -> Run {
        Run {
            id: hex32("run"),
            number: 1,
            created: UNIX_EPOCH + Duration::from_secs(1000),
            executor: 0,
            description: String::new(),
            trigger: "Manual",
            step_duration: Duration::from_secs(10),
            stages: vec![],
            units,
            variables: vec![],
            sources: Value::Null,
            attempts: vec![Attempt {
                from: 0,
                at: UNIX_EPOCH + Duration::from_secs(1000),
                fail_at: None,
                stop: None,
                decisions: BTreeMap::new(),
            }],
        }
    }

    fn at(r: &Run, secs: u64) -> SystemTime {
        r.created + Duration::from_secs(secs)
    }

    fn states(v: &RunView) -> Vec<UnitState> {
        v.units.iter().map(|u| u.state).collect()
    }

    use UnitState::*;

    #[test]
    fn steps_run_one_after_another() {
        let r = run(vec![
            unit("a", UnitKind::Instant, 0, Place::Pre),
            unit("b", UnitKind::Step, 0, Place::Job(0)),
            unit("c", UnitKind::Step, 0, Place::Job(0)),
        ]);
        assert_eq!(states(&r.view(at(&r, 5))), [Completed, Running, Pending]);
        assert_eq!(states(&r.view(at(&r, 15))), [Completed, Completed, Running]);
        let v = r.view(at(&r, 20));
        assert_eq!((v.state, states(&v)), (RunState::Completed, vec![Completed; 3]));
        assert_eq!(v.end, Some(at(&r, 20)));
    }

    #[test]
    fn a_review_waits_then_a_rejection_fails_the_run() {
        let mut r = run(vec![
            unit("build", UnitKind::Step, 0, Place::Job(0)),
            unit("review", UnitKind::Review, 0, Place::Job(0)),
            unit("deploy", UnitKind::Step, 0, Place::Job(0)),
        ]);
        let v = r.view(at(&r, 500));
        assert_eq!((v.state, states(&v)), (RunState::Running, vec![Completed, Waiting, Pending]));
        let t = at(&r, 600);
        r.attempts[0].decisions.insert(1, (t, true));
        let v = r.view(at(&r, 605));
        assert_eq!(states(&v), [Completed, Completed, Running]);
        assert_eq!(r.view(at(&r, 700)).state, RunState::Completed);
        r.attempts[0].decisions.insert(1, (t, false));
        let v = r.view(at(&r, 700));
        assert_eq!((v.state, states(&v)), (RunState::Failed, vec![Completed, Failed, Pending]));
    }

    #[test]
    fn a_stop_cancels_and_a_retry_reruns_the_failed_part() {
        let mut r = run(vec![unit("a", UnitKind::Step, 0, Place::Job(0)), unit("b", UnitKind::Step, 0, Place::Job(0))]);
        r.attempts[0].stop = Some(at(&r, 15));
        let v = r.view(at(&r, 100));
        assert_eq!((v.state, states(&v)), (RunState::Canceled, vec![Completed, Canceled]));

        let mut r = run(vec![unit("a", UnitKind::Step, 0, Place::Job(0)), unit("b", UnitKind::Step, 0, Place::Job(0))]);
        r.attempts[0].fail_at = Some(1);
        let v = r.view(at(&r, 100));
        assert_eq!((v.state, states(&v)), (RunState::Failed, vec![Completed, Failed]));
        r.attempts.push(Attempt { from: 1, at: at(&r, 200), fail_at: None, stop: None, decisions: BTreeMap::new() });
        assert_eq!(states(&r.view(at(&r, 205))), [Completed, Running]);
        let v = r.view(at(&r, 210));
        assert_eq!((v.state, states(&v)), (RunState::Completed, vec![Completed, Completed]));
    }

    #[test]
    fn aggregates() {
        assert_eq!(aggregate(&[Completed, Waiting], true), "PAUSED");
        assert_eq!(aggregate(&[Completed, Pending], true), "RUNNING");
        assert_eq!(aggregate(&[Pending, Pending], true), "INIT");
        assert_eq!(aggregate(&[Completed, Failed, Pending], true), "FAILED");
        assert_eq!(aggregate(&[], false), "UNSELECTED");
    }
}
