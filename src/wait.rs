//! Waiting for a build to finish.
//!
//! [`wait_for_build`] polls ShowRecordDetail (`GET /v4/jobs/{job_id}/{build_no}/record-info`) with
//! a jittered, growing interval until the record's `status` is terminal or the maximum wait runs
//! out:
//!
//! ```no_run
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::wait::{BuildOutcome, WaitOptions, wait_for_build};
//!
//! match wait_for_build(client, "f9d6c8466d614a9788e9a0acf6c15f46", 7, WaitOptions::default()).await? {
//!     BuildOutcome::Succeeded(record) => println!("done in {:?} ms", record.duration),
//!     BuildOutcome::Failed(record) => eprintln!("failed: {:?}", record.err_msg),
//!     BuildOutcome::Stopped(_) => eprintln!("stopped"),
//!     BuildOutcome::TimedOut { .. } => eprintln!("still running"),
//! }
//! # Ok(()) }
//! ```
//!
//! Statuses (compared case-insensitively): `SUCCESS`/`SUCCEEDED` → [`BuildOutcome::Succeeded`];
//! `FAILURE`/`FAILED`/`ERROR` → [`BuildOutcome::Failed`]; `ABORTED`/`STOPPED`/`CANCELED`/`CANCELLED`
//! → [`BuildOutcome::Stopped`]; anything else (`QUEUED`, `RUNNING`, …) means "not finished yet".
//!
//! [`run_and_wait`] starts a build with RunJob and then waits for it, keeping the two failures apart:
//! an `Err` means no build is known to have started, while a failure of the wait itself comes back
//! beside the started build's number so the caller can resume with [`StartedBuild::wait`].
//!
//! ```no_run
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::build::types::RunJobRequestBody;
//! use codearts::wait::{WaitOptions, run_and_wait};
//!
//! let body = RunJobRequestBody::builder().job_id("f9d6c8466d614a9788e9a0acf6c15f46");
//! let run = run_and_wait(client, body, WaitOptions::default()).await?;
//! println!("build #{}: {:?}", run.build.build_no, run.outcome);
//! # Ok(()) }
//! ```
//!
//! **Errors.** Each poll is one `.call()`: the runtime already retries transient failures of this
//! idempotent GET within the client's retry policy. An error that still surfaces ends the wait and
//! is returned as `Err` — the waiter does not add a second layer of retries.
//!
//! **Cancel safety.** The future holds no state outside itself and changes nothing on the server:
//! dropping it (e.g. in `tokio::select!` or under `tokio::time::timeout`) simply stops polling; the
//! build keeps running. Call it again to resume waiting.
//!
//! **Tracing.** Every poll emits one `DEBUG` event (target `codearts::wait`) with the job id, build
//! number, poll number, status and the delay before the next poll.

use std::time::Duration;

use crate::build::{Client, types};
use crate::error::{Error, ErrorKind};
use crate::runtime::CallExt;

/// How long and how often [`wait_for_build`] polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up (with [`BuildOutcome::TimedOut`]) after this long. Default: 1 hour.
    pub max_wait: Duration,
    /// The interval after the first poll. Default: 2 s.
    pub initial_interval: Duration,
    /// The interval doubles after each poll up to this. Default: 30 s.
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            max_wait: Duration::from_secs(3600),
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
        }
    }
}

impl WaitOptions {
    /// The sleep before poll `poll + 1`: the interval `initial · 2^(poll-1)`, capped at
    /// `max_interval`, with "equal jitter" (uniform in `[interval/2, interval]`) so that many
    /// waiters do not poll in lockstep.
    fn delay(&self, poll: u32) -> Duration {
        let factor = 2u32.saturating_pow(poll.saturating_sub(1).min(30));
        let interval = self.initial_interval.saturating_mul(factor).min(self.max_interval.max(self.initial_interval));
        let half = interval / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildOutcome {
    /// The build succeeded; the final record.
    Succeeded(types::BuildRecordDetail),
    /// The build failed; the final record.
    Failed(types::BuildRecordDetail),
    /// The build was stopped (aborted); the final record.
    Stopped(types::BuildRecordDetail),
    /// `max_wait` ran out before the build finished; the last record polled (always `Some` today: the
    /// waiter polls at least once, and a failed poll is an `Err`).
    TimedOut {
        /// The last record polled.
        last: Option<types::BuildRecordDetail>,
    },
}

/// A record status, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terminal {
    Succeeded,
    Failed,
    Stopped,
}

/// `None` while the build is queued or running (or the status is unknown).
pub(crate) fn terminal(status: Option<&str>) -> Option<Terminal> {
    let status = status?.to_ascii_uppercase();
    match status.as_str() {
        "SUCCESS" | "SUCCEEDED" => Some(Terminal::Succeeded),
        "FAILURE" | "FAILED" | "ERROR" => Some(Terminal::Failed),
        "ABORTED" | "STOPPED" | "CANCELED" | "CANCELLED" => Some(Terminal::Stopped),
        _ => None,
    }
}

/// One poll: the build's record.
pub(crate) async fn poll_record(
    client: &Client,
    job_id: &str,
    build_no: i32,
) -> Result<types::BuildRecordDetail, Error> {
    let response = client.show_record_detail().job_id(job_id).build_no(build_no).call().await?;
    response.result.ok_or_else(|| {
        Error::new(
            ErrorKind::Decode,
            format!("ShowRecordDetail answered without a record (status {:?})", response.status),
        )
        .with_operation("ShowRecordDetail")
    })
}

/// Polls build `build_no` of job `job_id` until it has finished or `options.max_wait` has passed.
/// See the [module documentation](self) for statuses, errors and cancel safety.
pub async fn wait_for_build(
    client: &Client,
    job_id: &str,
    build_no: i32,
    options: WaitOptions,
) -> Result<BuildOutcome, Error> {
    let deadline = tokio::time::Instant::now() + options.max_wait;
    let mut poll = 0u32;
    loop {
        poll += 1;
        let record = poll_record(client, job_id, build_no).await?;
        let status = record.status.clone();
        let outcome = terminal(status.as_deref());
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let delay = options.delay(poll).min(remaining);
        tracing::debug!(
            job_id,
            build_no,
            poll,
            status = status.as_deref().unwrap_or(""),
            finished = outcome.is_some(),
            next_poll_in = ?delay,
            "polled build status"
        );
        match outcome {
            Some(Terminal::Succeeded) => return Ok(BuildOutcome::Succeeded(record)),
            Some(Terminal::Failed) => return Ok(BuildOutcome::Failed(record)),
            Some(Terminal::Stopped) => return Ok(BuildOutcome::Stopped(record)),
            None if remaining.is_zero() => return Ok(BuildOutcome::TimedOut { last: Some(record) }),
            None => {}
        }
        tokio::time::sleep(delay).await;
    }
}

/// A build that RunJob started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedBuild {
    /// The job's ID.
    pub job_id: String,
    /// The build's number (RunJob's `actual_build_number`).
    pub build_no: i32,
}

impl StartedBuild {
    /// Waits for this build to finish: [`wait_for_build`] on its job and number.
    pub async fn wait(&self, client: &Client, options: WaitOptions) -> Result<BuildOutcome, Error> {
        wait_for_build(client, &self.job_id, self.build_no, options).await
    }
}

/// Starts a build of `body.job_id` with RunJob (sent once, never resent: see [`crate::retry`]).
/// `body` is the request body or its builder (`types::RunJobRequestBody::builder().job_id(id)`).
/// An answer without a usable `actual_build_number` is an error of kind [`ErrorKind::Decode`]: the
/// build may have started, so the message says so rather than guessing a number.
pub async fn start_build<B>(client: &Client, body: B) -> Result<StartedBuild, Error>
where
    B: TryInto<types::RunJobRequestBody>,
    B::Error: std::fmt::Display,
{
    let body: types::RunJobRequestBody = body
        .try_into()
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("RunJob: invalid request body: {e}")))?;
    let job_id = body.job_id.clone();
    let response = client.run_job().body(body).call().await?;
    let number = response.actual_build_number.as_deref().map(str::trim);
    match number.map(str::parse::<i32>) {
        Some(Ok(build_no)) if build_no > 0 => Ok(StartedBuild { job_id, build_no }),
        _ => Err(Error::new(
            ErrorKind::Decode,
            format!(
                "RunJob answered without a usable build number ({:?}); the build of job {job_id} may have \
                 started: look at the job's history before running it again",
                response.actual_build_number
            ),
        )
        .with_operation("RunJob")),
    }
}

/// How [`run_and_wait`] ended once the build had started.
#[derive(Debug)]
pub struct RunAndWait {
    /// The build RunJob started.
    pub build: StartedBuild,
    /// How waiting for it ended: an outcome, or the error that stopped the polling (the build itself
    /// may still be running; [`StartedBuild::wait`] resumes).
    pub outcome: Result<BuildOutcome, Error>,
}

/// Starts a build ([`start_build`]) and waits for it ([`wait_for_build`]). `Err` means the build
/// was not started, or RunJob's answer was lost after it may have reached the server (it is not
/// resent); once a build number is known the result is `Ok`, even when waiting failed.
pub async fn run_and_wait<B>(client: &Client, body: B, options: WaitOptions) -> Result<RunAndWait, Error>
where
    B: TryInto<types::RunJobRequestBody>,
    B::Error: std::fmt::Display,
{
    let build = start_build(client, body).await?;
    let outcome = build.wait(client, options).await;
    Ok(RunAndWait { build, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_jittered_and_capped() {
        let o = WaitOptions {
            max_wait: Duration::from_secs(60),
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(350),
        };
        for _ in 0..50 {
            let d1 = o.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d2 = o.delay(2);
            assert!(d2 >= Duration::from_millis(100) && d2 <= Duration::from_millis(200), "{d2:?}");
            let d9 = o.delay(40);
            assert!(d9 >= Duration::from_millis(175) && d9 <= Duration::from_millis(350), "{d9:?}");
        }
    }

    #[test]
    fn statuses_classify() {
        assert_eq!(terminal(Some("SUCCESS")), Some(Terminal::Succeeded));
        assert_eq!(terminal(Some("failure")), Some(Terminal::Failed));
        assert_eq!(terminal(Some("ABORTED")), Some(Terminal::Stopped));
        assert_eq!(terminal(Some("RUNNING")), None);
        assert_eq!(terminal(Some("QUEUED")), None);
        assert_eq!(terminal(None), None);
    }
}
