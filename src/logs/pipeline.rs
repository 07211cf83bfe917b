//! Pipeline logs: a step's log through ShowPipelineLog's offset paging (spec extension
//! `x-codearts-log-paging`: the request's `start_offset`/`end_offset`, the answer's
//! `start_offset`/`end_offset` to send next, `has_more`, the text in `log`).
//!
//! ```no_run
//! # async fn demo(client: &codearts::pipeline::Client) -> Result<(), codearts::Error> {
//! use futures_util::StreamExt;
//!
//! let (project, pipeline, run) =
//!     ("6ecbc5bac7c8442fb3d2563d53c13582", "d80a8a6530324b7bac972cbb8a9f28ec", "94511c7207474053ab5f6e2dd5624cd5");
//! // Every step of the run, in order, while it runs; the stream ends with the run.
//! let lines = codearts::logs::follow_pipeline_run_log(client, project, pipeline, run, Default::default());
//! let mut lines = std::pin::pin!(lines);
//! while let Some(line) = lines.next().await {
//!     let line = line?;
//!     println!("[{} / {}] {}", line.position.stage, line.position.step, line.line);
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;

use futures_core::Stream;

use super::FollowOptions;
use crate::error::Error;
use crate::pipeline::{Client, types};
use crate::runtime::CallExt;
use crate::wait::{RunPosition, poll_run, run_steps};

/// Lines asked for per ShowPipelineLog call.
const PAGE_LINES: i64 = 500;

/// One line of a pipeline run's log, with the step it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLogLine {
    /// The step (its stage, job and run IDs).
    pub position: RunPosition,
    /// The line, without its `\n`.
    pub line: String,
}

/// The IDs that name one step's log.
#[derive(Debug, Clone)]
struct StepRef {
    project_id: String,
    pipeline_id: String,
    run_id: String,
    job_run_id: String,
    step_run_id: String,
}

/// One page of a step's log from `offset`: (text, the offset after it, whether the service says
/// there is more).
async fn page(client: &Client, step: &StepRef, offset: i64) -> Result<(String, i64, bool), Error> {
    let query = types::LogQuery::builder()
        .start_offset(offset)
        .end_offset(offset)
        .limit(PAGE_LINES)
        .sort(types::SortDirection::Asc);
    let result = client
        .show_pipeline_log()
        .project_id(&step.project_id)
        .pipeline_id(&step.pipeline_id)
        .pipeline_run_id(&step.run_id)
        .job_run_id(&step.job_run_id)
        .step_run_id(&step.step_run_id)
        .body(query)
        .call()
        .await?;
    let text = result.log.unwrap_or_default();
    // The answer's offsets say where to go on; without them, the text's length does.
    let next = [result.end_offset.as_deref(), result.start_offset.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|o| o.trim().parse::<i64>().ok())
        .max()
        .filter(|n| *n >= offset)
        .unwrap_or(offset + text.len() as i64);
    Ok((text, next, result.has_more.unwrap_or(false)))
}

fn finished_status<T: serde::Serialize>(status: Option<&T>) -> bool {
    let s = status.and_then(|s| serde_json::to_value(s).ok()).and_then(|v| v.as_str().map(str::to_ascii_uppercase));
    matches!(s.as_deref(), Some("COMPLETED" | "FAILED" | "CANCELED" | "CANCELLED"))
}

/// Follows one step's log: its state between polls.
struct StepFollow {
    step: StepRef,
    offset: i64,
    partial: String,
}

impl StepFollow {
    fn new(step: StepRef) -> Self {
        StepFollow { step, offset: 0, partial: String::new() }
    }

    /// Reads every page available now; queues complete lines. `Ok(true)` once the step's log is
    /// complete (the service has no more and the step, or the run, has finished).
    async fn drain(&mut self, client: &Client, out: &mut Vec<String>) -> Result<bool, Error> {
        loop {
            let (text, next, more) = page(client, &self.step, self.offset).await?;
            let got_text = !text.is_empty();
            self.offset = next;
            self.partial.push_str(&text);
            while let Some(newline) = self.partial.find('\n') {
                out.push(self.partial[..newline].trim_end_matches('\r').to_string());
                self.partial.drain(..=newline);
            }
            if more && got_text {
                continue;
            }
            if more {
                return Ok(false);
            }
            // No more for now: over only if the step has ended.
            let run = poll_run(client, &self.step.project_id, &self.step.pipeline_id, &self.step.run_id).await?;
            let step_done = run_steps(&run)
                .into_iter()
                .find(|(p, _)| p.step_run_id == self.step.step_run_id)
                .is_none_or(|(_, s)| finished_status(s.status.as_ref()));
            if step_done || finished_status(run.status.as_ref()) {
                // A last page: what was written between the two calls.
                let (text, next, _) = page(client, &self.step, self.offset).await?;
                self.offset = next;
                self.partial.push_str(&text);
                for line in self.partial.split('\n') {
                    out.push(line.trim_end_matches('\r').to_string());
                }
                if self.partial.ends_with('\n') || self.partial.is_empty() {
                    out.pop();
                }
                self.partial.clear();
                return Ok(true);
            }
            return Ok(false);
        }
    }
}

struct Follow<T> {
    client: Client,
    options: FollowOptions,
    queue: VecDeque<Result<T, Error>>,
    polls: u64,
    errors: u32,
    done: bool,
}

impl<T> Follow<T> {
    fn failed(&mut self, e: Error) {
        self.errors += 1;
        tracing::debug!(errors = self.errors, error = %e, "following a pipeline log: poll failed");
        self.queue.push_back(Err(e));
        if self.errors >= self.options.max_consecutive_errors.max(1) {
            self.done = true;
        }
    }

    async fn pause(&mut self) {
        if self.polls > 0 {
            tokio::time::sleep(self.options.interval).await;
        }
        self.polls += 1;
    }
}

/// Follows the log of step `step_run_id` (of job `job_run_id`) of run `run_id`: pages through
/// ShowPipelineLog from offset 0, yields each complete line once (without its `\n`), and ends when
/// the service has no more and the step (or the run) has finished. A failed poll is yielded as one
/// `Err` and polling resumes from the same offset, until `options.max_consecutive_errors` in a
/// row. Dropping the stream stops polling. Pin it (`std::pin::pin!`) to iterate.
pub fn follow_pipeline_step_log(
    client: &Client,
    project_id: impl Into<String>,
    pipeline_id: impl Into<String>,
    run_id: impl Into<String>,
    job_run_id: impl Into<String>,
    step_run_id: impl Into<String>,
    options: FollowOptions,
) -> impl Stream<Item = Result<String, Error>> + Send + 'static {
    let step = StepRef {
        project_id: project_id.into(),
        pipeline_id: pipeline_id.into(),
        run_id: run_id.into(),
        job_run_id: job_run_id.into(),
        step_run_id: step_run_id.into(),
    };
    let state = (
        Follow { client: client.clone(), options, queue: VecDeque::new(), polls: 0, errors: 0, done: false },
        StepFollow::new(step),
    );
    futures_util::stream::unfold(state, |(mut f, mut step)| async move {
        loop {
            if let Some(item) = f.queue.pop_front() {
                return Some((item, (f, step)));
            }
            if f.done {
                return None;
            }
            f.pause().await;
            let mut lines = Vec::new();
            let result = step.drain(&f.client, &mut lines).await;
            f.queue.extend(lines.into_iter().map(Ok));
            match result {
                Ok(done) => {
                    f.errors = 0;
                    f.done = done;
                }
                Err(e) => f.failed(e),
            }
        }
    })
}

/// Reads the whole log of a step as it is now (every page), as text.
pub async fn read_pipeline_step_log(
    client: &Client,
    project_id: &str,
    pipeline_id: &str,
    run_id: &str,
    job_run_id: &str,
    step_run_id: &str,
) -> Result<String, Error> {
    let step = StepRef {
        project_id: project_id.into(),
        pipeline_id: pipeline_id.into(),
        run_id: run_id.into(),
        job_run_id: job_run_id.into(),
        step_run_id: step_run_id.into(),
    };
    let mut text = String::new();
    let mut offset = 0;
    loop {
        let (page_text, next, more) = page(client, &step, offset).await?;
        text.push_str(&page_text);
        if !more || page_text.is_empty() || next <= offset {
            return Ok(text);
        }
        offset = next;
    }
}

/// Where [`follow_pipeline_run_log`] is.
struct RunFollow {
    project_id: String,
    pipeline_id: String,
    run_id: String,
    /// Steps (by run ID) whose log has been followed to the end.
    finished: Vec<String>,
    current: Option<(RunPosition, StepFollow)>,
}

/// Follows every step of run `run_id`, in execution order: each step's log from its start (see
/// [`follow_pipeline_step_log`]) once the step has started, then the next; ends once the run has
/// finished and the log of every step that ran has been read. Steps that never ran have no lines.
pub fn follow_pipeline_run_log(
    client: &Client,
    project_id: impl Into<String>,
    pipeline_id: impl Into<String>,
    run_id: impl Into<String>,
    options: FollowOptions,
) -> impl Stream<Item = Result<StepLogLine, Error>> + Send + 'static {
    let state = (
        Follow { client: client.clone(), options, queue: VecDeque::new(), polls: 0, errors: 0, done: false },
        RunFollow {
            project_id: project_id.into(),
            pipeline_id: pipeline_id.into(),
            run_id: run_id.into(),
            finished: Vec::new(),
            current: None,
        },
    );
    futures_util::stream::unfold(state, |(mut f, mut r)| async move {
        loop {
            if let Some(item) = f.queue.pop_front() {
                return Some((item, (f, r)));
            }
            if f.done {
                return None;
            }
            f.pause().await;
            match run_round(&f.client, &mut r).await {
                Ok((lines, done)) => {
                    f.errors = 0;
                    f.queue.extend(lines.into_iter().map(Ok));
                    f.done = done;
                }
                Err((lines, e)) => {
                    f.queue.extend(lines.into_iter().map(Ok));
                    f.failed(e);
                }
            }
        }
    })
}

type RoundError = (Vec<StepLogLine>, Error);

/// One round: drains the current step, moves on to the next started ones while they are complete.
/// `Ok(done)` once the run has finished and every started step was read.
async fn run_round(client: &Client, r: &mut RunFollow) -> Result<(Vec<StepLogLine>, bool), RoundError> {
    let mut out = Vec::new();
    loop {
        if r.current.is_none() {
            let run = poll_run(client, &r.project_id, &r.pipeline_id, &r.run_id).await.map_err(|e| (Vec::new(), e))?;
            let run_over = finished_status(run.status.as_ref());
            let next = run_steps(&run)
                .into_iter()
                .find(|(p, s)| s.status.is_some() && !r.finished.contains(&p.step_run_id))
                .map(|(p, _)| p);
            match next {
                Some(position) => {
                    let step = StepRef {
                        project_id: r.project_id.clone(),
                        pipeline_id: r.pipeline_id.clone(),
                        run_id: r.run_id.clone(),
                        job_run_id: position.job_run_id.clone(),
                        step_run_id: position.step_run_id.clone(),
                    };
                    r.current = Some((position, StepFollow::new(step)));
                }
                None => return Ok((out, run_over)),
            }
        }
        let Some((position, step)) = r.current.as_mut() else { continue };
        let mut lines = Vec::new();
        let result = step.drain(client, &mut lines).await;
        out.extend(lines.into_iter().map(|line| StepLogLine { position: position.clone(), line }));
        match result {
            Ok(true) => {
                r.finished.push(position.step_run_id.clone());
                r.current = None;
            }
            Ok(false) => return Ok((out, false)),
            Err(e) => return Err((out, e)),
        }
    }
}
