//! Builds: waiting for one to finish, and starting one then waiting.

use super::{Polled, WaitOptions, poll_until};
use crate::build::{Client, types};
use crate::error::{Error, ErrorKind};
use crate::runtime::CallExt;

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
    let what = format!("build {build_no} of job {job_id}");
    let polled = poll_until(&options, &what, || async {
        let record = poll_record(client, job_id, build_no).await?;
        let status = record.status.clone().unwrap_or_default();
        let finished = terminal(Some(&status)).is_some();
        Ok((record, status, finished))
    })
    .await?;
    Ok(match polled {
        Polled::TimedOut(record) => BuildOutcome::TimedOut { last: Some(record) },
        Polled::Finished(record) => match terminal(record.status.as_deref()) {
            Some(Terminal::Succeeded) => BuildOutcome::Succeeded(record),
            Some(Terminal::Failed) => BuildOutcome::Failed(record),
            _ => BuildOutcome::Stopped(record),
        },
    })
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
    fn statuses_classify() {
        assert_eq!(terminal(Some("SUCCESS")), Some(Terminal::Succeeded));
        assert_eq!(terminal(Some("failure")), Some(Terminal::Failed));
        assert_eq!(terminal(Some("ABORTED")), Some(Terminal::Stopped));
        assert_eq!(terminal(Some("RUNNING")), None);
        assert_eq!(terminal(Some("QUEUED")), None);
        assert_eq!(terminal(None), None);
    }
}
