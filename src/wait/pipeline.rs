//! Pipeline runs: waiting for one to finish (or to stop at a manual review), and starting one then
//! waiting.
//!
//! [`wait_for_pipeline_run`] polls ShowPipelineRunDetail with the shared [`WaitOptions`] until the
//! run's `status` is terminal: `COMPLETED` → [`PipelineOutcome::Completed`], `FAILED` →
//! [`PipelineOutcome::Failed`] (with the first failed stage, job and step), `CANCELED` →
//! [`PipelineOutcome::Stopped`]; anything else (`RUNNING`, `PAUSED`, `SUSPEND`, a status added
//! later) is "not finished yet". [`wait_for_pipeline_run_or_review`] also returns, with
//! [`PipelineOutcome::WaitingForReview`], as soon as a manual review step or checkpoint waits for
//! someone (a `PAUSED` or `SUSPEND` job or stage with a running step), so that a caller can approve
//! it (AcceptManualReview, AcceptCheckpoint) or reject it and wait again.
//!
//! ```no_run
//! # async fn demo(client: &codearts::pipeline::Client) -> Result<(), codearts::Error> {
//! use codearts::wait::{PipelineOutcome, WaitOptions, run_pipeline_and_wait};
//!
//! let project = "6ecbc5bac7c8442fb3d2563d53c13582";
//! let pipeline = "d80a8a6530324b7bac972cbb8a9f28ec";
//! let body = codearts::pipeline::types::RunPipelineDto::builder().description("nightly".to_string());
//! let run = run_pipeline_and_wait(client, project, pipeline, body, WaitOptions::default()).await?;
//! match run.outcome? {
//!     PipelineOutcome::Completed(run) => println!("run #{:?} completed", run.run_number),
//!     PipelineOutcome::Failed { failed, .. } => eprintln!("failed at {failed:?}"),
//!     PipelineOutcome::Stopped(_) => eprintln!("stopped"),
//!     PipelineOutcome::WaitingForReview { review, .. } => eprintln!("waiting for {}", review.step),
//!     PipelineOutcome::TimedOut { .. } => eprintln!("still running"),
//! }
//! # Ok(()) }
//! ```
//!
//! Errors, cancel safety and tracing are those of the [module](super): each poll is one idempotent
//! GET, retried by the runtime; dropping the future stops polling and leaves the run alone.

use super::{Polled, WaitOptions, poll_until};
use crate::error::{Error, ErrorKind};
use crate::pipeline::{Client, types};
use crate::runtime::CallExt;

/// Where in a run something is: the names and run IDs of a stage, job and step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunPosition {
    /// The stage's name.
    pub stage: String,
    /// The job's name (empty for a stage's entry or exit check).
    pub job: String,
    /// The job's run ID (what AcceptManualReview and ShowPipelineLog take; for a stage check, the
    /// stage's first job, or the check's own ID in a stage without jobs).
    pub job_run_id: String,
    /// The step's name (its task when it has none).
    pub step: String,
    /// The step's run ID.
    pub step_run_id: String,
    /// Whether the step is a stage's entry or exit check (a checkpoint: AcceptCheckpoint) rather than
    /// a job's step (a review: AcceptManualReview / RejectManualReview).
    pub checkpoint: bool,
}

/// How a wait for a pipeline run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineOutcome {
    /// The run completed; the final run.
    Completed(types::PipelineRun),
    /// The run failed; the final run and where it failed first (`None` when no step says so).
    Failed {
        /// The final run.
        run: types::PipelineRun,
        /// The first failed stage, job and step.
        failed: Option<RunPosition>,
    },
    /// The run was stopped (canceled); the final run.
    Stopped(types::PipelineRun),
    /// The run waits for a manual review or checkpoint (only from [`wait_for_pipeline_run_or_review`]).
    WaitingForReview {
        /// The run as polled.
        run: types::PipelineRun,
        /// The waiting step.
        review: RunPosition,
    },
    /// `max_wait` ran out first; the last run polled.
    TimedOut {
        /// The last run polled.
        last: Option<types::PipelineRun>,
    },
}

/// A status string, whatever enum it came from.
fn status_of<T: serde::Serialize>(status: Option<&T>) -> String {
    status
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_ascii_uppercase))
        .unwrap_or_default()
}

fn step_name(step: &types::StepRun) -> String {
    step.name.clone().filter(|n| !n.is_empty()).or_else(|| step.task.clone()).unwrap_or_default()
}

/// Every step of a run in execution order, with its position.
pub fn run_steps(run: &types::PipelineRun) -> Vec<(RunPosition, &types::StepRun)> {
    let mut out = Vec::new();
    for stage in &run.stages {
        let stage_name = stage.name.clone().unwrap_or_default();
        let first_job = stage.jobs.first().and_then(|j| j.id.clone()).unwrap_or_default();
        // A check of a stage without jobs is named by its own ID in the job's place.
        let check = |step: &types::StepRun| RunPosition {
            stage: stage_name.clone(),
            job: String::new(),
            job_run_id: if first_job.is_empty() { step.id.clone().unwrap_or_default() } else { first_job.clone() },
            step: step_name(step),
            step_run_id: step.id.clone().unwrap_or_default(),
            checkpoint: true,
        };
        for step in &stage.pre {
            out.push((check(step), step));
        }
        for job in &stage.jobs {
            for step in &job.steps {
                out.push((
                    RunPosition {
                        stage: stage_name.clone(),
                        job: job.name.clone().unwrap_or_default(),
                        job_run_id: job.id.clone().unwrap_or_default(),
                        step: step_name(step),
                        step_run_id: step.id.clone().unwrap_or_default(),
                        checkpoint: false,
                    },
                    step,
                ));
            }
        }
        for step in &stage.post {
            out.push((check(step), step));
        }
    }
    out
}

/// The first failed step of a run.
pub fn failed_step(run: &types::PipelineRun) -> Option<RunPosition> {
    run_steps(run).into_iter().find(|(_, s)| status_of(s.status.as_ref()) == "FAILED").map(|(p, _)| p)
}

/// The manual review or checkpoint a run waits for: a running step of a `PAUSED` or `SUSPEND` job
/// (a review) or stage (a checkpoint).
pub fn pending_review(run: &types::PipelineRun) -> Option<RunPosition> {
    let paused = |s: String| s == "PAUSED" || s == "SUSPEND";
    for stage in &run.stages {
        let stage_paused = paused(status_of(stage.status.as_ref()));
        for job in &stage.jobs {
            if paused(status_of(job.status.as_ref()))
                && let Some(step) = job.steps.iter().find(|s| status_of(s.status.as_ref()) == "RUNNING")
            {
                return run_steps(run)
                    .into_iter()
                    .find(|(p, _)| Some(&p.step_run_id) == step.id.as_ref())
                    .map(|(p, _)| p);
            }
        }
        if stage_paused
            && let Some(step) = stage.pre.iter().chain(&stage.post).find(|s| status_of(s.status.as_ref()) == "RUNNING")
        {
            return run_steps(run).into_iter().find(|(p, _)| Some(&p.step_run_id) == step.id.as_ref()).map(|(p, _)| p);
        }
    }
    None
}

/// A run's status, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunEnd {
    Completed,
    Failed,
    Stopped,
}

/// `None` while the run goes on (or its status is unknown).
pub(crate) fn run_end(run: &types::PipelineRun) -> Option<RunEnd> {
    match status_of(run.status.as_ref()).as_str() {
        "COMPLETED" => Some(RunEnd::Completed),
        "FAILED" => Some(RunEnd::Failed),
        "CANCELED" | "CANCELLED" => Some(RunEnd::Stopped),
        _ => None,
    }
}

/// One poll: the run's detail.
pub(crate) async fn poll_run(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    run_id: &str,
) -> Result<types::PipelineRun, Error> {
    client
        .show_pipeline_run_detail()
        .project_id(project_id)
        .pipeline_id(pipeline_id)
        .pipeline_run_id(run_id)
        .call()
        .await
}

async fn wait(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    run_id: &str,
    options: WaitOptions,
    stop_at_review: bool,
) -> Result<PipelineOutcome, Error> {
    let what = format!("run {run_id} of pipeline {pipeline_id}");
    let polled = poll_until(&options, &what, || async {
        let run = poll_run(client, project_id, pipeline_id, run_id).await?;
        let status = status_of(run.status.as_ref());
        let finished = run_end(&run).is_some() || (stop_at_review && pending_review(&run).is_some());
        Ok((run, status, finished))
    })
    .await?;
    Ok(match polled {
        Polled::TimedOut(run) => PipelineOutcome::TimedOut { last: Some(run) },
        Polled::Finished(run) => match run_end(&run) {
            Some(RunEnd::Completed) => PipelineOutcome::Completed(run),
            Some(RunEnd::Failed) => PipelineOutcome::Failed { failed: failed_step(&run), run },
            Some(RunEnd::Stopped) => PipelineOutcome::Stopped(run),
            None => match pending_review(&run) {
                Some(review) => PipelineOutcome::WaitingForReview { run, review },
                None => PipelineOutcome::TimedOut { last: Some(run) },
            },
        },
    })
}

/// Polls run `run_id` of pipeline `pipeline_id` (in CodeArts project `project_id`) until it has
/// finished or `options.max_wait` has passed. A run waiting for a review keeps it waiting: see
/// [`wait_for_pipeline_run_or_review`].
pub async fn wait_for_pipeline_run(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    run_id: &str,
    options: WaitOptions,
) -> Result<PipelineOutcome, Error> {
    wait(client, project_id, pipeline_id, run_id, options, false).await
}

/// Like [`wait_for_pipeline_run`], but also returns
/// [`WaitingForReview`](PipelineOutcome::WaitingForReview) when the run waits for a manual review or
/// checkpoint.
pub async fn wait_for_pipeline_run_or_review(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    run_id: &str,
    options: WaitOptions,
) -> Result<PipelineOutcome, Error> {
    wait(client, project_id, pipeline_id, run_id, options, true).await
}

/// A run that RunPipeline started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedPipelineRun {
    /// The CodeArts project.
    pub project_id: String,
    /// The pipeline.
    pub pipeline_id: String,
    /// The run (RunPipeline's `pipeline_run_id`).
    pub run_id: String,
}

impl StartedPipelineRun {
    /// Waits for this run to finish ([`wait_for_pipeline_run`]).
    pub async fn wait(&self, client: &Client, options: WaitOptions) -> Result<PipelineOutcome, Error> {
        wait_for_pipeline_run(client, &self.project_id, &self.pipeline_id, &self.run_id, options).await
    }

    /// Waits for this run to finish or to wait for a review ([`wait_for_pipeline_run_or_review`]).
    pub async fn wait_or_review(&self, client: &Client, options: WaitOptions) -> Result<PipelineOutcome, Error> {
        wait_for_pipeline_run_or_review(client, &self.project_id, &self.pipeline_id, &self.run_id, options).await
    }
}

/// Starts a run of pipeline `pipeline_id` with RunPipeline (sent once, never resent).
/// `body` is the request body or its builder (`types::RunPipelineDto::builder()`). An answer without
/// a run ID is an error of kind [`ErrorKind::Decode`] whose message says that a run may have
/// started.
pub async fn start_pipeline_run<B>(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    body: B,
) -> Result<StartedPipelineRun, Error>
where
    B: TryInto<types::RunPipelineDto>,
    B::Error: std::fmt::Display,
{
    let body: types::RunPipelineDto = body
        .try_into()
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("RunPipeline: invalid request body: {e}")))?;
    let response = client.run_pipeline().project_id(project_id).pipeline_id(pipeline_id).body(body).call().await?;
    match response.pipeline_run_id.filter(|id| !id.trim().is_empty()) {
        Some(run_id) => {
            Ok(StartedPipelineRun { project_id: project_id.to_string(), pipeline_id: pipeline_id.to_string(), run_id })
        }
        None => Err(Error::new(
            ErrorKind::Decode,
            format!(
                "RunPipeline answered without a run ID ({}); a run of pipeline {pipeline_id} may have started: \
                 look at its runs before running it again",
                response.error_msg.as_deref().unwrap_or("no error message")
            ),
        )
        .with_operation("RunPipeline")),
    }
}

/// How [`run_pipeline_and_wait`] ended once the run had started.
#[derive(Debug)]
pub struct PipelineRunAndWait {
    /// The run RunPipeline started.
    pub run: StartedPipelineRun,
    /// How waiting ended: an outcome, or the error that stopped the polling (the run may still be
    /// going; [`StartedPipelineRun::wait`] resumes).
    pub outcome: Result<PipelineOutcome, Error>,
}

/// Starts a run ([`start_pipeline_run`]) and waits for it ([`wait_for_pipeline_run`]). `Err` means
/// no run is known to have started; once a run ID is known the result is `Ok`, even when waiting
/// failed.
pub async fn run_pipeline_and_wait<B>(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    body: B,
    options: WaitOptions,
) -> Result<PipelineRunAndWait, Error>
where
    B: TryInto<types::RunPipelineDto>,
    B::Error: std::fmt::Display,
{
    let run = start_pipeline_run(client, project_id, pipeline_id, body).await?;
    let outcome = run.wait(client, options).await;
    Ok(PipelineRunAndWait { run, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(value: serde_json::Value) -> types::PipelineRun {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn positions_failures_and_reviews() {
        let r = run(json!({"status": "RUNNING", "stages": [
            {"name": "Build", "status": "FAILED", "pre": [{"id": "p1", "task": "official_devcloud_autoTrigger", "status": "COMPLETED"}],
             "jobs": [{"id": "j1", "name": "Compile", "status": "FAILED",
                       "steps": [{"id": "s1", "name": "mvn", "status": "COMPLETED"}, {"id": "s2", "name": "test", "status": "FAILED"}]}]},
            {"name": "Review", "status": "RUNNING", "jobs": [{"id": "j2", "name": "Approve", "status": "PAUSED",
                       "steps": [{"id": "s3", "name": "Manual review", "status": "RUNNING"}]}]}
        ]}));
        let steps = run_steps(&r);
        assert_eq!(steps.len(), 4);
        assert_eq!(
            (steps[0].0.step.as_str(), steps[0].0.checkpoint, steps[0].0.job_run_id.as_str()),
            ("official_devcloud_autoTrigger", true, "j1")
        );
        let failed = failed_step(&r).unwrap();
        assert_eq!((failed.stage.as_str(), failed.job.as_str(), failed.step.as_str()), ("Build", "Compile", "test"));
        let review = pending_review(&r).unwrap();
        assert_eq!((review.job_run_id.as_str(), review.step_run_id.as_str(), review.checkpoint), ("j2", "s3", false));
        assert_eq!(run_end(&r), None);
        assert_eq!(run_end(&run(json!({"status": "CANCELED"}))), Some(RunEnd::Stopped));
        assert_eq!(run_end(&run(json!({"status": "A_NEW_STATUS"}))), None, "an unknown status is not an end");
    }
}
